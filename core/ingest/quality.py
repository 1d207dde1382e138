"""Data-quality report of a validated frame, and the warnings it gives HR.

The report is plain JSON (stored with the dataset version): rows, missing share per column,
IQR outliers per numeric column, and the class balance of what the model will predict.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from core.contract import RATING_MAX, SKILL_PREFIX
from core.ingest.issues import Issue
from core.ingest.mapping import OUTCOME, SNAPSHOT

MISSING_WARN = 0.30
OUTLIER_WARN = 0.05
MINORITY_WARN = 0.10
IQR_K = 1.5
LOW_RATING = 2  # a rating <= 2 is "low": what the risk model predicts
_RANGE_CHECKED = ("performance_rating", "target_level")
_EMPTY_MEANS_NONE = ("prerequisites",)  # an empty cell says "no prerequisites", not "unknown"


def _num(x: Any) -> float | None:
    """A finite Python float, or None (NaN is not JSON)."""
    if x is None or x is pd.NA:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _outliers(s: pd.Series) -> dict[str, Any] | None:
    values = pd.to_numeric(s, errors="coerce").astype("float64").dropna()
    if values.nunique() < 3:  # a flag or a constant: fences mean nothing
        return None
    q1, q3 = values.quantile(0.25), values.quantile(0.75)
    iqr = q3 - q1
    lower, upper = q1 - IQR_K * iqr, q3 + IQR_K * iqr
    count = int(((values < lower) | (values > upper)).sum())
    return {
        "count": count,
        "share": count / len(values),
        "lower": _num(lower),
        "upper": _num(upper),
        "q1": _num(q1),
        "q3": _num(q3),
    }


def _balance(s: pd.Series, column: str) -> dict[str, Any] | None:
    values = s.dropna()
    if values.empty:
        return None
    counts = values.astype(object).map(_label).value_counts()
    counts = counts.sort_index()
    n = int(counts.sum())
    minority = counts.idxmin()
    return {
        "column": column,
        "n": n,
        "counts": {str(k): int(v) for k, v in counts.items()},
        "shares": {str(k): int(v) / n for k, v in counts.items()},
        "minority_class": str(minority),
        "minority_share": int(counts[minority]) / n,
    }


def _rating_balance(s: pd.Series) -> dict[str, Any] | None:
    values = pd.to_numeric(s, errors="coerce").astype("float64").dropna()
    if values.empty:
        return None
    out = _balance(values, "performance_rating")
    assert out is not None
    low = float((values <= LOW_RATING).mean())
    out["low_threshold"] = LOW_RATING
    out["low_share"] = low
    out["minority_class"] = f"<= {LOW_RATING}" if low <= 0.5 else f"> {LOW_RATING}"
    out["minority_share"] = min(low, 1.0 - low)
    out["scale_max"] = RATING_MAX
    return out


def quality_report(frame: pd.DataFrame, kind: str, target: str | None = None) -> dict:
    """JSON-serialisable quality figures of a validated (canonical, typed) frame.

    ``target`` is the column holding the outcome (a snapshot's is ``outcome``, the default).
    Keys: ``kind``, ``rows``, ``missing_share`` {column: share}, ``missing_count``,
    ``outliers`` {numeric column: count, share, lower, upper, q1, q3} (1.5 x IQR fences;
    columns with fewer than 3 distinct values are left out), ``class_balance`` (snapshot:
    counts and shares of the outcome; performance: of performance_rating plus ``low_share``,
    the share <= 2; else None).
    """
    rows = len(frame)
    outcome = target if target in frame.columns else (
        OUTCOME if kind == SNAPSHOT and OUTCOME in frame.columns else None)
    missing = frame.isna().sum()
    report: dict[str, Any] = {
        "kind": kind,
        "rows": rows,
        "target": outcome,
        "missing_count": {str(c): int(missing[c]) for c in frame.columns},
        "missing_share": {str(c): (int(missing[c]) / rows if rows else 0.0)
                          for c in frame.columns},
        "outliers": {},
        "class_balance": None,
        "user_columns": {str(k): str(v) for k, v in frame.attrs.get("user_columns", {}).items()},
    }
    for col in frame.columns:
        if col == outcome or not _is_numeric(frame[col]):
            continue
        found = _outliers(frame[col])
        if found is not None:
            report["outliers"][str(col)] = found
    if outcome is not None:
        report["class_balance"] = _balance(frame[outcome], str(outcome))
    elif kind == "performance" and "performance_rating" in frame.columns:
        report["class_balance"] = _rating_balance(frame["performance_rating"])
    return report


def _pct(x: float) -> str:
    return f"{100 * x:.1f}".rstrip("0").rstrip(".")


def quality_warnings(
    report: dict, file_name: str, names: dict[str, str] | None = None
) -> list[Issue]:
    """Warnings for HR: a column > 30% empty, > 5% outliers, a minority class < 10%.

    No outlier warning for a column without spread (IQR 0, e.g. mostly one value) or for a
    1-5 scale (rating, skills, target level), whose range validation already enforced.

    Columns are named as in the user's file: from ``report["user_columns"]`` (set when the
    frame came from :func:`core.ingest.validate.validate`) or ``names`` (canonical -> user).
    """
    names = {**report.get("user_columns", {}), **(names or {})}
    out: list[Issue] = []
    for col, share in report.get("missing_share", {}).items():
        if share > MISSING_WARN and col not in _EMPTY_MEANS_NONE:
            user = names.get(col, col)
            p = _pct(share)
            out.append(Issue(
                file_name, None, user, "many_missing",
                f"La columna «{user}» tiene {p}% de celdas vacías (más del 30%). Se usará, pero "
                "pesa menos en el modelo; complétela si tiene los datos.",
                f"Column '{user}' has {p}% empty cells (more than 30%). It will be used but "
                "counts less in the model; fill it in if you have the data.",
                "warning",
            ))
    for col, o in report.get("outliers", {}).items():
        if o["lower"] == o["upper"] or col in _RANGE_CHECKED or col.startswith(SKILL_PREFIX):
            continue  # no spread to speak of, or a 1-5 scale whose range validation enforced
        if o["share"] > OUTLIER_WARN:
            user = names.get(col, col)
            p = _pct(o["share"])
            lo, hi = _fmt(o["lower"]), _fmt(o["upper"])
            out.append(Issue(
                file_name, None, user, "many_outliers",
                f"La columna «{user}» tiene {o['count']} valores atípicos ({p}%) fuera del rango "
                f"{lo} a {hi}. Revise si hay errores de digitación o de unidades; el modelo "
                "recorta los extremos.",
                f"Column '{user}' has {o['count']} outliers ({p}%) outside {lo} to {hi}. Check "
                "for typing or unit mistakes; the model clips the extremes.",
                "warning",
            ))
    bal = report.get("class_balance")
    if bal and bal["minority_share"] < MINORITY_WARN:
        col = bal["column"]
        user = names.get(col, col)
        p = _pct(bal["minority_share"])
        if "low_share" in bal:
            es = (f"Solo el {p}% de las calificaciones de «{user}» son "
                  f"{'bajas (≤ 2)' if bal['low_share'] <= 0.5 else 'mayores que 2'}. Hay pocos "
                  "ejemplos para aprender el riesgo de bajo desempeño; el modelo compensa con "
                  "pesos, pero sus métricas serán menos estables.")
            en = (f"Only {p}% of the ratings in '{user}' are "
                  f"{'low (<= 2)' if bal['low_share'] <= 0.5 else 'above 2'}. There are few "
                  "examples to learn the risk of low performance; the model compensates with "
                  "weights, but its metrics will be less stable.")
        else:
            c = bal["minority_class"]
            es = (f"El valor «{c}» de la columna de resultado «{user}» es solo el {p}% de las "
                  "filas. El modelo compensa con pesos, pero sus métricas serán menos estables; "
                  "más filas de esa clase ayudarían.")
            en = (f"The value '{c}' of the outcome column '{user}' is only {p}% of the rows. "
                  "The model compensates with weights, but its metrics will be less stable; "
                  "more rows of that class would help.")
        out.append(Issue(file_name, None, user, "class_imbalance", es, en, "warning"))
    return out


def _fmt(x: float | None) -> str:
    if x is None:
        return "?"
    return str(int(x)) if float(x).is_integer() else f"{x:.4g}"


__all__ = ["quality_report", "quality_warnings"]
