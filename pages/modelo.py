"""Modelo (HR): hold-out metrics, importance, versions (promote / roll back), drift, fairness."""

import pandas as pd
import streamlit as st

from core import drift, fairness, model_report
from core.explain import feature_label
from core.i18n import fmt_number, t
from ui.cache import data_version
from ui.common import engine, lang, require_page, show_notes, show_unexpected_error

user = require_page("modelo")
lg = lang()
eng = engine()
URL = eng.url.render_as_string(hide_password=True)


@st.cache_resource(show_spinner=False, max_entries=1)
def _features(data: int, url: str):
    """The history feature frame (individual rows, never shown): built once per data version
    and process from the shared store frames, for the importance and fairness aggregates."""
    from ui.cache import history

    return model_report.training_features(history=history())


def _history_features(kind: str, data: int):
    return _features(data, URL) if kind == "history" else None


@st.cache_data(show_spinner=False, max_entries=8, ttl=900)
def _importance(version_id: int, which: str, data: int, url: str, kind: str) -> pd.DataFrame:
    return model_report.get_importance_df(eng, version_id, which,
                                          features=_history_features(kind, data))


@st.cache_data(show_spinner=False, max_entries=4, ttl=900)
def _drift(kind: str, language: str, data: int, url: str) -> drift.DriftReport:
    return drift.drift_report(eng, kind, language)


@st.cache_data(show_spinner=False, max_entries=4, ttl=900)
def _fairness(kind: str, version_id: int, data: int, url: str) -> fairness.FairnessReport:
    return fairness.fairness_report(eng, kind, features=_history_features(kind, data))


def _label(feature: str) -> str:
    return t("drift.rating", lg) if feature == "performance_rating" else feature_label(feature, lg)


def _section(fn) -> None:
    """Draw one section; if it fails, a friendly message and the rest of the page still shows."""
    try:
        fn()
    except Exception as exc:  # never a stack trace in the UI
        show_unexpected_error(exc)


st.title(t("model.title", lg))
st.caption(t("model.intro", lg))

try:
    all_versions = model_report.versions(eng)
    actives = model_report.active_versions(eng)
    dv = data_version()
except Exception as exc:
    show_unexpected_error(exc)
    st.stop()

if not all_versions:
    st.info(t("model.empty", lg))
    st.stop()

kind = None
if actives:
    kinds = [k for k in ("history", "snapshot") if k in actives]
    kind = kinds[0] if len(kinds) == 1 else st.radio(
        t("model.pick_kind", lg), kinds, horizontal=True,
        format_func=lambda k: t(f"model.kind.{k}", lg))
    active = actives[kind]
else:
    active = None
    st.warning(t("model.no_active", lg))


# ---- 1. Metrics on the hold-out --------------------------------------------------------------
def metrics_section() -> None:
    m = active.get("metrics") or {}
    st.subheader(t("model.metrics", lg, v=active["id"]))
    st.caption(t("model.metrics.caption", lg, holdout=model_report.holdout_text(active, lg),
                 target=model_report.target_label(active, lg)))
    table = model_report.get_metrics_df(m, lg)
    if table.empty:
        st.info(t("model.metrics.none", lg))
        return
    rating = table["metric"].isin(["mae", "mae_naive", "rmse"])
    groups = [(t(f"model.group.binary.{active['kind']}", lg,
                 target=model_report.target_label(active, lg)), table[~rating], 6),
              (t("model.group.rating", lg), table[rating], 5)]
    for title, part, width in groups:
        if part.empty:
            continue
        st.markdown(f"**{title}**")
        cols = st.columns(width)
        for col, row in zip(cols, part.itertuples(), strict=False):
            col.metric(row.label, fmt_number(row.value, 3),
                       help=t(f"model.help.{row.metric}", lg))
    cls = model_report.classes(active, lg)
    left, right = st.columns(2)
    cm = model_report.get_confusion(m)
    with left:
        if cm is None:
            st.info(t("model.cm.none", lg))
        else:
            st.plotly_chart(model_report.plot_confusion(cm, cls, lg), width="stretch")
            thr = m.get("threshold")
            if isinstance(thr, int | float):
                st.caption(t("model.cm.caption", lg, thr=fmt_number(thr, 2),
                             positive=cls.positive))
    with right:
        cal = model_report.get_calibration_df(m)
        if cal.empty:
            st.info(t("model.cal.none", lg))
        else:
            st.plotly_chart(model_report.plot_calibration(cal, lg), width="stretch")
            st.caption(t("model.cal.caption", lg, positive=cls.positive))


