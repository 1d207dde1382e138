"""Recommendations: eligibility, budgets, exclusions, low confidence, and real value."""

import numpy as np
import pandas as pd
import pytest

from core import synthetic
from core.features import FeatureBuilder, history_from_dir
from core.recommend import (
    CounterfactualRecommender,
    RecommendError,
    policy_value,
    recommend,
)


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    d = tmp_path_factory.mktemp("org")
    synthetic.generate(300, 6, seed=3).write(d)
    h = history_from_dir(d)
    ff = FeatureBuilder().fit_transform(h)
    rec = CounterfactualRecommender(n_boot=5).fit(h, ff)
    gt = pd.read_csv(d / "ground_truth.csv", dtype={"employee_id": str})
    return h, ff, rec, rec.effects(), gt


def test_effects_cover_everyone_and_every_program_with_intervals(org):
    h, ff, _rec, eff, _gt = org
    assert {"employee_id", "program_id", "expected_gain", "low", "high"} <= set(eff.columns)
    assert eff["employee_id"].nunique() == ff.keys["employee_id"].nunique()
    assert set(eff["program_id"]) == set(h.programs["program_id"])
    assert (eff["low"] <= eff["expected_gain"] + 1e-12).all()
    assert (eff["expected_gain"] <= eff["high"] + 1e-12).all()


def test_plan_excludes_completed_and_unmet_prerequisites(org):
    h, _ff, _rec, eff, _gt = org
    plan = recommend(eff, h, top_k=3)
    done = h.training_records[h.training_records.status == "completed"]
    taken = set(zip(done.employee_id, done.program_id, strict=True))
    assert not any((e, p) in taken for e, p in zip(plan.employee_id, plan.program_id,
                                                    strict=True))
    prereq = h.programs.set_index("program_id")["prerequisites"].dropna()
    for e, p in zip(plan.employee_id, plan.program_id, strict=True):
        for q in str(prereq.get(p, "")).split(";"):
            if q and q != "nan":
                assert (e, q) in taken
    assert plan.groupby("employee_id")["rank"].max().max() <= 3


def test_budget_and_exclusions(org):
    h, _ff, _rec, eff, _gt = org
    plan = recommend(eff, h, top_k=5, budget_pen=1000.0)
    assert (plan.groupby("employee_id")["cost_pen"].sum() <= 1000.0).all()
    someone = eff["employee_id"].iloc[0]
    best = recommend(eff, h, top_k=1)
    first = best.loc[best.employee_id == someone, "program_id"].iloc[0]
    again = recommend(eff, h, top_k=3, exclude={someone: {first}})
    assert first not in set(again.loc[again.employee_id == someone, "program_id"])


def test_policy_value_beats_simple_rules(org):
    _h, _ff, _rec, eff, gt = org
    free = eff.sort_values(["employee_id", "expected_gain"], ascending=[True, False])
    free["rank"] = free.groupby("employee_id").cumcount() + 1
    ours = policy_value(free, gt)["pct_oracle"]
    rand = free.groupby("employee_id").sample(1, random_state=0).assign(rank=1)
    random_pct = policy_value(rand, gt)["pct_oracle"]
    assert ours > random_pct + 30, (ours, random_pct)
    assert ours > 75


def test_everything_missing_still_gets_a_plan(org):
    h, _ff, rec, _eff, _gt = org
    ff2 = FeatureBuilder().fit(h).transform(h)
    last = ff2.keys.groupby("employee_id").tail(1).index[0]
    numeric = [c for c in ff2.X.columns if c not in ff2.categorical]
    ff2.X.loc[last, numeric] = np.nan
    eff = rec.effects(ff2)
    who = ff2.keys.loc[last, "employee_id"]
    plan = recommend(eff, h, top_k=3)
    mine = plan[plan["employee_id"] == who]
    assert len(mine) and mine["low_confidence"].all()


def test_no_programs_is_a_clear_error(org):
    h, ff, _rec, _eff, _gt = org
    empty = type(h)(h.employees, h.performance, h.programs.iloc[0:0], h.training_records,
                    h.job_roles)
    with pytest.raises(RecommendError) as err:
        CounterfactualRecommender(n_boot=2).fit(empty, ff)
    assert "programas" in err.value.es and "programs" in err.value.en


def test_program_nobody_took_uses_the_declared_gain(org):
    h, ff, _rec, _eff, _gt = org
    records = h.training_records[h.training_records.program_id != "P07"]
    h2 = type(h)(h.employees, h.performance, h.programs, records, h.job_roles)
    rec = CounterfactualRecommender(n_boot=2).fit(h2, ff)
    assert "P07" in rec.warnings_
    eff = rec.effects()
    assert eff.loc[eff.program_id == "P07", "expected_gain"].abs().sum() > 0
