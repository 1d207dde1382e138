"""What-if: only skills and KPIs move, derived features follow, SHAP adds up, scope holds."""

import numpy as np
import pandas as pd
import pytest

from core.contract import KPI_PREFIX, SKILL_PREFIX
from core.db import session_scope
from core.features import FeatureBuilder, load_history
from core.model import RatingModel
from core.models import Employee
from core.plans import NotAllowed
from core.training import load_training_history
from core.users import add_user, current_user
from core.whatif import (
    NotChangeable,
    apply_changes,
    baseline_row,
    changeable_features,
    org_context,
    predict_whatif,
    top_contributions,
)
from tests.orgs import stored_team_org


@pytest.fixture
def org(engine, tmp_path):
    org = stored_team_org(engine, tmp_path / "org", employees=80, quarters=4, seed=5)
    boss, team = org["boss"], org["team"]
    with session_scope(engine) as s:
        add_user(s, username="jefe", password="12345678", role="manager", employee_id=boss)
        add_user(s, username="ana", password="12345678", role="employee", employee_id=team[0])
        add_user(s, username="cap", password="12345678", role="trainer")
        add_user(s, username="rh", password="12345678", role="hr")
    ff = FeatureBuilder().fit_transform(load_training_history(engine))
    model = RatingModel(rating_rounds=60, low_rounds=30).fit(ff.X, ff.y_rating,
                                                             categorical=ff.categorical)
    ctx = org_context(load_history(engine))
    return {**org, "model": model, "ctx": ctx, "ff": ff}


def _baseline(engine, org, who="ana", person=None):
    with session_scope(engine, write=False) as s:
        return baseline_row(s, current_user(s, who), person or org["team"][0], org["ctx"])


def test_baseline_is_the_row_the_model_was_trained_on(engine, org):
    base = _baseline(engine, org)
    ff = org["ff"]
    last = ff.keys.index[ff.keys["employee_id"] == org["team"][0]][-1]
    full = ff.X.loc[[last]].reset_index(drop=True)
    pd.testing.assert_frame_equal(base.row[full.columns], full, check_dtype=False)
    assert base.period == ff.keys.loc[last, "period"]


def test_only_skills_and_kpis_are_offered(engine, org):
    base = _baseline(engine, org)
    sliders = changeable_features(org["model"], base)
    assert sliders
    names = {c.feature for c in sliders}
    assert names <= set(org["model"].feature_names_)
    for c in sliders:
        assert c.kind in ("skill", "kpi")
        assert c.feature.startswith(SKILL_PREFIX if c.kind == "skill" else KPI_PREFIX)
        assert not c.feature.endswith(("_delta", "_outlier"))
        assert c.low <= c.value <= c.high and c.step > 0
    assert any(c.kind == "skill" for c in sliders)
    for banned in ("tenure_years", "department", "job_role", "location", "rating",
                   "rating_mean4", "gap_weighted", "programs_completed", "quarter"):
        assert banned not in names


def test_non_changeable_features_are_refused(engine, org):
    base = _baseline(engine, org)
    skill = next(c for c in changeable_features(org["model"], base) if c.kind == "skill")
    for feature in ("tenure_years", "department", "job_role", "location", "rating",
                    "rating_lag1", "gap_weighted", f"gap_{skill.subject}",
                    f"{skill.feature}_delta", "age", "gender", "birth_year",
                    f"trained_{skill.subject}", "kpi_csat_outlier", "programs_completed"):
        with pytest.raises(NotChangeable):
            predict_whatif(org["model"], base, {feature: 1.0})
        with pytest.raises(NotChangeable):  # not even alongside an allowed change
            apply_changes(base, {skill.feature: 3.0, feature: 1.0})
    with pytest.raises(NotChangeable):
        predict_whatif(org["model"], base, {skill.feature: float("nan")})


def _most_used_skill(model, sliders) -> str:
    booster = model.rating_booster_
    gain = dict(zip(booster.feature_name(), booster.feature_importance("gain"), strict=True))
    skills = [c for c in sliders if c.kind == "skill"]
    best = max(skills, key=lambda c: gain.get(c.feature, 0) + gain.get(f"gap_{c.subject}", 0))
    assert gain.get(best.feature, 0) + gain.get(f"gap_{best.subject}", 0) > 0
    return best.feature


