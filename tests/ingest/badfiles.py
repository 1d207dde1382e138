"""A corpus of bad and tricky upload files, generated at test time (nothing binary committed).

``BAD_FILES`` maps a file name to a function that writes that file into a directory and
returns its path; ``EXPECTED`` says, for the same name, what reading it must give:

* ``outcome``: what :func:`core.ingest.read.read_table` does: ``"reject"`` (raises
  ``UploadRejected``), ``"warn"`` (reads, with warnings) or ``"ok"`` (reads, no warnings);
* ``codes``: for ``reject``, the issue codes any one of which explains it; for ``warn``, the
  warning codes that must all be there;
* ``stage``: where the file's problem is meant to surface. ``"read"`` for the reader;
  ``"validate"`` for files that read fine but carry a data problem (wrong types, ratings out
  of range, duplicated keys, an unknown manager, a missing column): the full pipeline must
  report those, with ``problem`` naming the expected validation issue;
* ``kind``: the :mod:`core.contract` kind the content is shaped like, when it is one.

Content uses the canonical column names of :mod:`core.contract`, so the pipeline tests can
push the same files through mapping and validation. Use :func:`write_corpus` to write them
all, or pick entries of ``BAD_FILES``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.contract import EMPLOYEES, PERFORMANCE

__all__ = ["BAD_FILES", "EXPECTED", "Expected", "write_corpus"]


@dataclass(frozen=True)
class Expected:
    outcome: str  # "reject" | "warn" | "ok"
    codes: tuple[str, ...] = ()
    stage: str = "read"  # "read" | "validate"
    kind: str | None = None
    problem: str = ""  # for stage="validate": what validation must find
    note: str = ""


EMP_COLUMNS = [c.name for c in EMPLOYEES]
PERF_COLUMNS = [c.name for c in PERFORMANCE] + ["kpi_csat", "skill_comunicacion"]

EMP_ROWS = [
    ["E001", "Ana Quispe Mamani", "ana.quispe@empresa.pe", "Ventas", "Ventas Lima", "",
     "Gerente de ventas", "Lima", "2015-03-02", "1980", "F"],
    ["E002", "José Peña Huamán", "jose.pena@empresa.pe", "Ventas", "Ventas Lima", "E001",
     "Ejecutivo de ventas", "Lima", "2019-07-15", "1991", "M"],
    ["E003", "María Ñahui Cárdenas", "maria.nahui@empresa.pe", "Atención al Cliente",
     "Call center", "E001", "Asesora", "Arequipa", "2021-01-04", "1995", "F"],
    ["E004", "Luis Núñez Ríos", "luis.nunez@empresa.pe", "Logística", "Almacén", "E001",
     "Operario", "Trujillo", "2022-11-21", "1988", "M"],
]
PERF_ROWS = [
    ["E001", "2024-Q1", "4", "0.91", "4.2"],
    ["E002", "2024-Q1", "3.5", "0.84", "3.1"],
    ["E003", "2024-Q1", "2", "0.78", "2.8"],
    ["E004", "2024-Q1", "3", "0.88", "3.4"],
]


def _csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _write(directory: Path, name: str, content: bytes | str, encoding: str = "utf-8") -> Path:
    path = Path(directory) / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def _xlsx_bytes(build: Callable) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    build(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rewrite_zip(data: bytes, replace: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
    return out.getvalue()


def _employees_sheet(wb) -> None:
    ws = wb.active
    ws.title = "Empleados"
    ws.append(EMP_COLUMNS)
    for row in EMP_ROWS:
        ws.append(row)


# --------------------------------------------------------------------------------------------
# Rejected by the reader
# --------------------------------------------------------------------------------------------


def empty(d: Path) -> Path:
    return _write(d, "empty.csv", b"")


def whitespace_only(d: Path) -> Path:
    return _write(d, "whitespace_only.csv", b"  \n\t \r\n   \n")


def binary_noise(d: Path) -> Path:
    return _write(d, "binary_noise.csv", random.Random(7).randbytes(4096))


def random_bytes_xlsx(d: Path) -> Path:
    return _write(d, "random_bytes.xlsx", random.Random(11).randbytes(4096))


def header_only(d: Path) -> Path:
    return _write(d, "header_only.csv", ",".join(EMP_COLUMNS) + "\n")


def ragged_rows(d: Path) -> Path:
    text = _csv_text(PERF_COLUMNS, PERF_ROWS)
    lines = text.splitlines()
    lines[2] += ",extra"  # row 3: one field too many
    lines[4] = "E004,2024-Q1"  # row 5: three fields missing
    return _write(d, "ragged_rows.csv", "\n".join(lines) + "\n")


def duplicate_header(d: Path) -> Path:
    header = [*PERF_COLUMNS[:3], " performance_rating "]
    rows = [[*r[:3], r[2]] for r in PERF_ROWS]
    return _write(d, "duplicate_header.csv", _csv_text(header, rows))


def blank_header(d: Path) -> Path:
    header = [*PERF_COLUMNS[:3], "  ", PERF_COLUMNS[3]]  # column 4 has no name
    rows = [[*r[:3], "x", r[3]] for r in PERF_ROWS]
    return _write(d, "blank_header.csv", _csv_text(header, rows))


def too_large_60mb(d: Path) -> Path:
    path = Path(d) / "too_large_60mb.csv"
    block = "".join(f"E{i:06d},2024-Q1,3.5,0.9,3.0\n" for i in range(20_000)).encode()
    target = 60 * 1024 * 1024
    with path.open("wb") as fh:
        fh.write((",".join(PERF_COLUMNS) + "\n").encode())
        written = 0
        while written < target:
            fh.write(block)
            written += len(block)
    return path


def zip_bomb_xlsx(d: Path) -> Path:
    """~300 MB of zeros deflated to ~300 KB, inside something shaped like a workbook."""
    path = Path(d) / "zip_bomb.xlsx"
    zeros = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with zf.open("xl/worksheets/sheet1.xml", "w") as fh:
            for _ in range(300):
                fh.write(zeros)
    return path


def undefined_cp1252_bytes(d: Path) -> Path:
    text = _csv_text(EMP_COLUMNS, EMP_ROWS).encode("cp1252")
    lines = text.split(b"\n")
    lines[2] = lines[2].replace(b"Pe\xf1a", b"Pe\x81a")  # 0x81: undefined in cp1252
    return _write(d, "undefined_cp1252_bytes.csv", b"\n".join(lines))


def corrupt_parquet(d: Path) -> Path:
    good = _performance_parquet_bytes()
    corrupted = good[:8] + bytes(len(good) // 2) + good[-8:]  # keeps both PAR1 marks
    return _write(d, "corrupt.parquet", corrupted)


def too_many_columns(d: Path) -> Path:
    header = ["employee_id"] + [f"kpi_m{i}" for i in range(600)]
    rows = [["E001"] + ["1"] * 600, ["E002"] + ["2"] * 600]
    return _write(d, "too_many_columns.csv", _csv_text(header, rows))


def nul_bytes(d: Path) -> Path:
    text = _csv_text(EMP_COLUMNS, EMP_ROWS).encode()
    lines = text.split(b"\n")
    lines[2] = lines[2].replace(b"Ventas", b"Ven\x00tas", 1)  # row 3
    return _write(d, "nul_bytes.csv", b"\n".join(lines))


def csv_named_xlsx(d: Path) -> Path:
    return _write(d, "csv_named.xlsx", _csv_text(EMP_COLUMNS, EMP_ROWS))


def dimension_too_many_rows_xlsx(d: Path) -> Path:
    """A small workbook whose first sheet declares two million rows."""
    data = _xlsx_bytes(_employees_sheet)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    end = sheet.index(b"<sheetData")
    head = sheet[:end].replace(b'<dimension ref="A1:K5"', b'<dimension ref="A1:K2000000"')
    assert head != sheet[:end], "openpyxl wrote an unexpected dimension"
    data = _rewrite_zip(data, {"xl/worksheets/sheet1.xml": head + sheet[end:]})
    return _write(d, "dimension_too_many_rows.xlsx", data)


def utf16_csv(d: Path) -> Path:
    return _write(d, "utf16.csv", _csv_text(EMP_COLUMNS, EMP_ROWS, "\t"), "utf-16")


def not_a_workbook_xlsx(d: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("employees.csv", _csv_text(EMP_COLUMNS, EMP_ROWS))
    return _write(d, "not_a_workbook.xlsx", buf.getvalue())


def encrypted_zip_xlsx(d: Path) -> Path:
    """A workbook whose zip entries claim to be encrypted (general-purpose flag bit 0)."""
    data = bytearray(_xlsx_bytes(_employees_sheet))
    for sig, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = data.find(sig)
        while pos >= 0:
            data[pos + flag_offset] |= 0x01
            pos = data.find(sig, pos + 4)
    return _write(d, "encrypted.xlsx", bytes(data))


def ole2_xlsx(d: Path) -> Path:
    """What Excel writes for a password-protected .xlsx (and for an old .xls): OLE2."""
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(3).randbytes(2048)
    return _write(d, "password_protected.xlsx", data)


def truncated_xlsx(d: Path) -> Path:
    data = _xlsx_bytes(_employees_sheet)
    return _write(d, "truncated.xlsx", data[: len(data) // 2])


def xxe_xlsx(d: Path) -> Path:
    """A workbook whose XML declares an external entity (XXE): never parsed."""
    data = _xlsx_bytes(_employees_sheet)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        wb_xml = zf.read("xl/workbook.xml")
    body = wb_xml.split(b"?>", 1)[1] if wb_xml.startswith(b"<?xml") else wb_xml
    evil = (b'<?xml version="1.0"?>\n<!DOCTYPE workbook [<!ENTITY xxe SYSTEM '
            b'"file:///etc/passwd">]>\n' + body.replace(b"<sheets>", b"<sheets>&xxe;", 1))
    return _write(d, "xxe.xlsx", _rewrite_zip(data, {"xl/workbook.xml": evil}))


def html_page_csv(d: Path) -> Path:
    page = ("<!DOCTYPE html>\n<html><body><table><tr><td>employee_id</td></tr>"
            "<tr><td>E001</td></tr></table></body></html>\n")
    return _write(d, "export_html.csv", page)


def unclosed_quote(d: Path) -> Path:
    text = _csv_text(PERF_COLUMNS, PERF_ROWS).replace("E003,", 'E003,"', 1)
    return _write(d, "unclosed_quote.csv", text)


# --------------------------------------------------------------------------------------------
# Read, with warnings
# --------------------------------------------------------------------------------------------


def colon_delimiter(d: Path) -> Path:
    return _write(d, "employees_colon.csv", _csv_text(EMP_COLUMNS, EMP_ROWS, ":"))


def formulas_xlsx(d: Path) -> Path:
    def build(wb) -> None:
        ws = wb.active
        ws.title = "Desempeño"
        ws.append(PERF_COLUMNS)
        for r in PERF_ROWS:
            ws.append([r[0], r[1], float(r[2]), float(r[3]), float(r[4])])
        ws["C3"] = "=ROUND(AVERAGE(C2,C4),1)"  # row 3: a formula openpyxl saves uncached

    return _write(d, "performance_formulas.xlsx", _xlsx_bytes(build))


def two_sheets_xlsx(d: Path) -> Path:
    def build(wb) -> None:
        _employees_sheet(wb)
        notes = wb.create_sheet("Notas")
        notes.append(["Exportado del sistema de planillas"])

    return _write(d, "employees_two_sheets.xlsx", _xlsx_bytes(build))


def formula_injection(d: Path) -> Path:
    rows = [list(r) for r in EMP_ROWS]
    rows[1][1] = "=HYPERLINK(\"http://example.com\",\"clic\")"  # row 3, full_name
    rows[2][1] = "@SUM(1+9)*cmd|' /C calc'!A0"  # row 4
    rows[3][6] = "+cmd|' /C calc'!A0"  # row 5, job_role
    rows[0][2] = "-2+3+cmd|' /C calc'!A0"  # row 2, email
    rows[0][9] = "-1980"  # a plain negative number: no warning
    return _write(d, "formula_injection.csv", _csv_text(EMP_COLUMNS, rows))


def html_in_names(d: Path) -> Path:
    rows = [list(r) for r in EMP_ROWS]
    rows[2][1] = "<script>alert('xss')</script>María"  # row 4, full_name
    rows[3][1] = "<b>Luis</b> Núñez"  # row 5
    rows[1][4] = "Ventas <img src=x onerror=alert(1)>"  # row 3, team
    return _write(d, "html_in_names.csv", _csv_text(EMP_COLUMNS, rows))


def mixed_encoding(d: Path) -> Path:
    lines = _csv_text(EMP_COLUMNS, EMP_ROWS).splitlines(keepends=True)
    data = (lines[0].encode() + lines[1].encode()  # row 2: ASCII only
            + lines[2].encode("utf-8")  # row 3: José Peña Huamán in UTF-8
            + lines[3].encode("cp1252")  # row 4: María Ñahui Cárdenas in Windows-1252
            + lines[4].encode("utf-8"))  # row 5: UTF-8 again
    return _write(d, "mixed_encoding.csv", data)


# --------------------------------------------------------------------------------------------
# Read without warnings
# --------------------------------------------------------------------------------------------


def pipe_delimiter(d: Path) -> Path:
    return _write(d, "employees_pipe.csv", _csv_text(EMP_COLUMNS, EMP_ROWS, "|"))


def tab_delimiter(d: Path) -> Path:
    return _write(d, "performance_tab.csv", _csv_text(PERF_COLUMNS, PERF_ROWS, "\t"))


def semicolon_decimal_comma(d: Path) -> Path:
    rows = [[c.replace(".", ",") for c in r] for r in PERF_ROWS]
    return _write(d, "performance_semicolon.csv", _csv_text(PERF_COLUMNS, rows, ";"),
                  "cp1252")


def trailing_empty_fields(d: Path) -> Path:
    """Excel's stray separators: a blank trailing header cell and empty trailing fields."""
    text = ";".join(PERF_COLUMNS) + ";;\n"
    text += "".join(";".join(r) + (";;\n" if i % 2 else ";\n") for i, r in enumerate(PERF_ROWS))
    text += ";;;;;;\n"  # an all-empty row
    return _write(d, "performance_trailing_separators.csv", text)


