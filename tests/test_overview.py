"""Home-page counts: right numbers, and only over what the viewer may see."""

import pandas as pd
import pytest
from sqlalchemy import select

from core.db import session_scope
from core.models import Measurement, ModelVersion, ProgramFeedback, Recommendation
from core.overview import changes, headline
from core.requests import create_request
from core.users import add_user, current_user
from tests.orgs import stored_team_org


@pytest.fixture
def org(engine, tmp_path):
    o = stored_team_org(engine, tmp_path / "org", employees=60, quarters=3, seed=13)
    with session_scope(engine) as s:
        add_user(s, username="jefe", password="12345678", role="manager", employee_id=o["boss"])
        add_user(s, username="yo", password="12345678", role="employee",
                 employee_id=o["team"][0])
        add_user(s, username="rrhh", password="12345678", role="hr")
        add_user(s, username="cap", password="12345678", role="trainer")
    return o


def _moves(engine, ids=None) -> tuple[int, int]:
    with session_scope(engine, write=False) as s:
        rows = pd.DataFrame(s.execute(select(Measurement.employee_id, Measurement.period,
                                             Measurement.value)
                                      .where(Measurement.kind == "rating")).all(),
                            columns=["e", "p", "v"]).dropna()
    wide = rows.pivot(index="e", columns="p", values="v")
    last, prev = sorted(wide.columns)[-1], sorted(wide.columns)[-2]
    if ids is not None:
        wide = wide[wide.index.isin(ids)]
    both = wide[[prev, last]].dropna()
    return int((both[last] > both[prev]).sum()), int((both[last] < both[prev]).sum())


def test_rating_moves_match_the_measurements(engine, org):
    with session_scope(engine, write=False) as s:
        hr = changes(s, current_user(s, "rrhh"))
        mgr = changes(s, current_user(s, "jefe"))
    assert (hr.improved, hr.declined) == _moves(engine)
    assert hr.improved + hr.declined > 0
    assert (mgr.improved, mgr.declined) == _moves(engine, set(org["team"]))
    assert mgr.improved + mgr.declined < hr.improved + hr.declined


def test_trainer_and_employee_get_no_team_counts(engine, org):
    with session_scope(engine, write=False) as s:
        for name in ("cap", "yo"):
            ch = changes(s, current_user(s, name))
            assert (ch.improved, ch.declined, ch.at_risk, ch.pending_decisions) == (0, 0, None, 0)


def test_pending_decisions_count_only_the_managers_reports(engine, org):
    member, outsider = org["team"][0], org["outsider"]
    program = org["org"].programs["program_id"].iloc[0]
    with session_scope(engine) as s:
        hr = current_user(s, "rrhh")
        create_request(s, current_user(s, "yo"), member, program)
        create_request(s, hr, outsider, program)
    with session_scope(engine, write=False) as s:
        assert changes(s, current_user(s, "jefe")).pending_decisions == 1
        assert changes(s, current_user(s, "rrhh")).pending_decisions == 2
        me = changes(s, current_user(s, "yo"))
    assert me.own_open_requests == 1


def test_at_risk_and_own_plan_come_from_the_active_model(engine, org):
    member, outsider = org["team"][0], org["outsider"]
    programs = list(org["org"].programs["program_id"][:3])
    with session_scope(engine) as s:
        old = ModelVersion(target="rating", status="archived", params={"threshold": 0.1},
                           model_text="x")
        mv = ModelVersion(target="rating", status="active", params={"threshold": 0.4},
                          model_text="x")
        s.add_all([old, mv])
        s.flush()
        for rank, pid in enumerate(programs, start=1):
            s.add(Recommendation(model_version_id=mv.id, employee_id=member, program_id=pid,
                                 rank=rank, expected_gain=0.1, risk_low=0.7))
            s.add(Recommendation(model_version_id=mv.id, employee_id=outsider, program_id=pid,
                                 rank=rank, expected_gain=0.1, risk_low=0.3))
            s.add(Recommendation(model_version_id=old.id, employee_id=outsider,
                                 program_id=pid, rank=rank, expected_gain=0.1, risk_low=0.9))
        s.add(ProgramFeedback(employee_id=member, program_id=programs[0], reason="no_time"))
    with session_scope(engine, write=False) as s:
        assert changes(s, current_user(s, "rrhh")).at_risk == 1
        assert changes(s, current_user(s, "jefe")).at_risk == 1
        assert changes(s, current_user(s, "yo")).plan_size == 2


def test_a_managers_headline_counts_the_team_without_themself(engine, org):
    with session_scope(engine, write=False) as s:
        assert headline(s, current_user(s, "jefe")).people == len(org["team"])
        assert headline(s, current_user(s, "yo")).people == 1
