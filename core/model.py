"""LightGBM performance model: next-quarter rating and the risk of a low rating (<= 2).

scikit-learn style: ``__init__`` stores settings, ``fit`` does the work and sets attributes
ending in ``_``. The fitted boosters serialise to LightGBM's own text format (never a pickle),
so a stored model can be read, diffed and loaded by any LightGBM.

:func:`train_history_model` is the training procedure for history data (several quarters):
time-based hold-out (the latest labelled quarter), hyper-parameters tuned within a time
budget on time-series folds of the earlier quarters only, metrics on the hold-out, and a
final refit on every labelled row. The helpers for metrics and budgeted tuning are shared
with :mod:`core.snapshot`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import loguniform
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import ParameterSampler

from core import lgb_safe
from core.contract import period_key
from core.features import performance_features

DEFAULT_PARAMS: dict = {
    "learning_rate": 0.05,
    "num_leaves": 15,
    "max_depth": 6,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "min_data_per_group": 20,
    "cat_smooth": 5.0,
    "verbose": -1,
    # One OpenMP thread per booster: the two boosters are fitted in parallel threads instead.
    # On a busy 2-core machine two OpenMP threads per booster were up to 10x slower.
    "num_threads": lgb_safe.THREADS,
}
DEFAULT_ROUNDS = 300
_SEP = "\n#### SPTE-MODEL-SEPARATOR ####\n"

# Tree size limits: TreeSHAP cost grows with trees x leaves x depth², so models stay small.
MAX_DEPTH = 6
MAX_LEAVES = 31
MAX_ROUNDS = 800
EARLY_STOPPING = 50
HISTORY_EARLY_STOPPING = 30  # history folds: one validation quarter of every employee
MIN_CLASS = 10  # fewer examples than this in a class: no model (a clear error instead)
CALIBRATION_BINS = 10
PATIENCE = 6  # tuning stops after this many trials in a row without a real improvement
PATIENCE_LARGE = 3  # ... on large data (LARGE_ROWS), where the fold scores vary less
MIN_DELTA = 0.002  # ... of more than this (AUC, or MAE in rating points)
HISTORY_FOLDS = 3  # time-series folds: the last quarters before the hold-out, one each
LARGE_ROWS = 20_000  # from this many training rows on, one fold fewer (time budget)
# Tuning folds train on at most this many rows: beyond it, on all the rows of a fixed random
# sample of employees (the same in every fold). Hyper-parameters chosen on a 15k-row sample
# score like those chosen on all rows on the 5,000 x 12 benchmark, at a third of the time;
# the final fits always use every row.
TUNE_MAX_ROWS = 8_000

# Tuning search space (sampled with scikit-learn's ParameterSampler after the defaults).
SEARCH_SPACE: dict[str, Any] = {
    "learning_rate": loguniform(0.03, 0.2),
    "num_leaves": [7, 11, 15, 23, 31],
    "max_depth": [3, 4, 5, 6],
    "min_data_in_leaf": [10, 20, 40, 80],
    "feature_fraction": [0.6, 0.75, 0.9, 1.0],
    "bagging_fraction": [0.7, 0.85, 1.0],
    "lambda_l2": loguniform(0.05, 20.0),
    "cat": [(20, 5.0), (50, 10.0), (100, 10.0)],  # (min_data_per_group, cat_smooth)
    "weight_power": [0.5, 0.75, 1.0],  # positive-class weight = (neg / pos) ** power
}
TUNING_DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.1, "num_leaves": 15, "max_depth": 6, "min_data_in_leaf": 20,
    "feature_fraction": 0.9, "bagging_fraction": 0.9, "lambda_l2": 1.0, "cat": (20, 5.0),
    "weight_power": 1.0,
}


def _fail(message_es: str, message_en: str):
    """Raise :class:`core.training.TrainingError` (imported late: training imports us)."""
    from core.training import TrainingError

    raise TrainingError(message_es, message_en)


def n_workers() -> int:
    """CPUs this process may use (folds are fitted in parallel, one thread each)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def class_weights(y: np.ndarray, power: float = 1.0) -> np.ndarray:
    """Weight of each row: positives ``(neg / pos) ** power``, negatives 1."""
    y = np.asarray(y, dtype=float)
    pos = float(y.sum())
    neg = float(len(y) - pos)
    w_pos = (neg / max(pos, 1.0)) ** power if pos > 0 else 1.0
    return np.where(y == 1, w_pos, 1.0)


