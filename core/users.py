"""Users and roles. The role is read from here on every page, never from the cookie."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.contract import ROLES
from core.models import Employee, User
from core.security import hash_password, verify_password

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class UserError(ValueError):
    """A user could not be created or changed; the message says why."""


@dataclass(frozen=True)
class CurrentUser:
    """What a page needs to know about who is signed in, fresh from the database."""

    username: str
    role: str
    employee_id: str | None
    full_name: str | None
    privacy_ack_version: str | None


def normalize_username(username: str) -> str:
    return username.strip().lower()


def add_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    employee_id: str | None = None,
    full_name: str | None = None,
    email: str | None = None,
    actor: str | None = None,
) -> User:
    username = normalize_username(username)
    if not USERNAME_RE.match(username):
        raise UserError(
            "username must be 2-64 characters: lowercase letters, digits, '.', '_' or '-'"
        )
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if role in {"employee", "manager"} and not employee_id:
        raise UserError(f"a user with role {role} must be linked to an employee (--employee-id)")
    if employee_id is not None and session.get(Employee, employee_id) is None:
        raise UserError(f"employee {employee_id} does not exist")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise UserError(f"user {username} already exists")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        employee_id=employee_id,
        full_name=full_name,
        email=email,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise UserError(f"user {username} already exists") from exc
    audit.record(session, username=actor, action="user_added", detail={"user": username,
                                                                        "role": role})
    return user


def authenticate(session: Session, username: str, password: str) -> CurrentUser | None:
    """The user if the password is right and the account active; None otherwise."""
    user = session.scalar(select(User).where(User.username == normalize_username(username)))
    if user is None or not user.active or not verify_password(password, user.password_hash):
        return None
    return _current(user)


def current_user(session: Session, username: str | None) -> CurrentUser | None:
    if not username:
        return None
    user = session.scalar(select(User).where(User.username == normalize_username(username)))
    if user is None or not user.active:
        return None
    return _current(user)


def _current(user: User) -> CurrentUser:
    return CurrentUser(
        username=user.username,
        role=user.role,
        employee_id=user.employee_id,
        full_name=user.full_name,
        privacy_ack_version=user.privacy_ack_version,
    )


def list_users(session: Session) -> list[dict]:
    rows = session.scalars(select(User).order_by(User.username)).all()
    return [
        {
            "username": u.username,
            "role": u.role,
            "employee_id": u.employee_id,
            "full_name": u.full_name,
            "active": u.active,
        }
        for u in rows
    ]


def active_usernames(session: Session) -> dict[str, dict]:
    """Active accounts in the shape streamlit-authenticator expects (no password hashes)."""
    users = session.scalars(select(User).where(User.active.is_(True))).all()
    return {
        u.username: {
            "name": u.full_name or u.username,
            "email": u.email or "",
            "roles": [u.role],
            "password": "",
        }
        for u in users
    }


def _get(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == normalize_username(username)))
    if user is None:
        raise UserError(f"user {username} does not exist")
    return user


def set_active(session: Session, username: str, active: bool, *, actor: str) -> None:
    """Disable (or re-enable) an account; its cookie stops working at the next click."""
    if normalize_username(username) == normalize_username(actor) and not active:
        raise UserError("you cannot disable your own account")
    _get(session, username).active = active
    audit.record(session, username=actor, action="user_enabled" if active else "user_disabled",
                 detail={"user": username})


def reset_password(session: Session, username: str, new_password: str, *, actor: str) -> None:
    _get(session, username).password_hash = hash_password(new_password)
    audit.record(session, username=actor, action="user_password_reset",
                 detail={"user": username})


def link_employee(session: Session, username: str, employee_id: str | None, *,
                  actor: str) -> None:
    if employee_id is not None and session.get(Employee, employee_id) is None:
        raise UserError(f"employee {employee_id} does not exist")
    _get(session, username).employee_id = employee_id
    audit.record(session, username=actor, action="user_linked",
                 target_employee_id=employee_id, detail={"user": username})