# ---- 2. Global SHAP importance ---------------------------------------------------------------
def importance_section() -> None:
    st.subheader(t("model.shap.title", lg))
    which = "rating"
    if active["kind"] == "history":
        which = st.radio(t("model.shap.which", lg), ["rating", "low"], horizontal=True,
                         format_func=lambda w: t(f"model.shap.{w}", lg), key="shap_which")
    with st.spinner(t("model.working", lg)):
        imp = _importance(int(active["id"]), which, dv, URL, active["kind"])
    if imp.empty:
        st.info(t("model.shap.none", lg))
        return
    title = (t(f"model.shap.{which}", lg) if active["kind"] == "history"
             else model_report.target_label(active, lg))
    st.plotly_chart(model_report.plot_importance(imp, lg, title), width="stretch")
    st.caption(t("model.shap.caption", lg, n=fmt_number(imp.attrs.get("n_rows", 0)),
                 top=len(imp)))


# ---- 3. Versions: promote and roll back ------------------------------------------------------
def versions_section() -> None:
    st.subheader(t("model.versions", lg))
    flash = st.session_state.pop("model_flash", None)  # the outcome of the last change, here
    if flash:
        getattr(st, flash[0])(flash[1])
        if len(flash) > 2 and flash[2]:
            st.caption(t("model.detail", lg,
                         reason=model_report.reason_text(flash[2], lg)))
        show_notes(flash[3] if len(flash) > 3 else (), lg)
    table = model_report.get_versions_df(all_versions, lg)
    note = t("model.col.note", lg)
    if not table[note].astype(bool).any():
        table = table.drop(columns=note)
    st.dataframe(table, hide_index=True, width="stretch")
    others = [v for v in all_versions if v["status"] != "active"]
    if not others:
        st.caption(t("model.versions.only_active", lg))
        return
    by_id = {v["id"]: v for v in others}
    chosen = st.selectbox(
        t("model.versions.pick", lg), list(by_id),
        format_func=lambda i: (f"{i} · {t('model.status.' + by_id[i]['status'], lg)} · "
                               f"{t('model.kind.' + by_id[i]['kind'], lg)} · "
                               f"{model_report.when_lima(by_id[i]['created_at'])}"))
    v = by_id[chosen]
    if v["status"] == "candidate":
        st.caption(t("model.promote.help", lg))
        force = st.checkbox(t("model.promote.force", lg), key="promote_force")
        clicked = st.button(t("model.promote", lg, v=chosen), type="primary")
        action = "promote"
    else:
        st.caption(t("model.rollback.help", lg))
        force = False
        clicked = st.button(t("model.rollback", lg, v=chosen), type="primary")
        action = "rollback"
    if clicked:
        with st.spinner(t("model.changing", lg)):
            if action == "promote":
                res = model_report.promote(eng, user, chosen, force=force)
            else:
                res = model_report.rollback(eng, user, chosen)
        if res.ok:
            msg = t("model.changed", lg, v=chosen)
            if res.plans_stored is not None:
                msg += " " + t("train.plans", lg, n=fmt_number(res.plans_stored))
            st.session_state["model_flash"] = ("success", msg, res.reason, res.plan_warnings)
        else:
            st.session_state["model_flash"] = ("warning", t("model.refused", lg, v=chosen),
                                               res.reason)
        _fairness.clear()
        st.rerun()