class RatingModel:
    """Predicts the next-quarter rating and the probability that it is 2 or lower.

    ``params`` are LightGBM parameters of the rating booster (and of the low-rating booster
    unless ``low_params`` is given); ``low_weight_power`` sets the class weight of low
    ratings, ``(neg / pos) ** power``.
    """

    def __init__(self, *, params: dict | None = None, rating_rounds: int = DEFAULT_ROUNDS,
                 low_rounds: int = DEFAULT_ROUNDS, random_state: int = 0,
                 low_params: dict | None = None, low_weight_power: float = 1.0):
        self.params = params
        self.rating_rounds = rating_rounds
        self.low_rounds = low_rounds
        self.random_state = random_state
        self.low_params = low_params
        self.low_weight_power = low_weight_power

    def get_params(self) -> dict:
        """Constructor arguments (JSON): ``RatingModel(**m.get_params())`` is the same recipe."""
        return {"params": self.params, "rating_rounds": int(self.rating_rounds),
                "low_rounds": int(self.low_rounds), "random_state": int(self.random_state),
                "low_params": self.low_params, "low_weight_power": float(self.low_weight_power)}

    def _params(self, base: dict | None = None, **extra) -> dict:
        p = {**DEFAULT_PARAMS, **(base if base is not None else self.params or {}),
             "seed": self.random_state, **extra}
        return p

    def fit(self, X: pd.DataFrame, y_rating: pd.Series, y_low: pd.Series | None = None, *,
            categorical: list[str] | None = None) -> RatingModel:
        """Fit on labelled rows only; ``y_low`` defaults to ``y_rating <= 2``. The KPIs'
        four-quarter means are left out (:func:`core.features.performance_features`)."""
        X = performance_features(X)
        y_rating = pd.Series(y_rating, index=X.index).astype(float)
        keep = y_rating.notna().to_numpy()
        X = X.loc[keep]
        y_rating = y_rating[keep]
        y_low = (y_rating <= 2).astype(float) if y_low is None else pd.Series(
            y_low, index=y_rating.index).astype(float)
        self.feature_names_ = list(X.columns)
        self.categorical_ = [c for c in (categorical or []) if c in X.columns]
        self.categories_ = {c: list(X[c].cat.categories) for c in self.categorical_
                            if isinstance(X[c].dtype, pd.CategoricalDtype)}
        rating_params = self._params(objective="regression")
        low_base = self.low_params if self.low_params is not None else self.params
        low_params = self._params(low_base, objective="binary")
        weight = class_weights(y_low.to_numpy(), self.low_weight_power)

        def fit_rating():
            data = lgb.Dataset(X, y_rating, categorical_feature=self.categorical_,
                               free_raw_data=False)
            return lgb.train(rating_params, data, num_boost_round=self.rating_rounds)

        def fit_low():
            data = lgb.Dataset(X, y_low, weight=weight, categorical_feature=self.categorical_,
                               free_raw_data=False)
            return lgb.train(low_params, data, num_boost_round=self.low_rounds)

        single = rating_params.get("num_threads") == 1 and low_params.get("num_threads") == 1
        if single and n_workers() > 1:  # one core each instead of OpenMP on both
            with ThreadPoolExecutor(max_workers=2) as pool:
                rating, low = pool.submit(fit_rating), pool.submit(fit_low)
                self.rating_booster_, self.low_booster_ = rating.result(), low.result()
        else:
            self.rating_booster_, self.low_booster_ = fit_rating(), fit_low()
        return self

    def _align(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.reindex(columns=self.feature_names_)
        for c, cats in self.categories_.items():
            v = X[c].astype("object")
            X[c] = pd.Categorical(v.where(v.isin(cats), None), categories=cats)
        return X

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Expected next-quarter rating."""
        return lgb_safe.predict(self.rating_booster_, self._align(X))

    def predict_low(self, X: pd.DataFrame) -> np.ndarray:
        """Probability that the next-quarter rating is 2 or lower (class-weighted model)."""
        return lgb_safe.predict(self.low_booster_, self._align(X))

    def contributions(self, X: pd.DataFrame, which: str = "rating") -> np.ndarray:
        """Exact TreeSHAP (LightGBM ``pred_contrib``): one column per feature + base value."""
        booster = self.rating_booster_ if which == "rating" else self.low_booster_
        return lgb_safe.predict(booster, self._align(X), pred_contrib=True)

    def to_text(self) -> str:
        rating = self.rating_booster_.model_to_string()
        low = self.low_booster_.model_to_string()
        header = json.dumps({"feature_names": self.feature_names_,
                             "categorical": self.categorical_,
                             "categories": self.categories_,
                             "params": self.params, "random_state": self.random_state,
                             "low_params": self.low_params,
                             "rating_rounds": self.rating_rounds,
                             "low_rounds": self.low_rounds,
                             "low_weight_power": self.low_weight_power,
                             "threshold": getattr(self, "threshold_", None),
                             "sha256": [text_digest(rating), text_digest(low)]})
        return _SEP.join([header, rating, low])

    @classmethod
    def from_text(cls, text: str) -> RatingModel:
        """Load a stored model; raises ValueError when the text is not one of ours."""
        parts = text.split(_SEP) if isinstance(text, str) else []
        if len(parts) != 3:
            raise ValueError("not a stored RatingModel")
        try:
            header = json.loads(parts[0])
            model = cls(params=header.get("params"),
                        random_state=header.get("random_state", 0),
                        low_params=header.get("low_params"),
                        rating_rounds=header.get("rating_rounds", DEFAULT_ROUNDS),
                        low_rounds=header.get("low_rounds", DEFAULT_ROUNDS),
                        low_weight_power=header.get("low_weight_power", 1.0))
            model.feature_names_ = header["feature_names"]
            model.categorical_ = header["categorical"]
            model.categories_ = header["categories"]
            if header.get("threshold") is not None:
                model.threshold_ = float(header["threshold"])
            digests = header.get("sha256") or [None, None]
            if len(digests) != 2:
                raise ValueError("checksums")
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"stored model header does not load: {exc}") from exc
        model.rating_booster_ = _load_booster(parts[1], digests[0])
        model.low_booster_ = _load_booster(parts[2], digests[1])
        for b in (model.rating_booster_, model.low_booster_):
            if b.num_feature() != len(model.feature_names_):
                raise ValueError("stored model does not load: feature count mismatch")
        return model


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


_TREE_KEYS = frozenset((
    "num_leaves", "num_cat", "split_feature", "split_gain", "threshold", "decision_type",
    "left_child", "right_child", "leaf_value", "leaf_weight", "leaf_count", "internal_value",
    "internal_weight", "internal_count", "is_linear", "shrinkage", "cat_boundaries",
    "cat_threshold",
))


def _numbers(value: str, kind=float) -> list:
    return [kind(v) for v in value.split()] if value.strip() else []


def check_booster_text(text: str) -> None:
    """Check a LightGBM model text before LightGBM parses it; ValueError when malformed.

    LightGBM parses trees in parallel and aborts the whole process (``std::terminate``) on a
    format error inside that loop, e.g. for a truncated text, instead of raising. So every
    tree block is checked here first: its declared size, its keys and the lengths and
    ranges of its arrays.
    """
    if not isinstance(text, str) or not text.startswith("tree\n"):
        raise ValueError("not a LightGBM model text")
    first = text.find("\nTree=0\n")
    if first < 0:
        raise ValueError("no trees")
    header = dict(line.split("=", 1) for line in text[:first].splitlines() if "=" in line)
    try:
        n_features = int(header["max_feature_idx"]) + 1
        int(header["num_class"])
        sizes = _numbers(header["tree_sizes"], int)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"malformed header: {exc}") from exc
    if not sizes or len(header.get("feature_names", "").split()) != n_features:
        raise ValueError("malformed header: tree sizes or feature names")
    pos = first + 1
    for i, size in enumerate(sizes):
        block = text[pos:pos + size]
        if len(block) != size or not block.startswith(f"Tree={i}\n"):
            raise ValueError(f"tree {i} is truncated or misplaced")
        try:
            fields = {}
            for line in block.splitlines()[1:]:
                if not line:
                    continue
                key, eq, value = line.partition("=")
                if not eq or key not in _TREE_KEYS or key in fields:
                    raise ValueError(f"unexpected line {line[:40]!r}")
                fields[key] = value
            n = int(fields["num_leaves"])
            n_cat = int(fields["num_cat"])
            if int(fields["is_linear"]) != 0:
                raise ValueError("linear trees are not used here")
            for key, length in (("leaf_value", n), ("leaf_weight", n), ("leaf_count", n),
                                ("internal_value", n - 1), ("internal_weight", n - 1),
                                ("internal_count", n - 1)):
                if key in fields and len(_numbers(fields[key])) != length:
                    raise ValueError(key)
            if n < 1 or "leaf_value" not in fields:
                raise ValueError("leaf values")
            if n > 1:
                feats = _numbers(fields["split_feature"], int)
                left = _numbers(fields["left_child"], int)
                right = _numbers(fields["right_child"], int)
                dtype = _numbers(fields["decision_type"], int)
                thr = _numbers(fields["threshold"])
                gain = _numbers(fields["split_gain"])
                if not all(len(a) == n - 1 for a in (feats, left, right, dtype, thr, gain)):
                    raise ValueError("array lengths")
                if any(f < 0 or f >= n_features for f in feats):
                    raise ValueError("split feature out of range")
                if any(c < -n or c > n - 2 for c in left + right):
                    raise ValueError("child index out of range")
            if n_cat > 0:
                bounds = _numbers(fields["cat_boundaries"], int)
                cats = _numbers(fields["cat_threshold"], int)
                if len(bounds) != n_cat + 1 or bounds[-1] != len(cats) or bounds[0] != 0:
                    raise ValueError("categorical splits")
            float(fields["shrinkage"])
        except (KeyError, ValueError) as exc:
            raise ValueError(f"tree {i} is malformed: {exc}") from exc
        pos += size
    tail = text[pos:].lstrip("\n")
    if not tail.startswith("end of trees"):
        raise ValueError("the text does not end its trees where the sizes say")
    # LightGBM also aborts on a cut parameters section: it must be whole, and the pandas
    # categories after it must be complete JSON.
    params_at = tail.find("\nparameters:\n")
    end_at = tail.find("\nend of parameters\n")
    if params_at < 0 or end_at < params_at:
        raise ValueError("the parameters section is missing or cut")
    for line in tail[params_at + 13:end_at].splitlines():
        if line and not (line.startswith("[") and line.endswith("]") and ": " in line):
            raise ValueError("the parameters section is malformed")
    rest = tail[end_at + 20:].strip()
    if rest:
        if not rest.startswith("pandas_categorical:"):
            raise ValueError("unexpected text after the parameters")
        try:
            json.loads(rest.removeprefix("pandas_categorical:"))
        except ValueError as exc:
            raise ValueError("the pandas categories are cut") from exc


def _load_booster(text: str, digest: str | None = None) -> lgb.Booster:
    """A booster from its text; ValueError for anything that is not a sound model.

    ``digest``: the SHA-256 stored beside the text when it was written; a text changed since
    is refused before LightGBM sees it.
    """
    if digest is not None and text_digest(text) != digest:
        raise ValueError("stored model does not load: checksum mismatch (the text changed)")
    try:
        check_booster_text(text)
    except ValueError as exc:
        raise ValueError(f"stored model does not load: {exc}") from exc
    try:
        booster = lgb.Booster(model_str=text)
    except Exception as exc:  # LightGBMError, or lower-level errors on garbage
        raise ValueError(f"stored model does not load: {exc}") from exc
    if booster.num_trees() < 1:
        raise ValueError("stored model does not load: it has no trees")
    return booster


# --------------------------------------------------------------------------------------------
# Results and metrics
# --------------------------------------------------------------------------------------------


@dataclass
class TrainResult:
    """What a training run gives: the model to use, and how good the recipe is.

    ``metrics`` were computed on the hold-out rows by a fit that never saw them; ``model`` is
    the same recipe refitted on every labelled row (see ``metrics["note"]``).
    ``train_index`` / ``holdout_index`` are index labels of the frame that was trained on.
    """

    model: Any
    metrics: dict
    params: dict
    holdout_period: str
    n_train: int
    n_test: int
    seconds: float
    kind: str = "history"
    train_index: np.ndarray | None = field(default=None, repr=False)
    holdout_index: np.ndarray | None = field(default=None, repr=False)


def _f(x: Any) -> float | None:
    """JSON-safe float (NaN / inf -> None)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def safe_auc(y: np.ndarray, p: np.ndarray) -> float:
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, p))


