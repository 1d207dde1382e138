"""core.ingest.read: every corpus file reads or is rejected cleanly, and the reading rules."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core.ingest.read as read_mod
from core.ingest.issues import Issue, UploadRejected
from core.ingest.read import MAX_UPLOAD_MB, MISSING_TOKENS, RawTable, read_path, read_table
from tests.ingest.badfiles import BAD_FILES, EXPECTED, write_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return write_corpus(tmp_path_factory.mktemp("badfiles"))


def _check_issue(issue: Issue, name: str, severity: str) -> None:
    assert isinstance(issue, Issue)
    assert issue.file == name
    assert issue.severity == severity
    assert issue.code
    assert issue.message_es.strip() and issue.message_en.strip()
    assert issue.message_es != issue.message_en
    assert name in issue.message_es and name in issue.message_en


def _reject(data: bytes, name: str) -> list[Issue]:
    with pytest.raises(UploadRejected) as info:
        read_table(data, name)
    for issue in info.value.issues:
        _check_issue(issue, name, "error")
    return info.value.issues


def _read(corpus: dict[str, Path], name: str) -> RawTable:
    return read_path(corpus[name])


def _vals(series: pd.Series) -> list:
    """Values with pd.NA as None, so lists compare with ==."""
    return [None if v is pd.NA else v for v in series.tolist()]


def _warning(table: RawTable, code: str, column: str | None = None) -> Issue:
    found = [w for w in table.warnings if w.code == code and (column is None or
                                                              w.column == column)]
    assert len(found) == 1, table.warnings
    return found[0]


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------


def test_corpus_is_big_enough():
    assert len(BAD_FILES) >= 25
    assert set(BAD_FILES) == set(EXPECTED)
    for exp in EXPECTED.values():
        assert exp.outcome in ("reject", "warn", "ok")
        assert exp.stage in ("read", "validate")
        assert exp.stage == "read" or exp.outcome == "ok"


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_corpus_file_reads_or_is_rejected_cleanly(corpus, name):
    exp = EXPECTED[name]
    data = corpus[name].read_bytes()
    try:
        table = read_table(data, name)
    except UploadRejected as rejected:
        codes = [i.code for i in rejected.issues]
        assert exp.outcome == "reject", f"{name} rejected: {codes}"
        assert rejected.issues
        for issue in rejected.issues:
            _check_issue(issue, name, "error")
        assert set(codes) & set(exp.codes), codes
        return
    assert exp.outcome != "reject", f"{name} was read"
    assert isinstance(table, RawTable)
    assert table.file_name == name
    for issue in table.warnings:
        _check_issue(issue, name, "warning")
    codes = {w.code for w in table.warnings}
    if exp.outcome == "ok":
        assert not codes, table.warnings
    else:
        assert set(exp.codes) <= codes, codes
    frame = table.frame
    assert len(frame) > 0 and frame.index.name == "row"
    assert frame.index.is_monotonic_increasing and frame.index.min() >= 2
    for col in frame.columns:
        assert isinstance(frame[col].dtype, pd.StringDtype) and frame[col].dtype.na_value is pd.NA
        assert col == col.strip()
        values = frame[col].dropna()
        assert all(type(v) is str and v == v.strip() and v for v in values)
    assert table.format in ("csv", "xlsx", "parquet")
    assert table.decimal in (".", ",")
    if table.format == "csv":
        assert table.encoding in ("utf-8-sig", "utf-8", "cp1252", "mixed")
        assert table.delimiter in (",", ";", "\t", "|")
    else:
        assert table.encoding is None and table.delimiter is None


def test_read_path_matches_read_table(corpus):
    name = "employees_cp1252.csv"
    by_path = read_path(corpus[name])
    by_bytes = read_table(corpus[name].read_bytes(), name)
    pd.testing.assert_frame_equal(by_path.frame, by_bytes.frame)


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


def test_leading_zeros_are_kept(corpus):
    frame = _read(corpus, "employees_dni.csv").frame
    assert frame["employee_id"].tolist() == ["01234567", "00456789", "70123456", "00000042"]
    assert _vals(frame["manager_id"]) == [None, "01234567", "01234567", "01234567"]


def test_xlsx_values_become_text(corpus):
    frame = _read(corpus, "employees_dni.xlsx").frame
    assert frame.index.tolist() == [2, 3, 4, 5]
    assert frame["employee_id"].tolist()[:3] == ["00234560", "01234561", "02234562"]
    assert frame.loc[5, "employee_id"] == "01234567"  # a number shown as "00000000"
    assert frame["birth_year"].tolist() == ["1980", "1991", "1995", "1988"]  # no ".0"
    assert frame["hire_date"].tolist()[0] == "2015-03-02"
    assert frame.loc[2, "manager_id"] is pd.NA
    assert frame.loc[4, "full_name"] == "María Ñahui Cárdenas"


@pytest.mark.parametrize(("name", "encoding", "delimiter"), [
    ("employees_cp1252.csv", "cp1252", ","),
    ("employees_utf8_bom.csv", "utf-8-sig", ";"),
    ("employees_pipe.csv", "utf-8", "|"),
])
def test_spanish_letters_are_decoded(corpus, name, encoding, delimiter):
    table = _read(corpus, name)
    assert (table.encoding, table.delimiter) == (encoding, delimiter)
    assert table.frame.columns[0] == "employee_id"  # no BOM left in the first name
    assert table.frame["full_name"].tolist()[1:] == [
        "José Peña Huamán", "María Ñahui Cárdenas", "Luis Núñez Ríos"]
    assert table.frame.loc[4, "department"] == "Atención al Cliente"


def test_latin1_bytes_read_as_cp1252():
    data = "employee_id,full_name\nE1,Peña Ñuñez\nE2,Ángela\n".encode("latin-1")
    table = read_table(data, "latin1.csv")
    assert table.encoding == "cp1252"
    assert table.frame["full_name"].tolist() == ["Peña Ñuñez", "Ángela"]


def test_missing_tokens_and_whitespace():
    tokens = [t for t in MISSING_TOKENS if t]
    header = "employee_id,value\n"
    rows = "".join(f"E{i},{t}\n" for i, t in enumerate(tokens))
    rows += 'X1,  \nX2," padded "\nX3,n/a\nX4,0\nX5,N.A.\nX6," - "\nX7, "q" \n'
    frame = read_table((header + rows).encode(), "tokens.csv").frame
    assert frame["value"].iloc[: len(tokens)].isna().all()
    assert _vals(frame["value"].iloc[len(tokens):]) == [
        None, "padded", "n/a", "0", "N.A.", None, '"q"']


def test_semicolon_file_guesses_decimal_comma(corpus):
    table = _read(corpus, "performance_semicolon.csv")
    assert (table.delimiter, table.decimal) == (";", ",")
    assert table.frame["performance_rating"].tolist() == ["4", "3,5", "2", "3"]
    assert _read(corpus, "performance_tab.csv").decimal == "."


@pytest.mark.parametrize(("text", "decimal"), [
    ('id,score\nE1,"3,5"\nE2,"4,25"\n', ","),
    ("id;score\nE1;1.234,5\nE2;2\n", ","),
    ("id;score\nE1;1,500\nE2;2,750\n", ","),  # ambiguous, but ';' files use ','
    ("id,score\nE1,1.500\nE2,3.75\n", "."),
    ("id;name\nE1;Ana\n", "."),
])
def test_decimal_guess(text, decimal):
    assert read_table(text.encode(), "d.csv").decimal == decimal


def test_delimiter_sniffed_from_the_header():
    table = read_table(b"employee_id;period;performance_rating\nE1;2024-Q1;3,5\n", "s.csv")
    assert table.delimiter == ";"
    assert table.frame.columns.tolist() == ["employee_id", "period", "performance_rating"]


def test_one_column_warns(corpus):
    table = _read(corpus, "employees_colon.csv")
    assert table.frame.shape[1] == 1
    warning = _warning(table, "one_column")
    assert "separador" in warning.message_es and "delimiter" in warning.message_en


def test_parquet_values_become_text(corpus):
    table = _read(corpus, "performance.parquet")
    frame = table.frame
    assert frame.index.tolist() == [2, 3, 4, 5]
    assert frame["performance_rating"].tolist() == ["4", "3", "2", "3"]
    assert frame["skill_comunicacion"].tolist() == ["4", "3.1", "2.8", "3"]
    assert frame.loc[4, "kpi_csat"] is pd.NA
    assert frame["review_date"].tolist()[0] == "2024-03-31"


def test_parquet_types(tmp_path):
    table = pa.table({
        "employee_id": pa.array(["E1", "E2"]).dictionary_encode(),
        "n": pa.array([1, None], type=pa.int32()),
        "x": [float("nan"), 2.5],
        "ok": [True, False],
        "ts": pa.array([pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]),
        "ts_time": pa.array([pd.Timestamp("2024-01-02 08:30"), None]),
        "skills": [["excel", "liderazgo"], []],
        "empty": pa.nulls(2),
    })
    buf = io.BytesIO()
    pq.write_table(table, buf)
    frame = read_table(buf.getvalue(), "t.parquet").frame
    assert frame["employee_id"].tolist() == ["E1", "E2"]
    assert _vals(frame["n"]) == ["1", None]
    assert _vals(frame["x"]) == [None, "2.5"]
    assert frame["ok"].tolist() == ["true", "false"]
    assert frame["ts"].tolist() == ["2024-01-02", "2024-01-03"]
    assert _vals(frame["ts_time"]) == ["2024-01-02 08:30:00", None]
    assert _vals(frame["skills"]) == ["excel;liderazgo", None]
    assert "empty" in frame.columns and frame["empty"].isna().all()


def test_parquet_nested_column_rejected():
    buf = io.BytesIO()
    pq.write_table(pa.table({"id": ["E1"], "s": [{"a": 1}]}), buf)
    issues = _reject(buf.getvalue(), "nested.parquet")
    assert issues[0].code == "parquet_unsupported_column" and issues[0].column == "s"


# --------------------------------------------------------------------------------------------
# Row numbers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "rows"), [
    ("employees_cp1252.csv", [2, 3, 4, 5]),
    ("employees_multiline.csv", [2, 3, 5, 6]),  # row 3 spans two lines
    ("employees_sep_hint.csv", [2, 3, 4, 5]),  # Excel hides the "sep=;" line
    ("performance_trailing_separators.csv", [2, 3, 4, 5]),  # the blank row 6 is dropped
    ("performance_formulas.xlsx", [2, 3, 4, 5]),
])
def test_row_numbers(corpus, name, rows):
    assert _read(corpus, name).frame.index.tolist() == rows


def test_blank_rows_keep_numbering():
    frame = read_table(b"\nid,name\nE1,Ana\n\n,\nE2,Luis\n", "gaps.csv").frame
    assert frame.index.tolist() == [3, 6]
    assert frame.loc[6, "name"] == "Luis"


def test_line_ends():
    assert read_table(b"a,b\r1,2\r3,4\r", "mac.csv").frame.index.tolist() == [2, 3]
    frame = read_table(b'a,b\r\n1,"x\r\ny"\r\n3,4\r\n', "win.csv").frame
    assert frame.index.tolist() == [2, 4] and frame.loc[2, "b"] == "x\ny"


def test_ragged_rows_are_listed(corpus):
    issues = _reject(corpus["ragged_rows.csv"].read_bytes(), "ragged_rows.csv")
    assert [(i.code, i.row) for i in issues] == [("ragged_rows", 3), ("ragged_rows", 5)]
    assert "fila 3" in issues[0].message_es and "row 3" in issues[0].message_en


def test_many_ragged_rows_are_summarised():
    text = "a,b\n" + "1,2,3\n" * 20
    issues = _reject(text.encode(), "r.csv")
    assert [i.row for i in issues] == [2, 3, 4, 5, 6, None]
    assert "20" in issues[-1].message_es and "20" in issues[-1].message_en


def test_unclosed_quote_names_its_row(corpus):
    issues = _reject(corpus["unclosed_quote.csv"].read_bytes(), "unclosed_quote.csv")
    assert (issues[0].code, issues[0].row) == ("unclosed_quote", 4)


# --------------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------------


def test_duplicate_header_named(corpus):
    issues = _reject(corpus["duplicate_header.csv"].read_bytes(), "duplicate_header.csv")
    assert issues[0].code == "duplicate_columns"
    assert issues[0].column == "performance_rating"
    assert "performance_rating" in issues[0].message_es


def test_blank_header_names_column_position(corpus):
    issues = _reject(corpus["blank_header.csv"].read_bytes(), "blank_header.csv")
    assert issues[0].code == "blank_header"
    assert "columna 4" in issues[0].message_es and "column 4" in issues[0].message_en


def test_header_names_are_stripped():
    frame = read_table("\ufeff employee_id ;\u00a0full_name\n1;Ana\n".encode(), "h.csv").frame
    assert frame.columns.tolist() == ["employee_id", "full_name"]


def test_xlsx_data_without_header_rejected():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["employee_id", "full_name"])
    ws.append(["E1", "Ana", None, "stray"])
    buf = io.BytesIO()
    wb.save(buf)
    issues = _reject(buf.getvalue(), "stray.xlsx")
    assert issues[0].code == "blank_header" and issues[0].row == 2
    assert "columna 4 (D)" in issues[0].message_es


# --------------------------------------------------------------------------------------------
# Warnings
# --------------------------------------------------------------------------------------------


def test_formula_like_cells(corpus):
    table = _read(corpus, "formula_injection.csv")
    by_column = {w.column: w for w in table.warnings if w.code == "formula_like"}
    assert set(by_column) == {"full_name", "email", "job_role"}  # not birth_year's "-1980"
    assert by_column["full_name"].row == 3
    assert "2" in by_column["full_name"].message_es
    assert by_column["email"].row == 2
    assert by_column["job_role"].row == 5
    assert table.frame.loc[3, "full_name"].startswith("=HYPERLINK")  # kept as text


def test_plain_numbers_and_phones_are_not_formulas():
    text = ('id,phone,delta,note\nE1,+51 987654321,-3.5,"\t=1+1"\nE2,+51 (01) 234-5678,'
            '-1.234,ok\nE3,-,+7%,"\r@x"\n')
    table = read_table(text.encode(), "p.csv")
    warnings = [w for w in table.warnings if w.code == "formula_like"]
    assert [(w.column, w.row) for w in warnings] == [("note", 2)]
    assert "2" in warnings[0].message_en  # two cells: "\t=1+1" and "\r@x"
    assert table.frame.loc[2, "note"] == "=1+1"


def test_html_markup_cells(corpus):
    table = _read(corpus, "html_in_names.csv")
    full_name = _warning(table, "html_markup", "full_name")
    assert full_name.row == 4 and "2" in full_name.message_es
    assert _warning(table, "html_markup", "team").row == 3
    assert table.frame.loc[4, "full_name"].startswith("<script>")


def test_xlsx_formula_warning(corpus):
    table = _read(corpus, "performance_formulas.xlsx")
    warning = _warning(table, "xlsx_formulas")
    assert warning.row == 3 and warning.column == "performance_rating"
    assert "C3" in warning.message_es and "C3" in warning.message_en
    assert table.frame.loc[3, "performance_rating"] is pd.NA  # no cached value
    assert table.frame.loc[2, "performance_rating"] == "4"


def test_xlsx_extra_sheets_named(corpus):
    warning = _warning(_read(corpus, "employees_two_sheets.xlsx"), "xlsx_extra_sheets")
    assert "Notas" in warning.message_es and "Empleados" in warning.message_en


def test_mixed_encoding_names_rows(corpus):
    table = _read(corpus, "mixed_encoding.csv")
    assert table.encoding == "mixed"
    warning = _warning(table, "mixed_encoding")
    assert "fila 3" in warning.message_es and "fila 4" in warning.message_es
    assert "row 3" in warning.message_en and "row 4" in warning.message_en
    assert table.frame["full_name"].tolist()[1:] == [
        "José Peña Huamán", "María Ñahui Cárdenas", "Luis Núñez Ríos"]


def test_utf8_a_acute_is_not_mistaken_for_an_undefined_byte():
    # "Á" in UTF-8 is C3 81 and 0x81 is undefined in cp1252: still a mixed file, not rejected
    data = "id,name\n1,ÁLVAREZ\n".encode() + "2,Peña\n".encode("cp1252")
    frame = read_table(data, "a.csv").frame
    assert frame["name"].tolist() == ["ÁLVAREZ", "Peña"]


def test_workbook_under_another_extension(corpus):
    table = read_table(corpus["employees_dni.xlsx"].read_bytes(), "empleados.csv")
    assert table.format == "xlsx"
    assert _warning(table, "extension_mismatch")


# --------------------------------------------------------------------------------------------
# Rejections
# --------------------------------------------------------------------------------------------


def test_undefined_cp1252_byte_names_row(corpus):
    issues = _reject(corpus["undefined_cp1252_bytes.csv"].read_bytes(),
                     "undefined_cp1252_bytes.csv")
    assert (issues[0].code, issues[0].row) == ("undecodable_bytes", 3)
    assert "0x81" in issues[0].message_es


def test_nul_byte_names_row(corpus):
    issues = _reject(corpus["nul_bytes.csv"].read_bytes(), "nul_bytes.csv")
    assert (issues[0].code, issues[0].row) == ("binary_content", 3)


def test_too_large_rejected_before_reading(corpus, monkeypatch):
    path = corpus["too_large_60mb.csv"]
    assert path.stat().st_size > MAX_UPLOAD_MB * 1024 * 1024

    def no_read(self):
        raise AssertionError("read_path read a file it should have rejected by its size")

    monkeypatch.setattr(Path, "read_bytes", no_read)
    with pytest.raises(UploadRejected) as info:
        read_path(path)
    issue = info.value.issues[0]
    assert issue.code == "file_too_large"
    assert "60" in issue.message_es and f"{MAX_UPLOAD_MB} MB" in issue.message_es
    assert "60" in issue.message_en and f"{MAX_UPLOAD_MB} MB" in issue.message_en


def test_too_large_bytes_rejected_fast(corpus):
    data = corpus["too_large_60mb.csv"].read_bytes()
    start = time.perf_counter()
    issues = _reject(data, "too_large_60mb.csv")
    assert issues[0].code == "file_too_large"
    assert time.perf_counter() - start < 0.5


def test_zip_bomb_rejected_without_decompressing(corpus, monkeypatch):
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    path = corpus["zip_bomb.xlsx"]
    assert path.stat().st_size < 2 * 1024 * 1024
    start = time.perf_counter()
    issues = _reject(path.read_bytes(), "zip_bomb.xlsx")
    assert time.perf_counter() - start < 1.0
    assert issues[0].code == "xlsx_zip_bomb"
    assert opened == []


def test_dimension_checked_before_loading(corpus, monkeypatch):
    def no_load(*args, **kwargs):
        raise AssertionError("load_workbook called")

    monkeypatch.setattr(openpyxl, "load_workbook", no_load)
    issues = _reject(corpus["dimension_too_many_rows.xlsx"].read_bytes(),
                     "dimension_too_many_rows.xlsx")
    assert issues[0].code == "too_many_rows"


def test_xlsx_needs_defusedxml(corpus, monkeypatch):
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    issues = _reject(corpus["employees_dni.xlsx"].read_bytes(), "employees_dni.xlsx")
    assert issues[0].code == "xlsx_unsafe_parser"


def test_row_and_column_limits(monkeypatch, corpus):
    monkeypatch.setattr(read_mod, "MAX_ROWS", 3)
    for name in ("employees_cp1252.csv", "employees_dni.xlsx", "performance.parquet"):
        issues = _reject(corpus[name].read_bytes(), name)
        assert issues[0].code == "too_many_rows", name
    monkeypatch.setattr(read_mod, "MAX_ROWS", 1_000_000)
    monkeypatch.setattr(read_mod, "MAX_COLUMNS", 4)
    for name in ("employees_cp1252.csv", "employees_dni.xlsx", "performance.parquet"):
        issues = _reject(corpus[name].read_bytes(), name)
        assert issues[0].code == "too_many_columns", name


def test_text_with_unknown_extension_rejected():
    assert _reject(b"a,b\n1,2\n", "data.json")[0].code == "unsupported_format"


def test_real_promotion_file(promotion_csv):
    start = time.perf_counter()
    table = read_path(promotion_csv)
    assert time.perf_counter() - start < 10
    assert len(table.frame) == 54_808 and table.frame.index[0] == 2
    assert table.delimiter == "," and table.encoding == "utf-8"


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

_CELL = st.text(alphabet="abcxyzÁéñÑ019 .-\"'\n<>=", min_size=0, max_size=12)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    n_cols=st.integers(2, 5),
    data=st.data(),
)
def test_round_trip(delimiter, n_cols, data):
    rows = data.draw(st.lists(st.lists(_CELL, min_size=n_cols, max_size=n_cols),
                              min_size=1, max_size=6))
    header = [f"col_{j}" for j in range(n_cols)]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    raw = buf.getvalue().encode(encoding)
    kept = [r for r in rows if "".join(r).strip()]
    if not kept:
        assert _reject(raw, "rt.csv")[0].code == "no_data_rows"
        return
    table = read_table(raw, "rt.csv")
    assert table.delimiter == delimiter
    assert table.frame.columns.tolist() == header
    expected = [[None if c.strip() in MISSING_TOKENS else c.strip() for c in r] for r in kept]
    got = [[None if v is pd.NA else v for v in r] for r in
           table.frame.astype(object).itertuples(index=False, name=None)]
    assert got == expected


def _mutations(seed_name: str):
    return st.tuples(st.just(seed_name), st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8))


@settings(max_examples=80, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=st.one_of(_mutations("employees_dni.xlsx"), _mutations("performance.parquet"),
                      _mutations("employees_cp1252.csv"), _mutations("performance_formulas.xlsx")))
def test_damaged_files_never_crash(corpus, case):
    name, flips = case
    data = bytearray(corpus[name].read_bytes())
    for pos, value in flips:
        data[pos % len(data)] = value
    try:
        read_table(bytes(data), name)
    except UploadRejected as rejected:
        for issue in rejected.issues:
            _check_issue(issue, name, "error")


@settings(max_examples=60, deadline=None, database=None)
@given(data=st.binary(max_size=300), ext=st.sampled_from([".csv", ".xlsx", ".parquet", ""]))
def test_random_bytes_never_crash(data, ext):
    try:
        read_table(data, f"f{ext}")
    except UploadRejected as rejected:
        assert rejected.issues
