"""Engine, sessions and migrations.

One engine per database URL per process. SQLite gets foreign keys, WAL and a busy timeout so
that two uploads at once wait for each other instead of failing; PostgreSQL needs nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from core.config import ROOT, load_settings

_MIGRATE_LOCK = threading.Lock()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn) -> None:
    # A deferred transaction that reads first and writes later fails at once when another
    # writer committed in between (WAL snapshot). Writers ask for the write lock up front
    # (execution option ``immediate``) and so queue up behind each other; readers don't block.
    immediate = conn.get_execution_options().get("immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    url = url or load_settings().database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60, "isolation_level": None})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def session_factory(engine: Engine, *, write: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``write=True`` for transactions that will write."""
    bind = engine.execution_options(immediate=True) if write else engine
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None, *, write: bool = True) -> Iterator[Session]:
    """A transaction: commits at the end, rolls back on any error."""
    engine = engine or get_engine()
    with session_factory(engine, write=write)() as session, session.begin():
        yield session


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = url
    return cfg


def upgrade(engine: Engine | None = None) -> None:
    """Bring the schema to the newest migration (`alembic upgrade head`)."""
    from alembic import command

    engine = engine or get_engine()
    with _MIGRATE_LOCK:
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()


def query_frame(executor, query, columns: list[str]) -> pd.DataFrame:
    """A query's rows as a DataFrame, column by column (much faster than from Row objects
    for hundreds of thousands of rows). ``executor``: a Session or a Connection."""
    values = list(zip(*executor.execute(query).all(), strict=False))
    if not values:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(dict(zip(columns, values, strict=True)))
