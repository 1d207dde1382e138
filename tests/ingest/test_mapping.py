from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.ingest.mapping import (
    SNAPSHOT,
    Mapping,
    apply_override,
    detect_kind,
    normalize_name,
    parse_date,
    parse_number,
    parse_period,
    propose_mapping,
)

PROMOTION = Path(__file__).resolve().parents[3] / "shared" / "data" / "hr_promotion_train.csv"


def text_frame(data: dict[str, list]) -> pd.DataFrame:
    """Cells as the reader gives them: str or pd.NA; rows numbered 2, 3, ... (spreadsheet)."""
    n = len(next(iter(data.values()))) if data else 0
    frame = pd.DataFrame({
        k: pd.Series([pd.NA if v is None else str(v) for v in vals], dtype=object)
        for k, vals in data.items()
    })
    frame.index = pd.RangeIndex(2, n + 2)
    return frame


def promotion_frame() -> pd.DataFrame:
    if not PROMOTION.exists():
        pytest.skip(f"{PROMOTION} is absent (a clone without ../shared/data): this test needs "
                    "the real promotion file")
    raw = pd.read_csv(PROMOTION, dtype=str, keep_default_na=False)
    raw = raw.astype(object).where(raw != "", pd.NA)
    raw.index = pd.RangeIndex(2, len(raw) + 2)
    return raw


PROMOTION_COLUMNS = [
    "employee_id", "department", "region", "education", "gender", "recruitment_channel",
    "no_of_trainings", "age", "previous_year_rating", "length_of_service",
    "KPIs_met _greaterthan_80percent", "awards_won", "avg_training_score", "is_promoted",
]


def empty(columns: list[str]):
    return text_frame({c: [] for c in columns})


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("PerformanceRating", "performance_rating"),
        ("Fecha de Ingreso", "fecha_de_ingreso"),
        ("Código Empleado", "codigo_empleado"),
        ("KPIs_met _greaterthan_80percent", "kpis_met_greaterthan_80percent"),
        ("employeeID", "employee_id"),
        ("  Año  Nacimiento ", "ano_nacimiento"),
    ],
)
def test_normalize_name(raw, norm):
    assert normalize_name(raw) == norm


def test_spanish_employee_headers():
    cols = ["Código Empleado", "Nombres y Apellidos", "Correo", "Área", "Sede", "Cargo",
            "Fecha de Ingreso", "Jefe", "Sexo", "Año de Nacimiento", "Equipo"]
    m = propose_mapping(empty(cols))
    assert m.kind == "employees"
    assert m.columns == {
        "Código Empleado": "employee_id", "Nombres y Apellidos": "full_name",
        "Correo": "email", "Área": "department", "Sede": "location", "Cargo": "job_role",
        "Fecha de Ingreso": "hire_date", "Jefe": "manager_id", "Sexo": "gender",
        "Año de Nacimiento": "birth_year", "Equipo": "team",
    }
    assert all(0 < c <= 1 for c in m.confidence.values())


@pytest.mark.parametrize("rating", ["PerformanceRating", "previous_year_rating",
                                    "calificacion_desempeno", "Calificación", "Evaluación"])
def test_rating_synonyms(rating):
    m = propose_mapping(empty(["EmployeeID", "Quarter", rating]), kind="performance")
    assert m.columns == {"EmployeeID": "employee_id", "Quarter": "period",
                         rating: "performance_rating"}


def test_performance_prefixes_and_english_headers():
    cols = ["DNI", "Trimestre", "PerformanceRating", "kpi_CSAT", "Skill Negotiation",
            "habilidad_liderazgo", "Competencia Trabajo en Equipo", "indicador_ventas"]
    m = propose_mapping(empty(cols))
    assert m.kind == "performance"
    assert m.columns == {
        "DNI": "employee_id", "Trimestre": "period", "PerformanceRating": "performance_rating",
        "kpi_CSAT": "kpi_csat", "Skill Negotiation": "skill_negotiation",
        "habilidad_liderazgo": "skill_liderazgo",
        "Competencia Trabajo en Equipo": "skill_trabajo_en_equipo",
        "indicador_ventas": "kpi_ventas",
    }