def cp1252_names(d: Path) -> Path:
    return _write(d, "employees_cp1252.csv", _csv_text(EMP_COLUMNS, EMP_ROWS), "cp1252")


def utf8_bom(d: Path) -> Path:
    return _write(d, "employees_utf8_bom.csv", _csv_text(EMP_COLUMNS, EMP_ROWS, ";"),
                  "utf-8-sig")


def dni_leading_zeros(d: Path) -> Path:
    rows = [list(r) for r in EMP_ROWS]
    for r, dni in zip(rows, ("01234567", "00456789", "70123456", "00000042"), strict=True):
        r[0] = dni
    rows[1][5] = rows[2][5] = rows[3][5] = "01234567"
    return _write(d, "employees_dni.csv", _csv_text(EMP_COLUMNS, rows))


def multiline_quoted(d: Path) -> Path:
    rows = [list(r) for r in EMP_ROWS]
    rows[1][6] = "Ejecutivo de ventas\n(turno tarde)"  # row 3 spans two lines
    return _write(d, "employees_multiline.csv", _csv_text(EMP_COLUMNS, rows))


def sep_hint(d: Path) -> Path:
    return _write(d, "employees_sep_hint.csv",
                  "sep=;\n" + _csv_text(EMP_COLUMNS, EMP_ROWS, ";"))


