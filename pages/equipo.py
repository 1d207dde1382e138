"""Equipo (manager: own team; HR: any team): trend, distribution and members.

A click on a member's row opens that member's plan (pages/plan.py checks the scope again).
"""

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from core.db import session_scope
from core.i18n import t
from core.requests import STATES
from core.team import (
    RISK_FILTERS,
    filter_members,
    managers,
    members_table,
    organization_trend,
    rating_distribution,
    rating_trend,
    risk_threshold,
    team_ids,
)
from ui.cache import data_version
from ui.common import engine, lang, require_page

user = require_page("equipo")
lg = lang()
st.title(t("team.title", lg))


@st.cache_data(show_spinner=False, max_entries=4)
def _org_trend(version: int, url: str):
    """The organization's mean rating per quarter: an aggregate, the same for every viewer."""
    with session_scope(engine(), write=False) as session:
        return organization_trend(session)


with session_scope(engine(), write=False) as session:
    manager_id = user.employee_id if user.role == "manager" else None
    if user.role == "hr":
        options = managers(session, user)
        if not options:
            st.info(t("team.no_managers", lg))
            st.stop()
        labels = dict(options)
        manager_id = st.selectbox(t("team.pick_manager", lg), list(labels),
                                  format_func=lambda m: f"{labels[m]} ({m})")
    ids = team_ids(session, user, manager_id)
    if not ids:
        st.info(t("team.no_team", lg))
        st.stop()
    org = _org_trend(data_version(), engine().url.render_as_string(hide_password=True))
    trend = rating_trend(session, user, ids, org)
    members = members_table(session, user, ids)
    rated = trend.dropna(subset=["team"])
    latest = rated["period"].iloc[-1] if len(rated) else None
    dist = rating_distribution(session, user, ids, latest) if latest else None
    threshold = risk_threshold(session)

st.caption(t("team.size", lg, n=len(ids)))
if trend.empty or trend["team"].isna().all():
    st.info(t("team.no_ratings", lg))
else:
    left, right = st.columns([3, 2])
    fig = go.Figure()
    fig.add_scatter(x=trend["period"], y=trend["team"], mode="lines+markers",
                    name=t("team.series.team", lg), line={"width": 3})
    fig.add_scatter(x=trend["period"], y=trend["organization"], mode="lines",
                    name=t("team.series.org", lg), line={"dash": "dot"})
    fig.update_layout(title=t("team.trend", lg), xaxis_title=t("axis.quarter", lg),
                      yaxis_title=t("axis.rating", lg), yaxis_range=[1, 5], height=360,
                      legend={"orientation": "h", "y": -0.25}, margin={"t": 50, "b": 10})
    fig.update_xaxes(type="category")
    left.plotly_chart(fig, width="stretch")
    bar = px.bar(x=[str(i) for i in dist.index], y=dist.to_numpy(),
                 labels={"x": t("axis.rating", lg), "y": t("axis.people", lg)},
                 title=t("team.distribution", lg, period=latest))
    bar.update_layout(height=360, margin={"t": 50, "b": 10})
    bar.update_xaxes(type="category")
    bar.update_yaxes(tickformat="d", rangemode="tozero",
                     dtick=1 if dist.max() <= 8 else None)
    right.plotly_chart(bar, width="stretch")

st.subheader(t("team.members", lg))
f_text, f_risk = st.columns([3, 2])
query = f_text.text_input(t("team.filter", lg), "")
risk_filter = f_risk.selectbox(t("team.risk_filter", lg), RISK_FILTERS,
                               format_func=lambda r: t(f"team.risk.{r}", lg))
view = filter_members(members, query, risk_filter)


def _requests_text(row) -> str:
    parts = [t(f"team.req.{s}", lg, n=row[f"req_{s}"]) for s in STATES if row[f"req_{s}"]]
    return " · ".join(parts) if parts else t("team.req.none", lg)


shown = view.assign(
    program=view["top_program_en" if lg == "en" else "top_program_es"],
    requests=[_requests_text(r) for r in view.to_dict("records")],
    risk_pct=view["risk"] * 100,
)[["full_name", "job_role", "location", "rating", "trend", "history", "risk_pct", "program",
   "requests"]]
risk_help = t("team.risk_help", lg, thr=f"{threshold:.0%}") if threshold is not None else ""
if members["risk"].isna().all():
    st.info(t("team.no_risk", lg))
else:
    st.caption(risk_help)
if view.empty:
    st.info(t("team.no_match", lg))
else:
    event = st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=f"team_members_{st.session_state.get('team_pick', 0)}",
        column_config={
            "full_name": st.column_config.TextColumn(t("team.col.name", lg), pinned=True,
                                                     width=155),
            "job_role": st.column_config.TextColumn(t("team.col.role", lg), width=115),
            "location": st.column_config.TextColumn(t("team.col.location", lg), width=75),
            "rating": st.column_config.NumberColumn(
                t("team.col.rating_short", lg), format="%.0f", width=55,
                help=t("team.col.rating", lg)),
            "trend": st.column_config.NumberColumn(t("team.col.trend", lg), format="%+.0f",
                                                   width=60),
            "history": st.column_config.LineChartColumn(t("team.col.history", lg), y_min=1,
                                                        y_max=5, width=70),
            "risk_pct": st.column_config.ProgressColumn(
                t("team.col.risk", lg), format="%.0f%%", min_value=0, max_value=100,
                width=105, help=risk_help or None),
            "program": st.column_config.TextColumn(t("team.col.program", lg), width=135),
            "requests": st.column_config.TextColumn(t("team.col.requests", lg), width=100),
        },
    )
    st.caption(t("team.click_hint", lg))
    rows = event.selection.rows if event is not None else []
    if rows:
        chosen = str(view.iloc[rows[0]]["employee_id"])
        # a fresh table next time, so coming back here does not open the plan again
        st.session_state["team_pick"] = st.session_state.get("team_pick", 0) + 1
        st.switch_page("pages/plan.py", query_params={"employee": chosen})