def test_raising_a_used_skill_moves_the_prediction_and_shap_adds_up(engine, org):
    model = org["model"]
    for person in org["team"][:4]:
        base = _baseline(engine, org, "jefe", person)
        sliders = changeable_features(model, base)
        feature = _most_used_skill(model, sliders)
        pred0, frame0 = predict_whatif(model, base, {})
        assert pred0 == pytest.approx(float(model.predict(base.row)[0]))
        moved = {}
        for level in (1.0, 5.0):
            pred, frame = predict_whatif(model, base, {feature: level})
            moved[level] = pred
            assert frame.attrs["base_value"] + frame["shap"].sum() == pytest.approx(pred,
                                                                                   abs=1e-9)
            row = apply_changes(base, {feature: level})
            assert pred == pytest.approx(float(model.predict(row)[0]))
            assert 0.0 <= frame.attrs["risk"] <= 1.0
            assert frame.attrs["base_value"] == pytest.approx(frame0.attrs["base_value"])
        assert moved[5.0] != pytest.approx(moved[1.0]), person
        top = top_contributions(frame, "es", 5)
        assert len(top) == 5 and top["label"].map(bool).all()


def test_derived_features_move_as_the_feature_builder_builds_them(engine, org):
    """Raising a skill in the stored data and rebuilding gives the same row as the what-if."""
    person = org["team"][0]
    base = _baseline(engine, org)
    skills = [c for c in changeable_features(org["model"], base) if c.kind == "skill"]
    history = load_training_history(engine)
    ctx = org["ctx"]
    perf = history.performance
    last = perf.index[(perf["employee_id"] == person)
                      & (perf["period"] == base.period)][0]
    changes = {}
    for c in skills[:4]:
        new = 4.7 if c.value < 4.7 else 1.3
        changes[c.feature] = new
        perf.loc[last, c.feature] = new
    kpis = [c for c in changeable_features(org["model"], base) if c.kind == "kpi"]
    for c in kpis[:1]:
        changes[c.feature] = c.high
        perf.loc[last, c.feature] = c.high
    ff = ctx.builder.transform(history)
    i = ff.keys.index[(ff.keys["employee_id"] == person)][-1]
    rebuilt = ff.X.loc[[i]].reset_index(drop=True)
    row = apply_changes(base, changes)
    cols = [c for c in rebuilt.columns if c not in ("department", "job_role", "location")]
    np.testing.assert_allclose(row[cols].to_numpy(dtype=float),
                               rebuilt[cols].to_numpy(dtype=float), atol=1e-9)
    for c in skills[:4]:
        assert row.at[0, c.feature] == changes[c.feature]
        if f"gap_{c.subject}" in row and c.subject in base.targets:
            assert row.at[0, f"gap_{c.subject}"] == pytest.approx(
                max(base.targets[c.subject] - changes[c.feature], 0.0))


def test_nobody_outside_scope_gets_a_what_if(engine, org):
    with session_scope(engine, write=False) as s:
        for who in ("jefe", "ana", "cap"):
            with pytest.raises(NotAllowed):
                baseline_row(s, current_user(s, who), org["outsider"], org["ctx"])
        with pytest.raises(NotAllowed):  # trainers: aggregates only, not even their team
            baseline_row(s, current_user(s, "cap"), org["team"][0], org["ctx"])
        with pytest.raises(NotAllowed):  # an employee sees only themself
            baseline_row(s, current_user(s, "ana"), org["team"][1], org["ctx"])
        assert baseline_row(s, current_user(s, "rh"), org["outsider"], org["ctx"]) is not None


def test_opted_out_person_gets_no_simulation(engine, org):
    person = org["team"][0]
    with session_scope(engine) as s:
        s.get(Employee, person).scoring_opt_out = True
    assert _baseline(engine, org) is None


@pytest.mark.parametrize("targets", ["uploaded", "estimated"])
def test_org_context_from_store_is_the_full_history_fit(engine, tmp_path, targets):
    """Reading only KPI values, skill names and role targets gives the context the whole
    history gave: same fences, targets, categories, KPI ranges and steps."""
    from core.models import JobRoleTarget
    from core.whatif import org_context, org_context_from_store

    stored_team_org(engine, tmp_path / "org", employees=70, quarters=3, seed=4)
    with session_scope(engine) as s:
        if targets == "estimated":
            s.query(JobRoleTarget).delete()
        s.query(Employee).order_by(Employee.employee_id).first().scoring_opt_out = True
    full = org_context(load_history(engine))
    fast = org_context_from_store(engine)
    for attr in ("kpis_", "skills_", "fences_", "categories_"):
        assert getattr(fast.builder, attr) == getattr(full.builder, attr), attr
    pd.testing.assert_frame_equal(fast.builder.targets_, full.builder.targets_)
    assert fast.kpi_ranges == full.kpi_ranges and fast.kpi_steps == full.kpi_steps
