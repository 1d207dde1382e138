"""An L2-regularised logistic base under the snapshot model's trees.

Small HR files (a few thousand rows, an outcome that moves steadily with pay, overtime or
years of service) are often ranked best by a linear model: on the public IBM attrition file
boosted trees alone lose two to three points of AUC to a tuned logistic regression. Boosting
the trees *from* a linear fit (its log-odds as LightGBM's ``init_score``) lets tuning choose,
by cross-validated AUC, between trees alone and a linear model with trees for what the line
misses.

Each feature enters as one additive term (a number: its standardised value, clipped, plus a
missing indicator; a category: one weight per level, unknown or missing levels 0). That keeps
explanations exact: a term's SHAP value is the term minus its mean over the training rows,
and the means plus the intercept are the base value, so contributions still add up to the
model's log-odds. The fit is stored as JSON beside the LightGBM text (no pickles).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

Z_CLIP = 5.0  # standardised values beyond this many SDs count as this many (outliers)


class LinearBase:
    """``fit(X, y, weight)``; ``decision`` (log-odds), ``contributions`` (per feature + base)."""

    def __init__(self, *, C: float = 0.1):
        self.C = C

    def fit(self, X: pd.DataFrame, y, *, weight=None, categorical: list[str] | None = None
            ) -> LinearBase:
        categorical = list(categorical or [])
        self.features_ = list(X.columns)
        self.numeric_: dict[str, dict[str, float]] = {}
        self.levels_: dict[str, list[str]] = {}
        for c in self.features_:
            if c in categorical:
                s = self._text(X[c])
                self.levels_[c] = sorted(s.dropna().unique())
            else:
                v = pd.to_numeric(X[c], errors="coerce").astype(float)
                med = float(v.median()) if v.notna().any() else 0.0
                filled = v.fillna(med)
                sd = float(filled.std())
                self.numeric_[c] = {"median": med, "mean": float(filled.mean()),
                                    "sd": sd if np.isfinite(sd) and sd > 0 else 1.0,
                                    "missing": bool(v.isna().any())}
        D, spans = self._design(X)
        y = np.asarray(y, dtype=float)
        lr = LogisticRegression(C=float(self.C), max_iter=1000)
        lr.fit(D, y, sample_weight=None if weight is None else np.asarray(weight, float))
        self.intercept_ = float(lr.intercept_[0])
        self.coef_ = lr.coef_[0].astype(float)
        self.term_means_ = self._sum_spans(D, spans).mean(axis=0)
        return self

    @staticmethod
    def _text(s: pd.Series) -> pd.Series:
        t = s.astype(object).where(s.notna(), None)
        return t.map(lambda v: v if v is None else str(v))

    def _design(self, X: pd.DataFrame) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """Design matrix and, per feature, the slice of its columns."""
        cols: list[np.ndarray] = []
        spans: list[tuple[int, int]] = []
        k = 0
        for c in self.features_:
            start = k
            if c in self.levels_:
                s = self._text(X[c]) if c in X.columns else pd.Series(None, index=X.index)
                for level in self.levels_[c]:
                    cols.append((s == level).to_numpy(dtype=float))
                    k += 1
            else:
                st = self.numeric_[c]
                v = (pd.to_numeric(X[c], errors="coerce").astype(float) if c in X.columns
                     else pd.Series(np.nan, index=X.index))
                z = ((v.fillna(st["median"]) - st["mean"]) / st["sd"]).clip(-Z_CLIP, Z_CLIP)
                cols.append(z.to_numpy(dtype=float))
                k += 1
                if st["missing"]:
                    cols.append(v.isna().to_numpy(dtype=float))
                    k += 1
            spans.append((start, k))
        D = np.column_stack(cols) if cols else np.zeros((len(X), 0))
        return D, spans

    def _sum_spans(self, D: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
        """Each feature's term: its design columns times their coefficients."""
        out = np.zeros((len(D), len(spans)))
        for j, (a, b) in enumerate(spans):
            out[:, j] = D[:, a:b] @ self.coef_[a:b]
        return out

    def _terms(self, X: pd.DataFrame) -> np.ndarray:
        return self._sum_spans(*self._design(X))

    def decision(self, X: pd.DataFrame) -> np.ndarray:
        """Log-odds of the positive class."""
        return self.intercept_ + self._terms(X).sum(axis=1)

    def base_value(self) -> float:
        return float(self.intercept_ + self.term_means_.sum())

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """Exact SHAP values of the additive terms (term minus its training mean)."""
        return self._terms(X) - self.term_means_

    def to_dict(self) -> dict:
        return {"C": float(self.C), "features": self.features_, "numeric": self.numeric_,
                "levels": self.levels_, "intercept": self.intercept_,
                "coef": [float(v) for v in self.coef_],
                "term_means": [float(v) for v in self.term_means_]}

    @classmethod
    def from_dict(cls, d: dict) -> LinearBase:
        base = cls(C=float(d["C"]))
        base.features_ = list(d["features"])
        base.numeric_ = {k: dict(v) for k, v in d["numeric"].items()}
        base.levels_ = {k: list(v) for k, v in d["levels"].items()}
        base.intercept_ = float(d["intercept"])
        base.coef_ = np.asarray(d["coef"], dtype=float)
        base.term_means_ = np.asarray(d["term_means"], dtype=float)
        width = sum(len(v) for v in base.levels_.values()) + sum(
            1 + int(v["missing"]) for v in base.numeric_.values())
        if len(base.coef_) != width or len(base.term_means_) != len(base.features_):
            raise ValueError("stored linear base does not match its features")
        return base