# ---- 4. Data drift ---------------------------------------------------------------------------
def drift_section() -> None:
    st.subheader(t("drift.title", lg))
    with st.spinner(t("model.working", lg)):
        rep = _drift(kind or "history", lg, dv, URL)
    if rep.empty:
        st.info(t("drift.none", lg))
        return
    st.caption(t(f"drift.basis.{rep.basis}", lg, ref=rep.reference, cur=rep.current))
    table = rep.table
    labels = [_label(f) for f in table["feature"]]
    n_shift = int((table["level"] == "shift").sum())
    n_watch = int((table["level"] == "watch").sum())
    if n_shift:
        st.warning(t("drift.alert", lg, n=n_shift))
    elif n_watch:
        st.info(t("drift.watch_note", lg, n=n_watch))
    else:
        st.success(t("drift.ok", lg))
    left, right = st.columns(2)
    with left:
        st.plotly_chart(drift.plot_psi(table, labels, lg), width="stretch")
    with right:
        st.dataframe(pd.DataFrame({
            t("drift.col.feature", lg): labels,
            "PSI": table["psi"].round(3),
            t("drift.col.level", lg): [t(f"drift.level.{x}", lg) for x in table["level"]],
            t("drift.col.n", lg): [f"{fmt_number(a)} / {fmt_number(b)}"
                                   for a, b in zip(table["n_ref"], table["n_cur"],
                                                   strict=True)],
        }), hide_index=True, width="stretch", height=420,
            column_config={"PSI": st.column_config.NumberColumn(format="%.3f")})
    st.caption(t("drift.caption", lg))


# ---- 5. Fairness -----------------------------------------------------------------------------
def fairness_section() -> None:
    st.subheader(t("fair.title", lg))
    with st.spinner(t("model.working", lg)):
        rep = _fairness(kind, int(active["id"]), dv, URL)
    if rep.empty:
        st.info(t("fair.none", lg))
        return
    names = {"flag": t(f"fair.outcome.flag.{rep.kind}", lg,
                       target=model_report.target_label(active, lg)),
             "recommended": t("fair.outcome.recommended", lg)}
    st.caption(t("fair.caption", lg, n=fmt_number(rep.n_people), min=fairness.MIN_GROUP,
                 period=rep.period or t("fair.latest_snapshot", lg)))
    if rep.opted_out:
        st.caption(t("fair.opted", lg, n=fmt_number(rep.opted_out)))
    if rep.kind == "snapshot":
        st.caption(t("fair.snapshot_note", lg))
    flagged = [(d, o) for d in fairness.DIMENSIONS for o in rep.outcomes
               if rep.tables[d][f"{o}_low"].fillna(False).astype(bool).any()]
    if flagged:
        st.warning(t("fair.alert", lg, items="; ".join(
            f"{t(f'fair.dim.{d}', lg)} · {names[o]}" for d, o in flagged)))
    else:
        st.success(t("fair.ok", lg))
    tabs = st.tabs([t(f"fair.dim.{d}", lg) for d in fairness.DIMENSIONS])
    for tab, dim in zip(tabs, fairness.DIMENSIONS, strict=True):
        with tab:
            table = rep.tables[dim]
            groups, people = rep.hidden[dim]
            if table.empty:
                st.info(t("fair.no_groups", lg, min=fairness.MIN_GROUP))
            else:
                shown = {t("fair.col.group", lg): [fairness.group_label(dim, g, lg)
                                                   for g in table["group"]],
                         t("fair.col.n", lg): [fmt_number(n) for n in table["n"]]}
                for o in rep.outcomes:
                    shown[f"{names[o]} (%)"] = [fmt_number(100 * r, 1)
                                                for r in table[f"{o}_rate"]]
                    shown[f"{t('fair.ratio', lg)} · {names[o]}"] = [
                        "—" if pd.isna(r) else fmt_number(r, 2) + (" ⚠️" if r < 0.8 else "")
                        for r in table[f"{o}_ratio"]]
                st.plotly_chart(fairness.plot_rates(table, dim, rep.outcomes, names, lg),
                                width="stretch", key=f"fair_{dim}")
                st.dataframe(pd.DataFrame(shown), hide_index=True, width="stretch")
            if groups:
                st.caption(t("fair.hidden", lg, groups=groups, people=fmt_number(people),
                             min=fairness.MIN_GROUP))
    st.caption(t("fair.how", lg))


if active is not None:
    _section(metrics_section)
    st.divider()
    _section(importance_section)
    st.divider()
_section(versions_section)
st.divider()
_section(drift_section)
if active is not None:
    st.divider()
    _section(fairness_section)
