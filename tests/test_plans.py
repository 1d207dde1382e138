"""Plan data: only for people in scope, audited, 'not for me' removes the program."""

import pytest
from sqlalchemy import select

from core.db import session_scope
from core.models import AuditLog, ModelVersion, Recommendation
from core.plans import NotAllowed, not_for_me, profile, stored_plan
from core.users import add_user, current_user
from tests.orgs import stored_team_org


@pytest.fixture
def org(engine, tmp_path):
    org = stored_team_org(engine, tmp_path / "org", seed=11)
    boss, team, outsider = org["boss"], org["team"], org["outsider"]
    with session_scope(engine) as s:
        add_user(s, username="jefe", password="12345678", role="manager", employee_id=boss)
        add_user(s, username="ana", password="12345678", role="employee", employee_id=team[0])
        add_user(s, username="cap", password="12345678", role="trainer")
        mv = ModelVersion(target="rating", status="active", model_text="x")
        s.add(mv)
        s.flush()
        for rank, pid in enumerate(["P01", "P02", "P03"], start=1):
            s.add(Recommendation(model_version_id=mv.id, employee_id=team[0], program_id=pid,
                                 rank=rank, expected_gain=0.3 / rank, low=0.0, high=0.5,
                                 reasons={"sentences": {"es": ["x"], "en": ["x"]}}))
    return {"team": team, "outsider": outsider}


def test_profile_and_plan_in_scope_are_audited(engine, org):
    person = org["team"][0]
    with session_scope(engine) as s:
        prof = profile(s, current_user(s, "jefe"), person)
        assert len(prof.ratings) == 3 and not prof.skills.empty
        assert prof.skills["target"].notna().any()
        plan = stored_plan(s, current_user(s, "ana"), person)
        assert plan["program_id"].tolist() == ["P01", "P02", "P03"]
    with session_scope(engine, write=False) as s:
        seen = s.scalars(select(AuditLog.username).where(AuditLog.action == "plan_viewed",
                                                         AuditLog.target_employee_id == person))
        assert list(seen) == ["jefe"]


def test_nobody_opens_a_plan_outside_their_scope(engine, org):
    with session_scope(engine) as s:
        for who in ("jefe", "ana", "cap"):
            with pytest.raises(NotAllowed):
                profile(s, current_user(s, who), org["outsider"])
            with pytest.raises(NotAllowed):
                stored_plan(s, current_user(s, who), org["outsider"])
        with pytest.raises(NotAllowed):
            profile(s, current_user(s, "cap"), org["team"][0])  # trainers: aggregates only


def test_not_for_me_takes_the_program_out(engine, org):
    person = org["team"][0]
    with session_scope(engine) as s:
        not_for_me(s, current_user(s, "ana"), person, "P02", "no_time")
        with pytest.raises(ValueError):
            not_for_me(s, current_user(s, "ana"), person, "P03", "because")
    with session_scope(engine) as s:
        assert stored_plan(s, current_user(s, "ana"), person)["program_id"].tolist() == [
            "P01", "P03"]
