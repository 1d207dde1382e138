"""Cached loaders. Only data every viewer of the calling page may see is cached here, keyed by
the newest dataset version so a new upload is picked up at once."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy import func, select

from core.db import session_factory
from core.features import History, load_history
from core.models import DatasetVersion
from core.skills import gap_table
from ui.common import engine


def data_version() -> int:
    with session_factory(engine())() as session:
        return session.scalar(select(func.max(DatasetVersion.id))) or 0


@st.cache_resource(show_spinner=False, max_entries=2)
def _history(version: int, url: str) -> History:
    return load_history(engine())


def history() -> History:
    """The whole store as frames. Callers must filter by core.access before showing people."""
    eng = engine()
    return _history(data_version(), eng.url.render_as_string(hide_password=True))


@st.cache_data(show_spinner=False, max_entries=8)
def _gaps(version: int, by: str) -> pd.DataFrame:
    return gap_table(history(), by)


def gaps(by: str) -> pd.DataFrame:
    """Aggregate gap table (groups under core.skills.MIN_GROUP hidden): same for all viewers."""
    return _gaps(data_version(), by)
