"""Model registry in the database (table ``model_versions``).

Each version holds the model as LightGBM text (never a pickle), its parameters, hold-out
metrics, the dataset versions it was trained on and a status: ``candidate``, ``active`` or
``retired``. There is at most one active model per kind (``history`` or ``snapshot``).

Promotion rule: a candidate becomes active only if it is not worse than the active model
*on the candidate's hold-out* (MAE for history, lower is better; AUC for snapshot, higher
is better), unless forced. How the active model is scored there, fairly:

1. the same hold-out rows (same fingerprint): both stored metrics are on identical rows,
   each from a fit that never saw them;
2. the active model never saw those rows (history: it was trained through an earlier
   quarter; snapshot: another upload with none of these people): it is scored as it is;
3. otherwise its recipe (stored parameters and rounds) is refitted on the candidate's
   training rows and scored on the hold-out, so that neither side is scored in-sample.

A model text that does not load never becomes active: it is loaded before every promotion
and rollback. Every status change is one transaction.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import OrderedDict
from typing import Any

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import defer

from core.contract import period_key
from core.db import session_factory, session_scope
from core.model import RatingModel, history_holdout_fingerprint, safe_auc
from core.models import ModelVersion, SnapshotRecord
from core.snapshot import (
    HOLDOUT_FRACTION,
    HOLDOUT_SEED,
    SnapshotModel,
    holdout_fingerprint,
    holdout_split,
    snapshot_frame_from_db,
    snapshot_xy,
)

log = logging.getLogger(__name__)

KINDS = ("history", "snapshot")
HISTORY_TARGET = "next_rating"
EPS = 1e-9  # "not worse" allows only rounding noise
_CACHE: OrderedDict[tuple[int, str], Any] = OrderedDict()
_CACHE_SIZE = 8


def _json_safe(value: Any) -> Any:
    """Plain JSON: numpy scalars to Python, NaN / inf to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def load_model(kind: str, text: str):
    """The model of a stored text; ValueError when it does not load."""
    if kind == "history":
        return RatingModel.from_text(text)
    if kind == "snapshot":
        return SnapshotModel.from_text(text)
    raise ValueError(f"unknown model kind {kind!r}")


def _kind(mv: ModelVersion) -> str:
    return (mv.params or {}).get("kind", "history")


def _cached_model(mv: ModelVersion):
    key = (mv.id, hashlib.sha256(mv.model_text.encode()).hexdigest())
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    model = load_model(_kind(mv), mv.model_text)
    _CACHE[key] = model
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return model


