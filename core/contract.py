"""The data contract of DESIGN.md in one place.

Every upload is mapped onto these canonical files; the synthetic organization writes them,
ingest validates against them and the store holds them. Changing a name here changes it
everywhere, so nothing else spells these names out by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PERIOD_RE = re.compile(r"^(\d{4})-Q([1-4])$")
KPI_PREFIX = "kpi_"
SKILL_PREFIX = "skill_"
RATING_MIN, RATING_MAX = 1, 5
SKILL_MIN, SKILL_MAX = 1, 5

MODALITIES = ("presencial", "virtual", "mixta")
TRAINING_STATUSES = ("enrolled", "completed", "dropped")
ROLES = ("hr", "manager", "employee", "trainer")

DEPARTMENTS = (
    "Atención al Cliente",
    "Ventas",
    "Operaciones",
    "Logística",
    "TI",
    "Finanzas",
    "RR.HH.",
)
LOCATIONS = ("Lima", "Arequipa", "Trujillo", "Cusco", "Piura", "Chiclayo", "Iquitos")


@dataclass(frozen=True)
class Column:
    """One canonical column: its name, value type and whether a file must have it.

    ``dtype`` is one of ``id`` (text kept verbatim, leading zeros included), ``text``,
    ``int``, ``float``, ``date`` (YYYY-MM-DD or dd/mm/yyyy), ``period`` (YYYY-Qn),
    ``list`` (``;``-separated text).
    """

    name: str
    dtype: str
    required: bool = False
    min_value: float | None = None
    max_value: float | None = None
    choices: tuple[str, ...] | None = None


EMPLOYEES = (
    Column("employee_id", "id", required=True),
    Column("full_name", "text"),
    Column("email", "text"),
    Column("department", "text"),
    Column("team", "text"),
    Column("manager_id", "id"),
    Column("job_role", "text"),
    Column("location", "text"),
    Column("hire_date", "date"),
    Column("birth_year", "int", min_value=1900, max_value=2100),
    Column("gender", "text"),
)

# performance.csv also carries any number of kpi_<name> (float) and skill_<name> (1-5) columns.
PERFORMANCE = (
    Column("employee_id", "id", required=True),
    Column("period", "period", required=True),
    Column("performance_rating", "float", min_value=RATING_MIN, max_value=RATING_MAX),
)

PROGRAMS = (
    Column("program_id", "id", required=True),
    Column("title_es", "text", required=True),
    Column("title_en", "text"),
    Column("description", "text"),
    Column("target_skills", "list"),
    Column("hours", "float", min_value=0, max_value=2000),
    Column("cost_pen", "float", min_value=0, max_value=10_000_000),
    Column("modality", "text", choices=MODALITIES),
    Column("provider", "text"),
    Column("prerequisites", "list"),
    Column("expected_gain", "float", min_value=0, max_value=4),
)

TRAINING_RECORDS = (
    Column("employee_id", "id", required=True),
    Column("program_id", "id", required=True),
    Column("period", "period", required=True),
    Column("status", "text", required=True, choices=TRAINING_STATUSES),
    Column("score", "float", min_value=0, max_value=100),
)

# Optional fifth file: the level of each skill a job role needs. Without it, targets are
# estimated from the data (see core.features), so the four canonical files are enough.
JOB_ROLES = (
    Column("job_role", "text", required=True),
    Column("skill", "text", required=True),
    Column("target_level", "float", required=True, min_value=SKILL_MIN, max_value=SKILL_MAX),
)

KINDS: dict[str, tuple[Column, ...]] = {
    "employees": EMPLOYEES,
    "performance": PERFORMANCE,
    "programs": PROGRAMS,
    "training_records": TRAINING_RECORDS,
    "job_roles": JOB_ROLES,
}

# Primary keys within one file: a repeated key is an error.
KEYS: dict[str, tuple[str, ...]] = {
    "employees": ("employee_id",),
    "performance": ("employee_id", "period"),
    "programs": ("program_id",),
    "training_records": ("employee_id", "program_id", "period"),
    "job_roles": ("job_role", "skill"),
}

CANONICAL_FILES = {
    "employees": "employees.csv",
    "performance": "performance.csv",
    "programs": "programs.csv",
    "training_records": "training_records.csv",
    "job_roles": "job_roles.csv",
}
GROUND_TRUTH_FILE = "ground_truth.csv"


def period_key(period: str) -> int:
    """Quarter as a sortable integer (2024-Q3 -> 2024*4 + 2)."""
    m = PERIOD_RE.match(period)
    if not m:
        raise ValueError(f"not a period: {period!r}")
    return int(m.group(1)) * 4 + int(m.group(2)) - 1


def period_from_key(key: int) -> str:
    """Inverse of :func:`period_key`."""
    return f"{key // 4}-Q{key % 4 + 1}"


def shift_period(period: str, quarters: int) -> str:
    """The quarter ``quarters`` after (or before, when negative) ``period``."""
    return period_from_key(period_key(period) + quarters)
