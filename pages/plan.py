"""Plan (employee: self; manager and HR: anyone in scope): programs, reasons, skills, history."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy import select

from core.access import visible_employee_ids
from core.db import session_scope
from core.explain import skill_label
from core.i18n import fmt_soles, t
from core.models import Employee
from core.plans import REASONS, NotAllowed, not_for_me, profile, stored_plan
from core.requests import RequestError, create_request
from ui.common import engine, lang, require_page

user = require_page("plan")
lg = lang()
eng = engine()
st.title(t("plan.title", lg))

flash = st.session_state.pop("plan_flash", None)
if flash:
    st.success(flash)

if user.role == "employee":
    person = user.employee_id
else:
    with session_scope(eng, write=False) as session:
        visible = visible_employee_ids(session, user)
        q = select(Employee.employee_id, Employee.full_name).where(
            Employee.anonymized_at.is_(None)).order_by(Employee.full_name)
        if visible is not None:
            q = q.where(Employee.employee_id.in_(visible))
        people = dict(session.execute(q).all())
    if not people:
        st.info(t("plan.none_visible", lg))
        st.stop()
    wanted = st.query_params.get("employee")
    ids = list(people)
    person = st.selectbox(t("plan.pick", lg), ids,
                          index=ids.index(wanted) if wanted in people else 0,
                          format_func=lambda e: f"{people[e] or e} ({e})")

try:
    with session_scope(eng) as session:  # writes the audit entry "plan_viewed"
        prof = profile(session, user, person)
        plan = stored_plan(session, user, person)
except NotAllowed:
    st.error(t("access.denied", lg))
    st.stop()

st.subheader(f"{prof.full_name or prof.employee_id}")
st.caption(" · ".join(x for x in (prof.job_role, prof.department, prof.location) if x))

st.markdown(f"### {t('plan.recommended', lg)}")
if prof.opted_out:
    st.info(t("plan.opted_out", lg))
elif plan.empty:
    st.info(t("plan.no_plan", lg))
else:
    for row in plan.itertuples():
        title = row.title_en if lg == "en" and row.title_en else row.title_es
        with st.container(border=True):
            st.markdown(f"**{int(row.rank)}. {title}**")
            c1, c2, c3, c4 = st.columns(4)
            c1.metric(t("plan.gain", lg), f"{row.expected_gain:+.2f}",
                      help=t("plan.gain_value", lg, g=row.expected_gain, lo=row.low or 0,
                             hi=row.high or 0))
            c2.metric(t("plan.hours", lg), f"{row.hours:,.0f}" if pd.notna(row.hours) else "—")
            c3.metric(t("plan.cost", lg), fmt_soles(row.cost_pen) if pd.notna(row.cost_pen)
                      else "—")
            c4.metric(t("plan.modality", lg), t(f"modality.{row.modality}", lg)
                      if row.modality else "—")
            reasons = row.reasons or {}
            for sentence in reasons.get("sentences", {}).get(lg, []):
                st.write(sentence)
            contribs = reasons.get("contributions") or []
            if contribs:
                with st.expander(t("plan.why", lg)):
                    frame = pd.DataFrame(contribs).head(8).iloc[::-1]
                    fig = go.Figure(go.Bar(
                        x=frame["shap"], y=frame[f"label_{lg}"], orientation="h",
                        marker_color=["#2E7D32" if v > 0 else "#C62828" for v in frame["shap"]]))
                    fig.update_layout(title=t("plan.shap_title", lg), height=320,
                                      margin={"t": 40, "b": 10, "l": 10, "r": 10})
                    st.plotly_chart(fig, width="stretch", key=f"shap_{row.program_id}")
            b1, b2, b3 = st.columns([2, 2, 3])
            if b1.button(t("plan.request", lg), key=f"req_{row.program_id}", type="primary"):
                try:
                    with session_scope(eng) as session:
                        create_request(session, user, person, row.program_id)
                except RequestError as exc:
                    st.error(exc.message(lg))
                else:
                    st.session_state["plan_flash"] = t("plan.requested", lg)
                    st.rerun()
            reason = b3.selectbox(t("plan.reason", lg), REASONS, key=f"why_{row.program_id}",
                                  format_func=lambda r: t(f"reason.{r}", lg),
                                  label_visibility="collapsed")
            if b2.button(t("plan.not_for_me", lg), key=f"nfm_{row.program_id}"):
                with session_scope(eng) as session:
                    not_for_me(session, user, person, row.program_id, reason)
                st.session_state["plan_flash"] = t("plan.dismissed", lg)
                st.rerun()

left, right = st.columns(2)
with left:
    st.markdown(f"### {t('plan.skills', lg)}")
    if prof.skills.empty:
        st.caption("—")
    else:
        sk = prof.skills
        labels = [skill_label(s, lg) for s in sk["skill"]]
        fig = go.Figure()
        fig.add_scatterpolar(r=sk["level"], theta=labels, fill="toself",
                             name=t("plan.series.level", lg))
        if sk["target"].notna().any():
            fig.add_scatterpolar(r=sk["target"].fillna(0), theta=labels,
                                 name=t("plan.series.target", lg), line={"dash": "dot"})
        fig.update_layout(polar={"radialaxis": {"range": [0, 5]}}, height=380,
                          legend={"orientation": "h"}, margin={"t": 30, "b": 10})
        st.plotly_chart(fig, width="stretch")
with right:
    st.markdown(f"### {t('plan.history', lg)}")
    if prof.ratings.empty:
        st.caption(t("plan.no_history", lg))
    else:
        fig = go.Figure(go.Scatter(x=prof.ratings["period"], y=prof.ratings["rating"],
                                   mode="lines+markers"))
        fig.update_layout(yaxis_range=[0.5, 5.5], height=380, margin={"t": 30, "b": 10},
                          xaxis_title=t("axis.quarter", lg), yaxis_title=t("axis.rating", lg))
        st.plotly_chart(fig, width="stretch")
