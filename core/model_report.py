"""What HR reads about a model: hold-out metrics, confusion matrix, calibration, importance.

Metrics come from what the registry stored when the model was trained (``core.model``'s
``binary_metrics`` and the MAE of the rating): a fit on the training rows only, scored on
the hold-out it never saw. They are never recomputed with the stored model, because that
model is the same recipe refitted on every labelled row, hold-out included, so scoring it
there would be in-sample. A version that stores no confusion matrix or calibration table
says so instead.

Promotion and rollback go through ``core.registry`` and are written to the audit log here;
when a history model becomes active and has no stored plans, everyone's plan is computed
with it so that the plan pages never show an empty list after a model change.

Layout (STYLE.md): ``get_*`` return plain data / DataFrames; ``plot_*`` return plotly
figures with labels in the reader's language.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import Engine, func, select

from core import audit
from core.db import session_factory, session_scope
from core.i18n import fmt_number, t
from core.models import Recommendation
from core.users import CurrentUser

LIMA = ZoneInfo("America/Lima")
# Shown in this order when present; "higher" / "lower" is the better direction.
METRICS: tuple[tuple[str, str], ...] = (
    ("auc", "higher"), ("precision", "higher"), ("recall", "higher"), ("f1", "higher"),
    ("accuracy", "higher"), ("mae", "lower"), ("mae_naive", "lower"), ("rmse", "lower"),
    ("brier", "lower"),
)
TOP_FEATURES = 15


# --------------------------------------------------------------------------------------------
# Versions
# --------------------------------------------------------------------------------------------


def versions(engine: Engine) -> list[dict[str, Any]]:
    """Every stored model version, newest first (registry summaries, no model text)."""
    from core.registry import list_versions

    return list_versions(engine)


def versions_by_id(engine: Engine) -> dict[int, dict[str, Any]]:
    return {int(v["id"]): v for v in versions(engine)}


def active_versions(engine: Engine) -> dict[str, dict[str, Any]]:
    """``{kind: summary}`` of the active model of each kind (history, snapshot)."""
    out: dict[str, dict[str, Any]] = {}
    for v in versions(engine):
        if v["status"] == "active" and v["kind"] not in out:
            out[v["kind"]] = v
    return out


def when_lima(iso: str | None) -> str:
    """An ISO timestamp as dd/mm/yyyy HH:MM in Lima time (naive values are taken as UTC)."""
    if not iso:
        return ""
    ts = dt.datetime.fromisoformat(iso)
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.UTC)
    return ts.astimezone(LIMA).strftime("%d/%m/%Y %H:%M")


def holdout_text(summary: dict[str, Any], lang: str) -> str:
    """Which rows the metrics come from, in the reader's language."""
    m = summary.get("metrics") or {}
    hold = m.get("holdout") or {}
    n = m.get("n_test")
    n_txt = fmt_number(n) if isinstance(n, int | float) else "—"
    if summary.get("kind") == "snapshot" or hold.get("kind") == "stratified":
        frac = hold.get("fraction")
        pct = fmt_number(100 * float(frac)) if isinstance(frac, int | float) else "20"
        return t("model.holdout.snapshot", lang, pct=pct, n=n_txt,
                 dv=hold.get("dataset_version_id") or "—")
    period = hold.get("period") or m.get("holdout_period") or "—"
    return t("model.holdout.history", lang, period=period, n=n_txt)


def main_metric(summary: dict[str, Any]) -> tuple[str, float | None]:
    """The metric the registry compares versions on: MAE for history, AUC for snapshot."""
    key = "mae" if summary.get("kind") == "history" else "auc"
    value = (summary.get("metrics") or {}).get(key)
    return key, (float(value) if isinstance(value, int | float) else None)


