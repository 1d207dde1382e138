"""Read one uploaded file (CSV, XLSX or Parquet) into a table of text cells, safely.

Nothing here interprets values: every cell comes back as text (or missing), so an identifier
such as the DNI ``01234567`` keeps its leading zero and validation decides what each column
means. What this module does decide is whether a file can be read at all; when it cannot it
raises :class:`~core.ingest.issues.UploadRejected` with issues in Spanish and English that
name the file and, where it applies, the row and the column. Any other exception is a bug.

Rules worth knowing before reading the code:

* The format comes from the content first (``PK`` zip magic -> XLSX, ``PAR1`` -> Parquet,
  anything else -> delimited text) and from the extension second; text named ``.xlsx`` or
  ``.parquet`` is rejected, a real workbook or Parquet file under another name is read with
  an ``extension_mismatch`` warning.
* CSV encodings are tried in this order: UTF-8 with BOM (only when the BOM is there), UTF-8,
  Windows-1252. A file whose lines disagree (some UTF-8, some Windows-1252) is decoded line by
  line and flagged as ``mixed``. No byte is ever dropped or replaced.
* A cell that is empty, only whitespace, or exactly one of :data:`MISSING_TOKENS` (after
  stripping the whitespace around it) is missing (``pd.NA``). Nothing else is: ``"0"``,
  ``"N.A."`` or ``"n/a"`` stay text.
* Row numbers are the ones a spreadsheet shows: the header is row 1 when it is the first line,
  the first data row is 2, and a CSV record with a quoted multi-line cell is numbered by the
  line where it starts. Completely blank rows are skipped but keep numbering the rest.
* Columns with a blank header and no data at all (Excel's stray trailing separators) are
  dropped; a blank header over data is an error.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import warnings as _warnings
import zipfile
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import defusedxml.ElementTree as SafeET
import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from defusedxml import DefusedXmlException

from core.ingest.issues import Issue, UploadRejected

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_UPLOAD_MB",
    "MAX_XLSX_UNCOMPRESSED_MB",
    "MISSING_TOKENS",
    "RawTable",
    "read_path",
    "read_table",
]

MAX_UPLOAD_MB = 50  # also used for Streamlit's upload limit
MAX_XLSX_UNCOMPRESSED_MB = 200
MAX_ROWS = 1_000_000  # data rows, the header not counted
MAX_COLUMNS = 500

# A cell equal to one of these (after stripping whitespace) is missing. Case matters on
# purpose: only the spellings that spreadsheets and pandas/R exports actually write.
MISSING_TOKENS: tuple[str, ...] = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "-")

_MB = 1024 * 1024
_MAX_ZIP_RATIO = 100  # uncompressed / compressed, per member
_MAX_ZIP_MEMBERS = 10_000
_MAX_PARQUET_UNCOMPRESSED_MB = 1024
_CHUNK_ROWS = 50_000
_SNIFF_CHARS = 64 * 1024
_SNIFF_RECORDS = 100
_MAX_LISTED = 5

_BOM = b"\xef\xbb\xbf"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {
    ",": ("coma (,)", "comma (,)"),
    ";": ("punto y coma (;)", "semicolon (;)"),
    "\t": ("tabulación", "tab"),
    "|": ("barra vertical (|)", "pipe (|)"),
}
_TEXT_EXTENSIONS = {".csv", ".txt", ".tsv", ".tab", ""}
_XLSX_EXTENSIONS = {".xlsx", ".xlsm", ".xltx", ".xltm"}
_PARQUET_EXTENSIONS = {".parquet", ".pq"}

# Whitespace stripped around cells and header names: what Python's str.strip() removes plus
# the BOM and the zero-width space that copy-paste from the web leaves behind.
_TRIM_CHARS = (
    " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200C))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_NON_WS = re.compile(rb"[^\s]")
_CONTROL_CHARS = re.compile(r"[\x01-\x08\x0e-\x19\x1b-\x1f\x7f]")
_SEP_LINE = re.compile(r"sep=(.)\r?\n?$")
_FORMULA_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
_CELL_REF_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?\br=\"([A-Z]{1,3}[0-9]{1,7})\"")
_CELL_RANGE_RE = re.compile(
    r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})(?::\$?([A-Za-z]{1,3})\$?([0-9]{1,7}))?$")
_ZERO_FORMAT_RE = re.compile(r"0+")

# RE2 patterns (pyarrow.compute) run on stripped cells.
_FORMULA_START = r"^[=+\-@]"
_PLAIN_NUMBER = r"^[+-]\s?\.?[0-9][0-9 .,()/\-]*%?$|^[+-]?[0-9]*\.?[0-9]+[eE][+-]?[0-9]+$"
_HTML_TAG = r"<\s*/?\s*[A-Za-z][^<>]*>|<!--|<!\[CDATA\["
_COMMA_DECIMAL = r"^[+-]?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+),[0-9]+$"
_DOT_DECIMAL = r"^[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)\.[0-9]+$"
_AMBIGUOUS_COMMA = r"^[+-]?[0-9]{1,3},[0-9]{3}$"
_AMBIGUOUS_DOT = r"^[+-]?[0-9]{1,3}\.[0-9]{3}$"
_DECIMAL_SAMPLE = 20_000

_SPREADSHEET_NS_REL = "relationships"


@dataclass
class RawTable:
    """A file as read, before any mapping or validation.

    ``frame`` holds only text: every column has pandas' ``string`` dtype (pyarrow storage),
    whose elements are Python ``str`` or ``pd.NA``. Cells are stripped of surrounding
    whitespace; column names are stripped of whitespace and BOM. The index, named ``row``, is
    the 1-based row number a spreadsheet shows (header = 1 when it is the first line, first
    data row = 2). ``decimal`` is the guessed decimal separator of numeric-looking cells.
    """

    file_name: str
    frame: pd.DataFrame
    format: str  # "csv" | "xlsx" | "parquet"
    encoding: str | None  # "utf-8-sig" | "utf-8" | "cp1252" | "mixed" (csv only)
    delimiter: str | None  # csv only
    decimal: str  # "." or ","
    warnings: list[Issue] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Issues
# --------------------------------------------------------------------------------------------


def _issue(file: str, code: str, es: str, en: str, *, row: int | None = None,
           column: str | None = None, severity: str = "error") -> Issue:
    return Issue(file, row, column, code, es, en, severity)


def _reject(file: str, code: str, es: str, en: str, *, row: int | None = None,
            column: str | None = None) -> UploadRejected:
    return UploadRejected([_issue(file, code, es, en, row=row, column=column)])


def _warn(file: str, code: str, es: str, en: str, *, row: int | None = None,
          column: str | None = None) -> Issue:
    return _issue(file, code, es, en, row=row, column=column, severity="warning")


def _n_es(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _n_en(n: int) -> str:
    return f"{n:,}"


def _cells_es(n: int, verb_one: str, verb_many: str) -> str:
    """'1 celda empieza' / '3 celdas empiezan'."""
    return f"1 celda {verb_one}" if n == 1 else f"{_n_es(n)} celdas {verb_many}"


def _cells_en(n: int, verb_one: str, verb_many: str) -> str:
    return f"1 cell {verb_one}" if n == 1 else f"{_n_en(n)} cells {verb_many}"


def _col_letter(position: int) -> str:
    """Spreadsheet letter of a 1-based column position (1 -> A, 27 -> AA)."""
    out = ""
    while position > 0:
        position, rem = divmod(position - 1, 26)
        out = chr(65 + rem) + out
    return out


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _mb_es(size: int) -> str:
    return f"{size / _MB:.1f}".replace(".", ",") + " MB"


def _mb_en(size: int) -> str:
    return f"{size / _MB:.1f} MB"


def _too_large(name: str, size: int) -> UploadRejected:
    return _reject(
        name, "file_too_large",
        f"«{name}» pesa {_mb_es(size)}; el máximo permitido es {MAX_UPLOAD_MB} MB. Divida el "
        "archivo o quite columnas que no se usan.",
        f"'{name}' is {_mb_en(size)}; the limit is {MAX_UPLOAD_MB} MB. Split the file or drop "
        "unused columns.",
    )


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def read_path(path: str | Path) -> RawTable:
    """Read a file from disk; its name is the file name. The size is checked before reading."""
    p = Path(path)
    size = p.stat().st_size
    if size > MAX_UPLOAD_MB * _MB:
        raise _too_large(p.name, size)
    return read_table(p.read_bytes(), p.name)


def read_table(data: bytes, file_name: str) -> RawTable:
    """Read an uploaded file into a :class:`RawTable` of text cells.

    Raises :class:`UploadRejected` (and nothing else) for any file that cannot be read: too
    large, empty, of an unsupported or disguised format, undecodable, ragged, with blank or
    repeated headers, over the row or column limits, or an unsafe workbook.
    """
    name = file_name
    if not isinstance(data, bytes):
        data = bytes(data)
    size = len(data)
    if size > MAX_UPLOAD_MB * _MB:
        raise _too_large(name, size)
    body = data[len(_BOM):] if data.startswith(_BOM) else data
    if not _NON_WS.search(body):
        raise _reject(
            name, "empty_file",
            f"«{name}» está vacío: no tiene encabezado ni filas.",
            f"'{name}' is empty: it has no header and no rows.",
        )
    ext = Path(name).suffix.lower()
    fmt = _sniff_format(data, name, ext)
    extra: list[Issue] = []
    expected_ext = {"xlsx": _XLSX_EXTENSIONS, "parquet": _PARQUET_EXTENSIONS}.get(fmt)
    if expected_ext is not None and ext not in expected_ext:
        label = "Excel (.xlsx)" if fmt == "xlsx" else "Parquet"
        extra.append(_warn(
            name, "extension_mismatch",
            f"«{name}» es un archivo {label} aunque su extensión es «{ext or '(ninguna)'}»; "
            f"se leyó como {label}.",
            f"'{name}' is a {label} file although its extension is '{ext or '(none)'}'; it "
            f"was read as {label}.",
        ))
    if fmt == "xlsx":
        table = _read_xlsx(data, name)
    elif fmt == "parquet":
        table = _read_parquet(data, name)
    else:
        table = _read_csv(data, name)
    table.warnings[:0] = extra
    return table


def _sniff_format(data: bytes, name: str, ext: str) -> str:
    head = data[:8]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(_OLE2_MAGIC):
        raise _reject(
            name, "xls_or_encrypted",
            f"«{name}» es un libro de Excel antiguo (.xls) o un .xlsx protegido con contraseña; "
            "ninguno se puede leer. Ábralo en Excel, quite la contraseña si la tiene y guárdelo "
            "como .xlsx o como CSV UTF-8.",
            f"'{name}' is an old Excel workbook (.xls) or a password-protected .xlsx; neither "
            "can be read. Open it in Excel, remove any password and save it as .xlsx or as "
            "CSV UTF-8.",
        )
    if head.startswith(b"%PDF"):
        raise _reject(
            name, "unsupported_format",
            f"«{name}» es un PDF; suba la tabla como CSV, Excel (.xlsx) o Parquet.",
            f"'{name}' is a PDF; upload the table as CSV, Excel (.xlsx) or Parquet.",
        )
    if ext in _XLSX_EXTENSIONS or ext == ".xls":
        raise _reject(
            name, "not_xlsx",
            f"«{name}» no es un libro de Excel válido: un archivo {ext} es un ZIP y este no lo "
            "es (quizá se le cambió la extensión o está dañado). Ábralo y guárdelo de nuevo "
            "como .xlsx, o súbalo como CSV UTF-8.",
            f"'{name}' is not a valid Excel workbook: a {ext} file is a ZIP archive and this "
            "one is not (it may have been renamed or be damaged). Open it and save it again "
            "as .xlsx, or upload it as CSV UTF-8.",
        )
    if ext in _PARQUET_EXTENSIONS:
        raise _reject(
            name, "not_parquet",
            f"«{name}» no es un archivo Parquet válido (no empieza con la marca «PAR1»).",
            f"'{name}' is not a valid Parquet file (it does not start with the 'PAR1' mark).",
        )
    if ext not in _TEXT_EXTENSIONS:
        raise _reject(
            name, "unsupported_format",
            f"«{name}»: formato «{ext}» no admitido; suba CSV, Excel (.xlsx) o Parquet.",
            f"'{name}': format '{ext}' is not supported; upload CSV, Excel (.xlsx) or Parquet.",
        )
    return "csv"


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def _read_csv(data: bytes, name: str) -> RawTable:
    _reject_binary(data, name)
    text, encoding, first_rows = _decode(data, name)
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:  # universal newlines, as a spreadsheet reads them: CRLF, then lone CR
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            text = text.replace("\r", "\n")
    _reject_control_chars(text, name)
    _reject_markup_document(text, name)

    row_offset = 0
    delimiter = None
    first_line_end = text.find("\n")
    first_line = text if first_line_end < 0 else text[: first_line_end + 1]
    sep = _SEP_LINE.match(first_line.strip(" ")) if first_line.startswith("sep=") else None
    if sep:  # Excel's "sep=;" hint line: Excel hides it, so the header shows as row 1
        delimiter = sep.group(1)
        text = text[len(first_line):]
        row_offset = 1
    if delimiter is None:
        delimiter = _sniff_delimiter(text)

    header, header_row, columns, index = _assemble(
        name, _csv_records(text, delimiter, name), mode="csv", delimiter=delimiter)
    del text
    warnings: list[Issue] = []
    if first_rows is not None:
        warnings.append(_mixed_warning(name, first_rows, header_row, index, row_offset))
    return _finish(name, "csv", header, columns, index, encoding=encoding,
                   delimiter=delimiter, warnings=warnings)


def _reject_binary(data: bytes, name: str) -> None:
    nul = data.find(b"\x00")
    if nul < 0:
        return
    odd, even = data[1:4000:2], data[0:4000:2]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or odd.count(0) > 0.4 * len(odd) \
            or even.count(0) > 0.4 * len(even):
        raise _reject(
            name, "utf16_not_supported",
            f"«{name}» está en UTF-16 («Texto Unicode» de Excel), que no se admite. En Excel "
            "use «Guardar como» > «CSV UTF-8 (delimitado por comas)».",
            f"'{name}' is UTF-16 (Excel's 'Unicode Text'), which is not supported. In Excel "
            "use 'Save As' > 'CSV UTF-8 (Comma delimited)'.",
        )
    row = data.count(b"\n", 0, nul) + 1
    raise _reject(
        name, "binary_content",
        f"«{name}» no es un archivo de texto: contiene bytes nulos (el primero en la fila "
        f"{row}). Suba un CSV, un Excel (.xlsx) o un Parquet.",
        f"'{name}' is not a text file: it contains NUL bytes (the first on row {row}). "
        "Upload a CSV, an Excel (.xlsx) or a Parquet file.",
        row=row,
    )


def _reject_control_chars(text: str, name: str) -> None:
    sample = text[:_SNIFF_CHARS]
    n = len(_CONTROL_CHARS.findall(sample))
    if n > max(8, len(sample) // 100):
        raise _reject(
            name, "binary_content",
            f"«{name}» no parece un archivo de texto: contiene {n} caracteres de control en su "
            "comienzo. Suba un CSV, un Excel (.xlsx) o un Parquet.",
            f"'{name}' does not look like a text file: it has {n} control characters near its "
            "start. Upload a CSV, an Excel (.xlsx) or a Parquet file.",
        )


def _reject_markup_document(text: str, name: str) -> None:
    start = text[:200].lstrip(_TRIM_CHARS).lower()
    if start.startswith(("<!doctype html", "<html", "<?xml", "<table")):
        raise _reject(
            name, "markup_document",
            f"«{name}» es una página HTML o un documento XML, no una tabla CSV. Ábralo en Excel "
            "y guárdelo como .xlsx o como CSV UTF-8.",
            f"'{name}' is an HTML page or an XML document, not a CSV table. Open it in Excel "
            "and save it as .xlsx or as CSV UTF-8.",
        )


def _decode(data: bytes, name: str) -> tuple[str, str, tuple[int, int] | None]:
    """Decode without losing a byte: (text, encoding, (first utf-8 line, first cp1252 line)).

    The last element is set only for a mixed file; its line numbers are physical lines.
    """
    if data.startswith(_BOM):
        try:
            return data[len(_BOM):].decode("utf-8"), "utf-8-sig", None
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8"), "utf-8", None
        except UnicodeDecodeError:
            pass
    # Not valid UTF-8 as a whole: classify every line holding a non-ASCII byte. A BOM counts
    # as UTF-8 on row 1 and is not part of any line.
    has_bom = data.startswith(_BOM)
    body = data[len(_BOM):] if has_bom else data
    first_utf8 = 1 if has_bom else None
    first_cp = None
    pos = 0
    line_no = 1
    counted_to = 0
    while True:
        m = _HIGH_BYTE.search(body, pos)
        if m is None:
            break
        start = body.rfind(b"\n", 0, m.start()) + 1
        end = body.find(b"\n", m.start())
        end = len(body) if end < 0 else end
        line_no += body.count(b"\n", counted_to, start)
        counted_to = start
        line = body[start:end]
        try:
            line.decode("utf-8")
            if first_utf8 is None:
                first_utf8 = line_no
        except UnicodeDecodeError:
            try:
                line.decode("cp1252")
            except UnicodeDecodeError as exc:
                byte = line[exc.start]
                raise _reject(
                    name, "undecodable_bytes",
                    f"«{name}», fila {line_no}: contiene el byte 0x{byte:02X}, que no es texto "
                    "válido ni en UTF-8 ni en Windows-1252 (el archivo está dañado o no es "
                    "texto). Guárdelo de nuevo como CSV UTF-8.",
                    f"'{name}', row {line_no}: contains byte 0x{byte:02X}, which is valid text "
                    "neither in UTF-8 nor in Windows-1252 (the file is damaged or not text). "
                    "Save it again as CSV UTF-8.",
                    row=line_no,
                ) from None
            if first_cp is None:
                first_cp = line_no
        pos = end
    if first_utf8 is None:
        return body.decode("cp1252"), "cp1252", None
    return _decode_mixed(body), "mixed", (first_utf8, first_cp or 1)


def _decode_mixed(data: bytes) -> str:
    """Decode each line as UTF-8 when it is valid UTF-8, else as Windows-1252.

    Consecutive lines of one encoding are decoded together (ASCII lines join either run).
    """
    pieces: list[str] = []
    run_start = 0
    run_enc = "utf-8"
    pos = 0
    while True:
        m = _HIGH_BYTE.search(data, pos)
        if m is None:
            break
        start = data.rfind(b"\n", 0, m.start()) + 1
        end = data.find(b"\n", m.start())
        end = len(data) if end < 0 else end
        try:
            data[start:end].decode("utf-8")
            enc = "utf-8"
        except UnicodeDecodeError:
            enc = "cp1252"
        if enc != run_enc:
            pieces.append(data[run_start:start].decode(run_enc))
            run_start, run_enc = start, enc
        pos = end
    pieces.append(data[run_start:].decode(run_enc))
    return "".join(pieces)


def _mixed_warning(name: str, first_rows: tuple[int, int], header_row: int,
                   index: np.ndarray, row_offset: int) -> Issue:
    starts = np.concatenate([[header_row], index])

    def record_row(line: int) -> int:
        pos = int(np.searchsorted(starts, line - row_offset, side="right")) - 1
        return int(starts[max(pos, 0)])

    utf8_row, cp_row = (record_row(x) for x in first_rows)
    return _warn(
        name, "mixed_encoding",
        f"«{name}» mezcla codificaciones: hay filas en UTF-8 (la primera, fila {utf8_row}) y "
        f"filas en Windows-1252 (la primera, fila {cp_row}). Se leyó cada fila con la suya; "
        "revise tildes y eñes y, para la próxima vez, guarde el archivo como CSV UTF-8.",
        f"'{name}' mixes encodings: some rows are UTF-8 (the first, row {utf8_row}) and some "
        f"Windows-1252 (the first, row {cp_row}). Each row was read with its own; check "
        "accented letters and next time save the file as CSV UTF-8.",
        row=cp_row,
    )


def _iter_lines(text: str) -> Iterator[str]:
    """Lines with their line ends, without copying the text into a list."""
    start = 0
    n = len(text)
    find = text.find
    while start < n:
        end = find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end + 1]
        start = end + 1


def _sniff_delimiter(text: str) -> str:
    """The candidate giving the widest header with the most rows of matching width."""
    sample = text[:_SNIFF_CHARS]
    truncated = len(text) > len(sample)
    if truncated and "\n" in sample:
        sample = sample[: sample.rfind("\n") + 1]
    best, best_score = ",", (False, -1.0, 0)
    for delim in _DELIMITERS:
        if delim not in sample:
            continue
        records: list[list[str]] = []
        try:
            for rec in csv.reader(_iter_lines(sample), delimiter=delim):
                if "".join(rec).strip():
                    records.append(rec)
                if len(records) >= _SNIFF_RECORDS:
                    break
        except csv.Error:
            continue
        if not records:
            continue
        header = records[0]
        width = len(header)
        named = width
        while named > 1 and not header[named - 1].strip():
            named -= 1
        rest = records[1:]
        if rest:
            fits = sum(
                1 for r in rest
                if named <= len(r) <= width or (len(r) > width and not "".join(r[width:]).strip())
            )
            consistency = fits / len(rest)
        else:
            consistency = 1.0
        score = (named >= 2, consistency, named)
        if score > best_score:
            best, best_score = delim, score
    return best


def _csv_records(text: str, delimiter: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """(row where the record starts, fields) for every record, blank ones included."""
    reader = csv.reader(_iter_lines(text), delimiter=delimiter)
    prev = start = 0
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row = prev + 1
            raise _reject(
                name, "csv_parse_error",
                f"«{name}», fila {row}: no se pudo leer el CSV ({exc}). Lo más probable es una "
                "comilla (\") sin cerrar; revise esa fila.",
                f"'{name}', row {row}: the CSV could not be parsed ({exc}). Most likely a "
                "quote (\") is not closed; check that row.",
                row=row,
            ) from None
        start = prev + 1
        prev = reader.line_num
        yield start, rec
    if prev > start and _ends_in_open_quote(text, prev - start + 1, delimiter):
        raise _reject(
            name, "unclosed_quote",
            f"«{name}», fila {start}: una comilla (\") abierta en esa fila nunca se cierra, así "
            "que el resto del archivo quedaría dentro de una sola celda. Cierre o quite esa "
            "comilla.",
            f"'{name}', row {start}: a quote (\") opened on that row is never closed, so the "
            "rest of the file would end up in one cell. Close or remove that quote.",
            row=start,
        )


def _ends_in_open_quote(text: str, n_lines: int, delimiter: str) -> bool:
    """Whether the last record, spanning the last ``n_lines`` lines, ends inside a quote.

    The lenient reader swallows the rest of the file into one cell when a quote is never
    closed; re-reading just those lines strictly tells.
    """
    pos = len(text) - 1 if text.endswith("\n") else len(text)
    for _ in range(n_lines):
        pos = text.rfind("\n", 0, pos)
        if pos < 0:
            break
    try:
        for _ in csv.reader(_iter_lines(text[pos + 1:]), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


# --------------------------------------------------------------------------------------------
# Rows -> columns (shared by CSV and XLSX)
# --------------------------------------------------------------------------------------------


def _assemble(
    name: str,
    records: Iterable[tuple[int, Sequence[str]]],
    *,
    mode: str,
    delimiter: str | None = None,
) -> tuple[list[str], int, list[pa.ChunkedArray], np.ndarray]:
    """Header, header row, one text column per header cell, and the data rows' numbers.

    ``mode="csv"``: a record whose field count differs from the header's is an error unless
    the difference is empty trailing fields. ``mode="xlsx"``: short rows are padded and data
    to the right of the header is an error (a column without a header).
    """
    header: list[str] | None = None
    header_row = 0
    width = named = 0
    chunk: list[Sequence[str]] = []
    chunks: list[list[pa.Array]] = []
    rows = array("q")
    n_rows = 0
    ragged: list[tuple[int, int]] = []
    n_ragged = 0
    beyond: dict[int, int] = {}  # xlsx: 1-based column position -> first row with data there

    def flush() -> None:
        if chunk:
            # every stored row has exactly ``width`` cells, so a plain zip transposes
            chunks.append([pa.array(c, type=pa.string()) for c in zip(*chunk)])  # noqa: B905
            chunk.clear()

    for rownum, cells in records:
        if header is None:
            if not "".join(cells).strip():
                continue
            header, header_row = list(cells), rownum
            width = len(header)
            named = width
            while named > 0 and not header[named - 1].strip():
                named -= 1
            if mode == "xlsx":  # trailing empty (often only formatted) cells are no columns
                header, width = header[:named], named
            if width > MAX_COLUMNS:
                raise _too_many_columns(name, width)
            continue
        n = len(cells)
        if n != width:
            if n > width:
                if "".join(cells[width:]).strip():
                    if mode == "csv":
                        n_ragged += 1
                        if len(ragged) < _MAX_LISTED:
                            ragged.append((rownum, n))
                        continue
                    for j in range(width, n):
                        if cells[j].strip() and (j + 1) not in beyond:
                            beyond[j + 1] = rownum
                    if len(beyond) > MAX_COLUMNS:
                        raise _too_many_columns(name, width + len(beyond))
                cells = cells[:width]
            elif mode == "csv" and n < named and n > 0:
                n_ragged += 1
                if len(ragged) < _MAX_LISTED:
                    ragged.append((rownum, n))
                continue
            else:
                cells = [*cells, *([""] * (width - n))]
        if not "".join(cells).strip():
            continue
        n_rows += 1
        if n_rows > MAX_ROWS:
            raise _reject(
                name, "too_many_rows",
                f"«{name}» tiene más de {_n_es(MAX_ROWS)} filas de datos, el máximo. Divida el "
                "archivo.",
                f"'{name}' has more than {_n_en(MAX_ROWS)} data rows, the limit. Split the file.",
            )
        if n_ragged or beyond:
            continue  # the upload is rejected anyway: keep counting, stop storing
        chunk.append(cells)
        rows.append(rownum)
        if len(chunk) >= _CHUNK_ROWS:
            flush()

    if header is None:
        raise _reject(
            name, "empty_file",
            f"«{name}» no tiene datos: no se encontró un encabezado.",
            f"'{name}' has no data: no header was found.",
        )
    if n_ragged:
        raise UploadRejected(_ragged_issues(name, ragged, n_ragged, width, delimiter))
    if beyond:
        raise UploadRejected([_blank_header_issue(name, pos, row) for pos, row in
                              sorted(beyond.items())[:_MAX_LISTED]])
    if n_rows == 0:
        raise _reject(
            name, "no_data_rows",
            f"«{name}» solo tiene el encabezado (fila {header_row}); no hay filas de datos.",
            f"'{name}' has only the header (row {header_row}); there are no data rows.",
            row=header_row,
        )
    flush()
    columns = [pa.chunked_array([c[j] for c in chunks], type=pa.string()) for j in range(width)]
    return header, header_row, columns, np.frombuffer(rows, dtype=np.int64).copy()


def _ragged_issues(name: str, ragged: list[tuple[int, int]], total: int, width: int,
                   delimiter: str | None) -> list[Issue]:
    d_es, d_en = _DELIMITER_NAMES.get(delimiter or ",", (repr(delimiter), repr(delimiter)))
    issues = [
        _issue(
            name, "ragged_rows",
            f"«{name}», fila {row}: tiene {n} campo{'s' if n != 1 else ''} pero el encabezado "
            f"tiene {width} columnas "
            f"(separador: {d_es}). Revise separadores y comillas en esa fila.",
            f"'{name}', row {row}: has {n} field{'s' if n != 1 else ''} but the header has "
            f"{width} columns "
            f"(delimiter: {d_en}). Check the delimiters and quotes on that row.",
            row=row,
        )
        for row, n in ragged
    ]
    if total > len(ragged):
        more = total - len(ragged)
        issues.append(_issue(
            name, "ragged_rows",
            f"«{name}»: {_n_es(more)} filas más tienen un número de campos distinto al "
            f"encabezado ({_n_es(total)} en total).",
            f"'{name}': {_n_en(more)} more rows have a different number of fields than the "
            f"header ({_n_en(total)} in all).",
        ))
    return issues


def _blank_header_issue(name: str, position: int, first_row: int | None) -> Issue:
    where_es = f" (primer dato en la fila {first_row})" if first_row else ""
    where_en = f" (first value on row {first_row})" if first_row else ""
    return _issue(
        name, "blank_header",
        f"«{name}»: la columna {position} ({_col_letter(position)}) tiene datos pero no tiene "
        f"nombre en el encabezado{where_es}. Póngale un nombre o bórrela.",
        f"'{name}': column {position} ({_col_letter(position)}) has data but no name in the "
        f"header{where_en}. Name it or delete it.",
        row=first_row,
    )


def _too_many_columns(name: str, n: int) -> UploadRejected:
    return _reject(
        name, "too_many_columns",
        f"«{name}» tiene {_n_es(n)} columnas; el máximo es {_n_es(MAX_COLUMNS)}.",
        f"'{name}' has {_n_en(n)} columns; the limit is {_n_en(MAX_COLUMNS)}.",
    )


# --------------------------------------------------------------------------------------------
# Columns -> RawTable (shared by every format)
# --------------------------------------------------------------------------------------------


def _clean_name(value: str) -> str:
    return value.replace("\ufeff", "").replace("\u200b", "").strip(_TRIM_CHARS)


def _normalize(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Strip whitespace; empty cells and :data:`MISSING_TOKENS` become null."""
    trimmed = pc.utf8_trim(col, characters=_TRIM_CHARS)
    missing = pc.is_in(trimmed, value_set=pa.array(MISSING_TOKENS, type=pa.string()))
    return pc.if_else(missing, pa.scalar(None, type=pa.string()), trimmed)