def test_programs_and_training_headers():
    prog = propose_mapping(empty(["Código Curso", "Título", "Costo (S/)", "Horas", "Modalidad",
                                  "Prerrequisitos", "Habilidades Objetivo", "Proveedor"]))
    assert prog.kind == "programs"
    assert prog.columns == {
        "Código Curso": "program_id", "Título": "title_es", "Costo (S/)": "cost_pen",
        "Horas": "hours", "Modalidad": "modality", "Prerrequisitos": "prerequisites",
        "Habilidades Objetivo": "target_skills", "Proveedor": "provider",
    }
    tr = propose_mapping(empty(["Código Empleado", "course_id", "Periodo", "Estado", "Nota"]))
    assert tr.kind == "training_records"
    assert tr.columns == {"Código Empleado": "employee_id", "course_id": "program_id",
                          "Periodo": "period", "Estado": "status", "Nota": "score"}


def test_value_types_decide_ambiguous_names():
    frame = text_frame({
        "id": ["E1", "E2", "E3"],
        "cuando": ["2024-Q1", "2024-Q2", "2024-Q3"],
        "score_jefe": ["1", "4", "5"],
    })
    m = propose_mapping(frame, kind="performance")
    assert m.columns["cuando"] == "period"
    assert m.columns["score_jefe"] == "performance_rating"
    emp = propose_mapping(text_frame({
        "codigo": ["E1", "E2"], "contacto": ["a@x.pe", "b@x.pe"],
        "desde": ["01/02/2020", "2021-05-03"],
    }), kind="employees")
    assert emp.columns == {"codigo": "employee_id", "contacto": "email", "desde": "hire_date"}


def test_never_two_columns_on_one_canonical():
    m = propose_mapping(empty(["id", "Rating", "Calificación", "Trimestre", "Periodo"]),
                        kind="performance")
    targets = list(m.columns.values())
    assert len(targets) == len(set(targets))
    assert targets.count("performance_rating") == 1 and targets.count("period") == 1


@pytest.mark.parametrize(
    ("columns", "kind"),
    [
        (["employee_id", "full_name", "email", "department", "team", "manager_id", "job_role",
          "location", "hire_date", "birth_year", "gender"], "employees"),
        (["employee_id", "period", "performance_rating", "kpi_csat", "skill_excel"],
         "performance"),
        (["program_id", "title_es", "title_en", "description", "target_skills", "hours",
          "cost_pen", "modality", "provider", "prerequisites", "expected_gain"], "programs"),
        (["employee_id", "program_id", "period", "status", "score"], "training_records"),
        (["job_role", "skill", "target_level"], "job_roles"),
        (PROMOTION_COLUMNS, SNAPSHOT),
    ],
)
def test_detect_kind_of_canonical_shapes(columns, kind):
    found, score = detect_kind(columns)
    assert found == kind
    assert 0.5 < score <= 1


def test_detect_snapshot_on_real_promotion_file():
    frame = promotion_frame()
    assert detect_kind(list(frame.columns), frame)[0] == SNAPSHOT
    m = propose_mapping(frame)
    assert m.kind == SNAPSHOT and m.target == "is_promoted"
    assert m.columns["is_promoted"] == "outcome"
    assert m.columns["employee_id"] == "employee_id"
    assert m.columns["region"] == "location"
    assert m.columns["KPIs_met _greaterthan_80percent"] == "f_kpis_met_greaterthan_80percent"
    assert m.columns["previous_year_rating"] == "f_previous_year_rating"


