"""Measured effectiveness: estimated gain against the observed before/after change."""

import pytest

from core.db import session_scope
from core.effectiveness import MIN_COMPLETIONS, effectiveness
from core.models import (
    Employee,
    Measurement,
    ModelVersion,
    Program,
    Recommendation,
    TrainingRecord,
)


def _measure(session, eid, period, rating, skill):
    session.add(Measurement(employee_id=eid, period=period, kind="rating",
                            name="performance_rating", value=rating))
    session.add(Measurement(employee_id=eid, period=period, kind="skill", name="excel",
                            value=skill))
    session.add(Measurement(employee_id=eid, period=period, kind="skill", name="oratoria",
                            value=3.0))


@pytest.fixture
def org(engine):
    """12 completed P1 in 2026-Q1 (rating 3 -> 4, excel 2.0 -> 2.5); 9 completed P2 (too few);
    10 took nothing (rating 3 -> 3.2, excel flat); 2 completed P1 with no later quarter."""
    with session_scope(engine) as s:
        s.add_all([Program(program_id="P1", title_es="Excel", title_en="Excel (en)",
                           target_skills="excel", hours=10, cost_pen=100),
                   Program(program_id="P2", title_es="Oratoria", target_skills="oratoria"),
                   Program(program_id="P3", title_es="Nadie")])
        ids = [f"E{i:02d}" for i in range(33)]
        s.add_all([Employee(employee_id=e, full_name=e, location="Lima") for e in ids])
        s.flush()
        for i, eid in enumerate(ids):
            if i < 12:  # P1
                _measure(s, eid, "2026-Q1", 3.0, 2.0)
                _measure(s, eid, "2026-Q2", 4.0, 2.5)
                s.add(TrainingRecord(employee_id=eid, program_id="P1", period="2026-Q1",
                                     status="completed"))
            elif i < 21:  # P2: 9 completions
                _measure(s, eid, "2026-Q1", 3.0, 2.0)
                _measure(s, eid, "2026-Q2", 3.0, 2.0)
                s.add(TrainingRecord(employee_id=eid, program_id="P2", period="2026-Q1",
                                     status="completed"))
            elif i < 31:  # nothing
                _measure(s, eid, "2026-Q1", 3.0, 2.0)
                _measure(s, eid, "2026-Q2", 3.2, 2.0)
                s.add(TrainingRecord(employee_id=eid, program_id="P1", period="2026-Q1",
                                     status="dropped" if i % 2 else "enrolled"))
            else:  # completed P1 in the newest quarter: no "after" yet
                _measure(s, eid, "2026-Q2", 3.0, 2.0)
                s.add(TrainingRecord(employee_id=eid, program_id="P1", period="2026-Q2",
                                     status="completed"))
        mv = ModelVersion(target="next_rating", status="active", model_text="x",
                          params={"kind": "history"})
        s.add(mv)
        s.flush()
        for i, eid in enumerate(ids[:4]):
            s.add(Recommendation(model_version_id=mv.id, employee_id=eid, program_id="P1",
                                 rank=1, expected_gain=0.3 if i % 2 else 0.5))


def test_observed_against_estimated(engine, org):
    with session_scope(engine, write=False) as s:
        result = effectiveness(s)
    table = result.table
    assert list(table["program_id"]) == ["P1"]
    p1 = table.iloc[0]
    assert p1["completions"] == 12
    assert p1["title_en"] == "Excel (en)"
    assert (p1["rating_before"], p1["rating_after"]) == (3.0, 4.0)
    assert p1["observed_change"] == pytest.approx(1.0)
    assert p1["baseline_change"] == pytest.approx(0.2)  # the 10 who completed nothing
    assert p1["observed_vs_baseline"] == pytest.approx(0.8)
    assert p1["skill_change"] == pytest.approx(0.5)
    assert p1["skill_baseline_change"] == pytest.approx(0.0)
    assert p1["estimated_gain"] == pytest.approx(0.4)
    assert p1["recommended"] == 4


def test_programs_under_the_minimum_are_hidden(engine, org):
    with session_scope(engine, write=False) as s:
        result = effectiveness(s)
        assert "P2" not in set(result.table["program_id"])
        assert result.hidden == 1  # P2 (9 < 10); P3 has no completion at all
        assert MIN_COMPLETIONS == 10
        lower = effectiveness(s, min_completions=9)
    assert set(lower.table["program_id"]) == {"P1", "P2"}
    assert lower.table.set_index("program_id").loc["P2", "estimated_gain"] != \
        lower.table.set_index("program_id").loc["P2", "estimated_gain"]  # NaN: not recommended


def test_empty_store(engine):
    with session_scope(engine, write=False) as s:
        result = effectiveness(s)
    assert result.table.empty and result.hidden == 0
