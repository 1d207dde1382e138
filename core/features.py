"""Feature matrix per (employee, quarter), from the store or from the canonical CSV files.

What the model may know at the end of quarter t: current skills and their gaps against the
role's target, KPIs, the rating and its trend, tenure, department / role / location, and the
training history up to t. The label is the rating of quarter t+1. A program taken *in*
quarter t shows up in the skills of t+1, so it is not a feature here: the recommenders
treat it as the treatment (``History.training_records``).

Names, e-mails, age and gender never become features: the first two identify people, the
last two are kept only for the fairness audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from core.contract import CANONICAL_FILES, KPI_PREFIX, SKILL_PREFIX, period_key
from core.kpi_level import (
    LAGS,
    MIN_QUARTER_READINGS,
    fit_level,
    lag_matrix,
    lasting_level,
    level_line,
    quarter_means,
)
from core.models import Employee, JobRoleTarget, Measurement, Program, TrainingRecord

CATEGORICAL = ("department", "job_role", "location")
MEAN_WINDOW = 4  # quarters in rating_mean4 and <kpi>_mean4
KPI_MEAN_SUFFIX = "_mean4"
KPI_LEVEL_SUFFIX = "_lasting"  # a KPI's lasting level (core.kpi_level); not "_level", which
# real KPI names end with ("service_level")
SKILL_LEVEL_PREFIX = "lasting_"  # a skill's lasting level: not "skill_...", which every
# reader of the skill columns would take for a skill
OUTLIER_IQR = 3.0  # KPI values beyond Q1 - 3 IQR / Q3 + 3 IQR are clipped and flagged
TARGET_QUANTILE = 0.75  # estimated role target when no job_roles file was uploaded


@dataclass
class History:
    """Everything stored about the organization, as canonical frames."""

    employees: pd.DataFrame
    performance: pd.DataFrame  # wide: employee_id, period, performance_rating, kpi_*, skill_*
    programs: pd.DataFrame
    training_records: pd.DataFrame
    job_roles: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["job_role", "skill", "target_level"])
    )

    @property
    def skills(self) -> list[str]:
        return sorted(c.removeprefix(SKILL_PREFIX) for c in self.performance.columns
                      if c.startswith(SKILL_PREFIX))

    @property
    def kpis(self) -> list[str]:
        return sorted(c for c in self.performance.columns if c.startswith(KPI_PREFIX))

    @property
    def periods(self) -> list[str]:
        return sorted(self.performance["period"].unique(), key=period_key)


def _read(path: Path, id_cols: tuple[str, ...]) -> pd.DataFrame:
    return pd.read_csv(path, dtype=dict.fromkeys(id_cols, str), keep_default_na=True)


def history_from_dir(directory: str | Path) -> History:
    """The canonical CSV files of a folder (what `core.synthetic` writes)."""
    d = Path(directory)
    emp = _read(d / CANONICAL_FILES["employees"], ("employee_id", "manager_id"))
    perf = _read(d / CANONICAL_FILES["performance"], ("employee_id", "period"))
    progs = _read(d / CANONICAL_FILES["programs"], ("program_id", "prerequisites"))
    trs = _read(d / CANONICAL_FILES["training_records"], ("employee_id", "program_id", "period"))
    roles_path = d / CANONICAL_FILES["job_roles"]
    roles = _read(roles_path, ()) if roles_path.exists() else History(
        emp, perf, progs, trs).job_roles
    return History(emp, perf, progs, trs, roles)


def measurements_wide(meas: pd.DataFrame) -> pd.DataFrame:
    """Stored long measurements -> one row per (employee, quarter), as the canonical file."""
    if meas.empty:
        return pd.DataFrame(columns=["employee_id", "period", "performance_rating"])
    prefix = meas["kind"].map({"rating": "", "kpi": KPI_PREFIX, "skill": SKILL_PREFIX})
    meas = meas.assign(column=prefix + meas["name"])
    return (meas.pivot_table(index=["employee_id", "period"], columns="column",
                             values="value", aggfunc="last")
            .reset_index().rename_axis(columns=None))


def load_history(engine: Engine) -> History:
    """The store's current state as canonical frames (measurements pivoted back to wide)."""
    with engine.connect() as conn:
        emp = pd.read_sql(select(Employee).where(Employee.anonymized_at.is_(None)), conn)
        meas = pd.read_sql(
            select(Measurement.employee_id, Measurement.period, Measurement.kind,
                   Measurement.name, Measurement.value), conn)
        progs = pd.read_sql(select(Program), conn)
        trs = pd.read_sql(select(TrainingRecord.employee_id, TrainingRecord.program_id,
                                 TrainingRecord.period, TrainingRecord.status,
                                 TrainingRecord.score), conn)
        roles = pd.read_sql(select(JobRoleTarget.job_role, JobRoleTarget.skill,
                                   JobRoleTarget.target_level), conn)
    perf = measurements_wide(meas)
    if "cost_pen" in progs:
        progs["cost_pen"] = progs["cost_pen"].astype(float)
    return History(emp, perf, progs, trs, roles)


