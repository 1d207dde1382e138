"""One person's plan page: profile, history, skills against the role, stored recommendations.

Every function checks with core.access that the viewer may see this person, and opening a
plan is written to the audit log (who opened whose plan).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core import audit
from core.access import may_see_employee
from core.contract import period_key
from core.errors import BilingualError
from core.models import (
    Employee,
    JobRoleTarget,
    Measurement,
    ModelVersion,
    Program,
    ProgramFeedback,
    Recommendation,
)
from core.users import CurrentUser

REASONS = ("done_elsewhere", "not_relevant", "no_time")


class NotAllowed(PermissionError):
    """The viewer may not see this person; pages show the access message, nothing else."""


@dataclass
class Profile:
    employee_id: str
    full_name: str | None
    job_role: str | None
    department: str | None
    location: str | None
    opted_out: bool
    ratings: pd.DataFrame  # period, rating
    skills: pd.DataFrame  # skill, level, target (latest quarter)


def _check(session: Session, user: CurrentUser, employee_id: str) -> Employee:
    if user.role == "trainer" or not may_see_employee(session, user, employee_id):
        raise NotAllowed(employee_id)
    emp = session.get(Employee, employee_id)
    if emp is None or emp.anonymized_at is not None:
        raise NotAllowed(employee_id)
    return emp


def require_visible(session: Session, user: CurrentUser, employee_id: str) -> Employee:
    """The person's record if the viewer may open their plan; raises NotAllowed otherwise."""
    return _check(session, user, employee_id)


def profile(session: Session, user: CurrentUser, employee_id: str, *,
            audit_view: bool = True) -> Profile:
    """Who the person is, their ratings and latest skills against the role.

    Opening a plan is audited (``plan_viewed``); a page that already recorded this viewer
    opening this person's plan in the same session passes ``audit_view=False`` so that
    every click on the page does not add another entry.
    """
    emp = _check(session, user, employee_id)
    rows = session.execute(select(Measurement.period, Measurement.kind, Measurement.name,
                                  Measurement.value)
                           .where(Measurement.employee_id == employee_id)).all()
    m = pd.DataFrame(rows, columns=["period", "kind", "name", "value"])
    ratings = (m[m["kind"] == "rating"][["period", "value"]].rename(columns={"value": "rating"})
               .sort_values("period", key=lambda s: s.map(period_key)).reset_index(drop=True))
    skills = pd.DataFrame(columns=["skill", "level", "target"])
    sk = m[m["kind"] == "skill"]
    if not sk.empty:
        latest = max(sk["period"], key=period_key)
        sk = sk[sk["period"] == latest][["name", "value"]].rename(
            columns={"name": "skill", "value": "level"})
        targets = dict(session.execute(select(JobRoleTarget.skill, JobRoleTarget.target_level)
                                       .where(JobRoleTarget.job_role == emp.job_role)).all())
        sk["target"] = sk["skill"].map(targets)
        skills = sk.sort_values("skill").reset_index(drop=True)
    if audit_view:
        audit.record(session, username=user.username, action="plan_viewed",
                     target_employee_id=employee_id)
    return Profile(employee_id, emp.full_name, emp.job_role, emp.department, emp.location,
                   bool(emp.scoring_opt_out), ratings, skills)


def active_model_version(session: Session) -> int | None:
    """The active *history* model (plans come from it; a snapshot model has none)."""
    rows = session.execute(select(ModelVersion.id, ModelVersion.params)
                           .where(ModelVersion.status == "active")
                           .order_by(ModelVersion.id.desc())).all()
    return next((vid for vid, params in rows
                 if (params or {}).get("kind", "history") == "history"), None)


