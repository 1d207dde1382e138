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

PAGE_FILES = {
    "inicio": ("pages/inicio.py", "page.home", ":material/home:"),
    "equipo": ("pages/equipo.py", "page.team", ":material/groups:"),
    "solicitudes": ("pages/solicitudes.py", "page.requests", ":material/assignment:"),
    "datos": ("pages/datos.py", "page.data", ":material/upload_file:"),
    "admin": ("pages/admin.py", "page.admin", ":material/admin_panel_settings:"),
}



def stop_without_pages() -> None:
    """End this run with Streamlit's page menu hidden.

    A run that never calls st.navigation falls back to listing every file in pages/ in the
    sidebar, to anyone, signed in or not. Registering the pages hidden (without running one)
    keeps the menu empty until we know who is there and what their role may open.
    """
    st.navigation([st.Page(f, url_path=key, default=(key == "inicio"))
                   for key, (f, _, _) in PAGE_FILES.items()], position="hidden")
    st.stop()


engine()
language_switch()
auth = authenticator()
restore_from_cookie(auth)
if not st.session_state.get("authentication_status") and not login_form(auth):
    stop_without_pages()

user = signed_in_user()
if user is None:  # disabled or deleted since the cookie was issued
    st.session_state["authentication_status"] = None
    st.warning(t("access.login_first", lang()))
    stop_without_pages()

if needs_ack(user):
    # First sign-in (or a new notice version): read and acknowledge before anything else.
    st.title(t("app.title", lang()))
    st.markdown(notice_text(lang()))
    if st.button(t("privacy.accept", lang()), type="primary"):
        with session_scope(engine()) as session:
            acknowledge(session, user.username)
        st.rerun()
    stop_without_pages()

st.sidebar.caption(t("signed_in_as", lang(), name=user.full_name or user.username,
                     role=t(f"role.{user.role}", lang())))
logout_button(auth)
if not st.session_state.get("authentication_status"):
    # Signed out just now: no rerun, so the cookie deletion reaches the browser this run.
    login_form(auth)
    stop_without_pages()

pages = [
    st.Page(PAGE_FILES[key][0], title=t(PAGE_FILES[key][1], lang()), icon=PAGE_FILES[key][2],
            url_path=key, default=(key == "inicio"))
    for key in pages_for(user.role)
]
st.navigation(pages).run()
