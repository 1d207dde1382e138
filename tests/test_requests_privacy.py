"""Training requests and privacy requests, on both backends."""

import pytest
from sqlalchemy import func, select

from core.db import session_scope
from core.models import Employee, Measurement, User
from core.privacy import (
    NOTICE_VERSION,
    acknowledge,
    anonymize,
    export_employee,
    needs_ack,
    set_scoring_opt_out,
)
from core.requests import RequestError, create_request, decide, list_requests
from core.users import add_user, current_user
from tests.orgs import stored_team_org


@pytest.fixture
def org(engine, tmp_path):
    org = stored_team_org(engine, tmp_path / "org", seed=9)
    boss, team, outsider = org["boss"], org["team"], org["outsider"]
    with session_scope(engine) as s:
        add_user(s, username="jefe", password="12345678", role="manager", employee_id=boss)
        add_user(s, username="ana", password="12345678", role="employee", employee_id=team[0])
        add_user(s, username="otro", password="12345678", role="employee",
                 employee_id=outsider)
        add_user(s, username="rrhh", password="12345678", role="hr")
        add_user(s, username="cap", password="12345678", role="trainer")
    return {"boss": boss, "team": team, "outsider": outsider}


def test_request_then_manager_approves(engine, org):
    with session_scope(engine) as s:
        req = create_request(s, current_user(s, "ana"), org["team"][0], "P01")
        rid = req.id
        with pytest.raises(RequestError):  # same program twice while open
            create_request(s, current_user(s, "ana"), org["team"][0], "P01")
    with session_scope(engine) as s:
        mine = list_requests(s, current_user(s, "ana"))
        assert mine["id"].tolist() == [rid] and not mine["can_decide"].any()
        assert list_requests(s, current_user(s, "otro")).empty
        assert list_requests(s, current_user(s, "jefe"))["can_decide"].tolist() == [True]
        with pytest.raises(RequestError):
            decide(s, current_user(s, "otro"), rid, approve=True)
        done = decide(s, current_user(s, "jefe"), rid, approve=True, comment="Adelante")
        assert done.status == "approved" and done.decided_by == "jefe"
        with pytest.raises(RequestError):
            decide(s, current_user(s, "rrhh"), rid, approve=False)


def test_nobody_requests_outside_their_scope(engine, org):
    with session_scope(engine) as s:
        with pytest.raises(RequestError):
            create_request(s, current_user(s, "ana"), org["outsider"], "P01")
        with pytest.raises(RequestError):
            create_request(s, current_user(s, "jefe"), org["outsider"], "P01")
        with pytest.raises(RequestError):
            create_request(s, current_user(s, "cap"), org["team"][0], "P01")
        # a manager may not approve their own request
        own = create_request(s, current_user(s, "jefe"), org["boss"], "P02")
        with pytest.raises(RequestError):
            decide(s, current_user(s, "jefe"), own.id, approve=True)


def test_privacy_notice_ack(engine, org):
    with session_scope(engine) as s:
        assert needs_ack(current_user(s, "ana"))
        acknowledge(s, "ana")
    with session_scope(engine, write=False) as s:
        user = current_user(s, "ana")
        assert user.privacy_ack_version == NOTICE_VERSION and not needs_ack(user)


def test_export_anonymize_and_opt_out(engine, org):
    person = org["team"][0]
    with session_scope(engine) as s:
        data = export_employee(s, person, actor="rrhh")
        assert data["employee"]["employee_id"] == person
        assert data["measurements"] and data["user_accounts"][0]["username"] == "ana"
        assert "password_hash" not in data["user_accounts"][0]
        set_scoring_opt_out(s, person, True, actor="rrhh")
        assert s.get(Employee, person).scoring_opt_out
    with session_scope(engine) as s:
        n_before = s.scalar(select(func.count()).select_from(Measurement))
        pseudo = anonymize(s, person, actor="rrhh")
    with session_scope(engine, write=False) as s:
        assert s.get(Employee, person) is None
        anon = s.get(Employee, pseudo)
        assert anon.full_name is None and anon.email is None and anon.anonymized_at
        assert s.scalar(select(func.count()).select_from(Measurement)) == n_before
        assert s.scalar(select(func.count()).select_from(Measurement).where(
            Measurement.employee_id == person)) == 0
        ana = s.scalar(select(User).where(User.username == "ana"))
        assert not ana.active and ana.employee_id is None
