"""Training service: what the app and the CLI call to train on the store's data.

``train_from_store`` picks the shape of the data (history or snapshot), builds features,
trains within a time budget, stores the model as a candidate and promotes it when it is not
worse than the active one (or when forced). Too little data raises :class:`TrainingError`
with a message in Spanish and English; whatever fails, the active model stays active.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, select

from core.errors import BilingualError
from core.models import (
    DatasetVersion,
    Employee,
    Measurement,
    Program,
    SnapshotRecord,
    TrainingRecord,
)


class TrainingError(BilingualError):
    """Training cannot run on this data; ``message(lang)`` says why, in es or en."""


def load_training_history(engine: Engine):
    """The store's history without the people who objected to automated scoring."""
    from core.features import load_history

    history = load_history(engine)
    emp = history.employees
    if "scoring_opt_out" in emp:
        opted = set(emp.loc[emp["scoring_opt_out"].fillna(False).astype(bool), "employee_id"])
        if opted:
            history.employees = emp[~emp["employee_id"].isin(opted)]
            history.performance = history.performance[
                ~history.performance["employee_id"].isin(opted)]
            trs = history.training_records
            history.training_records = trs[~trs["employee_id"].isin(opted)]
    return history


def _rating_periods(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(Measurement.period).distinct()
                                 .where(Measurement.kind == "rating")).scalars().all())


def _history_versions(engine: Engine) -> list[int]:
    out: set[int] = set()
    with engine.connect() as conn:
        for table in (Measurement, TrainingRecord, Employee, Program):
            out |= {v for v in conn.execute(select(table.dataset_version_id).distinct())
                    .scalars().all() if v is not None}
        snap = set(conn.execute(select(SnapshotRecord.dataset_version_id).distinct())
                   .scalars().all())
    return sorted(out - snap)


def _newest_shape(engine: Engine) -> str | None:
    """``snapshot`` or ``history``: the shape of the newest upload that has either."""
    with engine.connect() as conn:
        for kinds in conn.execute(select(DatasetVersion.kinds)
                                  .order_by(DatasetVersion.id.desc())).scalars():
            parts = set((kinds or "").split(","))
            if "snapshot" in parts:
                return "snapshot"
            if "performance" in parts:
                return "history"
    return None


def choose_shape(engine: Engine, target: str | None = None) -> str:
    """``history`` or ``snapshot`` for the store's data (TrainingError when neither fits)."""
    from core.snapshot import newest_snapshot_version

    periods = _rating_periods(engine)
    has_snapshot = newest_snapshot_version(engine) is not None
    if target is not None:
        if not has_snapshot:
            raise TrainingError(
                f"Se indicó la columna de resultado «{target}», pero no hay ningún archivo de "
                "tipo snapshot cargado. Suba el archivo (una fila por colaborador) primero.",
                f"The outcome column '{target}' was given, but no snapshot file is stored. "
                "Upload the file (one row per employee) first.")
        return "snapshot"
    if len(periods) >= 2 and has_snapshot:
        return _newest_shape(engine) or "history"
    if len(periods) >= 2:
        return "history"
    if has_snapshot:
        return "snapshot"
    if len(periods) == 1:
        raise TrainingError(
            f"Solo hay un trimestre de calificaciones ({periods[0]}): sin el trimestre "
            "siguiente no hay resultado que aprender. Suba al menos tres trimestres "
            "consecutivos, o un archivo snapshot con una columna de resultado.",
            f"There is only one quarter of ratings ({periods[0]}): without the next quarter "
            "there is no outcome to learn. Upload at least three consecutive quarters, or a "
            "snapshot file with an outcome column.")
    raise TrainingError(
        "No hay datos para entrenar: suba el historial trimestral (desempeño) o un archivo "
        "snapshot con una columna de resultado.",
        "There is no data to train on: upload the quarterly history (performance) or a "
        "snapshot file with an outcome column.")


def _snapshot_frame(engine: Engine, target: str | None):
    from core.snapshot import FEATURE_PREFIX, snapshot_frame_from_db

    try:
        return snapshot_frame_from_db(engine, target=target)
    except KeyError:
        frame = snapshot_frame_from_db(engine)
        cols = [c.removeprefix(FEATURE_PREFIX) for c in frame.columns
                if c.startswith(FEATURE_PREFIX)]
        shown = ", ".join(cols[:30])
        raise TrainingError(
            f"La columna de resultado «{target}» no está en el archivo snapshot. Columnas "
            f"disponibles: {shown}.",
            f"The outcome column '{target}' is not in the snapshot file. Available columns: "
            f"{shown}.") from None
    except LookupError:
        raise TrainingError(
            "El archivo snapshot no tiene filas utilizables (¿todas las personas se opusieron "
            "a la evaluación automatizada o fueron anonimizadas?).",
            "The snapshot file has no usable rows (did everyone object to automated scoring "
            "or get anonymized?).") from None


def train_from_store(engine: Engine, *, budget_seconds: float = 30, target: str | None = None,
                     created_by: str | None = None, force: bool = False,
                     max_trials: int | None = None, random_state: int = 0) -> dict[str, Any]:
    """Train on the store's data, save a candidate and promote it when it is not worse.

    Returns ``{model_version, status (active / candidate), kind, target, metrics,
    compared_to, reason, seconds, data_versions}`` (JSON-ready). Raises TrainingError for
    data that cannot give a model; nothing is stored then, and the active model stays.
    ``max_trials`` caps the tuning trials (how many fit in the time budget depends on the
    machine's load; a cap makes a run reproducible).
    """
    from core import registry

    t0 = time.perf_counter()
    budget = 30.0 if budget_seconds is None else float(budget_seconds)
    kind = choose_shape(engine, target)
    if kind == "history":
        from core.features import FeatureBuilder
        from core.model import train_history_model

        history = load_training_history(engine)
        if history.performance.empty:
            raise TrainingError("No hay calificaciones utilizables para entrenar.",
                                "There are no usable ratings to train on.")
        ff = FeatureBuilder().fit_transform(history)
        result = train_history_model(ff, budget_seconds=budget, max_trials=max_trials,
                                     random_state=random_state)
        model_target = registry.HISTORY_TARGET
        data_versions = _history_versions(engine)
    else:
        from core.snapshot import train_snapshot_model

        frame = _snapshot_frame(engine, target)
        result = train_snapshot_model(frame, budget_seconds=budget, max_trials=max_trials,
                                      random_state=random_state)
        model_target = frame.attrs.get("target") or "outcome"
        dv = frame.attrs.get("dataset_version_id")
        data_versions = [int(dv)] if dv is not None else []
    version = registry.save_candidate(engine, result, kind=kind, target=model_target,
                                      data_versions=data_versions, created_by=created_by)
    ok, reason, cmp = registry.promote_detailed(engine, version, force=force)
    stored = registry.get_version(engine, version) or {}
    return registry._json_safe({
        "model_version": version,
        "status": "active" if ok else stored.get("status", "candidate"),
        "kind": kind,
        "target": model_target,
        "metrics": stored.get("metrics", result.metrics),
        "compared_to": cmp,
        "reason": reason,
        "seconds": round(time.perf_counter() - t0, 3),
        "train_seconds": round(float(result.seconds), 3),
        "data_versions": data_versions,
    })
