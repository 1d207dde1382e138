"""Write validated frames as one dataset version, in one transaction.

The version row goes in first: its unique content hash is what makes a second, simultaneous
upload of the same files wait and then find it, so exactly one version is created. Everything
else lands in the same transaction, so a failure (or a killed process) leaves the database as
it was. Later uploads win: employees, programs and training records are upserted by key;
measurements of an (employee, quarter) in the upload replace the stored ones.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.contract import KPI_PREFIX, SKILL_PREFIX
from core.db import session_factory
from core.models import (
    DatasetVersion,
    Employee,
    JobRoleTarget,
    Measurement,
    Program,
    SnapshotRecord,
    TrainingRecord,
)

CHUNK = 5_000
# Test hook: the store raises (or waits) after this many measurement chunks, to prove that a
# failure mid-store leaves nothing behind. Never set in production.
_FAIL_AFTER_CHUNKS = "SPTE_TEST_FAIL_AFTER_CHUNKS"
_PAUSE_AFTER_CHUNKS = "SPTE_TEST_PAUSE_AFTER_CHUNKS"


class InjectedFailure(RuntimeError):
    """Raised by the test hook only."""


def _clean(value: Any) -> Any:
    """pandas missing markers and numpy scalars to plain Python for the driver."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):
        return value.item()
    return value


def _records(frame: pd.DataFrame, columns: Iterable[str]) -> list[dict[str, Any]]:
    cols = [c for c in columns if c in frame.columns]
    sub = frame[cols].astype(object)
    return [{c: _clean(v) for c, v in zip(cols, row, strict=True)} for row in sub.itertuples(
        index=False, name=None)]


def _chunks(rows: list[dict], size: int | None = None) -> Iterator[list[dict]]:
    size = size or CHUNK
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _upsert(session: Session, model, rows: list[dict], keys: tuple[str, ...]) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE for SQLite and PostgreSQL alike."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    for part in _chunks(rows):
        stmt = dialect_insert(model)
        update_cols = {c: stmt.excluded[c] for c in part[0] if c not in keys}
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=update_cols)
        session.execute(stmt, part)


def _measurement_rows(perf: pd.DataFrame, version_id: int) -> list[dict]:
    value_cols = [
        ("rating", "performance_rating", "performance_rating"),
        *[("kpi", c, c.removeprefix(KPI_PREFIX)) for c in perf.columns if c.startswith(KPI_PREFIX)],
        *[
            ("skill", c, c.removeprefix(SKILL_PREFIX))
            for c in perf.columns
            if c.startswith(SKILL_PREFIX)
        ],
    ]
    ids = perf["employee_id"].astype(object).to_numpy()
    periods = perf["period"].astype(object).to_numpy()
    rows: list[dict] = []
    for kind, col, name in value_cols:
        if col not in perf.columns:
            continue
        values = pd.to_numeric(perf[col], errors="coerce").astype("float64").to_numpy()
        for eid, period, value in zip(ids, periods, values, strict=True):
            if not math.isnan(value):
                rows.append(
                    {
                        "employee_id": eid,
                        "period": period,
                        "kind": kind,
                        "name": name,
                        "value": float(value),
                        "dataset_version_id": version_id,
                    }
                )
    return rows


def _replace_measurements(session: Session, perf: pd.DataFrame, version_id: int) -> int:
    pairs = list(perf[["employee_id", "period"]].astype(object).itertuples(index=False,
                                                                            name=None))
    by_period: dict[str, list[str]] = {}
    for eid, period in pairs:
        by_period.setdefault(period, []).append(eid)
    for period, ids in by_period.items():
        for start in range(0, len(ids), 900):
            session.execute(
                delete(Measurement).where(
                    and_(Measurement.period == period,
                         Measurement.employee_id.in_(ids[start : start + 900]))
                )
            )
    rows = _measurement_rows(perf, version_id)
    fail_after = int(os.environ.get(_FAIL_AFTER_CHUNKS, "-1"))
    pause_after = int(os.environ.get(_PAUSE_AFTER_CHUNKS, "-1"))
    for n, part in enumerate(_chunks(rows)):
        if n == fail_after:
            raise InjectedFailure("injected failure in the middle of a store")
        if n == pause_after:
            import time

            print("PAUSED", flush=True)  # noqa: T201 - the kill test waits for this line
            time.sleep(600)
        _insert_measurements(session, part)
    return len(rows)


_MEASUREMENT_COLS = ("employee_id", "period", "kind", "name", "value", "dataset_version_id")


