from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.ingest.mapping import SNAPSHOT, Mapping, propose_mapping
from core.ingest.validate import KnownIds, Validated, check_references, validate

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


def run(data: dict[str, list], kind: str, file: str = "f.csv", decimal: str = ".",
        **kw) -> Validated:
    frame = text_frame(data)
    return validate(frame, propose_mapping(frame, kind=kind, **kw), file, decimal)


def errors(v: Validated, code: str | None = None):
    return [i for i in v.issues if i.severity == "error" and (code is None or i.code == code)]


def only(v: Validated, code: str):
    found = [i for i in v.issues if i.code == code]
    assert len(found) == 1, [i.message_en for i in v.issues]
    return found[0]


EMPLOYEES = {
    "Código Empleado": ["00123", "00124", "00125"],
    "Nombre Completo": ["Ana Quispe", "Luis Mamani", "Rosa Flores"],
    "Correo": ["ana@x.pe", "luis@x.pe", "rosa@x.pe"],
    "Área": ["Ventas", "Ventas", "TI"],
    "Jefe": [None, "00123", "00123"],
    "Sede": ["Lima", "Arequipa", "Cusco"],
    "Fecha de Ingreso": ["15/03/2019", "2020-07-01", "01-12-2021"],
    "Año de Nacimiento": ["1985", "1990", "1999"],
    "Sexo": ["F", "M", "F"],
}


