"""Baseline policies and the seed recipe: valid plans, sensible rankings, a working model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.baselines import (
    SeedRecipe,
    catalog_gains,
    current_rows,
    eligible_programs,
    historical_gains,
    lowest_skill_policy,
    popular_policy,
    random_policy,
    seed_recommend,
)
from core.bench import _split_rows
from core.contract import SKILL_PREFIX
from core.features import FeatureBuilder, history_from_dir
from core.synthetic import generate


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    d = tmp_path_factory.mktemp("org")
    generate(160, 6, seed=5).write(d)
    history = history_from_dir(d)
    return history, FeatureBuilder().fit_transform(history)


def _now(ff) -> list[str]:
    return ff.keys["employee_id"].iloc[current_rows(ff)].astype(str).tolist()


def _check_plan(recs: pd.DataFrame, history, ff, k: int = 3) -> None:
    assert list(recs.columns[:3]) == ["employee_id", "program_id", "rank"]
    emps = _now(ff)
    assert set(recs["employee_id"]) == set(emps)
    assert not recs.duplicated(["employee_id", "program_id"]).any()
    ranks = recs.groupby("employee_id")["rank"].apply(sorted)
    assert all(r == list(range(1, len(r) + 1)) and len(r) <= k for r in ranks)
    ok = set(map(tuple, eligible_programs(history, emps).to_numpy()))
    assert set(map(tuple, recs[["employee_id", "program_id"]].to_numpy())) <= ok


def test_eligible_excludes_completed_and_unmet_prerequisites(org):
    history, ff = org
    emps = _now(ff)
    pairs = set(map(tuple, eligible_programs(history, emps).to_numpy()))
    trs = history.training_records
    done = trs[trs["status"] == "completed"]
    for e, p in zip(done["employee_id"], done["program_id"], strict=True):
        assert (e, p) not in pairs
    prereq = history.programs.set_index("program_id")["prerequisites"].dropna()
    completed = done.groupby("employee_id")["program_id"].apply(set)
    for e, p in pairs:
        if p in prereq.index:
            assert set(prereq[p].split(";")) <= completed.get(e, set())


@pytest.mark.parametrize("policy", [random_policy, popular_policy, lowest_skill_policy])
def test_baselines_give_valid_programs_per_employee(org, policy):
    history, ff = org
    _check_plan(policy(history, ff, top_k=3), history, ff)


def test_random_policy_is_seeded(org):
    history, ff = org
    a = random_policy(history, ff, seed=1)
    pd.testing.assert_frame_equal(a, random_policy(history, ff, seed=1))
    assert not a.equals(random_policy(history, ff, seed=2))


def test_popular_policy_ranks_by_completions(org):
    history, ff = org
    trs = history.training_records
    counts = trs[trs["status"] == "completed"]["program_id"].value_counts()
    recs = popular_policy(history, ff)
    emps = _now(ff)
    elig = eligible_programs(history, emps)
    for e in emps[:20]:
        mine = elig[elig["employee_id"] == e]["program_id"]
        best = mine.map(counts).fillna(0).max()
        top = recs[(recs["employee_id"] == e) & (recs["rank"] == 1)]["program_id"].iloc[0]
        assert counts.get(top, 0) == best


def test_lowest_skill_policy_targets_the_weakest_skill(org):
    history, ff = org
    recs = lowest_skill_policy(history, ff)
    perf = history.performance.sort_values("period")
    last = perf.groupby("employee_id").last()
    targets = history.programs.set_index("program_id")["target_skills"].str.split(";")
    elig = eligible_programs(history, _now(ff))
    checked = 0
    for e, rows in list(elig.groupby("employee_id"))[:30]:
        level = {p: min(last.loc[e, SKILL_PREFIX + s] for s in targets[p]) for p in
                 rows["program_id"]}
        if any(np.isnan(v) for v in level.values()):
            continue
        top = recs[(recs["employee_id"] == e) & (recs["rank"] == 1)]["program_id"].iloc[0]
        assert level[top] == pytest.approx(min(level.values()))
        checked += 1
    assert checked > 10


def test_gains_from_catalog_and_history(org):
    history, _ = org
    cat = catalog_gains(history)
    assert set(cat) == set(history.programs["program_id"])
    assert all(v > 0 for g in cat.values() for v in g.values())
    hist = historical_gains(history, min_n=3)
    assert hist and all(v >= 0 for g in hist.values() for v in g.values())
    # Gains are only reported for the skills a program targets.
    targets = history.programs.set_index("program_id")["target_skills"].str.split(";")
    assert all(set(g) <= set(targets[p]) for p, g in hist.items())


@pytest.mark.parametrize("kind", ["rf", "gb"])
def test_seed_recipe_fits_and_ranks(org, kind):
    history, ff = org
    train, test, _ = _split_rows(ff, None)
    recipe = SeedRecipe(kind, n_estimators=30, random_state=0).fit(
        ff.X.loc[train], ff.y_low.loc[train], ff.y_rating.loc[train],
        categorical=ff.categorical)
    m = recipe.evaluate(ff.X.loc[test], ff.y_low.loc[test], ff.y_rating.loc[test])
    assert set(m) >= {"auc", "f1", "mae", "accuracy", "precision", "recall"}
    assert 0.6 < m["auc"] <= 1.0
    assert 0 < m["mae"] < 1.5
    assert recipe.fit_seconds_ > 0 and recipe.fit_seconds_reg_ > 0
    pre = recipe.fitted_.clf.named_steps["pre"]
    assert {name for name, _, _ in pre.transformers} == {"num", "cat"}
    for rank_by in ("rating", "risk"):
        recs = seed_recommend(recipe, history, ff, catalog_gains(history), rank_by=rank_by)
        _check_plan(recs, history, ff)
        assert recs["expected_gain"].notna().all()


def test_seed_recipe_ignores_unseen_categories(org):
    _, ff = org
    train, _, _ = _split_rows(ff, None)
    recipe = SeedRecipe("rf", n_estimators=10).fit(
        ff.X.loc[train], ff.y_low.loc[train], categorical=ff.categorical)
    X = ff.X.loc[train].head(5).copy()
    X["department"] = pd.Categorical(["Minería"] * 5)
    p = recipe.predict_proba(X)
    assert p.shape == (5,) and np.all((p >= 0) & (p <= 1))
    with pytest.raises(RuntimeError):
        recipe.predict(X)  # no regressor without y_rating
