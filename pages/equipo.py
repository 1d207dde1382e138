"""Equipo (manager: own team; HR: any team): trend, distribution and members."""

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from core.db import session_scope
from core.i18n import t
from core.team import managers, members_table, rating_distribution, rating_trend, team_ids
from ui.common import engine, lang, require_page

user = require_page("equipo")
lg = lang()
st.title(t("team.title", lg))

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
    trend = rating_trend(session, ids)
    members = members_table(session, ids)
    latest = trend["period"].iloc[-1] if len(trend) else None
    dist = rating_distribution(session, ids, latest) if latest else None

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
    left.plotly_chart(fig, width="stretch")
    bar = px.bar(x=[str(i) for i in dist.index], y=dist.to_numpy(),
                 labels={"x": t("axis.rating", lg), "y": t("axis.people", lg)},
                 title=t("team.distribution", lg, period=latest))
    bar.update_layout(height=360, margin={"t": 50, "b": 10})
    bar.update_xaxes(type="category")
    bar.update_yaxes(tickformat="d", rangemode="tozero")
    right.plotly_chart(bar, width="stretch")

st.subheader(t("team.members", lg))
query = st.text_input(t("team.filter", lg), "")
view = members
if query:
    q = query.strip().lower()
    view = members[members["full_name"].fillna("").str.lower().str.contains(q, regex=False)
                   | members["job_role"].fillna("").str.lower().str.contains(q, regex=False)]
st.dataframe(
    view.drop(columns=["employee_id", "previous"]),
    hide_index=True,
    width="stretch",
    column_config={
        "full_name": st.column_config.TextColumn(t("team.col.name", lg)),
        "job_role": st.column_config.TextColumn(t("team.col.role", lg)),
        "location": st.column_config.TextColumn(t("team.col.location", lg)),
        "period": st.column_config.TextColumn(t("team.col.period", lg)),
        "rating": st.column_config.NumberColumn(t("team.col.rating", lg), format="%.0f"),
        "trend": st.column_config.NumberColumn(t("team.col.trend", lg), format="%+.0f"),
        "requests_open": st.column_config.NumberColumn(t("team.col.requests", lg)),
    },
)
