"""Upload pipeline: read -> propose mapping -> validate -> quality -> store.

`prepare` does everything but writing, so the upload page can show the mapping and the
report and let HR change the mapping before anything is stored; `commit` stores a prepared
upload; `ingest` is both in one call (CLI, demo seeding).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from core.ingest.issues import Issue, UploadRejected
from core.ingest.mapping import SNAPSHOT, Mapping, apply_override, propose_mapping
from core.ingest.quality import quality_report, quality_warnings
from core.ingest.read import RawTable, read_table
from core.ingest.store import known_ids, store_dataset
from core.ingest.validate import KnownIds, Validated, check_references, validate

# The order in which files of one upload are stored: referenced tables first.
KIND_ORDER = ("employees", "snapshot", "programs", "job_roles", "performance", "training_records")


@dataclass
class UploadFile:
    """One file as the user gave it."""

    name: str
    data: bytes

    @classmethod
    def from_path(cls, path: str | Path) -> UploadFile:
        p = Path(path)
        return cls(name=p.name, data=p.read_bytes())


@dataclass
class PreparedFile:
    name: str
    sha256: str
    raw: RawTable | None
    mapping: Mapping | None
    validated: Validated | None
    quality: dict[str, Any]
    issues: list[Issue]


@dataclass
class Prepared:
    files: list[PreparedFile]
    issues: list[Issue] = field(default_factory=list)

    @property
    def all_issues(self) -> list[Issue]:
        out = list(self.issues)
        for f in self.files:
            out.extend(f.issues)
        return out

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.all_issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.all_issues if i.severity != "error"]

    @property
    def ok(self) -> bool:
        return not self.errors and all(f.validated is not None for f in self.files)

    def mapping_json(self) -> dict[str, Any]:
        return {f.name: f.mapping.to_json() for f in self.files if f.mapping is not None}


@dataclass
class IngestResult:
    status: str  # stored | unchanged | rejected
    dataset_version: int | None
    rows: dict[str, int]
    mapping: dict[str, Any]
    errors: list[Issue]
    warnings: list[Issue]
    quality: dict[str, Any] = field(default_factory=dict)

    def to_json(self, lang: str = "es") -> dict[str, Any]:
        def issue(i: Issue) -> dict[str, Any]:
            return {"file": i.file, "row": i.row, "column": i.column, "code": i.code,
                    "message": i.message(lang)}

        return {
            "status": self.status,
            "dataset_version": self.dataset_version,
            "rows": self.rows,
            "mapping": self.mapping,
            "errors": [issue(i) for i in self.errors],
            "warnings": [issue(i) for i in self.warnings],
        }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare(
    files: list[UploadFile],
    *,
    engine: Engine | None = None,
    kind: str | None = None,
    target: str | None = None,
    overrides: dict[str, dict[str, str | None]] | None = None,
    kinds: dict[str, str] | None = None,
) -> Prepared:
    """Read, map and validate without writing anything.

    ``kind`` forces one kind on every file (``None`` or ``"auto"`` detects per file);
    ``kinds`` forces it per file name; ``overrides`` maps a file name to HR's mapping edits
    (user column -> canonical column or ``None`` to ignore it).
    """
    overrides = overrides or {}
    kinds = kinds or {}
    prepared = Prepared(files=[])
    if not files:
        prepared.issues.append(Issue("", None, None, "no_files", "No se recibió ningún archivo.",
                                     "No file was received."))
        return prepared
    for upload in files:
        prepared.files.append(_prepare_one(upload, kinds.get(upload.name, kind), target,
                                           overrides.get(upload.name)))
    _check_kinds_unique(prepared)
    if prepared.ok:
        emps, progs = known_ids(engine) if engine is not None else (set(), set())
        validated = {f.validated.kind: f.validated for f in prepared.files if f.validated}
        prepared.issues.extend(check_references(validated, KnownIds(emps, progs)))
    return prepared


def _prepare_one(upload: UploadFile, kind: str | None, target: str | None,
                 override: dict[str, str | None] | None) -> PreparedFile:
    pf = PreparedFile(name=upload.name, sha256=_sha256(upload.data), raw=None, mapping=None,
                      validated=None, quality={}, issues=[])
    try:
        pf.raw = read_table(upload.data, upload.name)
    except UploadRejected as rejected:
        pf.issues.extend(rejected.issues)
        return pf
    pf.issues.extend(pf.raw.warnings)
    forced = None if kind in (None, "auto") else kind
    pf.mapping = propose_mapping(pf.raw.frame, kind=forced, target=target)
    if override:
        pf.mapping = apply_override(pf.mapping, override)
    pf.validated = validate(pf.raw.frame, pf.mapping, upload.name, decimal=pf.raw.decimal)
    pf.issues.extend(pf.validated.issues)
    if pf.validated.ok:
        pf.quality = quality_report(pf.validated.frame, pf.validated.kind,
                                    target="outcome" if pf.validated.kind == SNAPSHOT else None)
        pf.issues.extend(quality_warnings(pf.quality, upload.name))
    return pf


def _check_kinds_unique(prepared: Prepared) -> None:
    seen: dict[str, str] = {}
    for f in prepared.files:
        if f.validated is None:
            continue
        k = f.validated.kind
        if k in seen:
            prepared.issues.append(Issue(
                f.name, None, None, "duplicate_kind",
                f"«{f.name}» y «{seen[k]}» parecen ser ambos del tipo «{k}»; suba uno por tipo "
                "o indique el tipo de cada archivo.",
                f"'{f.name}' and '{seen[k]}' both look like '{k}' files; upload one per kind "
                "or set each file's kind.",
            ))
        seen[k] = f.name
    if SNAPSHOT in seen and len(seen) > 1:
        prepared.issues.append(Issue(
            seen[SNAPSHOT], None, None, "snapshot_with_others",
            "Un archivo de tipo «snapshot» se sube solo, sin otros archivos.",
            "A snapshot file is uploaded on its own, without other files.",
        ))


def content_hash(prepared: Prepared) -> str:
    """Same files with the same mapping -> same hash, whatever their names or order."""
    parts = sorted(
        json.dumps([f.sha256, f.mapping.to_json() if f.mapping else None], sort_keys=True)
        for f in prepared.files
    )
    return _sha256("\n".join(parts).encode())


def commit(prepared: Prepared, engine: Engine, *, uploaded_by: str | None = None) -> IngestResult:
    """Store a prepared upload as one dataset version (or report why it cannot be)."""
    mapping = prepared.mapping_json()
    rows = {f.name: len(f.raw.frame) for f in prepared.files if f.raw is not None}
    if not prepared.ok:
        return IngestResult("rejected", None, rows, mapping, prepared.errors, prepared.warnings)
    frames = {f.validated.kind: f.validated.frame for f in prepared.files if f.validated}
    frames = {k: frames[k] for k in KIND_ORDER if k in frames}
    quality = {f.name: f.quality for f in prepared.files}
    target = next((f.mapping.target for f in prepared.files
                   if f.mapping and f.mapping.kind == SNAPSHOT), None)
    status, version, _stored = store_dataset(
        engine,
        frames=frames,
        content_hash=content_hash(prepared),
        file_names=[f.name for f in prepared.files],
        mapping=mapping,
        quality=quality,
        uploaded_by=uploaded_by,
        target=target,
    )
    return IngestResult(status, version, rows, mapping, [], prepared.warnings, quality)


def ingest(
    files: list[UploadFile],
    engine: Engine,
    *,
    kind: str | None = None,
    target: str | None = None,
    overrides: dict[str, dict[str, str | None]] | None = None,
    uploaded_by: str | None = None,
) -> IngestResult:
    prepared = prepare(files, engine=engine, kind=kind, target=target, overrides=overrides)
    return commit(prepared, engine, uploaded_by=uploaded_by)
