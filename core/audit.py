"""The audit log: who saw or changed whose data, written in the same transaction as the act."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.models import AuditLog


def record(
    session: Session,
    *,
    username: str | None,
    action: str,
    target_employee_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditLog(
            username=username,
            action=action,
            target_employee_id=target_employee_id,
            detail=detail or {},
        )
    )
