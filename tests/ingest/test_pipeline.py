"""The whole ingest over the bad-file corpus, on SQLite and PostgreSQL.

Every bad file gets a clear rejection (file, row, column, in Spanish and English) or a
warning, none crashes, and a rejection leaves every table's row count as it was.
"""

from __future__ import annotations

import pytest

from core.db import get_engine
from core.ingest import UploadFile, ingest, prepare
from core.ingest.store import row_counts
from tests.ingest.badfiles import BAD_FILES, EMP_COLUMNS, EMP_ROWS, EXPECTED, write_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture
def seeded(engine, tmp_path):
    """The four employees the corpus files refer to, stored first."""
    path = tmp_path / "base_employees.csv"
    path.write_text(",".join(EMP_COLUMNS) + "\n" + "\n".join(",".join(r) for r in EMP_ROWS)
                    + "\n", encoding="utf-8")
    result = ingest([UploadFile.from_path(path)], engine, uploaded_by="test")
    assert result.status == "stored", result.to_json("en")["errors"]
    return engine


def test_corpus_is_large_enough():
    assert len(BAD_FILES) >= 25
    assert sum(e.outcome == "reject" or e.stage == "validate" for e in EXPECTED.values()) >= 25


def test_every_corpus_file_is_rejected_or_warned_and_nothing_half_written(seeded, corpus):
    engine = seeded
    for name, path in corpus.items():
        expected = EXPECTED[name]
        before = row_counts(engine)
        result = ingest([UploadFile.from_path(path)], engine, uploaded_by="test")
        assert result.status in {"stored", "unchanged", "rejected"}, name
        if expected.outcome == "reject" or expected.stage == "validate":
            assert result.status == "rejected", (name, result.to_json("en")["warnings"])
        if result.status == "rejected":
            assert result.errors, name
            assert row_counts(engine) == before, name
            for issue in result.errors:
                assert issue.file == name
                assert issue.message_es and issue.message_en
                assert issue.message_es != issue.message_en
        elif expected.outcome == "warn":
            codes = {w.code for w in result.warnings}
            assert set(expected.codes) <= codes, (name, codes)


@pytest.mark.parametrize("name", [n for n, e in EXPECTED.items() if e.stage == "validate"])
def test_validation_problems_name_row_and_column(corpus, name):
    prepared = prepare([UploadFile.from_path(corpus[name])])
    assert prepared.errors, name
    for e in prepared.errors:
        # a cell problem names its row and the user's column; a missing column is named in
        # the message (it has no place in the file to point at)
        assert (e.row is not None and e.column is not None) or (
            e.row is None and "column" in e.message_en and "columna" in e.message_es), e


def test_dni_keeps_leading_zero_through_the_store(engine, tmp_path):
    path = tmp_path / "empleados.csv"
    path.write_text("Código Empleado;Nombre completo;Sede\n01234567;Rosa Huamán;Cusco\n"
                    "00000042;Luis Apaza;Piura\n", encoding="cp1252")
    result = ingest([UploadFile.from_path(path)], engine)
    assert result.status == "stored", result.to_json("en")
    from core.db import session_scope
    from core.models import Employee

    with session_scope(get_engine(str(engine.url.render_as_string(hide_password=False))),
                       write=False) as s:
        assert s.get(Employee, "01234567").full_name == "Rosa Huamán"
        assert s.get(Employee, "00000042").location == "Piura"


def test_formula_cells_are_stored_as_text_with_a_warning(seeded, corpus):
    result = ingest([UploadFile.from_path(corpus["formula_injection.csv"])], seeded)
    assert "formula_like" in {w.code for w in result.warnings}


def test_performance_referring_to_unknown_employee_is_rejected(seeded, tmp_path):
    path = tmp_path / "performance.csv"
    path.write_text("employee_id,period,performance_rating\nE001,2026-Q1,4\nE999,2026-Q1,3\n")
    before = row_counts(seeded)
    result = ingest([UploadFile.from_path(path)], seeded)
    assert result.status == "rejected"
    assert [(e.row, e.column) for e in result.errors] == [(3, "employee_id")]
    assert row_counts(seeded) == before


def _public_like_snapshot(tmp_path):
    """Headers and value styles of well-known public HR files (US dates, manager codes)."""
    rows = ["Employee_Name,EmpID,Termd,Position,Sex,DateofHire,Department,ManagerID,"
            "PerformanceScore,EngagementSurvey,Absences"]
    for i in range(40):
        month, day = 1 + i % 12, 1 + (i * 7) % 28
        if i == 5:
            month, day = 12, 31  # only month first can read this one
        rows.append(f'"Apellido{i}, Nombre",{10001 + i},{i % 2},Technician,{"MF"[i % 2]},'
                    f"{month}/{day}/2011,Production,{1 + i % 5}.0,"
                    f"{['Exceeds', 'Fully Meets', 'PIP'][i % 3]},{3 + (i % 20) / 10},{i % 9}")
    path = tmp_path / "HRDataset_like.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_public_style_snapshot_is_stored_with_warnings(engine, tmp_path):
    path = _public_like_snapshot(tmp_path)
    result = ingest([UploadFile.from_path(path)], engine, kind="snapshot", target="Termd")
    assert result.status == "stored", result.to_json("en")["errors"][:3]
    assert "unknown_manager_id" in {w.code for w in result.warnings}
    assert result.mapping[path.name]["columns"]["EmpID"] == "employee_id"
    from core.db import session_scope
    from core.models import Employee

    with session_scope(engine, write=False) as s:
        e = s.get(Employee, "10006")
        assert (e.hire_date.month, e.hire_date.day) == (12, 31)
        assert e.manager_id is None
    again = ingest([UploadFile.from_path(path)], engine, kind="snapshot", target="Termd")
    assert again.status == "unchanged"