def test_good_employees_file():
    v = run(EMPLOYEES, "employees")
    assert v.ok and v.issues == []
    f = v.frame
    assert list(f.index) == [2, 3, 4]
    assert f["employee_id"].tolist() == ["00123", "00124", "00125"]  # leading zeros kept
    assert str(f["employee_id"].dtype) == "string"
    assert str(f["birth_year"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(f["hire_date"])
    assert [d.date() for d in f["hire_date"]] == [
        dt.date(2019, 3, 15), dt.date(2020, 7, 1), dt.date(2021, 12, 1)]
    assert v.user_columns["employee_id"] == "Código Empleado"


def perf(**over) -> dict[str, list]:
    data = {
        "DNI": ["E1", "E2", "E3"],
        "Trimestre": ["2024-Q1", "2024Q1", "T1 2024"],
        "Calificación": ["3", "4.5", "2"],
        "kpi_ventas": ["100", "250,5", None],
        "skill_excel": ["3", "4", "5"],
    }
    data.update(over)
    return data


def test_good_performance_file_and_types():
    v = run(perf(), "performance")
    assert v.ok, [i.message_en for i in v.issues]
    f = v.frame
    assert f["period"].tolist() == ["2024-Q1"] * 3
    assert str(f["performance_rating"].dtype) == "Float64"
    assert f["kpi_ventas"].tolist()[:2] == [100.0, 250.5]
    assert str(f["skill_excel"].dtype) == "Float64"


def test_bad_number():
    v = run(perf(**{"Calificación": ["3", "seis", "2"]}), "performance", file="perf.csv")
    issue = only(v, "bad_float")
    assert (issue.file, issue.row, issue.column, issue.severity) == (
        "perf.csv", 3, "Calificación", "error")
    assert "«seis» no es un número; se espera un valor de 1 a 5" in issue.message_es
    assert "Row 3, column 'Calificación': 'seis' is not a number" in issue.message_en
    assert not v.ok


def test_out_of_range_rating_and_skill():
    v = run(perf(**{"Calificación": ["3", "4", "6"], "skill_excel": ["0", "4", "5"]}),
            "performance")
    rng = {(i.row, i.column) for i in errors(v, "out_of_range")}
    assert rng == {(4, "Calificación"), (2, "skill_excel")}
    assert any("de 1 a 5" in i.message_es for i in errors(v, "out_of_range"))


def test_bad_period():
    v = run(perf(Trimestre=["2024-Q1", "2024-Q5", "marzo"]), "performance")
    assert {(i.row, i.column) for i in errors(v, "bad_period")} == {
        (3, "Trimestre"), (4, "Trimestre")}
    assert "2024-Q3" in errors(v, "bad_period")[0].message_es
    assert errors(v, "missing_value") == []  # an unreadable cell is reported once


def test_duplicated_keys():
    data = dict(EMPLOYEES)
    data["Código Empleado"] = ["00123", "00124", "00123"]
    v = run(data, "employees")
    issue = only(v, "duplicate_key")
    assert (issue.row, issue.column) == (4, "Código Empleado")
    assert "fila 2" in issue.message_es and "row 2" in issue.message_en
    p = run(perf(DNI=["E1", "E1", "E1"], Trimestre=["2024-Q1", "2024-Q2", "2024Q1"]),
            "performance")
    dup = only(p, "duplicate_key")
    assert dup.row == 4 and "fila 2" in dup.message_es


def test_missing_required_column():
    frame = text_frame({"DNI": ["E1"], "Calificación": ["3"]})
    v = validate(frame, Mapping("performance", {"DNI": "employee_id",
                                                "Calificación": "performance_rating"}, {}),
                 "p.csv")
    issue = only(v, "missing_column")
    assert issue.row is None and "«period»" in issue.message_es
    assert "«DNI», «Calificación»" in issue.message_es  # the user's columns are listed
    assert not v.ok


def test_required_value_missing():
    v = run(perf(DNI=["E1", None, "E3"]), "performance")
    issue = only(v, "missing_value")
    assert (issue.row, issue.column) == (3, "DNI")


def test_choices_normalised_and_bad_choice():
    data = {
        "Código Empleado": ["E1", "E2", "E3", "E4"],
        "Código Curso": ["P1", "P1", "P2", "P2"],
        "Periodo": ["2024-Q1"] * 4,
        "Estado": ["Completado", "inscrito", "RETIRADO", "pendiente"],
    }
    v = run(data, "training_records")
    assert v.frame["status"].tolist()[:3] == ["completed", "enrolled", "dropped"]
    issue = only(v, "bad_choice")
    assert (issue.row, issue.column) == (5, "Estado")
    assert "«pendiente»" in issue.message_es and "completed (completado)" in issue.message_es
    prog = run({"Código Curso": ["P1", "P2", "P3"], "Título": ["a", "b", "c"],
                "Modalidad": ["Presencial", "en línea", "a veces"]}, "programs")
    assert prog.frame["modality"].tolist()[:2] == ["presencial", "virtual"]
    assert only(prog, "bad_choice").row == 4


def test_decimal_comma_and_grouping():
    data = {"Código Curso": ["P1", "P2", "P3", "P4"], "Título": ["a", "b", "c", "d"],
            "Costo": ["1.234,5", "350", "2.000", "99,90"], "Horas": ["3,5", "12", "8", "1,5"]}
    v = run(data, "programs", decimal=",")
    assert v.ok, [i.message_en for i in v.issues]
    assert v.frame["cost_pen"].tolist() == [1234.5, 350.0, 2000.0, 99.9]
    assert v.frame["hours"].tolist() == [3.5, 12.0, 8.0, 1.5]
    english = run({"Código Curso": ["P1", "P2"], "Título": ["a", "b"],
                   "Costo": ["1,234.5", "2,000.00"]}, "programs")
    assert english.frame["cost_pen"].tolist() == [1234.5, 2000.0]


def test_lists_normalised():
    v = run({"Código Curso": ["P1", "P2"], "Título": ["a", "b"],
             "Habilidades Objetivo": ["Comunicación, Liderazgo", "skill_excel;  sql"],
             "Prerrequisitos": [None, "P1 ; "]}, "programs")
    assert v.frame["target_skills"].tolist() == ["comunicacion;liderazgo", "excel;sql"]
    assert v.frame["prerequisites"].tolist()[1] == "P1"


def test_bad_date():
    data = dict(EMPLOYEES)
    data["Fecha de Ingreso"] = ["31/02/2020", "2020-07-01", "ayer"]
    v = run(data, "employees")
    assert {(i.row, i.column) for i in errors(v, "bad_date")} == {
        (2, "Fecha de Ingreso"), (4, "Fecha de Ingreso")}


def test_self_manager_and_cycle():
    v = run({"id": ["A", "B", "C", "D", "E"], "jefe": ["B", "C", "A", "D", "A"]}, "employees")
    self_mgr = only(v, "self_manager")
    assert (self_mgr.row, self_mgr.column) == (5, "jefe")
    cycle = only(v, "manager_cycle")
    assert (cycle.row, cycle.column) == (2, "jefe")
    assert "A → B → C → A" in cycle.message_es


def test_references():
    emps = run({"id": ["E1", "E2"], "jefe": [None, "E9"]}, "employees", file="emp.csv")
    progs = run({"Código Curso": ["P1", "P2"], "Título": ["a", "b"],
                 "Prerrequisitos": [None, "P1;P7"]}, "programs", file="prog.csv")
    perf_v = run({"DNI": ["E1", "E3", "E5"], "Trimestre": ["2024-Q1"] * 3}, "performance",
                 file="perf.csv")
    tr = run({"Código Empleado": ["E1", "E2"], "Código Curso": ["P1", "P8"],
              "Periodo": ["2024-Q1"] * 2, "Estado": ["completado"] * 2}, "training_records",
             file="tr.csv")
    assert all(x.ok for x in (emps, progs, perf_v, tr))
    found = check_references(
        {"employees": emps, "programs": progs, "performance": perf_v, "training_records": tr},
        KnownIds(employees={"E5"}),
    )
    got = {(i.file, i.row, i.column, i.code) for i in found}
    assert got == {
        ("emp.csv", 3, "jefe", "unknown_manager_id"),
        ("prog.csv", 3, "Prerrequisitos", "unknown_prerequisites"),
        ("perf.csv", 3, "DNI", "unknown_employee_id"),
        ("tr.csv", 3, "Código Curso", "unknown_program_id"),
    }
    assert all(i.severity == "error" and i.message_es and i.message_en for i in found)
    assert any("«P7»" in i.message_es for i in found)
    # ids uploaded earlier are enough
    assert check_references({"performance": perf_v}, KnownIds({"E1", "E3", "E5"})) == []


def test_issues_capped_at_200():
    n = 500
    frame = text_frame({"DNI": [f"E{i}" for i in range(n)], "Trimestre": ["2024-Q1"] * n,
                        "Calificación": ["mucho"] * n})
    assert propose_mapping(frame).columns["Calificación"] == "performance_rating"
    m = Mapping("performance", {"DNI": "employee_id", "Trimestre": "period",
                                "Calificación": "performance_rating"}, {})
    v = validate(frame, m, "p.csv")
    assert len(v.issues) == 201
    last = v.issues[-1]
    assert last.code == "more_issues"
    assert "300 problemas más" in last.message_es and "300 more problems" in last.message_en
    refs = check_references({"performance": run({"DNI": [f"X{i}" for i in range(n)],
                                                 "Trimestre": ["2024-Q1"] * n},
                                                "performance")}, KnownIds())
    assert len(refs) == 201 and refs[-1].code == "more_issues"


def test_warnings_do_not_block():
    year = dt.date.today().year
    data = dict(EMPLOYEES)
    data["Fecha de Ingreso"] = ["15/03/2019", f"01/01/{year + 2}", "01-12-2021"]
    data["Año de Nacimiento"] = ["1985", str(year - 10), "1930"]
    v = run(data, "employees")
    assert v.ok
    codes = {(i.code, i.row) for i in v.issues}
    assert codes == {("future_date", 3), ("implausible_age", 3), ("implausible_age", 4)}
    assert all(i.severity == "warning" for i in v.issues)
    p = run(perf(kpi_ventas=["1", None, None], skill_excel=["3", "4", None]), "performance")
    assert p.ok and {(i.code, i.row) for i in p.issues} == {("no_measurements", 4)}


def test_mapping_column_absent_from_file():
    frame = text_frame({"DNI": ["E1"], "Trimestre": ["2024-Q1"]})
    m = Mapping("performance", {"DNI": "employee_id", "Trimestre": "period",
                                "Nota": "performance_rating"}, {})
    v = validate(frame, m, "p.csv")
    assert only(v, "mapped_column_absent").column == "Nota"


def test_snapshot_small():
    n = 40
    data = {
        "codigo": [f"{i:04d}" for i in range(n)],
        "area": ["TI", "Ventas"] * (n // 2),
        "antiguedad": [str(i % 7) for i in range(n - 1)] + ["mucho"],
        "educacion": ["Superior", "Técnica"] * (n // 2),
        "promovido": ["1", "0", "0", "0"] * (n // 4),
    }
    v = run(data, SNAPSHOT, target="promovido")
    assert v.ok, [i.message_en for i in v.issues]
    f = v.frame
    assert list(f.columns) == ["employee_id", "department", "f_antiguedad", "f_educacion",
                               "outcome"]
    assert f["employee_id"].iloc[0] == "0000"
    assert str(f["f_antiguedad"].dtype) == "Float64" and pd.isna(f["f_antiguedad"].iloc[-1])
    assert str(f["f_educacion"].dtype) == "string"
    assert str(f["outcome"].dtype) == "string" and set(f["outcome"]) == {"0", "1"}
    warning = only(v, "feature_not_number")
    assert (warning.row, warning.column, warning.severity) == (n + 1, "antiguedad", "warning")


def test_snapshot_outcome_errors():
    data = {"codigo": ["1", "2", "3"], "x": ["1", "2", "3"], "promovido": ["1", None, "1"]}
    v = run(data, SNAPSHOT, target="promovido")
    assert only(v, "missing_value").row == 3
    assert only(v, "single_class").column == "promovido"
    dup = run({"codigo": ["1", "1"], "promovido": ["0", "1"]}, SNAPSHOT, target="promovido")
    assert only(dup, "duplicate_key").row == 3
    absent = validate(text_frame({"codigo": ["1"]}),
                      Mapping(SNAPSHOT, {"codigo": "employee_id"}, {}, target="sale"), "s.csv")
    assert "«sale»" in only(absent, "missing_column").message_es


def test_real_promotion_snapshot_validates():
    if not PROMOTION.exists():
        pytest.skip(f"{PROMOTION} is absent (a clone without ../shared/data): this test needs "
                    "the real promotion file")
    raw = pd.read_csv(PROMOTION, dtype=str, keep_default_na=False)
    raw = raw.astype(object).where(raw != "", pd.NA)
    raw.index = pd.RangeIndex(2, len(raw) + 2)
    m = propose_mapping(raw, target="is_promoted")
    v = validate(raw, m, PROMOTION.name)
    assert errors(v) == []
    assert len(v.frame) == len(raw) == 54_808
    assert v.frame["outcome"].value_counts().to_dict() == {"0": 50_140, "1": 4_668}
    assert str(v.frame["f_avg_training_score"].dtype) == "Float64"
    assert str(v.frame["f_education"].dtype) == "string"


def test_excel_float_ids_become_text_ids():
    v = run({"id": ["123.0", "124.0"], "jefe": [None, "123.0"]}, "employees")
    assert v.frame["employee_id"].tolist() == ["123", "124"]
    assert v.frame["manager_id"].tolist()[1] == "123"


CELL = st.one_of(st.none(), st.text(alphabet="0123456789.,-QT /abcñé%", max_size=9))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(CELL, CELL, CELL, CELL), min_size=1, max_size=12),
       st.sampled_from([".", ","]))
def test_any_text_gives_issues_not_exceptions(rows, decimal):
    cols = ["DNI", "Trimestre", "Calificación", "skill_excel"]
    frame = text_frame({c: [r[i] for r in rows] for i, c in enumerate(cols)})
    v = validate(frame, propose_mapping(frame, kind="performance"), "p.csv", decimal)
    assert list(v.frame.index) == list(frame.index)
    for issue in v.issues:
        assert issue.row is None or issue.row in frame.index
        assert issue.column is None or issue.column in cols
        assert issue.message_es and issue.message_en
        assert issue.severity in ("error", "warning")
    rating = v.frame.get("performance_rating")
    if rating is not None and v.ok:
        assert rating.dropna().between(1, 5).all()


def test_reader_string_dtype_input():
    """The reader gives pandas ``string`` columns (pyarrow storage) with the index named row."""
    frame = text_frame(EMPLOYEES).astype("string[pyarrow]").rename_axis("row")
    v = validate(frame, propose_mapping(frame), "e.csv")
    assert v.ok and v.kind == "employees"
    assert v.frame["employee_id"].tolist() == ["00123", "00124", "00125"]
    assert list(v.frame.index) == [2, 3, 4]


def test_snapshot_without_ids_uses_row_numbers():
    data = {"satisfaccion": ["0.4", "0.9", "0.1", "0.7"], "area": ["TI", "TI", "RR.HH.", "TI"],
            "renuncio": ["1", "0", "1", "0"]}
    v = run(data, SNAPSHOT, target="renuncio")
    assert v.ok, [i.message_en for i in v.issues]
    assert list(v.frame["employee_id"]) == ["F2", "F3", "F4", "F5"]
    note = only(v, "row_ids")
    assert note.severity == "warning" and "F2" in note.message_es and "F2" in note.message_en
    # a mapped id column that is not in the file is still an error, not replaced
    absent = validate(text_frame({"x": ["1", "2"], "sale": ["0", "1"]}),
                      Mapping(SNAPSHOT, {"codigo": "employee_id", "x": "f_x", "sale": "outcome"},
                              {}, target="sale"), "s.csv")
    assert only(absent, "mapped_column_absent").column == "codigo"
    assert not [i for i in absent.issues if i.code == "row_ids"]
