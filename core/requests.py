"""Training requests: an employee asks, the manager (or HR) approves or rejects.

Who may do what is checked here for every call, never only in the page:
an employee requests for themself; a manager (or HR) may request for someone in scope;
a manager decides on their reports' requests, never on their own; HR decides on any.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.access import may_see_employee, reports_of, visible_employee_ids
from core.errors import BilingualError
from core.models import Employee, Program, TrainingRequest
from core.users import CurrentUser

STATES = ("requested", "approved", "rejected", "completed")


class RequestError(BilingualError, ValueError):
    """A request the user may not make or decide; carries both languages."""


def create_request(session: Session, user: CurrentUser, employee_id: str,
                   program_id: str) -> TrainingRequest:
    if user.role == "trainer" or not may_see_employee(session, user, employee_id):
        raise RequestError("No puedes solicitar capacitaciones para esta persona.",
                           "You may not request training for this person.")
    if user.role == "employee" and employee_id != user.employee_id:
        raise RequestError("Solo puedes solicitar capacitaciones para ti.",
                           "You may only request training for yourself.")
    if session.get(Program, program_id) is None:
        raise RequestError("El programa no existe.", "The program does not exist.")
    open_one = session.scalar(select(TrainingRequest).where(
        TrainingRequest.employee_id == employee_id, TrainingRequest.program_id == program_id,
        TrainingRequest.status.in_(("requested", "approved"))))
    if open_one is not None:
        raise RequestError("Ya hay una solicitud abierta para este programa.",
                           "There is already an open request for this program.")
    req = TrainingRequest(employee_id=employee_id, program_id=program_id,
                          requested_by=user.username, status="requested")
    session.add(req)
    session.flush()
    audit.record(session, username=user.username, action="request_created",
                 target_employee_id=employee_id,
                 detail={"request": req.id, "program": program_id})
    return req


def _may_decide(session: Session, user: CurrentUser, employee_id: str) -> bool:
    if user.role == "hr":
        return True
    if user.role == "manager" and user.employee_id and employee_id != user.employee_id:
        return employee_id in reports_of(session, user.employee_id)
    return False


def decide(session: Session, user: CurrentUser, request_id: int, *, approve: bool,
           comment: str | None = None) -> TrainingRequest:
    req = session.get(TrainingRequest, request_id)
    if req is None or not _may_decide(session, user, req.employee_id):
        raise RequestError("No puedes decidir sobre esta solicitud.",
                           "You may not decide on this request.")
    if req.status != "requested":
        raise RequestError("Esta solicitud ya fue decidida.",
                           "This request has already been decided.")
    req.status = "approved" if approve else "rejected"
    req.decided_by = user.username
    req.decided_at = dt.datetime.now(dt.UTC)
    req.comment = (comment or "").strip()[:2000] or None
    audit.record(session, username=user.username, action=f"request_{req.status}",
                 target_employee_id=req.employee_id, detail={"request": req.id})
    return req


def list_requests(session: Session, user: CurrentUser) -> pd.DataFrame:
    """Requests the viewer may see, newest first, with names and program titles."""
    cols = ["id", "employee_id", "full_name", "program_id", "title_es", "title_en", "status",
            "requested_by", "created_at", "decided_by", "decided_at", "comment",
            "can_decide"]
    visible = visible_employee_ids(session, user)
    q = (select(TrainingRequest, Employee.full_name, Program.title_es, Program.title_en)
         .join(Employee, Employee.employee_id == TrainingRequest.employee_id)
         .join(Program, Program.program_id == TrainingRequest.program_id)
         .order_by(TrainingRequest.id.desc()))
    if visible is not None:
        if not visible:
            return pd.DataFrame(columns=cols)
        q = q.where(TrainingRequest.employee_id.in_(visible))
    rows = []
    for req, name, tes, ten in session.execute(q).all():
        rows.append({"id": req.id, "employee_id": req.employee_id, "full_name": name,
                     "program_id": req.program_id, "title_es": tes, "title_en": ten,
                     "status": req.status, "requested_by": req.requested_by,
                     "created_at": req.created_at, "decided_by": req.decided_by,
                     "decided_at": req.decided_at, "comment": req.comment,
                     "can_decide": req.status == "requested"
                     and _may_decide(session, user, req.employee_id)})
    return pd.DataFrame(rows, columns=cols)
