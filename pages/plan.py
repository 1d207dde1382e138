"""Plan (employee: self; manager and HR: anyone in scope): programs, reasons, what-if, skills,
history, and the plan as a PDF.

Speed: opening a plan is audited once per session and person (not on every click); the
what-if panel runs only while its expander is open, as a fragment (moving a slider reruns the
panel, not the page); its model and organization-level fit are cached per model and data
version, and the person's feature row in this session's state, keyed by viewer and person.
"""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy import select

from core.access import visible_employee_ids
from core.db import session_scope
from core.explain import skill_label
from core.i18n import fmt_soles, t
from core.models import Employee
from core.plan_pdf import plan_file_name, plan_pdf_for
from core.plans import (
    REASONS,
    NotAllowed,
    active_model_version,
    not_for_me,
    profile,
    require_visible,
    stored_plan,
)
from core.requests import RequestError, create_request
from core.whatif import (
    baseline_row,
    changeable_features,
    load_version_model,
    org_context_from_store,
    predict_whatif,
    top_contributions,
)
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

# "plan_viewed" is written the first time this viewer opens this person's plan in the session
audited: set = st.session_state.setdefault("plan_audited", set())
first_view = (user.username, person) not in audited
try:
    with session_scope(eng, write=first_view) as session:
        prof = profile(session, user, person, audit_view=first_view)
        plan = stored_plan(session, user, person)
except NotAllowed:
    st.error(t("access.denied", lg))
    st.stop()
audited.add((user.username, person))


def _pdf() -> bytes:
    """Built when the button is clicked (access checked again, the download audited)."""
    with session_scope(eng) as session:
        return plan_pdf_for(session, user, person, lg)


head, dl = st.columns([3, 1], vertical_alignment="bottom")
head.subheader(f"{prof.full_name or prof.employee_id}")
head.caption(" · ".join(x for x in (prof.job_role, prof.department, prof.location) if x))
dl.download_button(t("plan.pdf.download", lg), data=_pdf, file_name=plan_file_name(prof),
                   mime="application/pdf", on_click="ignore", icon=":material/download:",
                   key="plan_pdf", width="stretch")

st.markdown(f"### {t('plan.recommended', lg)}")
if prof.opted_out:
    st.info(t("plan.opted_out", lg))
elif plan.empty:
    st.info(t("plan.no_plan", lg))
else:
    for row in plan.itertuples():
        title = row.title_en if lg == "en" and isinstance(row.title_en, str) and row.title_en \
            else row.title_es
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
            if pd.notna(row.low) and pd.notna(row.high):
                st.caption(t("plan.interval", lg, lo=row.low, hi=row.high))
            if row.expected_gain <= 0:
                st.info(t("plan.no_gain", lg))
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

# --------------------------------------------------------------------------------------------
# What-if
# --------------------------------------------------------------------------------------------


def _url() -> str:
    return eng.url.render_as_string(hide_password=True)


@st.cache_resource(show_spinner=False, max_entries=2)
def _whatif_model(version: int, url: str):
    return load_version_model(eng, version)


@st.cache_resource(show_spinner=False, max_entries=2)
def _whatif_context(version: int, data: int, url: str):
    """Organization-level fit (fences, role targets, KPI ranges): aggregates, no person.
    Reads the KPI values and role targets only, not the whole history."""
    return org_context_from_store(eng)


def _data_version() -> int:
    from ui.cache import data_version

    return data_version()


def _slider_format(feature: str, step: float) -> str:
    if step >= 1:
        return "%.0f"
    decimals = len(f"{step:.6f}".rstrip("0").split(".")[1])
    return f"%.{decimals}f"


def _wrap(label: str, width: int = 34) -> str:
    """A long feature label on two or three lines, so the bars keep their room."""
    lines, line = [], ""
    for word in label.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(lines)


def _reset(keys: list[str]) -> None:
    for k in keys:
        st.session_state.pop(k, None)