def get_versions_df(items: list[dict[str, Any]], lang: str) -> pd.DataFrame:
    """The versions table as HR reads it (text columns, Peru formats)."""
    rows = []
    for v in items:
        key, value = main_metric(v)
        promo = (v.get("metrics") or {}).get("promotion") or {}
        rows.append({
            t("model.col.version", lang): v["id"],
            t("model.col.status", lang): t(f"model.status.{v['status']}", lang),
            t("model.col.kind", lang): t(f"model.kind.{v['kind']}", lang),
            t("model.col.target", lang): target_label(v, lang),
            t("model.col.created", lang): when_lima(v.get("created_at")),
            t("model.col.by", lang): v.get("created_by") or "—",
            t("model.col.data", lang): ", ".join(str(d) for d in v.get("data_versions") or [])
            or "—",
            t("model.col.metric", lang): (f"{t(f'model.metric.{key}', lang)}: "
                                          f"{fmt_number(value, 3)}" if value is not None
                                          else "—"),
            t("model.col.note", lang): (t("model.note.refused", lang) if promo.get("refused")
                                        else t("model.note.forced", lang)
                                        if promo.get("forced") else ""),
        })
    return pd.DataFrame(rows)


def target_label(summary: dict[str, Any], lang: str) -> str:
    if summary.get("kind") == "history":
        return t("model.target.history", lang)
    return str(summary.get("target") or "—")


# --------------------------------------------------------------------------------------------
# Metrics, confusion matrix, calibration
# --------------------------------------------------------------------------------------------


def get_metrics_df(metrics: dict[str, Any], lang: str) -> pd.DataFrame:
    """``metric, label, value, better`` for the metrics this version stores."""
    rows = [{"metric": k, "label": t(f"model.metric.{k}", lang), "value": float(metrics[k]),
             "better": better}
            for k, better in METRICS if isinstance(metrics.get(k), int | float)]
    return pd.DataFrame(rows, columns=["metric", "label", "value", "better"])


def compare_metrics_df(new: dict[str, Any], old: dict[str, Any] | None, lang: str
                       ) -> pd.DataFrame:
    """New model's stored metrics next to another version's: ``label, new, old, better``.

    Each side is on its own hold-out; the registry's comparison on one hold-out is separate.
    """
    old = old or {}
    rows = []
    for k, better in METRICS:
        a, b = new.get(k), old.get(k)
        if not isinstance(a, int | float) and not isinstance(b, int | float):
            continue
        rows.append({"metric": k, "label": t(f"model.metric.{k}", lang),
                     "new": float(a) if isinstance(a, int | float) else np.nan,
                     "old": float(b) if isinstance(b, int | float) else np.nan,
                     "better": better})
    return pd.DataFrame(rows, columns=["metric", "label", "new", "old", "better"])


@dataclass(frozen=True)
class Classes:
    """Names of the negative and positive class of the binary output, in one language."""

    negative: str
    positive: str


def classes(summary: dict[str, Any], lang: str) -> Classes:
    if summary.get("kind") == "history":
        return Classes(t("model.class.not_low", lang), t("model.class.low", lang))
    m = summary.get("metrics") or {}
    pos = m.get("positive_label") or (summary.get("params") or {}).get("positive_label")
    target = summary.get("target") or "outcome"
    return Classes(t("model.class.other", lang, target=target),
                   f"{target} = {pos}" if pos is not None else target)


def get_confusion(metrics: dict[str, Any]) -> np.ndarray | None:
    """2x2 counts ``[[tn, fp], [fn, tp]]`` (rows: actual, columns: predicted), or None."""
    cm = metrics.get("confusion_matrix")
    if not isinstance(cm, dict) or not all(k in cm for k in ("tn", "fp", "fn", "tp")):
        return None
    return np.array([[int(cm["tn"]), int(cm["fp"])], [int(cm["fn"]), int(cm["tp"])]])


def get_calibration_df(metrics: dict[str, Any]) -> pd.DataFrame:
    """Non-empty calibration bins: ``low, high, mean_predicted, observed_rate, count``."""
    cols = ["low", "high", "mean_predicted", "observed_rate", "count"]
    bins = metrics.get("calibration")
    if not isinstance(bins, list) or not bins:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(bins).reindex(columns=cols)
    df = df[(df["count"].fillna(0) > 0) & df["mean_predicted"].notna()
            & df["observed_rate"].notna()]
    return df.astype(float).reset_index(drop=True)