def best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability threshold with the best F1 (ties: the highest threshold)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if len(y) == 0 or y.sum() == 0:
        return 0.5
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    fp = np.cumsum(1 - ys)
    # Only cut between distinct scores.
    last = np.r_[ps[1:] != ps[:-1], True]
    tp, fp, cut = tp[last], fp[last], ps[last]
    f1 = 2 * tp / (tp + fp + ys.sum())
    i = int(np.argmax(f1))
    # Midpoint to the next lower score keeps the threshold away from a training score.
    nxt = ps[last][i + 1] if i + 1 < len(cut) else cut[i]
    return float((cut[i] + nxt) / 2) if nxt < cut[i] else float(cut[i])


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS
                      ) -> list[dict]:
    """Equal-width probability bins: mean predicted, observed rate and count of each."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        m = idx == b
        n = int(m.sum())
        out.append({"bin": b, "low": b / bins, "high": (b + 1) / bins,
                    "mean_predicted": _f(p[m].mean()) if n else None,
                    "observed_rate": _f(y[m].mean()) if n else None, "count": n})
    return out


def binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict:
    """AUC, accuracy, precision, recall, F1 at ``threshold``, Brier, calibration, confusion."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    pred = (p >= threshold).astype(float)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "auc": _f(safe_auc(y, p)),
        "accuracy": _f((tp + tn) / len(y)) if len(y) else None,
        "precision": _f(precision),
        "recall": _f(recall),
        "f1": _f(f1),
        "threshold": _f(threshold),
        "brier": _f(np.mean((p - y) ** 2)) if len(y) else None,
        "calibration": calibration_table(y, p),
        "confusion_matrix": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
        "positives_test": int(y.sum()),
    }


