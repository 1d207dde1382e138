"""What-if: move a person's skills and KPIs and see the predicted next-quarter rating move.

Only what a person can change is offered: the assessed level of each skill and each KPI the
model uses. Age, gender, tenure, department, role, location, the rating history and the
training history are never offered, and :func:`predict_whatif` refuses them.

Features derived from a skill move with it, as :class:`core.features.FeatureBuilder` builds
them: the gap to the role's target (``gap_<skill>``), the change since last quarter
(``skill_<skill>_delta``) and the weighted average gap (``gap_weighted``). A KPI is clipped
to the organization's fences and its outlier flag follows.

Three steps, none of which needs Streamlit:

1. :func:`org_context` fits the feature builder on the organization (fences, role targets,
   categories: aggregates only, the same for every viewer, so a page may cache it per model
   and data version);
2. :func:`baseline_row` checks with :mod:`core.plans` that the viewer may see the person and
   builds that person's current feature row from their own records only (a few queries);
3. :func:`predict_whatif` applies the changes and returns the prediction and its exact
   TreeSHAP contributions (``base_value + sum(shap) == prediction``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contract import KPI_PREFIX, SKILL_PREFIX
from core.explain import contributions_frame, feature_label
from core.features import (
    MEAN_WINDOW,
    FeatureBuilder,
    History,
    is_kpi_value,
    kpi_mean,
    level_column,
    measurements_wide,
)
from core.models import Employee, JobRoleTarget, Measurement, Program, TrainingRecord
from core.plans import NotAllowed, require_visible
from core.users import CurrentUser

SKILL_RANGE = (1.0, 5.0)
SKILL_STEP = 0.1
KPI_QUANTILES = (0.01, 0.99)  # slider range of a KPI: the organization's usual values


class NotChangeable(ValueError):
    """A what-if asked to move a feature that is not a skill or KPI of this model."""


@dataclass
class OrgContext:
    """The fitted feature builder and the usual range of each KPI (aggregates only)."""

    builder: FeatureBuilder
    kpi_ranges: dict[str, tuple[float, float]]
    kpi_steps: dict[str, float] = field(default_factory=dict)


@dataclass
class Baseline:
    """One person's current feature row and what a what-if needs to move it consistently."""

    employee_id: str
    period: str
    row: pd.DataFrame  # one row, the model's inputs as FeatureBuilder builds them
    targets: dict[str, float]  # the role's target level per skill (missing: no target)
    fences: dict[str, tuple[float, float]]
    kpi_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    kpi_steps: dict[str, float] = field(default_factory=dict)
    # per KPI, how many values its four-quarter mean (``<kpi>_mean4``) averages
    kpi_window: dict[str, int] = field(default_factory=dict)
    # per KPI or skill column, its lasting level (core.kpi_level) as a + b * this quarter's
    # value
    level_lines: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Changeable:
    """A slider: a skill level or a KPI value, with its range and the person's value."""

    feature: str
    kind: str  # skill | kpi
    subject: str
    value: float
    low: float
    high: float
    step: float

    def label(self, lang: str = "es") -> str:
        return feature_label(self.feature, lang)


def _drop_opted_out(history: History) -> History:
    """As core.training.load_training_history: people who objected are not fitted on."""
    emp = history.employees
    if "scoring_opt_out" not in emp:
        return history
    opted = set(emp.loc[emp["scoring_opt_out"].fillna(False).astype(bool), "employee_id"])
    if not opted:
        return history
    return History(emp[~emp["employee_id"].isin(opted)],
                   history.performance[~history.performance["employee_id"].isin(opted)],
                   history.programs,
                   history.training_records[~history.training_records["employee_id"].isin(
                       opted)],
                   history.job_roles)