def _first_true(mask: pa.ChunkedArray) -> tuple[int, int]:
    mask = pc.fill_null(mask, False)
    count = pc.sum(mask).as_py() or 0
    first = pc.index(mask, True).as_py() if count else -1
    return count, first


def _finish(name: str, fmt: str, header: list[str], columns: list[pa.ChunkedArray],
            index: np.ndarray, *, encoding: str | None, delimiter: str | None,
            warnings: list[Issue]) -> RawTable:
    names = [_clean_name(h) for h in header]
    kept: list[tuple[str, pa.ChunkedArray]] = []
    blank: list[Issue] = []
    for pos, (col_name, raw) in enumerate(zip(names, columns, strict=True), start=1):
        col = _normalize(raw)
        if not col_name:
            if col.null_count == len(col):
                continue  # a blank column under a blank header: a stray separator
            _, first = _first_true(pc.is_valid(col))
            blank.append(_blank_header_issue(name, pos, int(index[first])))
            continue
        kept.append((col_name, col))
    if blank:
        raise UploadRejected(blank)

    seen: dict[str, list[int]] = {}
    for pos, col_name in enumerate(names, start=1):
        if col_name:
            seen.setdefault(col_name, []).append(pos)
    dups = {n: p for n, p in seen.items() if len(p) > 1}
    if dups:
        raise UploadRejected([
            _issue(
                name, "duplicate_columns",
                f"«{name}»: la columna «{n}» aparece {len(p)} veces (columnas "
                f"{', '.join(f'{x} ({_col_letter(x)})' for x in p)}). Cada nombre de columna "
                "debe ser único.",
                f"'{name}': column '{n}' appears {len(p)} times (columns "
                f"{', '.join(f'{x} ({_col_letter(x)})' for x in p)}). Column names must be "
                "unique.",
                column=n,
            )
            for n, p in dups.items()
        ])
    if len(kept) > MAX_COLUMNS:
        raise _too_many_columns(name, len(kept))

    for col_name, col in kept:
        warnings.extend(_cell_warnings(name, col_name, col, index))
    if len(kept) == 1:
        only = kept[0][0]
        warnings.append(_warn(
            name, "one_column",
            f"«{name}» tiene una sola columna («{only}»). Revise el separador: se reconocen "
            "coma, punto y coma, tabulación y barra vertical.",
            f"'{name}' has only one column ('{only}'). Check the delimiter: comma, semicolon, "
            "tab and pipe are recognised.",
            column=only,
        ))

    frame = pd.DataFrame(
        {col_name: pd.arrays.ArrowStringArray(col) for col_name, col in kept},
        index=pd.Index(index, name="row"),
    )
    return RawTable(
        file_name=name,
        frame=frame,
        format=fmt,
        encoding=encoding,
        delimiter=delimiter,
        decimal=_guess_decimal([c for _, c in kept], delimiter),
        warnings=warnings,
    )


