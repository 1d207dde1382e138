"""Baselines the recommender must beat, and the seed recipe it replaces.

Every policy here returns recommendations in the shape of :func:`core.recommend.recommend`
(``employee_id, program_id, rank``, rank 1 = best) for the employees of the latest quarter,
over the same eligible programs (not completed, not in progress, prerequisites completed), so
the benchmark scores them all with the same ``policy_value``.

* :func:`random_policy` - a seeded random order of the eligible programs;
* :func:`popular_policy` - the programs most often completed in the history;
* :func:`lowest_skill_policy` - the programs that target the employee's weakest current skill;
* :class:`SeedRecipe` + :func:`seed_recommend` - the project's starting point: scikit-learn
  RandomForest / GradientBoosting in a ``Pipeline`` (median imputation and standard scaling of
  the numbers, one-hot categories), predicting the low-rating class; its programs are ranked
  the counterfactual way (raise the skills a program targets, compare the predictions).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from core.contract import SKILL_PREFIX, period_key
from core.features import FeatureFrame, History, role_targets, shift_skills

__all__ = [
    "SEED_KINDS",
    "SeedRecipe",
    "best_f1_threshold",
    "binary_metrics",
    "catalog_gains",
    "current_rows",
    "eligible_programs",
    "historical_gains",
    "lowest_skill_policy",
    "popular_policy",
    "random_policy",
    "seed_recommend",
]

SEED_KINDS = ("rf", "gb")
_OUT_COLUMNS = ["employee_id", "program_id", "rank"]


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def current_rows(ff: FeatureFrame) -> np.ndarray:
    """Positions of the rows of the latest quarter (the one the plans are made in)."""
    pk = ff.keys["period"].map(period_key).to_numpy()
    return np.flatnonzero(pk == pk.max())


def _split_list(value) -> list[str]:
    if not isinstance(value, str):
        return []
    return [v.strip() for v in value.split(";") if v.strip() and v.strip().lower() != "nan"]


def eligible_programs(history: History, employees: list[str] | pd.Index) -> pd.DataFrame:
    """``employee_id, program_id`` pairs a plan may contain: the same rule as our plans
    (:func:`core.recommend.eligible_pairs`) - not completed, not enrolled in now, each
    prerequisite completed."""
    from core.recommend import eligible_pairs

    return eligible_pairs(history, pd.Index([str(e) for e in employees]))


def _rank(pairs: pd.DataFrame, score: np.ndarray, top_k: int,
          tie: np.ndarray | None = None) -> pd.DataFrame:
    """Top ``top_k`` programs per employee by ``score`` (higher first), ties by ``tie``."""
    df = pairs[["employee_id", "program_id"]].copy()
    df["_s"] = np.asarray(score, dtype=float)
    df["_t"] = 0.0 if tie is None else np.asarray(tie, dtype=float)
    df = df.sort_values(["employee_id", "_s", "_t", "program_id"],
                        ascending=[True, False, False, True], kind="stable")
    df["rank"] = df.groupby("employee_id", sort=False).cumcount() + 1
    return df[df["rank"] <= top_k][_OUT_COLUMNS].reset_index(drop=True)


def _now_employees(ff_now: FeatureFrame) -> list[str]:
    rows = current_rows(ff_now)
    return ff_now.keys["employee_id"].iloc[rows].astype(str).tolist()


def _completions(history: History) -> pd.Series:
    trs = history.training_records
    ids = history.programs["program_id"].astype(str)
    if trs is None or trs.empty:
        return pd.Series(0, index=ids)
    done = trs[trs["status"] == "completed"]["program_id"].astype(str)
    return done.value_counts().reindex(ids, fill_value=0)


# --------------------------------------------------------------------------------------------
# Simple policies
# --------------------------------------------------------------------------------------------


def random_policy(history: History, ff_now: FeatureFrame, *, top_k: int = 3,
                  seed: int = 0) -> pd.DataFrame:
    """A random order of each employee's eligible programs (reproducible from ``seed``)."""
    pairs = eligible_programs(history, _now_employees(ff_now))
    rng = np.random.default_rng(seed)
    return _rank(pairs, rng.random(len(pairs)), top_k)


