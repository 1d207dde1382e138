"""Brechas de habilidades (trainer, HR): skill gaps, program demand and effectiveness, cohorts.

Everything here is an aggregate except the cohort list, which holds names, e-mail and
department only (core.cohort): the one individual list trainers get.
"""

import plotly.express as px
import streamlit as st

from core.cohort import cohort, cohort_csv, cohort_locations
from core.db import session_scope
from core.demand import DEFAULT_SESSION_SIZE, demand, latest_period, plan_rows
from core.effectiveness import MIN_COMPLETIONS, effectiveness
from core.explain import skill_label
from core.export import csv_bytes
from core.i18n import fmt_number, fmt_soles, t
from core.plans import active_model_version
from core.skills import MIN_GROUP, feedback_counts, gap_table_from_store
from ui.cache import data_version
from ui.common import engine, lang, require_page

user = require_page("brechas")
lg = lang()
eng = engine()
st.title(t("gaps.title", lg))
TITLE = "title_en" if lg == "en" else "title_es"


@st.cache_data(show_spinner=t("gaps.eff.computing", lg), max_entries=4)
def _effectiveness(data: int, model: int | None, url: str):
    """Aggregates only (programs with enough completions): the same for every viewer."""
    with session_scope(engine(), write=False) as session:
        return effectiveness(session)


@st.cache_data(show_spinner=False, max_entries=8)
def _gaps(data: int, by: str, url: str):
    """Aggregate gap table (groups under MIN_GROUP hidden): the same for every viewer. Reads
    the latest quarter's rows only, not the whole store."""
    return gap_table_from_store(engine(), by)


with session_scope(eng, write=False) as session:
    rows = plan_rows(session)  # stored top-3 entries that count (read once per run)
    model = active_model_version(session)
eff = _effectiveness(data_version(), model, eng.url.render_as_string(hide_password=True))
no_plans = rows.empty
titles: dict[str, str] = {}

tab_gaps, tab_demand, tab_eff, tab_cohort, tab_fb = st.tabs(
    [t("gaps.tab.gaps", lg), t("gaps.tab.demand", lg), t("gaps.tab.effectiveness", lg),
     t("gaps.tab.cohort", lg), t("gaps.tab.feedback", lg)])


def _no_plans(where) -> None:
    where.info(t("gaps.no_plans.hr" if user.role == "hr" else "gaps.no_plans.other", lg))


# --- skill gaps -----------------------------------------------------------------------------
with tab_gaps:
    st.caption(t("gaps.intro", lg, n=MIN_GROUP))
    by = st.radio(t("gaps.by", lg), ["department", "location"], horizontal=True,
                  format_func=lambda b: t(f"gaps.by.{b}", lg))
    gap = _gaps(data_version(), by, eng.url.render_as_string(hide_password=True))
    if gap.empty:
        st.info(t("gaps.empty", lg))
    else:
        shown = gap.rename(columns=lambda s: skill_label(s, lg))
        fig = px.imshow(shown, text_auto=".1f", aspect="auto", color_continuous_scale="OrRd",
                        labels={"color": t("gaps.heatmap", lg), "x": "", "y": ""})
        fig.update_layout(height=120 + 40 * len(shown), margin={"t": 20, "b": 10},
                          coloraxis_colorbar={"title": t("gaps.heatmap", lg)})
        fig.update_xaxes(tickangle=-30)
        st.plotly_chart(fig, width="stretch")

