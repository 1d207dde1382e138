"""Demand per program from the stored plans: how many people have it in their top 3.

For planning sessions: by location and by quarter (the quarter a plan was made from), with the
total hours, the total cost in soles and the sessions needed for a given session size. Only
aggregates leave this module (counts per program, location and quarter), so trainers may see
them.

Who counts: people with a stored plan that is still in their list (a program they set aside
with "not for me" is not demand), who did not object to automated scoring and were not
anonymized. Per quarter, the plans of one model version are used: the active one when it
made plans for that quarter, otherwise the newest version that did; so retraining on the
same data never counts a person twice.
"""

from __future__ import annotations

import math

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contract import PERIOD_RE, period_key, shift_period
from core.db import query_frame
from core.models import Employee, ModelVersion, Program, ProgramFeedback, Recommendation

TOP = 3
DEFAULT_SESSION_SIZE = 20
DEMAND_COLUMNS = ["program_id", "title_es", "title_en", "location", "period", "employees",
                  "hours", "cost_pen", "total_hours", "total_cost_pen", "sessions"]


def _fallback_period(metrics: dict | None) -> str | None:
    """Plans stored before the quarter was recorded: the quarter after the model's last
    labelled quarter, which is the newest quarter of data it scored."""
    through = (metrics or {}).get("trained_through")
    if isinstance(through, str) and PERIOD_RE.match(through):
        return shift_period(through, 1)
    return None


def plan_rows(session: Session, *, top: int = TOP) -> pd.DataFrame:
    """Stored plan entries that count as demand: employee_id, program_id, rank,
    expected_gain, period, location, department, model_version_id.

    Individual rows: callers aggregate them (:func:`demand`) or apply the cohort rules
    (:mod:`core.cohort`) before anything is shown.
    """
    cols = ["employee_id", "program_id", "rank", "expected_gain", "period", "location",
            "department", "model_version_id"]
    versions = session.execute(select(ModelVersion.id, ModelVersion.status, ModelVersion.params,
                                      ModelVersion.metrics)).all()
    history = {vid: (status, _fallback_period(metrics)) for vid, status, params, metrics
               in versions if (params or {}).get("kind", "history") == "history"}
    if not history:
        return pd.DataFrame(columns=cols)
    recs = query_frame(session, select(
        Recommendation.employee_id, Recommendation.program_id, Recommendation.rank,
        Recommendation.expected_gain, Recommendation.period, Employee.location,
        Employee.department, Recommendation.model_version_id)
        .join(Employee, Employee.employee_id == Recommendation.employee_id)
        .where(Recommendation.rank <= top,
               Recommendation.model_version_id.in_(list(history)),
               Employee.anonymized_at.is_(None),
               Employee.scoring_opt_out.isnot(True)), cols)
    if recs.empty:
        return recs
    fallback = recs["model_version_id"].map({v: p for v, (_s, p) in history.items()})
    recs["period"] = recs["period"].where(recs["period"].notna(), fallback)
    recs = recs[recs["period"].notna()]
    # one model version per quarter: the active one, else the newest
    pairs = recs[["period", "model_version_id"]].drop_duplicates()
    pairs["_active"] = pairs["model_version_id"].map(
        lambda v: history[v][0] == "active")
    pairs = pairs.sort_values(["period", "_active", "model_version_id"],
                              ascending=[True, False, False])
    chosen = pairs.groupby("period").head(1)[["period", "model_version_id"]]
    recs = recs.merge(chosen, on=["period", "model_version_id"])
    dismissed = pd.DataFrame(session.execute(select(ProgramFeedback.employee_id,
                                                    ProgramFeedback.program_id)).all(),
                             columns=["employee_id", "program_id"])
    if not dismissed.empty:
        recs = recs.merge(dismissed.assign(_gone=True), how="left",
                          on=["employee_id", "program_id"])
        recs = recs[recs["_gone"].isna()].drop(columns="_gone")
    return recs[cols].reset_index(drop=True)


def latest_period(rows: pd.DataFrame) -> str | None:
    periods = rows["period"].dropna().unique() if len(rows) else []
    return max(periods, key=period_key) if len(periods) else None


def demand(session: Session, *, session_size: int = DEFAULT_SESSION_SIZE,
           by_location: bool = True, by_period: bool = True,
           rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """People with each program in their top 3, per program (and location, and quarter).

    ``total_hours`` and ``total_cost_pen`` are per person (a seat each); ``sessions`` is the
    number of sessions of ``session_size`` seats needed for that group. ``rows`` is
    :func:`plan_rows`, when the caller already has it.
    """
    if session_size < 1:
        raise ValueError("session_size must be at least 1")
    rows = plan_rows(session) if rows is None else rows
    keys = ["program_id"] + (["location"] if by_location else []) + (
        ["period"] if by_period else [])
    if rows.empty:
        return pd.DataFrame(columns=DEMAND_COLUMNS)
    rows = rows.assign(location=rows["location"].fillna("—"))
    counts = (rows.groupby(keys)["employee_id"].nunique().rename("employees").reset_index())
    programs = pd.DataFrame(session.execute(select(
        Program.program_id, Program.title_es, Program.title_en, Program.hours,
        Program.cost_pen)).all(), columns=["program_id", "title_es", "title_en", "hours",
                                           "cost_pen"])
    programs["hours"] = pd.to_numeric(programs["hours"], errors="coerce").astype(float)
    programs["cost_pen"] = pd.to_numeric(programs["cost_pen"], errors="coerce").astype(float)
    programs["title_en"] = programs["title_en"].fillna(programs["title_es"])
    out = counts.merge(programs, on="program_id", how="left")
    out["title_es"] = out["title_es"].fillna(out["program_id"])
    out["title_en"] = out["title_en"].fillna(out["title_es"])
    out["total_hours"] = out["employees"] * out["hours"]
    out["total_cost_pen"] = (out["employees"] * out["cost_pen"]).round(2)
    out["sessions"] = out["employees"].map(lambda n: math.ceil(n / session_size)).astype(int)
    for col in ("location", "period"):
        if col not in out:
            out[col] = None
    out = out.sort_values(["employees", "program_id"], ascending=[False, True])
    if by_period:
        out = out.sort_values("period", key=lambda s: s.map(period_key), kind="stable",
                              ascending=False)
    return out[DEMAND_COLUMNS].reset_index(drop=True)