def popular_policy(history: History, ff_now: FeatureFrame, *, top_k: int = 3) -> pd.DataFrame:
    """The eligible programs completed most often in the history, for everyone alike."""
    pairs = eligible_programs(history, _now_employees(ff_now))
    counts = _completions(history)
    return _rank(pairs, pairs["program_id"].map(counts).fillna(0).to_numpy(), top_k)


def _current_skills(history: History, ff_now: FeatureFrame) -> pd.DataFrame:
    """Latest assessed level of every skill per employee (carried forward when blank)."""
    cols = [SKILL_PREFIX + s for s in history.skills]
    perf = history.performance[["employee_id", "period", *cols]].copy()
    perf["_pk"] = perf["period"].map(period_key)
    perf = perf.sort_values(["employee_id", "_pk"])
    last = perf.groupby("employee_id")[cols].last()  # last non-null per column
    last = last.reindex(_now_employees(ff_now))
    last.columns = [c.removeprefix(SKILL_PREFIX) for c in cols]
    return last.fillna(last.median())


def lowest_skill_policy(history: History, ff_now: FeatureFrame, *, top_k: int = 3,
                        by: str = "level") -> pd.DataFrame:
    """Programs targeting the employee's weakest skill first.

    ``by="level"`` (the classic HR rule) scores a program by the lowest current level among
    the skills it targets, lower first; ``by="gap"`` by the largest gap to the role's target
    level (needs role targets; skills a role does not need count as no gap). Ties go to the
    most completed program.
    """
    if by not in ("level", "gap"):
        raise ValueError("by must be 'level' or 'gap'")
    emps = _now_employees(ff_now)
    pairs = eligible_programs(history, emps)
    skills = _current_skills(history, ff_now)
    if by == "gap":
        tg = role_targets(history)
        roles = history.employees.set_index(
            history.employees["employee_id"].astype(str))["job_role"].reindex(emps)
        tgt = tg.reindex(roles.to_numpy()).reindex(columns=skills.columns)
        tgt.index = skills.index
        value = -(tgt - skills).clip(lower=0).fillna(0.0)  # lower = weaker
    else:
        value = skills
    targets = {str(p): [s for s in _split_list(t) if s in value.columns]
               for p, t in zip(history.programs["program_id"], history.programs["target_skills"],
                               strict=True)}
    vals = value.to_numpy()
    row = pd.Index(value.index).get_indexer(pairs["employee_id"])
    col_of = {s: j for j, s in enumerate(value.columns)}
    score = np.full(len(pairs), -np.inf)
    for i, (r, p) in enumerate(zip(row, pairs["program_id"], strict=True)):
        cols = [col_of[s] for s in targets.get(p, [])]
        if cols and r >= 0:
            score[i] = -np.nanmin(vals[r, cols])
    counts = _completions(history)
    return _rank(pairs, score, top_k, tie=pairs["program_id"].map(counts).fillna(0).to_numpy())


# --------------------------------------------------------------------------------------------
# Skill gains per program (for the counterfactual ranking of the seed recipe)
# --------------------------------------------------------------------------------------------


def catalog_gains(history: History, default: float | None = None
                  ) -> dict[str, dict[str, float]]:
    """The catalog's declared ``expected_gain`` for each targeted skill of each program.

    Programs without a declared gain get ``default`` (skipped when ``None``).
    """
    progs = history.programs
    gain = progs["expected_gain"] if "expected_gain" in progs else pd.Series(
        np.nan, index=progs.index)
    out: dict[str, dict[str, float]] = {}
    for p, t, g in zip(progs["program_id"].astype(str), progs["target_skills"], gain,
                       strict=True):
        g = default if pd.isna(g) else float(g)
        if g is None:
            continue
        out[p] = {s: g for s in _split_list(t) if s in history.skills}
    return out