def _performance_parquet_bytes() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "employee_id": ["E001", "E002", "E003", "E004"],
        "period": ["2024-Q1"] * 4,
        "performance_rating": pa.array([4, 3, 2, 3], type=pa.int64()),
        "kpi_csat": [0.91, 0.84, None, 0.88],
        "skill_comunicacion": [4.0, 3.1, 2.8, 3.0],
        "review_date": [dt.date(2024, 3, 31)] * 4,
    })
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def performance_parquet(d: Path) -> Path:
    return _write(d, "performance.parquet", _performance_parquet_bytes())


def dni_xlsx(d: Path) -> Path:
    def build(wb) -> None:
        ws = wb.active
        ws.title = "Empleados"
        ws.append(EMP_COLUMNS)
        for i, r in enumerate(EMP_ROWS):
            row: list = list(r)
            row[0] = f"0{i}23456{i}"  # DNI stored as text: leading zero
            row[8] = dt.date.fromisoformat(r[8])
            row[9] = int(r[9])
            row[5] = r[5] or None
            ws.append(row)
        ws["J3"] = 1991.0  # a float that is an integer
        ws["A5"] = 1234567  # a DNI typed as a number, shown with 8 digits
        ws["A5"].number_format = "00000000"

    return _write(d, "employees_dni.xlsx", _xlsx_bytes(build))