def plot_confusion(cm: np.ndarray, cls: Classes, lang: str) -> go.Figure:
    labels = [cls.negative, cls.positive]
    total = cm.sum() or 1
    text = [[f"{fmt_number(v)}<br>({fmt_number(100 * v / total, 1)}%)" for v in row]
            for row in cm]
    fig = go.Figure(go.Heatmap(
        z=cm, x=labels, y=labels, text=text, texttemplate="%{text}", colorscale="Blues",
        showscale=False,
        hovertemplate=(f"{t('model.cm.actual', lang)}: %{{y}}<br>"
                       f"{t('model.cm.predicted', lang)}: %{{x}}<br>%{{z:,}}<extra></extra>")))
    fig.update_layout(
        title=t("model.cm.title", lang), height=340, margin={"l": 10, "r": 10, "t": 50, "b": 10},
        xaxis={"title": t("model.cm.predicted", lang), "side": "bottom"},
        yaxis={"title": t("model.cm.actual", lang), "autorange": "reversed"})
    return fig


def plot_calibration(cal: pd.DataFrame, lang: str) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name=t("model.cal.ideal", lang),
                             line={"dash": "dash", "color": "#9e9e9e"}, hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=cal["mean_predicted"], y=cal["observed_rate"], mode="lines+markers",
        name=t("model.cal.model", lang), customdata=cal["count"],
        marker={"size": np.clip(6 + np.sqrt(cal["count"].to_numpy(dtype=float)), 6, 22)},
        hovertemplate=(f"{t('model.cal.predicted', lang)}: %{{x:.2f}}<br>"
                       f"{t('model.cal.observed', lang)}: %{{y:.2f}}<br>"
                       f"{t('model.cal.count', lang)}: %{{customdata:,}}<extra></extra>")))
    fig.update_layout(
        title=t("model.cal.title", lang), height=340,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        xaxis={"title": t("model.cal.predicted", lang), "range": [0, 1], "tickformat": ".1f"},
        yaxis={"title": t("model.cal.observed", lang), "range": [0, 1], "tickformat": ".1f"},
        legend={"orientation": "h", "y": -0.25})
    return fig


# --------------------------------------------------------------------------------------------
# Global SHAP importance on the hold-out rows
# --------------------------------------------------------------------------------------------


def training_features(engine: Engine | None = None, history=None):
    """The history feature frame as training builds it (people who objected to automated
    scoring left out): from ``history`` (``core.features.History`` of the whole store, not
    modified) when the caller already holds it, else loaded from ``engine``.

    Individual rows: for the aggregates of this page (importance, fairness) only. Building
    it is most of the cost of both, so a page builds it once and passes it to
    :func:`get_importance_df` and :func:`core.fairness.fairness_report`.
    """
    from core.features import FeatureBuilder
    from core.training import load_training_history
    from core.whatif import _drop_opted_out

    history = load_training_history(engine) if history is None else _drop_opted_out(history)
    if history.performance.empty:
        return None
    return FeatureBuilder().fit_transform(history)