def save_candidate(engine: Engine, result, *, kind: str, target: str,
                   data_versions: list[int], created_by: str | None = None) -> int:
    """Store a trained model as a candidate; returns its version id.

    ``result`` is a :class:`core.model.TrainResult`. The model text is loaded back before it
    is stored (ValueError if it does not load).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    text = result.model.to_text()
    load_model(kind, text)
    params = _json_safe({**(result.params or {}), "kind": kind, "target": target})
    metrics = _json_safe({**(result.metrics or {}), "seconds": round(float(result.seconds), 3),
                          "n_train": int(result.n_train), "n_test": int(result.n_test),
                          "holdout_period": result.holdout_period})
    with session_scope(engine) as s:
        mv = ModelVersion(created_by=created_by, target=str(target)[:100], status="candidate",
                          data_versions=[int(v) for v in data_versions], params=params,
                          metrics=metrics, model_text=text)
        s.add(mv)
        s.flush()
        return int(mv.id)


def _summary(mv: ModelVersion) -> dict[str, Any]:
    return {
        "id": mv.id,
        "status": mv.status,
        "kind": _kind(mv),
        "target": mv.target,
        "created_at": mv.created_at.isoformat() if mv.created_at else None,
        "created_by": mv.created_by,
        "data_versions": list(mv.data_versions or []),
        "metrics": dict(mv.metrics or {}),
        "params": dict(mv.params or {}),
    }


def list_versions(engine: Engine, kind: str | None = None) -> list[dict[str, Any]]:
    """Every stored version, newest first (without the model text)."""
    with session_factory(engine)() as s:
        rows = s.scalars(select(ModelVersion).options(defer(ModelVersion.model_text))
                         .order_by(ModelVersion.id.desc())).all()
        return [_summary(mv) for mv in rows if kind is None or _kind(mv) == kind]


def get_version(engine: Engine, version_id: int) -> dict[str, Any] | None:
    with session_factory(engine)() as s:
        mv = s.get(ModelVersion, version_id)
        return None if mv is None else _summary(mv)


def active_model(engine: Engine, kind: str = "history") -> tuple[int, Any] | None:
    """``(version id, model)`` of the active model of this kind, or None.

    A stored text that no longer loads is logged and treated as no active model (roll back
    to a loadable version).
    """
    with session_factory(engine)() as s:
        rows = s.scalars(select(ModelVersion).where(ModelVersion.status == "active")
                         .order_by(ModelVersion.id.desc())).all()
        mv = next((r for r in rows if _kind(r) == kind), None)
        if mv is None:
            return None
        try:
            return int(mv.id), _cached_model(mv)
        except ValueError:
            log.exception("active model %s does not load", mv.id)
            return None


# --------------------------------------------------------------------------------------------
# Comparison on the candidate's hold-out
# --------------------------------------------------------------------------------------------


def _metric(kind: str) -> str:
    return "mae" if kind == "history" else "auc"


def _not_worse(kind: str, candidate: float, active: float) -> bool:
    if kind == "history":
        return candidate <= active + EPS
    return candidate >= active - EPS


def _history_compare(engine: Engine, cand: ModelVersion, active: ModelVersion,
                     active_model_: RatingModel) -> dict[str, Any]:
    from core.features import FeatureBuilder
    from core.training import load_training_history

    hold = cand.metrics.get("holdout") or {}
    period = hold.get("period") or cand.metrics.get("holdout_period")
    if not period:
        raise ValueError(f"version {cand.id} stores no hold-out quarter")
    ff = FeatureBuilder().fit_transform(load_training_history(engine))
    pk = ff.keys["period"].map(period_key).to_numpy()
    labelled = ff.y_rating.notna().to_numpy()
    test = labelled & (pk == period_key(period))
    train = labelled & (pk < period_key(period))
    if not test.any() or not train.any():
        raise ValueError(f"the hold-out quarter {period} is no longer in the store")
    y = ff.y_rating.to_numpy(dtype=float)
    same_rows = history_holdout_fingerprint(ff.keys[test], ff.y_rating[test]) == hold.get(
        "fingerprint")

    def refit_mae(recipe: dict) -> float:
        m = RatingModel(**recipe).fit(ff.X[train], ff.y_rating[train],
                                      categorical=ff.categorical)
        return float(np.mean(np.abs(m.predict(ff.X[test]) - y[test])))

    notes = []
    if same_rows:
        cand_value = float(cand.metrics["mae"])
    else:
        cand_value = refit_mae(cand.params["model"])
        notes.append("the store changed since training: candidate recipe refitted")
    trained_through = (active.metrics or {}).get("trained_through")
    if trained_through and period_key(trained_through) < period_key(period):
        act_value = float(np.mean(np.abs(active_model_.predict(ff.X[test]) - y[test])))
        method = "active model scored as it is (it never saw this quarter)"
    else:
        act_value = refit_mae(active_model_.get_params())
        method = "active recipe refitted on the candidate's training quarters"
    return {"value_candidate": cand_value, "value_active": act_value, "method": method,
            "notes": notes}


def _snapshot_compare(engine: Engine, cand: ModelVersion, active: ModelVersion,
                      active_model_: SnapshotModel) -> dict[str, Any]:
    hold = cand.metrics.get("holdout") or {}
    dv = hold.get("dataset_version_id") or (cand.data_versions or [None])[-1]
    frame = snapshot_frame_from_db(engine, dv, target=cand.target)
    tr, te = holdout_split(frame, seed=int(hold.get("seed", HOLDOUT_SEED)),
                           fraction=float(hold.get("fraction", HOLDOUT_FRACTION)))
    X, y, categorical, _pos = snapshot_xy(frame)
    y_te = y.loc[te].to_numpy()
    same_rows = holdout_fingerprint(frame, te, y) == hold.get("fingerprint")

    def refit_auc(recipe: dict) -> float:
        m = SnapshotModel(**recipe).fit(X.loc[tr], y.loc[tr].to_numpy(),
                                        categorical=categorical)
        return safe_auc(y_te, m.predict_positive(X.loc[te]))

    notes = []
    if same_rows:
        cand_value = float(cand.metrics["auc"])
    else:
        cand_value = refit_auc(cand.params["model"])
        notes.append("the store changed since training: candidate recipe refitted")
    act_dv = ((active.metrics or {}).get("holdout") or {}).get("dataset_version_id") or (
        active.data_versions or [None])[-1]
    seen: set[str] = set()
    if act_dv is not None:
        with engine.connect() as conn:
            seen = set(conn.execute(select(SnapshotRecord.employee_id).where(
                SnapshotRecord.dataset_version_id == act_dv)).scalars().all())
    held_ids = set(frame.loc[te, "employee_id"].astype(str))
    if act_dv is not None and act_dv != dv and not (seen & held_ids):
        act_value = safe_auc(y_te, active_model_.predict_positive(X.loc[te]))
        method = "active model scored as it is (it never saw these people)"
    else:
        act_value = refit_auc(active_model_.get_params())
        method = "active recipe refitted on the candidate's training rows"
    return {"value_candidate": cand_value, "value_active": act_value, "method": method,
            "notes": notes}


def compare(engine: Engine, cand: ModelVersion, active: ModelVersion) -> dict[str, Any]:
    """The candidate against the active model on the candidate's hold-out."""
    kind = _kind(cand)
    metric = _metric(kind)
    out: dict[str, Any] = {"version": active.id, "metric": metric,
                           "better": "lower" if metric == "mae" else "higher"}
    a_hold = (active.metrics or {}).get("holdout") or {}
    c_hold = (cand.metrics or {}).get("holdout") or {}
    if (c_hold.get("fingerprint") and a_hold.get("fingerprint") == c_hold.get("fingerprint")
            and active.metrics.get(metric) is not None):
        out.update(value_candidate=float(cand.metrics[metric]),
                   value_active=float(active.metrics[metric]),
                   method="same hold-out rows: stored metrics compared")
    else:
        active_m = load_model(_kind(active), active.model_text)
        fn = _history_compare if kind == "history" else _snapshot_compare
        out.update(fn(engine, cand, active, active_m))
    cv, av = out["value_candidate"], out["value_active"]
    if cv is None or av is None or not (math.isfinite(cv) and math.isfinite(av)):
        out["not_worse"] = False
        out["reason"] = f"{metric} could not be computed on the hold-out"
    else:
        out["not_worse"] = _not_worse(kind, cv, av)
    return _json_safe(out)