def role_targets(history: History) -> pd.DataFrame:
    """Target level per (job_role, skill): uploaded, or estimated where none was uploaded.

    The estimate is the 75th percentile of the skill among the role's people; every skill
    then counts as needed, which keeps gaps meaningful without a job_roles file.
    """
    roles = history.job_roles
    if roles is not None and len(roles):
        out = roles.pivot_table(index="job_role", columns="skill", values="target_level",
                                aggfunc="max")
        return out.reindex(columns=history.skills)
    perf = history.performance.merge(history.employees[["employee_id", "job_role"]],
                                     on="employee_id", how="left")
    cols = [SKILL_PREFIX + s for s in history.skills]
    if not cols:
        return pd.DataFrame()
    est = perf.groupby("job_role")[cols].quantile(TARGET_QUANTILE)
    est.columns = [c.removeprefix(SKILL_PREFIX) for c in est.columns]
    return est.round(1)


@dataclass
class FeatureFrame:
    """Features and labels per (employee_id, period); ``X`` holds only model inputs."""

    X: pd.DataFrame
    y_rating: pd.Series  # rating of the next quarter (NaN when not yet known)
    y_low: pd.Series  # next rating <= 2 (NaN when not yet known)
    rating_now: pd.Series
    keys: pd.DataFrame  # employee_id, period, aligned with X
    categorical: list[str]
    skills: list[str]

    @property
    def labelled(self) -> np.ndarray:
        return self.y_rating.notna().to_numpy()


def is_kpi_value(name: str) -> bool:
    """A KPI's value column, not its outlier flag, its four-quarter mean or its level."""
    return name.startswith(KPI_PREFIX) and not name.endswith(
        ("_outlier", KPI_MEAN_SUFFIX, KPI_LEVEL_SUFFIX))


def kpi_mean(kpi: str) -> str:
    """The column of ``kpi``'s four-quarter mean."""
    return kpi + KPI_MEAN_SUFFIX


def kpi_level(kpi: str) -> str:
    """The column of ``kpi``'s lasting level (:mod:`core.kpi_level`)."""
    return kpi + KPI_LEVEL_SUFFIX


def skill_level(skill: str) -> str:
    """The column of a skill's lasting level (``skill`` without its column prefix)."""
    return SKILL_LEVEL_PREFIX + skill


def level_column(col: str) -> str:
    """The lasting-level column of a KPI or skill value column."""
    return skill_level(col.removeprefix(SKILL_PREFIX)) if col.startswith(SKILL_PREFIX) \
        else kpi_level(col)


def performance_features(X: pd.DataFrame) -> pd.DataFrame:
    """The columns the performance model learns from: all but the KPIs' four-quarter means
    and the KPIs' and skills' lasting levels.

    Those are there for the KPI channel of :mod:`core.effects` (who a course helps
    depends on a KPI's lasting level). The performance model does as well without the means:
    on three organizations (5,000 x 12 synthetic, two independent ones) its hold-out AUC
    moved by 0.001 to 0.008 and its MAE by under 0.001 with them, while its tuning ran up
    to half as long again.
    """
    return X.drop(columns=[c for c in X.columns if c.startswith(SKILL_LEVEL_PREFIX)
                           or (c.startswith(KPI_PREFIX)
                               and c.endswith((KPI_MEAN_SUFFIX, KPI_LEVEL_SUFFIX)))])


