"""Cohort builder: who is recommended a program (top 3 of the stored plans), to invite them.

This is the one list of individuals a trainer gets (issue 4, page 7): name, e-mail and
department, nothing else — no ratings, gains, risks or scores, on screen or in the CSV.
People who objected to automated scoring or were anonymized are never listed, and a program
someone set aside with "not for me" does not put them in its cohort.

Who may build a cohort: trainers and HR (everyone); a manager only within their own team (not
offered by the pages, but the rule holds for any caller); employees nobody.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import visible_employee_ids
from core.demand import latest_period, plan_rows
from core.models import Employee
from core.users import CurrentUser

COHORT_COLUMNS = ("full_name", "email", "department")


class NotAllowed(PermissionError):
    """The viewer's role may not build cohorts."""


def _allowed_ids(session: Session, user: CurrentUser) -> set[str] | None:
    if user.role in ("trainer", "hr"):
        return None
    if user.role == "manager":
        return visible_employee_ids(session, user)
    raise NotAllowed(user.role)


def cohort_locations(session: Session, user: CurrentUser, program_id: str,
                     period: str | None = None, rows: pd.DataFrame | None = None) -> list[str]:
    """Locations where someone has the program in their top 3 (for the location filter)."""
    rows = _rows(session, user, program_id, period, rows)
    return sorted(rows["location"].dropna().unique().tolist())


def _rows(session: Session, user: CurrentUser, program_id: str, period: str | None,
          rows: pd.DataFrame | None) -> pd.DataFrame:
    allowed = _allowed_ids(session, user)
    rows = plan_rows(session) if rows is None else rows
    period = period or latest_period(rows)
    rows = rows[(rows["program_id"] == program_id) & (rows["period"] == period)]
    if allowed is not None:
        rows = rows[rows["employee_id"].isin(allowed)]
    return rows


def cohort(session: Session, user: CurrentUser, program_id: str,
           locations: list[str] | None = None, period: str | None = None,
           rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Name, e-mail and department of everyone with ``program_id`` in their top 3 (the newest
    plans, or those of ``period``), optionally only at ``locations``. Exactly
    :data:`COHORT_COLUMNS`, sorted by department and name. ``rows`` is
    :func:`core.demand.plan_rows`, when the caller already has it (the access rules are
    applied here either way)."""
    rows = _rows(session, user, program_id, period, rows)
    if locations:
        rows = rows[rows["location"].isin(list(locations))]
    ids = set(rows["employee_id"])
    if not ids:
        return pd.DataFrame(columns=list(COHORT_COLUMNS))
    people = pd.DataFrame(session.execute(
        select(Employee.full_name, Employee.email, Employee.department).where(
            Employee.employee_id.in_(ids), Employee.anonymized_at.is_(None),
            Employee.scoring_opt_out.isnot(True))).all(), columns=list(COHORT_COLUMNS))
    return people.sort_values(["department", "full_name"], na_position="last").reset_index(
        drop=True)


def cohort_csv(frame: pd.DataFrame, lang: str = "es") -> bytes:
    """The cohort as CSV (Excel-safe): only the allowed columns, whatever the frame holds,
    with headers in ``lang``."""
    from core.export import csv_bytes
    from core.i18n import t

    out = frame.reindex(columns=list(COHORT_COLUMNS))
    return csv_bytes(out.rename(columns={c: t(f"cohort.col.{c}", lang) for c in out}))