def fingerprint(parts: Iterable[str]) -> str:
    """Order-free hash of row identities (which rows a hold-out holds, and their labels)."""
    h = hashlib.sha256()
    for s in sorted(parts):
        h.update(s.encode())
        h.update(b"\n")
    return h.hexdigest()[:32]


def history_holdout_fingerprint(keys: pd.DataFrame, y: pd.Series) -> str:
    return fingerprint(f"{e}|{p}|{v:g}" for e, p, v in zip(
        keys["employee_id"].astype(str), keys["period"].astype(str), y.astype(float),
        strict=True))


# --------------------------------------------------------------------------------------------
# Budgeted tuning (shared with core.snapshot)
# --------------------------------------------------------------------------------------------


def lgb_params(cfg: dict, *, random_state: int) -> dict:
    """LightGBM parameters of one sampled configuration (tree size capped)."""
    mdpg, smooth = cfg.get("cat", (20, 5.0))
    p = {
        "learning_rate": float(cfg["learning_rate"]),
        "num_leaves": int(min(cfg["num_leaves"], MAX_LEAVES)),
        "max_depth": int(min(cfg["max_depth"], MAX_DEPTH)),
        "min_data_in_leaf": int(cfg["min_data_in_leaf"]),
        "feature_fraction": float(cfg["feature_fraction"]),
        "bagging_fraction": float(cfg["bagging_fraction"]),
        "bagging_freq": 1 if cfg["bagging_fraction"] < 1.0 else 0,
        "lambda_l2": float(cfg["lambda_l2"]),
        "min_data_per_group": int(mdpg),
        "cat_smooth": float(smooth),
        "verbose": -1,
        "num_threads": lgb_safe.THREADS,
        "seed": int(random_state),
        "deterministic": True,
        "force_col_wise": True,
    }
    # A leaf count a tree of this depth cannot reach only slows LightGBM down.
    p["num_leaves"] = int(min(p["num_leaves"], 2 ** p["max_depth"]))
    return p