def test_snapshot_proposes_target_and_explicit_kind_wins():
    frame = text_frame({
        "codigo": ["1", "2", "3", "4"], "area": ["TI", "TI", "Ventas", "Ventas"],
        "antiguedad": ["1", "5", "3", "2"], "promovido": ["si", "no", "no", "si"],
    })
    m = propose_mapping(frame, kind=SNAPSHOT)
    assert m.target == "promovido"
    assert m.columns == {"codigo": "employee_id", "area": "department",
                         "antiguedad": "f_antiguedad", "promovido": "outcome"}
    chosen = propose_mapping(frame, kind=SNAPSHOT, target="antiguedad")
    assert chosen.target == "antiguedad" and chosen.columns["antiguedad"] == "outcome"
    assert chosen.columns["promovido"] == "f_promovido"
    assert propose_mapping(frame, kind="employees").kind == "employees"


def test_a_measure_of_a_thing_is_not_the_thing():
    # IBM's public attrition file: YearsWithCurrManager counts years, it is no manager id
    frame = text_frame({
        "EmployeeNumber": ["1", "2", "4"], "YearsWithCurrManager": ["5", "7", "0"],
        "YearsInCurrentRole": ["4", "7", "0"], "Attrition": ["Yes", "No", "Yes"],
        "JobRole": ["Sales Executive", "Research Scientist", "Laboratory Technician"],
    })
    m = propose_mapping(frame, kind=SNAPSHOT, target="Attrition")
    assert m.columns["EmployeeNumber"] == "employee_id"
    assert m.columns["YearsWithCurrManager"] == "f_years_with_curr_manager"
    assert m.columns["YearsInCurrentRole"] == "f_years_in_current_role"
    assert m.columns["JobRole"] == "job_role"
    # Kaggle's Employee.csv: the year someone joined is not their birth year
    joined = propose_mapping(text_frame({"JoiningYear": ["2017", "2013"], "Age": ["34", "28"],
                                         "LeaveOrNot": ["0", "1"]}), kind=SNAPSHOT,
                             target="LeaveOrNot")
    assert joined.columns["JoiningYear"] == "f_joining_year"
    born = propose_mapping(text_frame({"codigo": ["1", "2"], "anio": ["1980", "1992"]}),
                           kind="employees")
    assert born.columns["anio"] == "birth_year"
    emp = propose_mapping(text_frame({"codigo": ["1", "2"], "anos_con_jefe": ["3", "1"]}),
                          kind="employees")
    assert emp.columns == {"codigo": "employee_id"}
    boss = propose_mapping(text_frame({"codigo": ["1", "2"], "codigo_jefe": ["2", None]}),
                           kind="employees")
    assert boss.columns == {"codigo": "employee_id", "codigo_jefe": "manager_id"}


def test_snapshot_without_an_id_column_is_detected_by_its_named_outcome():
    # HR_comma_sep.csv and Kaggle's Employee.csv carry no employee id (rows get F2, F3, ...)
    hr = text_frame({"satisfaction_level": ["0.38", "0.8", "0.11", "0.72"],
                     "salary": ["low", "medium", "medium", "low"],
                     "Department": ["sales", "sales", "IT", "hr"],
                     "promotion_last_5years": ["0", "0", "1", "0"], "left": ["1", "1", "0", "0"]})
    m = propose_mapping(hr)
    assert (m.kind, m.target) == (SNAPSHOT, "left")
    leave = text_frame({"Education": ["Bachelors", "Masters"], "EverBenched": ["No", "Yes"],
                        "LeaveOrNot": ["0", "1"]})
    assert propose_mapping(leave).target == "LeaveOrNot"
    survival = text_frame({"stag": ["7.03", "22.9"], "gender": ["m", "f"],
                           "industry": ["Banks", "Retail"], "event": ["1", "0"]})
    assert (propose_mapping(survival).kind, propose_mapping(survival).target) == (
        SNAPSHOT, "event")
    # without ids, a two-valued column alone does not make a snapshot
    programs = text_frame({"titulo": ["Excel", "Liderazgo"], "horas": ["12", "20"],
                           "modalidad": ["virtual", "presencial"]})
    assert propose_mapping(programs).kind == "programs"
    perf = text_frame({"periodo": ["2024-Q1", "2024-Q2"], "calificacion": ["3", "4"],
                       "renuncio": ["0", "1"]})
    assert propose_mapping(perf).kind == "performance"


