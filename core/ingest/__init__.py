"""Ingest: read CSV / Excel / Parquet, map columns, validate, store a versioned dataset."""

from core.ingest.issues import Issue, UploadRejected
from core.ingest.pipeline import (
    IngestResult,
    Prepared,
    UploadFile,
    commit,
    content_hash,
    ingest,
    prepare,
)

__all__ = [
    "IngestResult",
    "Issue",
    "Prepared",
    "UploadFile",
    "UploadRejected",
    "commit",
    "content_hash",
    "ingest",
    "prepare",
]