def candidate_configs(random_state: int, n: int = 200) -> list[dict]:
    """The defaults first, then random configurations (reproducible for a seed)."""
    sampled = ParameterSampler(SEARCH_SPACE, n_iter=n, random_state=random_state)
    return [dict(TUNING_DEFAULTS), *[dict(c) for c in sampled]]


@dataclass
class Trial:
    config: dict
    scores: dict[str, float]  # name -> mean over folds (larger is better)
    rounds: dict[str, int]  # name -> mean best iteration over folds
    oof: dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (y, p) on validation folds
    seconds: float


def run_tuning(evaluate: Callable[[dict], Trial], configs: Sequence[dict], *,
               deadline: float, reserve: Callable[[Trial], float],
               patience: int | None = PATIENCE, min_delta: float = MIN_DELTA) -> list[Trial]:
    """Evaluate configurations until ``deadline`` or until the search stalls.

    The first configuration always runs. ``reserve(first_trial)`` estimates the seconds the
    final fits will need after tuning, so that tuning stops in time for them. The search
    also stops after ``patience`` trials in a row that improved no score by more than
    ``min_delta`` (the time budget is a cap, not a target).
    """
    trials: list[Trial] = []
    stop_at = deadline
    best: dict[str, float] = {}
    stale = 0
    for cfg in configs:
        if trials:
            mean = sum(t.seconds for t in trials) / len(trials)
            if time.perf_counter() + mean > stop_at:
                break
            if patience is not None and stale >= patience:
                break
        trial = evaluate(cfg)
        trials.append(trial)
        improved = False
        for k, v in trial.scores.items():
            if k not in best or v > best[k] + min_delta:
                improved = True
            if k not in best or v > best[k]:
                best[k] = v
        stale = 0 if improved else stale + 1
        if len(trials) == 1:
            stop_at = deadline - reserve(trials[0])
    return trials


def pick_trial(trials: Sequence[Trial], name: str, tolerance: float = MIN_DELTA / 2) -> Trial:
    """The cheapest trial (fewest rounds x leaves) among those scoring within ``tolerance``
    of the best on ``name``: a difference that small is noise between folds, and a smaller
    model fits, predicts and explains faster."""
    best = max(t.scores[name] for t in trials)
    near = [t for t in trials if t.scores[name] >= best - tolerance]
    return min(near, key=lambda t: (t.rounds.get(name, 0) * float(t.config.get("num_leaves", 1)),
                                    -t.scores[name]))


def fit_folds(fn: Callable[[Any], Any], folds: Sequence[Any]) -> list[Any]:
    """Run ``fn`` on each fold, in parallel threads (LightGBM releases the GIL)."""
    workers = min(len(folds), n_workers())
    if workers <= 1:
        return [fn(f) for f in folds]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, folds))


_DATASET_PARAMS = {"feature_pre_filter": False, "verbose": -1, "num_threads": lgb_safe.THREADS}


