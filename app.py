"""Entry point: sign-in, language switch, and the pages each role may open. Nothing else."""

from __future__ import annotations

import streamlit as st

from core.access import pages_for
from core.db import session_scope
from core.i18n import t
from core.privacy import acknowledge, needs_ack, notice_text
from ui.common import engine, lang, language_switch, signed_in_user
from ui.login import authenticator, login_form, logout_button, restore_from_cookie

st.set_page_config(page_title="Desempeño y Capacitación", page_icon="📈", layout="wide")
# Less empty space above each page's title: laptops at 1366x768 show more of the page.
st.html("<style>[data-testid='stMainBlockContainer']{padding-top:3rem}</style>")

PAGE_FILES = {
    "inicio": ("pages/inicio.py", "page.home", ":material/home:"),
    "equipo": ("pages/equipo.py", "page.team", ":material/groups:"),
    "plan": ("pages/plan.py", "page.plan", ":material/school:"),
    "solicitudes": ("pages/solicitudes.py", "page.requests", ":material/assignment:"),
    "brechas": ("pages/brechas.py", "page.gaps", ":material/insights:"),
    "datos": ("pages/datos.py", "page.data", ":material/upload_file:"),
    "modelo": ("pages/modelo.py", "page.model", ":material/model_training:"),
    "admin": ("pages/admin.py", "page.admin", ":material/admin_panel_settings:"),
}

engine()
language_switch()
auth = authenticator()
restore_from_cookie(auth)
if not st.session_state.get("authentication_status") and not login_form(auth):
    st.stop()

user = signed_in_user()
if user is None:  # disabled or deleted since the cookie was issued
    st.session_state["authentication_status"] = None
    st.warning(t("access.login_first", lang()))
    st.stop()

if needs_ack(user):
    # First sign-in (or a new notice version): read and acknowledge before anything else.
    st.title(t("app.title", lang()))
    st.markdown(notice_text(lang()))
    if st.button(t("privacy.accept", lang()), type="primary"):
        with session_scope(engine()) as session:
            acknowledge(session, user.username)
        st.rerun()
    st.stop()

st.sidebar.caption(t("signed_in_as", lang(), name=user.full_name or user.username,
                     role=t(f"role.{user.role}", lang())))
logout_button(auth)
if not st.session_state.get("authentication_status"):
    # Signed out just now: no rerun, so the cookie deletion reaches the browser this run.
    login_form(auth)
    st.stop()

pages = [
    st.Page(PAGE_FILES[key][0], title=t(PAGE_FILES[key][1], lang()), icon=PAGE_FILES[key][2],
            url_path=key, default=(key == "inicio"))
    for key in pages_for(user.role)
]
st.navigation(pages, position="top").run()