def stored_plan(session: Session, user: CurrentUser, employee_id: str) -> pd.DataFrame:
    """The active model's recommendations for this person, minus programs they set aside."""
    cols = ["program_id", "rank", "expected_gain", "low", "high", "reasons", "title_es",
            "title_en", "hours", "cost_pen", "modality", "target_skills"]
    _check(session, user, employee_id)
    version = active_model_version(session)
    if version is None:
        return pd.DataFrame(columns=cols)
    dismissed = set(session.scalars(select(ProgramFeedback.program_id).where(
        ProgramFeedback.employee_id == employee_id)).all())
    rows = session.execute(
        select(Recommendation.program_id, Recommendation.rank, Recommendation.expected_gain,
               Recommendation.low, Recommendation.high, Recommendation.reasons,
               Program.title_es, Program.title_en, Program.hours, Program.cost_pen,
               Program.modality, Program.target_skills)
        .join(Program, Program.program_id == Recommendation.program_id)
        .where(Recommendation.employee_id == employee_id,
               Recommendation.model_version_id == version)
        .order_by(Recommendation.rank)).all()
    plan = pd.DataFrame(rows, columns=cols)
    plan = plan[~plan["program_id"].isin(dismissed)].reset_index(drop=True)
    plan["cost_pen"] = plan["cost_pen"].astype(float)
    return plan


def not_for_me(session: Session, user: CurrentUser, employee_id: str, program_id: str,
               reason: str) -> None:
    """Take a program out of this person's list, with the reason (counted for trainers)."""
    _check(session, user, employee_id)
    if reason not in REASONS:
        raise ValueError(f"reason must be one of {REASONS}")
    session.execute(delete(ProgramFeedback).where(ProgramFeedback.employee_id == employee_id,
                                                  ProgramFeedback.program_id == program_id))
    session.add(ProgramFeedback(employee_id=employee_id, program_id=program_id, reason=reason,
                                created_by=user.username))
    audit.record(session, username=user.username, action="program_dismissed",
                 target_employee_id=employee_id,
                 detail={"program": program_id, "reason": reason})


def _feedback(session: Session) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for eid, pid in session.execute(select(ProgramFeedback.employee_id,
                                           ProgramFeedback.program_id)).all():
        out.setdefault(eid, set()).add(pid)
    return out


def programs_for_reasons(history, rec=None) -> dict[str, dict]:
    """Program id -> its catalog row, plus ``kpi_effects`` (the KPIs its past completers
    clearly improved, from the fitted estimator ``rec`` when it measures them), so a
    plan's reason can say what was seen."""
    programs = {str(p): {"program_id": p, **row} for p, row in
                history.programs.set_index("program_id").to_dict("index").items()}
    measured = getattr(rec, "measured_kpi_effects", None)
    for pid, effects in (measured() if callable(measured) else {}).items():
        if pid in programs:
            programs[pid]["kpi_effects"] = effects
    return programs


class NoPlans(BilingualError, LookupError):
    """Plans cannot be computed from what the store holds."""