def org_context(history: History) -> OrgContext:
    """Fit the feature builder as training does, and each KPI's usual range."""
    history = _drop_opted_out(history)
    builder = FeatureBuilder().fit(history)
    ranges: dict[str, tuple[float, float]] = {}
    steps: dict[str, float] = {}
    perf = history.performance
    for k in builder.kpis_:
        v = pd.to_numeric(perf[k], errors="coerce").dropna() if k in perf else pd.Series()
        if v.empty:
            continue
        lo, hi = (float(x) for x in v.quantile(list(KPI_QUANTILES)))
        f_lo, f_hi = builder.fences_.get(k, (lo, hi))
        lo, hi = max(lo, f_lo), min(hi, f_hi)
        if math.isfinite(lo) and math.isfinite(hi) and hi > lo:
            ranges[k] = (lo, hi)
            step = _nice_step(hi - lo)
            whole = bool(np.all(np.isclose(v.to_numpy(dtype=float) % 1.0, 0.0)))
            steps[k] = max(step, 1.0) if whole else step
    return OrgContext(builder, ranges, steps)


def org_context_from_store(engine) -> OrgContext:
    """:func:`org_context` of the whole store, reading only what the fit uses: every KPI
    value (for the fences and the usual ranges), the skill names, the employees' groups and
    the role targets; every skill value only when no targets were uploaded and they have to
    be estimated. The same context as ``org_context(load_history(engine))``, without
    loading and pivoting every measurement."""
    from core.db import query_frame, session_factory

    cols = ["employee_id", "period", "kind", "name", "value"]
    with session_factory(engine)() as session:
        conn = session.connection()
        emp = pd.read_sql(select(Employee.employee_id, Employee.department, Employee.job_role,
                                 Employee.location, Employee.scoring_opt_out)
                          .where(Employee.anonymized_at.is_(None)), conn)
        roles = pd.read_sql(select(JobRoleTarget.job_role, JobRoleTarget.skill,
                                   JobRoleTarget.target_level), conn)
        skills = sorted(session.scalars(select(Measurement.name).distinct().where(
            Measurement.kind == "skill")).all())
        kinds = ["kpi"] if len(roles) else ["kpi", "skill"]
        meas = query_frame(session, select(
            Measurement.employee_id, Measurement.period, Measurement.kind, Measurement.name,
            Measurement.value).where(Measurement.kind.in_(kinds)), cols)
    perf = measurements_wide(meas)
    for s in skills:  # the skill columns the builder knows, even when not read
        if SKILL_PREFIX + s not in perf:
            perf[SKILL_PREFIX + s] = np.nan
    return org_context(History(emp, perf, pd.DataFrame(columns=["program_id"]),
                               pd.DataFrame(columns=["employee_id"]), roles))


def person_history(session: Session, employee_id: str) -> History:
    """One person's records as canonical frames (what core.features.load_history builds)."""
    conn = session.connection()
    emp = pd.read_sql(select(Employee).where(Employee.employee_id == employee_id), conn)
    meas = pd.read_sql(select(Measurement.employee_id, Measurement.period, Measurement.kind,
                              Measurement.name, Measurement.value)
                       .where(Measurement.employee_id == employee_id), conn)
    progs = pd.read_sql(select(Program.program_id, Program.target_skills), conn)
    trs = pd.read_sql(select(TrainingRecord.employee_id, TrainingRecord.program_id,
                             TrainingRecord.period, TrainingRecord.status, TrainingRecord.score)
                      .where(TrainingRecord.employee_id == employee_id), conn)
    roles = pd.read_sql(select(JobRoleTarget.job_role, JobRoleTarget.skill,
                               JobRoleTarget.target_level), conn)
    perf = measurements_wide(meas)
    return History(emp, perf, progs, trs, roles)