# --------------------------------------------------------------------------------------------
# Status changes
# --------------------------------------------------------------------------------------------


def _activate(engine: Engine, version_id: int, kind: str, expected_active: int | None,
              note: dict[str, Any] | None, *, check_active: bool) -> tuple[bool, str]:
    """One transaction: retire the active model(s) of ``kind``, activate ``version_id``."""
    with session_scope(engine, write=True) as s:
        mv = s.get(ModelVersion, version_id, with_for_update=True)
        if mv is None:
            return False, f"version {version_id} does not exist"
        actives = [r for r in s.scalars(select(ModelVersion).where(
            ModelVersion.status == "active").with_for_update()).all() if _kind(r) == kind]
        current = max((r.id for r in actives), default=None)
        if check_active and current != expected_active:
            return False, (f"the active model changed meanwhile (now {current}); "
                           "compare again")
        for r in actives:
            if r.id != version_id:
                r.status = "retired"
        mv.status = "active"
        if note is not None:
            mv.metrics = {**(mv.metrics or {}), "promotion": note}
    return True, "activated"


def promote_detailed(engine: Engine, version_id: int, *, force: bool = False
             ) -> tuple[bool, str, dict[str, Any] | None]:
    with session_factory(engine)() as s:
        cand = s.get(ModelVersion, version_id)
        if cand is None:
            return False, f"version {version_id} does not exist", None
        if cand.status == "active":
            return True, "already active", None
        kind = _kind(cand)
        try:
            load_model(kind, cand.model_text)
        except ValueError as exc:
            return False, f"version {version_id} does not load, so it stays inactive: {exc}", \
                None
        actives = [r for r in s.scalars(select(ModelVersion).where(
            ModelVersion.status == "active")).all() if _kind(r) == kind]
        active = max(actives, key=lambda r: r.id, default=None)
    if active is None:
        ok, why = _activate(engine, version_id, kind, None, {"compared_to": None},
                            check_active=True)
        return ok, ("no active model yet: activated" if ok else why), None
    if force:
        ok, why = _activate(engine, version_id, kind, active.id,
                            {"compared_to": active.id, "forced": True}, check_active=False)
        return ok, (f"forced: replaces version {active.id}" if ok else why), None
    if _kind(active) == "snapshot" and active.target != cand.target:
        ok, why = _activate(engine, version_id, kind, active.id,
                            {"compared_to": None, "target_changed": True}, check_active=True)
        return ok, (f"the outcome changed ({active.target} -> {cand.target}): no comparison; "
                    f"replaces version {active.id}" if ok else why), None
    try:
        cmp = compare(engine, cand, active)
    except Exception as exc:  # the comparison failing must not promote anything
        log.exception("comparison of %s with %s failed", version_id, active.id)
        return False, f"could not compare with the active version {active.id}: {exc}", None
    metric = cmp["metric"]
    desc = (f"{metric} {cmp['value_candidate']:.4f} vs {cmp['value_active']:.4f} of active "
            f"version {active.id} ({cmp['method']})"
            if cmp.get("value_candidate") is not None and cmp.get("value_active") is not None
            else cmp.get("reason", "no comparison"))
    if not cmp["not_worse"]:
        with session_scope(engine, write=True) as s:  # keep the refusal with the candidate
            mv = s.get(ModelVersion, version_id)
            mv.metrics = {**(mv.metrics or {}), "promotion": {"refused": True, **cmp}}
        return False, f"worse than the active model: {desc}", cmp
    ok, why = _activate(engine, version_id, kind, active.id, cmp, check_active=True)
    return ok, (f"not worse: {desc}" if ok else why), cmp


def promote(engine: Engine, version_id: int, *, force: bool = False) -> tuple[bool, str]:
    """Make a candidate active if it is not worse than the active one (or ``force``).

    Returns ``(activated, reason)``. The previous active model of the same kind is retired.
    A version whose model text does not load is never activated, forced or not.
    """
    ok, reason, _cmp = promote_detailed(engine, version_id, force=force)
    return ok, reason


def rollback(engine: Engine, version_id: int) -> tuple[bool, str]:
    """Activate an earlier version (retired or candidate), retiring the active one."""
    with session_factory(engine)() as s:
        mv = s.get(ModelVersion, version_id)
        if mv is None:
            return False, f"version {version_id} does not exist"
        if mv.status == "active":
            return True, "already active"
        kind = _kind(mv)
        try:
            load_model(kind, mv.model_text)
        except ValueError as exc:
            return False, f"version {version_id} does not load, so it stays inactive: {exc}"
    ok, why = _activate(engine, version_id, kind, None, None, check_active=False)
    return ok, (f"rolled back to version {version_id}" if ok else why)

