"""Headline numbers for the home page, computed only over what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import visible_employee_ids
from core.contract import period_key
from core.models import DatasetVersion, Employee, Measurement, Program
from core.users import CurrentUser


@dataclass(frozen=True)
class Headline:
    people: int
    quarters: int
    latest_period: str | None
    avg_rating: float | None
    avg_rating_previous: float | None
    programs: int
    datasets: int


def _avg_rating(session: Session, period: str, ids: set[str] | None) -> float | None:
    q = select(func.avg(Measurement.value)).where(
        Measurement.kind == "rating", Measurement.period == period
    )
    if ids is not None:
        if not ids:
            return None
        q = q.where(Measurement.employee_id.in_(ids))
    value = session.scalar(q)
    return float(value) if value is not None else None


def headline(session: Session, user: CurrentUser) -> Headline:
    """The viewer's scope: everyone for HR and trainers (aggregates), team, or self."""
    ids = visible_employee_ids(session, user)
    scope = None if user.role in ("hr", "trainer") else ids
    if scope is None:
        people = session.scalar(
            select(func.count()).select_from(Employee).where(Employee.anonymized_at.is_(None))
        ) or 0
    else:
        people = len(scope)
    periods = sorted(
        session.scalars(select(Measurement.period).distinct()).all(), key=period_key
    )
    latest = periods[-1] if periods else None
    previous = periods[-2] if len(periods) > 1 else None
    return Headline(
        people=people,
        quarters=len(periods),
        latest_period=latest,
        avg_rating=_avg_rating(session, latest, scope) if latest else None,
        avg_rating_previous=_avg_rating(session, previous, scope) if previous else None,
        programs=session.scalar(select(func.count()).select_from(Program)) or 0,
        datasets=session.scalar(select(func.count()).select_from(DatasetVersion)) or 0,
    )
