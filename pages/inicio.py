"""Inicio: what this user can do here, and the headline numbers of their own scope."""

import streamlit as st

from core.db import session_scope
from core.i18n import t
from core.overview import changes, headline
from ui.common import engine, lang, page_link, require_page

user = require_page("inicio")
lg = lang()
st.title(t("home.welcome", lg, name=user.full_name or user.username))
st.write(t(f"home.can.{user.role}", lg))

with session_scope(engine(), write=False) as session:
    h = headline(session, user)
    ch = changes(session, user) if h.datasets else None

if user.role in ("manager", "employee") and not user.employee_id:
    st.warning(t("home.no_link", lg))
elif h.datasets == 0:
    st.info(t("home.empty.hr" if user.role == "hr" else "home.empty.other", lg))
else:
    metrics: list[tuple[str, str, float | None]] = []
    if user.role != "employee":
        people = "home.metric.team" if user.role == "manager" else "home.metric.employees"
        metrics.append((t(people, lg), f"{h.people:,}", None))
    metrics.append((t("home.metric.latest", lg), h.latest_period or "—", None))
    if h.avg_rating is not None:
        delta = (None if h.avg_rating_previous is None
                 else round(h.avg_rating - h.avg_rating_previous, 2))
        label = "home.metric.own_rating" if user.role == "employee" else "home.metric.avg_rating"
        metrics.append((t(label, lg), f"{h.avg_rating:.2f}", delta))
    metrics.append((t("home.metric.programs", lg), f"{h.programs:,}", None))
    for col, (label, value, delta) in zip(st.columns(len(metrics)), metrics, strict=True):
        col.metric(label, value, delta=delta,
                   help=t("home.delta_hint", lg) if delta is not None else None)
    if user.role == "hr":
        st.caption(f"{t('home.metric.datasets', lg)}: {h.datasets} · "
                   f"{t('home.metric.quarters', lg)}: {h.quarters}")

if ch is not None:
    st.subheader(t("home.changes", lg))
    lines = []
    if user.role in ("hr", "manager") and ch.previous_period:
        lines.append(t("home.moved", lg, up=ch.improved, down=ch.declined,
                       prev=ch.previous_period))
    if ch.at_risk is not None:
        lines.append(t("home.at_risk", lg, n=ch.at_risk))
    if user.role in ("hr", "manager"):
        lines.append(t("home.pending", lg, n=ch.pending_decisions))
    if user.employee_id and user.role in ("employee", "manager"):
        lines.append(t("home.own_plan", lg, n=ch.plan_size))
        lines.append(t("home.own_requests", lg, n=ch.own_open_requests))
    for line in lines:
        st.markdown(f"- {line}")

    st.subheader(t("home.next", lg))
    links = {
        "hr": [("pages/datos.py", "home.go.data", ":material/upload_file:"),
               ("pages/equipo.py", "home.go.team", ":material/groups:"),
               ("pages/solicitudes.py", "home.go.requests", ":material/assignment:")],
        "manager": [("pages/equipo.py", "home.go.team", ":material/groups:"),
                    ("pages/solicitudes.py", "home.go.requests", ":material/assignment:")],
        "employee": [("pages/plan.py", "home.go.plan", ":material/school:"),
                     ("pages/solicitudes.py", "home.go.own_requests", ":material/assignment:")],
        "trainer": [("pages/brechas.py", "home.go.gaps", ":material/insights:")],
    }[user.role]
    for path, key, icon in links:
        page_link(path, t(key, lg), icon)