def _cell_warnings(name: str, col_name: str, col: pa.ChunkedArray,
                   index: np.ndarray) -> list[Issue]:
    out: list[Issue] = []
    if col.null_count == len(col):
        return out
    starts = pc.match_substring_regex(col, _FORMULA_START)
    if pc.any(pc.fill_null(starts, False)).as_py():
        risky = pc.and_(starts, pc.invert(pc.match_substring_regex(col, _PLAIN_NUMBER)))
        count, first = _first_true(risky)
        if count:
            row = int(index[first])
            out.append(_warn(
                name, "formula_like",
                f"«{name}», columna «{col_name}»: "
                f"{_cells_es(count, 'empieza', 'empiezan')} con =, +, - o @ (la primera en la "
                f"fila {row}). Una hoja de cálculo podría ejecutarlas como fórmulas; se guardan "
                "como texto.",
                f"'{name}', column '{col_name}': {_cells_en(count, 'starts', 'start')} with =, "
                f"+, - or @ (the first on row {row}). A spreadsheet could run them as formulas; "
                "they are kept as text.",
                row=row, column=col_name,
            ))
    if pc.any(pc.fill_null(pc.match_substring(col, "<"), False)).as_py():
        count, first = _first_true(pc.match_substring_regex(col, _HTML_TAG))
        if count:
            row = int(index[first])
            out.append(_warn(
                name, "html_markup",
                f"«{name}», columna «{col_name}»: {_cells_es(count, 'contiene', 'contienen')} "
                f"etiquetas HTML o de script (la primera en la fila {row}). Se guardan como "
                "texto; no deben mostrarse como HTML. Revise su origen.",
                f"'{name}', column '{col_name}': {_cells_en(count, 'contains', 'contain')} HTML "
                f"or script tags (the first on row {row}). They are kept as text and must never "
                "be rendered as HTML; check where they came from.",
                row=row, column=col_name,
            ))
    return out


