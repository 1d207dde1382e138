"""Administración (HR): users and roles, the audit log, privacy requests (Ley 29733)."""

import json

import streamlit as st
from sqlalchemy import select

from core.contract import ROLES
from core.db import session_scope
from core.export import csv_bytes
from core.i18n import t
from core.models import Employee
from core.privacy import anonymize, audit_frame, export_employee, set_scoring_opt_out
from core.security import WeakPassword
from core.users import (
    UserError,
    add_user,
    link_employee,
    list_users,
    reset_password,
    set_active,
)
from ui.common import engine, lang, require_page

user = require_page("admin")
lg = lang()
eng = engine()
st.title(t("admin.title", lg))

flash = st.session_state.pop("admin_flash", None)
if flash:
    st.success(flash)


def _run(action, done_message: str) -> None:
    """One change in one transaction; a rule broken is shown, never a stack trace."""
    try:
        with session_scope(eng) as session:
            action(session)
    except (UserError, WeakPassword, KeyError) as exc:
        st.error(str(exc))
    else:
        st.session_state["admin_flash"] = done_message
        st.rerun()


with session_scope(eng, write=False) as session:
    users = list_users(session)
    people = session.execute(
        select(Employee.employee_id, Employee.full_name, Employee.scoring_opt_out)
        .where(Employee.anonymized_at.is_(None)).order_by(Employee.full_name)).all()
names = {eid: f"{name or eid} ({eid})" for eid, name, _ in people}
opted = {eid for eid, _, out in people if out}

tab_users, tab_audit, tab_privacy = st.tabs([t("admin.tab.users", lg), t("admin.tab.audit", lg),
                                            t("admin.tab.privacy", lg)])
with tab_users:
    st.dataframe(
        [{**u, "role": t(f"role.{u['role']}", lg)} for u in users], hide_index=True,
        width="stretch",
        column_config={
            "username": st.column_config.TextColumn(t("admin.username", lg)),
            "role": st.column_config.TextColumn(t("admin.role", lg)),
            "employee_id": st.column_config.TextColumn(t("admin.employee", lg)),
            "full_name": st.column_config.TextColumn(t("team.col.name", lg)),
            "active": st.column_config.CheckboxColumn(t("admin.active", lg)),
        },
    )
    with st.form("add_user", clear_on_submit=True):
        st.subheader(t("admin.add_user", lg))
        c1, c2, c3 = st.columns(3)
        username = c1.text_input(t("admin.username", lg))
        password = c2.text_input(t("admin.password", lg), type="password")
        role = c3.selectbox(t("admin.role", lg), ROLES, format_func=lambda r: t(f"role.{r}", lg))
        emp = st.selectbox(t("admin.employee", lg), [None, *names],
                           format_func=lambda e: t("admin.none", lg) if e is None else names[e])
        if st.form_submit_button(t("admin.create", lg), type="primary"):
            _run(lambda s: add_user(s, username=username, password=password, role=role,
                                    employee_id=emp,
                                    full_name=names.get(emp, "").rsplit(" (", 1)[0] or None,
                                    actor=user.username),
                 t("admin.created", lg, u=username))
    st.subheader(t("admin.manage", lg))
    target = st.selectbox(t("admin.username", lg), [u["username"] for u in users],
                          key="manage_user")
    if target:
        record = next(u for u in users if u["username"] == target)
        c1, c2, c3 = st.columns(3)
        if record["active"]:
            if c1.button(t("admin.disable", lg)):
                _run(lambda s: set_active(s, target, False, actor=user.username),
                     t("admin.done", lg))
        elif c1.button(t("admin.enable", lg)):
            _run(lambda s: set_active(s, target, True, actor=user.username), t("admin.done", lg))
        new_pw = c2.text_input(t("admin.reset", lg), type="password", key="reset_pw")
        if c2.button(t("admin.reset_btn", lg)) and new_pw:
            _run(lambda s: reset_password(s, target, new_pw, actor=user.username),
                 t("admin.done", lg))
        link = c3.selectbox(t("admin.employee", lg), [None, *names], key="link_emp",
                            format_func=lambda e: t("admin.none", lg) if e is None else names[e])
        if c3.button(t("admin.link_btn", lg)):
            _run(lambda s: link_employee(s, target, link, actor=user.username),
                 t("admin.done", lg))

with tab_audit:
    with session_scope(eng, write=False) as session:
        log = audit_frame(session)
    if log.empty:
        st.info(t("admin.audit.empty", lg))
    else:
        log["at"] = log["at"].map(lambda d: d.strftime("%d/%m/%Y %H:%M:%S") if d else "")
        log["detail"] = log["detail"].map(lambda d: json.dumps(d, ensure_ascii=False))
        st.dataframe(log, hide_index=True, width="stretch")
        st.download_button("CSV", csv_bytes(log), file_name="auditoria.csv", mime="text/csv")

with tab_privacy:
    if not names:
        st.info(t("home.empty.hr", lg))
    else:
        person = st.selectbox(t("admin.privacy.pick", lg), list(names),
                              format_func=lambda e: names[e], key="privacy_person")
        if st.button(t("admin.privacy.export", lg), key="prepare_export"):
            with session_scope(eng) as session:  # the export itself is logged
                payload = export_employee(session, person, actor=user.username)
            st.session_state["privacy_export"] = (
                person, json.dumps(payload, ensure_ascii=False, indent=2).encode())
        ready = st.session_state.get("privacy_export")
        if ready and ready[0] == person:
            st.download_button("⬇ JSON", ready[1], file_name=f"datos_{person}.json",
                               mime="application/json")
        opt = st.checkbox(t("admin.privacy.optout", lg), value=person in opted,
                          help=t("admin.privacy.optout_help", lg), key=f"optout_{person}")
        if opt != (person in opted):
            _run(lambda s: set_scoring_opt_out(s, person, opt, actor=user.username),
                 t("admin.done", lg))
        with st.expander(t("admin.privacy.anonymize", lg)):
            confirm = st.text_input(t("admin.privacy.confirm", lg), key="anon_confirm")
            if st.button(t("admin.privacy.anonymize", lg), disabled=confirm != "ANONIMIZAR"):
                _run(lambda s: anonymize(s, person, actor=user.username), t("admin.done", lg))
