"""Datos (HR): upload files, review the proposed mapping and the validation report, store."""

import hashlib
import json

import pandas as pd
import plotly.express as px
import streamlit as st

from core import model_report
from core.contract import CANONICAL_FILES, KINDS
from core.datasets import list_versions
from core.export import csv_bytes
from core.i18n import fmt_number, kind_label, t
from core.ingest import UploadFile, commit, prepare
from core.ingest.issues import Issue
from core.ingest.mapping import SNAPSHOT
from core.plans import train_and_plan
from core.training import TrainingError
from ui.common import engine, lang, require_page, show_notes, show_unexpected_error

user = require_page("datos")
lg = lang()
eng = engine()
IGNORE = "—"
KIND_CHOICES = ["auto", *KINDS, SNAPSHOT]

st.title(t("data.title", lg))
st.write(t("data.intro", lg))

with st.expander(t("data.templates", lg)):
    st.caption(t("data.templates.help", lg))
    cols = st.columns(len(KINDS))
    for col, (kind, columns) in zip(cols, KINDS.items(), strict=True):
        header = ",".join(c.name for c in columns)
        if kind == "performance":
            header += ",kpi_csat,skill_comunicacion"
        col.download_button(kind_label(kind, lg), data=(header + "\n").encode("utf-8-sig"),
                            file_name=CANONICAL_FILES[kind], mime="text/csv",
                            key=f"tpl_{kind}")

flash = st.session_state.pop("data_flash", None)
if flash:
    getattr(st, flash[0])(flash[1])

st.session_state.setdefault("upload_round", 0)
uploaded = st.file_uploader(
    t("data.uploader", lg),
    type=["csv", "txt", "tsv", "xlsx", "parquet"],
    accept_multiple_files=True,
    key=f"uploader_{st.session_state['upload_round']}",
    help=t("data.empty_upload", lg),
)


def _issues_frame(issues: list[Issue]) -> pd.DataFrame:
    return pd.DataFrame(
        [{t("data.col.file", lg): i.file, t("data.col.row", lg): i.row,
          t("data.col.column", lg): i.column, t("data.col.message", lg): i.message(lg)}
         for i in issues]
    )


def _prepare(files: list[UploadFile]):
    """Prepare once per (files, choices): reruns of this page don't re-read the files."""
    kinds = st.session_state.setdefault("upload_kinds", {})
    overrides = st.session_state.setdefault("upload_overrides", {})
    target = st.session_state.get("upload_target")
    key = hashlib.sha256(json.dumps(
        [[f.name, hashlib.sha256(f.data).hexdigest()] for f in files] + [kinds, overrides,
                                                                          target],
        sort_keys=True, default=str).encode()).hexdigest()
    cached = st.session_state.get("upload_prepared")
    if cached and cached[0] == key:
        return cached[1]
    with st.spinner(t("data.working", lg)):
        prepared = prepare(files, engine=eng, kinds={k: v for k, v in kinds.items()
                                                     if v != "auto"},
                           target=target, overrides=overrides)
    st.session_state["upload_prepared"] = (key, prepared)
    return prepared


if not uploaded:
    st.info(t("data.empty_upload", lg))