def _guess_decimal(columns: list[pa.ChunkedArray], delimiter: str | None) -> str:
    comma = dot = amb_comma = amb_dot = 0
    for col in columns:
        sample = col.slice(0, _DECIMAL_SAMPLE)

        def count(pattern: str, sample: pa.ChunkedArray = sample) -> int:
            return pc.sum(pc.fill_null(pc.match_substring_regex(sample, pattern),
                                       False)).as_py() or 0

        if pc.any(pc.fill_null(pc.match_substring(sample, ","), False)).as_py():
            ac = count(_AMBIGUOUS_COMMA)
            comma += count(_COMMA_DECIMAL) - ac
            amb_comma += ac
        if pc.any(pc.fill_null(pc.match_substring(sample, "."), False)).as_py():
            ad = count(_AMBIGUOUS_DOT)
            dot += count(_DOT_DECIMAL) - ad
            amb_dot += ad
    if comma > dot:
        return ","
    if comma == dot == 0 and delimiter == ";" and amb_comma > amb_dot:
        return ","
    return "."


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------


def _read_xlsx(data: bytes, name: str) -> RawTable:
    if not getattr(openpyxl, "DEFUSEDXML", False):
        raise _reject(
            name, "xlsx_unsafe_parser",
            f"«{name}»: el servidor no puede leer Excel de forma segura (falta defusedxml). "
            "Suba el archivo como CSV UTF-8 y avise al administrador.",
            f"'{name}': the server cannot read Excel safely (defusedxml is missing). Upload "
            "the file as CSV UTF-8 and tell the administrator.",
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            NotImplementedError):
        raise _corrupt_xlsx(name) from None
    _check_zip(name, infos)
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise _reject(
            name, "not_xlsx",
            f"«{name}» es un archivo ZIP pero no un libro de Excel (no tiene xl/workbook.xml); "
            "quizá es un .ods, un .docx o un ZIP renombrado. Guárdelo como .xlsx o CSV UTF-8.",
            f"'{name}' is a ZIP archive but not an Excel workbook (it has no xl/workbook.xml); "
            "it may be an .ods, a .docx or a renamed ZIP. Save it as .xlsx or CSV UTF-8.",
        )
    try:
        sheets = _workbook_sheets(zf)
        sheet_path = sheets[0][1] if sheets else None
        if sheet_path is not None and sheet_path in names:
            _check_dimension(name, zf, sheet_path)
            n_formulas, first_formula = _scan_formulas(zf, sheet_path)
        else:
            n_formulas, first_formula = 0, None
    except UploadRejected:
        raise
    except DefusedXmlException:  # DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
        raise _unsafe_xml(name) from None
    except (SafeET.ParseError, zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError,
            KeyError, NotImplementedError) as exc:
        raise _corrupt_xlsx(name, exc) from None
    finally:
        zf.close()

    warnings: list[Issue] = []
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except DefusedXmlException:
        raise _unsafe_xml(name) from None
    except Exception as exc:  # openpyxl raises anything from KeyError to TypeError
        raise _corrupt_xlsx(name, exc) from None
    try:
        worksheets = wb.worksheets
        if not worksheets:
            raise _reject(
                name, "xlsx_no_sheets",
                f"«{name}» no tiene ninguna hoja con datos.",
                f"'{name}' has no worksheet with data.",
            )
        ws = worksheets[0]
        if len(worksheets) > 1:
            others = ", ".join(f"«{w.title}»" for w in worksheets[1:])
            others_en = ", ".join(f"'{w.title}'" for w in worksheets[1:])
            warnings.append(_warn(
                name, "xlsx_extra_sheets",
                f"«{name}» tiene {len(worksheets)} hojas; solo se leyó la primera, «{ws.title}». "
                f"Se ignoraron: {others}.",
                f"'{name}' has {len(worksheets)} sheets; only the first, '{ws.title}', was "
                f"read. Ignored: {others_en}.",
            ))
        ws.reset_dimensions()  # a wrong <dimension> must not cut rows off
        header, _header_row, columns, index = _assemble(
            name, _xlsx_records(ws, name), mode="xlsx")
    finally:
        wb.close()
    if n_formulas:
        warnings.append(_warn(
            name, "xlsx_formulas",
            f"«{name}»: {_cells_es(n_formulas, 'tiene', 'tienen')} fórmulas (la primera, "
            f"{first_formula}). Se usa el último valor que Excel calculó y guardó; una fórmula "
            "sin valor guardado queda vacía.",
            f"'{name}': {_cells_en(n_formulas, 'holds', 'hold')} formulas (the first, "
            f"{first_formula}). The last value Excel computed and saved is used; a formula "
            "without a saved value is read as empty.",
            row=_ref_row(first_formula), column=_ref_column(first_formula, header),
        ))
    return _finish(name, "xlsx", header, columns, index, encoding=None, delimiter=None,
                   warnings=warnings)


