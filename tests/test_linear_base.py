from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.linear_base import LinearBase
from core.snapshot import SnapshotModel, snapshot_configs


def linear_data(n: int = 800, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    pay = rng.lognormal(8, 0.5, n)
    years = rng.integers(0, 30, n).astype(float)
    years[rng.random(n) < 0.1] = np.nan
    overtime = rng.choice(["Yes", "No"], n)
    logit = -1.0 - 0.8 * (np.log(pay) - 8) / 0.5 - 0.05 * np.nan_to_num(years, nan=10)
    logit += np.where(overtime == "Yes", 1.5, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    X = pd.DataFrame({"f_pay": pay, "f_years": years,
                      "f_overtime": pd.Categorical(overtime, categories=["No", "Yes"])})
    return X, y


def test_contributions_add_up_to_the_log_odds_and_round_trip():
    X, y = linear_data()
    base = LinearBase(C=0.3).fit(X, y, categorical=["f_overtime"])
    c = base.contributions(X)
    assert c.shape == (len(X), 3)
    np.testing.assert_allclose(c.sum(axis=1) + base.base_value(), base.decision(X), atol=1e-9)
    np.testing.assert_allclose(c.mean(axis=0), 0.0, atol=1e-9)  # SHAP: zero mean on training
    # direction of what was learned: overtime raises the odds, pay lowers them
    assert base.contributions(X.assign(f_overtime="Yes"))[:, 2].mean() > 0
    assert np.corrcoef(X["f_pay"], c[:, 0])[0, 1] < -0.5
    loaded = LinearBase.from_dict(base.to_dict())
    np.testing.assert_array_equal(loaded.decision(X), base.decision(X))
    # unseen level, missing cell and absent column are scored, not rejected
    odd = X.iloc[:3].drop(columns=["f_years"]).assign(f_overtime=["Maybe", None, "No"])
    assert np.isfinite(base.decision(odd)).all()
    broken = base.to_dict()
    broken["coef"] = broken["coef"][:-1]
    with pytest.raises(ValueError):
        LinearBase.from_dict(broken)


def test_snapshot_model_boosted_from_a_linear_base():
    X, y = linear_data(seed=1)
    model = SnapshotModel(linear_c=0.3, n_rounds=30, params={"learning_rate": 0.05}).fit(
        X, y, categorical=["f_overtime"])
    assert model.linear_ is not None
    p = model.predict_positive(X)
    c = model.contributions(X)
    np.testing.assert_allclose(c.sum(axis=1), np.log(p / (1 - p)), atol=1e-8)
    loaded = SnapshotModel.from_text(model.to_text())
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.contributions(X), model.contributions(X))
    trees = SnapshotModel(n_rounds=30).fit(X, y, categorical=["f_overtime"])
    assert trees.linear_ is None and SnapshotModel.from_text(trees.to_text()).linear_ is None
    # the trees add to the line: predictions differ from the linear base alone
    assert not np.allclose(model.linear_.decision(X), np.log(p / (1 - p)))


def test_linear_and_tiny_leaf_candidates_only_on_small_files():
    with_linear = snapshot_configs(0)
    assert with_linear[0].get("linear") is None and with_linear[1]["linear"] is not None
    assert with_linear[2]["deep"] and with_linear[2]["min_data_in_leaf"] == 1
    drawn = {c["linear"] for c in with_linear[3:]}
    assert None in drawn and len(drawn) > 1
    assert all("linear" not in c and "deep" not in c for c in snapshot_configs(0, small_file=False))
