"""Sign-in with streamlit-authenticator for the session cookie, and our own password check.

Why not the package's login form: its check runs bcrypt on the raw password, and bcrypt 5
refuses passwords over 72 bytes (the package then fails silently), while it also strips
spaces from the password. Long Unicode passphrases must work, so the form is ours and the
check is core.security's; the package still issues, reads and deletes the signed cookie
(JWT with the username only) and fills the session keys it documents: ``authentication_status``,
``username``, ``name``, ``roles``. Roles are re-read from the database on every page anyway.
"""

from __future__ import annotations

import time

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities import LoginError

from core import audit
from core.config import load_settings
from core.db import session_scope
from core.i18n import t
from core.users import active_usernames, authenticate
from ui.common import engine, lang

MAX_FAILURES = 5
LOCK_SECONDS = 60


def authenticator() -> stauth.Authenticate:
    """Built once per script run (its cookie component may be drawn only once per run)."""
    settings = load_settings()
    with session_scope(engine(), write=False) as session:
        users = active_usernames(session)
    for record in users.values():
        record["password"] = "!"  # never checked by the package: see the module docstring
    return stauth.Authenticate(
        {"usernames": users},
        cookie_name=settings.cookie_name,
        cookie_key=settings.cookie_key,
        cookie_expiry_days=settings.cookie_expiry_days,
        auto_hash=False,
        login_sleep_time=0,
    )


def restore_from_cookie(auth: stauth.Authenticate) -> None:
    """Sign the user in from a valid cookie; a cookie for a disabled user is ignored."""
    try:
        auth.login(location="unrendered")
    except LoginError:
        for key in ("authentication_status", "username", "name", "roles"):
            st.session_state[key] = None


def login_form(auth: stauth.Authenticate) -> bool:
    """Draw the sign-in form; True once the user is signed in."""
    lg = lang()
    box = st.empty()
    with box.container():
        st.title(t("app.title", lg))
        st.caption(t("app.tagline", lg))
        with st.form("login"):
            st.subheader(t("login.title", lg))
            username = st.text_input(t("login.username", lg), autocomplete="username")
            password = st.text_input(t("login.password", lg), type="password",
                                     autocomplete="current-password")
            submitted = st.form_submit_button(t("login.submit", lg), type="primary")
        st.caption(t("login.help", lg))
    if not submitted:
        return False
    locked_until = st.session_state.get("login_locked_until", 0.0)
    if time.time() < locked_until:
        st.error(t("login.locked", lg))
        return False
    with session_scope(engine()) as session:
        user = authenticate(session, username, password)
        audit.record(session, username=username.strip().lower()[:100],
                     action="login" if user else "login_failed")
    if user is None:
        failures = st.session_state.get("login_failures", 0) + 1
        st.session_state["login_failures"] = failures
        if failures >= MAX_FAILURES:
            st.session_state["login_locked_until"] = time.time() + LOCK_SECONDS
            st.session_state["login_failures"] = 0
        st.error(t("login.failed", lg))
        return False
    st.session_state.update(
        authentication_status=True,
        username=user.username,
        name=user.full_name or user.username,
        roles=[user.role],
        logout=False,
        login_failures=0,
    )
    auth.cookie_controller.set_cookie()
    box.empty()
    return True


def logout_button(auth: stauth.Authenticate) -> None:
    auth.logout(t("logout", lang()), location="sidebar", key="logout_button")