def _corrupt_xlsx(name: str, exc: BaseException | None = None) -> UploadRejected:
    detail = f" ({type(exc).__name__})" if exc is not None else ""
    return _reject(
        name, "xlsx_corrupt",
        f"«{name}» no se pudo abrir como libro de Excel: está dañado o incompleto{detail}. "
        "Ábralo en Excel y guárdelo de nuevo como .xlsx, o súbalo como CSV UTF-8.",
        f"'{name}' could not be opened as an Excel workbook: it is damaged or incomplete"
        f"{detail}. Open it in Excel and save it again as .xlsx, or upload it as CSV UTF-8.",
    )


def _unsafe_xml(name: str) -> UploadRejected:
    return _reject(
        name, "xlsx_unsafe",
        f"«{name}» contiene XML con declaraciones de entidades o DTD, algo que Excel no genera "
        "y que se usa en ataques; no se lee. Guárdelo de nuevo desde Excel.",
        f"'{name}' holds XML with entity or DTD declarations, which Excel never writes and "
        "attacks use; it is not read. Save it again from Excel.",
    )


def _check_zip(name: str, infos: list[zipfile.ZipInfo]) -> None:
    """Reject encrypted archives and zip bombs from the central directory alone.

    zipfile never yields more than a member's declared size, so the declared sizes bound
    what parsing can decompress later.
    """
    if any(i.flag_bits & 0x1 for i in infos):
        raise _reject(
            name, "xlsx_encrypted",
            f"«{name}» está cifrado o protegido con contraseña. Quite la contraseña en Excel y "
            "súbalo de nuevo.",
            f"'{name}' is encrypted or password-protected. Remove the password in Excel and "
            "upload it again.",
        )
    if len(infos) > _MAX_ZIP_MEMBERS:
        raise _corrupt_xlsx(name)
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _MB and ratio > _MAX_ZIP_RATIO:
            raise _reject(
                name, "xlsx_zip_bomb",
                f"«{name}» no es un Excel normal: la parte «{info.filename}» se descomprime "
                f"{ratio:.0f} veces su tamaño (hasta {_mb_es(info.file_size)}); el máximo es "
                f"{_MAX_ZIP_RATIO}. Se rechaza por seguridad (posible «bomba ZIP»).",
                f"'{name}' is not a normal Excel file: its part '{info.filename}' expands "
                f"{ratio:.0f} times (to {_mb_en(info.file_size)}); the limit is "
                f"{_MAX_ZIP_RATIO}. It is rejected for safety (a possible zip bomb).",
            )
    total = sum(i.file_size for i in infos)
    if total > MAX_XLSX_UNCOMPRESSED_MB * _MB:
        raise _reject(
            name, "xlsx_too_large",
            f"«{name}» ocupa {_mb_es(total)} descomprimido; el máximo es "
            f"{MAX_XLSX_UNCOMPRESSED_MB} MB. Divida el libro o súbalo como CSV.",
            f"'{name}' is {_mb_en(total)} uncompressed; the limit is "
            f"{MAX_XLSX_UNCOMPRESSED_MB} MB. Split the workbook or upload it as CSV.",
        )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _read_member(zf: zipfile.ZipFile, member: str, limit: int = 16 * _MB) -> bytes:
    with zf.open(member) as fh:
        out = fh.read(limit + 1)
    if len(out) > limit:
        raise ValueError(f"{member} is too large")
    return out