def _insert_measurements(session: Session, rows: list[dict]) -> None:
    """Bulk insert; PostgreSQL gets COPY (about 10x faster than multi-row INSERT)."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(Measurement), rows)
        return
    raw = session.connection().connection.dbapi_connection
    with raw.cursor() as cur, cur.copy(
        f"COPY measurements ({', '.join(_MEASUREMENT_COLS)}) FROM STDIN"
    ) as copy:
        for r in rows:
            copy.write_row(tuple(r[c] for c in _MEASUREMENT_COLS))


def existing_version(session: Session, content_hash: str) -> int | None:
    return session.scalar(
        select(DatasetVersion.id).where(DatasetVersion.content_hash == content_hash)
    )


def store_dataset(
    engine: Engine,
    *,
    frames: dict[str, pd.DataFrame],
    content_hash: str,
    file_names: list[str],
    mapping: dict[str, Any],
    quality: dict[str, Any],
    uploaded_by: str | None,
    target: str | None = None,
) -> tuple[str, int, dict[str, int]]:
    """Store the frames; returns (status, dataset version id, rows stored per table).

    ``frames`` maps a kind (``employees``, ``performance``, ``programs``,
    ``training_records``, ``job_roles``, ``snapshot``) to its validated canonical frame.
    Status is ``stored`` or ``unchanged`` (same content already stored: nothing written).
    """
    with session_factory(engine)() as session:
        found = existing_version(session, content_hash)
    if found is not None:
        return "unchanged", found, {}
    with session_factory(engine, write=True)() as session:
        try:
            with session.begin():
                version = DatasetVersion(
                    content_hash=content_hash,
                    kinds=",".join(sorted(frames)),
                    file_names=", ".join(file_names),
                    uploaded_by=uploaded_by,
                    mapping=mapping,
                    quality=quality,
                    target=target,
                )
                session.add(version)
                session.flush()
                counts = _write_frames(session, frames, version.id)
                version.row_counts = counts
                audit.record(
                    session,
                    username=uploaded_by,
                    action="dataset_stored",
                    detail={"dataset_version": version.id, "files": file_names,
                            "rows": counts},
                )
            return "stored", version.id, counts
        except IntegrityError:
            session.rollback()
            found = existing_version(session, content_hash)
            if found is None:
                raise
            return "unchanged", found, {}


def _write_frames(session: Session, frames: dict[str, pd.DataFrame], vid: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    if "employees" in frames:
        rows = _records(frames["employees"], [c.key for c in Employee.__table__.columns])
        for r in rows:
            r["dataset_version_id"] = vid
        _upsert(session, Employee, rows, ("employee_id",))
        counts["employees"] = len(rows)
    if "snapshot" in frames:
        counts.update(_write_snapshot(session, frames["snapshot"], vid))
    if "programs" in frames:
        rows = _records(frames["programs"], [c.key for c in Program.__table__.columns])
        for r in rows:
            r["dataset_version_id"] = vid
        _upsert(session, Program, rows, ("program_id",))
        counts["programs"] = len(rows)
    if "job_roles" in frames:
        rows = _records(frames["job_roles"], ["job_role", "skill", "target_level"])
        for r in rows:
            r["dataset_version_id"] = vid
        _upsert(session, JobRoleTarget, rows, ("job_role", "skill"))
        counts["job_roles"] = len(rows)
    if "performance" in frames:
        counts["measurements"] = _replace_measurements(session, frames["performance"], vid)
    if "training_records" in frames:
        rows = _records(
            frames["training_records"], ["employee_id", "program_id", "period", "status", "score"]
        )
        for r in rows:
            r["dataset_version_id"] = vid
        _upsert(session, TrainingRecord, rows, ("employee_id", "program_id", "period"))
        counts["training_records"] = len(rows)
    return counts


def _write_snapshot(session: Session, snap: pd.DataFrame, vid: int) -> dict[str, int]:
    employee_cols = [c.key for c in Employee.__table__.columns if c.key in snap.columns]
    emp_rows = _records(snap, employee_cols)
    for r in emp_rows:
        r["dataset_version_id"] = vid
    _upsert(session, Employee, emp_rows, ("employee_id",))
    feature_cols = [c for c in snap.columns if c.startswith("f_")]
    ids = snap["employee_id"].astype(object).to_numpy()
    outcomes = snap["outcome"].astype(object).to_numpy() if "outcome" in snap else [None] * len(
        snap)
    feats = _records(snap, feature_cols)
    rows = [
        {
            "dataset_version_id": vid,
            "employee_id": eid,
            "outcome": None if _clean(out) is None else str(_clean(out)),
            "features": f,
        }
        for eid, out, f in zip(ids, outcomes, feats, strict=True)
    ]
    for part in _chunks(rows):
        session.execute(insert(SnapshotRecord), part)
    return {"employees": len(emp_rows), "snapshot_records": len(rows)}


def known_ids(engine: Engine) -> tuple[set[str], set[str]]:
    """Employee and program ids already stored, for reference checks of a new upload."""
    with session_factory(engine)() as session:
        emps = set(session.scalars(select(Employee.employee_id)).all())
        progs = set(session.scalars(select(Program.program_id)).all())
    return emps, progs


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per data table: what the bad-input tests compare before and after a rejection."""
    tables = [DatasetVersion, Employee, Measurement, Program, JobRoleTarget, TrainingRecord,
              SnapshotRecord]
    with session_factory(engine)() as session:
        return {
            t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0
            for t in tables
        }


