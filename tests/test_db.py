"""Migrations and the users table on both backends."""

import pytest
from sqlalchemy import inspect

from core.access import reports_of, visible_employee_ids
from core.db import session_scope, upgrade
from core.models import Base, Employee
from core.users import UserError, add_user, authenticate, current_user


def test_migrations_create_every_model_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    upgrade(engine)  # idempotent


def test_migrations_match_the_models(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def _org(session):
    # gerente -> jefe -> (a, b); jefe2 -> c
    for eid, mid in [("G", None), ("J1", "G"), ("A", "J1"), ("B", "J1"), ("J2", "G"),
                     ("C", "J2")]:
        session.add(Employee(employee_id=eid, full_name=eid, manager_id=mid))
    session.flush()


def test_users_roles_and_scope(engine):
    with session_scope(engine) as s:
        _org(s)
        add_user(s, username="Jefe.Uno", password="contraseña segura", role="manager",
                 employee_id="J1")
        add_user(s, username="ana", password="otra contraseña", role="employee",
                 employee_id="A")
        add_user(s, username="rrhh", password="clave de rrhh 1", role="hr")
    with session_scope(engine) as s:
        assert authenticate(s, "jefe.uno", "contraseña segura").role == "manager"
        assert authenticate(s, "jefe.uno", "mala") is None
        jefe = current_user(s, "JEFE.UNO")
        assert visible_employee_ids(s, jefe) == {"J1", "A", "B"}
        assert visible_employee_ids(s, current_user(s, "ana")) == {"A"}
        assert visible_employee_ids(s, current_user(s, "rrhh")) is None
        assert reports_of(s, "G") == {"J1", "A", "B", "J2", "C"}


def test_user_rules(engine):
    with session_scope(engine) as s:
        _org(s)
        with pytest.raises(UserError, match="linked"):
            add_user(s, username="x1", password="12345678", role="employee")
        with pytest.raises(UserError, match="does not exist"):
            add_user(s, username="x2", password="12345678", role="employee", employee_id="Z")
        with pytest.raises(UserError, match="role"):
            add_user(s, username="x3", password="12345678", role="admin")
        add_user(s, username="dup", password="12345678", role="trainer")
        with pytest.raises(UserError, match="exists"):
            add_user(s, username="DUP", password="12345678", role="trainer")


def test_disabled_user_cannot_sign_in(engine):
    with session_scope(engine) as s:
        user = add_user(s, username="baja", password="12345678", role="trainer")
        user.active = False
    with session_scope(engine) as s:
        assert authenticate(s, "baja", "12345678") is None
        assert current_user(s, "baja") is None


def test_manager_hierarchy_cycle_is_safe(engine):
    with session_scope(engine) as s:
        s.add_all([Employee(employee_id="X", manager_id="Y"),
                   Employee(employee_id="Y", manager_id="X")])
        s.flush()
        assert reports_of(s, "X") == {"Y"}