# --- demand ---------------------------------------------------------------------------------
with tab_demand:
    st.subheader(t("gaps.demand", lg))
    st.caption(t("gaps.demand.intro", lg))
    if no_plans:
        _no_plans(st)
    else:
        periods = sorted(rows["period"].unique(), reverse=True)
        c1, c2, c3 = st.columns([2, 2, 3])
        period = c1.selectbox(t("gaps.demand.period", lg), periods, key="demand_period")
        size = int(c2.number_input(t("gaps.demand.session_size", lg), min_value=1,
                                   max_value=500, value=DEFAULT_SESSION_SIZE, step=1,
                                   key="demand_session_size"))
        locations = sorted(rows["location"].fillna("—").unique())
        chosen_locs = c3.multiselect(t("gaps.demand.locations", lg), locations,
                                     placeholder=t("gaps.all_locations", lg),
                                     key="demand_locations")
        with session_scope(eng, write=False) as session:
            full = demand(session, session_size=size, rows=rows)
        full["program"] = full[TITLE]
        titles = dict(zip(full["program_id"], full["program"], strict=True))
        view = full[full["period"] == period]
        if chosen_locs:
            view = view[view["location"].isin(chosen_locs)]
        m1, m2, m3, m4 = st.columns([1, 1, 1.1, 1.6])
        m1.metric(t("gaps.demand.seats", lg), fmt_number(view["employees"].sum()))
        m2.metric(t("gaps.demand.sessions", lg), fmt_number(view["sessions"].sum()))
        m3.metric(t("gaps.demand.hours", lg), fmt_number(view["total_hours"].sum()))
        m4.metric(t("gaps.demand.cost", lg), fmt_soles(view["total_cost_pen"].sum()))
        if view.empty:
            st.info(t("gaps.demand.none", lg))
        else:
            order = (view.groupby("program")["employees"].sum().sort_values().index.tolist())
            bar = px.bar(view, x="employees", y="program", color="location", orientation="h",
                         category_orders={"program": order[::-1]},
                         labels={"employees": t("gaps.demand.people_top3", lg), "program": "",
                                 "location": t("gaps.by.location", lg)},
                         title=t("gaps.demand.chart", lg, period=period))
            bar.update_layout(height=140 + 32 * len(order), margin={"t": 50, "b": 10},
                              legend={"title": t("gaps.by.location", lg)})
            bar.update_xaxes(tickformat="d", rangemode="tozero")
            st.plotly_chart(bar, width="stretch")
            st.dataframe(
                view[["program", "location", "employees", "sessions", "hours", "total_hours",
                      "cost_pen", "total_cost_pen"]],
                hide_index=True, width="stretch",
                column_config={
                    "program": st.column_config.TextColumn(t("gaps.col.program", lg)),
                    "location": st.column_config.TextColumn(t("gaps.by.location", lg)),
                    "employees": st.column_config.NumberColumn(t("gaps.col.people", lg),
                                                               format="%,d"),
                    "sessions": st.column_config.NumberColumn(
                        t("gaps.col.sessions", lg, n=size), format="%,d"),
                    "hours": st.column_config.NumberColumn(t("gaps.col.hours", lg),
                                                           format="%,.0f"),
                    "total_hours": st.column_config.NumberColumn(t("gaps.col.total_hours", lg),
                                                                 format="%,.0f"),
                    "cost_pen": st.column_config.NumberColumn(t("gaps.col.cost", lg),
                                                              format="S/ %,.2f"),
                    "total_cost_pen": st.column_config.NumberColumn(
                        t("gaps.col.total_cost", lg), format="S/ %,.2f"),
                })
        if full["period"].nunique() > 1:
            per_q = full.groupby(["period", "program"])["employees"].sum().reset_index()
            line = px.bar(per_q, x="period", y="employees", color="program", barmode="group",
                          labels={"period": t("axis.quarter", lg),
                                  "employees": t("gaps.demand.people_top3", lg),
                                  "program": t("gaps.col.program", lg)},
                          title=t("gaps.demand.by_quarter", lg))
            line.update_xaxes(type="category")
            line.update_layout(height=380, margin={"t": 50, "b": 10})
            st.plotly_chart(line, width="stretch")
        export = full[["program_id", "program", "period", "location", "employees", "sessions",
                       "hours", "total_hours", "cost_pen", "total_cost_pen"]].rename(
            columns={"program_id": t("gaps.col.program_id", lg),
                     "program": t("gaps.col.program", lg), "period": t("axis.quarter", lg),
                     "location": t("gaps.by.location", lg),
                     "employees": t("gaps.col.people", lg),
                     "sessions": t("gaps.col.sessions", lg, n=size),
                     "hours": t("gaps.col.hours", lg),
                     "total_hours": t("gaps.col.total_hours", lg),
                     "cost_pen": t("gaps.col.cost", lg),
                     "total_cost_pen": t("gaps.col.total_cost", lg)})
        st.download_button(t("gaps.demand.download", lg), csv_bytes(export),
                           file_name="demanda_programas.csv", mime="text/csv")