def _workbook_sheets(zf: zipfile.ZipFile) -> list[tuple[str, str | None]]:
    """(name, member path) of each worksheet, in workbook order (chart sheets left out)."""
    root = SafeET.fromstring(_read_member(zf, "xl/workbook.xml"))
    targets: dict[str, tuple[str, str]] = {}
    if "xl/_rels/workbook.xml.rels" in zf.namelist():
        rels = SafeET.fromstring(_read_member(zf, "xl/_rels/workbook.xml.rels"))
        for rel in rels.iter():
            if _local(rel.tag) == "Relationship":
                target = rel.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else \
                    posixpath.normpath(posixpath.join("xl", target))
                targets[rel.get("Id", "")] = (path, rel.get("Type", ""))
    out: list[tuple[str, str | None]] = []
    for el in root.iter():
        if _local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items()
                    if _local(k) == "id" and _SPREADSHEET_NS_REL in k), None)
        path, rtype = targets.get(rid or "", (None, ""))
        if rtype and not rtype.endswith("/worksheet"):
            continue
        out.append((el.get("name", ""), path))
    return out


def _ref_row(ref: str | None) -> int | None:
    m = _CELL_RANGE_RE.match(ref or "")
    return int(m.group(2)) if m else None


def _ref_column(ref: str | None, header: list[str]) -> str | None:
    """The header name over a cell reference such as "C3", when there is one."""
    m = _CELL_RANGE_RE.match(ref or "")
    if not m:
        return None
    pos = _col_number(m.group(1))
    return _clean_name(header[pos - 1]) or None if pos <= len(header) else None


