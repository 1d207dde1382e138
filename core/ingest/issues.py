"""Problems found in an upload, each tied to a file, a row and a column, in both languages."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Issue:
    """One problem in an upload.

    ``row`` is the 1-based row number as a spreadsheet shows it (the header is row 1, the
    first data row is row 2); ``None`` when the problem concerns the whole file or column.
    ``column`` is the column name as it appears in the user's file, not the canonical one.
    ``severity`` is ``error`` (the upload is rejected) or ``warning`` (stored, but flagged).
    """

    file: str
    row: int | None
    column: str | None
    code: str
    message_es: str
    message_en: str
    severity: str = "error"

    def message(self, lang: str = "es") -> str:
        return self.message_en if lang == "en" else self.message_es

    def to_dict(self, lang: str = "es") -> dict:
        out = asdict(self)
        out["message"] = self.message(lang)
        return out


class UploadRejected(Exception):
    """Raised when a file cannot be read at all; carries the issues that explain why."""

    def __init__(self, issues: list[Issue]):
        super().__init__("; ".join(i.message_en for i in issues))
        self.issues = issues