# --- effectiveness --------------------------------------------------------------------------
with tab_eff:
    st.subheader(t("gaps.eff", lg))
    st.caption(t("gaps.eff.intro", lg, n=MIN_COMPLETIONS))
    et = eff.table.copy()
    if et.empty:
        st.info(t("gaps.eff.empty", lg, n=MIN_COMPLETIONS))
    else:
        et["program"] = et[TITLE]
        numbers = ["estimated_gain", "observed_change", "baseline_change", "skill_change",
                   "skill_baseline_change", "rating_before", "rating_after"]
        et[numbers] = et[numbers].round(2) + 0.0  # no "-0.00"
        long = et.melt(id_vars=["program"], value_vars=["estimated_gain", "observed_change",
                                                         "baseline_change"],
                       var_name="measure", value_name="points")
        long["measure"] = long["measure"].map(lambda m: t(f"gaps.eff.{m}", lg))
        fig = px.bar(long, x="points", y="program", color="measure", barmode="group",
                     orientation="h",
                     color_discrete_sequence=["#1f4e79", "#5fa8e8", "#a0a0a0"],
                     labels={"points": t("gaps.eff.points", lg), "program": "",
                             "measure": ""},
                     title=t("gaps.eff.chart", lg))
        fig.update_layout(height=160 + 45 * len(et), margin={"t": 50, "b": 10},
                          legend={"orientation": "h", "y": -0.15})
        fig.add_vline(x=0, line_width=1, line_color="#888")
        st.plotly_chart(fig, width="stretch")
        st.dataframe(
            et[["program", "completions", "estimated_gain", "observed_change",
                "baseline_change", "skill_change", "skill_baseline_change", "rating_before",
                "rating_after", "recommended"]],
            hide_index=True, width="stretch",
            column_config={
                "program": st.column_config.TextColumn(t("gaps.col.program", lg),
                                                       pinned=True),
                "completions": st.column_config.NumberColumn(t("gaps.eff.completions", lg),
                                                             format="%,d"),
                "estimated_gain": st.column_config.NumberColumn(
                    t("gaps.eff.estimated_short", lg), format="%+.2f",
                    help=t("gaps.eff.estimated_gain", lg)),
                "observed_change": st.column_config.NumberColumn(
                    t("gaps.eff.observed_short", lg), format="%+.2f",
                    help=t("gaps.eff.observed_change", lg)),
                "baseline_change": st.column_config.NumberColumn(
                    t("gaps.eff.baseline_short", lg), format="%+.2f",
                    help=t("gaps.eff.baseline_change", lg)),
                "skill_change": st.column_config.NumberColumn(
                    t("gaps.eff.skill_change", lg), format="%+.2f",
                    help=t("gaps.eff.skill_change_help", lg)),
                "skill_baseline_change": st.column_config.NumberColumn(
                    t("gaps.eff.skill_baseline", lg), format="%+.2f"),
                "rating_before": st.column_config.NumberColumn(t("gaps.eff.before", lg),
                                                               format="%.2f"),
                "rating_after": st.column_config.NumberColumn(t("gaps.eff.after", lg),
                                                              format="%.2f"),
                "recommended": st.column_config.NumberColumn(t("gaps.eff.recommended", lg),
                                                             format="%,d"),
            })
    if eff.hidden:
        st.caption(t("gaps.eff.hidden", lg, k=eff.hidden, n=MIN_COMPLETIONS))

# --- cohort ---------------------------------------------------------------------------------
with tab_cohort:
    st.subheader(t("gaps.cohort", lg))
    st.caption(t("gaps.cohort.intro", lg))
    if no_plans:
        _no_plans(st)
    else:
        with session_scope(eng, write=False) as session:
            newest = latest_period(rows)
            counts = (rows[rows["period"] == newest].groupby("program_id")["employee_id"]
                      .nunique().sort_values(ascending=False))
            c1, c2 = st.columns([3, 3])
            program = c1.selectbox(
                t("gaps.cohort.program", lg), counts.index.tolist(), key="cohort_program",
                format_func=lambda p: t("gaps.cohort.option", lg, title=titles.get(p, p),
                                        n=int(counts.get(p, 0))))
            locs = cohort_locations(session, user, program, newest, rows)
            picked = c2.multiselect(t("gaps.demand.locations", lg), locs,
                                    placeholder=t("gaps.all_locations", lg),
                                    key=f"cohort_locations_{program}")
            people = cohort(session, user, program, picked, newest, rows)
        st.caption(t("gaps.cohort.count", lg, n=len(people), period=newest))
        if people.empty:
            st.info(t("gaps.cohort.empty", lg))
        else:
            st.dataframe(people, hide_index=True, width="stretch", column_config={
                c: st.column_config.TextColumn(t(f"cohort.col.{c}", lg)) for c in people})
            st.download_button(t("gaps.cohort.download", lg), cohort_csv(people, lg),
                               file_name=f"cohorte_{program}.csv", mime="text/csv")

# --- "not for me" ---------------------------------------------------------------------------
with tab_fb:
    st.subheader(t("gaps.feedback", lg))
    fb = feedback_counts(eng)
    if fb.empty:
        st.info(t("gaps.feedback.empty", lg))
    else:
        fb["program"] = fb[TITLE]
        fb["reason"] = fb["reason"].map(lambda r: t(f"reason.{r}", lg))
        bar = px.bar(fb, x="count", y="program", color="reason", orientation="h",
                     labels={"count": t("axis.people", lg), "program": "", "reason": ""})
        bar.update_layout(height=100 + 35 * fb["program"].nunique(), margin={"t": 10})
        bar.update_xaxes(tickformat="d", rangemode="tozero")
        st.plotly_chart(bar, width="stretch")