def baseline_row(session: Session, user: CurrentUser, employee_id: str, ctx: OrgContext
                 ) -> Baseline | None:
    """The person's latest feature row, or None when there is nothing to simulate.

    Raises :class:`core.plans.NotAllowed` when the viewer may not see this person (the same
    rule as the plan). Returns None for someone who objected to automated scoring (they are
    left out of scoring) or who has no measurements.
    """
    emp = require_visible(session, user, employee_id)
    if emp.scoring_opt_out:
        return None
    hist = person_history(session, employee_id)
    if hist.performance.empty:
        return None
    ff = ctx.builder.transform(hist)
    last = ff.keys.index[-1]  # transform sorts each person's quarters
    row = ff.X.loc[[last]].reset_index(drop=True)
    targets_frame = ctx.builder.targets_
    targets: dict[str, float] = {}
    if emp.job_role is not None and len(targets_frame) and emp.job_role in targets_frame.index:
        targets = {s: float(v) for s, v in targets_frame.loc[emp.job_role].items()
                   if pd.notna(v)}
    recent = ff.X.iloc[-MEAN_WINDOW:]
    window = {k: int(recent[k].notna().sum()) for k in ctx.builder.kpis_ if k in recent}
    return Baseline(employee_id, str(ff.keys.loc[last, "period"]), row, targets,
                    dict(ctx.builder.fences_), dict(ctx.kpi_ranges), dict(ctx.kpi_steps),
                    window, ctx.builder.level_lines(ff))


def _nice_step(span: float) -> float:
    """A round slider step giving 50 to 500 positions over ``span``."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    return float(10 ** math.floor(math.log10(span / 50)))


def _round_to(value: float, step: float) -> float:
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return round(round(value / step) * step, decimals)


def changeable_features(model, baseline: Baseline) -> list[Changeable]:
    """The sliders this person gets: their assessed skills, then their KPIs, that the model
    uses and that have a value now. Nothing else is ever offered."""
    names = set(model.feature_names_)
    values = baseline.row.iloc[0]
    skills, kpis = [], []
    for f in baseline.row.columns:
        if f not in names or not (_is_skill(f) or is_kpi_value(f)) or pd.isna(values[f]):
            continue
        v = float(values[f])
        if _is_skill(f):
            lo, hi = SKILL_RANGE
            skills.append(Changeable(f, "skill", f.removeprefix(SKILL_PREFIX),
                                     _round_to(min(max(v, lo), hi), SKILL_STEP), lo, hi,
                                     SKILL_STEP))
        elif is_kpi_value(f):
            lo, hi = baseline.kpi_ranges.get(f, baseline.fences.get(f, (v, v)))
            lo, hi = min(lo, v), max(hi, v)
            if not hi > lo:
                continue
            step = baseline.kpi_steps.get(f) or _nice_step(hi - lo)
            lo, hi = _round_to(math.floor(lo / step) * step, step), _round_to(
                math.ceil(hi / step) * step, step)
            kpis.append(Changeable(f, "kpi", f.removeprefix(KPI_PREFIX), _round_to(v, step),
                                   lo, hi, step))
    return skills + kpis


def _is_skill(feature: str) -> bool:
    return feature.startswith(SKILL_PREFIX) and not feature.endswith("_delta")


def _move_mean(row: pd.DataFrame, kpi: str, old: float, n: int) -> None:
    """``<kpi>_mean4`` as the feature builder would compute it with the new value: the mean
    of the ``n`` values in its window, one of which (``old``, or a missing one) changed."""
    mean = kpi_mean(kpi)
    if mean not in row:
        return
    new = float(row.at[0, kpi])
    m = float(row.at[0, mean])
    if math.isfinite(old) and n > 0 and math.isfinite(m):
        row.at[0, mean] = m + (new - old) / n
    else:  # the quarter had no value: one more value in the window
        row.at[0, mean] = (m * n + new) / (n + 1) if n > 0 and math.isfinite(m) else new


def _move_level(row: pd.DataFrame, col: str, lines: Mapping[str, tuple[float, float]]
                ) -> None:
    """The lasting level of ``col`` (a KPI or skill) as the feature builder would compute
    it with the row's new value."""
    if level_column(col) in row and col in lines:
        a, b = lines[col]
        row.at[0, level_column(col)] = a + b * float(row.at[0, col])


