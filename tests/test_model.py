"""History model training: time split without leaks, hold-out metrics, text round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core import model as model_mod
from core import synthetic
from core.contract import period_key
from core.features import FeatureBuilder, History
from core.model import (
    MAX_DEPTH,
    MAX_LEAVES,
    RatingModel,
    best_threshold,
    binary_metrics,
    calibration_table,
    check_booster_text,
    train_history_model,
)
from core.training import TrainingError

BUDGET = 2


def _history(n: int, q: int, seed: int) -> History:
    org = synthetic.generate(n, q, seed=seed)
    return History(org.employees, org.performance, org.programs, org.training_records,
                   org.job_roles)


@pytest.fixture(scope="module")
def ff():
    return FeatureBuilder().fit_transform(_history(200, 5, seed=3))


@pytest.fixture(scope="module")
def trained(ff):
    return train_history_model(ff, budget_seconds=BUDGET, random_state=0)


def _pk(ff, index) -> np.ndarray:
    return ff.keys.loc[index, "period"].map(period_key).to_numpy()


def test_time_split_never_leaks(ff, trained):
    labelled = ff.y_rating.notna()
    latest = max(ff.keys.loc[labelled, "period"], key=period_key)
    assert trained.holdout_period == latest
    hold = set(trained.holdout_index)
    train = set(trained.train_index)
    assert hold and train and not hold & train
    assert set(_pk(ff, list(hold))) == {period_key(latest)}
    assert _pk(ff, list(train)).max() < period_key(latest)
    # every labelled row of the hold-out quarter is tested, and only labelled rows
    expected = ff.keys.index[labelled & (ff.keys["period"] == latest)]
    assert hold == set(expected)
    assert trained.n_test == len(expected) == trained.metrics["n_test"]
    assert trained.n_train == len(train) == trained.metrics["n_train"]
    folds = trained.metrics["tuning"]["folds"]
    assert folds and all(period_key(p) < period_key(latest) for p in folds)


def test_tuning_folds_use_only_earlier_quarters(ff, monkeypatch):
    """Spy on every fold built: training rows before the validation quarter, never the
    hold-out quarter."""
    built = []
    real = model_mod.FoldData.build.__func__

    def spy(cls, X, y, tr, va, categorical, name=""):
        built.append((np.asarray(tr), np.asarray(va)))
        return real(cls, X, y, tr, va, categorical, name)

    monkeypatch.setattr(model_mod.FoldData, "build", classmethod(spy))
    res = train_history_model(ff, budget_seconds=1, max_trials=1)
    pk = ff.keys["period"].map(period_key).to_numpy()  # X is positional inside training
    hold_pk = period_key(res.holdout_period)
    assert built
    for tr, va in built:
        assert pk[tr].max() < pk[va].min()
        assert len(set(pk[va])) == 1
        assert (pk[tr] < hold_pk).all() and (pk[va] < hold_pk).all()


def test_metrics_present_and_computed_on_holdout_rows(ff, trained):
    m = trained.metrics
    for key in ("mae", "mae_naive", "auc", "accuracy", "precision", "recall", "f1",
                "threshold", "brier", "calibration", "confusion_matrix", "n_train", "n_test",
                "positives_test", "note", "holdout_period"):
        assert key in m, key
    json.dumps(m, allow_nan=False)  # JSON-ready, no NaN
    assert len(m["calibration"]) == 10
    assert sum(b["count"] for b in m["calibration"]) == m["n_test"]
    cm = m["confusion_matrix"]
    assert cm["tn"] + cm["fp"] + cm["fn"] + cm["tp"] == m["n_test"]
    assert cm["fn"] + cm["tp"] == m["positives_test"]
    assert "refitted on every labelled row" in m["note"]

    # The reported figures are those of the recipe fitted on the earlier quarters only,
    # scored on the hold-out rows (deterministic, one thread per booster).
    tr, te = trained.train_index, trained.holdout_index
    recipe = RatingModel(**trained.params["model"]).fit(
        ff.X.loc[tr], ff.y_rating.loc[tr], categorical=ff.categorical)
    y = ff.y_rating.loc[te].to_numpy()
    assert m["mae"] == pytest.approx(np.mean(np.abs(recipe.predict(ff.X.loc[te]) - y)))
    again = binary_metrics((y <= 2).astype(float), recipe.predict_low(ff.X.loc[te]),
                           m["threshold"])
    assert m["auc"] == pytest.approx(again["auc"])
    assert m["f1"] == pytest.approx(again["f1"])
    naive = ff.rating_now.loc[te].fillna(np.nanmedian(ff.y_rating.loc[tr])).to_numpy()
    assert m["mae_naive"] == pytest.approx(np.mean(np.abs(naive - y)))


def test_returned_model_is_refitted_on_all_labelled_rows(ff, trained):
    labelled = ff.y_rating.notna()
    full = RatingModel(**trained.params["model"]).fit(
        ff.X[labelled], ff.y_rating[labelled], categorical=ff.categorical)
    X = ff.X.iloc[:50]
    np.testing.assert_allclose(trained.model.predict(X), full.predict(X))
    # the KPI means and levels, there for the KPI channel, are not inputs of the
    # performance model
    means = [c for c in ff.X if (c.startswith("kpi_") and c.endswith(("_mean4", "_lasting")))
             or c.startswith("lasting_")]
    assert means and not set(means) & set(trained.model.feature_names_)
    assert full.feature_names_ == trained.model.feature_names_
    np.testing.assert_allclose(trained.model.predict_low(X), full.predict_low(X))


def test_trees_stay_small(trained):
    p = trained.params["model"]
    for params in (p["params"], p["low_params"]):
        assert params["max_depth"] <= MAX_DEPTH and params["num_leaves"] <= MAX_LEAVES
    for booster in (trained.model.rating_booster_, trained.model.low_booster_):
        dump = booster.dump_model()
        assert max(t["num_leaves"] for t in dump["tree_info"]) <= MAX_LEAVES


def test_text_round_trip_gives_identical_predictions(ff, trained):
    text = trained.model.to_text()
    loaded = RatingModel.from_text(text)
    X = ff.X
    np.testing.assert_array_equal(loaded.predict(X), trained.model.predict(X))
    np.testing.assert_array_equal(loaded.predict_low(X), trained.model.predict_low(X))
    np.testing.assert_array_equal(loaded.contributions(X, "low"),
                                  trained.model.contributions(X, "low"))
    assert loaded.threshold_ == pytest.approx(trained.metrics["threshold"])
    assert loaded.get_params() == trained.model.get_params()
    assert "pickle" not in text.lower()


def test_contributions_plus_base_equal_raw_output(ff, trained):
    X = ff.X.iloc[:100]
    m = trained.model
    c = m.contributions(X, "rating")
    assert c.shape == (len(X), len(m.feature_names_) + 1)
    np.testing.assert_allclose(c.sum(axis=1), m.predict(X), atol=1e-9)
    c = m.contributions(X, "low")
    p = m.predict_low(X)
    np.testing.assert_allclose(c.sum(axis=1), np.log(p / (1 - p)), atol=1e-9)


def test_stored_text_that_changed_never_loads(trained):
    text = trained.model.to_text()
    cut = len(text) // 2
    for bad in (text[:cut], text.replace("leaf_value=", "leaf_value=9", 1), "garbage", "",
                text.split("\n#### SPTE-MODEL-SEPARATOR ####\n")[0]):
        with pytest.raises(ValueError):
            RatingModel.from_text(bad)


def test_truncated_lightgbm_text_is_refused_before_lightgbm_parses_it(trained):
    """LightGBM aborts the process on some truncated texts; our check refuses them first."""
    raw = trained.model.rating_booster_.model_to_string()
    check_booster_text(raw)
    for frac in (0.1, 0.5, 0.9, 0.97, 0.995):
        with pytest.raises(ValueError):
            check_booster_text(raw[:int(len(raw) * frac)])
    with pytest.raises(ValueError):
        check_booster_text(raw.replace("num_cat=", " um_cat=", 1))


def test_legacy_text_without_checksums_still_loads(ff):
    """Texts written by the first RatingModel (no checksums in the header) still load."""
    m = RatingModel(rating_rounds=5, low_rounds=5).fit(ff.X, ff.y_rating,
                                                       categorical=ff.categorical)
    header, rating, low = m.to_text().split("\n#### SPTE-MODEL-SEPARATOR ####\n")
    h = json.loads(header)
    legacy = {k: h[k] for k in ("feature_names", "categorical", "categories", "params",
                                "random_state")}
    text = "\n#### SPTE-MODEL-SEPARATOR ####\n".join([json.dumps(legacy), rating, low])
    loaded = RatingModel.from_text(text)
    np.testing.assert_array_equal(loaded.predict(ff.X), m.predict(ff.X))


def test_one_quarter_has_no_outcome():
    h = _history(60, 2, seed=5)
    h.performance = h.performance[h.performance["period"] == h.periods[-1]]
    with pytest.raises(TrainingError) as err:
        train_history_model(FeatureBuilder().fit_transform(h), budget_seconds=1)
    assert "trimestre" in err.value.message("es")
    assert "quarter" in err.value.message("en")


def test_one_labelled_quarter_cannot_be_validated_over_time():
    h = _history(60, 2, seed=5)  # two quarters: only the first has a next-quarter rating
    with pytest.raises(TrainingError) as err:
        train_history_model(FeatureBuilder().fit_transform(h), budget_seconds=1)
    assert "three consecutive quarters" in err.value.message("en")


def test_a_class_with_under_ten_examples(ff):
    y = ff.y_rating.copy()
    lab = y.notna()
    y[lab] = 4.0
    y[y.index[lab][:9]] = 1.0  # nine low ratings in all
    small = type(ff)(X=ff.X, y_rating=y, y_low=(y <= 2).astype(float).where(y.notna()),
                     rating_now=ff.rating_now, keys=ff.keys, categorical=ff.categorical,
                     skills=ff.skills)
    with pytest.raises(TrainingError) as err:
        train_history_model(small, budget_seconds=1)
    assert "9" in err.value.message("es") and "10" in err.value.message("en")


def test_threshold_and_calibration_helpers():
    y = np.array([0, 0, 1, 1, 0, 1], dtype=float)
    p = np.array([0.1, 0.2, 0.8, 0.9, 0.7, 0.3])
    t = best_threshold(y, p)
    pred = p >= t
    assert pred[[2, 3]].all() and not pred[[0, 1]].any()
    table = calibration_table(y, p)
    assert [b["count"] for b in table] == [0, 1, 1, 1, 0, 0, 0, 1, 1, 1]
    assert table[9]["observed_rate"] == 1.0 and table[1]["mean_predicted"] == pytest.approx(0.1)
    m = binary_metrics(y, p, 0.5)
    assert m["confusion_matrix"] == {"tn": 2, "fp": 1, "fn": 1, "tp": 2}
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)


def test_fit_still_works_with_the_first_api(ff):
    """Others call RatingModel(rating_rounds=..., low_rounds=...).fit(X, y, categorical=)."""
    m = RatingModel(rating_rounds=20, low_rounds=20).fit(ff.X, ff.y_rating,
                                                         categorical=ff.categorical)
    assert np.isfinite(m.predict(ff.X.iloc[:5])).all()
    assert ((m.predict_low(ff.X.iloc[:5]) >= 0) & (m.predict_low(ff.X.iloc[:5]) <= 1)).all()
    assert isinstance(m.feature_names_, list) and m.categorical_ == ff.categorical
    empty = pd.DataFrame([{c: np.nan for c in m.feature_names_}])
    assert np.isfinite(m.predict(empty)).all()