def _check_dimension(name: str, zf: zipfile.ZipFile, member: str) -> None:
    """Reject from the sheet's <dimension ref="A1:Z99999"> before loading anything."""
    ref = None
    with zf.open(member) as fh:
        for _event, el in SafeET.iterparse(fh, events=("start",)):
            tag = _local(el.tag)
            if tag == "dimension":
                ref = el.get("ref")
                break
            if tag == "sheetData":
                break
    m = _CELL_RANGE_RE.match(ref or "")
    if not m:
        return
    c1, r1 = _col_number(m.group(1)), int(m.group(2))
    c2, r2 = (_col_number(m.group(3)), int(m.group(4))) if m.group(3) else (c1, r1)
    n_cols = abs(c2 - c1) + 1
    n_data_rows = abs(r2 - r1)  # the first row is the header
    if n_cols > MAX_COLUMNS:
        raise _too_many_columns(name, n_cols)
    if n_data_rows > MAX_ROWS:
        raise _reject(
            name, "too_many_rows",
            f"«{name}»: la primera hoja declara {_n_es(n_data_rows)} filas de datos ({ref}); el "
            f"máximo es {_n_es(MAX_ROWS)}. Divida el archivo.",
            f"'{name}': the first sheet declares {_n_en(n_data_rows)} data rows ({ref}); the "
            f"limit is {_n_en(MAX_ROWS)}. Split the file.",
        )