def apply_changes(baseline: Baseline, changes: Mapping[str, float]) -> pd.DataFrame:
    """The person's row with skills and KPIs set to new values, derived features following.

    Raises :class:`NotChangeable` for any feature that is not a skill level or KPI of the
    row (age, tenure, department, ratings, gaps themselves, ...).
    """
    row = baseline.row.copy()
    weights = {s: v for s, v in baseline.targets.items() if v > 0}
    total = sum(weights.values())
    for f, new in changes.items():
        if f not in row.columns or not (_is_skill(f) or is_kpi_value(f)):
            raise NotChangeable(f)
        new = float(new)
        if not math.isfinite(new):
            raise NotChangeable(f"{f}: {new}")
        old = float(row.at[0, f])
        if is_kpi_value(f):
            lo, hi = baseline.fences.get(f, (-math.inf, math.inf))
            row.at[0, f] = min(max(new, lo), hi)
            flag = f"{f}_outlier"
            if flag in row:
                row.at[0, flag] = float(new < lo or new > hi)
            _move_mean(row, f, old, baseline.kpi_window.get(f, 0))
            _move_level(row, f, baseline.level_lines)
            continue
        new = min(max(new, SKILL_RANGE[0]), SKILL_RANGE[1])
        row.at[0, f] = new
        _move_level(row, f, baseline.level_lines)
        delta = f"{f}_delta"
        if delta in row and pd.notna(row.at[0, delta]):
            row.at[0, delta] = float(row.at[0, delta]) + (new - old)
        s = f.removeprefix(SKILL_PREFIX)
        gap = f"gap_{s}"
        if gap in row and s in baseline.targets:
            old_gap = row.at[0, gap]
            new_gap = max(baseline.targets[s] - new, 0.0)
            row.at[0, gap] = new_gap
            if "gap_weighted" in row and total > 0 and s in weights and pd.notna(old_gap):
                row.at[0, "gap_weighted"] = (float(row.at[0, "gap_weighted"])
                                             + (new_gap - float(old_gap)) * weights[s] / total)
    return row


def predict_whatif(model, baseline: Baseline, changes: Mapping[str, float] | None = None
                   ) -> tuple[float, pd.DataFrame]:
    """Predicted next-quarter rating with ``changes`` applied, and its contributions.

    The contributions are :func:`core.explain.contributions_frame` (``feature, value,
    shap``; ``attrs`` hold ``base_value`` and ``prediction``). ``attrs["risk"]`` holds the
    probability of a rating of 2 or lower when the model has that booster, else None.
    """
    row = apply_changes(baseline, changes or {})
    frame = contributions_frame(model, row, "rating")
    risk = None
    if hasattr(model, "predict_low") and getattr(model, "low_booster_", None) is not None:
        risk = float(np.asarray(model.predict_low(row))[0])
    frame.attrs["risk"] = risk
    return float(frame.attrs["prediction"]), frame


def load_version_model(engine, version_id: int):
    """The history model of ``version_id`` (pages cache it per version: it never changes)."""
    from core.db import session_factory
    from core.models import ModelVersion
    from core.registry import load_model

    with session_factory(engine)() as s:
        text = s.scalar(select(ModelVersion.model_text).where(ModelVersion.id == version_id))
    if text is None:
        raise LookupError(f"model version {version_id} does not exist")
    return load_model("history", text)


def top_contributions(frame: pd.DataFrame, lang: str = "es", n: int = 10) -> pd.DataFrame:
    """The ``n`` largest contributions by size, with a readable label (for a bar chart)."""
    out = frame.reindex(frame["shap"].abs().sort_values(ascending=False, kind="stable").index)
    out = out.head(n).copy()
    out["label"] = [feature_label(f, lang) for f in out["feature"]]
    return out.reset_index(drop=True)


__all__ = ["Baseline", "Changeable", "NotAllowed", "NotChangeable", "OrgContext",
           "apply_changes", "baseline_row", "changeable_features", "load_version_model",
           "org_context", "org_context_from_store",
           "person_history", "predict_whatif", "top_contributions"]