@dataclass
class FoldData:
    """One validation fold, binned once and reused by every trial."""

    train: lgb.Dataset
    valid: lgb.Dataset
    X_valid: pd.DataFrame
    y_train: np.ndarray
    y_valid: np.ndarray
    name: str = ""
    init_valid: np.ndarray | None = None  # log-odds the trees start from (a linear base)

    @classmethod
    def build(cls, X: pd.DataFrame, y: np.ndarray, tr: np.ndarray, va: np.ndarray,
              categorical: list[str], name: str = "",
              init_score: tuple[np.ndarray, np.ndarray] | None = None) -> FoldData:
        """``init_score``: (train, valid) raw scores boosting starts from (binary only)."""
        y = np.asarray(y, dtype=float)
        init_tr, init_va = init_score if init_score is not None else (None, None)
        train = lgb.Dataset(X.iloc[tr], y[tr], categorical_feature=categorical,
                            params=dict(_DATASET_PARAMS), free_raw_data=False,
                            init_score=init_tr).construct()
        valid = lgb.Dataset(X.iloc[va], y[va], reference=train,
                            categorical_feature=categorical, params=dict(_DATASET_PARAMS),
                            free_raw_data=False, init_score=init_va).construct()
        return cls(train, valid, X.iloc[va], y[tr], y[va], name, init_va)


def fit_early_stopped(params: dict, objective: str, metric: str, fold: FoldData, *,
                      weight_power: float | None = None, max_rounds: int = MAX_ROUNDS,
                      stopping_rounds: int = EARLY_STOPPING) -> tuple[int, np.ndarray]:
    """Train with early stopping on the validation fold: (best iteration, its predictions).

    ``weight_power`` weights the positive class of a binary fold (see :func:`class_weights`).
    """
    if weight_power is not None:
        fold.train.set_weight(class_weights(fold.y_train, weight_power))
    booster = lgb.train({**params, "objective": objective, "metric": metric}, fold.train,
                        num_boost_round=max_rounds, valid_sets=[fold.valid],
                        callbacks=[lgb.early_stopping(stopping_rounds, verbose=False)])
    best = booster.best_iteration or booster.current_iteration()
    if fold.init_valid is not None:  # predict() leaves the start score out
        raw = lgb_safe.predict(booster, fold.X_valid, num_iteration=best, raw_score=True)
        return int(best), expit(raw + fold.init_valid)
    return int(best), lgb_safe.predict(booster, fold.X_valid, num_iteration=best)


def final_rounds(best_iterations: Sequence[int], growth: float = 1.1) -> int:
    """Rounds for a refit on more data than each fold had."""
    return int(max(20, round(float(np.mean(best_iterations)) * growth)))


# --------------------------------------------------------------------------------------------
# History training
# --------------------------------------------------------------------------------------------


def _time_folds(periods: pd.Series, train_mask: np.ndarray, n_folds: int = HISTORY_FOLDS
                ) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """(train rows, validation rows, validation period) for the last quarters of the
    training part; each fold trains only on quarters strictly before its validation one."""
    pk = periods.map(period_key).to_numpy()
    quarters = sorted(set(pk[train_mask]))
    folds = []
    for q in quarters[::-1]:
        if len(folds) == n_folds:
            break
        tr = train_mask & (pk < q)
        va = train_mask & (pk == q)
        if tr.sum() >= 30 and va.sum() >= 10:
            folds.append((np.flatnonzero(tr), np.flatnonzero(va), str(periods.to_numpy()[
                np.flatnonzero(va)[0]])))
    return folds[::-1]


def _sample_folds(time_folds: list[tuple[np.ndarray, np.ndarray, str]], employees: pd.Series,
                  max_rows: int, random_state: int
                  ) -> tuple[list[tuple[np.ndarray, np.ndarray, str]], float]:
    """The tuning folds restricted to a random share of employees (all their rows), so that
    the largest fold trains on about ``max_rows`` rows; validation rows are all kept."""
    codes, uniq = pd.factorize(employees.astype(str))
    share = max_rows / max(len(f[0]) for f in time_folds)
    keep = np.random.default_rng(random_state).random(len(uniq)) < share
    out = [(tr[keep[codes[tr]]], va, name) for tr, va, name in time_folds]
    return out, round(float(share), 3)