def holdout_rows(engine: Engine, summary: dict[str, Any], features=None) -> pd.DataFrame:
    """The model inputs of this version's hold-out rows, rebuilt from the store.

    History: every labelled (employee, quarter) row of the hold-out quarter. Snapshot: the
    stratified hold-out of the dataset version it was trained on (same seed and fraction).
    Empty when those rows are no longer in the store. ``features``: what
    :func:`training_features` returns, when the caller already has it.
    """
    m = summary.get("metrics") or {}
    hold = m.get("holdout") or {}
    if summary.get("kind") == "snapshot":
        from core.snapshot import (
            HOLDOUT_FRACTION,
            HOLDOUT_SEED,
            holdout_split,
            snapshot_frame_from_db,
            snapshot_xy,
        )

        dv = hold.get("dataset_version_id") or (summary.get("data_versions") or [None])[-1]
        try:
            frame = snapshot_frame_from_db(engine, dv, target=summary.get("target"))
        except (LookupError, KeyError):
            return pd.DataFrame()
        _tr, te = holdout_split(frame, seed=int(hold.get("seed", HOLDOUT_SEED)),
                                fraction=float(hold.get("fraction", HOLDOUT_FRACTION)))
        X, _y, _cat, _pos = snapshot_xy(frame)
        return X.loc[te]
    from core.contract import period_key

    period = hold.get("period") or m.get("holdout_period")
    if not period:
        return pd.DataFrame()
    ff = training_features(engine) if features is None else features
    if ff is None:
        return pd.DataFrame()
    pk = ff.keys["period"].map(period_key).to_numpy()
    mask = ff.y_rating.notna().to_numpy() & (pk == period_key(period))
    return ff.X.loc[mask]


def get_importance_df(engine: Engine, version_id: int, which: str = "rating",
                      top: int = TOP_FEATURES, features=None, model=None) -> pd.DataFrame:
    """Mean |SHAP| per feature of a stored version over its hold-out rows (largest first).

    ``which``: ``rating`` (predicted rating) or ``low`` (risk of a low rating) for a history
    model; a snapshot model has one output. Columns of ``core.explain.global_importance``
    plus ``n_rows`` in ``attrs``. ``features`` (:func:`training_features`) and ``model``
    (the loaded model of ``version_id``) are used when given, instead of rebuilding them.
    """
    from core.explain import global_importance
    from core.models import ModelVersion
    from core.registry import get_version, load_model

    summary = get_version(engine, version_id)
    if summary is None:
        raise LookupError(f"version {version_id} does not exist")
    if model is None:
        with session_factory(engine)() as s:
            text = s.get(ModelVersion, version_id).model_text
        model = load_model(summary["kind"], text)
    X = holdout_rows(engine, summary, features if summary["kind"] == "history" else None)
    if X.empty:
        return pd.DataFrame(columns=["feature", "label_es", "label_en", "mean_abs_shap"])
    imp = global_importance(model, X, which if summary["kind"] == "history" else "outcome")
    out = imp.head(top).reset_index(drop=True)
    out.attrs["n_rows"] = len(X)
    return out


