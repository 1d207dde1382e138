"""Downloads that are safe to open in Excel.

A cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is run as a formula
by spreadsheet programs (CSV injection). Uploaded text is stored as it came, so every export
neutralises such cells with a leading apostrophe, which Excel shows as plain text.
"""

from __future__ import annotations

import pandas as pd

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        try:
            float(value)  # a plain negative number stays a number
            return value
        except ValueError:
            return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [_neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_neutralise)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM (Excel in Spanish opens it with the tildes right), formulas neutralised."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")
