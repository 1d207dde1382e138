"""Doubly-robust off-policy value (core.ope) against a semi-synthetic ground truth.

The synthetic organization's ground truth covers only its last quarter, so the check is
semi-synthetic: real feature rows of a synthetic organization, logged actions drawn from a
*confounded* propensity (low ratings and big gaps get sent to training) and rewards
``f(x) + true_effect(x, a) + noise`` with ``true_effect`` known (it grows with the gap of the
program's main target skill). The true value of any policy is then exact.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from core import synthetic
from core.features import FeatureBuilder, History
from core.ope import NONE, OPEError, dr_policy_value, logged_data

NOISE = 0.5


@pytest.fixture(scope="module")
def org_frames():
    org = synthetic.generate(600, 8, seed=0)
    history = History(org.employees, org.performance, org.programs, org.training_records,
                      org.job_roles)
    return history, FeatureBuilder().fit_transform(history)


def _true_effect(X: pd.DataFrame, main_skills: list[str]) -> np.ndarray:
    """(n, programs): 0.3 rating points per level of gap in the main skill, minus 0.05."""
    gaps = np.column_stack([X[f"gap_{s}"].fillna(0.0).to_numpy() for s in main_skills])
    return 0.3 * np.minimum(gaps, 2.0) - 0.05


@pytest.fixture(scope="module")
def semi(org_frames):
    history, ff = org_frames
    rng = np.random.default_rng(100)
    programs = history.programs["program_id"].tolist()
    main = [s.split(";")[0] for s in history.programs["target_skills"]]
    X = ff.X
    ok = (ff.rating_now.notna() & ff.y_rating.notna()).to_numpy()
    rating = np.nan_to_num(ff.rating_now.to_numpy(), nan=3.0)
    tau = _true_effect(X, main)
    gaps = tau + 0.05
    # Confounded logging policy: big gaps and low ratings are sent to training.
    logits = np.column_stack([np.zeros(len(X)),
                              -3.2 + 4.3 * gaps + 0.9 * (3.0 - rating)[:, None]])
    prob = np.exp(logits - logits.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    a = (prob.cumsum(axis=1) < rng.random(len(X))[:, None]).sum(axis=1)  # 0 = none
    # Low ratings bounce back on their own: the naive comparison credits training for it.
    f = (-0.45 * (rating - 3.0) + 0.15 * np.tanh(X["tenure_years"].fillna(3.0).to_numpy() - 3.0)
         - 0.03 * X["skills_missing"].to_numpy())
    effect = np.where(a == 0, 0.0, tau[np.arange(len(X)), np.maximum(a - 1, 0)])
    reward = f + effect + NOISE * rng.standard_normal(len(X))
    treated = ok & (a > 0)
    records = pd.DataFrame({
        "employee_id": ff.keys["employee_id"].to_numpy()[treated],
        "program_id": np.asarray(programs)[a[treated] - 1],
        "period": ff.keys["period"].to_numpy()[treated],
        "status": "completed", "score": np.nan})
    h2 = dataclasses.replace(history, training_records=records)
    y = pd.Series(np.where(ok, ff.rating_now.to_numpy() + reward, np.nan), index=ff.X.index)
    ff2 = dataclasses.replace(ff, y_rating=y)

    def best_policy(frame: pd.DataFrame) -> np.ndarray:
        t = _true_effect(frame, main)
        return np.where(t.max(axis=1) > 0, np.asarray(programs, dtype=object)[t.argmax(axis=1)],
                        None)

    best_value = float(np.mean((f + np.maximum(tau.max(axis=1), 0.0))[ok]))
    none_value = float(np.mean(f[ok]))
    return {"history": h2, "ff": ff2, "best_policy": best_policy, "best_value": best_value,
            "none_value": none_value, "logged_value": float(np.mean((f + effect)[ok]))}


def test_dr_recovers_the_true_value_where_the_naive_estimate_is_biased(semi):
    res = dr_policy_value(semi["history"], semi["ff"], semi["best_policy"], random_state=0)
    truth = semi["best_value"]
    assert abs(res["value"] - truth) < 0.05, (res["value"], truth)
    assert res["ci_low"] <= truth <= res["ci_high"]
    assert res["ci_low"] <= res["value"] <= res["ci_high"]
    # The rows that happened to follow the policy are low performers who bounce back.
    assert res["naive"] - truth > 0.1, (res["naive"], truth)
    assert 0 < res["ess"] <= res["n"]
    assert res["ess_share"] == pytest.approx(res["ess"] / res["n"])
    assert 0.0 <= res["clipped_share"] <= 1.0
    assert res["gain_ci_low"] <= res["gain_vs_logged"] <= res["gain_ci_high"]
    assert abs(res["baseline"] - semi["logged_value"]) < 0.05


def test_dr_of_no_training_and_series_policy(semi):
    """'Nobody is trained', given as a Series keyed by (employee_id, period)."""
    keys = semi["ff"].keys
    policy = pd.Series([None] * len(keys),
                       index=pd.MultiIndex.from_frame(keys[["employee_id", "period"]]))
    res = dr_policy_value(semi["history"], semi["ff"], policy, random_state=0)
    assert abs(res["value"] - semi["none_value"]) < 0.05
    assert res["ci_low"] <= semi["none_value"] <= res["ci_high"]
    assert res["ess"] <= res["n"] and res["ess_share"] > 0.5
    assert res["policy_share"] == {NONE: 1.0}
    assert res["weight_mean"] == pytest.approx(1.0, abs=0.1)


def test_no_completed_training_is_a_clear_error(org_frames):
    history, ff = org_frames
    empty = dataclasses.replace(history, training_records=history.training_records.iloc[0:0])
    with pytest.raises(OPEError) as err:
        dr_policy_value(empty, ff, lambda frame: [None] * len(frame))
    assert isinstance(err.value, ValueError)
    assert "capacitaciones completadas" in err.value.message_es
    assert "no completed training" in err.value.message_en
    assert err.value.message("en") == err.value.message_en
    dropped = dataclasses.replace(
        history, training_records=history.training_records.assign(status="dropped"))
    with pytest.raises(OPEError):
        logged_data(dropped, ff)


def test_unknown_program_in_policy_is_a_clear_error(org_frames):
    history, ff = org_frames
    with pytest.raises(OPEError) as err:
        dr_policy_value(history, ff, lambda frame: ["P99"] * len(frame))
    assert "P99" in err.value.message_es and "P99" in err.value.message_en


def test_logged_actions_and_rewards(org_frames):
    history, ff = org_frames
    data = logged_data(history, ff)
    done = history.training_records[history.training_records["status"] == "completed"]
    assert data.actions[0] == NONE and set(done["program_id"]) <= set(data.actions)
    assert len(data.reward) == len(data.X) == len(data.keys) == len(data.action)
    assert np.isfinite(data.reward).all()
    taken = set(zip(done["employee_id"], done["period"], done["program_id"], strict=True))
    rows = data.keys.assign(a=data.action)
    logged = {(e, p, a) for e, p, a in rows.itertuples(index=False) if a != NONE}
    assert logged and logged <= taken