else:
    files = [UploadFile(name=f.name, data=f.getvalue()) for f in uploaded]
    try:
        prepared = _prepare(files)
    except Exception as exc:  # never a stack trace in the UI
        show_unexpected_error(exc)
        st.stop()

    st.subheader(t("data.step1", lg))
    for pf in prepared.files:
        with st.expander(pf.name, expanded=True):
            if pf.raw is not None:
                st.caption(t("data.read_info", lg, rows=f"{len(pf.raw.frame):,}",
                             fmt=pf.raw.format, enc=pf.raw.encoding or "—",
                             sep=pf.raw.delimiter or "—", dec=pf.raw.decimal))
            if pf.mapping is None:
                continue
            current_kind = st.session_state["upload_kinds"].get(pf.name, "auto")
            detected = f"{t('data.kind.auto', lg)} ({kind_label(pf.mapping.kind, lg)})"
            chosen = st.selectbox(
                t("data.kind", lg), KIND_CHOICES, index=KIND_CHOICES.index(current_kind),
                format_func=lambda k, d=detected: d if k == "auto" else kind_label(k, lg),
                key=f"kind_{pf.name}",
            )
            if chosen != current_kind:
                st.session_state["upload_kinds"][pf.name] = chosen
                st.session_state["upload_overrides"].pop(pf.name, None)
                st.rerun()
            if pf.mapping.kind == SNAPSHOT:
                user_cols = list(pf.raw.frame.columns)
                default = pf.mapping.target if pf.mapping.target in user_cols else user_cols[-1]
                target = st.selectbox(t("data.target", lg), user_cols,
                                      index=user_cols.index(default), key=f"target_{pf.name}")
                if target != pf.mapping.target:
                    st.session_state["upload_target"] = target
                    st.rerun()
            canon_options = sorted({c.name for c in KINDS.get(pf.mapping.kind, ())}
                                   | set(pf.mapping.columns.values()))
            editor = pd.DataFrame({
                "user": list(pf.raw.frame.columns),
                "canonical": [pf.mapping.columns.get(c, IGNORE) for c in pf.raw.frame.columns],
                "confidence": [round(pf.mapping.confidence.get(c, 0.0), 2)
                               for c in pf.raw.frame.columns],
            })
            edited = st.data_editor(
                editor,
                hide_index=True,
                disabled=["user", "confidence"],
                column_config={
                    "user": st.column_config.TextColumn(t("data.mapping.user", lg)),
                    "canonical": st.column_config.SelectboxColumn(
                        t("data.mapping.canonical", lg), options=[IGNORE, *canon_options]),
                    "confidence": st.column_config.ProgressColumn(
                        t("data.mapping.confidence", lg), min_value=0.0, max_value=1.0),
                },
                key=f"map_{pf.name}",
                width="stretch",
            )
            changes = {
                row.user: (None if row.canonical in (IGNORE, None) else row.canonical)
                for row in edited.itertuples()
                if row.canonical != pf.mapping.columns.get(row.user, IGNORE)
            }
            if changes:
                merged = {**st.session_state["upload_overrides"].get(pf.name, {}), **changes}
                st.session_state["upload_overrides"][pf.name] = merged
                st.rerun()

    st.subheader(t("data.step2", lg))
    errors, warnings = prepared.errors, prepared.warnings
    if errors:
        st.error(t("data.errors", lg, n=len(errors)))
        st.dataframe(_issues_frame(errors), hide_index=True, width="stretch")
    else:
        st.success(t("data.no_errors", lg))
    if warnings:
        with st.expander(t("data.warnings", lg, n=len(warnings)), expanded=not errors):
            st.dataframe(_issues_frame(warnings), hide_index=True, width="stretch")
    if errors or warnings:
        st.download_button(
            t("data.download_report", lg),
            data=csv_bytes(_issues_frame(errors + warnings)),
            file_name="reporte_validacion.csv", mime="text/csv",
        )
    for pf in prepared.files:
        quality = pf.quality or {}
        missing = quality.get("missing_share") or quality.get("missing") or {}
        if isinstance(missing, dict) and any(v for v in missing.values()):
            share = pd.Series(missing, dtype="float64").mul(100).sort_values(ascending=False)
            fig = px.bar(share[share > 0].head(25), orientation="h",
                         labels={"value": "%", "index": ""},
                         title=f"{pf.name}: {t('data.missing_chart', lg)}")
            fig.update_layout(showlegend=False, height=320, margin={"l": 10, "r": 10, "t": 40})
            st.plotly_chart(fig, width="stretch")
        balance = quality.get("class_balance") or {}
        counts = balance.get("counts") if isinstance(balance, dict) else None
        if counts:
            fig = px.bar(x=list(map(str, counts)), y=list(counts.values()),
                         labels={"x": "", "y": ""},
                         title=f"{pf.name}: {t('data.balance_chart', lg)}")
            fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 40})
            st.plotly_chart(fig, width="stretch")

    st.subheader(t("data.step3", lg))
    if st.button(t("data.commit", lg), type="primary", disabled=not prepared.ok):
        try:
            with st.spinner(t("data.storing", lg)):
                result = commit(prepared, eng, uploaded_by=user.username)
        except Exception as exc:
            show_unexpected_error(exc)
            st.stop()
        rows = ", ".join(f"{k}: {v:,}" for k, v in result.rows.items())
        if result.status == "stored":
            st.session_state["data_flash"] = ("success", t("data.stored", lg,
                                                           v=result.dataset_version, rows=rows))
        elif result.status == "unchanged":
            st.session_state["data_flash"] = ("info", t("data.unchanged", lg,
                                                        v=result.dataset_version))
        else:
            st.session_state["data_flash"] = ("error", t("data.rejected", lg,
                                                         n=len(result.errors)))
        for key in ("upload_prepared", "upload_kinds", "upload_overrides", "upload_target"):
            st.session_state.pop(key, None)
        st.session_state["upload_round"] += 1
        st.rerun()
    elif not prepared.ok:
        st.caption(t("data.commit.blocked", lg))

st.divider()
st.subheader(t("data.versions", lg))
versions = list_versions(eng)
if not versions:
    st.info(t("data.versions.empty", lg))
