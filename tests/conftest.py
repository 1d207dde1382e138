"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, and the real data file.

Data-layer tests take the ``engine`` fixture and so run twice, once per backend. Where the
PostgreSQL server is unreachable they skip, unless SPTE_REQUIRE_POSTGRES=1 (set by .ci/run),
where they fail: CI must prove both backends.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core.db import get_engine, upgrade

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
PROMOTION_CSV = SHARED_DATA / "hr_promotion_train.csv"
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("SPTE_REQUIRE_POSTGRES") == "1"
DATA_TABLES = (
    "program_feedback", "recommendations", "training_requests", "audit_log", "snapshot_records",
    "training_records", "measurements", "job_role_targets", "programs", "employees",
    "model_versions", "users", "dataset_versions",
)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """No test touches data/app.db or a real secrets file."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'default.db'}")
    monkeypatch.setenv("APP_MODE", "demo")
    monkeypatch.setenv("COOKIE_KEY", "test-cookie-key-" + "x" * 40)


def _pg_url(dbname: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    admin_url = "postgresql+psycopg://" + PG_ADMIN_URL.removeprefix("postgresql://")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"spte_test_{uuid.uuid4().hex[:10]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL} (set SPTE_REQUIRE_POSTGRES=1 "
                    "to make this a failure)")
    url = _pg_url(name)
    engine = get_engine(url)
    upgrade(engine)
    yield url
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """URL of an empty, migrated database on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        upgrade(get_engine(url))
        yield url
        get_engine(url).dispose()
        return
    url = request.getfixturevalue("pg_database")
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))
    yield url


@pytest.fixture
def engine(db_url):
    return get_engine(db_url)


@pytest.fixture
def promotion_csv() -> Path:
    if not PROMOTION_CSV.exists():
        pytest.skip(f"{PROMOTION_CSV} is absent (a fresh clone without ../shared/data)")
    return PROMOTION_CSV
