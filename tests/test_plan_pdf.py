"""The plan as a PDF: valid bytes, Spanish text, soles, the advisory line; access and audit."""

import datetime as dt
import re

import pandas as pd
import pytest
from sqlalchemy import select

from core.db import session_scope
from core.models import AuditLog, ModelVersion, Recommendation
from core.plan_pdf import build_plan_pdf, latin1, plan_file_name, plan_pdf_for
from core.plans import NotAllowed, Profile
from core.users import add_user, current_user
from tests.orgs import stored_team_org

DAY = dt.date(2026, 3, 9)


def _profile(**kw) -> Profile:
    base = dict(employee_id="E00042", full_name="Ñusta Quispe Ávila",
                job_role="Analista de Créditos", department="Finanzas", location="Cusco",
                opted_out=False, ratings=pd.DataFrame(), skills=pd.DataFrame())
    return Profile(**{**base, **kw})


def _plan() -> pd.DataFrame:
    return pd.DataFrame([
        {"program_id": "P01", "rank": 1, "expected_gain": 0.31, "low": 0.05, "high": 0.52,
         "reasons": {"sentences": {
             "es": ["Tu nivel de «Negociación» (2.1/5) baja tu desempeño previsto.",
                    "¿Por qué? Porque entrena negociación — “con práctica” 😀 ≥ 3 中文."],
             "en": ["Your “Negotiation” level (2.1/5) lowers your predicted performance."]}},
         "title_es": "Negociación efectiva", "title_en": "Effective negotiation",
         "hours": 24.0, "cost_pen": 1250.5, "modality": "presencial",
         "target_skills": "negociacion"},
        {"program_id": "P02", "rank": 2, "expected_gain": 0.12, "low": None, "high": None,
         "reasons": {}, "title_es": "Excel avanzado", "title_en": None, "hours": None,
         "cost_pen": 380.0, "modality": "virtual", "target_skills": "excel"},
    ])


def _text(pdf: bytes) -> str:
    """The text shown by the (uncompressed) page streams, as fpdf2 writes core-font text."""
    raw = pdf.decode("latin-1")
    parts = re.findall(r"\((.*?)\) ?Tj", raw)
    return "\n".join(p.replace("\\(", "(").replace("\\)", ")") for p in parts)


def test_pdf_in_spanish_has_the_plan_the_price_and_the_advisory_line():
    pdf = build_plan_pdf(_profile(), _plan(), "es", today=DAY, compress=False)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    text = _text(pdf)
    for expected in ("Plan de capacitación", "Ñusta Quispe Ávila", "Analista de Créditos",
                     "Fecha: 09/03/2026", "1. Negociación efectiva", "2. Excel avanzado",
                     "S/ 1,250.50", "S/ 380.00", "Horas: 24", "Modalidad: Presencial",
                     "Modalidad: Virtual", "+0.31 puntos (entre +0.05 y +0.52)",
                     "+0.12 puntos", "«Negociación» (2.1/5)", "¿Por qué?",
                     "modelo estadístico", "orientativas", "aprueba"):
        assert expected in text, expected
    # outside latin-1: made ASCII or "?", never a crash
    assert '- "con práctica" ? >= 3 ??.' in text
    assert "Negotiation" not in text


def test_pdf_in_english():
    pdf = build_plan_pdf(_profile(), _plan(), "en", today=DAY, compress=False)
    text = _text(pdf)
    for expected in ("Training plan", "Date: 09/03/2026", "1. Effective negotiation",
                     "2. Excel avanzado", "Hours: 24", "Cost: S/ 1,250.50", "In person",
                     'Your "Negotiation" level', "advisory", "approves"):
        assert expected in text, expected


def test_compressed_pdf_is_valid_and_smaller():
    small = build_plan_pdf(_profile(), _plan(), "es", today=DAY)
    assert small.startswith(b"%PDF-") and b"/FlateDecode" in small
    assert len(small) < len(build_plan_pdf(_profile(), _plan(), "es", today=DAY,
                                           compress=False))


def test_empty_plan_and_objection_say_so():
    text = _text(build_plan_pdf(_profile(), _plan().iloc[0:0], "es", compress=False))
    assert "Aún no hay un plan" in text
    text = _text(build_plan_pdf(_profile(opted_out=True), _plan(), "es", compress=False))
    assert "se opuso a la evaluación automatizada" in text
    assert "Negociación efectiva" not in text


def test_long_names_and_any_unicode_do_not_break_the_layout():
    name = "María-José de los Ángeles 🌟 Ttito Huamán Çelik Øyvind Łukasz " * 4
    pdf = build_plan_pdf(_profile(full_name=name), _plan(), "es", compress=False)
    assert pdf.startswith(b"%PDF-")
    assert latin1("Łukasz “x” — ok…") == 'Lukasz "x" - ok...'
    assert plan_file_name(_profile(employee_id="E/01 x"), DAY) == "plan_E_01_x_2026-03-09.pdf"


@pytest.fixture
def org(engine, tmp_path):
    org = stored_team_org(engine, tmp_path / "org", seed=11)
    with session_scope(engine) as s:
        add_user(s, username="jefe", password="12345678", role="manager",
                 employee_id=org["boss"])
        add_user(s, username="ana", password="12345678", role="employee",
                 employee_id=org["team"][0])
        add_user(s, username="cap", password="12345678", role="trainer")
        mv = ModelVersion(target="rating", status="active", model_text="x")
        s.add(mv)
        s.flush()
        for rank, pid in enumerate(["P01", "P02"], start=1):
            s.add(Recommendation(model_version_id=mv.id, employee_id=org["team"][0],
                                 program_id=pid, rank=rank, expected_gain=0.3 / rank,
                                 low=0.0, high=0.5,
                                 reasons={"sentences": {"es": ["Razón."], "en": ["Reason."]}}))
    return org


def test_download_is_for_people_in_scope_and_audited(engine, org):
    person = org["team"][0]
    with session_scope(engine) as s:
        pdf = plan_pdf_for(s, current_user(s, "ana"), person, "es")
        assert pdf.startswith(b"%PDF-")
        for who in ("jefe", "ana", "cap"):
            with pytest.raises(NotAllowed):
                plan_pdf_for(s, current_user(s, who), org["outsider"], "es")
    with session_scope(engine, write=False) as s:
        rows = s.execute(select(AuditLog.username, AuditLog.action, AuditLog.detail)
                         .where(AuditLog.target_employee_id == person)).all()
    assert [(u, a) for u, a, _d in rows] == [("ana", "plan_downloaded")]
    assert rows[0][2]["programs"] == 2
