"""Fairness audit: rates per group, small groups hidden, four-fifths ratio flagged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import update

from core import fairness
from core.db import session_scope
from core.models import Employee, Recommendation
from core.training import train_from_store
from tests.orgs import stored_team_org


def _people(groups: dict[str, tuple[int, int, int]]) -> pd.DataFrame:
    """group -> (size, flagged, recommended)."""
    rows = []
    for g, (n, flagged, rec) in groups.items():
        rows += [{"employee_id": f"{g}{i}", "gender": g, "flag": i < flagged,
                  "recommended": i < rec} for i in range(n)]
    return pd.DataFrame(rows)


def test_rates_ratio_and_four_fifths_flag():
    people = _people({"A": (20, 10, 10), "B": (20, 2, 9), "C": (40, 16, 20)})
    table, hidden_groups, hidden_people = fairness.audit_table(people, "gender")
    t = table.set_index("group")
    assert (hidden_groups, hidden_people) == (0, 0)
    assert t["n"].tolist() == [40, 20, 20]  # largest first
    assert t.loc["A", "flag_rate"] == pytest.approx(0.5)
    assert t.loc["B", "flag_ratio"] == pytest.approx(0.1 / 0.5)
    assert t.loc["C", "flag_ratio"] == pytest.approx(0.4 / 0.5)
    assert t["flag_low"].to_dict() == {"A": False, "B": True, "C": False}  # 0.8 is not below
    assert t.loc["B", "recommended_ratio"] == pytest.approx(0.45 / 0.5)
    assert not t["recommended_low"].any()


def test_groups_under_ten_people_are_hidden_and_counted():
    people = _people({"A": (30, 3, 3), "B": (9, 9, 9), "C": (10, 1, 1), "D": (2, 0, 0)})
    table, hidden_groups, hidden_people = fairness.audit_table(people, "gender")
    assert set(table["group"]) == {"A", "C"}
    assert (hidden_groups, hidden_people) == (2, 11)
    # The ratio is against the highest *shown* rate: B's 100% does not count.
    t = table.set_index("group")
    assert t.loc["A", "flag_ratio"] == pytest.approx(1.0)
    assert t.loc["C", "flag_ratio"] == pytest.approx(1.0)


def test_no_flags_anywhere_is_not_flagged_and_missing_is_a_group():
    people = _people({"A": (15, 0, 0), "B": (15, 0, 0)})
    people.loc[:2, "gender"] = None
    table, hidden, _ = fairness.audit_table(people, "gender")
    assert table["flag_ratio"].isna().all() and not table["flag_low"].any()
    assert hidden == 1 and fairness.UNKNOWN not in set(table["group"])  # 3 unknown: hidden
    assert fairness.audit_table(people.iloc[:0], "gender")[0].empty


def test_age_bands_and_gender_labels():
    assert [fairness.age_band(a) for a in (19, 25, 34.9, 35, 54, 55, 70)] == [
        "<25", "25–34", "25–34", "35–44", "45–54", "55+", "55+"]
    assert fairness.age_band(np.nan) == fairness.UNKNOWN
    assert [fairness.gender_key(g) for g in ("F", "m", "Mujer", None, "", "X")] == [
        "female", "male", "female", fairness.UNKNOWN, fairness.UNKNOWN, "other"]
    assert fairness.group_label("gender", "female", "es") == "Mujer"
    assert fairness.group_label("gender", "female", "en") == "Woman"
    assert fairness.group_label("location", "Cusco", "en") == "Cusco"
    table, _, _ = fairness.audit_table(pd.DataFrame({
        "age_band": ["55+"] * 10 + ["<25"] * 30 + ["35–44"] * 20, "flag": False}),
        "age_band", ("flag",))
    assert table["group"].tolist() == ["<25", "35–44", "55+"]  # band order, not size


@pytest.fixture
def trained(engine, tmp_path):
    org = stored_team_org(engine, tmp_path / "org", employees=120, quarters=4, seed=4)
    res = train_from_store(engine, budget_seconds=1, max_trials=1)
    assert res["status"] == "active"
    return {"org": org, "version": res["model_version"]}


def test_report_from_the_store(engine, trained):
    assert fairness.fairness_report(engine, "snapshot").empty  # no snapshot model
    rep = fairness.fairness_report(engine, "history", year=2026)
    assert rep.kind == "history" and rep.n_people == 120 and rep.opted_out == 0
    assert rep.period == trained["org"]["org"].performance["period"].max()
    for dim in fairness.DIMENSIONS:
        table = rep.tables[dim]
        _groups, people = rep.hidden[dim]
        assert table["n"].sum() + people == rep.n_people
        assert (table["n"] >= fairness.MIN_GROUP).all()
        assert not table["recommended_rate"].any()  # no plans stored yet
    # A stored plan counts; an objection to automated scoring takes the person out.
    person, objector = trained["org"]["org"].employees["employee_id"].iloc[:2]
    with session_scope(engine) as s:
        s.add(Recommendation(model_version_id=trained["version"], employee_id=person,
                             program_id=trained["org"]["org"].programs["program_id"].iloc[0],
                             rank=1, expected_gain=0.2))
        s.execute(update(Employee).where(Employee.employee_id == objector)
                  .values(scoring_opt_out=True))
    rep = fairness.fairness_report(engine, "history", year=2026)
    assert rep.n_people == 119 and rep.opted_out == 1
    loc = rep.tables["location"]
    shown = loc["n"].sum()
    assert (loc["recommended_rate"] * loc["n"]).round().sum() in (0, 1)
    assert shown + rep.hidden["location"][1] == 119


def test_unknown_is_shown_but_not_compared():
    people = _people({"A": (20, 10, 0), "B": (20, 8, 0), fairness.UNKNOWN: (15, 15, 0)})
    table, _, _ = fairness.audit_table(people, "gender")
    t = table.set_index("group")
    assert table["group"].iloc[-1] == fairness.UNKNOWN  # last, whatever its size
    assert t.loc[fairness.UNKNOWN, "flag_rate"] == 1.0
    assert np.isnan(t.loc[fairness.UNKNOWN, "flag_ratio"])
    assert not t.loc[fairness.UNKNOWN, "flag_low"]
    assert t.loc["A", "flag_ratio"] == 1.0  # the reference is the highest *known* group
    assert t.loc["B", "flag_ratio"] == pytest.approx(0.8) and not t.loc["B", "flag_low"]


def test_shared_feature_frame_gives_the_same_report(engine, trained):
    """With the feature frame passed in (built once by the page, opted-out people left out
    of it as training does), the audit is the one computed from the store directly."""
    from core.features import load_history
    from core.model_report import training_features

    with session_scope(engine) as s:
        objector = trained["org"]["org"].employees["employee_id"].iloc[3]
        s.execute(update(Employee).where(Employee.employee_id == objector)
                  .values(scoring_opt_out=True))
    history = load_history(engine)
    fast = fairness.fairness_report(engine, "history", year=2026,
                                    features=training_features(history=history))
    assert history.employees["employee_id"].eq(objector).any()  # the shared frames: intact
    slow = fairness.fairness_report(engine, "history", year=2026)
    assert (fast.n_people, fast.opted_out, fast.period) == (slow.n_people, slow.opted_out,
                                                           slow.period)
    for dim in fairness.DIMENSIONS:
        pd.testing.assert_frame_equal(fast.tables[dim], slow.tables[dim])
        assert fast.hidden[dim] == slow.hidden[dim]
