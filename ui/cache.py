"""Cached loaders, keyed by the newest dataset version so a new upload is picked up at once.
Only the store as frames (st.cache_resource, never shown as is): pages filter it by
core.access before showing anyone."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import func, select

from core.db import session_factory
from core.features import History, load_history
from core.models import DatasetVersion
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
