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
    cols = st.columns(4)
    people_label = "home.metric.team" if user.role == "manager" else "home.metric.employees"
    if user.role == "employee":
        people_label = None
    if people_label:
        cols[0].metric(t(people_label, lg), f"{h.people:,}")
    cols[1].metric(t("home.metric.latest", lg), h.latest_period or "—")
    if h.avg_rating is not None:
        delta = (None if h.avg_rating_previous is None
                 else round(h.avg_rating - h.avg_rating_previous, 2))
        label = "home.metric.own_rating" if user.role == "employee" else "home.metric.avg_rating"
        cols[2].metric(t(label, lg), f"{h.avg_rating:.2f}", delta=delta,
                       help=t("home.delta_hint", lg))
    cols[3].metric(t("home.metric.programs", lg), f"{h.programs:,}")
    if user.role == "hr":
        st.caption(f"{t('home.metric.datasets', lg)}: {h.datasets} · "
                   f"{t('home.metric.quarters', lg)}: {h.quarters}")