def historical_gains(history: History, min_n: int = 5) -> dict[str, dict[str, float]]:
    """Mean skill change of completers minus that of untrained peers, per program and skill.

    A difference in differences over one quarter: for completions in quarter t, the change
    of each targeted skill from t to t+1, minus the mean change of the same skill among the
    people who took nothing in t (same quarter). Negative estimates count as zero.
    """
    trs = history.training_records
    if trs is None or trs.empty:
        return {}
    perf = history.performance.copy()
    perf["_pk"] = perf["period"].map(period_key)
    skills = [s for s in history.skills]
    cols = [SKILL_PREFIX + s for s in skills]
    nxt = perf[["employee_id", "_pk", *cols]].copy()
    nxt["_pk"] -= 1
    both = perf[["employee_id", "_pk", *cols]].merge(nxt, on=["employee_id", "_pk"],
                                                     suffixes=("", "_n"))
    delta = pd.DataFrame({s: both[c + "_n"] - both[c] for s, c in zip(skills, cols,
                                                                        strict=True)})
    delta["employee_id"] = both["employee_id"].astype(str)
    delta["_pk"] = both["_pk"]
    t = trs.assign(_pk=trs["period"].map(period_key), employee_id=trs["employee_id"].astype(str))
    took = t[["employee_id", "_pk"]].drop_duplicates().assign(_took=True)
    delta = delta.merge(took, on=["employee_id", "_pk"], how="left")
    base = delta[delta["_took"].isna()].groupby("_pk")[skills].mean()
    done = t[t["status"] == "completed"][["employee_id", "_pk", "program_id"]]
    d = done.merge(delta, on=["employee_id", "_pk"])
    out: dict[str, dict[str, float]] = {}
    targets = dict(zip(history.programs["program_id"].astype(str),
                       history.programs["target_skills"], strict=True))
    for p, rows in d.groupby(d["program_id"].astype(str)):
        gains = {}
        for s in _split_list(targets.get(p)):
            if s not in skills:
                continue
            diff = (rows[s] - rows["_pk"].map(base[s])).dropna()
            if len(diff) >= min_n:
                gains[s] = max(float(diff.mean()), 0.0)
        out[p] = gains
    return out


# --------------------------------------------------------------------------------------------
# Seed recipe
# --------------------------------------------------------------------------------------------


def _sklearn_frame(X: pd.DataFrame, categorical: list[str]) -> pd.DataFrame:
    """Categoricals as plain strings (``"__nan__"`` for missing), numbers as float."""
    out = X.copy()
    for c in categorical:
        out[c] = out[c].astype("object").where(out[c].notna(), "__nan__").astype(str)
    return out


def _balanced_weights(y: np.ndarray) -> np.ndarray:
    pos = max(float(y.sum()), 1.0)
    neg = max(float(len(y) - y.sum()), 1.0)
    return np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * neg))


@dataclass
class _Fitted:
    clf: Pipeline
    reg: Pipeline | None
    seconds_clf: float
    seconds_reg: float