class FeatureBuilder:
    """Builds the history feature matrix; ``fit`` learns the KPI clipping fences and the
    lasting-level model of each KPI and skill (``levels_``: value column -> its parameters
    and the organization's mean reading per quarter, aggregates only).

    scikit-learn style: the constructor only stores settings; ``fit`` learns from a
    History, ``transform`` applies the same fences, levels and categories to any History
    (the newest quarter included; one person's history gets the levels they have in the
    whole organization's matrix), so training and scoring see identical encodings.
    """

    def __init__(self, outlier_iqr: float = OUTLIER_IQR):
        self.outlier_iqr = outlier_iqr

    def fit(self, history: History) -> FeatureBuilder:
        perf = history.performance
        self.kpis_ = history.kpis
        self.skills_ = history.skills
        self.fences_: dict[str, tuple[float, float]] = {}
        for k in self.kpis_:
            q1, q3 = perf[k].quantile([0.25, 0.75])
            iqr = q3 - q1
            self.fences_[k] = (q1 - self.outlier_iqr * iqr, q3 + self.outlier_iqr * iqr)
        self.levels_ = self._level_params(perf)
        self.targets_ = role_targets(history)
        emp = history.employees
        self.categories_ = {c: sorted(emp[c].dropna().astype(str).unique())
                            for c in CATEGORICAL if c in emp}
        return self

    def fit_transform(self, history: History) -> FeatureFrame:
        return self.fit(history).transform(history)

    def transform(self, history: History) -> FeatureFrame:
        perf = history.performance.copy()
        perf["_pk"] = perf["period"].map(period_key)
        perf = perf.sort_values(["employee_id", "_pk"]).reset_index(drop=True)
        emp = history.employees.set_index("employee_id")
        X = pd.DataFrame(index=perf.index)
        g = perf.groupby("employee_id", sort=False)

        rating = pd.to_numeric(perf["performance_rating"], errors="coerce")
        prev_pk = g["_pk"].shift(1)
        consecutive = (perf["_pk"] - prev_pk) == 1
        X["rating"] = rating
        X["rating_lag1"] = g["performance_rating"].shift(1).where(consecutive)
        X["rating_delta"] = X["rating"] - X["rating_lag1"]
        X["rating_mean4"] = (rating.groupby(perf["employee_id"], sort=False)
                             .rolling(MEAN_WINDOW, min_periods=1).mean()
                             .reset_index(level=0, drop=True))
        X["quarter"] = (perf["_pk"] % 4 + 1).astype(float)

        for k in self.kpis_:
            lo, hi = self.fences_[k]
            v = pd.to_numeric(perf.get(k), errors="coerce") if k in perf else np.nan
            X[k] = np.clip(v, lo, hi) if isinstance(v, pd.Series) else np.nan
            X[f"{k}_outlier"] = ((v < lo) | (v > hi)).astype(float) if isinstance(
                v, pd.Series) else 0.0
            # a KPI's level over the last four quarters: one quarter's value is noisy (often
            # as much noise as lasting level), and who a program helps depends on the level
            X[kpi_mean(k)] = (X[k].groupby(perf["employee_id"], sort=False)
                              .rolling(MEAN_WINDOW, min_periods=1).mean()
                              .reset_index(level=0, drop=True))

        employee = perf["employee_id"].astype(str).to_numpy()
        for col in self._level_columns():
            if col in X:
                v = X[col].to_numpy(dtype=float)  # a KPI, clipped
            elif col in perf:
                v = pd.to_numeric(perf[col], errors="coerce").to_numpy(dtype=float)
            else:
                v = np.full(len(perf), np.nan)
            params, means = self.levels_.get(col, (None, {}))
            X[level_column(col)] = lasting_level(v, employee, perf["_pk"].to_numpy(), params,
                                                 self._level_means(v, perf["_pk"], means))

        roles = perf["employee_id"].map(emp["job_role"]) if "job_role" in emp else None
        targets = (self.targets_.reindex(roles.to_numpy()).reset_index(drop=True)
                   if roles is not None and len(self.targets_) else None)
        shares = row_shares(targets) if targets is not None else None
        gap_total = pd.Series(0.0, index=perf.index)
        for s in self.skills_:
            col = SKILL_PREFIX + s
            v = pd.to_numeric(perf[col], errors="coerce") if col in perf else pd.Series(
                np.nan, index=perf.index)
            X[col] = v
            X[f"{col}_delta"] = v - g[col].shift(1).where(consecutive) if col in perf else np.nan
            if targets is not None and s in targets:
                tgt = targets[s]
                gap = (tgt - v).clip(lower=0).where(tgt.notna(), 0.0)
                X[f"gap_{s}"] = gap
                gap_total = gap_total + (gap * shares[s]).fillna(0.0)
        X["gap_weighted"] = gap_total
        skill_cols = [SKILL_PREFIX + s for s in self.skills_]
        X["skills_missing"] = X[skill_cols].isna().sum(axis=1).astype(float) if skill_cols \
            else 0.0

        hire = pd.to_datetime(perf["employee_id"].map(emp["hire_date"]), errors="coerce") \
            if "hire_date" in emp else pd.Series(pd.NaT, index=perf.index)
        quarter_end = pd.PeriodIndex(
            [f"{p // 4}Q{p % 4 + 1}" for p in perf["_pk"]], freq="Q").end_time
        X["tenure_years"] = ((quarter_end.to_numpy() - hire.to_numpy())
                             / np.timedelta64(365, "D")).astype(float)

        for c in CATEGORICAL:
            values = perf["employee_id"].map(emp[c]) if c in emp else pd.Series(
                np.nan, index=perf.index)
            X[c] = pd.Categorical(values.astype("object"),
                                  categories=self.categories_.get(c, []))

        X = X.join(self._training_history(perf, history))
        nxt_rating = g["performance_rating"].shift(-1)
        nxt_consecutive = (g["_pk"].shift(-1) - perf["_pk"]) == 1
        y = pd.to_numeric(nxt_rating, errors="coerce").where(nxt_consecutive)
        return FeatureFrame(
            X=X.astype({c: "float64" for c in X.columns if c not in CATEGORICAL}),
            y_rating=y.astype(float),
            y_low=(y <= 2).astype(float).where(y.notna()),
            rating_now=rating.astype(float),
            keys=perf[["employee_id", "period"]].copy(),
            categorical=[c for c in CATEGORICAL],
            skills=list(self.skills_),
        )

    def _level_columns(self) -> list[str]:
        """The value columns that get a lasting level: every KPI and skill."""
        return [*self.kpis_, *(SKILL_PREFIX + s for s in self.skills_)]

    def _level_params(self, perf: pd.DataFrame) -> dict:
        """KPI or skill column -> the local-level model of its readings (KPIs clipped;
        None: no persistence) and the organization's mean reading per quarter key."""
        perf = perf.assign(_pk=perf["period"].map(period_key))
        perf = perf.sort_values(["employee_id", "_pk"])
        employee = perf["employee_id"].astype(str).to_numpy()
        pk = perf["_pk"].to_numpy()
        out = {}
        for col in self._level_columns():
            if col not in perf:
                continue
            v = pd.to_numeric(perf[col], errors="coerce").to_numpy(dtype=float)
            if col in self.fences_:
                v = np.clip(v, *self.fences_[col])
            out[col] = (fit_level(v, employee, pk), quarter_means(v, pk))
        return out

    @staticmethod
    def _level_means(v: np.ndarray, pk: pd.Series, known: dict[int, float]) -> np.ndarray:
        """Each row's quarter mean: the organization's from ``fit`` (so one person's rows
        get the level they have in the whole organization's matrix); for a quarter ``fit``
        did not see, the mean of the rows at hand if there are enough, else the latest
        known one."""
        out = pk.map(known).to_numpy(dtype=float, copy=True)
        unseen = ~pk.isin(list(known)).to_numpy()
        if unseen.any():  # a quarter fit did not see
            counts = pd.Series(v).notna().groupby(pk.to_numpy()).sum()
            own = {q: m for q, m in quarter_means(v, pk.to_numpy()).items()
                   if counts.get(q, 0) >= MIN_QUARTER_READINGS}
            latest = known[max(known)] if known else np.nan
            out[unseen] = pk[unseen].map(own).fillna(latest).to_numpy(dtype=float)
        return out

    def level_lines(self, ff: FeatureFrame) -> dict[str, tuple[float, float]]:
        """For the latest row of one person's frame (``transform`` of their history): each
        KPI's and skill's lasting level as ``a + b * value`` once this quarter's value is
        set, so a what-if moves the level as ``transform`` would
        (:func:`core.kpi_level.level_line`). Keyed by the value column."""
        pk = ff.keys["period"].astype(str).map(period_key).reset_index(drop=True)
        person = np.zeros(len(pk))  # one person's rows
        out = {}
        for k in self._level_columns():
            if k not in ff.X:
                continue
            params, known = self.levels_.get(k, (None, {}))
            v = ff.X[k].to_numpy(dtype=float)
            means = self._level_means(v, pk, known)
            past = lag_matrix(v - means, person, pk.to_numpy(), LAGS)[-1, 1:]
            out[k] = level_line(past, params, float(means[-1]))
        return out

    def _training_history(self, perf: pd.DataFrame, history: History) -> pd.DataFrame:
        """Completed programs before quarter t: count, per targeted skill, time since last."""
        out = pd.DataFrame(index=perf.index)
        out["programs_completed"] = 0.0
        out["quarters_since_training"] = np.nan
        for s in self.skills_:
            out[f"trained_{s}"] = 0.0
        trs = history.training_records
        if trs is None or trs.empty:
            return out
        done = trs[trs["status"] == "completed"].copy()
        if done.empty:
            return out
        done["_pk"] = done["period"].map(period_key)
        targets = history.programs.set_index("program_id")["target_skills"].fillna("")
        done["skills"] = done["program_id"].map(targets).fillna("").str.split(";")
        pos = {eid: idx for eid, idx in perf.groupby("employee_id").groups.items()}
        pk = perf["_pk"].to_numpy()
        count = np.zeros(len(perf))
        last = np.full(len(perf), np.nan)
        per_skill = {s: np.zeros(len(perf)) for s in self.skills_}
        for eid, rows in done.groupby("employee_id"):
            idx = pos.get(eid)
            if idx is None:
                continue
            idx = np.asarray(idx)
            for taken, skills in zip(rows["_pk"].to_numpy(), rows["skills"], strict=True):
                after = idx[pk[idx] > taken]  # effect visible from the next quarter on
                count[after] += 1
                last[after] = np.fmax(last[after], taken)
                for s in skills:
                    if s in per_skill:
                        per_skill[s][after] += 1
        out["programs_completed"] = count
        out["quarters_since_training"] = pk - last
        for s in self.skills_:
            out[f"trained_{s}"] = per_skill[s]
        return out


