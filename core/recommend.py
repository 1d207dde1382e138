"""Each program's expected effect for each employee, and the ranked plan.

Two estimators (DESIGN.md, "How a recommendation is made"), both fitted on the history only,
both giving every current employee x program an expected change of next quarter's rating
(rating points) with an 80% interval:

* :class:`CounterfactualRecommender` learns what each program did to the skills it targets
  (:class:`core.effects.SkillGainModel`: completers' next-quarter skill change beyond what
  comparable people gained without it, by expected gap to the role's target; pooled across
  programs, the declared gain as prior and fallback), raises those skills for the employee
  (:func:`core.features.shift_skills`) and takes the difference in the rating predicted
  by a response model (:class:`core.effects.ResponseModel`: the quarter's rating from the
  same quarter's skills and KPIs, since a program changes next quarter's levels and that
  quarter's rating is given on them) or, with ``response="model"``, by the performance
  model passed to ``fit``. Where the history shows programs moving KPIs beyond what the
  skills explain (:class:`core.effects.KPIGainModel`, kept only when it predicts in
  cross-validation), those KPIs move too. The difference is averaged over a window of the
  person's skills and moved KPIs (a tree ensemble is a step function: unsmoothed, whom a
  program seemed to help was mostly who sat beside a split point).
* :class:`UpliftRecommender` is an R-learner: cross-fitted LightGBM nuisances (the
  expected rating change given the features, and the propensity of completing each program)
  remove what the confounded assignment explains; the residual change of completers is
  regressed on each program's effect modifiers (the gaps of the skills it targets and,
  where cross-validation prefers it, the levels of the KPIs and whether each is measured),
  pooled across programs with ridge-shrunk program deviations.

* :class:`BlendRecommender` mixes the two (each interval end too), the counterfactual's
  share fixed at 0.9 (:data:`BLEND_DEFAULT`; choosing it from how well each mix explains
  past completers' rating changes picked worse shares).
  It is the default (``DEFAULT_ESTIMATOR``) because it wins the benchmark
  (``python -m core bench``): the two estimators err in different places, so a mix ranks
  better than either on most organizations tried and within about a point of the better
  one on the rest.

Intervals (80%) come from draws of each effect fit's sampling distribution (a sandwich
covariance clustered by employee) and, for the counterfactual, the members of the bagged
response model. :func:`recommend` turns effects into ranked plans, :func:`build_plans` is
the whole path the app, the CLI and the benchmark use; :func:`policy_value` scores plans
against a ground truth.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Sequence

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from core import lgb_safe
from core.contract import KPI_PREFIX, SKILL_MAX, SKILL_PREFIX, period_key
from core.effects import (
    KPI_HORIZONS,
    N_BASIS,
    OUTCOME_HORIZON,
    RESPONSE_MEMBERS,
    KPIGainModel,
    ResponseModel,
    SkillGainModel,
    choose_ridge_scale,
    completed_records,
    declared_gains,
    employee_folds,
    gap_basis,
    kpi_columns,
    panel,
    program_skills,
    ridge_draws,
    run_parallel,
)
from core.errors import BilingualError
from core.features import (
    KPI_LEVEL_SUFFIX,
    KPI_MEAN_SUFFIX,
    FeatureFrame,
    History,
    gap_shares,
    is_kpi_value,
    kpi_mean,
    role_targets,
    shift_skills,
)
from core.model import RatingModel

INTERVAL = (10.0, 90.0)  # percentiles of the draws: an 80% interval
MISSING_LOW_CONFIDENCE = 0.5  # share of a person's own features missing
WIDE_INTERVAL = 2.0  # an 80% interval wider than twice |gain| (or than 2 * MIN_WIDTH)
MIN_WIDTH = 0.05  # rating points
# The counterfactual's effect is averaged over a window (CounterfactualRecommender.
# _member_effects): every KPI a program moves offset across KPI_SMOOTH_WIDTH robust spreads
# and every skill across SKILL_SMOOTH_WIDTH levels, together, at WINDOW_POINTS offsets.
# The KPI window alone: over eight independent KPI-driven organizations (700 to 3,000
# people, benchmarks/alt_org.py) policy value rose by 38.3 points in all, on every one
# (+0.1 to +12.2), the five others moved by 0.3 at most; windows of 0.25, 0.5 and 1.0
# spreads gave +20.4, +33.5 and +23.8; three offsets instead of five lost 10 points, nine
# gained nothing. The skills in the window too (one level wide): +11.1 points over those
# thirteen organizations (the counterfactual alone +14.4), -0.3 to +2.8 on each; 0.5 and 1.5
# levels gave +9.8 and +10.1. It costs about 1.2 times the prediction time of the KPI window
# alone (the skills' share of an effect, which only the interval needs, is taken at today's
# values), five times that of no window.
KPI_SMOOTH_WIDTH = 0.75
WINDOW_POINTS = 5
# A program "improved" a KPI, for its reasons, when the mean helpful shift is at least this
# many robust spreads and helpful in this share of the draws.
KPI_EFFECT_MIN = 0.1
KPI_EFFECT_SURE = 0.9
SKILL_SMOOTH_WIDTH = 1.0
EFFECT_COLUMNS = ["employee_id", "program_id", "expected_gain", "low", "high"]
PLAN_COLUMNS = ["employee_id", "program_id", "rank", "expected_gain", "low", "high",
                "cost_pen", "hours", "low_confidence"]


class RecommendError(BilingualError, ValueError):
    """Input the recommender cannot work with; the message in Spanish and in English."""


class RecommendWarning(UserWarning):
    """The recommender fell back to something weaker (e.g. the catalog's declared gains)."""


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def _check_inputs(history: History, ff: FeatureFrame) -> None:
    if history.programs is None or history.programs.empty:
        raise RecommendError(
            "No hay programas en el catálogo: suba programs.csv con al menos un programa.",
            "There are no programs in the catalog: upload programs.csv with at least one.")
    if ff.X.empty:
        raise RecommendError("No hay datos de desempeño de ningún empleado.",
                             "There is no performance data for any employee.")
    if not ff.labelled.any():
        raise RecommendError(
            "No hay dos trimestres consecutivos: para medir el efecto de la capacitación "
            "se necesita la calificación del trimestre siguiente.",
            "There are no two consecutive quarters: measuring the effect of training needs "
            "the next quarter's rating.")


def latest_rows(ff: FeatureFrame) -> pd.Index:
    """Index labels of each employee's latest quarter (the people a plan is for)."""
    pk = ff.keys["period"].astype(str).map(period_key)
    last = pk.groupby(ff.keys["employee_id"].astype(str)).transform("max")
    return ff.X.index[(pk == last).to_numpy()]


def _own_missing_share(X: pd.DataFrame) -> np.ndarray:
    """Share of a person's own measurements (skills, KPIs, rating) that are missing."""
    cols = [c for c in X.columns if c.startswith((SKILL_PREFIX, KPI_PREFIX, "rating"))
            and not c.endswith(("_delta", "_outlier", KPI_MEAN_SUFFIX, KPI_LEVEL_SUFFIX))
            and c not in ("rating_lag1", "rating_mean4")]
    return X[cols].isna().mean(axis=1).to_numpy() if cols else np.zeros(len(X))


def impute_current(X: pd.DataFrame) -> pd.DataFrame:
    """Missing skills and gaps of today's rows filled with their role's median (then the
    organization's), so a person with holes in the data still gets a comparable estimate
    (and is marked low confidence by :func:`recommend`). A KPI missing this quarter but
    measured in the last four takes its four-quarter mean (a blank cell does not stop a
    course from helping; over eight KPI-driven organizations this added 8.2 points of
    policy value in all, the others unchanged); one measured in none of them is left
    missing: it is then mostly a KPI that does not apply to the role (sales attainment of
    a warehouse operator), and a program cannot move what is not measured."""
    X = X.copy()
    for c in X.columns:
        if is_kpi_value(c) and kpi_mean(c) in X:
            X[c] = X[c].fillna(X[kpi_mean(c)])
    roles = X["job_role"].astype(object) if "job_role" in X else pd.Series(
        "", index=X.index)
    roles = roles.fillna("__none__")
    for c in X.columns:
        if not ((c.startswith(SKILL_PREFIX) and not c.endswith("_delta"))
                or c.startswith("gap_")):
            continue
        v = X[c]
        if v.isna().any():
            med = v.groupby(roles.to_numpy()).transform("median")
            overall = v.median()
            X[c] = v.fillna(med).fillna(overall if pd.notna(overall) else 0.0)
    return X


def _roles(X: pd.DataFrame) -> pd.Series:
    """Each row's job role, positionally (what :func:`core.features.shift_skills` reads)."""
    return X["job_role"].astype(object).reset_index(drop=True) if "job_role" in X \
        else pd.Series([None] * len(X))


def _interval(point: np.ndarray, draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if draws.shape[0] < 2:
        return point.copy(), point.copy()
    lo, hi = np.percentile(draws, INTERVAL, axis=0)
    return np.minimum(lo, point), np.maximum(hi, point)


def _ratio(total: np.ndarray) -> np.ndarray:
    """Draws 1.. of a (n_draws, n_rows) quantity relative to draw 0 (0 where that is 0)."""
    den = total[0]
    ok = np.abs(den) > 1e-9
    return np.divide(total[1:], den, out=np.zeros_like(total[1:]), where=ok)


def _frame(ids, pid, point, lo, hi, missing) -> pd.DataFrame:
    return pd.DataFrame({"employee_id": ids, "program_id": pid, "expected_gain": point,
                         "low": lo, "high": hi, "missing_share": missing})


def _no_effects() -> pd.DataFrame:
    return _frame([], [], [], [], [], [])


def _wanted(rows: pd.Index, ff: FeatureFrame, pairs: pd.DataFrame | None) -> pd.Index:
    """The rows ``rows`` of the employees ``pairs`` names (all of them without pairs)."""
    if pairs is None:
        return rows
    emps = set(pairs["employee_id"].astype(str))
    return rows[ff.keys.loc[rows, "employee_id"].astype(str).isin(emps).to_numpy()]


def only_helpful(shifts: dict[str, np.ndarray], directions: dict[str, int]
                 ) -> dict[str, np.ndarray]:
    """KPI shifts with the part that would make the KPI worse cut to zero, for each KPI
    whose direction the response knows (+1: higher is better, -1: lower; 0: left as is).

    A course does not make people worse at their job, as it does not lower a skill (the
    response is monotone in both), but with a dozen courses and a few KPIs some course
    always seems, by chance or through who chose it, to have worsened some KPI: a course
    on public speaking "raising" missed deadlines, say. Cut: +3.2 points of policy value
    (blend) over ten independent KPI-driven organizations (up on seven, down by 0.1 to 0.4
    on three) and +6.6 over six more generated to check it (up on five, one down 0.1);
    +0.2 and +0.1 on two sets of the development generator, +0.5 and +0.1 on two of
    threshold shape."""
    out = {}
    for k, d in shifts.items():
        sign = directions.get(k, 0)
        out[k] = np.maximum(d, 0.0) if sign > 0 else np.minimum(d, 0.0) if sign < 0 else d
    return out


def _subsets(ids: np.ndarray, programs: list[str], pairs: pd.DataFrame | None
             ) -> dict[str, np.ndarray]:
    """Program -> positions in ``ids`` of the employees paired with it (empty without
    pairs: every program for everyone)."""
    if pairs is None:
        return {}
    pos = pd.Series(np.arange(len(ids)), index=ids)
    by_program = pairs.astype(str).groupby("program_id")["employee_id"].agg(list)
    return {p: np.sort(pos.reindex(by_program.get(p, [])).dropna().to_numpy(dtype=int))
            for p in programs}


# --------------------------------------------------------------------------------------------
# Counterfactual through a response model
# --------------------------------------------------------------------------------------------


class CounterfactualRecommender:
    """Effect = predicted next rating with the program's learned skill gains minus without.

    Parameters
    ----------
    n_draws
        Draws from the sampling distribution of the skill-gain fit, for the interval; each
        is paired with a member of the bagged response model (the interval covers both).
    n_models
        Members of the bagged response model.
    response
        ``"skills"`` (default): a :class:`core.effects.ResponseModel` on the features a
        program can move and context; ``"model"``: the performance model given to ``fit``
        (its KPI and rating features absorb part of a skill's effect, so its gains come out
        about half as large and, on the benchmark, ranked less well: 92.9% vs 96.6% of the
        eligible oracle on the default organization).
    response_target
        What the response model predicts from a quarter's features: ``"now"`` (default)
        that quarter's rating - a program moves next quarter's skills and KPIs, and that
        quarter's rating is given on them; ``"next"`` the following quarter's rating (the
        KPIs' quarter-to-quarter noise then dilutes their effect: 36-39% against 49-55% of
        the eligible oracle on the KPI-driven organizations of ``benchmarks/alt_org.py``,
        within a point either way on the others).
    kpi_channel
        Also learn what programs did to next quarter's KPIs and move the KPIs that show a
        cross-validated effect (:class:`core.effects.KPIGainModel`).
    kpi_smoothing
        Width, in robust spreads of each moved KPI, of the window the response is averaged
        over (``_member_effects``); 0: no window along the KPIs.
    skill_smoothing
        Width, in levels, of the same window along every skill (all offset together, gaps
        to the role's target recomputed); 0: no window along the skills. With both 0 the
        effect is predicted at today's values.
    outcome_horizon
        Quarters after a program over whose mean its skill gains are measured
        (:data:`core.effects.OUTCOME_HORIZON`; 1: the next quarter alone).
    kpi_horizons
        The same for its KPI gains, tried in order: each KPI keeps the first horizon whose
        fit passes the cross-validation gate (:data:`core.effects.KPI_HORIZONS`).

    Attributes after ``fit``: ``gains_`` (the skill-gain model), ``kpi_gains_`` (the KPI
    model or None; ``kpi_gains_.active_`` the KPIs moved), ``response_``, ``fallback_``
    (True when no completed training could be learned from and the catalog's declared
    gains are used), ``untaken_`` (programs nobody completed), ``warnings_`` (messages,
    Spanish and English, also issued as :class:`RecommendWarning`).
    """

    def __init__(self, n_draws: int = 50, n_models: int = RESPONSE_MEMBERS,
                 response: str = "skills", kpi_channel: bool = True,
                 response_target: str = "now", kpi_smoothing: float = KPI_SMOOTH_WIDTH,
                 skill_smoothing: float = SKILL_SMOOTH_WIDTH,
                 outcome_horizon: int = OUTCOME_HORIZON,
                 kpi_horizons: Sequence[int] = KPI_HORIZONS, random_state: int = 0):
        self.n_draws = n_draws
        self.n_models = n_models
        self.response = response
        self.kpi_channel = kpi_channel
        self.response_target = response_target
        self.kpi_smoothing = kpi_smoothing
        self.skill_smoothing = skill_smoothing
        self.outcome_horizon = outcome_horizon
        self.kpi_horizons = kpi_horizons
        self.random_state = random_state

    def fit(self, history: History, ff: FeatureFrame,
            rating_model: RatingModel | None = None) -> CounterfactualRecommender:
        _check_inputs(history, ff)
        self.history_ = history
        self.ff_ = ff
        self.model_ = rating_model
        self.targets_ = role_targets(history)
        pnl = panel(history, ff, self.outcome_horizon)
        self.gains_ = SkillGainModel(self.n_draws, self.random_state).fit(history, ff, pnl)
        use_model = self.response == "model" and rating_model is not None
        self.kpi_gains_ = None
        if self.kpi_channel and not use_model and not self.gains_.fallback_:
            self.kpi_gains_ = KPIGainModel(self.n_draws, self.random_state,
                                           self.kpi_horizons).fit(history, ff, pnl)
        active = self.kpi_gains_.active_ if self.kpi_gains_ is not None else []
        if use_model:
            self.response_ = rating_model
        else:
            self.response_ = ResponseModel(self.n_models, kpis=active,
                                           target=self.response_target,
                                           random_state=self.random_state).fit(ff)
        self.fallback_ = bool(self.gains_.fallback_)
        self.warnings_: list[dict[str, str]] = []
        if self.fallback_ and self.gains_.declared_:
            self._warn("No hay capacitaciones completadas de las que aprender: se usa la "
                       "ganancia declarada en el catálogo para cada programa.",
                       "There are no completed trainings to learn from: each program's "
                       "declared gain from the catalog is used instead.")
        elif self.fallback_:
            self._warn("No hay capacitaciones completadas de las que aprender y el catálogo "
                       "no declara ganancias: se supone hasta medio nivel en cada habilidad "
                       "que trabaja cada programa.",
                       "There are no completed trainings to learn from and the catalog "
                       "declares no gains: each program is assumed to raise each skill it "
                       "trains by up to half a level.")
        elif self.gains_.untaken_:
            self._warn(**untaken_warning(self.gains_.untaken_, self.gains_.declared_))
        return self

    def _warn(self, es: str, en: str) -> None:
        self.warnings_.append({"es": es, "en": en})
        warnings.warn(en, RecommendWarning, stacklevel=3)

    @property
    def untaken_(self) -> list[str]:
        return list(self.gains_.untaken_)

    def _members(self) -> int:
        return len(getattr(self.response_, "models_", [None]))

    def _kpi_widths(self) -> dict[str, float]:
        """Moved KPI column -> width (KPI units) of the window its response is averaged
        over; empty when ``kpi_smoothing`` is 0 or the response is the performance model."""
        kg = self.kpi_gains_
        if kg is None or self.kpi_smoothing <= 0 or not isinstance(self.response_, ResponseModel):
            return {}
        used = set(self.response_.feature_names_)
        return {k: self.kpi_smoothing * kg.scale_[k][1] for k in kg.active_ if k in used}

    def _skill_width(self) -> float:
        """Width (levels) of the window over every skill; 0 when not smoothed."""
        if self.skill_smoothing <= 0 or not isinstance(self.response_, ResponseModel):
            return 0.0
        return float(self.skill_smoothing)

    def _jitter_skills(self, X: pd.DataFrame, delta: float) -> pd.DataFrame:
        """``X`` with every skill ``delta`` levels higher (at most 5) and each gap to the
        role's target (and ``gap_weighted``) recomputed."""
        out = X.copy()
        roles = _roles(X).to_numpy()
        tg = self.targets_.reindex(roles)
        shares = gap_shares(self.targets_, roles)
        for col in X.columns:
            if not col.startswith(SKILL_PREFIX) or col.endswith("_delta"):
                continue
            s = col.removeprefix(SKILL_PREFIX)
            v = np.minimum(X[col].to_numpy(dtype=float) + delta, SKILL_MAX)
            out[col] = v
            g = f"gap_{s}"
            if g in out and s in tg:
                t = tg[s].to_numpy(dtype=float)
                old = X[g].to_numpy(dtype=float)
                new = np.where(np.isnan(t), old, np.clip(t - v, 0.0, None))
                out[g] = new
                if "gap_weighted" in out:
                    out["gap_weighted"] = (out["gap_weighted"].to_numpy()
                                           + shares[s].to_numpy() * (new - old))
        return out

    def _window(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X`` once per offset of the window, stacked (``X`` itself without a window):
        every KPI of ``_kpi_widths`` and every skill offset together."""
        widths, sw = self._kpi_widths(), self._skill_width()
        if not widths and not sw:
            return X
        frames = []
        for u in np.linspace(-0.5, 0.5, WINDOW_POINTS):
            Xu = X.assign(**{c: X[c] + u * w for c, w in widths.items()})
            frames.append(self._jitter_skills(Xu, u * sw) if sw else Xu)
        return pd.concat(frames, ignore_index=True)

    def _predict_member(self, X: pd.DataFrame, k: int) -> np.ndarray:
        if isinstance(self.response_, ResponseModel):
            return self.response_.predict_member(X, k)
        return self.response_.predict(X)

    def _moved(self, X: pd.DataFrame, program_id: str, W: pd.DataFrame, gaps=None,
               rows: np.ndarray | None = None):
        """What ``program_id`` does to the rows ``X`` (only those at positions ``rows``,
        when given): its skill gains and KPI shifts (draw 0 is the estimate), the window
        ``W`` of ``X`` with the skills moved (None without skill gains) and with the KPIs
        moved too (None without KPI shifts), and ``rows``; None when it moves nothing."""
        if rows is not None:
            offsets = np.arange(len(W) // len(X))[:, None] * len(X)
            W = W.iloc[(offsets + rows[None, :]).ravel()]
            X = X.iloc[rows]
            gaps = None if gaps is None else {s: g[rows] for s, g in gaps.items()}
        gains = self.gains_.gains(X, program_id, gaps)
        kpi = self.kpi_gains_.shifts(X, program_id) if self.kpi_gains_ is not None else {}
        if isinstance(self.response_, ResponseModel):
            kpi = only_helpful(kpi, self.response_.kpi_directions_)
        if not gains and not kpi:
            return None
        reps = len(W) // len(X)
        skill_moved = shift_skills(W, {s: np.tile(g[0], reps) for s, g in gains.items()},
                                   self.targets_, _roles(W)) if gains else None
        kpi_moved = None
        if kpi:
            kpi_moved = (W if skill_moved is None else skill_moved).copy()
            for c, d in kpi.items():
                kpi_moved[c] = kpi_moved[c] + np.tile(d[0], reps)
        return gains, kpi, skill_moved, kpi_moved, rows

    def measured_kpi_effects(self, ff_now: FeatureFrame | None = None
                             ) -> dict[str, dict[str, float]]:
        """Program -> {KPI column: mean shift over today's people (KPI units)} for the KPIs
        past completers of that program clearly improved more than completers of any
        program did: its helpful shift (:func:`only_helpful`) and its own part beyond the
        shift shared by all programs are each at least :data:`KPI_EFFECT_MIN` robust
        spreads on average, the latter helpful in at least :data:`KPI_EFFECT_SURE` of the
        draws. For the plan's reasons ("improved the late arrivals figures of people who
        took it"), not for ranking."""
        kg = self.kpi_gains_
        if kg is None or not kg.active_ or not isinstance(self.response_, ResponseModel):
            return {}
        ff = ff_now if ff_now is not None else self.ff_
        X = impute_current(ff.X.loc[latest_rows(ff)])
        directions = self.response_.kpi_directions_
        shared = kg.shifts(X, "")  # no program's own part: what any training did
        out: dict[str, dict[str, float]] = {}
        for pid in kg.programs_:
            for k, d in only_helpful(kg.shifts(X, pid), directions).items():
                sign = directions.get(k, 0)
                measured = X[k].notna().to_numpy()
                if not sign or not measured.any():
                    continue
                total = d[:, measured].mean(axis=1)  # per draw
                own = sign * (total - shared[k][:, measured].mean(axis=1))
                least = KPI_EFFECT_MIN * kg.scale_[k][1]
                if (sign * total[0] >= least and own[0] >= least
                        and (own[1:] > 0).mean() >= KPI_EFFECT_SURE):
                    out.setdefault(str(pid), {})[k] = float(total[0])
        return out

    def _member_effects(self, W: pd.DataFrame, n: int, k: int, moves: dict) -> dict:
        """Member ``k``'s effect of each moved program through its skills and through its
        KPIs: program -> (skill part or None, KPI part or None). Their sum is the
        difference averaged over the window ``W`` (``n`` rows per offset); how much of it
        is the skills', which only the interval needs apart, is taken at today's values.

        A tree ensemble is a step function: a shift that crosses none of its split points
        changes nothing, one that crosses one changes everything, so whom a program seemed
        to help was mostly who sat just beside a split. So the difference is averaged over
        :data:`WINDOW_POINTS` evenly spaced offsets of every moved KPI (across
        ``kpi_smoothing`` robust spreads) and of every skill together (across
        ``skill_smoothing`` levels, gaps recomputed), the same offsets with and without the
        program. A linear version (the shift times the window's slope around the person's
        value, two predictions per KPI) was cheaper but ranked worse than no window at all:
        the slope around today's value is not the slope along the path the shift takes.
        """
        def at(frame, m):
            return self._predict_member(frame, k).reshape(-1, m)

        around = at(W, n)
        mid = len(around) // 2
        out = {}
        for pid, (_gains, _kpi, skill_moved, kpi_moved, rows) in moves.items():
            base = around if rows is None else around[:, rows]
            m = base.shape[1]
            moved = kpi_moved if kpi_moved is not None else skill_moved
            total = (at(moved, m) - base).mean(axis=0)
            if skill_moved is None or kpi_moved is None:
                out[pid] = (total, None) if kpi_moved is None else (None, total)
                continue
            # how much is the skills' own (for the interval, whose draws scale each channel
            # apart): at today's values, the window's middle offset, one prediction
            skill = self._predict_member(skill_moved.iloc[mid * m:(mid + 1) * m], k) - base[mid]
            out[pid] = (skill, total - skill)
        return out

    def _response_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """The columns the response model and the moves need (a window repeats them)."""
        if not isinstance(self.response_, ResponseModel):
            return X
        keep = list(dict.fromkeys([*self.response_.feature_names_, "job_role"]))
        return X[[c for c in keep if c in X]]

    def effects(self, ff_now: FeatureFrame | None = None,
                pairs: pd.DataFrame | None = None) -> pd.DataFrame:
        """Every current employee x program: expected_gain, low, high (rating points); only
        the (employee_id, program_id) ``pairs`` when given (e.g. those a plan may hold)."""
        ff = ff_now if ff_now is not None else self.ff_
        rows = _wanted(latest_rows(ff), ff, pairs)
        if not len(rows):
            return _no_effects()
        raw = ff.X.loc[rows]
        X = impute_current(raw)
        ids = ff.keys.loc[rows, "employee_id"].astype(str).to_numpy()
        missing = _own_missing_share(raw)
        M = self._members()
        gaps = self.gains_.expected_gaps(X)
        programs = list(self.gains_.program_skills_)
        subsets = _subsets(ids, programs, pairs)

        # Every program's moved frames first (no model is called), then each response
        # member predicts all of them on its own thread: a LightGBM booster must not be
        # called from two threads at once (LightGBM issue #6142, a data race that can crash
        # the process).
        W = self._window(self._response_frame(X))
        moves = {pid: m for pid in programs if pid not in subsets or len(subsets[pid])
                 if (m := self._moved(X, pid, W, gaps, subsets.get(pid))) is not None}

        per_member = run_parallel([(lambda k=k: self._member_effects(W, len(X), k, moves))
                                   for k in range(M)])
        frames = []
        members = np.arange(1, self.n_draws) % M
        for pid in programs:
            at = subsets.get(pid, slice(None))
            n = len(ids[at])
            if pid not in moves:
                if n:
                    zero = np.zeros(n)
                    frames.append(_frame(ids[at], pid, zero, zero, zero, missing[at]))
                continue
            gains, kpi, _skill_moved, _kpi_moved, _rows = moves[pid]
            skill_part, kpi_part = (
                np.array([pm[pid][i] for pm in per_member]) if per_member[0][pid][i] is not None
                else np.zeros((M, n)) for i in (0, 1))
            point = (skill_part + kpi_part).mean(axis=0)
            # draws: a response member's effect, each channel scaled by how much more (or
            # less) a draw of its fit moves the person than the estimate does
            draws = np.zeros((len(members), n))
            if gains:
                draws += skill_part[members] * _ratio(sum(gains.values()))
            if kpi:
                std = sum(d / self.kpi_gains_.scale_[k][1] for k, d in kpi.items())
                draws += kpi_part[members] * _ratio(std)
            lo, hi = _interval(point, draws)
            frames.append(_frame(ids[at], pid, point, lo, hi, missing[at]))
        return pd.concat(frames, ignore_index=True) if frames else _no_effects()


# --------------------------------------------------------------------------------------------
# Learned uplift: R-learner with LightGBM nuisances
# --------------------------------------------------------------------------------------------

OUTCOME_PARAMS = {"objective": "regression", "learning_rate": 0.05, "num_leaves": 15,
                  "min_data_in_leaf": 40, "max_bin": 63, "lambda_l2": 5.0,
                  "feature_fraction": 0.8, "verbose": -1, "num_threads": lgb_safe.THREADS,
                  "min_data_per_group": 20, "cat_smooth": 5.0}
OUTCOME_ROUNDS = 200
PROPENSITY_PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 7,
                     "min_data_in_leaf": 40, "max_bin": 63, "lambda_l2": 5.0,
                     "verbose": -1, "num_threads": lgb_safe.THREADS, "min_data_per_group": 20,
                     "cat_smooth": 10.0}
PROPENSITY_ROUNDS = 150
PROPENSITY_FLOOR = 1e-3
UPLIFT_RIDGE_POOL = 1.0
UPLIFT_RIDGE_PROGRAM = 30.0
UPLIFT_RIDGE_DECLARED = 30.0
UPLIFT_RIDGE_SKILL = 30.0
UPLIFT_RIDGE_KPI = 100.0
UPLIFT_SCALES = (0.3, 1.0, 3.0, 10.0, 30.0)
# The counterfactual's share of the blend. Never one estimator alone: they err in different
# places and a mix ranked better than either alone on most organizations tried. Over nine
# organizations of the development generator (core/synthetic.py, 300 to 5,000 people) a
# fixed share beat the one a held-out fit picked (860.8 against 850.9 points of policy value
# in all); since gains are measured over two quarters and KPIs keep their direction, the
# counterfactual ranks better, and on ten of them (300 to 2,000 people) 0.9 scored 973.4
# against 969.4 for 0.75 and 972.5 for the counterfactual alone. The share is fixed: until
# 2026-11-28 another (0.25 to 0.75) replaced it where it explained past completers' rating
# changes better in 95% of employee resamples (the R-learner's loss). On 23 organizations
# (benchmarks/alt_org.py of both shapes and three KPI forms, and the development generator)
# that fired once, moving to 0.25 and losing 15.8 points (73.0 -> 57.2%); on nine where
# every share was scored, the loss preferred a lower share on eight, and on all eight that
# share ranked worse than 0.9 (by 0.7 to 15.8 points), while 0.9 was best or within 1.3 of
# the best (1.0) on all nine.
BLEND_DEFAULT = 0.9


class UpliftRecommender:
    """R-learner of each program's effect on the next-quarter rating change.

    Outcome: rating at t+1 minus rating at t; treatment: the program completed in t.
    Nuisances, cross-fitted over employees (``n_folds``): ``m(x)``, the expected outcome
    given the features (LightGBM), and the propensity of each program, ``e_p(x)`` = the
    probability of completing any program (LightGBM, binary) times the probability of this
    one given some (multinomial logistic regression). What is left of the outcome,
    ``y - m(x)``, is regressed on ``sum_p (T_p - e_p(x)) * tau_p(x)`` with
    ``tau_p(x) = theta_p . z_p(x)``: ``z_p`` a piecewise-linear basis of the gaps of the
    skills ``p`` targets (and scaled by its declared gain), ``theta_p`` a pooled part plus
    a ridge-shrunk deviation per program. Residualising on the propensity removes the
    confounding of who was sent (managers send weaker performers; their ratings bounce back
    anyway); one-hot program columns keep thinly attended programs from being shrunk to
    zero. Intervals: draws from the final stage's sampling distribution (a sandwich covariance
    clustered by employee); they leave out the nuisances' own uncertainty and are narrow.

    ``skill_terms`` / ``kpi_terms`` add per-skill curves and program x KPI terms (each KPI's
    standardised level and whether it is measured: a KPI that does not apply to a person's
    role cannot move) to ``z_p``: ``True``, ``False`` or ``"auto"``, the design with the
    least R-loss in cross-validation over employees (``terms_``; ``terms_errors_`` the
    errors). KPI terms are ``"auto"`` by default (chosen on KPI-driven organizations, not on
    the skill-driven ones), skill terms off (no gain on the benchmark, more variance).
    """

    def __init__(self, n_draws: int = 50, n_folds: int = 3, skill_terms: bool | str = False,
                 kpi_terms: bool | str = "auto", random_state: int = 0):
        self.n_draws = n_draws
        self.skill_terms = skill_terms
        self.kpi_terms = kpi_terms
        self.n_folds = n_folds
        self.random_state = random_state

    def _layout(self, programs: list[str], skills: list[str], kpis: list[str]) -> None:
        """Column blocks of the effect design and their ridge penalties."""
        nb = N_BASIS
        self.blocks_: dict[tuple, int] = {}
        pen: list[float] = []
        dev: list[bool] = []

        def add(key, width, penalty, is_dev):
            self.blocks_[key] = len(pen)
            pen.extend([penalty] * width)
            dev.extend([is_dev] * width)

        add(("pool",), nb, UPLIFT_RIDGE_POOL, False)
        add(("declared",), nb, UPLIFT_RIDGE_DECLARED, True)
        for p in programs:
            add(("program", p), nb, UPLIFT_RIDGE_PROGRAM, True)
        if self.terms_[0]:
            for sk in skills:
                add(("skill", sk), nb, UPLIFT_RIDGE_SKILL, True)
        if self.terms_[1] and kpis:
            for p in programs:
                add(("kpi", p), 2 * len(kpis), UPLIFT_RIDGE_KPI, True)
        self.n_coef_ = len(pen)
        self.penalty_base_ = np.array(pen)
        self.penalty_base_[0] = 1e-3
        self.is_dev_ = np.array(dev)

    def _z(self, X: pd.DataFrame, program: str) -> np.ndarray:
        """Effect modifiers of ``program`` for the rows of ``X`` (n, n_coef)."""
        nb = N_BASIS
        out = np.zeros((len(X), self.n_coef_))
        B = np.zeros((len(X), nb))
        for sk in self.program_skills_.get(program, []):
            col = f"gap_{sk}"
            g = X[col].to_numpy(dtype=float) if col in X else np.zeros(len(X))
            Bs = gap_basis(g)
            B += Bs
            o = self.blocks_.get(("skill", sk))
            if o is not None:
                out[:, o:o + nb] = Bs
        B[:, 0] = 1.0
        o = self.blocks_[("pool",)]
        out[:, o:o + nb] = B
        o = self.blocks_[("declared",)]
        out[:, o:o + nb] = B * self.declared_scaled_.get(program, 0.0)
        o = self.blocks_.get(("program", program))
        if o is not None:
            out[:, o:o + nb] = B
        o = self.blocks_.get(("kpi", program))
        if o is not None:
            out[:, o:o + 2 * len(self.kpis_)] = self._kpi_z(X)
        return out

    def _kpi_z(self, X: pd.DataFrame) -> np.ndarray:
        cols, measured = [], []
        for k in self.kpis_:
            center, scale = self.kpi_scale_[k]
            v = X[k].to_numpy(dtype=float) if k in X else np.full(len(X), np.nan)
            cols.append(np.nan_to_num(np.clip((v - center) / scale, -3, 3), nan=0.0))
            measured.append((~np.isnan(v)).astype(float))
        return np.column_stack(cols + measured) if cols else np.zeros((len(X), 0))

    def fit(self, history: History, ff: FeatureFrame,
            rating_model: RatingModel | None = None) -> UpliftRecommender:
        _check_inputs(history, ff)
        if completed_records(history).empty:
            raise RecommendError(
                "No hay capacitaciones completadas: el efecto aprendido (uplift) necesita "
                "historial de capacitación. Use el estimador contrafactual, que recurre a la "
                "ganancia declarada en el catálogo.",
                "There are no completed trainings: the learned uplift needs a training "
                "history. Use the counterfactual estimator, which falls back to the "
                "catalog's declared gains.")
        self.history_ = history
        self.ff_ = ff
        self.model_ = rating_model
        self.program_skills_ = program_skills(history)
        decl = declared_gains(history)
        dvals = np.array([v for v in decl.values() if v > 0])
        dmean = float(dvals.mean()) if len(dvals) else 1.0
        self.declared_scaled_ = {p: v / dmean - 1.0 for p, v in decl.items()}
        programs = sorted(self.program_skills_)
        self.program_index_ = {p: i for i, p in enumerate(programs)}
        self.kpis_ = kpi_columns(ff.X.columns)
        self.kpi_scale_ = {}
        for k in self.kpis_:
            v = ff.X[k].astype(float)
            q1, med, q3 = v.quantile([0.25, 0.5, 0.75])
            spread = (q3 - q1) / 1.349 if q3 > q1 else (v.std() or 1.0)
            self.kpi_scale_[k] = (float(med) if pd.notna(med) else 0.0,
                                  float(spread) if pd.notna(spread) and spread > 0 else 1.0)
        skills = sorted({sk for p in programs for sk in self.program_skills_[p]})

        pnl = panel(history, ff)
        y = pnl.rating_change
        treated = pnl.treated
        # unclear treatment (enrolled or dropped, nothing completed): left out
        ok = ~np.isnan(y) & ~(pnl.any_record & ~treated)
        idx = np.flatnonzero(ok)
        X = pnl.X.iloc[idx]
        y = y[idx]
        treated = treated[idx]
        T = [pnl.treatments[i] for i in idx]
        emp = pnl.employee_id[idx]
        cat = [c for c in ff.categorical if c in X.columns]
        folds = employee_folds(emp, self.n_folds, self.random_state)
        self.n_treated_ = {p: int(sum(p in t for t in T)) for p in programs}
        self.untaken_ = sorted(p for p, n in self.n_treated_.items() if n == 0)

        def nuisance(f: int):
            tr, te = folds != f, folds == f
            out = lgb.train({**OUTCOME_PARAMS, "seed": self.random_state + f},
                            lgb.Dataset(X[tr], y[tr], categorical_feature=cat),
                            num_boost_round=OUTCOME_ROUNDS)
            prop = lgb.train({**PROPENSITY_PARAMS, "seed": self.random_state + f},
                             lgb.Dataset(X[tr], treated[tr].astype(float),
                                         categorical_feature=cat),
                             num_boost_round=PROPENSITY_ROUNDS)
            return te, lgb_safe.predict(out, X[te]), lgb_safe.predict(prop, X[te])

        m = np.zeros(len(y))
        e_any = np.zeros(len(y))
        for te, mo, pr in run_parallel([(lambda f=f: nuisance(f))
                                        for f in range(self.n_folds)]):
            m[te], e_any[te] = mo, pr
        share = self._program_shares(X, T, folds, programs, cat)
        e = np.clip(share * e_any[:, None], PROPENSITY_FLOOR, None)
        self.propensity_summary_ = {"min": float(e.min()), "mean_any": float(e_any.mean())}

        resid = y - m
        took = {p: np.array([p in t for t in T], dtype=float) for p in programs}

        def design(terms: tuple[bool, bool]):
            self.terms_ = terms
            self._layout(programs, skills, self.kpis_)
            D = np.zeros((len(y), self.n_coef_))
            for p in programs:
                D += (took[p] - e[:, self.program_index_[p]])[:, None] * self._z(X, p)
            scale, err = choose_ridge_scale(D, resid, emp, self.penalty_base_, self.is_dev_,
                                            self.random_state, UPLIFT_SCALES,
                                            return_error=True)
            return D, scale, err

        # the effect modifiers: the fixed choice, or the candidate with the least
        # cross-validated R-loss
        skill_opts = (False, True) if self.skill_terms == "auto" else (bool(self.skill_terms),)
        kpi_opts = (False, True) if self.kpi_terms == "auto" else (bool(self.kpi_terms),)
        cands = [(a, b) for a in skill_opts for b in kpi_opts]
        self.terms_errors_ = {}
        best = None
        for terms in cands:
            D, scale, err = design(terms)
            self.terms_errors_[terms] = err
            if best is None or err < best[2] - 1e-9:
                best = (terms, scale, err)
        if self.terms_ != best[0]:
            D, _scale, _err = design(best[0])
        self.ridge_scale_ = best[1]
        pen = np.where(self.is_dev_, self.penalty_base_ * self.ridge_scale_,
                       self.penalty_base_)
        self.coef_ = ridge_draws(D, resid, emp, pen, self.n_draws, self.random_state)
        self.warnings_ = []
        if self.untaken_:
            self.warnings_.append(untaken_warning(self.untaken_, self.declared_scaled_))
        return self

    def _program_shares(self, X, T, folds, programs, cat) -> np.ndarray:
        """P(program | some program completed, x): multinomial logistic, cross-fitted."""
        P = np.zeros((len(X), len(programs)))
        first = np.array([self.program_index_.get(t[0], -1) if t else -1 for t in T])
        has = first >= 0
        counts = np.bincount(first[has], minlength=len(programs)).astype(float)
        prior = (counts + 0.5) / (counts.sum() + 0.5 * len(programs))
        P[:] = prior
        if len(np.unique(first[has])) < 2:
            return P
        num = [c for c in X.columns if c.startswith("gap_") or c in ("rating", "rating_delta")]
        Z = X[num].to_numpy(dtype=float)
        mu = np.nanmean(Z, axis=0)
        sd = np.nanstd(Z, axis=0)
        Z = np.nan_to_num((Z - np.nan_to_num(mu)) / np.where(sd > 0, sd, 1.0))
        for f in np.unique(folds):
            tr = (folds != f) & has
            te = folds == f
            if len(np.unique(first[tr])) < 2:
                continue
            lr = LogisticRegression(C=0.1, max_iter=300).fit(Z[tr], first[tr])
            cols = lr.classes_
            # programs unseen in this fold keep their prior share; renormalise
            p = np.zeros((te.sum(), len(programs)))
            p[:, cols] = lr.predict_proba(Z[te]) * prior[cols].sum()
            rest = np.setdiff1d(np.arange(len(programs)), cols)
            p[:, rest] = prior[rest]
            P[te] = p / p.sum(axis=1, keepdims=True)
        return P

    def effects(self, ff_now: FeatureFrame | None = None,
                pairs: pd.DataFrame | None = None) -> pd.DataFrame:
        """Every current employee x program: expected_gain, low, high (rating points); only
        the (employee_id, program_id) ``pairs`` when given."""
        ff = ff_now if ff_now is not None else self.ff_
        rows = _wanted(latest_rows(ff), ff, pairs)
        if not len(rows):
            return _no_effects()
        raw = ff.X.loc[rows]
        X = impute_current(raw)
        ids = ff.keys.loc[rows, "employee_id"].astype(str).to_numpy()
        missing = _own_missing_share(raw)
        subsets = _subsets(ids, list(self.program_index_), pairs)
        frames = []
        for p in self.program_index_:
            at = subsets.get(p, slice(None))
            eff = self.coef_ @ self._z(X.iloc[at], p).T
            lo, hi = _interval(eff[0], eff)
            frames.append(_frame(ids[at], p, eff[0], lo, hi, missing[at]))
        return pd.concat(frames, ignore_index=True)


class BlendRecommender:
    """The weighted mean of both estimators' effects (and of their interval ends).

    ``weight`` is the counterfactual's share, by default :data:`BLEND_DEFAULT`; ``weight_``
    the share used: the counterfactual alone where the uplift learner cannot be fitted (no
    completed training).
    """

    def __init__(self, weight: float | None = None, n_draws: int = 50,
                 random_state: int = 0):
        self.weight = weight
        self.n_draws = n_draws
        self.random_state = random_state

    def fit(self, history: History, ff: FeatureFrame,
            rating_model: RatingModel | None = None) -> BlendRecommender:
        self.cf_ = CounterfactualRecommender(n_draws=self.n_draws,
                                             random_state=self.random_state).fit(
            history, ff, rating_model)
        try:
            self.up_ = UpliftRecommender(n_draws=self.n_draws,
                                         random_state=self.random_state).fit(
                history, ff, rating_model)
        except RecommendError:
            self.up_ = None
        self.warnings_ = list(self.cf_.warnings_)
        self._set_weight()
        return self

    @classmethod
    def from_fitted(cls, cf: CounterfactualRecommender, up: UpliftRecommender | None,
                    weight: float | None = None) -> BlendRecommender:
        """A blend of two estimators fitted already."""
        out = cls(weight=weight)
        out.cf_, out.up_ = cf, up
        out.warnings_ = list(cf.warnings_)
        out._set_weight()
        return out

    def _set_weight(self) -> None:
        if self.up_ is None:
            self.weight_ = 1.0
        else:
            self.weight_ = BLEND_DEFAULT if self.weight is None else float(self.weight)

    @property
    def untaken_(self) -> list[str]:
        return self.cf_.untaken_

    def measured_kpi_effects(self, ff_now: FeatureFrame | None = None
                             ) -> dict[str, dict[str, float]]:
        """The counterfactual's :meth:`CounterfactualRecommender.measured_kpi_effects`."""
        return self.cf_.measured_kpi_effects(ff_now)

    def effects(self, ff_now: FeatureFrame | None = None,
                pairs: pd.DataFrame | None = None) -> pd.DataFrame:
        """Every current employee x program: expected_gain, low, high (rating points); only
        the (employee_id, program_id) ``pairs`` when given."""
        a = self.cf_.effects(ff_now, pairs)
        if self.up_ is None:
            return a
        b = self.up_.effects(ff_now, pairs)
        m = a.merge(b, on=["employee_id", "program_id"], how="left", suffixes=("", "_u"))
        w = self.weight_
        for c in ("expected_gain", "low", "high"):
            m[c] = w * m[c] + (1 - w) * m[f"{c}_u"].fillna(m[c])
        return m[a.columns]


ESTIMATORS = {"counterfactual": CounterfactualRecommender, "uplift": UpliftRecommender,
              "blend": BlendRecommender}
DEFAULT_ESTIMATOR = "blend"


# --------------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------------


def _prerequisites(history: History) -> dict[str, list[str]]:
    progs = history.programs
    col = progs["prerequisites"] if "prerequisites" in progs else pd.Series(
        None, index=progs.index)
    out = {}
    for p, v in zip(progs["program_id"].astype(str), col, strict=True):
        out[p] = [x.strip() for x in str(v).split(";")
                  if pd.notna(v) and x.strip() and x.strip().lower() != "nan"]
    return out


def completed_programs(history: History) -> dict[str, set[str]]:
    done: dict[str, set[str]] = {}
    for e, p in completed_records(history)[["employee_id", "program_id"]].itertuples(
            index=False):
        done.setdefault(e, set()).add(p)
    return done


def in_progress_programs(history: History) -> dict[str, set[str]]:
    """Programs a person is enrolled in during the latest quarter of the records."""
    trs = history.training_records
    out: dict[str, set[str]] = {}
    if trs is None or trs.empty or "status" not in trs:
        return out
    pk = trs["period"].astype(str).map(period_key)
    now = trs[(trs["status"].astype(str).str.lower() == "enrolled") & (pk == pk.max())]
    for e, p in zip(now["employee_id"].astype(str), now["program_id"].astype(str),
                    strict=True):
        out.setdefault(e, set()).add(p)
    return out


def untaken_warning(programs: Sequence[str], declared: Collection[str]) -> dict[str, str]:
    """The es/en warning that nobody completed ``programs``, in the singular or plural,
    naming the declared gain only where the catalog gives one (``declared``: program ids
    with a declared gain)."""
    if len(programs) == 1:
        es = f"Nadie completó {programs[0]}: su efecto se estima con el de los demás programas"
        en = f"Nobody completed {programs[0]}: its effect is estimated from the other programs"
        gain = (" y su ganancia declarada", " and its declared gain")
    else:
        head, last = ", ".join(programs[:-1]), programs[-1]
        es = (f"Nadie completó {head} ni {last}: sus efectos se estiman con los de los "
              "demás programas")
        en = (f"Nobody completed {head} or {last}: their effects are estimated from the "
              "other programs")
        gain = (" y sus ganancias declaradas", " and their declared gains")
    if not any(p in declared for p in programs):
        gain = ("", "")
    return {"es": f"{es}{gain[0]}.", "en": f"{en}{gain[1]}."}


def eligible_pairs(history: History, employees=None,
                   exclude: dict[str, set[str]] | None = None) -> pd.DataFrame:
    """(employee_id, program_id) a plan may hold: not completed, not in progress,
    prerequisites completed, not declined by the person (``exclude``)."""
    if employees is None:
        employees = history.employees["employee_id"]
    prereq = _prerequisites(history)
    done = completed_programs(history)
    busy = in_progress_programs(history)
    exclude = exclude or {}
    out = []
    for e in pd.unique(pd.Series(employees).astype(str)):
        d = done.get(e, set())
        x = {str(p) for p in exclude.get(e, ())} | busy.get(e, set())
        out.extend((e, p) for p, req in prereq.items()
                   if p not in d and p not in x and all(q in d for q in req))
    return pd.DataFrame(out, columns=["employee_id", "program_id"])


def _within_budget(gain: np.ndarray, cost: np.ndarray, hours: np.ndarray, top_k: int,
                   budget_pen: float | None, budget_hours: float | None) -> list[int]:
    """Positions (into one employee's candidates, sorted by gain) of the plan within the
    budgets: the better of two greedy fills - by gain, and by gain per unit of the budget
    the program uses most of - by total expected gain."""
    share = np.zeros(len(gain))
    if budget_pen is not None:
        share = np.maximum(share, cost / max(budget_pen, 1e-9))
    if budget_hours is not None:
        share = np.maximum(share, hours / max(budget_hours, 1e-9))

    def fill(order) -> list[int]:
        spent_pen = spent_hours = 0.0
        take: list[int] = []
        for i in order:
            if len(take) == top_k:
                break
            if budget_pen is not None and spent_pen + cost[i] > budget_pen + 1e-9:
                continue
            if budget_hours is not None and spent_hours + hours[i] > budget_hours + 1e-9:
                continue
            take.append(int(i))
            spent_pen += cost[i]
            spent_hours += hours[i]
        return take

    by_gain = fill(range(len(gain)))
    value = np.maximum(gain, 0.0)
    ratio = np.where(share > 0, value / np.maximum(share, 1e-12), np.inf)
    by_ratio = fill(np.lexsort((np.arange(len(gain)), -gain, -ratio)))
    best = max((by_gain, by_ratio), key=lambda t: (value[t].sum(), -len(t)))
    return sorted(best)


def recommend(effects: pd.DataFrame, history: History, *, top_k: int = 3,
              budget_pen: float | None = None, budget_hours: float | None = None,
              exclude: dict[str, set[str]] | None = None) -> pd.DataFrame:
    """Each employee's ranked plan: programs not completed and not in progress, whose
    prerequisites were completed, not declined (``exclude``: employee -> program ids),
    within the budgets.

    Ranked by expected gain; ties broken by gain per PEN, then per hour. ``budget_pen`` and
    ``budget_hours`` are per employee: the plan is the best of filling by gain and filling
    by gain per unit of the budget. ``low_confidence`` marks a plan built on mostly missing
    data (over half of the person's own measurements) or whose 80% interval is wider than
    twice the gain.
    """
    if effects is None or effects.empty:
        return pd.DataFrame(columns=PLAN_COLUMNS)
    e = effects.copy()
    e["employee_id"] = e["employee_id"].astype(str)
    e["program_id"] = e["program_id"].astype(str)
    progs = history.programs.assign(program_id=history.programs["program_id"].astype(str)
                                    ).set_index("program_id")
    for col in ("cost_pen", "hours"):
        vals = pd.to_numeric(progs[col], errors="coerce") if col in progs else pd.Series(
            np.nan, index=progs.index)
        e[col] = e["program_id"].map(vals).astype(float)
    allowed = eligible_pairs(history, e["employee_id"], exclude)
    e = e.merge(allowed, on=["employee_id", "program_id"])
    e["_per_pen"] = e["expected_gain"] / e["cost_pen"].where(e["cost_pen"] > 0)
    e["_per_hour"] = e["expected_gain"] / e["hours"].where(e["hours"] > 0)
    e = e.sort_values(["employee_id", "expected_gain", "_per_pen", "_per_hour", "program_id"],
                      ascending=[True, False, False, False, True], na_position="last")
    if budget_pen is None and budget_hours is None:
        e = e.groupby("employee_id", sort=False).head(top_k)
    elif len(e):
        e = e.reset_index(drop=True)
        gain = e["expected_gain"].to_numpy(dtype=float)
        cost = e["cost_pen"].fillna(0.0).to_numpy(dtype=float)
        hours = e["hours"].fillna(0.0).to_numpy(dtype=float)
        emp = e["employee_id"].to_numpy()
        starts = np.flatnonzero(np.r_[True, emp[1:] != emp[:-1]])
        ends = np.r_[starts[1:], len(e)]
        keep: list[int] = []
        for a, b in zip(starts, ends, strict=True):
            keep.extend(a + i for i in _within_budget(gain[a:b], cost[a:b], hours[a:b], top_k,
                                                      budget_pen, budget_hours))
        e = e.iloc[keep]
    e = e.sort_values(["employee_id", "expected_gain", "_per_pen", "_per_hour", "program_id"],
                      ascending=[True, False, False, False, True], na_position="last")
    e["rank"] = e.groupby("employee_id").cumcount() + 1
    width = (e["high"] - e["low"]).to_numpy(dtype=float)
    gain = e["expected_gain"].abs().to_numpy(dtype=float)
    wide = width > WIDE_INTERVAL * np.maximum(gain, MIN_WIDTH)
    missing = (e["missing_share"].to_numpy(dtype=float) > MISSING_LOW_CONFIDENCE
               if "missing_share" in e else np.zeros(len(e), dtype=bool))
    e["low_confidence"] = wide | missing
    return e[PLAN_COLUMNS].reset_index(drop=True)


def estimator_class(name=None):
    """The estimator class by name (``"counterfactual"`` / ``"uplift"``, or a class), by
    default :data:`DEFAULT_ESTIMATOR`."""
    choice = name or DEFAULT_ESTIMATOR
    if callable(choice):  # a class (or a factory of one)
        return choice
    text = str(choice).lower()
    return next((c for k, c in ESTIMATORS.items() if k in text), CounterfactualRecommender)


def build_plans(history: History, ff: FeatureFrame, model: RatingModel | None = None, *,
                estimator=None, top_k: int = 3, employee_id: str | None = None,
                exclude: dict[str, set[str]] | None = None, **budget
                ) -> tuple[pd.DataFrame, object]:
    """Everyone's ranked plan (or one person's) the way the app and the CLI make it: the
    estimator (default :data:`DEFAULT_ESTIMATOR`) fitted on the history, its effects on the
    programs a plan may hold (:func:`eligible_pairs`; the others' would be thrown away),
    then :func:`recommend`. Returns the plans and the fitted estimator. The benchmark
    scores exactly this."""
    rec = estimator_class(estimator)().fit(history, ff, model)
    emps = ff.keys.loc[latest_rows(ff), "employee_id"].astype(str)
    if employee_id is not None:
        emps = emps[emps == str(employee_id)]
    effects = rec.effects(pairs=eligible_pairs(history, emps, exclude))
    return recommend(effects, history, top_k=top_k, exclude=exclude, **budget), rec


# --------------------------------------------------------------------------------------------
# Scoring against a ground truth
# --------------------------------------------------------------------------------------------


def policy_value(recs: pd.DataFrame, ground_truth: pd.DataFrame, *,
                 eligible: pd.DataFrame | None = None, k: int = 3) -> dict:
    """How good the plans are, given the true gain of every (employee, program).

    ``pct_oracle``: mean true gain of each employee's rank-1 program as a % of the mean of
    each employee's best program (an employee of the ground truth without a plan scores 0).
    The oracle chooses among all programs or, given ``eligible`` pairs (e.g.
    :func:`eligible_pairs`), among those a plan could hold; ``pct_oracle_all`` always uses
    all programs. ``precision_at_3``: share of each employee's true top k (among the same
    programs) found in the plan's top k.
    """
    gt_all = ground_truth[["employee_id", "program_id", "true_gain"]].copy()
    gt_all["employee_id"] = gt_all["employee_id"].astype(str)
    gt_all["program_id"] = gt_all["program_id"].astype(str)
    r = recs[["employee_id", "program_id", "rank"]].copy()
    r["employee_id"] = r["employee_id"].astype(str)
    r["program_id"] = r["program_id"].astype(str)
    gt = gt_all
    if eligible is not None:
        gt = gt_all.merge(eligible[["employee_id", "program_id"]].astype(str),
                          on=["employee_id", "program_id"])
    emps = pd.Index(gt["employee_id"].unique())
    top1 = r[r["rank"] == 1].drop_duplicates("employee_id").merge(
        gt_all, on=["employee_id", "program_id"], how="left").set_index("employee_id")
    value = top1["true_gain"].reindex(emps).fillna(0.0)
    oracle = gt.groupby("employee_id")["true_gain"].max().reindex(emps)
    oracle_all = gt_all.groupby("employee_id")["true_gain"].max().reindex(emps)
    true_k = gt.sort_values(["employee_id", "true_gain"], ascending=[True, False]).groupby(
        "employee_id").head(k)
    hits = true_k.merge(r[r["rank"] <= k], on=["employee_id", "program_id"])
    denom = true_k.groupby("employee_id").size().reindex(emps).clip(upper=k)
    prec = (hits.groupby("employee_id").size().reindex(emps).fillna(0) / denom).mean()
    om, oa, v = float(oracle.mean()), float(oracle_all.mean()), float(value.mean())
    return {"value": v, "oracle": om,
            "pct_oracle": 100.0 * v / om if om > 0 else 0.0,
            "pct_oracle_all": 100.0 * v / oa if oa > 0 else 0.0,
            "precision_at_3": float(prec) if len(emps) else 0.0,
            "oracle_over": "eligible" if eligible is not None else "all",
            "employees": len(emps)}