@st.fragment
def whatif_panel(person: str) -> None:
    with session_scope(eng, write=False) as session:
        try:
            require_visible(session, user, person)
        except NotAllowed:
            st.error(t("access.denied", lg))
            return
        version = active_model_version(session)
    if version is None:
        st.info(t("whatif.no_model", lg))
        return
    data = _data_version()
    key = (user.username, person, version, data)
    state = st.session_state.get("whatif_state")
    if not state or state["key"] != key:  # per viewer and person, in this session only
        with st.spinner(t("whatif.loading", lg)):
            model = _whatif_model(version, _url())
            ctx = _whatif_context(version, data, _url())
            with session_scope(eng, write=False) as session:
                base = baseline_row(session, user, person, ctx)
            now = predict_whatif(model, base) if base is not None else None
        state = {"key": key, "baseline": base, "now": now}
        st.session_state["whatif_state"] = state
    model = _whatif_model(version, _url())
    base = state["baseline"]
    if base is None:
        st.info(t("plan.opted_out", lg) if prof.opted_out else t("whatif.no_data", lg))
        return
    sliders = changeable_features(model, base)
    if not sliders:
        st.info(t("whatif.nothing", lg))
        return
    st.caption(t("whatif.intro", lg))
    keys = [f"wi_{person}_{c.feature}" for c in sliders]
    changes: dict[str, float] = {}
    left, right = st.columns([5, 6], gap="large")
    groups = (("skill", t("whatif.skills", lg)), ("kpi", t("whatif.kpis", lg)))
    for kind, title in groups:
        items = [(c, k) for c, k in zip(sliders, keys, strict=True) if c.kind == kind]
        if not items:
            continue
        left.markdown(f"**{title}**")
        for c, k in items:
            value = left.slider(c.label(lg), min_value=c.low, max_value=c.high, value=c.value,
                                step=c.step, key=k, format=_slider_format(c.feature, c.step),
                                help=t("whatif.now", lg, v=c.value))
            if abs(value - c.value) > c.step / 2:
                changes[c.feature] = value
    pred0, frame0 = state["now"]
    pred, frame = predict_whatif(model, base, changes)
    with right:
        m1, m2 = st.columns(2)
        diff = pred - pred0
        m1.metric(t("whatif.predicted", lg), f"{pred:.2f}",
                  delta=f"{diff:+.2f}" if abs(diff) >= 0.005 else None,
                  help=t("whatif.now", lg, v=f"{pred0:.2f}"))
        risk0, risk = frame0.attrs.get("risk"), frame.attrs.get("risk")
        if risk is not None and risk0 is not None:
            pp = (risk - risk0) * 100
            m2.metric(t("whatif.risk", lg), f"{risk * 100:.0f} %",
                      delta=f"{pp:+.0f} pp" if abs(pp) >= 0.5 else None, delta_color="inverse",
                      help=t("whatif.risk_now", lg, v=f"{risk0 * 100:.0f} %"))
        st.button(t("whatif.reset", lg), on_click=_reset, args=(keys,),
                  key=f"wi_reset_{person}", disabled=not changes, icon=":material/undo:")
        top = top_contributions(frame, lg, 10).iloc[::-1]
        before = dict(zip(frame0["feature"], frame0["shap"], strict=True))
        fig = go.Figure()
        labels = [_wrap(x) for x in top["label"]]
        fig.add_bar(x=top["shap"], y=labels, orientation="h",
                    name=t("whatif.series.new", lg),
                    marker_color=["#2E7D32" if v > 0 else "#C62828" for v in top["shap"]])
        fig.add_scatter(x=[before.get(f, 0.0) for f in top["feature"]], y=labels,
                        mode="markers", name=t("whatif.series.now", lg),
                        marker={"symbol": "line-ns-open", "size": 16, "color": "#212529",
                                "line": {"width": 2}})
        fig.update_layout(title=t("whatif.shap_title", lg), height=560, barmode="overlay",
                          legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
                          xaxis_title=t("whatif.axis", lg),
                          margin={"t": 70, "b": 10, "l": 10, "r": 10})
        st.plotly_chart(fig, width="stretch", key=f"wi_chart_{person}")
        st.caption(t("whatif.base", lg, base=f"{frame.attrs['base_value']:.2f}",
                     pred=f"{pred:.2f}", period=base.period))


if not prof.opted_out:
    wi = st.expander(t("whatif.title", lg), icon=":material/tune:", key="whatif_open",
                     on_change="rerun")
    with wi:
        if wi.open:
            whatif_panel(person)


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
