"""Program demand from the stored plans, counted by hand on a small organization."""

import datetime as dt

import pandas as pd
import pytest

from core.db import session_scope
from core.demand import demand, latest_period, plan_rows
from core.models import Employee, ModelVersion, Program, ProgramFeedback, Recommendation
from core.plans import store_plans

# employee -> (location, department, plan of the active model: programs ranked 1..4)
PEOPLE = {
    "E1": ("Lima", "Ventas", ["P1", "P2", "P3", "P4"]),
    "E2": ("Lima", "Ventas", ["P1", "P3", "P2", "P4"]),  # sets P1 aside ("not for me")
    "E3": ("Lima", "Operaciones", ["P2", "P1", "P4", "P3"]),
    "E4": ("Cusco", "Operaciones", ["P1", "P4", "P2", "P3"]),
    "E5": ("Cusco", "Ventas", ["P4", "P1", "P3", "P2"]),
    "E6": ("Lima", "Ventas", ["P1", "P2", "P3", "P4"]),  # objected to automated scoring
    "E7": ("Cusco", "Ventas", ["P1", "P2", "P3", "P4"]),  # anonymized
}
PROGRAMS = {"P1": (10.0, 100.0), "P2": (5.0, 50.5), "P3": (8.0, 0.0), "P4": (2.0, 1200.0)}


def small_plan_org(session) -> dict:
    """Seven people, four programs, an active model with plans for 2026-Q1, an older retired
    model with plans for 2025-Q4 and a newer retired one that re-planned 2026-Q1."""
    for pid, (hours, cost) in PROGRAMS.items():
        session.add(Program(program_id=pid, title_es=f"Programa {pid}", title_en=f"Program {pid}",
                            hours=hours, cost_pen=cost, target_skills="x"))
    session.add(Employee(employee_id="M", full_name="Jefa", location="Lima",
                         department="Gerencia", email="jefa@x.pe"))
    for eid, (loc, dept, _plan) in PEOPLE.items():
        session.add(Employee(employee_id=eid, full_name=f"Nombre {eid}", email=f"{eid}@x.pe",
                             location=loc, department=dept,
                             manager_id="M" if eid in ("E1", "E2") else None,
                             scoring_opt_out=eid in ("E6", "E7"),
                             anonymized_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
                             if eid == "E7" else None))
    session.flush()
    old = ModelVersion(target="next_rating", status="retired", model_text="x",
                       params={"kind": "history"}, metrics={"trained_through": "2025-Q3"})
    active = ModelVersion(target="next_rating", status="active", model_text="x",
                          params={"kind": "history", "threshold": 0.4})
    newer = ModelVersion(target="next_rating", status="retired", model_text="x",
                         params={"kind": "history"})
    snap = ModelVersion(target="is_promoted", status="active", model_text="x",
                        params={"kind": "snapshot"})
    session.add_all([old, active, newer, snap])
    session.flush()
    for eid, (_loc, _dept, plan) in PEOPLE.items():
        for rank, pid in enumerate(plan, start=1):
            session.add(Recommendation(model_version_id=active.id, employee_id=eid,
                                       program_id=pid, rank=rank, expected_gain=0.4 / rank,
                                       risk_low=0.1 * int(eid[1:]), period="2026-Q1"))
            session.add(Recommendation(model_version_id=newer.id, employee_id=eid,
                                       program_id="P4", rank=rank, expected_gain=0.1,
                                       period="2026-Q1"))
    # the old model's plan has no quarter stored: the one after its last labelled quarter
    session.add(Recommendation(model_version_id=old.id, employee_id="E1", program_id="P3",
                               rank=1, expected_gain=0.2))
    session.add(ProgramFeedback(employee_id="E2", program_id="P1", reason="no_time"))
    session.flush()
    return {"active": active.id, "old": old.id, "newer": newer.id}


@pytest.fixture
def plan_org(engine):
    with session_scope(engine) as s:
        return small_plan_org(s)


def _cell(table: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for k, v in where.items():
        mask &= table[k] == v
    rows = table[mask]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_counts_by_location_and_quarter(engine, plan_org):
    with session_scope(engine, write=False) as s:
        table = demand(s, session_size=2)
    q1 = table[table["period"] == "2026-Q1"]
    # P1 in the top 3: E1, E3 (Lima; E2 set it aside, E6 opted out), E4, E5 (Cusco; E7 gone)
    p1_lima = _cell(q1, program_id="P1", location="Lima")
    assert p1_lima["employees"] == 2
    assert p1_lima["total_hours"] == 20.0 and p1_lima["total_cost_pen"] == 200.0
    assert p1_lima["sessions"] == 1
    assert _cell(q1, program_id="P1", location="Cusco")["employees"] == 2
    # P2 in Lima: E1, E2, E3 -> 3 people, 2 sessions of 2, S/ 151.50
    p2_lima = _cell(q1, program_id="P2", location="Lima")
    assert (p2_lima["employees"], p2_lima["sessions"]) == (3, 2)
    assert p2_lima["total_cost_pen"] == pytest.approx(151.5)
    # P4 is 4th for E1/E2 and only the active model counts for 2026-Q1 (not the newer one)
    assert _cell(q1, program_id="P4", location="Lima")["employees"] == 1  # E3
    assert _cell(q1, program_id="P4", location="Cusco")["employees"] == 2  # E4, E5
    assert q1["employees"].sum() == 5 * 3 - 1  # five people, three each, one set aside
    # the old model's plan lands in the quarter after its last labelled quarter
    q4 = table[table["period"] == "2025-Q4"]
    assert _cell(q4, program_id="P3", location="Lima")["employees"] == 1
    assert set(table["period"]) == {"2026-Q1", "2025-Q4"}


def test_totals_without_location_or_quarter(engine, plan_org):
    with session_scope(engine, write=False) as s:
        total = demand(s, session_size=20, by_location=False, by_period=False)
        rows = plan_rows(s)
    assert _cell(total, program_id="P1")["employees"] == 4
    assert _cell(total, program_id="P3")["employees"] == 3  # E1, E2, E5 (E1 twice: once)
    assert (total["sessions"] == 1).all()
    assert latest_period(rows) == "2026-Q1"
    assert not rows["employee_id"].isin(["E6", "E7"]).any()


def test_empty_and_bad_session_size(engine):
    with session_scope(engine, write=False) as s:
        assert demand(s).empty
        with pytest.raises(ValueError):
            demand(s, session_size=0)


def test_store_plans_keeps_risk_and_quarter(engine, plan_org):
    plans = pd.DataFrame({
        "employee_id": ["E1", "E1"], "program_id": ["P1", "P2"], "rank": [1, 2],
        "expected_gain": [0.3, 0.2], "low": [0.1, None], "high": [0.5, 0.4],
        "reasons": [{"sentences": {}}, {"sentences": {}}], "risk_low": [0.62, 0.62],
        "period": ["2026-Q2", "2026-Q2"]})
    assert store_plans(engine, plan_org["newer"], plans) == 2
    with session_scope(engine, write=False) as s:
        from sqlalchemy import select

        got = s.execute(select(Recommendation.risk_low, Recommendation.period).where(
            Recommendation.model_version_id == plan_org["newer"])).all()
    assert got == [(0.62, "2026-Q2"), (0.62, "2026-Q2")]
