"""Who may see whom, and which page. Pages ask here first; nothing else decides access.

Rules (DESIGN.md, roles): HR sees everyone; a manager sees their direct and indirect reports
and themself; an employee sees only themself; a trainer sees aggregates and no individual.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contract import ROLES
from core.models import Employee
from core.users import CurrentUser

PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "inicio": ROLES,
    "equipo": ("manager", "hr"),
    "plan": ("employee", "manager", "hr"),
    "solicitudes": ("employee", "manager", "hr"),
    "brechas": ("trainer", "hr"),
    "datos": ("hr",),
    "modelo": ("hr",),
    "admin": ("hr",),
}


def can_open(role: str | None, page: str) -> bool:
    return role is not None and role in PAGE_ROLES.get(page, ())


def pages_for(role: str) -> list[str]:
    return [p for p, roles in PAGE_ROLES.items() if role in roles]


def reports_of(session: Session, manager_id: str) -> set[str]:
    """Everyone below ``manager_id`` in the hierarchy (direct and indirect), cycle-safe."""
    pairs = session.execute(
        select(Employee.employee_id, Employee.manager_id).where(Employee.manager_id.isnot(None))
    ).all()
    children: dict[str, list[str]] = {}
    for eid, mid in pairs:
        children.setdefault(mid, []).append(eid)
    seen: set[str] = set()
    stack = list(children.get(manager_id, []))
    while stack:
        eid = stack.pop()
        if eid in seen or eid == manager_id:
            continue
        seen.add(eid)
        stack.extend(children.get(eid, []))
    return seen


def visible_employee_ids(session: Session, user: CurrentUser) -> set[str] | None:
    """Ids of the people whose individual data ``user`` may see; ``None`` means everyone."""
    if user.role == "hr":
        return None
    if user.role == "manager" and user.employee_id:
        return reports_of(session, user.employee_id) | {user.employee_id}
    if user.role == "employee" and user.employee_id:
        return {user.employee_id}
    return set()


def may_see_employee(session: Session, user: CurrentUser, employee_id: str) -> bool:
    visible = visible_employee_ids(session, user)
    return visible is None or employee_id in visible
