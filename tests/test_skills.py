"""Skill gaps per group: the store-reading version gives the table of the full history."""

import pandas as pd
import pytest

from core.db import session_scope
from core.features import load_history
from core.models import Employee, JobRoleTarget, Measurement
from core.skills import MIN_GROUP, gap_table, gap_table_from_store
from tests.orgs import stored_team_org


@pytest.mark.parametrize("targets", ["uploaded", "estimated"])
def test_gap_table_from_store_matches_the_full_history(engine, tmp_path, targets):
    stored_team_org(engine, tmp_path / "org", employees=90, quarters=4, seed=11)
    with session_scope(engine) as s:
        if targets == "estimated":  # no job_roles upload: targets come from every quarter
            s.query(JobRoleTarget).delete()
        # someone rated but not assessed in the latest quarter still counts in the group size
        latest = max(s.query(Measurement.period).distinct().all())[0]
        someone = s.query(Measurement.employee_id).filter_by(period=latest).first()[0]
        s.query(Measurement).filter_by(employee_id=someone, period=latest,
                                       kind="skill").delete()
        # an anonymized person's group and role are gone (load_history leaves them out too)
        s.query(Employee).filter(Employee.employee_id != someone).first().anonymized_at = (
            pd.Timestamp("2026-01-01").to_pydatetime())
    history = load_history(engine)
    for by in ("department", "location"):
        expected = gap_table(history, by)
        got = gap_table_from_store(engine, by)
        assert not expected.empty
        pd.testing.assert_frame_equal(got, expected)


def test_gap_table_from_store_empty_store(engine):
    assert gap_table_from_store(engine).empty
    assert MIN_GROUP >= 5
