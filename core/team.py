"""A team's performance over time, for the people the viewer may see.

Every function takes the signed-in user and asks `core.access` who that is; a manager asking
for someone outside their team gets nothing, whatever the path.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import reports_of, visible_employee_ids
from core.contract import period_key
from core.models import (
    Employee,
    Measurement,
    ModelVersion,
    Program,
    ProgramFeedback,
    Recommendation,
    TrainingRequest,
)
from core.plans import active_model_version
from core.requests import STATES
from core.users import CurrentUser

MEMBER_COLUMNS = [
    "employee_id", "full_name", "job_role", "location", "period", "rating", "previous",
    "trend", "history", "risk", "at_risk", "opted_out", "top_program_id", "top_program_es",
    "top_program_en", "requests_open", *[f"req_{s}" for s in STATES],
]
RISK_FILTERS = ("all", "at_risk", "not_at_risk", "no_score")


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


def _scoped(session: Session, user: CurrentUser, ids: set[str]) -> set[str]:
    """``ids`` cut down to the people the viewer may see (a manager: own team only)."""
    visible = visible_employee_ids(session, user)
    return set(ids) if visible is None else set(ids) & visible


def _ratings(session: Session, ids: set[str]) -> pd.DataFrame:
    if not ids:
        return pd.DataFrame(columns=["employee_id", "period", "value"])
    q = select(Measurement.employee_id, Measurement.period, Measurement.value).where(
        Measurement.kind == "rating", Measurement.employee_id.in_(ids))
    return pd.DataFrame(session.execute(q).all(), columns=["employee_id", "period", "value"])


def organization_trend(session: Session) -> pd.Series:
    """Mean rating per quarter of the whole organization (an aggregate, same for everyone)."""
    rows = session.execute(select(Measurement.period, func.avg(Measurement.value)).where(
        Measurement.kind == "rating", Measurement.period.isnot(None))
        .group_by(Measurement.period)).all()
    return pd.Series({p: float(v) for p, v in rows if v is not None}, name="organization",
                     dtype=float)


def rating_trend(session: Session, user: CurrentUser, ids: set[str],
                 org: pd.Series | None = None) -> pd.DataFrame:
    """Mean rating per quarter of the team (people the viewer may see) and of the organization.

    ``org`` is :func:`organization_trend`, passed in when the caller has it cached.
    """
    org = organization_trend(session) if org is None else org
    ratings = _ratings(session, _scoped(session, user, ids))
    team = ratings.groupby("period")["value"].mean().rename("team")
    out = pd.concat([team, org.rename("organization")], axis=1)
    out.index.name = "period"
    out = out.reset_index()
    out = out[out["period"].notna()]
    out = out.astype({"team": float, "organization": float})
    return out.sort_values("period", key=lambda s: s.map(period_key)).reset_index(drop=True)


def rating_distribution(session: Session, user: CurrentUser, ids: set[str],
                        period: str) -> pd.Series:
    r = _ratings(session, _scoped(session, user, ids))
    r = r[(r["period"] == period) & r["value"].notna()]
    return r["value"].round().astype(int).value_counts().reindex(range(1, 6), fill_value=0)


def active_risk_model(session: Session) -> tuple[int | None, float | None]:
    """The active history model and the score from which it flags a person "at risk"
    (F1-optimal, from training; 0.5 when training stored none); (None, None) without a
    model. One lookup for pages that need both."""
    version = active_model_version(session)
    if version is None:
        return None, None
    thr = (session.get(ModelVersion, version).params or {}).get("threshold")
    return version, float(thr) if thr is not None else 0.5


def risk_threshold(session: Session) -> float | None:
    """Score from which the active model flags a person "at risk" (None: no model)."""
    return active_risk_model(session)[1]


def members_table(session: Session, user: CurrentUser, ids: set[str]) -> pd.DataFrame:
    """One row per member the viewer may see.

    Latest rating and its change, the rating history (for a sparkline), the risk of a low
    rating stored with the active model's plan, whether that risk is above the model's
    threshold, the top program still in the person's plan, and their requests by state.
    A fixed number of set-based queries whatever the team size.
    """
    ids = _scoped(session, user, ids)
    if not ids:
        return pd.DataFrame(columns=MEMBER_COLUMNS)
    people = pd.DataFrame(session.execute(select(
        Employee.employee_id, Employee.full_name, Employee.job_role, Employee.location,
        Employee.scoring_opt_out).where(
        Employee.employee_id.in_(ids), Employee.anonymized_at.is_(None))).all(),
        columns=["employee_id", "full_name", "job_role", "location", "opted_out"])
    people["opted_out"] = people["opted_out"].fillna(False).astype(bool)
    ids = set(people["employee_id"])
    r = _ratings(session, ids)
    r = r[r["value"].notna()]
    if not r.empty:
        r = r.assign(_pk=r["period"].map(period_key)).sort_values(["employee_id", "_pk"])
        grouped = r.groupby("employee_id")
        last = grouped.tail(1).set_index("employee_id")
        prev = grouped.nth(-2).set_index("employee_id")
        history = grouped["value"].agg(list)
        people["period"] = people["employee_id"].map(last["period"])
        people["rating"] = people["employee_id"].map(last["value"]).astype(float)
        people["previous"] = people["employee_id"].map(prev["value"]).astype(float)
        people["history"] = people["employee_id"].map(history)
    else:
        people["period"] = None
        people["rating"] = float("nan")
        people["previous"] = float("nan")
        people["history"] = None
    people["history"] = people["history"].map(lambda h: h if isinstance(h, list) else [])
    people["trend"] = people["rating"] - people["previous"]

    version, threshold = active_risk_model(session)
    people["risk"] = float("nan")
    people["top_program_id"] = None
    people["top_program_es"] = None
    people["top_program_en"] = None
    if version is not None:
        recs = pd.DataFrame(session.execute(
            select(Recommendation.employee_id, Recommendation.program_id, Recommendation.rank,
                   Recommendation.risk_low, Program.title_es, Program.title_en)
            .join(Program, Program.program_id == Recommendation.program_id)
            .where(Recommendation.model_version_id == version,
                   Recommendation.employee_id.in_(ids))).all(),
            columns=["employee_id", "program_id", "rank", "risk", "title_es", "title_en"])
        if not recs.empty:
            risk = recs.groupby("employee_id")["risk"].max()
            people["risk"] = people["employee_id"].map(risk).astype(float)
            dismissed = pd.DataFrame(session.execute(
                select(ProgramFeedback.employee_id, ProgramFeedback.program_id).where(
                    ProgramFeedback.employee_id.in_(ids))).all(),
                columns=["employee_id", "program_id"])
            if not dismissed.empty:
                recs = recs.merge(dismissed.assign(_gone=True), how="left",
                                  on=["employee_id", "program_id"])
                recs = recs[recs["_gone"].isna()]
            top = recs.sort_values(["employee_id", "rank"]).groupby("employee_id").head(1)
            top = top.set_index("employee_id")
            people["top_program_id"] = people["employee_id"].map(top["program_id"])
            people["top_program_es"] = people["employee_id"].map(top["title_es"])
            people["top_program_en"] = people["employee_id"].map(top["title_en"]).fillna(
                people["top_program_es"])
    people.loc[people["opted_out"], "risk"] = float("nan")
    people["at_risk"] = (people["risk"] >= threshold) if version is not None else False
    people.loc[people["risk"].isna(), "at_risk"] = False
    people["at_risk"] = people["at_risk"].astype(bool)

    req = pd.DataFrame(session.execute(
        select(TrainingRequest.employee_id, TrainingRequest.status, func.count())
        .where(TrainingRequest.employee_id.in_(ids))
        .group_by(TrainingRequest.employee_id, TrainingRequest.status)).all(),
        columns=["employee_id", "status", "n"])
    counts = req.pivot_table(index="employee_id", columns="status", values="n",
                             aggfunc="sum") if not req.empty else pd.DataFrame()
    for state in STATES:
        col = counts[state] if state in counts else pd.Series(dtype=float)
        people[f"req_{state}"] = people["employee_id"].map(col).fillna(0).astype(int)
    people["requests_open"] = people["req_requested"]
    return people[MEMBER_COLUMNS].sort_values("full_name", na_position="last").reset_index(
        drop=True)


def filter_members(table: pd.DataFrame, text: str = "", risk: str = "all") -> pd.DataFrame:
    """Rows whose name, role, location or top program contains ``text``; ``risk`` is one of
    :data:`RISK_FILTERS`."""
    out = table
    q = (text or "").strip().lower()
    if q:
        hay = (out["full_name"].fillna("") + " " + out["job_role"].fillna("") + " "
               + out["location"].fillna("") + " " + out["top_program_es"].fillna("") + " "
               + out["top_program_en"].fillna("")).str.lower()
        out = out[hay.str.contains(q, regex=False)]
    if risk == "at_risk":
        out = out[out["at_risk"]]
    elif risk == "not_at_risk":
        out = out[~out["at_risk"] & out["risk"].notna()]
    elif risk == "no_score":
        out = out[out["risk"].isna()]
    return out.reset_index(drop=True)
