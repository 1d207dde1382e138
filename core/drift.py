"""Data drift between the last two uploads: population stability index (PSI) per feature.

PSI = sum over bins of (a - e) * ln(a / e), where e and a are the shares of the reference
(older) and current (newer) rows in each bin. Conventional reading: below 0.1 stable,
0.1 to 0.25 worth watching, above 0.25 a significant shift (retrain, or check the upload).

What is compared:

- snapshot data: the features of the two newest snapshot uploads;
- quarterly history: the latest quarter carried by each of the two newest uploads that
  still hold measurements (a re-upload replaces the rows of the quarters it repeats). With
  a single upload, the two latest quarters of the store are compared instead, and the
  result says so (``basis``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import Engine, select

from core.contract import KPI_PREFIX, SKILL_PREFIX, period_key
from core.db import query_frame
from core.i18n import t
from core.models import Measurement

WATCH = 0.1
SHIFT = 0.25
BINS = 10
ROWS_PER_BIN = 25
EPS = 1e-4  # share given to an empty bin so that ln() stays finite
MAX_DISCRETE = 12  # numbers with at most this many distinct values are binned by value
MIN_ROWS = 20  # fewer rows on either side: PSI is noise, not reported


def _shares(values: pd.Series, edges: np.ndarray | None, categories: list | None
            ) -> np.ndarray:
    """Share of rows per bin (the last bin holds the missing values)."""
    n = len(values)
    if n == 0:
        return np.zeros((len(categories) if categories is not None else len(edges) - 1) + 1)
    missing = values.isna().to_numpy()
    if categories is not None:
        codes = pd.Categorical(values.astype(object).where(~missing, None),
                               categories=categories).codes
        counts = np.bincount(codes[codes >= 0], minlength=len(categories)).astype(float)
    else:
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)[~missing]
        idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
        counts = np.bincount(idx, minlength=len(edges) - 1).astype(float)
    return np.append(counts, missing.sum()) / n


def psi(reference: pd.Series, current: pd.Series, bins: int | None = None) -> float:
    """Population stability index of one feature (NaN when either side is empty).

    Numbers with many distinct values are cut at the reference's quantiles (so each bin
    holds about 1 / ``bins`` of the reference); numbers with few distinct values (ratings,
    skill levels) and text are compared value by value. Missing values are a bin of their
    own, so a column that starts arriving empty counts as drift. ``bins`` defaults to one
    per ``ROWS_PER_BIN`` rows of the smaller side (3 to 10): with few rows, many bins make
    PSI large by sampling noise alone (about (bins - 1) * (1/n_ref + 1/n_cur)).
    """
    reference = pd.Series(reference).reset_index(drop=True)
    current = pd.Series(current).reset_index(drop=True)
    if reference.empty or current.empty:
        return float("nan")
    if bins is None:
        bins = int(np.clip(min(len(reference), len(current)) // ROWS_PER_BIN, 3, BINS))
    numeric = (pd.api.types.is_numeric_dtype(reference) and pd.api.types.is_numeric_dtype(
        current) and not pd.api.types.is_bool_dtype(reference))
    both = pd.concat([reference, current], ignore_index=True).dropna()
    edges = categories = None
    if not numeric or both.nunique() <= MAX_DISCRETE:
        categories = (sorted(both.astype(float).unique().tolist()) if numeric
                      else sorted(both.astype(str).unique().tolist()))
        if not numeric:
            reference = reference.astype(object).where(reference.notna(), None).map(
                lambda v: v if v is None else str(v))
            current = current.astype(object).where(current.notna(), None).map(
                lambda v: v if v is None else str(v))
        else:
            reference, current = reference.astype(float), current.astype(float)
    else:
        ref = pd.to_numeric(reference, errors="coerce").dropna().to_numpy(dtype=float)
        if len(ref) == 0:
            return float("nan")
        inner = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
        edges = np.r_[-np.inf, inner, np.inf]
    e = _shares(reference, edges, categories)
    a = _shares(current, edges, categories)
    keep = (e > 0) | (a > 0)
    e, a = np.maximum(e[keep], EPS), np.maximum(a[keep], EPS)
    return float(np.sum((a - e) * np.log(a / e)))


def level(value: float) -> str:
    """``stable`` / ``watch`` / ``shift`` (``na`` when PSI could not be computed)."""
    if value is None or not np.isfinite(value):
        return "na"
    if value > SHIFT:
        return "shift"
    if value >= WATCH:
        return "watch"
    return "stable"


def psi_table(reference: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """PSI of every column the two frames share: ``feature, psi, level, n_ref, n_cur``.

    Sorted from the largest shift down.
    """
    rows = []
    for col in [c for c in reference.columns if c in current.columns]:
        r, c = reference[col], current[col]
        if r.notna().sum() == 0 and c.notna().sum() == 0:
            continue
        value = psi(r, c)
        rows.append({"feature": col, "psi": value, "level": level(value),
                     "n_ref": int(r.notna().sum()), "n_cur": int(c.notna().sum())})
    out = pd.DataFrame(rows, columns=["feature", "psi", "level", "n_ref", "n_cur"])
    return out.sort_values("psi", ascending=False, na_position="last",
                           kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# What to compare, from the store
# --------------------------------------------------------------------------------------------


@dataclass
class DriftReport:
    """PSI per feature between two sets of rows, and what the two sets are."""

    basis: str  # "uploads" | "quarters" | "snapshots" | "none"
    reference: str = ""  # e.g. "versión 3 · 2025-Q2"
    current: str = ""
    table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["feature", "psi", "level", "n_ref", "n_cur"]))

    @property
    def empty(self) -> bool:
        return self.basis == "none" or self.table.empty


MEAS_COLUMNS = ["employee_id", "period", "kind", "name", "value", "dataset_version_id"]


def _measurements(engine: Engine, *where) -> pd.DataFrame:
    with engine.connect() as conn:
        return query_frame(conn, select(Measurement.employee_id, Measurement.period,
                                        Measurement.kind, Measurement.name, Measurement.value,
                                        Measurement.dataset_version_id).where(*where),
                           MEAS_COLUMNS)


def _wide(meas: pd.DataFrame) -> pd.DataFrame:
    prefix = meas["kind"].map({"rating": "", "kpi": KPI_PREFIX, "skill": SKILL_PREFIX})
    col = prefix.fillna("") + meas["name"]
    wide = (meas.assign(column=col)
            .pivot_table(index="employee_id", columns="column", values="value",
                         aggfunc="last", dropna=False))
    return wide.rename_axis(columns=None).reset_index(drop=True)


def history_drift(engine: Engine, lang: str = "es") -> DriftReport:
    """Only the rows of the (at most two) quarters compared are read: which ones is decided
    from the (upload, quarter) pairs, grouped in SQL."""
    with engine.connect() as conn:
        pairs = conn.execute(select(Measurement.dataset_version_id, Measurement.period)
                             .where(Measurement.period.isnot(None))
                             .group_by(Measurement.dataset_version_id, Measurement.period)
                             ).all()
    if not pairs:
        return DriftReport("none")
    by_version: dict[int, list[str]] = {}
    for v, period in pairs:
        if v is not None:  # pandas' groupby left rows without an upload out, as here
            by_version.setdefault(int(v), []).append(period)
    uploads = sorted(by_version)[-2:]
    if len(uploads) == 2:
        latest = [max(by_version[v], key=period_key) for v in uploads]
        if latest[0] != latest[1]:
            sides = [(t("drift.side.upload", lang, v=v, period=p),
                      _measurements(engine, Measurement.dataset_version_id == v,
                                    Measurement.period == p))
                     for v, p in zip(uploads, latest, strict=True)]
            (ref_label, ref), (cur_label, cur) = sides
            return DriftReport("uploads", ref_label, cur_label,
                               _table(_wide(ref), _wide(cur)))
    periods = sorted({p for _v, p in pairs}, key=period_key)
    if len(periods) < 2:
        return DriftReport("none")
    p0, p1 = periods[-2:]
    meas = _measurements(engine, Measurement.period.in_([p0, p1]))
    return DriftReport("quarters", t("drift.side.quarter", lang, period=p0),
                       t("drift.side.quarter", lang, period=p1),
                       _table(_wide(meas[meas["period"] == p0]),
                              _wide(meas[meas["period"] == p1])))


def _table(ref: pd.DataFrame, cur: pd.DataFrame) -> pd.DataFrame:
    if len(ref) < MIN_ROWS or len(cur) < MIN_ROWS:
        return pd.DataFrame(columns=["feature", "psi", "level", "n_ref", "n_cur"])
    return psi_table(ref, cur)


def snapshot_drift(engine: Engine, lang: str = "es") -> DriftReport:
    from core.models import SnapshotRecord
    from core.snapshot import snapshot_frame_from_db, snapshot_xy

    with engine.connect() as conn:
        dvs = sorted(v for v in conn.execute(
            select(SnapshotRecord.dataset_version_id).distinct()).scalars().all()
            if v is not None)
    if len(dvs) < 2:
        return DriftReport("none")
    frames = []
    for dv in dvs[-2:]:
        try:
            X, _y, _cat, _pos = snapshot_xy(snapshot_frame_from_db(engine, dv))
        except LookupError:
            return DriftReport("none")
        frames.append(X)
    return DriftReport("snapshots", t("drift.side.snapshot", lang, v=dvs[-2]),
                       t("drift.side.snapshot", lang, v=dvs[-1]), _table(*frames))


def drift_report(engine: Engine, kind: str = "history", lang: str = "es") -> DriftReport:
    """PSI per feature between the last two uploads of the data ``kind`` the model uses."""
    return snapshot_drift(engine, lang) if kind == "snapshot" else history_drift(engine, lang)


# --------------------------------------------------------------------------------------------
# Display
# --------------------------------------------------------------------------------------------

LEVEL_COLORS = {"shift": "#d62728", "watch": "#ff9f1c", "stable": "#2ca02c", "na": "#9e9e9e"}


def plot_psi(table: pd.DataFrame, labels: list[str], lang: str, top: int = 25) -> go.Figure:
    """Horizontal bars of PSI per feature, coloured by level, with the 0.1 and 0.25 lines."""
    df = table.assign(label=labels).dropna(subset=["psi"]).head(top).iloc[::-1]
    fig = go.Figure(go.Bar(
        x=df["psi"], y=df["label"], orientation="h",
        marker_color=[LEVEL_COLORS[v] for v in df["level"]],
        customdata=[t(f"drift.level.{v}", lang) for v in df["level"]],
        hovertemplate="%{y}: %{x:.3f} (%{customdata})<extra></extra>"))
    for x, key in ((WATCH, "drift.level.watch"), (SHIFT, "drift.level.shift")):
        fig.add_vline(x=x, line_dash="dot", line_color="#666",
                      annotation_text=f"{t(key, lang)} ({x:g})",
                      annotation_position="top", annotation_font_size=11)
    fig.update_layout(title=t("drift.chart", lang), height=max(300, 26 * len(df) + 110),
                      margin={"l": 10, "r": 10, "t": 70, "b": 10},
                      xaxis={"title": "PSI", "rangemode": "tozero"}, yaxis={"title": ""})
    return fig
