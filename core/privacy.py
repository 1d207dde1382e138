"""Peru's personal data law (Ley 29733, regulation DS 016-2024-JUS) in practice.

The privacy notice every user reads and acknowledges at first sign-in (versioned, logged),
and the requests HR handles for an employee: a copy of everything held about them, the
anonymization of someone who has left, and their opposition to automated scoring.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import audit
from core.models import (
    AuditLog,
    Employee,
    Measurement,
    ProgramFeedback,
    Recommendation,
    TrainingRecord,
    TrainingRequest,
    User,
)
from core.users import CurrentUser

NOTICE_VERSION = "2026-11"

NOTICE: dict[str, str] = {
    "es": """
**Aviso de privacidad (versión {version})**

- **Finalidad.** Usamos tus datos laborales (puesto, sede, calificaciones de desempeño, KPI,
  niveles de habilidad y capacitaciones) para mostrar tendencias del equipo y proponerte
  programas de capacitación.
- **Quién ve qué.** Tú ves solo tus datos. Tu jefatura ve a su equipo. RR.HH. ve toda la
  organización. Capacitación ve solo datos agregados, sin calificaciones individuales.
  Cada consulta de un plan individual queda registrada.
- **Recomendaciones automáticas.** Las recomendaciones las calcula un modelo estadístico a
  partir de tus datos. Son **orientativas**: ninguna capacitación se asigna sin la aprobación
  de una persona, y el modelo no decide ascensos, sanciones ni remuneraciones.
- **Conservación.** Los datos se conservan mientras dure la relación laboral y hasta 2 años
  después; luego se anonimizan.
- **Tus derechos.** Puedes pedir acceso, rectificación, cancelación u oposición (incluida la
  oposición a la evaluación automatizada) escribiendo al equipo de RR.HH. de tu organización
  (Ley N.° 29733 y su reglamento, D.S. N.° 016-2024-JUS).
""",
    "en": """
**Privacy notice (version {version})**

- **Purpose.** We use your work data (role, location, performance ratings, KPIs, skill levels
  and training) to show team trends and suggest training programs to you.
- **Who sees what.** You see only your own data. Your manager sees their team. HR sees the
  whole organization. Trainers see only aggregates, with no individual ratings. Every view of
  an individual plan is logged.
- **Automated recommendations.** Recommendations are computed by a statistical model from your
  data. They are **advisory**: no training is assigned without a person's approval, and the
  model does not decide promotions, sanctions or pay.
- **Retention.** Data is kept for as long as the employment lasts and up to 2 years after;
  then it is anonymized.
- **Your rights.** You may ask for access, rectification, deletion or opposition (including
  opposition to automated scoring) by writing to your organization's HR team (Peru's Law
  29733 and its regulation, DS 016-2024-JUS).