def _scan_formulas(zf: zipfile.ZipFile, member: str) -> tuple[int, str | None]:
    """Count <f> elements in the sheet XML, streaming; and the first formula's cell."""
    count = 0
    first: str | None = None
    carry = b""
    keep = 4096
    guard = 64  # a tag cut at a chunk's end is counted with the next chunk
    with zf.open(member) as fh:
        while True:
            chunk = fh.read(_MB)
            final = not chunk
            buf = carry + chunk
            limit = len(buf) if final else len(buf) - guard
            start = max(0, len(carry) - guard) if carry else 0
            for m in _FORMULA_RE.finditer(buf, start):
                if m.start() >= limit:
                    break
                count += 1
                if first is None:
                    refs = _CELL_REF_RE.findall(buf, max(0, m.start() - keep), m.start())
                    first = refs[-1].decode() if refs else "?"
            if final:
                break
            carry = buf[-keep:]
    return count, first


def _xlsx_records(ws, name: str) -> Iterator[tuple[int, list[str]]]:
    rows = iter(ws.iter_rows())
    rownum = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except DefusedXmlException:
            raise _unsafe_xml(name) from None
        except Exception as exc:  # openpyxl raises anything from KeyError to TypeError
            raise _corrupt_xlsx(name, exc) from None
        rownum += 1
        yield rownum, [_xlsx_text(c) for c in row]


def _xlsx_text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _zero_pad(str(value), cell)
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return _zero_pad(str(int(value)), cell)
        return format(value, ".15g")
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _zero_pad(digits: str, cell) -> str:
    """An integer shown with a "00000000" number format (a DNI typed as a number) keeps the
    zeros Excel displays."""
    if digits.startswith("-"):
        return digits
    fmt = getattr(cell, "number_format", None) or ""
    if len(fmt) > len(digits) and _ZERO_FORMAT_RE.fullmatch(fmt):
        return digits.zfill(len(fmt))
    return digits


# --------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------


def _read_parquet(data: bytes, name: str) -> RawTable:
    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        md = pf.metadata
        schema = pf.schema_arrow
        uncompressed = sum(md.row_group(i).total_byte_size for i in range(md.num_row_groups))
    except (pa.ArrowException, OSError, ValueError, TypeError, IndexError) as exc:
        raise _corrupt_parquet(name, exc) from None
    fields = [f for f in schema if not f.name.startswith("__index_level_")]
    if len(fields) > MAX_COLUMNS:
        raise _too_many_columns(name, len(fields))
    if md.num_rows > MAX_ROWS:
        raise _reject(
            name, "too_many_rows",
            f"«{name}» tiene {_n_es(md.num_rows)} filas; el máximo es {_n_es(MAX_ROWS)}.",
            f"'{name}' has {_n_en(md.num_rows)} rows; the limit is {_n_en(MAX_ROWS)}.",
        )
    if uncompressed > _MAX_PARQUET_UNCOMPRESSED_MB * _MB:
        raise _reject(
            name, "parquet_too_large",
            f"«{name}» ocupa {_mb_es(uncompressed)} descomprimido; el máximo es "
            f"{_MAX_PARQUET_UNCOMPRESSED_MB} MB.",
            f"'{name}' is {_mb_en(uncompressed)} uncompressed; the limit is "
            f"{_MAX_PARQUET_UNCOMPRESSED_MB} MB.",
        )
    if not fields:
        raise _reject(
            name, "empty_file",
            f"«{name}» no tiene columnas.",
            f"'{name}' has no columns.",
        )
    if md.num_rows == 0:
        raise _reject(
            name, "no_data_rows",
            f"«{name}» solo tiene columnas; no hay filas de datos.",
            f"'{name}' has only columns; there are no data rows.",
        )
    try:
        table = pf.read(columns=[f.name for f in fields], use_pandas_metadata=False)
    except (pa.ArrowException, OSError, ValueError, TypeError, IndexError) as exc:
        raise _corrupt_parquet(name, exc) from None
    header = [str(n) for n in table.column_names]
    columns = [_arrow_text(name, n, table.column(i)) for i, n in enumerate(header)]
    del table
    index = np.arange(2, md.num_rows + 2, dtype=np.int64)
    return _finish(name, "parquet", header, columns, index, encoding=None, delimiter=None,
                   warnings=[])


def _corrupt_parquet(name: str, exc: BaseException) -> UploadRejected:
    return _reject(
        name, "parquet_corrupt",
        f"«{name}» no se pudo leer como Parquet: está dañado o incompleto "
        f"({type(exc).__name__}).",
        f"'{name}' could not be read as Parquet: it is damaged or incomplete "
        f"({type(exc).__name__}).",
    )


def _arrow_text(name: str, column: str, arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """One Arrow column as text: integers without ".0", dates ISO, lists joined by ";"."""
    t = arr.type
    try:
        if pa.types.is_dictionary(t):
            arr = pa.chunked_array([c.dictionary_decode() for c in arr.chunks], type=t.value_type)
            t = arr.type
        if pa.types.is_null(t):
            return pa.chunked_array([pa.nulls(len(arr), type=pa.string())])
        if pa.types.is_timestamp(t):
            midnight = pc.all(pc.fill_null(
                pc.equal(pc.floor_temporal(arr, unit="day"), arr), True)).as_py()
            if midnight:
                return pc.strftime(arr, format="%Y-%m-%d")
            whole_seconds = pc.all(pc.fill_null(
                pc.equal(pc.floor_temporal(arr, unit="second"), arr), True)).as_py()
            if whole_seconds and t.unit != "s":  # Arrow prints "%S" with the unit's fraction
                arr = pc.cast(arr, pa.timestamp("s", tz=t.tz))
            return pc.strftime(arr, format="%Y-%m-%d %H:%M:%S")
        if pa.types.is_floating(t):
            return pc.cast(pc.if_else(pc.is_nan(arr), pa.scalar(None, t), arr), pa.string())
        if pa.types.is_boolean(t):
            return pc.cast(arr, pa.string())
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            as_text = pc.cast(arr, pa.list_(pa.string()))
            return pc.binary_join(as_text, ";")
        if pa.types.is_nested(t):
            raise TypeError(str(t))
        return pc.cast(arr, pa.string())
    except (pa.ArrowException, TypeError, ValueError):
        raise _reject(
            name, "parquet_unsupported_column",
            f"«{name}»: la columna «{column}» es de un tipo que no se puede leer como texto "
            f"({t}).",
            f"'{name}': column '{column}' has a type that cannot be read as text ({t}).",
            column=column,
        ) from None
