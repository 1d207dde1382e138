"""Inicio: what this user can do here, and the headline numbers of their own scope."""

import streamlit as st

from core.db import session_scope
from core.i18n import t
from core.overview import headline
from ui.common import engine, lang, require_page

user = require_page("inicio")
lg = lang()
st.title(t("home.welcome", lg, name=user.full_name or user.username))
st.write(t(f"home.can.{user.role}", lg))

with session_scope(engine(), write=False) as session:
    h = headline(session, user)

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
