"""Team views return only what the viewer may see."""

import pytest

from core import synthetic
from core.db import session_scope
from core.ingest import UploadFile, ingest
from core.models import (
    Employee,
    ModelVersion,
    ProgramFeedback,
    Recommendation,
    TrainingRequest,
)
from core.team import (
    MEMBER_COLUMNS,
    active_risk_model,
    filter_members,
    managers,
    members_table,
    rating_distribution,
    rating_trend,
    risk_threshold,
    team_ids,
)
from core.users import add_user, current_user


@pytest.fixture
def org(engine, tmp_path):
    o = synthetic.generate(80, 3, seed=5)
    paths = o.write(tmp_path / "org")
    result = ingest([UploadFile.from_path(p) for k, p in paths.items() if k != "ground_truth"],
                    engine)
    assert result.status == "stored"
    emp = o.employees
    mgrs = emp["manager_id"].dropna().unique()
    staff_mgr = next(m for m in sorted(mgrs)
                     if not set(emp[emp.manager_id == m].employee_id) & set(mgrs))
    member = sorted(emp[emp.manager_id == staff_mgr].employee_id)[0]
    outsider = sorted(set(emp.employee_id) - set(emp[emp.manager_id == staff_mgr].employee_id)
                      - {staff_mgr})[0]
    with session_scope(engine) as s:
        add_user(s, username="jefe", password="12345678", role="manager",
                 employee_id=staff_mgr)
        add_user(s, username="yo", password="12345678", role="employee", employee_id=member)
        add_user(s, username="rrhh", password="12345678", role="hr")
    return {"manager": staff_mgr, "member": member, "outsider": outsider, "org": o}


def test_manager_sees_own_team_only(engine, org):
    with session_scope(engine, write=False) as s:
        jefe = current_user(s, "jefe")
        ids = team_ids(s, jefe)
        expected = set(org["org"].employees.query("manager_id == @org['manager']").employee_id)
        assert ids == expected
        assert org["outsider"] not in ids
        # asking for another manager's team through the same function gives nothing
        other = org["org"].employees.manager_id.dropna().iloc[0]
        if other != org["manager"]:
            assert team_ids(s, jefe, other) == set()
        assert [m for m, _ in managers(s, jefe)] in ([], [org["manager"]])
        table = members_table(s, jefe, ids)
        assert set(table.employee_id) == expected
        assert table["rating"].notna().all()
        trend = rating_trend(s, jefe, ids)
        assert list(trend.columns) == ["period", "team", "organization"]
        assert len(trend) == 3


def test_employee_and_trainer_get_no_team(engine, org):
    with session_scope(engine, write=False) as s:
        assert team_ids(s, current_user(s, "yo")) == set()
        assert team_ids(s, current_user(s, "yo"), org["manager"]) == set()
        assert managers(s, current_user(s, "yo")) == []


def test_hr_can_open_any_team(engine, org):
    with session_scope(engine, write=False) as s:
        hr = current_user(s, "rrhh")
        assert org["manager"] in [m for m, _ in managers(s, hr)]
        assert org["member"] in team_ids(s, hr, org["manager"])


def test_manager_never_gets_a_member_outside_the_team(engine, org):
    outsider = org["outsider"]
    with session_scope(engine, write=False) as s:
        jefe = current_user(s, "jefe")
        ids = team_ids(s, jefe)
        # even when a caller passes someone else's id, they are cut out
        table = members_table(s, jefe, ids | {outsider})
        assert outsider not in set(table.employee_id)
        assert set(table.employee_id) <= ids
        assert members_table(s, jefe, {outsider}).empty
        assert list(members_table(s, jefe, {outsider}).columns) == MEMBER_COLUMNS
        alone = rating_trend(s, jefe, {outsider})
        assert alone["team"].isna().all() and alone["organization"].notna().all()
        periods = alone["period"].tolist()
        assert rating_distribution(s, jefe, {outsider}, periods[-1]).sum() == 0
        assert rating_distribution(s, jefe, ids, periods[-1]).sum() == len(ids)
        # HR sees the outsider through the same function
        hr = current_user(s, "rrhh")
        assert outsider in set(members_table(s, hr, {outsider}).employee_id)


def test_members_table_has_risk_program_and_requests(engine, org):
    member = org["member"]
    with session_scope(engine, write=False) as s:
        jefe = current_user(s, "jefe")
        ids = sorted(team_ids(s, jefe))
        assert risk_threshold(s) is None and active_risk_model(s) == (None, None)
        before = members_table(s, jefe, set(ids))
        assert before["risk"].isna().all() and not before["at_risk"].any()
        assert before["top_program_id"].isna().all()
    other = next(e for e in ids if e != member)
    with session_scope(engine) as s:
        mv = ModelVersion(target="next_rating", status="active", model_text="x",
                          params={"kind": "history", "threshold": 0.5})
        s.add(mv)
        s.flush()
        mv_id = mv.id
        for eid, risk in ((member, 0.7), (other, 0.2)):
            for rank, pid in enumerate(["P01", "P02", "P03"], start=1):
                s.add(Recommendation(model_version_id=mv.id, employee_id=eid, program_id=pid,
                                     rank=rank, expected_gain=0.3, risk_low=risk,
                                     period="2026-Q1"))
        s.add(ProgramFeedback(employee_id=member, program_id="P01", reason="no_time"))
        s.add_all([TrainingRequest(employee_id=member, program_id="P02", requested_by="yo"),
                   TrainingRequest(employee_id=member, program_id="P03", requested_by="yo",
                                   status="approved")])
        s.get(Employee, ids[-1]).scoring_opt_out = True
    with session_scope(engine, write=False) as s:
        jefe = current_user(s, "jefe")
        assert risk_threshold(s) == 0.5 and active_risk_model(s) == (mv_id, 0.5)
        table = members_table(s, jefe, set(ids)).set_index("employee_id")
    row = table.loc[member]
    assert row["risk"] == pytest.approx(0.7) and row["at_risk"]
    assert row["top_program_id"] == "P02"  # P01 was set aside
    assert row["top_program_en"]
    assert (row["req_requested"], row["req_approved"], row["requests_open"]) == (1, 1, 1)
    assert table.loc[other, "risk"] == pytest.approx(0.2) and not table.loc[other, "at_risk"]
    assert table.loc[other, "top_program_id"] == "P01"
    if ids[-1] not in (member, other):
        assert table.loc[ids[-1], "opted_out"]
    assert all(isinstance(h, list) and h for h in table["history"])
    flat = table.reset_index()
    assert list(filter_members(flat, risk="at_risk")["employee_id"]) == [member]
    assert set(filter_members(flat, risk="not_at_risk")["employee_id"]) == {other}
    assert set(filter_members(flat, risk="no_score")["employee_id"]) == set(ids) - {member,
                                                                                     other}
    name = str(table.loc[member, "full_name"])
    found = filter_members(flat, text=name.upper())
    assert member in set(found["employee_id"])
    assert filter_members(flat, text="zzz-nadie").empty
