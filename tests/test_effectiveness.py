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


# --- the set-based rewrite gives the table the pandas pairing gave ---------------------------


def _reference(session, min_completions=MIN_COMPLETIONS):
    """The former implementation: every rating and skill row into pandas, paired there."""
    import numpy as np
    import pandas as pd
    from sqlalchemy import func, select

    from core.contract import PERIOD_RE, shift_period
    from core.plans import active_model_version

    def nxt(p):
        return shift_period(p, 1) if isinstance(p, str) and PERIOD_RE.match(p) else None

    def changes(kind, periods, wanted):
        rows = session.execute(select(Measurement.employee_id, Measurement.period,
                                      Measurement.name, Measurement.value).where(
            Measurement.kind == kind, Measurement.period.in_(wanted),
            Measurement.value.isnot(None))).all()
        values = pd.DataFrame(rows, columns=["employee_id", "period", "name", "value"])
        before = values[values["period"].isin(periods)].rename(columns={"value": "before"})
        before = before.assign(_next=before["period"].map({p: nxt(p) for p in periods}))
        after = values.rename(columns={"value": "after", "period": "_next"})
        out = before.merge(after, on=["employee_id", "_next", "name"])
        out["change"] = out["after"] - out["before"]
        return out.drop(columns="_next")

    completed = pd.DataFrame(session.execute(
        select(TrainingRecord.employee_id, TrainingRecord.program_id, TrainingRecord.period)
        .where(TrainingRecord.status == "completed")).all(),
        columns=["employee_id", "program_id", "period"]).drop_duplicates()
    programs = pd.DataFrame(session.execute(select(
        Program.program_id, Program.title_es, Program.title_en, Program.target_skills)).all(),
        columns=["program_id", "title_es", "title_en", "target_skills"])
    periods = sorted(set(completed["period"].dropna()))
    wanted = set(periods) | {n for p in periods if (n := nxt(p))}
    ratings = changes("rating", periods, wanted).drop(columns="name")
    trained = completed[["employee_id", "period"]].drop_duplicates().assign(_trained=True)
    ratings = ratings.merge(trained, how="left", on=["employee_id", "period"])
    base_rating = ratings[ratings["_trained"].isna()].groupby("period")["change"].mean()
    done = completed.merge(ratings[["employee_id", "period", "before", "after", "change"]],
                           on=["employee_id", "period"])
    targets = {r.program_id: [s.strip() for s in str(r.target_skills or "").split(";")
                              if s.strip()] for r in programs.itertuples()}
    skills = changes("skill", periods, wanted).merge(trained, how="left",
                                                      on=["employee_id", "period"])
    base_skill = skills[skills["_trained"].isna()].groupby(["period", "name"])["change"].mean()
    skill_idx = skills.set_index(["employee_id", "period", "name"])["change"]
    version = active_model_version(session)
    est = pd.DataFrame(session.execute(
        select(Recommendation.program_id, func.avg(Recommendation.expected_gain),
               func.count(func.distinct(Recommendation.employee_id)))
        .where(Recommendation.model_version_id == version)
        .group_by(Recommendation.program_id)).all(),
        columns=["program_id", "estimated_gain", "recommended"])
    rows, hidden = [], 0
    for pid, grp in done.groupby("program_id"):
        n = int(grp["employee_id"].count())
        if n < min_completions:
            hidden += 1
            continue
        names = targets.get(pid, [])
        skill_change = skill_base = np.nan
        if names and len(skill_idx):
            own = skill_idx.reindex([(e, p, s) for e, p in zip(grp["employee_id"],
                                                               grp["period"], strict=True)
                                     for s in names]).dropna()
            skill_change = float(own.mean()) if len(own) else np.nan
            base = base_skill.reindex([(p, s) for p in grp["period"] for s in names]).dropna()
            skill_base = float(base.mean()) if len(base) else np.nan
        observed = float(grp["change"].mean())
        baseline = float(grp["period"].map(base_rating).mean())
        rows.append({"program_id": pid, "completions": n,
                     "rating_before": float(grp["before"].mean()),
                     "rating_after": float(grp["after"].mean()),
                     "observed_change": observed, "baseline_change": baseline,
                     "skill_change": skill_change, "skill_baseline_change": skill_base})
    table = pd.DataFrame(rows).merge(est, on="program_id", how="left")
    table["recommended"] = table["recommended"].fillna(0).astype(int)
    return table.sort_values("program_id").reset_index(drop=True), hidden


def test_same_table_as_the_pandas_pairing_on_a_synthetic_org(engine, tmp_path):
    """A generated org (several quarters, many programs, people with and without training,
    multi-skill programs): the SQL aggregation reproduces the former pandas result."""
    import pandas as pd
    from sqlalchemy import select

    from core.plans import compute_plans, store_plans
    from core.training import train_from_store
    from tests.orgs import stored_team_org

    stored_team_org(engine, tmp_path / "org", employees=120, quarters=5, seed=3)
    with session_scope(engine) as s:  # someone who completed two programs in one quarter
        first = s.query(TrainingRecord).filter_by(status="completed").first()
        taken = set(s.scalars(select(TrainingRecord.program_id).where(
            TrainingRecord.employee_id == first.employee_id,
            TrainingRecord.period == first.period)))
        other = next(p for p in s.scalars(select(Program.program_id)) if p not in taken)
        s.add(TrainingRecord(employee_id=first.employee_id, program_id=other,
                             period=first.period, status="completed"))
    train_from_store(engine, budget_seconds=1, max_trials=1)
    version, plans, _ctx = compute_plans(engine, top_k=3)
    store_plans(engine, version, plans)
    with session_scope(engine, write=False) as s:
        new = effectiveness(s, min_completions=3)
        ref, hidden = _reference(s, min_completions=3)
    assert len(ref) >= 3 and new.hidden == hidden
    cols = [c for c in ref.columns]
    pd.testing.assert_frame_equal(new.table[cols], ref[cols], check_dtype=False)