# --------------------------------------------------------------------------------------------
# Read fine; the problem is for validation
# --------------------------------------------------------------------------------------------


def wrong_types(d: Path) -> Path:
    rows = [list(r) for r in PERF_ROWS]
    rows[1][2] = "bueno"  # row 3: text in a numeric column
    rows[2][3] = "alto"  # row 4
    return _write(d, "performance_wrong_types.csv", _csv_text(PERF_COLUMNS, rows))


def out_of_range(d: Path) -> Path:
    rows = [list(r) for r in PERF_ROWS]
    rows[0][2] = "7"  # row 2: rating above 5
    rows[3][2] = "0"  # row 5: below 1
    return _write(d, "performance_out_of_range.csv", _csv_text(PERF_COLUMNS, rows))


def duplicate_keys(d: Path) -> Path:
    rows = [list(r) for r in PERF_ROWS] + [list(PERF_ROWS[1])]  # row 6 repeats row 3's key
    return _write(d, "performance_duplicate_keys.csv", _csv_text(PERF_COLUMNS, rows))


def unknown_manager(d: Path) -> Path:
    rows = [list(r) for r in EMP_ROWS]
    rows[3][5] = "E999"  # row 5: a manager who is not in the file
    return _write(d, "employees_unknown_manager.csv", _csv_text(EMP_COLUMNS, rows))


