"""Team views return only what the viewer may see."""

import pytest

from core import synthetic
from core.db import session_scope
from core.ingest import UploadFile, ingest
from core.team import managers, members_table, rating_trend, team_ids
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
        table = members_table(s, ids)
        assert set(table.employee_id) == expected
        assert table["rating"].notna().all()
        trend = rating_trend(s, ids)
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