def _history_trial(cfg: dict, folds: list[tuple[FoldData, FoldData | None]],
                   random_state: int) -> Trial:
    """Fit the rating and low-rating boosters of one configuration on every fold."""
    t0 = time.perf_counter()
    params = lgb_params(cfg, random_state=random_state)
    power = float(cfg["weight_power"])
    tasks = [("rating", i, f) for i, (f, _) in enumerate(folds)]
    tasks += [("low", i, f) for i, (_, f) in enumerate(folds) if f is not None]

    def one(task):
        which, _i, fold = task
        if which == "rating":
            return fit_early_stopped(params, "regression", "l1", fold,
                                     stopping_rounds=HISTORY_EARLY_STOPPING)
        return fit_early_stopped(params, "binary", "auc", fold, weight_power=power,
                                 stopping_rounds=HISTORY_EARLY_STOPPING)

    res = dict(zip([(w, i) for w, i, _ in tasks], fit_folds(one, tasks), strict=True))
    maes, aucs, it_r, it_l, ys, ps = [], [], [], [], [], []
    for i, (fr, fl) in enumerate(folds):
        it, pred = res[("rating", i)]
        maes.append(float(np.mean(np.abs(pred - fr.y_valid))))
        it_r.append(it)
        if fl is not None:
            it, pred = res[("low", i)]
            it_l.append(it)
            auc = safe_auc(fl.y_valid, pred)
            if math.isfinite(auc):
                aucs.append(auc)
            ys.append(fl.y_valid)
            ps.append(pred)
    return Trial(
        config=cfg,
        scores={"rating": -float(np.mean(maes)),
                "low": float(np.mean(aucs)) if aucs else float("-inf")},
        rounds={"rating": final_rounds(it_r),
                "low": final_rounds(it_l) if it_l else DEFAULT_ROUNDS},
        oof={"low": (np.concatenate(ys), np.concatenate(ps))} if ys else {},
        seconds=time.perf_counter() - t0,
    )


