"""Dataset versions as HR sees them: newest first, with what each upload brought."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from core.db import session_factory
from core.models import DatasetVersion


def list_versions(engine: Engine) -> list[dict[str, Any]]:
    with session_factory(engine)() as session:
        rows = session.scalars(select(DatasetVersion).order_by(DatasetVersion.id.desc())).all()
        return [
            {
                "id": v.id,
                "uploaded_at": v.uploaded_at.isoformat() if v.uploaded_at else None,
                "uploaded_by": v.uploaded_by,
                "kinds": v.kinds,
                "file_names": v.file_names,
                "row_counts": v.row_counts,
                "target": v.target,
                "content_hash": v.content_hash[:12],
            }
            for v in rows
        ]
