"""LightGBM performance model: next-quarter rating and the risk of a low rating (<= 2).

scikit-learn style: ``__init__`` stores settings, ``fit`` does the work and sets attributes
ending in ``_``. The fitted boosters serialise to LightGBM's own text format (never a pickle),
so a stored model can be read, diffed and loaded by any LightGBM.
"""

from __future__ import annotations

import json

import lightgbm as lgb
import numpy as np
import pandas as pd

DEFAULT_PARAMS: dict = {
    "learning_rate": 0.05,
    "num_leaves": 15,
    "max_depth": 6,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "min_data_per_group": 20,
    "cat_smooth": 5.0,
    "verbose": -1,
    "num_threads": 2,
}
DEFAULT_ROUNDS = 300
_SEP = "\n#### SPTE-MODEL-SEPARATOR ####\n"


class RatingModel:
    """Predicts the next-quarter rating and the probability that it is 2 or lower."""

    def __init__(self, *, params: dict | None = None, rating_rounds: int = DEFAULT_ROUNDS,
                 low_rounds: int = DEFAULT_ROUNDS, random_state: int = 0):
        self.params = params
        self.rating_rounds = rating_rounds
        self.low_rounds = low_rounds
        self.random_state = random_state

    def _params(self, **extra) -> dict:
        p = {**DEFAULT_PARAMS, **(self.params or {}), "seed": self.random_state, **extra}
        return p

    def fit(self, X: pd.DataFrame, y_rating: pd.Series, y_low: pd.Series | None = None, *,
            categorical: list[str] | None = None) -> RatingModel:
        """Fit on labelled rows only; ``y_low`` defaults to ``y_rating <= 2``."""
        y_rating = pd.Series(y_rating, index=X.index).astype(float)
        keep = y_rating.notna().to_numpy()
        X = X.loc[keep]
        y_rating = y_rating[keep]
        y_low = (y_rating <= 2).astype(float) if y_low is None else pd.Series(
            y_low, index=y_rating.index).astype(float)
        self.feature_names_ = list(X.columns)
        self.categorical_ = [c for c in (categorical or []) if c in X.columns]
        self.categories_ = {c: list(X[c].cat.categories) for c in self.categorical_
                            if isinstance(X[c].dtype, pd.CategoricalDtype)}
        data = lgb.Dataset(X, y_rating, categorical_feature=self.categorical_,
                           free_raw_data=False)
        self.rating_booster_ = lgb.train(self._params(objective="regression"), data,
                                         num_boost_round=self.rating_rounds)
        pos = float(y_low.sum())
        neg = float(len(y_low) - pos)
        weight = np.where(y_low.to_numpy() == 1, neg / max(pos, 1.0), 1.0)
        low_data = lgb.Dataset(X, y_low, weight=weight, categorical_feature=self.categorical_,
                               free_raw_data=False)
        self.low_booster_ = lgb.train(self._params(objective="binary"), low_data,
                                      num_boost_round=self.low_rounds)
        return self

    def _align(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.reindex(columns=self.feature_names_)
        for c, cats in self.categories_.items():
            X[c] = pd.Categorical(X[c].astype("object"), categories=cats)
        return X

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Expected next-quarter rating."""
        return self.rating_booster_.predict(self._align(X))

    def predict_low(self, X: pd.DataFrame) -> np.ndarray:
        """Probability that the next-quarter rating is 2 or lower (class-weighted model)."""
        return self.low_booster_.predict(self._align(X))

    def contributions(self, X: pd.DataFrame, which: str = "rating") -> np.ndarray:
        """Exact TreeSHAP (LightGBM ``pred_contrib``): one column per feature + base value."""
        booster = self.rating_booster_ if which == "rating" else self.low_booster_
        return booster.predict(self._align(X), pred_contrib=True)

    def to_text(self) -> str:
        header = json.dumps({"feature_names": self.feature_names_,
                             "categorical": self.categorical_,
                             "categories": self.categories_,
                             "params": self.params, "random_state": self.random_state})
        return _SEP.join([header, self.rating_booster_.model_to_string(),
                          self.low_booster_.model_to_string()])

    @classmethod
    def from_text(cls, text: str) -> RatingModel:
        """Load a stored model; raises ValueError when the text is not one of ours."""
        parts = text.split(_SEP)
        if len(parts) != 3:
            raise ValueError("not a stored RatingModel")
        header = json.loads(parts[0])
        model = cls(params=header.get("params"), random_state=header.get("random_state", 0))
        model.feature_names_ = header["feature_names"]
        model.categorical_ = header["categorical"]
        model.categories_ = header["categories"]
        try:
            model.rating_booster_ = lgb.Booster(model_str=parts[1])
            model.low_booster_ = lgb.Booster(model_str=parts[2])
        except lgb.basic.LightGBMError as exc:
            raise ValueError(f"stored model does not load: {exc}") from exc
        return model