class SeedRecipe:
    """RandomForest (``kind="rf"``) or GradientBoosting (``"gb"``) in a scikit-learn Pipeline.

    ``ColumnTransformer``: numeric columns -> ``SimpleImputer(median)`` -> ``StandardScaler``;
    categorical columns -> ``OneHotEncoder(handle_unknown="ignore")`` (missing as its own
    level). The classifier predicts the low-rating class (or any binary outcome); the
    regressor of the same recipe predicts the rating and gives the MAE and the expected gain
    of a program. Both get balanced class / sample weights where there is a binary class, so
    F1 is compared with ours (which weights classes too) on equal terms. scikit-learn
    defaults otherwise (100 trees); ``n_jobs`` only affects the random forest.
    """

    def __init__(self, kind: str = "rf", *, random_state: int = 0, n_estimators: int = 100,
                 n_jobs: int | None = 2, balanced: bool = True):
        self.kind = kind
        self.random_state = random_state
        self.n_estimators = n_estimators
        self.n_jobs = n_jobs
        self.balanced = balanced

    def _pipeline(self, numeric: list[str], categorical: list[str], *, regressor: bool
                  ) -> Pipeline:
        if self.kind == "rf":
            cls = RandomForestRegressor if regressor else RandomForestClassifier
            est = cls(n_estimators=self.n_estimators, random_state=self.random_state,
                      n_jobs=self.n_jobs)
        elif self.kind == "gb":
            cls = GradientBoostingRegressor if regressor else GradientBoostingClassifier
            est = cls(n_estimators=self.n_estimators, random_state=self.random_state)
        else:
            raise ValueError(f"kind must be one of {SEED_KINDS}")
        pre = ColumnTransformer([
            ("num", Pipeline([("impute", SimpleImputer(strategy="median")),
                              ("scale", StandardScaler())]), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
        ])
        return Pipeline([("pre", pre), ("model", est)])

    def fit(self, X: pd.DataFrame, y: pd.Series | np.ndarray,
            y_rating: pd.Series | np.ndarray | None = None, *,
            categorical: list[str] | None = None) -> SeedRecipe:
        """Fit the classifier on ``y`` (0/1) and, if given, the regressor on ``y_rating``.

        Rows with a missing ``y`` are dropped. ``fit_seconds_`` holds the wall time of the
        classifier, ``fit_seconds_reg_`` of the regressor.
        """
        categorical = [c for c in (categorical or []) if c in X.columns]
        y = np.asarray(y, dtype=float)
        keep = ~np.isnan(y)
        X = X.loc[keep]
        y = y[keep].astype(int)
        self.categorical_ = categorical
        # Columns that are entirely empty carry nothing; the imputer would drop them anyway.
        self.numeric_ = [c for c in X.columns if c not in categorical and X[c].notna().any()]
        self.feature_names_ = list(X.columns)
        Xs = _sklearn_frame(X, categorical)
        clf = self._pipeline(self.numeric_, categorical, regressor=False)
        w = _balanced_weights(y) if self.balanced else None
        t0 = time.perf_counter()
        clf.fit(Xs, y, model__sample_weight=w)
        t_clf = time.perf_counter() - t0
        reg, t_reg = None, 0.0
        if y_rating is not None:
            yr = np.asarray(y_rating, dtype=float)[keep]
            ok = ~np.isnan(yr)
            reg = self._pipeline(self.numeric_, categorical, regressor=True)
            t0 = time.perf_counter()
            reg.fit(Xs.loc[ok], yr[ok])
            t_reg = time.perf_counter() - t0
        self.fitted_ = _Fitted(clf, reg, t_clf, t_reg)
        self.fit_seconds_ = t_clf
        self.fit_seconds_reg_ = t_reg
        return self

    def _prep(self, X: pd.DataFrame) -> pd.DataFrame:
        return _sklearn_frame(X.reindex(columns=self.feature_names_), self.categorical_)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of the positive class (low rating / promoted)."""
        return self.fitted_.clf.predict_proba(self._prep(X))[:, 1]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predicted rating (needs ``y_rating`` at fit)."""
        if self.fitted_.reg is None:
            raise RuntimeError("fit without y_rating: no rating regressor")
        return self.fitted_.reg.predict(self._prep(X))

    def evaluate(self, X: pd.DataFrame, y: pd.Series | np.ndarray,
                 y_rating: pd.Series | np.ndarray | None = None,
                 threshold: float = 0.5) -> dict[str, float]:
        """AUC, F1 / accuracy / precision / recall at ``threshold`` (``f1_at_0_5`` too),
        and the MAE of the regressor when ``y_rating`` is given."""
        p = self.predict_proba(X)
        out = binary_metrics(y, p, threshold)
        out["threshold"] = float(threshold)
        out["f1_at_0_5"] = binary_metrics(y, p, 0.5)["f1"]
        if y_rating is not None and self.fitted_.reg is not None:
            yr = np.asarray(y_rating, dtype=float)
            ok = ~np.isnan(yr)
            out["mae"] = float(mean_absolute_error(yr[ok], self.predict(X.loc[ok])))
        return out


def best_f1_threshold(y, proba) -> float:
    """The probability cut with the best F1 on validation rows (0.5 without positives)."""
    y = np.asarray(y, dtype=float)
    keep = ~np.isnan(y)
    y, p = y[keep].astype(int), np.asarray(proba, dtype=float)[keep]
    if y.sum() == 0 or y.sum() == len(y):
        return 0.5
    prec, rec, thr = precision_recall_curve(y, p)
    f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-12), 0.0)[:-1]
    return float(thr[int(np.argmax(f1))])


