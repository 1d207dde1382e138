"""The store lands whole or not at all, on both backends."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from core.db import get_engine, session_scope
from core.ingest.store import InjectedFailure, row_counts, store_dataset
from core.models import Employee, Measurement

ROOT = Path(__file__).resolve().parent.parent


def frames(n: int = 50, periods=("2026-Q1", "2026-Q2")) -> dict[str, pd.DataFrame]:
    ids = [f"0{i:07d}" for i in range(n)]  # DNI-like, leading zero
    emp = pd.DataFrame({"employee_id": ids, "full_name": [f"Persona {i}" for i in range(n)],
                        "manager_id": [None] + [ids[0]] * (n - 1)}).astype("string")
    rows = [{"employee_id": e, "period": p, "performance_rating": 3.0 + (i % 3) - 1,
             "kpi_csat": 80.0 + i % 7, "skill_excel": 2.0 + i % 3}
            for i, e in enumerate(ids) for p in periods]
    perf = pd.DataFrame(rows)
    return {"employees": emp, "performance": perf}


def _store(url: str, fr, content_hash="h1"):
    return store_dataset(get_engine(url), frames=fr, content_hash=content_hash,
                         file_names=["employees.csv", "performance.csv"], mapping={},
                         quality={}, uploaded_by="test")


def test_store_and_same_content_is_a_no_op(db_url):
    status, vid, counts = _store(db_url, frames())
    assert status == "stored"
    assert counts == {"employees": 50, "measurements": 50 * 2 * 3}
    before = row_counts(get_engine(db_url))
    status2, vid2, _ = _store(db_url, frames())
    assert (status2, vid2) == ("unchanged", vid)
    assert row_counts(get_engine(db_url)) == before
    with session_scope(get_engine(db_url), write=False) as s:
        assert s.get(Employee, "00000007").full_name == "Persona 7"


def test_new_upload_replaces_measurements_of_its_quarters(db_url):
    _store(db_url, frames())
    fr = frames(periods=("2026-Q2",))
    fr["performance"]["performance_rating"] = 5.0
    fr["performance"]["skill_excel"] = None  # a value now missing is removed, not kept stale
    status, _, _ = _store(db_url, fr, content_hash="h2")
    assert status == "stored"
    with session_scope(get_engine(db_url), write=False) as s:
        q2 = s.scalars(select(Measurement).where(Measurement.period == "2026-Q2")).all()
        q1 = s.scalars(select(Measurement).where(Measurement.period == "2026-Q1")).all()
    assert {m.value for m in q2 if m.kind == "rating"} == {5.0}
    assert not [m for m in q2 if m.kind == "skill"]
    assert len(q1) == 150


def test_exception_in_the_middle_leaves_database_as_it_was(db_url, monkeypatch):
    _store(db_url, frames(10))
    before = row_counts(get_engine(db_url))
    monkeypatch.setattr("core.ingest.store.CHUNK", 100)
    monkeypatch.setenv("SPTE_TEST_FAIL_AFTER_CHUNKS", "2")
    with pytest.raises(InjectedFailure):
        _store(db_url, frames(400), content_hash="h-big")
    assert row_counts(get_engine(db_url)) == before


def test_same_upload_twice_at_once_creates_one_version(db_url):
    results = []

    def run():
        results.append(_store(db_url, frames(300), content_hash="same"))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    statuses = sorted(r[0] for r in results)
    assert statuses == ["stored", "unchanged"]
    assert results[0][1] == results[1][1]
    assert row_counts(get_engine(db_url))["dataset_versions"] == 1


_KILL_SCRIPT = """
import sys
import pandas as pd
sys.path.insert(0, {root!r})
import core.ingest.store as store
from tests.test_store import frames, _store
store.CHUNK = 100
_store({url!r}, frames(400), content_hash="killed")
"""


def test_sigkill_in_the_middle_leaves_database_as_it_was(db_url):
    _store(db_url, frames(10))
    before = row_counts(get_engine(db_url))
    env = {**os.environ, "SPTE_TEST_PAUSE_AFTER_CHUNKS": "3", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT.format(root=str(ROOT),
                                                                        url=db_url)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        deadline = time.time() + 120
        line = ""
        while time.time() < deadline:
            line = proc.stdout.readline()
            if "PAUSED" in line or proc.poll() is not None:
                break
        assert "PAUSED" in line, proc.stderr.read()
        proc.kill()  # SIGKILL: no cleanup runs
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    get_engine(db_url).dispose()
    assert row_counts(get_engine(db_url)) == before
    # and the database still takes writes afterwards
    assert _store(db_url, frames(5), content_hash="after")[0] == "stored"
