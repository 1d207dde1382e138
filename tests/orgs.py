"""A small stored organization with one team, shared by the data-layer tests."""

from __future__ import annotations

from pathlib import Path

from core import synthetic
from core.ingest import UploadFile, ingest


def stored_team_org(engine, directory: Path, *, employees: int = 60, quarters: int = 3,
                    seed: int = 9) -> dict:
    """Ingest a synthetic org; return a manager of staff, their team and an outsider."""
    o = synthetic.generate(employees, quarters, seed=seed)
    paths = o.write(directory)
    result = ingest([UploadFile.from_path(p) for k, p in paths.items() if k != "ground_truth"],
                    engine)
    assert result.status == "stored"
    emp = o.employees
    mgrs = set(emp["manager_id"].dropna())
    boss = next(m for m in sorted(mgrs) if not set(emp[emp.manager_id == m].employee_id) & mgrs)
    team = sorted(emp[emp.manager_id == boss].employee_id)
    outsider = sorted(set(emp.employee_id) - set(team) - {boss} - mgrs)[0]
    return {"org": o, "boss": boss, "team": team, "outsider": outsider}
