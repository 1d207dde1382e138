"""Snapshot data: one row per employee and an outcome chosen by HR (e.g. ``is_promoted``).

The frame of a snapshot is the same whether it comes from the store or straight from a file
(both go through :mod:`core.ingest`, so the column names are identical): ``employee_id``,
the employee fields ``department``, ``location``, ``job_role``, the mapped features
``f_<name>`` and ``outcome`` (text, as uploaded). :func:`snapshot_xy` turns it into model
inputs; :class:`SnapshotModel` is a class-weighted LightGBM binary model with native
categoricals, optionally boosted from a linear base (:mod:`core.linear_base`);
:func:`train_snapshot_model` tunes it within a time budget with stratified folds (on files
under ``LARGE_ROWS`` rows weighing trees alone against trees on a linear base and trees with
one-row leaves) and measures it on a stratified 20% hold-out with a fixed seed.

Names, e-mails, birth year and gender never become features (the last two are kept only for
the fairness audit), nor do identifier-like text columns.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

from core import lgb_safe
from core.ingest.mapping import feature_name, strip_accents
from core.linear_base import LinearBase
from core.model import (
    DEFAULT_PARAMS,
    DEFAULT_ROUNDS,
    EARLY_STOPPING,
    MIN_CLASS,
    FoldData,
    TrainResult,
    Trial,
    _f,
    _fail,
    _load_booster,
    best_threshold,
    binary_metrics,
    candidate_configs,
    class_weights,
    final_rounds,
    fingerprint,
    fit_early_stopped,
    fit_folds,
    lgb_params,
    n_workers,
    run_tuning,
    safe_auc,
    text_digest,
)

OUTCOME = "outcome"
FEATURE_PREFIX = "f_"
EMPLOYEE_FEATURES = ("department", "location", "job_role")
FRAME_COLUMNS = ("employee_id", *EMPLOYEE_FEATURES)
# Linear base (core.linear_base): the C of its L2-logistic fit, or None for trees alone.
LINEAR_CHOICES: tuple[float | None, ...] = (None, None, 0.03, 0.3)
# The first linear candidate: a fairly strong base with small, slow trees on top.
LINEAR_DEFAULTS: dict = {"linear": 0.1, "learning_rate": 0.05, "max_depth": 3,
                         "num_leaves": 7, "min_data_in_leaf": 20}
# Small files often hold several rows of one person or near-copies: trees with tiny leaves
# (what a random forest grows) then rank best. One such candidate, weighed by CV like the rest.
DEEP_DEFAULTS: dict = {"deep": True, "num_leaves": 127, "max_depth": 16, "min_data_in_leaf": 1,
                       "learning_rate": 0.05, "feature_fraction": 0.5, "bagging_fraction": 0.8,
                       "lambda_l2": 1.0, "cat": (1, 1.0)}
# Many tiny leaves at a slow rate keep improving long after the AUC of a small fold first
# stalls: stopping them after 50 flat rounds cut them at about half their best length.
DEEP_STOPPING = 150
HOLDOUT_FRACTION = 0.2
HOLDOUT_SEED = 20240  # fixed: the same rows are held out on every run and every machine
POSITIVE_TOKENS = ("1", "yes", "y", "si", "true", "verdadero", "positive", "positivo")
SNAPSHOT_FOLDS = 4
LARGE_ROWS = 20_000  # from this many training rows on, 2 folds (time budget)
ID_LIKE_SHARE = 0.5  # a text column with more distinct values than this share of rows ...
ID_LIKE_MIN = 50  # ... and at least this many is an identifier, not a feature
_SEP = "\n#### SPTE-SNAPSHOT-MODEL ####\n"


class SnapshotFrame(pd.DataFrame):
    """A snapshot frame (a plain DataFrame) that also offers ``X``, ``y`` and ``categorical``.

    Slices and copies are plain DataFrames; :func:`snapshot_xy` works on either.
    """

    @property
    def _constructor(self):
        return pd.DataFrame

    @property
    def X(self) -> pd.DataFrame:
        return snapshot_xy(self)[0]

    @property
    def y(self) -> pd.Series:
        return snapshot_xy(self)[1]

    @property
    def categorical(self) -> list[str]:
        return snapshot_xy(self)[2]

    @property
    def positive_label(self) -> str:
        return snapshot_xy(self)[3]


def _frame(df: pd.DataFrame, target: str | None, dataset_version_id: int | None
           ) -> SnapshotFrame:
    cols = [c for c in FRAME_COLUMNS if c in df.columns]
    cols += sorted(c for c in df.columns if str(c).startswith(FEATURE_PREFIX))
    cols += [OUTCOME] if OUTCOME in df.columns else []
    out = SnapshotFrame(df[cols].reset_index(drop=True))
    for c in FRAME_COLUMNS:
        if c not in out.columns:
            out[c] = pd.Series(np.nan, index=out.index, dtype=object)
    out = SnapshotFrame(out[[*FRAME_COLUMNS, *[c for c in cols if c not in FRAME_COLUMNS]]])
    out.attrs["target"] = target
    out.attrs["dataset_version_id"] = dataset_version_id
    return out


def snapshot_frame_from_csv(path: str | Path, target: str) -> SnapshotFrame:
    """A snapshot file read, mapped and validated by :func:`core.ingest.prepare`.

    Raises :class:`core.training.TrainingError` with the ingest errors when the file is
    rejected.
    """
    from core import ingest

    prepared = ingest.prepare([ingest.UploadFile.from_path(path)], kind="snapshot",
                              target=target)
    if not prepared.ok:
        errors = prepared.errors[:5]
        _fail("El archivo no se pudo leer como snapshot: " + " ".join(
                  e.message("es") for e in errors),
              "The file could not be read as a snapshot: " + " ".join(
                  e.message("en") for e in errors))
    validated = prepared.files[0].validated
    return _frame(validated.frame, target, None)


def _typed_features(feats: pd.DataFrame) -> pd.DataFrame:
    """JSON values back to columns: numbers -> float, anything else -> text."""
    out = {}
    for c in feats.columns:
        s = feats[c]
        present = s.dropna()
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool)
                      for v in present)
        if numeric:
            out[c] = pd.to_numeric(s, errors="coerce").astype(float)
        else:
            out[c] = s.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                           else str(v)).astype(object)
    return pd.DataFrame(out, index=feats.index)


def newest_snapshot_version(engine) -> int | None:
    from sqlalchemy import func, select

    from core.models import SnapshotRecord

    with engine.connect() as conn:
        return conn.execute(select(func.max(SnapshotRecord.dataset_version_id))).scalar()


def snapshot_frame_from_db(engine, dataset_version_id: int | None = None, *,
                           target: str | None = None, exclude_opted_out: bool = True
                           ) -> SnapshotFrame:
    """The snapshot rows of one dataset version (default: the newest) as a frame.

    Features come from the stored JSON, ``department`` / ``location`` / ``job_role`` from
    the employees table. People no longer in the table (anonymized) are left out, and so
    are those who objected to automated scoring unless ``exclude_opted_out=False``.
    ``target``: another column of the upload to use as the outcome instead of the stored one
    (its user name or its ``f_`` name); the stored outcome is then not a feature.
    Raises LookupError when there is no snapshot, KeyError when ``target`` is not a column.
    """
    from sqlalchemy import select

    from core.models import DatasetVersion, Employee, SnapshotRecord

    dv = dataset_version_id if dataset_version_id is not None else newest_snapshot_version(
        engine)
    if dv is None:
        raise LookupError("no snapshot dataset is stored")
    with engine.connect() as conn:
        recs = conn.execute(select(SnapshotRecord.employee_id, SnapshotRecord.outcome,
                                   SnapshotRecord.features)
                            .where(SnapshotRecord.dataset_version_id == dv)
                            .order_by(SnapshotRecord.id)).all()
        emps = conn.execute(select(Employee.employee_id, Employee.department,
                                   Employee.location, Employee.job_role,
                                   Employee.scoring_opt_out, Employee.anonymized_at)).all()
        stored_target = conn.execute(select(DatasetVersion.target)
                                     .where(DatasetVersion.id == dv)).scalar()
    if not recs:
        raise LookupError(f"dataset version {dv} holds no snapshot rows")
    feats = [r.features if isinstance(r.features, dict) else json.loads(r.features or "{}")
             for r in recs]
    df = _typed_features(pd.DataFrame(feats))
    df.insert(0, "employee_id", [str(r.employee_id) for r in recs])
    df[OUTCOME] = pd.Series([r.outcome for r in recs], dtype=object)
    emp = pd.DataFrame(emps, columns=["employee_id", *EMPLOYEE_FEATURES, "opt_out",
                                      "anonymized_at"]).set_index("employee_id")
    keep = emp["anonymized_at"].isna()
    if exclude_opted_out:
        keep &= ~emp["opt_out"].fillna(False).astype(bool)
    emp = emp[keep]
    df = df[df["employee_id"].isin(emp.index)].reset_index(drop=True)
    for c in EMPLOYEE_FEATURES:
        df[c] = df["employee_id"].map(emp[c]).astype(object)
    used_target = stored_target
    if target is not None and target not in (stored_target, OUTCOME):
        col = target if target in df.columns and target.startswith(FEATURE_PREFIX) else (
            feature_name(target))
        if col not in df.columns:
            raise KeyError(target)
        values = df.pop(col)
        df[OUTCOME] = [None if pd.isna(v) else (str(int(v)) if isinstance(v, float)
                                                and float(v).is_integer() else str(v))
                       for v in values]
        used_target = target
    return _frame(df, used_target, int(dv))


# --------------------------------------------------------------------------------------------
# Model inputs
# --------------------------------------------------------------------------------------------


def _norm_label(value: object) -> str:
    return strip_accents(str(value)).strip().lower()


def positive_label(outcomes: pd.Series) -> str | None:
    """The positive class: 1 / yes / sí / true when present, else the minority class."""
    counts = outcomes.dropna().astype(str).value_counts()
    if counts.empty:
        return None
    for token in POSITIVE_TOKENS:
        for label in counts.index:
            if _norm_label(label) == token:
                return str(label)
    # Minority class; ties broken by the label so that the choice is reproducible.
    ranked = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return str(ranked[0][0])


def snapshot_xy(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, list[str], str | None]:
    """Model inputs of a snapshot frame: ``(X, y, categorical, positive label)``.

    ``X``: the employee fields and ``f_*`` features that hold any value; text as pandas
    categoricals, numbers as float. ``y``: 1.0 for the positive class, 0.0 for any other
    label, NaN where the outcome is missing.
    """
    cols = [c for c in EMPLOYEE_FEATURES if c in frame.columns and frame[c].notna().any()]
    cols += [c for c in frame.columns if str(c).startswith(FEATURE_PREFIX)
             and frame[c].notna().any()]
    X = pd.DataFrame(index=frame.index)
    categorical = []
    for c in cols:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            X[c] = pd.to_numeric(s, errors="coerce").astype(float)
        else:
            text = s.astype(object).where(s.notna(), None)
            text = text.map(lambda v: v if v is None else str(v))
            X[c] = pd.Categorical(text, categories=sorted(text.dropna().unique()))
            categorical.append(c)
    outcome = frame[OUTCOME] if OUTCOME in frame.columns else pd.Series(
        np.nan, index=frame.index, dtype=object)
    outcome = outcome.astype(object).where(outcome.notna(), None)
    pos = positive_label(outcome)
    y = pd.Series([np.nan if v is None else float(str(v) == pos) for v in outcome],
                  index=frame.index, dtype=float)
    return X, y, categorical, pos


def holdout_split(frame: pd.DataFrame, seed: int = HOLDOUT_SEED,
                  fraction: float = HOLDOUT_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """Index labels of the training and hold-out rows (labelled rows only).

    Stratified by the outcome, with a fixed seed; rows are ordered by ``employee_id`` first,
    so the split does not depend on the order of the file.
    """
    _X, y, _c, _p = snapshot_xy(frame)
    lab = y.dropna()
    ids = frame.loc[lab.index, "employee_id"].astype(str)
    order = np.lexsort((np.arange(len(ids)), ids.to_numpy()))
    idx = lab.index.to_numpy()[order]
    yy = lab.to_numpy()[order]
    if min(int(yy.sum()), int(len(yy) - yy.sum())) < 2:
        raise ValueError("each class needs at least two rows for a stratified hold-out")
    sss = StratifiedShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
    tr, te = next(sss.split(np.zeros(len(yy)), yy))
    return np.sort(idx[tr]), np.sort(idx[te])


def holdout_fingerprint(frame: pd.DataFrame, test_index: np.ndarray, y: pd.Series) -> str:
    ids = frame.loc[test_index, "employee_id"].astype(str)
    return fingerprint(f"{e}|{v:g}" for e, v in zip(ids, y.loc[test_index], strict=True))


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


def _id_like(s: pd.Series) -> bool:
    n = s.notna().sum()
    k = s.nunique(dropna=True)
    return k >= ID_LIKE_MIN and k > ID_LIKE_SHARE * max(n, 1)


class SnapshotModel:
    """Class-weighted LightGBM binary model of a snapshot outcome (scikit-learn style).

    ``fit(X, y)`` with ``y`` in {0, 1} (NaN rows are skipped); text columns become native
    categoricals, identifier-like text columns are dropped (``dropped_``).
    ``predict_proba`` gives the two class probabilities, ``predict_positive`` the positive
    one, ``contributions`` exact TreeSHAP on the log-odds scale (plus the base value).
    """

    def __init__(self, *, params: dict | None = None, n_rounds: int = DEFAULT_ROUNDS,
                 weight_power: float = 1.0, random_state: int = 0,
                 linear_c: float | None = None):
        self.params = params
        self.n_rounds = n_rounds
        self.weight_power = weight_power
        self.random_state = random_state
        self.linear_c = linear_c

    def get_params(self) -> dict:
        return {"params": self.params, "n_rounds": int(self.n_rounds),
                "weight_power": float(self.weight_power),
                "random_state": int(self.random_state),
                "linear_c": None if self.linear_c is None else float(self.linear_c)}

    def fit(self, X: pd.DataFrame, y, *, categorical: list[str] | None = None
            ) -> SnapshotModel:
        y = pd.Series(np.asarray(y, dtype=float), index=X.index)
        keep = y.notna().to_numpy()
        X, y = X.loc[keep], y[keep]
        if categorical is None:
            categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])
                           or isinstance(X[c].dtype, pd.CategoricalDtype)]
        self.dropped_ = [c for c in categorical if _id_like(X[c])]
        self.feature_names_ = [c for c in X.columns if c not in self.dropped_]
        self.categorical_ = [c for c in categorical if c in self.feature_names_]
        self.categories_ = {}
        for c in self.categorical_:
            vals = X[c].astype(object).where(X[c].notna(), None).dropna().astype(str)
            self.categories_[c] = sorted(vals.unique())
        Xa = self._align(X)
        params = {**DEFAULT_PARAMS, **(self.params or {}), "objective": "binary",
                  "seed": self.random_state}
        weight = class_weights(y.to_numpy(), self.weight_power)
        self.linear_ = None
        init = None
        if self.linear_c is not None:
            self.linear_ = LinearBase(C=self.linear_c).fit(
                Xa, y.to_numpy(), weight=weight, categorical=self.categorical_)
            init = self.linear_.decision(Xa)
        data = lgb.Dataset(Xa, y.to_numpy(), weight=weight, init_score=init,
                           categorical_feature=self.categorical_, free_raw_data=False)
        self.booster_ = lgb.train(params, data, num_boost_round=self.n_rounds)
        self.classes_ = np.array([0, 1])
        return self

    def _align(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.reindex(columns=self.feature_names_)
        out = {}
        for c in self.feature_names_:
            if c in self.categories_:
                v = X[c].astype(object).where(X[c].notna(), None)
                v = v.map(lambda x: x if x is None else str(x))
                cats = self.categories_[c]
                out[c] = pd.Categorical(v.where(v.isin(cats), None), categories=cats)
            else:
                out[c] = pd.to_numeric(X[c], errors="coerce").astype(float)
        return pd.DataFrame(out, index=X.index)

    def predict_positive(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of the positive class (class-weighted model: a score, not a rate)."""
        Xa = self._align(X)
        if getattr(self, "linear_", None) is None:
            return lgb_safe.predict(self.booster_, Xa)
        raw = lgb_safe.predict(self.booster_, Xa, raw_score=True)
        return expit(raw + self.linear_.decision(Xa))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = self.predict_positive(X)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Class 0/1 at the threshold chosen in training (0.5 without one)."""
        return (self.predict_positive(X) >= getattr(self, "threshold_", 0.5)).astype(int)

    def contributions(self, X: pd.DataFrame, which: str = "outcome") -> np.ndarray:
        """Exact TreeSHAP (``pred_contrib``) on the log-odds: one column per feature + base.

        ``which`` is accepted for the same call as :class:`core.model.RatingModel`; a
        snapshot model has a single output.
        """
        Xa = self._align(X)
        out = lgb_safe.predict(self.booster_, Xa, pred_contrib=True)
        if getattr(self, "linear_", None) is not None:
            out = np.array(out, dtype=float)
            out[:, :-1] += self.linear_.contributions(Xa)
            out[:, -1] += self.linear_.base_value()
        return out

    def to_text(self) -> str:
        booster = self.booster_.model_to_string()
        header = json.dumps({
            "kind": "snapshot", "feature_names": self.feature_names_,
            "categorical": self.categorical_, "categories": self.categories_,
            "dropped": self.dropped_, **self.get_params(),
            "threshold": getattr(self, "threshold_", None),
            "positive_label": getattr(self, "positive_label_", None),
            "target": getattr(self, "target_", None),
            "linear": None if getattr(self, "linear_", None) is None else self.linear_.to_dict(),
            "sha256": text_digest(booster),
        }, ensure_ascii=False)
        return _SEP.join([header, booster])

    @classmethod
    def from_text(cls, text: str) -> SnapshotModel:
        """Load a stored model; raises ValueError when the text is not one of ours."""
        parts = text.split(_SEP) if isinstance(text, str) else []
        if len(parts) != 2:
            raise ValueError("not a stored SnapshotModel")
        try:
            h = json.loads(parts[0])
            model = cls(params=h.get("params"), n_rounds=h.get("n_rounds", DEFAULT_ROUNDS),
                        weight_power=h.get("weight_power", 1.0),
                        random_state=h.get("random_state", 0), linear_c=h.get("linear_c"))
            model.feature_names_ = list(h["feature_names"])
            model.categorical_ = list(h["categorical"])
            model.categories_ = dict(h["categories"])
            model.dropped_ = list(h.get("dropped", []))
            if h.get("threshold") is not None:
                model.threshold_ = float(h["threshold"])
            model.positive_label_ = h.get("positive_label")
            model.target_ = h.get("target")
            model.linear_ = LinearBase.from_dict(h["linear"]) if h.get("linear") else None
            if model.linear_ is not None and model.linear_.features_ != model.feature_names_:
                raise ValueError("linear base features differ from the model's")
            digest = h.get("sha256")
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"stored model header does not load: {exc}") from exc
        model.booster_ = _load_booster(parts[1], digest)
        if model.booster_.num_feature() != len(model.feature_names_):
            raise ValueError("stored model does not load: feature count mismatch")
        model.classes_ = np.array([0, 1])
        return model


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


def _class_check(y: pd.Series, target: str | None) -> None:
    lab = y.dropna()
    pos = int(lab.sum())
    neg = int(len(lab) - pos)
    name = target or OUTCOME
    if len(lab) == 0:
        _fail(f"La columna de resultado «{name}» está vacía: no hay nada que aprender.",
              f"The outcome column '{name}' is empty: there is nothing to learn from.")
    if min(pos, neg) < MIN_CLASS:
        _fail(f"Muy pocos ejemplos de una clase en «{name}»: {pos} positivos y {neg} "
              f"negativos; se necesitan al menos {MIN_CLASS} de cada uno.",
              f"Too few examples of one class in '{name}': {pos} positive and {neg} "
              f"negative; at least {MIN_CLASS} of each are needed.")


def snapshot_params(cfg: dict, *, random_state: int) -> dict:
    """LightGBM parameters of a candidate; ``deep`` ones lift the tree-size caps."""
    p = lgb_params(cfg, random_state=random_state)
    if cfg.get("deep"):
        p.update(num_leaves=int(cfg["num_leaves"]), max_depth=int(cfg["max_depth"]),
                 min_sum_hessian_in_leaf=1e-3)
    return p


def snapshot_configs(random_state: int, *, small_file: bool = True) -> list[dict]:
    """Tuning candidates: trees alone, trees on a linear base, tiny-leaf trees, then random.

    Each random configuration draws whether it starts from a linear base (and its strength)
    from :data:`LINEAR_CHOICES`, so tuning weighs them all by cross-validated AUC.
    ``small_file`` False: the shared candidates only (large files, where the extra ones
    gain nothing and cost time).
    """
    base = candidate_configs(random_state)
    if not small_file:
        return base
    rng = np.random.default_rng(random_state)
    first = [dict(base[0]), {**base[0], **LINEAR_DEFAULTS}, {**base[0], **DEEP_DEFAULTS}]
    rest = [{**c, "linear": LINEAR_CHOICES[int(rng.integers(len(LINEAR_CHOICES)))]}
            for c in base[1:]]
    return [*first, *rest]


def train_snapshot_model(frame: pd.DataFrame, *, budget_seconds: float = 30,
                         random_state: int = 0, max_trials: int | None = None
                         ) -> TrainResult:
    """Tune, measure and fit a :class:`SnapshotModel` on a snapshot frame.

    Hold-out: a stratified 20% of the labelled rows with a fixed seed (:func:`holdout_split`).
    Tuning (defaults first, then random configurations, until ``budget_seconds`` minus the
    time the final fits need) uses stratified folds of the other 80% only; the F1 threshold
    is chosen on those folds' predictions. The chosen recipe is fitted on the 80% and scored
    on the hold-out (the reported metrics), and fitted on every labelled row for the model
    that is returned.
    """
    t_start = time.perf_counter()
    deadline = t_start + float(budget_seconds)
    X, y, categorical, pos_label = snapshot_xy(frame)
    target = frame.attrs.get("target")
    _class_check(y, target)
    tr_idx, te_idx = holdout_split(frame)
    X_tr, y_tr = X.loc[tr_idx], y.loc[tr_idx]
    usable = [c for c in X.columns if not (c in categorical and _id_like(X_tr[c]))]
    dropped = [c for c in X.columns if c not in usable]
    categorical = [c for c in categorical if c in usable]
    X = X[usable]
    X_tr = X_tr[usable]
    ytr = y_tr.to_numpy()

    n_folds = SNAPSHOT_FOLDS if len(ytr) < LARGE_ROWS else 2
    n_folds = max(2, min(n_folds, int(min(ytr.sum(), len(ytr) - ytr.sum()))))
    skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=random_state)
    splits = list(skf.split(np.zeros(len(ytr)), ytr))
    folds = [FoldData.build(X_tr, ytr, a, b, categorical, str(i))
             for i, (a, b) in enumerate(splits)]

    linear_folds: dict[tuple[float, float], list[FoldData]] = {}

    def folds_for(cfg: dict) -> list[FoldData]:
        """The folds a configuration boosts on: plain, or from a linear base of each fold."""
        c = cfg.get("linear")
        if c is None:
            return folds
        key = (float(c), float(cfg["weight_power"]))
        if key not in linear_folds:
            built = []
            for i, (a, b) in enumerate(splits):
                base = LinearBase(C=key[0]).fit(
                    X_tr.iloc[a], ytr[a], weight=class_weights(ytr[a], key[1]),
                    categorical=categorical)
                built.append(FoldData.build(
                    X_tr, ytr, a, b, categorical, str(i),
                    init_score=(base.decision(X_tr.iloc[a]), base.decision(X_tr.iloc[b]))))
            linear_folds[key] = built
        return linear_folds[key]

    def evaluate(cfg: dict) -> Trial:
        t0 = time.perf_counter()
        params = snapshot_params(cfg, random_state=random_state)
        power = float(cfg["weight_power"])
        use = folds_for(cfg)
        stop = DEEP_STOPPING if cfg.get("deep") else EARLY_STOPPING
        res = fit_folds(lambda f: fit_early_stopped(params, "binary", "auc", f,
                                                    weight_power=power, stopping_rounds=stop),
                        use)
        aucs = [safe_auc(f.y_valid, p) for f, (_, p) in zip(use, res, strict=True)]
        return Trial(config=cfg, scores={"auc": float(np.nanmean(aucs))},
                     rounds={"auc": final_rounds([it for it, _ in res])},
                     oof={"auc": (np.concatenate([f.y_valid for f in use]),
                                  np.concatenate([p for _, p in res]))},
                     seconds=time.perf_counter() - t0)

    def reserve(first: Trial) -> float:
        per_task = first.seconds * n_workers() / len(folds)
        fold_rows = len(ytr) * (n_folds - 1) / n_folds
        # Two final fits run side by side: about one fit on all rows.
        return 1.3 * per_task * (y.notna().sum() / max(fold_rows, 1.0))

    configs = snapshot_configs(random_state, small_file=len(ytr) < LARGE_ROWS)
    if max_trials is not None:
        configs = configs[:max(1, max_trials)]
    trials = run_tuning(evaluate, configs, deadline=deadline, reserve=reserve)
    best = max(trials, key=lambda t: t.scores["auc"])
    params = snapshot_params(best.config, random_state=random_state)
    threshold = best_threshold(*best.oof["auc"])
    recipe = {"params": params, "n_rounds": best.rounds["auc"],
              "weight_power": float(best.config["weight_power"]),
              "random_state": int(random_state), "linear_c": best.config.get("linear")}
    labelled = y.notna().to_numpy()
    with ThreadPoolExecutor(max_workers=2) as pool:  # one core each
        hold = pool.submit(lambda: SnapshotModel(**recipe).fit(
            X_tr, ytr, categorical=categorical))
        full = pool.submit(lambda: SnapshotModel(**recipe).fit(
            X.loc[labelled], y[labelled].to_numpy(), categorical=categorical))
        holdout_fit, model = hold.result(), full.result()
    p_te = holdout_fit.predict_positive(X.loc[te_idx])
    y_te = y.loc[te_idx].to_numpy()
    model.dropped_ = [*dropped, *model.dropped_]
    model.threshold_ = float(threshold)
    model.positive_label_ = pos_label
    model.target_ = target
    label = f"stratified {HOLDOUT_FRACTION:.0%} hold-out (seed {HOLDOUT_SEED})"
    metrics = {
        **binary_metrics(y_te, p_te, threshold),
        "threshold_source": f"{n_folds}-fold stratified CV on the training rows",
        "n_train": len(tr_idx),
        "n_test": len(te_idx),
        "positive_label": pos_label,
        "target": target,
        "holdout_period": label,
        "holdout": {"kind": "stratified", "fraction": HOLDOUT_FRACTION, "seed": HOLDOUT_SEED,
                    "fingerprint": holdout_fingerprint(frame, te_idx, y),
                    "dataset_version_id": frame.attrs.get("dataset_version_id")},
        "tuning": {"trials": len(trials), "folds": n_folds, "cv_auc": _f(best.scores["auc"])},
        "note": ("Metrics come from a fit on the other 80% of the labelled rows, scored on "
                 "the hold-out; the returned model is the same recipe refitted on every "
                 "labelled row. Probabilities come from a class-weighted model: read them as "
                 "scores (see the calibration table)."),
    }
    out_params = {"kind": "snapshot", "target": target, "model": model.get_params(),
                  "threshold": _f(threshold), "positive_label": pos_label,
                  "budget_seconds": float(budget_seconds), "random_state": int(random_state),
                  "features": model.feature_names_, "dropped": model.dropped_}
    return TrainResult(model=model, metrics=metrics, params=out_params, holdout_period=label,
                       n_train=len(tr_idx), n_test=len(te_idx),
                       seconds=time.perf_counter() - t_start, kind="snapshot",
                       train_index=tr_idx, holdout_index=te_idx)