def missing_required_column(d: Path) -> Path:
    header = PERF_COLUMNS[:1] + PERF_COLUMNS[2:]  # no period
    rows = [r[:1] + r[2:] for r in PERF_ROWS]
    return _write(d, "performance_no_period.csv", _csv_text(header, rows))


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------

_R = "reject"
_CORPUS: list[tuple[Callable[[Path], Path], str, Expected]] = [
    (empty, "empty.csv", Expected(_R, ("empty_file",))),
    (whitespace_only, "whitespace_only.csv", Expected(_R, ("empty_file",))),
    (binary_noise, "binary_noise.csv", Expected(_R, ("binary_content", "undecodable_bytes"))),
    (random_bytes_xlsx, "random_bytes.xlsx", Expected(_R, ("not_xlsx",))),
    (header_only, "header_only.csv", Expected(_R, ("no_data_rows",), kind="employees")),
    (ragged_rows, "ragged_rows.csv", Expected(_R, ("ragged_rows",), kind="performance")),
    (duplicate_header, "duplicate_header.csv",
     Expected(_R, ("duplicate_columns",), kind="performance")),
    (blank_header, "blank_header.csv", Expected(_R, ("blank_header",), kind="performance")),
    (too_large_60mb, "too_large_60mb.csv",
     Expected(_R, ("file_too_large",), kind="performance", note="60 MB: over MAX_UPLOAD_MB")),
    (zip_bomb_xlsx, "zip_bomb.xlsx", Expected(_R, ("xlsx_zip_bomb", "xlsx_too_large"))),
    (undefined_cp1252_bytes, "undefined_cp1252_bytes.csv",
     Expected(_R, ("undecodable_bytes",), kind="employees")),
    (corrupt_parquet, "corrupt.parquet", Expected(_R, ("parquet_corrupt",))),
    (too_many_columns, "too_many_columns.csv", Expected(_R, ("too_many_columns",))),
    (nul_bytes, "nul_bytes.csv", Expected(_R, ("binary_content",), kind="employees")),
    (csv_named_xlsx, "csv_named.xlsx", Expected(_R, ("not_xlsx",), kind="employees")),
    (dimension_too_many_rows_xlsx, "dimension_too_many_rows.xlsx",
     Expected(_R, ("too_many_rows",), kind="employees")),
    (utf16_csv, "utf16.csv", Expected(_R, ("utf16_not_supported",), kind="employees")),
    (not_a_workbook_xlsx, "not_a_workbook.xlsx", Expected(_R, ("not_xlsx",))),
    (encrypted_zip_xlsx, "encrypted.xlsx", Expected(_R, ("xlsx_encrypted",))),
    (ole2_xlsx, "password_protected.xlsx", Expected(_R, ("xls_or_encrypted",))),
    (truncated_xlsx, "truncated.xlsx", Expected(_R, ("xlsx_corrupt",))),
    (xxe_xlsx, "xxe.xlsx", Expected(_R, ("xlsx_unsafe",))),
    (html_page_csv, "export_html.csv", Expected(_R, ("markup_document",))),
    (unclosed_quote, "unclosed_quote.csv", Expected(_R, ("unclosed_quote",),
                                                     kind="performance")),
    (colon_delimiter, "employees_colon.csv",
     Expected("warn", ("one_column",), kind="employees",
              note="reads as one column; the pipeline then reports the missing columns")),
    (formulas_xlsx, "performance_formulas.xlsx",
     Expected("warn", ("xlsx_formulas",), kind="performance",
              note="the uncached formula in C3 reads as missing")),
    (two_sheets_xlsx, "employees_two_sheets.xlsx",
     Expected("warn", ("xlsx_extra_sheets",), kind="employees")),
    (formula_injection, "formula_injection.csv",
     Expected("warn", ("formula_like",), kind="employees")),
    (html_in_names, "html_in_names.csv", Expected("warn", ("html_markup",), kind="employees")),
    (mixed_encoding, "mixed_encoding.csv",
     Expected("warn", ("mixed_encoding",), kind="employees")),
    (pipe_delimiter, "employees_pipe.csv", Expected("ok", kind="employees")),
    (tab_delimiter, "performance_tab.csv", Expected("ok", kind="performance")),
    (semicolon_decimal_comma, "performance_semicolon.csv",
     Expected("ok", kind="performance", note="';' delimiter and decimal ','")),
    (trailing_empty_fields, "performance_trailing_separators.csv",
     Expected("ok", kind="performance")),
    (cp1252_names, "employees_cp1252.csv", Expected("ok", kind="employees")),
    (utf8_bom, "employees_utf8_bom.csv", Expected("ok", kind="employees")),
    (dni_leading_zeros, "employees_dni.csv", Expected("ok", kind="employees")),
    (multiline_quoted, "employees_multiline.csv", Expected("ok", kind="employees")),
    (sep_hint, "employees_sep_hint.csv", Expected("ok", kind="employees")),
    (performance_parquet, "performance.parquet", Expected("ok", kind="performance")),
    (dni_xlsx, "employees_dni.xlsx", Expected("ok", kind="employees")),
    (wrong_types, "performance_wrong_types.csv",
     Expected("ok", stage="validate", kind="performance",
              problem="text in numeric columns (rows 3 and 4)")),
    (out_of_range, "performance_out_of_range.csv",
     Expected("ok", stage="validate", kind="performance",
              problem="performance_rating outside 1-5 (rows 2 and 5)")),
    (duplicate_keys, "performance_duplicate_keys.csv",
     Expected("ok", stage="validate", kind="performance",
              problem="(employee_id, period) repeated (rows 3 and 6)")),
    (unknown_manager, "employees_unknown_manager.csv",
     Expected("ok", stage="validate", kind="employees",
              problem="manager_id E999 is not an employee (row 5)")),
    (missing_required_column, "performance_no_period.csv",
     Expected("ok", stage="validate", kind="performance",
              problem="required column period is missing")),
]

BAD_FILES: dict[str, Callable[[Path], Path]] = {name: fn for fn, name, _ in _CORPUS}
EXPECTED: dict[str, Expected] = {name: exp for _, name, exp in _CORPUS}


def write_corpus(directory: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Write the corpus (or the named files) into ``directory``; name -> path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name in names if names is not None else BAD_FILES:
        path = BAD_FILES[name](directory)
        assert path.name == name, (path.name, name)
        out[name] = path
    return out
