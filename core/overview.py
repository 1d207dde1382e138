"""Headline numbers for the home page, computed only over what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import visible_employee_ids
from core.contract import period_key
from core.models import (
    DatasetVersion,
    Employee,
    Measurement,
    Program,
    ProgramFeedback,
    Recommendation,
    TrainingRequest,
)
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


def _team_scope(user: CurrentUser, ids: set[str] | None) -> set[str] | None:
    """A manager's numbers are about their team, as on the Equipo page: not themself."""
    if user.role == "manager" and ids is not None:
        return ids - {user.employee_id}
    return ids


def headline(session: Session, user: CurrentUser) -> Headline:
    """The viewer's scope: everyone for HR and trainers (aggregates), team, or self."""
    ids = visible_employee_ids(session, user)
    scope = None if user.role in ("hr", "trainer") else _team_scope(user, ids)
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


@dataclass(frozen=True)
class Changes:
    """What moved since the previous quarter in the viewer's scope, and what waits for them."""

    previous_period: str | None
    improved: int
    declined: int
    at_risk: int | None  # people flagged by the active model; None without a model or scope
    pending_decisions: int  # requests this viewer may approve or reject
    own_open_requests: int  # the viewer's own requests still requested or approved
    plan_size: int  # programs in the viewer's own plan


def _ratings_by_person(session: Session, period: str, ids: set[str] | None) -> dict[str, float]:
    q = select(Measurement.employee_id, Measurement.value).where(
        Measurement.kind == "rating", Measurement.period == period,
        Measurement.value.isnot(None))
    if ids is not None:
        q = q.where(Measurement.employee_id.in_(ids))
    return {e: float(v) for e, v in session.execute(q).all()}


def changes(session: Session, user: CurrentUser) -> Changes:
    """Set-based counts only; individual rows never leave this function."""
    from core.team import active_risk_model

    visible = visible_employee_ids(session, user)
    scoped = user.role in ("hr", "manager")  # trainers and employees get no team counts
    ids = _team_scope(user, visible) if scoped else set()
    periods = sorted(session.scalars(select(Measurement.period).distinct()).all(),
                     key=period_key)
    improved = declined = 0
    previous = periods[-2] if len(periods) > 1 else None
    if previous and (ids is None or ids):
        now = _ratings_by_person(session, periods[-1], ids)
        before = _ratings_by_person(session, previous, ids)
        both = now.keys() & before.keys()
        improved = sum(now[e] > before[e] for e in both)
        declined = sum(now[e] < before[e] for e in both)

    at_risk = None
    version, threshold = active_risk_model(session)  # one lookup for both
    if scoped and version is not None and threshold is not None and (ids is None or ids):
        q = (select(func.count(func.distinct(Recommendation.employee_id)))
             .where(Recommendation.model_version_id == version,
                    Recommendation.risk_low >= threshold))
        if ids is not None:
            q = q.where(Recommendation.employee_id.in_(ids))
        at_risk = session.scalar(q) or 0

    pending = 0
    if user.role in ("hr", "manager"):
        q = select(func.count()).select_from(TrainingRequest).where(
            TrainingRequest.status == "requested")
        if user.role == "manager":
            reports = (visible or set()) - {user.employee_id}
            q = q.where(TrainingRequest.employee_id.in_(reports)) if reports else None
        pending = (session.scalar(q) or 0) if q is not None else 0

    own_open = plan_size = 0
    if user.employee_id:
        own_open = session.scalar(select(func.count()).select_from(TrainingRequest).where(
            TrainingRequest.employee_id == user.employee_id,
            TrainingRequest.status.in_(("requested", "approved")))) or 0
        if version is not None:
            dismissed = select(ProgramFeedback.program_id).where(
                ProgramFeedback.employee_id == user.employee_id)
            plan_size = session.scalar(select(func.count()).select_from(Recommendation).where(
                Recommendation.model_version_id == version,
                Recommendation.employee_id == user.employee_id,
                Recommendation.program_id.not_in(dismissed))) or 0
    return Changes(previous_period=previous, improved=improved, declined=declined,
                   at_risk=at_risk, pending_decisions=pending, own_open_requests=own_open,
                   plan_size=plan_size)