def binary_metrics(y, proba, threshold: float = 0.5) -> dict[str, float]:
    """AUC and the threshold metrics of a probability; ``nan`` AUC with a single class."""
    y = np.asarray(y, dtype=float)
    keep = ~np.isnan(y)
    y = y[keep].astype(int)
    p = np.asarray(proba, dtype=float)[keep]
    pred = (p >= threshold).astype(int)
    auc = float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")
    return {
        "auc": auc,
        "f1": float(f1_score(y, pred, zero_division=0)),
        "accuracy": float(accuracy_score(y, pred)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
    }


GainSource = dict[str, dict[str, float]] | Callable[[pd.DataFrame, str], dict]


def seed_recommend(recipe: SeedRecipe, history: History, ff: FeatureFrame,
                   gains: GainSource, *, top_k: int = 3,
                   rank_by: str = "rating") -> pd.DataFrame:
    """Rank each employee's eligible programs by the seed recipe's counterfactual gain.

    For each program, the current quarter's features with its targeted skills raised by
    ``gains[program][skill]`` (:func:`core.features.shift_skills`, gaps kept consistent) are
    scored against the unchanged ones. ``gains`` may also be a function
    ``(X, program_id) -> {skill: per-row gains}`` (the per-person gains our counterfactual
    recommender learned). Scores: ``rank_by="rating"`` ranks by the rise of the
    predicted rating (regressor), ``"risk"`` by the drop of the predicted low-rating risk
    (classifier), ties by the rating rise. Output also carries ``expected_gain`` (the score).
    """
    if rank_by not in ("rating", "risk"):
        raise ValueError("rank_by must be 'rating' or 'risk'")
    rows = current_rows(ff)
    X = ff.X.iloc[rows]
    emps = ff.keys["employee_id"].iloc[rows].astype(str).to_numpy()
    pairs = eligible_programs(history, list(emps))
    targets = role_targets(history)
    roles = ff.keys["employee_id"].iloc[rows].map(
        history.employees.set_index("employee_id")["job_role"])
    base_r = recipe.predict(X)
    base_p = recipe.predict_proba(X) if rank_by == "risk" else None
    pos = {e: i for i, e in enumerate(emps)}
    d_rating = np.zeros(len(pairs))
    d_risk = np.zeros(len(pairs))
    for p, idx in pairs.groupby("program_id").indices.items():
        g = gains(X, str(p)) if callable(gains) else gains.get(str(p), {})
        if not g:
            continue
        Xp = shift_skills(X, g, targets, roles)
        r = [pos[e] for e in pairs["employee_id"].to_numpy()[idx]]
        d_rating[idx] = (recipe.predict(Xp) - base_r)[r]
        if base_p is not None:
            d_risk[idx] = (base_p - recipe.predict_proba(Xp))[r]
    score, tie = (d_rating, None) if rank_by == "rating" else (d_risk, d_rating)
    out = _rank(pairs, score, top_k, tie=tie)
    key = pairs.assign(expected_gain=d_rating).set_index(["employee_id", "program_id"])
    out["expected_gain"] = key["expected_gain"].reindex(
        pd.MultiIndex.from_frame(out[["employee_id", "program_id"]])).to_numpy()
    return out