""",
}


def notice_text(lang: str) -> str:
    return NOTICE["en" if lang == "en" else "es"].format(version=NOTICE_VERSION)


def needs_ack(user: CurrentUser) -> bool:
    return user.privacy_ack_version != NOTICE_VERSION


def acknowledge(session: Session, username: str) -> None:
    session.execute(update(User).where(User.username == username)
                    .values(privacy_ack_version=NOTICE_VERSION))
    audit.record(session, username=username, action="privacy_notice_ack",
                 detail={"version": NOTICE_VERSION})


def _rows(session: Session, model, where) -> list[dict[str, Any]]:
    out = []
    for obj in session.scalars(select(model).where(where)).all():
        out.append({c.key: _plain(getattr(obj, c.key)) for c in model.__table__.columns})
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "is_integer") and not isinstance(value, float):
        return float(value)
    return value


def export_employee(session: Session, employee_id: str, *, actor: str) -> dict[str, Any]:
    """Everything held about one person (right of access), as plain JSON-able data."""
    emp = session.get(Employee, employee_id)
    if emp is None:
        raise KeyError(employee_id)
    data = {
        "employee": {c.key: _plain(getattr(emp, c.key)) for c in Employee.__table__.columns},
        "measurements": _rows(session, Measurement, Measurement.employee_id == employee_id),
        "training_records": _rows(session, TrainingRecord,
                                  TrainingRecord.employee_id == employee_id),
        "training_requests": _rows(session, TrainingRequest,
                                   TrainingRequest.employee_id == employee_id),
        "recommendations": _rows(session, Recommendation,
                                 Recommendation.employee_id == employee_id),
        "program_feedback": _rows(session, ProgramFeedback,
                                  ProgramFeedback.employee_id == employee_id),
        "user_accounts": [{k: v for k, v in r.items() if k != "password_hash"}
                          for r in _rows(session, User, User.employee_id == employee_id)],
        "access_log": _rows(session, AuditLog, AuditLog.target_employee_id == employee_id),
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    audit.record(session, username=actor, action="privacy_export",
                 target_employee_id=employee_id)
    return data


def anonymize(session: Session, employee_id: str, *, actor: str) -> str:
    """Replace a person who has left by a random pseudonym everywhere; returns it.

    Ratings and skills stay (under the pseudonym) so team and organization aggregates do not
    change; name, e-mail, birth year, gender, hire date and the original id are gone, and any
    user account linked to the person is disabled and unlinked.
    """
    emp = session.get(Employee, employee_id)
    if emp is None:
        raise KeyError(employee_id)
    pseudo = f"ANON-{secrets.token_hex(5).upper()}"
    session.add(Employee(
        employee_id=pseudo, full_name=None, email=None, department=emp.department,
        team=emp.team, manager_id=emp.manager_id, job_role=emp.job_role,
        location=emp.location, hire_date=None, birth_year=None, gender=None,
        scoring_opt_out=True, anonymized_at=dt.datetime.now(dt.UTC),
        dataset_version_id=emp.dataset_version_id,
    ))
    session.flush()
    for model in (Measurement, TrainingRecord, TrainingRequest, Recommendation,
                  ProgramFeedback):
        session.execute(update(model).where(model.employee_id == employee_id)
                        .values(employee_id=pseudo))
    session.execute(update(Employee).where(Employee.manager_id == employee_id)
                    .values(manager_id=pseudo))
    session.execute(update(AuditLog).where(AuditLog.target_employee_id == employee_id)
                    .values(target_employee_id=pseudo))
    session.execute(update(User).where(User.employee_id == employee_id)
                    .values(employee_id=None, active=False))
    session.delete(emp)
    audit.record(session, username=actor, action="privacy_anonymize",
                 target_employee_id=pseudo)
    return pseudo


def set_scoring_opt_out(session: Session, employee_id: str, opt_out: bool, *,
                        actor: str) -> None:
    """Record (or withdraw) a person's opposition to automated scoring."""
    emp = session.get(Employee, employee_id)
    if emp is None:
        raise KeyError(employee_id)
    emp.scoring_opt_out = opt_out
    if opt_out:  # stored plans of this person go too: they are the product of scoring
        session.execute(Recommendation.__table__.delete().where(
            Recommendation.employee_id == employee_id))
    audit.record(session, username=actor, action="privacy_opt_out" if opt_out
                 else "privacy_opt_out_withdrawn", target_employee_id=employee_id)


def opted_out_ids(session: Session) -> set[str]:
    return set(session.scalars(select(Employee.employee_id).where(
        Employee.scoring_opt_out.is_(True))).all())


def audit_frame(session: Session, limit: int = 500) -> pd.DataFrame:
    rows = session.execute(select(AuditLog.at, AuditLog.username, AuditLog.action,
                                  AuditLog.target_employee_id, AuditLog.detail)
                           .order_by(AuditLog.id.desc()).limit(limit)).all()
    return pd.DataFrame(rows, columns=["at", "username", "action", "target_employee_id",
                                       "detail"])