def train_history_model(ff, *, budget_seconds: float = 30, random_state: int = 0,
                        max_trials: int | None = None) -> TrainResult:
    """Train the rating and low-rating models on a :class:`core.features.FeatureFrame`.

    Hold-out: the latest labelled quarter (rows whose next-quarter rating is known).
    Hyper-parameters are tuned within ``budget_seconds`` (defaults first, then random
    configurations) on time-series folds of the earlier quarters: each fold validates on
    one quarter and trains on the quarters before it; the hold-out is never looked at.
    The rating model's parameters minimise the folds' MAE, the low-rating model's maximise
    their AUC; the F1 threshold is chosen on the folds' predictions. The chosen recipe is
    fitted on every labelled row before the hold-out to measure it, then on every labelled
    row (hold-out quarter included) to give the model that scores the newest data.
    """
    t_start = time.perf_counter()
    deadline = t_start + float(budget_seconds)
    labelled = ff.y_rating.notna().to_numpy()
    if not labelled.any():
        _fail("No hay ningún trimestre con resultado: se necesita la calificación del "
              "trimestre siguiente para entrenar (suba al menos tres trimestres consecutivos).",
              "No quarter has an outcome: training needs the next quarter's rating (upload "
              "at least three consecutive quarters).")
    keys = ff.keys.reset_index(drop=True)
    X = performance_features(ff.X).reset_index(drop=True)
    y_rating = ff.y_rating.reset_index(drop=True).astype(float)
    y_low = (y_rating <= 2).astype(float)
    periods = keys["period"].astype(str)
    pk = periods.map(period_key).to_numpy()
    lab_pk = sorted(set(pk[labelled]))
    if len(lab_pk) < 2:
        _fail("Solo hay un trimestre con resultado del trimestre siguiente; se necesitan al "
              "menos dos (tres trimestres consecutivos) para validar en el tiempo.",
              "Only one quarter has a next-quarter outcome; at least two are needed (three "
              "consecutive quarters) to validate over time.")
    n_low = int(y_low[labelled].sum())
    n_ok = int(labelled.sum()) - n_low
    if min(n_low, n_ok) < MIN_CLASS:
        _fail(f"Muy pocos ejemplos de una clase: {n_low} calificaciones bajas (<= 2) y {n_ok} "
              f"no bajas; se necesitan al menos {MIN_CLASS} de cada una.",
              f"Too few examples of one class: {n_low} low ratings (<= 2) and {n_ok} not low; "
              f"at least {MIN_CLASS} of each are needed.")
    hold_pk = lab_pk[-1]
    test = labelled & (pk == hold_pk)
    train = labelled & (pk < hold_pk)
    holdout_period = str(periods[test].iloc[0])
    categorical = [c for c in ff.categorical if c in X.columns]
    y_r = y_rating.to_numpy()
    y_l = y_low.to_numpy()

    n_folds = HISTORY_FOLDS if train.sum() < LARGE_ROWS else HISTORY_FOLDS - 1
    time_folds = _time_folds(periods, train, n_folds)
    tuning_sample = None
    if time_folds and max(len(f[0]) for f in time_folds) > TUNE_MAX_ROWS:
        time_folds, tuning_sample = _sample_folds(time_folds, keys["employee_id"],
                                                  TUNE_MAX_ROWS, random_state)
    folds = []
    for tr, va, name in time_folds:
        fr = FoldData.build(X, y_r, tr, va, categorical, name)
        both = len(np.unique(y_l[tr])) == 2
        fl = FoldData.build(X, y_l, tr, va, categorical, name) if both else None
        folds.append((fr, fl))
    configs = candidate_configs(random_state)
    if max_trials is not None:
        configs = configs[:max(1, max_trials)]
    n_train_rows = int(train.sum())

    def evaluate(cfg):
        return _history_trial(cfg, folds, random_state)

    def reserve(first: Trial) -> float:
        # Two final fits (two boosters each, in parallel) on more rows than a fold had.
        per_task = first.seconds * n_workers() / max(2 * len(folds), 1)
        avg_fold_rows = np.mean([len(f[0]) for f in time_folds]) if time_folds else 1.0
        return 2.0 * per_task * (labelled.sum() / max(avg_fold_rows, 1.0))

    if folds:
        patience = PATIENCE if n_train_rows < LARGE_ROWS else PATIENCE_LARGE
        trials = run_tuning(evaluate, configs, deadline=deadline, reserve=reserve,
                            patience=patience)
        best_r = pick_trial(trials, "rating")
        best_l = pick_trial(trials, "low")
        rating_params = lgb_params(best_r.config, random_state=random_state)
        low_params = lgb_params(best_l.config, random_state=random_state)
        rating_rounds, low_rounds = best_r.rounds["rating"], best_l.rounds["low"]
        weight_power = float(best_l.config["weight_power"])
        if "low" in best_l.oof:
            threshold = best_threshold(*best_l.oof["low"])
            threshold_source = "time-series folds before the hold-out"
        else:
            threshold, threshold_source = 0.5, "default (no fold had both classes)"
        tuning = {"trials": len(trials), "folds": [f[2] for f in time_folds],
                  "fold_mae": -best_r.scores["rating"],
                  "fold_auc": _f(best_l.scores["low"]),
                  "seconds": round(sum(t.seconds for t in trials), 3),
                  "employee_sample": tuning_sample}
    else:  # too few earlier quarters for a fold: defaults, threshold from training rows
        cfg = dict(TUNING_DEFAULTS)
        rating_params = low_params = lgb_params(cfg, random_state=random_state)
        rating_rounds = low_rounds = DEFAULT_ROUNDS // 2
        weight_power = 1.0
        threshold, threshold_source = None, "training rows (no earlier quarter for a fold)"
        tuning = {"trials": 0, "folds": [], "fold_mae": None, "fold_auc": None}

    def recipe() -> RatingModel:
        return RatingModel(params=rating_params, low_params=low_params,
                           rating_rounds=rating_rounds, low_rounds=low_rounds,
                           random_state=random_state, low_weight_power=weight_power)

    with ThreadPoolExecutor(max_workers=2) as pool:  # the two fits side by side
        hold = pool.submit(lambda: recipe().fit(X.loc[train], y_rating[train], y_low[train],
                                                categorical=categorical))
        full = pool.submit(lambda: recipe().fit(X.loc[labelled], y_rating[labelled],
                                                y_low[labelled], categorical=categorical))
        holdout_fit, model = hold.result(), full.result()
    if threshold is None:
        threshold = best_threshold(y_l[train], holdout_fit.predict_low(X.loc[train]))
    X_te = X.loc[test]
    pred = holdout_fit.predict(X_te)
    p_low = holdout_fit.predict_low(X_te)
    y_te = y_r[test]
    now = ff.rating_now.reset_index(drop=True).to_numpy(dtype=float)[test]
    fallback = float(np.nanmedian(y_r[train]))
    naive = np.where(np.isnan(now), fallback, now)
    metrics = {
        "mae": _f(np.mean(np.abs(pred - y_te))),
        "mae_naive": _f(np.mean(np.abs(naive - y_te))),
        "rmse": _f(np.sqrt(np.mean((pred - y_te) ** 2))),
        **binary_metrics(y_l[test], p_low, threshold),
        "threshold_source": threshold_source,
        "n_train": n_train_rows,
        "n_test": int(test.sum()),
        "holdout_period": holdout_period,
        "holdout": {"kind": "period", "period": holdout_period,
                    "fingerprint": history_holdout_fingerprint(keys[test], y_rating[test])},
        "trained_through": holdout_period,
        "tuning": tuning,
        "note": ("Metrics come from a fit on the quarters before the hold-out quarter "
                 f"({holdout_period}), scored on it; the returned model is the same recipe "
                 "refitted on every labelled row, hold-out quarter included. mae_naive "
                 "predicts next quarter's rating as this quarter's."),
    }
    model.threshold_ = float(threshold)
    params = {"kind": "history", "target": "next_rating", "model": model.get_params(),
              "threshold": _f(threshold), "budget_seconds": float(budget_seconds),
              "random_state": int(random_state)}
    idx = ff.X.index
    return TrainResult(model=model, metrics=metrics, params=params,
                       holdout_period=holdout_period, n_train=n_train_rows,
                       n_test=int(test.sum()), seconds=time.perf_counter() - t_start,
                       kind="history", train_index=idx[train].to_numpy(),
                       holdout_index=idx[test].to_numpy())