def gap_shares(targets: pd.DataFrame, roles) -> pd.DataFrame:
    """Each skill's weight in ``gap_weighted`` for people in ``roles`` (one row each): the
    role's target levels scaled to sum to 1 (all 0 for a role without targets)."""
    return row_shares(targets.reindex(np.asarray(roles))).reset_index(drop=True)


def row_shares(row_targets: pd.DataFrame) -> pd.DataFrame:
    """:func:`gap_shares` of target levels already laid out one row per person (the
    result keeps their index)."""
    w = row_targets.fillna(0.0)
    total = w.sum(axis=1).to_numpy()[:, None]
    return pd.DataFrame(np.divide(w.to_numpy(dtype=float), total,
                                  out=np.zeros(w.shape), where=total > 0),
                        index=w.index, columns=w.columns)


def shift_skills(X: pd.DataFrame, deltas: dict[str, np.ndarray | float],
                 targets: pd.DataFrame | None = None, roles: pd.Series | None = None
                 ) -> pd.DataFrame:
    """X with some skills raised (capped at 5) and their gap features made consistent.

    The counterfactual of a program: the same person, with the skills it trains higher.
    ``gap_weighted`` is rescaled by the change of each gap when ``targets`` and ``roles``
    are given; otherwise only the per-skill gaps move.
    """
    out = X.copy()
    shares = gap_shares(targets, roles) if targets is not None and roles is not None else None
    for s, d in deltas.items():
        col = SKILL_PREFIX + s
        if col not in out:
            continue
        before = out[col]
        after = np.minimum(before + d, 5.0)
        out[col] = after
        gcol = f"gap_{s}"
        if gcol in out:
            old_gap = out[gcol]
            new_gap = np.maximum(old_gap - (after - before).fillna(0.0), 0.0)
            out[gcol] = new_gap
            if shares is not None and s in shares:
                share = shares[s].to_numpy()
                # a blank assessment stays blank and adds nothing, as in the builder
                closed = (old_gap - new_gap).fillna(0.0).to_numpy()
                out["gap_weighted"] = out["gap_weighted"] - share * closed
    return out