def compute_plans(engine, *, top_k: int = 3, employee_id: str | None = None,
                  estimator: str | None = None) -> tuple[int, pd.DataFrame, dict]:
    """Rank programs for everyone (or one person) with the active model; nothing stored.

    Returns (model version, recommendations with reasons, context: the estimator's name,
    how many people opted out, and the estimator's ``warnings`` as es/en dicts, e.g. a
    program nobody completed). People who objected to automated scoring are left out of
    scoring and plans.
    """
    from core.explain import plan_reasons
    from core.features import FeatureBuilder, load_history, role_targets
    from core.recommend import build_plans
    from core.registry import active_model

    active = active_model(engine, "history")
    if active is None:
        if active_model(engine, "snapshot") is not None:
            raise NoPlans(
                "El modelo activo se entrenó con un archivo de una fila por persona "
                "(snapshot): predice su resultado, pero los planes de capacitación necesitan "
                "el historial trimestral (desempeño por trimestre, catálogo de programas y "
                "registros de capacitación). Suba esos archivos y entrene de nuevo.",
                "The active model was trained on a one-row-per-person file (snapshot): it "
                "predicts its outcome, but training plans need the quarterly history "
                "(performance per quarter, program catalog and training records). Upload "
                "those files and train again.")
        raise NoPlans("No hay un modelo activo: entrene uno primero (python -m core train).",
                      "no active model: train one first (python -m core train)")
    version, model = active
    history = load_history(engine)
    opted = set(history.employees.loc[history.employees["scoring_opt_out"].fillna(False)
                                      .astype(bool), "employee_id"])
    if opted:
        history.employees = history.employees[~history.employees["employee_id"].isin(opted)]
        history.performance = history.performance[
            ~history.performance["employee_id"].isin(opted)]
    ff = FeatureBuilder().fit_transform(history)
    with engine.connect() as conn:
        feedback = _feedback(Session(bind=conn))
    plans, rec = build_plans(history, ff, model, estimator=estimator, top_k=top_k,
                             employee_id=employee_id, exclude=feedback)
    latest = ff.keys.groupby("employee_id").tail(1)
    X_now = ff.X.loc[latest.index].set_axis(latest["employee_id"].astype(str).to_numpy())
    targets = role_targets(history)
    roles = history.employees.set_index("employee_id")["job_role"]
    per_role = {role: targets.loc[role].dropna().to_dict() for role in targets.index}
    programs = programs_for_reasons(history, rec)
    # one TreeSHAP pass over everyone, then the sentences in both languages
    reasons = plan_reasons(model, X_now, plans, programs,
                           {e: per_role.get(roles.get(e)) for e in plans["employee_id"].unique()},
                           ("es", "en"))
    # the low-rating risk of each person, from the same rows the plan was explained with
    risk = pd.Series(model.predict_low(ff.X.loc[latest.index]) if len(latest) else [],
                     index=latest["employee_id"].to_numpy(), dtype=float)
    period = pd.Series(latest["period"].astype(str).to_numpy(),
                       index=latest["employee_id"].to_numpy())
    plans = plans.assign(reasons=reasons, risk_low=plans["employee_id"].map(risk),
                         period=plans["employee_id"].map(period))
    return version, plans, {"estimator": type(rec).__name__, "opted_out": len(opted),
                            "warnings": list(getattr(rec, "warnings_", []))}


def _estimator(rec_mod, name: str | None):
    """The estimator class by name, or the benchmark's default (a class or its name)."""
    return rec_mod.estimator_class(name)


def _label(feature: str, lang: str) -> str:
    from core.explain import feature_label

    return feature_label(feature, lang)


def _float_or_none(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _str_or_none(value) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def store_plans(engine, version: int, plans: pd.DataFrame) -> int:
    """Replace the stored plans of this model version, in one transaction."""
    from core.db import session_scope

    with session_scope(engine) as session:
        session.execute(delete(Recommendation).where(Recommendation.model_version_id == version))
        session.add_all([
            Recommendation(model_version_id=version, employee_id=r.employee_id,
                           program_id=r.program_id, rank=int(r.rank),
                           expected_gain=float(r.expected_gain),
                           low=None if pd.isna(r.low) else float(r.low),
                           high=None if pd.isna(r.high) else float(r.high),
                           reasons={**r.reasons, "low_confidence": bool(
                               getattr(r, "low_confidence", False))},
                           risk_low=_float_or_none(getattr(r, "risk_low", None)),
                           period=_str_or_none(getattr(r, "period", None)))
            for r in plans.itertuples()])
    return len(plans)


def train_and_plan(engine, *, budget_seconds: float, created_by: str | None = None,
                   target: str | None = None, force: bool = False,
                   progress=None) -> dict:
    """Train; when the new model is active, compute and store everyone's plan with it.

    ``progress(stage)`` is called with "train", "plans", "store" so a page can show them.
    ``plan_warnings`` in the summary: what HR should know about the stored plans (es/en).
    Raises core.training.TrainingError (in both languages) when the data cannot train a
    model; the active model then stays active.
    """
    from core.training import train_from_store

    if progress:
        progress("train")
    summary = train_from_store(engine, budget_seconds=budget_seconds, target=target,
                               created_by=created_by, force=force)
    summary["plans_stored"] = None
    summary["plan_warnings"] = []
    if summary.get("status") == "active" and summary.get("kind") == "history":
        if progress:
            progress("plans")
        version, recs, ctx = compute_plans(engine, top_k=3)
        if progress:
            progress("store")
        summary["plans_stored"] = store_plans(engine, version, recs)
        summary["plan_warnings"] = ctx["warnings"]
    return summary