def plot_importance(imp: pd.DataFrame, lang: str, title: str) -> go.Figure:
    df = imp.iloc[::-1]
    labels = df["label_en" if lang == "en" else "label_es"]
    fig = go.Figure(go.Bar(
        x=df["mean_abs_shap"], y=labels, orientation="h", marker_color="#1f77b4",
        hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    fig.update_layout(title=title, height=max(300, 28 * len(df) + 90),
                      margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      xaxis={"title": t("model.shap.axis", lang)}, yaxis={"title": ""})
    return fig


# --------------------------------------------------------------------------------------------
# Promote and roll back (audited)
# --------------------------------------------------------------------------------------------


# The registry states why a model became active or not in English (the log and the audit
# keep it so); the pages show it in the reader's language. Patterns in the order tried.
_REASONS_ES: tuple[tuple[str, str], ...] = (
    (r"no active model yet: activated", "no había un modelo activo: activado"),
    (r"activated", "activado"),
    (r"already active", "ya estaba activo"),
    (r"forced: replaces version (\d+)", r"forzado: reemplaza a la versión \1"),
    (r"the outcome changed \((.+) -> (.+)\): no comparison; replaces version (\d+)",
     r"cambió el resultado (\1 → \2): sin comparación; reemplaza a la versión \3"),
    (r"version (\d+) does not exist", r"la versión \1 no existe"),
    (r"version (\d+) does not load, so it stays inactive: (.+)",
     r"la versión \1 no se puede cargar, así que queda inactiva: \2"),
    (r"could not compare with the active version (\d+): (.+)",
     r"no se pudo comparar con la versión activa \1: \2"),
    (r"(\w+) could not be computed on the hold-out",
     r"no se pudo calcular \1 en el conjunto de prueba"),
)
_COMPARISON = re.compile(r"(not worse|worse than the active model): (\w+) (\S+) vs (\S+) of "
                         r"active version (\d+) \((.+)\)")
_METHODS_ES = {
    "same hold-out rows: stored metrics compared":
        "mismas filas de prueba: se comparan las métricas guardadas",
    "active model scored as it is (it never saw this quarter)":
        "el modelo activo evaluado tal cual (nunca vio este trimestre)",
    "active recipe refitted on the candidate's training quarters":
        "la receta activa reentrenada con los trimestres de entrenamiento del nuevo",
    "active model scored as it is (it never saw these people)":
        "el modelo activo evaluado tal cual (nunca vio a estas personas)",
    "active recipe refitted on the candidate's training rows":
        "la receta activa reentrenada con las filas de entrenamiento del nuevo",
}


def reason_text(reason: str | None, lang: str) -> str:
    """The registry's reason in the reader's language (English as stored; Spanish by the
    known patterns, an unknown one as it is)."""
    text = reason or ""
    if lang == "en":
        return text
    m = _COMPARISON.fullmatch(text)
    if m:
        verdict, metric, new, old, version, method = m.groups()
        head = "no es peor" if verdict == "not worse" else "peor que el modelo activo"
        return (f"{head}: {metric} {new} frente a {old} de la versión activa {version} "
                f"({_METHODS_ES.get(method, method)})")
    for pattern, spanish in _REASONS_ES:
        if re.fullmatch(pattern, text):
            return re.sub(pattern, spanish, text)
    return text


@dataclass(frozen=True)
class ChangeResult:
    ok: bool
    reason: str  # the registry's reason (English, for the log and the audit detail)
    plans_stored: int | None = None
    plan_warnings: tuple[dict[str, str], ...] = ()  # the estimator's notes on those plans


def _ensure_plans(engine: Engine, version_id: int
                  ) -> tuple[int | None, tuple[dict[str, str], ...]]:
    """Compute and store everyone's plan with an active history model that has none;
    returns how many were stored (None: none needed) and the estimator's notes (es/en)."""
    from core.registry import get_version

    summary = get_version(engine, version_id)
    if not summary or summary["kind"] != "history" or summary["status"] != "active":
        return None, ()
    with session_factory(engine)() as s:
        n = s.scalar(select(func.count()).select_from(Recommendation).where(
            Recommendation.model_version_id == version_id)) or 0
    if n:
        return None, ()
    from core.plans import compute_plans, store_plans

    version, recs, ctx = compute_plans(engine, top_k=3)
    return store_plans(engine, version, recs), tuple(ctx["warnings"])


def _change(engine: Engine, user: CurrentUser, version_id: int, action: str, fn
            ) -> ChangeResult:
    if user.role != "hr":
        raise PermissionError("only HR changes the active model")
    before = {k: v["id"] for k, v in active_versions(engine).items()}
    ok, reason = fn()
    with session_scope(engine) as s:
        audit.record(s, username=user.username, action=action if ok else f"{action}_refused",
                     detail={"model_version": int(version_id), "reason": reason,
                             "previous_active": before})
    plans, notes = _ensure_plans(engine, version_id) if ok else (None, ())
    return ChangeResult(ok, reason, plans, notes)


def promote(engine: Engine, user: CurrentUser, version_id: int, *, force: bool = False
            ) -> ChangeResult:
    """Promote a candidate (if not worse than the active model, or ``force``), audited."""
    from core import registry

    return _change(engine, user, version_id, "model_promoted",
                   lambda: registry.promote(engine, version_id, force=force))


def rollback(engine: Engine, user: CurrentUser, version_id: int) -> ChangeResult:
    """Make an earlier version active again, audited."""
    from core import registry

    return _change(engine, user, version_id, "model_rolled_back",
                   lambda: registry.rollback(engine, version_id))