else:
    st.dataframe(
        pd.DataFrame([
            {
                t("data.col.version", lg): v["id"],
                t("data.col.when", lg): pd.Timestamp(v["uploaded_at"]).strftime("%d/%m/%Y %H:%M"),
                t("data.col.who", lg): v["uploaded_by"],
                t("data.col.kinds", lg): ", ".join(kind_label(k, lg)
                                                   for k in v["kinds"].split(",")),
                t("data.col.files", lg): v["file_names"],
                t("data.col.rows", lg): ", ".join(f"{k}: {n:,}"
                                                  for k, n in (v["row_counts"] or {}).items()),
            }
            for v in versions
        ]),
        hide_index=True,
        width="stretch",
    )

st.divider()
st.subheader(t("train.title", lg))
st.caption(t("train.intro", lg))
def _num(value) -> str:
    return "—" if value is None or pd.isna(value) else fmt_number(float(value), 3)


def _show_training_result(done: dict) -> None:
    """The new model's metrics against the previously active one, and a promote button."""
    version = done.get("model_version")
    previous = done.get("previous_active")
    if done.get("status") == "active":
        st.success(t("train.activated", lg, v=version))
    else:
        st.warning(t("train.candidate", lg, v=version))
    st.caption(t("model.detail", lg, reason=model_report.reason_text(done.get("reason"), lg)))
    if done.get("plans_stored") is not None:
        st.caption(t("train.plans", lg, n=fmt_number(done["plans_stored"])))
    show_notes(done.get("plan_warnings"), lg)
    old = (model_report.versions_by_id(eng).get(previous) or {}).get("metrics") \
        if previous else None
    table = model_report.compare_metrics_df(done.get("metrics") or {}, old, lg)
    if not table.empty:
        st.markdown(f"**{t('train.compare', lg)}**")
        shown = {t("train.col.metric", lg): table["label"],
                 t("train.col.new", lg, v=version): [_num(x) for x in table["new"]]}
        if previous:
            shown[t("train.col.old", lg, v=previous)] = [_num(x) for x in table["old"]]
            shown[t("train.col.better", lg)] = [
                "—" if pd.isna(a) or pd.isna(b) or a == b else
                t("train.col.new", lg, v=version) if (a < b) == (w == "lower") else
                t("train.col.old", lg, v=previous)
                for a, b, w in zip(table["new"], table["old"], table["better"], strict=True)]
        st.dataframe(pd.DataFrame(shown), hide_index=True, width="stretch")
        st.caption(t("train.compare.note", lg) if previous else t("train.no_previous", lg))
    cmp = done.get("compared_to") or {}
    if cmp.get("value_candidate") is not None and cmp.get("value_active") is not None:
        st.caption(t("train.same_holdout", lg, metric=t(f"model.metric.{cmp['metric']}", lg),
                     new=_num(cmp["value_candidate"]), old=_num(cmp["value_active"]),
                     v=cmp.get("version", previous)))
    if done.get("status") != "active":
        st.caption(t("train.promote.help", lg))
        if st.button(t("train.promote", lg, v=version), type="primary", key="train_promote"):
            with st.spinner(t("model.changing", lg)):
                res = model_report.promote(eng, user, int(version), force=True)
            if res.ok:
                done.update(status="active", reason=res.reason,
                            plans_stored=res.plans_stored,
                            plan_warnings=list(res.plan_warnings))
                st.session_state["train_result"] = done
                st.rerun()
            st.error(t("model.refused", lg, v=version))
            st.caption(t("model.detail", lg, reason=model_report.reason_text(res.reason, lg)))
    elif previous and previous != version:
        st.caption(t("train.rollback_hint", lg, v=previous))
    if st.button(t("train.dismiss", lg), key="train_dismiss"):
        st.session_state.pop("train_result", None)
        st.rerun()


done = st.session_state.get("train_result")
if done:
    try:
        _show_training_result(done)
    except Exception as exc:
        show_unexpected_error(exc)
if st.button(t("train.button", lg), disabled=not versions):
    before = {k: v["id"] for k, v in model_report.active_versions(eng).items()}
    with st.status(t("train.running", lg), expanded=True) as status:
        try:
            result = train_and_plan(eng, budget_seconds=20, created_by=user.username,
                                    progress=lambda stage: status.write(
                                        t(f"train.stage.{stage}", lg)))
        except TrainingError as exc:
            status.update(state="error")
            st.error(exc.message(lg))
        except Exception as exc:
            status.update(state="error")
            show_unexpected_error(exc)
        else:
            status.update(state="complete")
            result["previous_active"] = before.get(result.get("kind", "history"))
            st.session_state["train_result"] = result
            st.rerun()
