"""ORM tables of the data contract (SQLAlchemy 2, typed).

Rows written by an upload carry the id of the dataset version that last wrote them, so every
figure in the app can be traced back to a file. The schema itself is owned by Alembic
(`migrations/`); these classes are what the code reads and writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict] = {dict[str, Any]: JSON, list[Any]: JSON}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DatasetVersion(Base):
    __tablename__ = "dataset_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kinds: Mapped[str] = mapped_column(String(200))
    file_names: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[str | None] = mapped_column(String(100))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    row_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    quality: Mapped[dict[str, Any]] = mapped_column(default=dict)
    target: Mapped[str | None] = mapped_column(String(200))


class Employee(Base):
    __tablename__ = "employees"

    employee_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200))
    manager_id: Mapped[str | None] = mapped_column(String(64), index=True)
    job_role: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))
    hire_date: Mapped[dt.date | None] = mapped_column(Date)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    gender: Mapped[str | None] = mapped_column(String(20))
    scoring_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    anonymized_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    dataset_version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_versions.id"))


class Measurement(Base):
    """Long form: one value per employee, quarter and name (rating, a KPI or a skill)."""

    __tablename__ = "measurements"
    __table_args__ = (
        UniqueConstraint("employee_id", "period", "kind", "name", name="uq_measurement"),
        Index("ix_measurements_period", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[str] = mapped_column(ForeignKey("employees.employee_id"))
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(10))  # rating | kpi | skill
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[float | None] = mapped_column(Float)
    dataset_version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_versions.id"))


class Program(Base):
    __tablename__ = "programs"

    program_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title_es: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    target_skills: Mapped[str | None] = mapped_column(Text)
    hours: Mapped[float | None] = mapped_column(Float)
    cost_pen: Mapped[float | None] = mapped_column(Numeric(12, 2))
    modality: Mapped[str | None] = mapped_column(String(20))
    provider: Mapped[str | None] = mapped_column(String(200))
    prerequisites: Mapped[str | None] = mapped_column(Text)
    expected_gain: Mapped[float | None] = mapped_column(Float)
    dataset_version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_versions.id"))


class JobRoleTarget(Base):
    __tablename__ = "job_role_targets"

    job_role: Mapped[str] = mapped_column(String(200), primary_key=True)
    skill: Mapped[str] = mapped_column(String(100), primary_key=True)
    target_level: Mapped[float] = mapped_column(Float)
    dataset_version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_versions.id"))


class TrainingRecord(Base):
    __tablename__ = "training_records"
    __table_args__ = (
        UniqueConstraint("employee_id", "program_id", "period", name="uq_training_record"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[str] = mapped_column(ForeignKey("employees.employee_id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.program_id"))
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[float | None] = mapped_column(Float)
    dataset_version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_versions.id"))


class SnapshotRecord(Base):
    """One row of a snapshot upload: its mapped features as JSON, the outcome beside them."""

    __tablename__ = "snapshot_records"
    __table_args__ = (UniqueConstraint("dataset_version_id", "employee_id", name="uq_snapshot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id"))
    employee_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(100))
    features: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ModelVersion(Base):
    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    created_by: Mapped[str | None] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="candidate")
    data_versions: Mapped[list[Any]] = mapped_column(default=list)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model_text: Mapped[str] = mapped_column(Text)


class Recommendation(Base):
    __tablename__ = "recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    employee_id: Mapped[str] = mapped_column(ForeignKey("employees.employee_id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.program_id"))
    rank: Mapped[int] = mapped_column(Integer)
    expected_gain: Mapped[float] = mapped_column(Float)
    low: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    # the person's probability of a low next-quarter rating (<= 2) when the plan was made
    risk_low: Mapped[float | None] = mapped_column(Float)
    period: Mapped[str | None] = mapped_column(String(7))  # the quarter the plan was made from


class TrainingRequest(Base):
    __tablename__ = "training_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[str] = mapped_column(ForeignKey("employees.employee_id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.program_id"))
    status: Mapped[str] = mapped_column(String(20), default="requested")
    requested_by: Mapped[str] = mapped_column(String(100))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ProgramFeedback(Base):
    """"Not for me": a person takes a program out of their list, with a reason."""

    __tablename__ = "program_feedback"
    __table_args__ = (UniqueConstraint("employee_id", "program_id", name="uq_feedback"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[str] = mapped_column(ForeignKey("employees.employee_id"), index=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("programs.program_id"))
    reason: Mapped[str] = mapped_column(String(30))  # done_elsewhere | not_relevant | no_time
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    employee_id: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    privacy_ack_version: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, server_default=func.now()
    )
    username: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    target_employee_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
