"""What every page needs: the engine, the language, and who is signed in (from the database).

Each page calls :func:`require_page` first. The role comes from the users table on every run,
never from the cookie or session state, so a disabled user or a changed role takes effect at
the next click.
"""

from __future__ import annotations

import logging
import uuid

import streamlit as st
from sqlalchemy import Engine
from streamlit.errors import StreamlitPageNotFoundError

from core.access import can_open
from core.config import ConfigError, load_settings
from core.db import get_engine, session_scope, upgrade
from core.i18n import DEFAULT_LANG, LANGS, t
from core.users import CurrentUser, current_user

log = logging.getLogger("spte.ui")


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    engine = get_engine(url)
    upgrade(engine)
    return engine


def engine() -> Engine:
    """The shared engine (one per database URL), migrated once per process."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        st.error(t("config.error", lang(), detail=str(exc)))
        st.stop()
    return _engine(settings.database_url)


def lang() -> str:
    value = st.session_state.get("lang", DEFAULT_LANG)
    return value if value in LANGS else DEFAULT_LANG


def language_switch() -> None:
    """Español / English in the sidebar; the choice lives in this session only."""
    st.session_state.setdefault("lang", DEFAULT_LANG)
    st.sidebar.radio(
        "Idioma / Language",
        options=list(LANGS),
        format_func=lambda code: {"es": "Español", "en": "English"}[code],
        key="lang",
        horizontal=True,
    )


def signed_in_user() -> CurrentUser | None:
    if not st.session_state.get("authentication_status"):
        return None
    with session_scope(engine(), write=False) as session:
        return current_user(session, st.session_state.get("username"))


def require_page(page: str) -> CurrentUser:
    """Stop the page unless the signed-in user's role (read now from the DB) may open it."""
    user = signed_in_user()
    if user is None:
        st.warning(t("access.login_first", lang()))
        st.stop()
    if not can_open(user.role, page):
        st.error(t("access.denied", lang()))
        st.stop()
    return user


def page_link(path: str, label: str, icon: str | None = None) -> None:
    """A link to another page; plain text where the page is not registered (AppTest runs a
    page file on its own, without the navigation of app.py)."""
    try:
        st.page_link(path, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        st.markdown(f"- {label}")


def show_unexpected_error(exc: BaseException) -> None:
    """A friendly message with a reference; the traceback goes to the server log only."""
    ref = uuid.uuid4().hex[:8]
    log.exception("unexpected error (ref %s)", ref, exc_info=exc)
    st.error(t("error.generic", lang(), ref=ref))


def show_notes(notes, lg: str) -> None:
    """Bilingual notes (``{"es": ..., "en": ...}``, e.g. the estimator's on new plans) as
    info boxes in the reader's language."""
    for item in notes or ():
        st.info(item.get(lg) or item.get("es", ""))