def test_override():
    m = propose_mapping(empty(["Código", "Área", "Equipo", "Jefe"]), kind="employees")
    edited = apply_override(m, {"Jefe": None, "Área": "team"})
    assert "Jefe" not in edited.columns
    assert edited.columns["Área"] == "team" and edited.confidence["Área"] == 1.0
    assert "Equipo" not in edited.columns  # "team" is taken by HR's choice
    assert m.columns["Jefe"] == "manager_id"  # the original is untouched
    with pytest.raises(ValueError, match="no es una columna"):
        apply_override(m, {"Área": "salary"})
    perf = apply_override(propose_mapping(empty(["id", "periodo", "CSAT"]), kind="performance"),
                          {"CSAT": "kpi_CSAT"})
    assert perf.columns["CSAT"] == "kpi_csat"


def test_override_snapshot_target():
    frame = text_frame({"id": ["1", "2"], "renuncia": ["0", "1"], "bono": ["0", "1"]})
    m = propose_mapping(frame, kind=SNAPSHOT)
    assert m.target == "renuncia"
    edited = apply_override(m, {"bono": "outcome"})
    assert edited.target == "bono" and "renuncia" not in edited.columns


def test_json_round_trip():
    m = propose_mapping(text_frame({"id": ["1", "2"], "renuncia": ["0", "1"]}), kind=SNAPSHOT)
    back = Mapping.from_json(json.loads(json.dumps(m.to_json())))
    assert back == m


@pytest.mark.parametrize(
    ("text", "decimal", "value"),
    [("3.5", ".", 3.5), ("3,5", ".", 3.5), ("3,5", ",", 3.5), ("1.234,5", ",", 1234.5),
     ("1,234.5", ".", 1234.5), ("1,234.5", ",", 1234.5), ("1.234", ",", 1234.0),
     ("S/ 1 200", ".", 1200.0), ("85%", ".", 85.0), ("-2", ".", -2.0)],
)
def test_parse_number(text, decimal, value):
    assert parse_number(text, decimal) == pytest.approx(value)


@pytest.mark.parametrize("text", ["seis", "3.5.1", "1,2,3.4.5", "", "inf", "nan", "3 5a"])
def test_parse_number_rejects(text):
    assert parse_number(text) is None


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=-10**7, max_value=10**7, places=2, allow_nan=False))
def test_parse_number_any_grouping(d):
    x = float(d)
    assert parse_number(f"{x:.2f}") == pytest.approx(x)
    assert parse_number(f"{x:,.2f}", ".", thousands_comma=True) == pytest.approx(x)
    spanish = f"{x:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    assert parse_number(spanish, ",") == pytest.approx(x)


@pytest.mark.parametrize("text", ["2024-Q3", "2024Q3", "2024-T3", "T3 2024", "2024-3",
                                  "q3-2024", "3T 2024", "Trimestre 3 2024", " 2024 - Q3 "])
def test_parse_period(text):
    assert parse_period(text) == "2024-Q3"


@pytest.mark.parametrize("text", ["2024-Q5", "2024-03", "Q3", "2024", "tercero", "2024-Q0"])
def test_parse_period_rejects(text):
    assert parse_period(text) is None


def test_parse_date_day_first():
    assert str(parse_date("05/03/2021")) == "2021-03-05"
    assert str(parse_date("05-03-2021")) == "2021-03-05"
    assert str(parse_date("2021-03-05")) == "2021-03-05"
    assert parse_date("31/02/2021") is None
    assert parse_date("ayer") is None


def test_date_columns_written_month_first_are_detected():
    from core.ingest.mapping import dayfirst_for, parse_date

    assert dayfirst_for(["05/07/2011", "31/12/2020"]) is True
    assert dayfirst_for(["05/07/2011", "12/31/2020"]) is False
    assert dayfirst_for(["05/07/2011", "2020-01-01", None]) is True  # ambiguous: Peru's way
    assert parse_date("12/31/2020", dayfirst=False).isoformat() == "2020-12-31"
    assert parse_date("05/07/2011").isoformat() == "2011-07-05"
