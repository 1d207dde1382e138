"""Validate a mapped user file against the data contract and type its columns.

The text cells of the user's frame are converted cell by cell, so every bad cell becomes one
:class:`~core.ingest.issues.Issue` naming its spreadsheet row and the user's column name. The
rules on the typed frame (ranges, choices, required values, unique keys) are a pandera
schema validated lazily; its failure cases are turned back into issues the same way. Checks
across files (ids that must exist) are :func:`check_references`.

Dtypes of :attr:`Validated.frame` (canonical column names, index = spreadsheet row):
``id``/``text``/``list``/``period`` -> ``string``; ``int`` -> ``Int64``; ``float`` (and every
``kpi_*``/``skill_*``) -> ``Float64``; ``date`` -> ``datetime64[ns]`` at midnight. Snapshot:
employee fields typed as above, ``f_*`` features ``Float64`` (numeric) or ``string``
(categorical), ``outcome`` ``string``. Only mapped columns are present.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pandera.pandas as pa

from core.contract import EMPLOYEES, KEYS, KINDS, KPI_PREFIX, SKILL_MAX, SKILL_MIN, SKILL_PREFIX
from core.contract import Column as Spec
from core.ingest.issues import Issue
from core.ingest.mapping import (
    FEATURE_PREFIX,
    OUTCOME,
    SNAPSHOT,
    Mapping,
    as_text,
    dayfirst_for,
    english_grouping,
    is_missing,
    normalize_choice,
    normalize_name,
    parse_date,
    parse_number,
    parse_period,
    unique_columns,
)

MAX_ISSUES = 200
FEATURE_NUMERIC_SHARE = 0.95
MIN_AGE, MAX_AGE = 16, 80
_VALUE_CHARS = 40

# What each canonical column holds, for messages: (es, en).
LABELS: dict[str, tuple[str, str]] = {
    "employee_id": ("código del empleado", "employee id"),
    "full_name": ("nombre completo", "full name"),
    "email": ("correo electrónico", "e-mail"),
    "department": ("área o departamento", "department"),
    "team": ("equipo", "team"),
    "manager_id": ("código del jefe directo", "manager's employee id"),
    "job_role": ("puesto", "job role"),
    "location": ("sede o ciudad", "location"),
    "hire_date": ("fecha de ingreso", "hire date"),
    "birth_year": ("año de nacimiento", "birth year"),
    "gender": ("género", "gender"),
    "period": ("trimestre, p. ej. 2024-Q3", "quarter, e.g. 2024-Q3"),
    "performance_rating": ("calificación de desempeño de 1 a 5", "performance rating 1 to 5"),
    "program_id": ("código del programa", "program id"),
    "title_es": ("título del programa en español", "program title in Spanish"),
    "title_en": ("título en inglés", "title in English"),
    "description": ("descripción", "description"),
    "target_skills": ("habilidades que desarrolla, separadas por ;", "target skills, ;-separated"),
    "hours": ("horas", "hours"),
    "cost_pen": ("costo en soles", "cost in PEN"),
    "modality": ("modalidad", "modality"),
    "provider": ("proveedor", "provider"),
    "prerequisites": ("códigos de programas previos, separados por ;", "prerequisite program ids"),
    "expected_gain": ("mejora esperada", "expected gain"),
    "status": ("estado", "status"),
    "score": ("puntaje de 0 a 100", "score 0 to 100"),
    "skill": ("habilidad", "skill"),
    "target_level": ("nivel objetivo de 1 a 5", "target level 1 to 5"),
    OUTCOME: ("columna de resultado (p. ej. is_promoted)", "outcome column (e.g. is_promoted)"),
}
_KEY_WHAT = {
    "employees": ("empleado", "employee"),
    "performance": ("empleado y trimestre", "employee and quarter"),
    "programs": ("programa", "program"),
    "training_records": ("empleado, programa y trimestre", "employee, program and quarter"),
    "job_roles": ("puesto y habilidad", "job role and skill"),
    SNAPSHOT: ("empleado", "employee"),
}
_CHOICE_ES = {"completed": "completed (completado)", "enrolled": "enrolled (inscrito)",
              "dropped": "dropped (retirado)"}


@dataclass
class KnownIds:
    """Ids already in the database, so a file may refer to employees uploaded earlier."""

    employees: set[str] = field(default_factory=set)
    programs: set[str] = field(default_factory=set)


@dataclass
class Validated:
    """A typed canonical frame and the problems found; ``user_columns``: canonical -> user."""

    kind: str
    frame: pd.DataFrame
    issues: list[Issue]
    file_name: str = ""
    user_columns: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity != "error"]


# --------------------------------------------------------------------------- messages


def _short(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _expect(spec: Spec) -> tuple[str, str]:
    """What a column expects, (es, en), completing «se espera ...» / "expected ..."."""
    if spec.choices:
        es = ", ".join(_CHOICE_ES.get(c, c) for c in spec.choices)
        return f"uno de: {es}", f"one of: {', '.join(spec.choices)}"
    if spec.dtype in ("int", "float"):
        whole_es, whole_en = ("un número entero", "a whole number") if spec.dtype == "int" else (
            "un valor", "a value")
        lo, hi = spec.min_value, spec.max_value
        if lo is not None and hi is not None:
            return (f"{whole_es} de {_fmt(lo)} a {_fmt(hi)}",
                    f"{whole_en} from {_fmt(lo)} to {_fmt(hi)}")
        if lo is not None:
            return f"{whole_es} mayor o igual a {_fmt(lo)}", f"{whole_en} of at least {_fmt(lo)}"
        if spec.dtype == "int":
            return "un número entero", "a whole number"
        return "un número, p. ej. 3.5 o 3,5", "a number such as 3.5"
    if spec.dtype == "date":
        return "una fecha como 2024-03-31 o 31/03/2024", "a date such as 2024-03-31 or 31/03/2024"
    if spec.dtype == "period":
        return ("un trimestre como 2024-Q3 (también vale 2024Q3, 2024-T3 o T3 2024)",
                "a quarter such as 2024-Q3 (2024Q3, 2024-T3 or T3 2024 also work)")
    return "un valor", "a value"


_NOT_A = {
    "int": ("un número entero", "a whole number"),
    "float": ("un número", "a number"),
    "feature": ("un número", "a number"),
    "date": ("una fecha válida", "a valid date"),
    "period": ("un trimestre válido", "a valid quarter"),
}


def _fix(spec: Spec) -> tuple[str, str]:
    if spec.required:
        return "Corrija el valor.", "Fix the value."
    return "Corrija el valor o deje la celda vacía.", "Fix the value or leave the cell empty."


def _bad_cell(file: str, row: int, user: str, value: str, spec: Spec) -> Issue:
    what_es, what_en = _NOT_A.get(spec.dtype, ("un valor válido", "a valid value"))
    exp_es, exp_en = _expect(spec)
    fix_es, fix_en = _fix(spec)
    v = _short(value)
    return Issue(
        file, row, user, f"bad_{spec.dtype}",
        f"Fila {row}, columna «{user}»: «{v}» no es {what_es}; se espera {exp_es}. {fix_es}",
        f"Row {row}, column '{user}': '{v}' is not {what_en}; expected {exp_en}. {fix_en}",
    )


def _missing_column(file: str, canon: str, user_columns: list[str]) -> Issue:
    label_es, label_en = LABELS.get(canon, (canon, canon))
    shown = user_columns[:30]
    cols = ", ".join(f"«{c}»" for c in shown) + (" …" if len(user_columns) > 30 else "")
    cols_en = ", ".join(f"'{c}'" for c in shown) + (" …" if len(user_columns) > 30 else "")
    return Issue(
        file, None, None, "missing_column",
        f"Falta la columna obligatoria «{canon}» ({label_es}). Columnas del archivo: {cols}. "
        "Agregue la columna al archivo o asígnela en el mapeo de columnas.",
        f"The required column '{canon}' ({label_en}) is missing. Columns in the file: "
        f"{cols_en}. Add the column to the file or assign it in the column mapping.",
    )


def cap_issues(issues: list[Issue], file: str, limit: int = MAX_ISSUES) -> list[Issue]:
    """Errors first, then by row; at most ``limit`` issues plus one «y N problemas más»."""
    ordered = sorted(
        issues,
        key=lambda i: (i.severity != "error", -1 if i.row is None else i.row),
    )
    if len(ordered) <= limit:
        return ordered
    kept, dropped = ordered[:limit], ordered[limit:]
    n = len(dropped)
    n_err = sum(1 for i in dropped if i.severity == "error")
    kept.append(Issue(
        file, None, None, "more_issues",
        f"… y {n} problemas más ({n_err} errores) en este archivo. Corrija los anteriores y "
        "vuelva a subirlo para verlos.",
        f"… and {n} more problems ({n_err} errors) in this file. Fix the ones above and upload "
        "it again to see them.",
        "error" if n_err else "warning",
    ))
    return kept


# --------------------------------------------------------------------------- specs


def _spec_for(kind: str, canon: str) -> Spec | None:
    """The contract column a canonical name stands for in this kind (None: not allowed)."""
    if kind == SNAPSHOT:
        for c in EMPLOYEES:
            if c.name == canon:
                return c
        if canon == OUTCOME:
            return Spec(OUTCOME, "outcome", required=True)
        if canon.startswith(FEATURE_PREFIX) and len(canon) > len(FEATURE_PREFIX):
            return Spec(canon, "feature")
        return None
    for c in KINDS.get(kind, ()):
        if c.name == canon:
            return c
    if kind == "performance" and canon.startswith(KPI_PREFIX) and len(canon) > len(KPI_PREFIX):
        return Spec(canon, "float")
    if kind == "performance" and canon.startswith(SKILL_PREFIX) and len(canon) > len(
            SKILL_PREFIX):
        return Spec(canon, "float", min_value=SKILL_MIN, max_value=SKILL_MAX)
    return None


def _required(kind: str) -> list[str]:
    if kind == SNAPSHOT:
        return ["employee_id", OUTCOME]
    return [c.name for c in KINDS[kind] if c.required]


def _keys(kind: str) -> tuple[str, ...]:
    return ("employee_id",) if kind == SNAPSHOT else KEYS[kind]


# --------------------------------------------------------------------------- conversion


def _skill_name(text: str) -> str:
    return normalize_name(text).removeprefix(SKILL_PREFIX)


def _split_list(text: str, canon: str) -> str | None:
    parts = [p.strip() for p in text.replace("|", ";").replace(",", ";").split(";")]
    if canon == "target_skills":
        parts = [_skill_name(p) for p in parts]
    parts = [p for p in parts if p]
    return ";".join(dict.fromkeys(parts)) or None


def _texts(series: pd.Series, numeric: bool) -> list[str | None]:
    """Cells as stripped text; None when missing (placeholders like NA too, if numeric)."""
    out: list[str | None] = []
    for v in series.tolist():
        t = as_text(v)
        if t is not None:
            t = t.strip()
            if not t or (numeric and is_missing(t)):
                t = None
        out.append(t)
    return out


def _strip_float_ids(values: list[str | None]) -> list[str | None]:
    """An id column read from Excel as ``123.0`` everywhere -> ``123``."""
    present = [v for v in values if v is not None]
    if present and all(v.endswith(".0") and v[:-2].isdigit() for v in present):
        return [None if v is None else v[:-2] for v in values]
    return values


def _convert(values: list[str | None], spec: Spec, decimal: str):
    """Typed values (None = missing) and the positions of cells that could not be read."""
    kind = spec.dtype
    bad: list[int] = []
    cache: dict[str, Any] = {}
    if kind in ("int", "float"):
        thousands = english_grouping([v for v in set(values) if v is not None])

        def conv(t: str) -> Any:
            x = parse_number(t, decimal, thousands)
            if x is None:
                return _BAD
            if kind == "int":
                return int(x) if x.is_integer() else _BAD
            return x
    elif kind == "date":
        dayfirst = dayfirst_for(values)

        def conv(t: str) -> Any:
            d = parse_date(t, dayfirst)
            return _BAD if d is None else d
    elif kind == "period":
        def conv(t: str) -> Any:
            p = parse_period(t)
            return _BAD if p is None else p
    elif kind == "list":
        def conv(t: str) -> Any:
            return _split_list(t, spec.name)
    elif spec.choices:
        def conv(t: str) -> Any:
            return normalize_choice(spec.name, t)
    elif spec.name == "skill":
        def conv(t: str) -> Any:
            return _skill_name(t) or None
    else:
        def conv(t: str) -> Any:
            return t
    out: list[Any] = []
    for pos, t in enumerate(values):
        if t is None:
            out.append(None)
            continue
        if t not in cache:
            cache[t] = conv(t)
        v = cache[t]
        if v is _BAD:
            bad.append(pos)
            v = None
        out.append(v)
    return out, bad


class _Bad:
    pass


_BAD = _Bad()


def _series(values: list[Any], dtype: str, index: pd.Index) -> pd.Series:
    if dtype == "int":
        return pd.Series(pd.array(values, dtype="Int64"), index=index)
    if dtype in ("float", "feature_num"):
        return pd.Series(pd.array(values, dtype="Float64"), index=index)
    if dtype == "date":
        iso = [None if v is None else v.isoformat() for v in values]
        parsed = pd.to_datetime(pd.Series(iso, index=index, dtype=object), format="%Y-%m-%d")
        return parsed.astype("datetime64[ns]")
    return pd.Series(pd.array(values, dtype="string"), index=index)


def _feature(values: list[str | None], decimal: str):
    """Numeric (Float64) when >= 95% of the values are numbers, else categorical text."""
    present = [v for v in values if v is not None]
    if not present:
        return values, "text", []
    thousands = english_grouping(list(set(present)))
    cache: dict[str, float | None] = {}
    nums: list[float | None] = []
    for v in values:
        if v is None:
            nums.append(None)
            continue
        if v not in cache:
            cache[v] = parse_number(v, decimal, thousands)
        nums.append(cache[v])
    parsed = sum(1 for v, x in zip(values, nums, strict=True) if v is not None and x is not None)
    if parsed / len(present) >= FEATURE_NUMERIC_SHARE:
        bad = [i for i, (v, x) in enumerate(zip(values, nums, strict=True))
               if v is not None and x is None]
        return nums, "feature_num", bad
    return values, "text", []


def _outcome(values: list[str | None]) -> list[str | None]:
    """Outcome labels as text; ``1.0``/``1`` -> ``1`` when every label is a whole number."""
    present = {v for v in values if v is not None}
    nums = {v: parse_number(v) for v in present}
    if present and all(x is not None and x.is_integer() for x in nums.values()):
        return [None if v is None else str(int(nums[v])) for v in values]
    return values


# --------------------------------------------------------------------------- pandera


_TABLE_OF_KIND = {
    "employees": "employees",
    "snapshot": "employees",
    "programs": "programs",
    "training_records": "training_records",
    "job_roles": "job_role_targets",
    "performance": "measurements",
}


def max_length(kind: str, canon: str) -> int | None:
    """The longest text the database column behind ``canon`` holds (None: no limit).

    Read from the ORM, so a value PostgreSQL would refuse (SQLite would not) is reported
    here with its row, not as a failed store.
    """
    from core.models import Base

    table = Base.metadata.tables.get(_TABLE_OF_KIND.get(kind, ""))
    if table is None or canon not in table.columns:
        return 100 if canon == OUTCOME else None
    return getattr(table.columns[canon].type, "length", None)


def _schema(kind: str, typed: pd.DataFrame, specs: dict[str, Spec]) -> pa.DataFrameSchema:
    columns: dict[str, pa.Column] = {}
    for canon, spec in specs.items():
        checks = []
        limit = max_length(kind, canon)
        if limit and spec.dtype in ("id", "text", "period", "list", "outcome"):
            checks.append(pa.Check.str_length(max_value=limit, name=f"max_length_{limit}"))
        if spec.choices:
            checks.append(pa.Check.isin(list(spec.choices)))
        elif spec.min_value is not None and spec.max_value is not None:
            checks.append(pa.Check.in_range(spec.min_value, spec.max_value))
        elif spec.min_value is not None:
            checks.append(pa.Check.ge(spec.min_value))
        elif spec.max_value is not None:
            checks.append(pa.Check.le(spec.max_value))
        columns[canon] = pa.Column(checks=checks, nullable=not spec.required)
    keys = [k for k in _keys(kind) if k in typed.columns]
    unique = keys if len(keys) == len(_keys(kind)) else None
    return pa.DataFrameSchema(columns, unique=unique, report_duplicates="exclude_first")


def _pandera_issues(
    kind: str, typed: pd.DataFrame, raw: pd.DataFrame, specs: dict[str, Spec],
    users: dict[str, str], file: str,
) -> list[Issue]:
    try:
        _schema(kind, typed, specs).validate(typed, lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    issues: list[Issue] = []
    duplicated: set[int] = set()
    for case in cases.itertuples(index=False):
        check = str(case.check)
        canon = case.column
        row = None if case.index is None or pd.isna(case.index) else int(case.index)
        if check in ("multiple_fields_uniqueness", "field_uniqueness"):
            if row is not None:
                duplicated.add(row)
            continue
        if canon not in specs or row is None:
            continue
        spec, user = specs[canon], users[canon]
        value = as_text(raw.at[row, user]) if user in raw.columns else case.failure_case
        label_es, label_en = LABELS.get(canon, (canon, canon))
        if check.startswith("max_length_"):
            limit = check.removeprefix("max_length_")
            v = _short(value)
            issues.append(Issue(
                file, row, user, "too_long",
                f"Fila {row}, columna «{user}»: «{v}» es demasiado largo (máximo {limit} "
                "caracteres). ¿Está bien el separador de columnas?",
                f"Row {row}, column '{user}': '{v}' is too long (at most {limit} characters). "
                "Is the column delimiter right?",
            ))
        elif check == "not_nullable":
            issues.append(Issue(
                file, row, user, "missing_value",
                f"Fila {row}, columna «{user}»: falta el valor y esta columna es obligatoria "
                f"({label_es}). Complete la celda.",
                f"Row {row}, column '{user}': the value is missing and this column is required "
                f"({label_en}). Fill in the cell.",
            ))
        elif spec.choices:
            exp_es, exp_en = _expect(spec)
            v = _short(value)
            issues.append(Issue(
                file, row, user, "bad_choice",
                f"Fila {row}, columna «{user}»: «{v}» no es un valor permitido; use {exp_es}.",
                f"Row {row}, column '{user}': '{v}' is not an allowed value; use {exp_en}.",
            ))
        else:
            exp_es, exp_en = _expect(spec)
            fix_es, fix_en = _fix(spec)
            v = _short(value)
            issues.append(Issue(
                file, row, user, "out_of_range",
                f"Fila {row}, columna «{user}»: «{v}» está fuera de rango; se espera {exp_es}. "
                f"{fix_es}",
                f"Row {row}, column '{user}': '{v}' is out of range; expected {exp_en}. {fix_en}",
            ))
    if duplicated:
        issues.extend(_duplicate_issues(kind, typed, raw, users, file, duplicated))
    return issues


def _duplicate_issues(
    kind: str, typed: pd.DataFrame, raw: pd.DataFrame, users: dict[str, str], file: str,
    rows: set[int],
) -> list[Issue]:
    keys = list(_keys(kind))
    first: dict[tuple, int] = {}
    issues: list[Issue] = []
    sub = typed[keys].astype(object)
    what_es, what_en = _KEY_WHAT[kind]
    for row, values in zip(sub.index, sub.itertuples(index=False, name=None), strict=True):
        if any(is_missing(v) for v in values):
            continue
        if values not in first:
            first[values] = int(row)
            continue
        if int(row) not in rows:
            continue
        shown = [
            (users[k], _short(as_text(raw.at[row, users[k]]) if users[k] in raw.columns else v))
            for k, v in zip(keys, values, strict=True)
        ]
        es = ", ".join(f"«{u}» = «{v}»" for u, v in shown)
        en = ", ".join(f"'{u}' = '{v}'" for u, v in shown)
        issues.append(Issue(
            file, int(row), users[keys[0]], "duplicate_key",
            f"Fila {row}: {es} repite la fila {first[values]}; cada {what_es} debe aparecer una "
            "sola vez. Elimine o corrija una de las dos filas.",
            f"Row {row}: {en} repeats row {first[values]}; each {what_en} must appear only "
            "once. Delete or correct one of the two rows.",
        ))
    return issues


# --------------------------------------------------------------------------- kind checks


def _manager_issues(typed: pd.DataFrame, users: dict[str, str], file: str) -> list[Issue]:
    if "manager_id" not in typed.columns or "employee_id" not in typed.columns:
        return []
    user = users["manager_id"]
    issues: list[Issue] = []
    boss: dict[str, str] = {}
    row_of: dict[str, int] = {}
    ids = typed["employee_id"].astype(object).tolist()
    mgrs = typed["manager_id"].astype(object).tolist()
    for row, eid, mid in zip(typed.index, ids, mgrs, strict=True):
        if is_missing(eid) or is_missing(mid):
            continue
        if eid == mid:
            issues.append(Issue(
                file, int(row), user, "self_manager",
                f"Fila {row}, columna «{user}»: el empleado «{_short(eid)}» figura como su propio "
                "jefe. Indique el código de su jefe directo o deje la celda vacía.",
                f"Row {row}, column '{user}': employee '{_short(eid)}' is listed as their own "
                "manager. Enter their direct manager's id or leave the cell empty.",
            ))
            continue
        if eid not in boss:
            boss[eid], row_of[eid] = mid, int(row)
    done: set[str] = set()
    for start in boss:
        if start in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node in boss and node not in done and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = boss[node]
        if node is not None and node in on_path:
            cycle = path[path.index(node):]
            first = min(cycle, key=lambda e: row_of[e])
            rows = sorted(row_of[e] for e in cycle)
            i = cycle.index(first)
            chain = [*cycle[i:], *cycle[:i], first]
            shown = " → ".join(_short(e) for e in chain)
            rows_txt = ", ".join(str(r) for r in rows)
            issues.append(Issue(
                file, row_of[first], user, "manager_cycle",
                f"Fila {row_of[first]}, columna «{user}»: la cadena de jefes forma un ciclo "
                f"({shown}; filas {rows_txt}). Corrija el jefe de al menos una de estas personas.",
                f"Row {row_of[first]}, column '{user}': the chain of managers forms a cycle "
                f"({shown}; rows {rows_txt}). Correct the manager of at least one of them.",
            ))
        done.update(path)
    return issues


def _warnings(kind: str, typed: pd.DataFrame, users: dict[str, str], file: str) -> list[Issue]:
    out: list[Issue] = []
    today = dt.date.today()
    if kind == "performance":
        cols = [c for c in typed.columns if c.startswith((KPI_PREFIX, SKILL_PREFIX))]
        if cols:
            empty = typed[cols].isna().all(axis=1)
            for row in typed.index[empty.to_numpy()]:
                out.append(Issue(
                    file, int(row), None, "no_measurements",
                    f"Fila {row}: no tiene ningún valor de habilidades ni de KPI; la fila solo "
                    "aporta la calificación. Complete los valores si los tiene.",
                    f"Row {row}: has no skill or KPI value at all; the row only gives the "
                    "rating. Fill in the values if you have them.",
                    "warning",
                ))
    if "hire_date" in typed.columns:
        user = users["hire_date"]
        future = typed["hire_date"] > pd.Timestamp(today)
        for row, value in typed.loc[future.fillna(False).to_numpy(), "hire_date"].items():
            d = value.date().isoformat()
            out.append(Issue(
                file, int(row), user, "future_date",
                f"Fila {row}, columna «{user}»: la fecha de ingreso {d} está en el futuro. "
                "Revise el año y el orden día/mes (se lee día/mes/año).",
                f"Row {row}, column '{user}': the hire date {d} is in the future. Check the "
                "year and the day/month order (read as day/month/year).",
                "warning",
            ))
    if "birth_year" in typed.columns:
        user = users["birth_year"]
        year = typed["birth_year"]
        age = today.year - year
        in_contract = (year >= 1900) & (year <= 2100)  # else range validation reported it
        odd = (in_contract & ((age < MIN_AGE) | (age > MAX_AGE))).fillna(False).to_numpy()
        for row, year in typed.loc[odd, "birth_year"].items():
            a = today.year - int(year)
            out.append(Issue(
                file, int(row), user, "implausible_age",
                f"Fila {row}, columna «{user}»: el año {year} implica una edad de {a} años "
                f"(se esperan {MIN_AGE} a {MAX_AGE}). Revise el año de nacimiento.",
                f"Row {row}, column '{user}': the year {year} implies an age of {a} (expected "
                f"{MIN_AGE} to {MAX_AGE}). Check the birth year.",
                "warning",
            ))
    return out


# --------------------------------------------------------------------------- validate

ROW_ID_COLUMN = "ID (fila)"  # the column a snapshot without employee ids gets
ROW_ID_PREFIX = "F"


def _row_ids(frame: pd.DataFrame, file: str, issues: list[Issue]
             ) -> tuple[pd.DataFrame, Spec, str]:
    """Ids from the spreadsheet row (F2, F3, ...) for a snapshot file that has none.

    Many public HR files (one row per person, an outcome to learn) carry no employee id;
    training does not need one, so the row stands in for it and the user is told.
    """
    name = ROW_ID_COLUMN
    while name in frame.columns:
        name += "_"
    frame = frame.assign(**{name: [f"{ROW_ID_PREFIX}{int(r)}" for r in frame.index]})
    issues.append(Issue(
        file, None, None, "row_ids",
        "El archivo no tiene una columna de ID de empleado: cada fila recibe como ID su "
        f"número de fila ({ROW_ID_PREFIX}2, {ROW_ID_PREFIX}3, ...). Sirve para entrenar; para "
        "ver planes por persona, agregue una columna de ID.",
        "The file has no employee id column: each row gets its row number as id "
        f"({ROW_ID_PREFIX}2, {ROW_ID_PREFIX}3, ...). That is enough to train; to see plans per "
        "person, add an id column.",
        "warning",
    ))
    return frame, _spec_for(SNAPSHOT, "employee_id"), name


def validate(
    frame: pd.DataFrame, mapping: Mapping, file_name: str, decimal: str = "."
) -> Validated:
    """Type a user frame into its canonical columns and report every problem found.

    ``frame``: text cells, the user's column names, index = spreadsheet row (2, 3, ...).
    ``decimal``: the reader's hint (``","`` for decimal-comma files).
    """
    kind = mapping.kind
    file = file_name
    if not frame.index.is_unique:
        frame = frame.set_axis(pd.RangeIndex(2, len(frame) + 2), axis=0)
    frame = frame.rename(columns=str)
    issues: list[Issue] = []
    for name in dict.fromkeys(frame.columns[frame.columns.duplicated()]):
        issues.append(Issue(
            file, None, name, "duplicate_column",
            f"La columna «{name}» aparece más de una vez; se usa la primera. Cambie el nombre "
            "de las demás si también contienen datos.",
            f"Column '{name}' appears more than once; the first one is used. Rename the others "
            "if they hold data too.",
            "warning",
        ))
    frame = unique_columns(frame)
    user_cols = list(frame.columns)
    if kind != SNAPSHOT and kind not in KINDS:
        issues.append(Issue(
            file, None, None, "unknown_kind",
            f"Tipo de archivo desconocido «{kind}». Elija uno de: {', '.join(KINDS)}, snapshot.",
            f"Unknown file kind '{kind}'. Choose one of: {', '.join(KINDS)}, snapshot.",
        ))
        return Validated(kind, pd.DataFrame(index=frame.index), issues, file, {})

    specs: dict[str, Spec] = {}
    users: dict[str, str] = {}
    for user, canon in mapping.columns.items():
        if user not in frame.columns:
            issues.append(Issue(
                file, None, user, "mapped_column_absent",
                f"La columna «{user}» del mapeo no está en el archivo. Revise el mapeo de "
                "columnas.",
                f"The column '{user}' of the mapping is not in the file. Check the column "
                "mapping.",
            ))
            continue
        spec = _spec_for(kind, canon)
        if spec is None:
            issues.append(Issue(
                file, None, user, "unknown_canonical",
                f"La columna «{user}» está asignada a «{canon}», que no existe en un archivo de "
                f"tipo {kind}. Asígnela a otra columna o ignórela.",
                f"Column '{user}' is mapped to '{canon}', which does not exist in a {kind} "
                "file. Map it to another column or ignore it.",
            ))
            continue
        if canon in specs:
            issues.append(Issue(
                file, None, user, "mapped_twice",
                f"Las columnas «{users[canon]}» y «{user}» están asignadas ambas a «{canon}». "
                "Ignore una de las dos en el mapeo.",
                f"Columns '{users[canon]}' and '{user}' are both mapped to '{canon}'. Ignore "
                "one of them in the mapping.",
            ))
            continue
        specs[canon], users[canon] = spec, user

    if kind == SNAPSHOT and "employee_id" not in specs and mapping.user_column(
            "employee_id") is None:
        frame, specs["employee_id"], users["employee_id"] = _row_ids(frame, file, issues)
    for canon in _required(kind):
        if canon in specs:
            continue
        if canon == OUTCOME and mapping.target and mapping.target not in frame.columns:
            issues.append(Issue(
                file, None, mapping.target, "missing_column",
                f"La columna de resultado «{mapping.target}» no está en el archivo. Elija una "
                f"de: {', '.join(user_cols[:30])}.",
                f"The outcome column '{mapping.target}' is not in the file. Choose one of: "
                f"{', '.join(user_cols[:30])}.",
            ))
        elif canon == OUTCOME:
            issues.append(Issue(
                file, None, None, "missing_column",
                "Falta elegir la columna de resultado (lo que el modelo debe predecir, p. ej. "
                "is_promoted). Elíjala en el mapeo de columnas.",
                "The outcome column (what the model must predict, e.g. is_promoted) has not "
                "been chosen. Choose it in the column mapping.",
            ))
        else:
            issues.append(_missing_column(file, canon, user_cols))

    typed: dict[str, pd.Series] = {}
    unreadable: set[tuple[int, str]] = set()  # (row, canonical) already reported
    for canon, spec in specs.items():
        user = users[canon]
        numeric = spec.dtype in ("int", "float", "date", "period", "feature", "outcome")
        values = _texts(frame[user], numeric)
        if spec.dtype == "id":
            values = _strip_float_ids(values)
        if spec.dtype == "feature":
            converted, dtype, bad = _feature(values, decimal)
            for pos in bad:
                row = int(frame.index[pos])
                v = _short(values[pos])
                issues.append(Issue(
                    file, row, user, "feature_not_number",
                    f"Fila {row}, columna «{user}»: «{v}» no es un número, como el resto de la "
                    "columna; se dejó vacío. Corríjalo si es un error.",
                    f"Row {row}, column '{user}': '{v}' is not a number, unlike the rest of the "
                    "column; it was left empty. Correct it if it is a mistake.",
                    "warning",
                ))
            typed[canon] = _series(converted, dtype, frame.index)
            continue
        if spec.dtype == "outcome":
            typed[canon] = _series(_outcome(values), "text", frame.index)
            continue
        converted, bad = _convert(values, spec, decimal)
        for pos in bad:
            issues.append(_bad_cell(file, int(frame.index[pos]), user, values[pos] or "", spec))
            unreadable.add((int(frame.index[pos]), canon))
        typed[canon] = _series(converted, spec.dtype, frame.index)

    out = pd.DataFrame(typed, index=frame.index)
    out = out[_column_order(kind, list(out.columns))]
    issues.extend(i for i in _pandera_issues(kind, out, frame, specs, users, file)
                  if not (i.code == "missing_value" and (i.row, _canon_of(users, i.column))
                          in unreadable))
    if kind in ("employees", SNAPSHOT):
        issues.extend(_manager_issues(out, users, file))
    if kind == SNAPSHOT and OUTCOME in out.columns:
        classes = out[OUTCOME].dropna().unique()
        if len(classes) < 2:
            user = users[OUTCOME]
            shown = ", ".join(f"«{_short(c)}»" for c in classes) or "—"
            issues.append(Issue(
                file, None, user, "single_class",
                f"La columna de resultado «{user}» tiene un solo valor ({shown}); se necesitan "
                "al menos dos (p. ej. 0 y 1) para entrenar. Elija otra columna o corrija los "
                "datos.",
                f"The outcome column '{user}' has a single value ({shown}); at least two (e.g. "
                "0 and 1) are needed to train. Choose another column or correct the data.",
            ))
    issues.extend(_warnings(kind, out, users, file))
    out.attrs["user_columns"] = dict(users)  # read by quality_report for the user's names
    return Validated(kind, out, cap_issues(issues, file), file, users)


def _canon_of(users: dict[str, str], user: str | None) -> str | None:
    return next((c for c, u in users.items() if u == user), None)


def _column_order(kind: str, present: list[str]) -> list[str]:
    base = [c.name for c in (EMPLOYEES if kind == SNAPSHOT else KINDS[kind])]
    first = [c for c in base if c in present]
    rest = [c for c in present if c not in first and c != OUTCOME]
    return first + rest + ([OUTCOME] if OUTCOME in present else [])


# --------------------------------------------------------------------------- references


def _unknown(
    v: Validated, canon: str, known: set[str], what: tuple[str, str, str, str]
) -> Iterable[Issue]:
    """One error per row whose ``canon`` id is not in ``known``.

    ``what``: (es noun, es where, en noun, en where).
    """
    if canon not in v.frame.columns:
        return []
    s = v.frame[canon]
    bad = s.notna() & ~s.isin(list(known))
    user = v.user_columns.get(canon, canon)
    noun_es, where_es, noun_en, where_en = what
    out = []
    for row, value in s[bad.fillna(False).to_numpy()].items():
        x = _short(value)
        out.append(Issue(
            v.file_name, int(row), user, f"unknown_{canon}",
            f"Fila {row}, columna «{user}»: {noun_es} «{x}» no existe en {where_es} ni en los "
            f"datos ya cargados. Agréguelo a {where_es} o corrija el código.",
            f"Row {row}, column '{user}': {noun_en} '{x}' is not in {where_en} nor in the data "
            f"already loaded. Add it to {where_en} or correct the id.",
        ))
    return out


def _snapshot_managers(v: Validated, employees: set[str]) -> list[Issue]:
    """In a snapshot the manager column is context, not the point: ids outside the file
    (often another numbering, e.g. a manager code) are dropped with one warning instead of
    rejecting the file."""
    if "manager_id" not in v.frame.columns:
        return []
    s = v.frame["manager_id"]
    bad = (s.notna() & ~s.isin(list(employees))).fillna(False).to_numpy()
    if not bad.any():
        return []
    user = v.user_columns.get("manager_id", "manager_id")
    first = int(s.index[bad][0])
    n = int(bad.sum())
    v.frame.loc[bad, "manager_id"] = pd.NA
    return [Issue(
        v.file_name, first, user, "unknown_manager_id",
        f"Columna «{user}»: {n} filas (la primera, la {first}) nombran un jefe que no está en el "
        "archivo; se guardan sin jefe. Si la columna no es el código de empleado del jefe, "
        "ignórela en el mapeo.",
        f"Column '{user}': {n} rows (the first is row {first}) name a manager who is not in the "
        "file; they are stored without a manager. If the column is not the manager's employee "
        "id, ignore it in the mapping.",
        severity="warning",
    )]


def _ids(validated: dict[str, Validated], kind: str, canon: str) -> set[str]:
    v = validated.get(kind)
    if v is None or canon not in v.frame.columns:
        return set()
    return {str(x) for x in v.frame[canon].dropna().tolist()}


def check_references(validated: dict[str, Validated], known: KnownIds) -> list[Issue]:
    """Ids that must exist: in this upload or already in the database (``known``).

    performance/training_records employee_id, training_records program_id, employees
    manager_id (employees), programs prerequisites (programs). One error per row, capped at
    200 per file.
    """
    employees = set(known.employees) | _ids(validated, "employees", "employee_id")
    employees |= _ids(validated, SNAPSHOT, "employee_id")
    programs = set(known.programs) | _ids(validated, "programs", "program_id")
    emp_what = ("el empleado", "el archivo de empleados", "employee", "the employees file")
    prog_what = ("el programa", "el catálogo de programas", "program", "the program catalog")
    out: list[Issue] = []
    for kind, v in validated.items():
        issues: list[Issue] = []
        if kind in ("performance", "training_records"):
            issues.extend(_unknown(v, "employee_id", employees, emp_what))
        if kind == "training_records":
            issues.extend(_unknown(v, "program_id", programs, prog_what))
        if kind == "employees":
            issues.extend(_unknown(v, "manager_id", employees, (
                "el jefe", "el archivo de empleados", "manager", "the employees file")))
        if kind == SNAPSHOT:
            issues.extend(_snapshot_managers(v, employees))
        if kind == "programs" and "prerequisites" in v.frame.columns:
            user = v.user_columns.get("prerequisites", "prerequisites")
            for row, value in v.frame["prerequisites"].dropna().items():
                missing = [p for p in str(value).split(";") if p and p not in programs]
                if not missing:
                    continue
                x = _short(", ".join(missing))
                issues.append(Issue(
                    v.file_name, int(row), user, "unknown_prerequisites",
                    f"Fila {row}, columna «{user}»: los prerrequisitos «{x}» no son programas del "
                    "catálogo ni de los datos ya cargados. Agréguelos al catálogo o quítelos de "
                    "la lista.",
                    f"Row {row}, column '{user}': the prerequisites '{x}' are not programs of the "
                    "catalog nor of the data already loaded. Add them to the catalog or remove "
                    "them from the list.",
                ))
        out.extend(cap_issues(issues, v.file_name))
    return out


__all__ = ["MAX_ISSUES", "KnownIds", "Validated", "cap_issues", "check_references", "validate"]
