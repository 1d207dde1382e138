"""Skill gaps and program feedback in aggregate: what trainers may see (no individuals).

Groups smaller than MIN_GROUP people are left out, so an aggregate cannot be read back as
one person's data.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from core.contract import SKILL_PREFIX, period_key
from core.db import query_frame, session_factory
from core.features import History, measurements_wide, role_targets
from core.models import Employee, JobRoleTarget, Measurement, Program, ProgramFeedback

MIN_GROUP = 5


def gap_table(history: History, by: str = "department") -> pd.DataFrame:
    """Mean gap to the role's target, per group (rows) and skill (columns), latest quarter.

    Only skills a role needs count (a skill without a target for that role is not a gap).
    """
    if history.performance.empty or by not in history.employees:
        return pd.DataFrame()
    targets = role_targets(history)
    latest = history.periods[-1]
    perf = history.performance[history.performance["period"] == latest]
    perf = perf.merge(history.employees[["employee_id", "job_role", by]], on="employee_id")
    rows = []
    for skill in history.skills:
        col = SKILL_PREFIX + skill
        if col not in perf or skill not in targets:
            continue
        target = perf["job_role"].map(targets[skill])
        gap = (target - perf[col]).clip(lower=0).where(target.notna())
        rows.append(pd.DataFrame({by: perf[by], "skill": skill, "gap": gap}))
    if not rows:
        return pd.DataFrame()
    long = pd.concat(rows).dropna(subset=["gap"])
    sizes = perf.groupby(by)["employee_id"].nunique()
    keep = sizes[sizes >= MIN_GROUP].index
    long = long[long[by].isin(keep)]
    return long.pivot_table(index=by, columns="skill", values="gap", aggfunc="mean").round(2)


def gap_table_from_store(engine: Engine, by: str = "department") -> pd.DataFrame:
    """:func:`gap_table` of the whole store, reading only what it needs: the skill levels
    of the latest quarter (not every measurement of every quarter), the employees' role and
    group, and the role targets (every quarter's skills only when no targets were uploaded
    and they have to be estimated). The same table as ``gap_table(load_history(engine))``."""
    cols = ["employee_id", "period", "kind", "name", "value"]
    with session_factory(engine)() as session:
        periods = session.scalars(select(Measurement.period).distinct()).all()
        periods = [p for p in periods if p is not None]
        if not periods:
            return pd.DataFrame()
        latest = max(periods, key=period_key)
        roles = pd.DataFrame(session.execute(select(
            JobRoleTarget.job_role, JobRoleTarget.skill, JobRoleTarget.target_level)).all(),
            columns=["job_role", "skill", "target_level"])
        which = Measurement.period == latest  # everyone measured then counts in a group
        if not len(roles):
            which = which | (Measurement.kind == "skill")
        meas = query_frame(session, select(
            Measurement.employee_id, Measurement.period, Measurement.kind, Measurement.name,
            Measurement.value).where(which), cols)
        emp_cols = ["employee_id", "job_role", "department", "location"]
        emp = pd.DataFrame(session.execute(select(
            Employee.employee_id, Employee.job_role, Employee.department, Employee.location)
            .where(Employee.anonymized_at.is_(None))).all(), columns=emp_cols)
    perf = measurements_wide(meas)
    return gap_table(History(emp, perf, pd.DataFrame(), pd.DataFrame(), roles), by)


def feedback_counts(engine: Engine) -> pd.DataFrame:
    """'Not for me' per program and reason."""
    with session_factory(engine)() as session:
        rows = session.execute(
            select(ProgramFeedback.program_id, Program.title_es, Program.title_en,
                   ProgramFeedback.reason, func.count())
            .join(Program, Program.program_id == ProgramFeedback.program_id)
            .group_by(ProgramFeedback.program_id, Program.title_es, Program.title_en,
                      ProgramFeedback.reason)).all()
    return pd.DataFrame(rows, columns=["program_id", "title_es", "title_en", "reason", "count"])
