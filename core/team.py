"""A team's performance over time, for the people the viewer may see.

Every function takes the signed-in user and asks `core.access` who that is; a manager asking
for someone outside their team gets nothing, whatever the path.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import reports_of, visible_employee_ids
from core.contract import period_key
from core.models import Employee, Measurement, TrainingRequest
from core.users import CurrentUser


def managers(session: Session, user: CurrentUser) -> list[tuple[str, str]]:
    """(employee_id, name) of the managers whose team the viewer may open."""
    ids = set(session.scalars(select(Employee.manager_id).where(
        Employee.manager_id.isnot(None)).distinct()).all())
    if user.role == "manager" and user.employee_id:
        allowed = (reports_of(session, user.employee_id) | {user.employee_id}) & ids
    elif user.role == "hr":
        allowed = ids
    else:
        return []
    rows = session.execute(select(Employee.employee_id, Employee.full_name).where(
        Employee.employee_id.in_(allowed))).all()
    return sorted(((r[0], r[1] or r[0]) for r in rows), key=lambda r: r[1])


def team_ids(session: Session, user: CurrentUser, manager_id: str | None = None) -> set[str]:
    """Everyone below ``manager_id`` (default: the viewer) that the viewer may see."""
    manager_id = manager_id or user.employee_id
    if not manager_id:
        return set()
    visible = visible_employee_ids(session, user)
    if visible is not None and manager_id not in visible:
        return set()
    team = reports_of(session, manager_id)
    return team if visible is None else team & visible


def _ratings(session: Session, ids: set[str] | None) -> pd.DataFrame:
    q = select(Measurement.employee_id, Measurement.period, Measurement.value).where(
        Measurement.kind == "rating")
    if ids is not None:
        if not ids:
            return pd.DataFrame(columns=["employee_id", "period", "value"])
        q = q.where(Measurement.employee_id.in_(ids))
    return pd.DataFrame(session.execute(q).all(), columns=["employee_id", "period", "value"])


def rating_trend(session: Session, ids: set[str]) -> pd.DataFrame:
    """Mean rating per quarter of the team and of the whole organization (an aggregate)."""
    org = _ratings(session, None).groupby("period")["value"].mean().rename("organization")
    team = _ratings(session, ids).groupby("period")["value"].mean().rename("team")
    out = pd.concat([team, org], axis=1).reset_index().rename(columns={"index": "period"})
    out = out[out["period"].notna()]
    return out.sort_values("period", key=lambda s: s.map(period_key)).reset_index(drop=True)


def rating_distribution(session: Session, ids: set[str], period: str) -> pd.Series:
    r = _ratings(session, ids)
    r = r[r["period"] == period]
    return r["value"].round().astype(int).value_counts().reindex(range(1, 6), fill_value=0)


def members_table(session: Session, ids: set[str]) -> pd.DataFrame:
    """One row per member: role, location, latest rating, change, and requests pending."""
    cols = ["employee_id", "full_name", "job_role", "location", "period", "rating",
            "previous", "trend", "requests_open"]
    if not ids:
        return pd.DataFrame(columns=cols)
    people = pd.DataFrame(session.execute(select(
        Employee.employee_id, Employee.full_name, Employee.job_role, Employee.location).where(
        Employee.employee_id.in_(ids), Employee.anonymized_at.is_(None))).all(),
        columns=["employee_id", "full_name", "job_role", "location"])
    r = _ratings(session, ids)
    if not r.empty:
        r["_pk"] = r["period"].map(period_key)
        r = r.sort_values(["employee_id", "_pk"])
        last = r.groupby("employee_id").tail(1).set_index("employee_id")
        prev = r.groupby("employee_id").nth(-2).set_index("employee_id")
        people["period"] = people["employee_id"].map(last["period"])
        people["rating"] = people["employee_id"].map(last["value"])
        people["previous"] = people["employee_id"].map(prev["value"])
    else:
        people["period"] = None
        people["rating"] = None
        people["previous"] = None
    people["trend"] = people["rating"] - people["previous"]
    open_requests = pd.Series(session.scalars(select(TrainingRequest.employee_id).where(
        TrainingRequest.employee_id.in_(ids),
        TrainingRequest.status == "requested")).all(), dtype="object").value_counts()
    people["requests_open"] = people["employee_id"].map(open_requests).fillna(0).astype(int)
    return people[cols].sort_values("full_name").reset_index(drop=True)
