"""Propose how the columns of an uploaded file map onto the data contract.

HR files arrive with any column names (Spanish or English, ``PerformanceRating``,
``previous_year_rating``, ``Código Empleado``, ...). :func:`propose_mapping` guesses the kind
of file and, for every user column, the canonical column it holds, from a synonym table and
from the values themselves; HR then confirms or edits the proposal with
:func:`apply_override`. The mapping is stored with the dataset version (:meth:`Mapping.to_json`).

The value parsers (numbers with decimal comma, Peruvian day-first dates, quarters) live here
too, because detection looks at values; :mod:`core.ingest.validate` uses the same ones.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.contract import EMPLOYEES, KINDS, KPI_PREFIX, MODALITIES, SKILL_PREFIX, TRAINING_STATUSES

SNAPSHOT = "snapshot"
FEATURE_PREFIX = "f_"
OUTCOME = "outcome"
KIND_ORDER = ("employees", "performance", "training_records", "programs", "job_roles", SNAPSHOT)
MIN_CONFIDENCE = 0.5
NAMED_OUTCOME = 0.6  # an outcome column found by its name, not only by having two values
_PROFILE_SAMPLE = 1000

# --------------------------------------------------------------------------- names


def strip_accents(text: str) -> str:
    """``Código`` -> ``Codigo``; ``ñ`` -> ``n``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_name(name: Any) -> str:
    """Canonical spelling of a column name: ``Fecha de Ingreso`` -> ``fecha_de_ingreso``.

    Accents are dropped, camelCase is split (``PerformanceRating`` -> ``performance_rating``),
    everything is lower case and every run of other characters becomes one ``_``.
    """
    text = strip_accents(str(name))
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z]{2,})", r"\1_\2", text)
    text = re.sub(r"[^a-z0-9]+", "_", text.lower())
    return text.strip("_")


# Synonyms per canonical column. Spelling does not matter: every entry is normalised.
# A value of (synonym, weight) gives a weaker synonym (an ambiguous word).
_SYNONYMS: dict[str, list[str | tuple[str, float]]] = {
    "employee_id": [
        "employee_id", "id", "emp_id", "employee id", "employee_code", "employee_number",
        "employee_no", "emp_no", "emp_code", "staff_id", "worker_id", "codigo", "código empleado",
        "codigo_empleado", "cod_empleado", "id_empleado", "empleado_id", "id_trabajador",
        "codigo_trabajador", "codigo_colaborador", "id_colaborador", "dni", "numero_documento",
        "número de documento", "nro_documento", "num_documento", "documento",
        "documento_identidad", "doc_identidad", "legajo", "ficha", "codigo_personal",
        ("empleado", 0.7), ("colaborador", 0.6), ("trabajador", 0.6),
    ],
    "full_name": [
        "full_name", "nombre", "nombres", "nombres y apellidos", "apellidos y nombres",
        "nombre completo", "nombre_empleado", "nombre_trabajador", "nombre_colaborador",
        "name", "employee name", "fullname", "employee_full_name",
    ],
    "email": [
        "email", "e_mail", "correo", "correo electronico", "correo_corporativo", "mail",
        "email_address", "work_email", "correo_institucional",
    ],
    "department": [
        "department", "departamento", "área", "area", "gerencia", "dept", "depto", "division",
        "división", "unidad", "unidad_organizativa", "area_de_trabajo", "business_unit",
    ],
    "team": ["team", "equipo", "grupo", "seccion", "sección", "subarea", "squad", "team_name"],
    "manager_id": [
        "manager_id", "jefe", "id_jefe", "jefe_id", "codigo_jefe", "jefe_directo",
        "jefe_inmediato", "supervisor", "supervisor_id", "id_supervisor", "manager",
        "manager_code", "reporta_a", "reports_to", "boss_id", "line_manager", "id_manager",
    ],
    "job_role": [
        "job_role", "puesto", "cargo", "job title", "job_title", "position", "rol", "role",
        "ocupacion", "ocupación", "posicion", "puesto_de_trabajo", "job", "designation",
    ],
    "location": [
        "location", "sede", "ciudad", "region", "región", "oficina", "branch", "city", "site",
        "ubicacion", "ubicación", "localidad", "provincia", "office", "lugar_de_trabajo",
    ],
    "hire_date": [
        "hire_date", "fecha_ingreso", "fecha de ingreso", "fecha de contratación",
        "fecha_contratacion", "fecha_alta", "fecha_de_alta", "date_of_joining", "hire date",
        "start_date", "joining_date", "date_joined", "doj", "fecha_inicio_laboral", "ingreso",
        "employment_date",
    ],
    "birth_year": [
        "birth_year", "año_nacimiento", "anio_nacimiento", "año de nacimiento", "birth year",
        "year_of_birth", "yob", "nacimiento",
    ],
    "gender": ["gender", "género", "genero", "sexo", "sex"],
    "period": [
        "period", "periodo", "período", "trimestre", "quarter", "periodo_evaluacion",
        "trimestre_evaluacion", "fiscal_quarter", "qtr", "periodo_tomado", "trimestre_tomado",
    ],
    "performance_rating": [
        "performance_rating", "calificacion_desempeno", "calificación", "calificacion",
        "rating", "PerformanceRating", "previous_year_rating", "evaluacion", "evaluación",
        "evaluacion_desempeno", "evaluación de desempeño", "nota_desempeno", "performance score",
        "performance_score", "desempeno", "desempeño", "perf_rating", "puntuacion_desempeno",
        "nivel_desempeno", "performance", "rendimiento", "calificacion_final",
    ],
    "program_id": [
        "program_id", "id_programa", "programa_id", "codigo_programa", "curso_id", "id_curso",
        "course_id", "codigo_curso", "program_code", "course_code", "training_id",
        "id_capacitacion", "codigo_capacitacion",
        ("curso", 0.75), ("programa", 0.75), ("capacitacion", 0.7), ("course", 0.75),
        ("program", 0.75), ("training", 0.6), ("id", 0.6), ("codigo", 0.6), ("code", 0.6),
    ],
    "title_es": [
        "title_es", "titulo", "título", "nombre_curso", "nombre_programa", "titulo_es",
        "course title", "title", "nombre", "programa", "curso", "course_name", "program_name",
        "titulo_espanol", "nombre_capacitacion",
    ],
    "title_en": [
        "title_en", "titulo_en", "titulo_ingles", "english title", "course_title_en",
        "nombre_en", "nombre_ingles", "title_english",
    ],
    "description": ["description", "descripcion", "descripción", "detalle", "resumen", "desc"],
    "target_skills": [
        "target_skills", "habilidades_objetivo", "habilidades", "skills", "competencias",
        "competencias_objetivo", "habilidades_que_desarrolla", "skills_targeted",
    ],
    "hours": [
        "hours", "horas", "duración_horas", "duracion", "duración", "duration",
        "duration_hours", "horas_lectivas", "carga_horaria", "horas_totales",
    ],
    "cost_pen": [
        "cost_pen", "costo", "costo_soles", "costo_pen", "precio", "cost", "s/", "price",
        "costo_s", "monto", "inversion", "precio_soles", "costo_s/",
    ],
    "modality": ["modality", "modalidad", "formato", "format", "delivery", "mode", "tipo"],
    "provider": [
        "provider", "proveedor", "institucion", "institución", "vendor", "entidad",
        "capacitador", "empresa_capacitadora",
    ],
    "prerequisites": [
        "prerequisites", "prerrequisitos", "prerequisitos", "requisitos", "pre_requisitos",
        "requisitos_previos", "prerequisite",
    ],
    "expected_gain": [
        "expected_gain", "ganancia_esperada", "mejora_esperada", "impacto_esperado", "gain",
    ],
    "status": [
        "status", "estado", "situacion", "situación", "estado_curso", "estado_capacitacion",
        "completion_status",
    ],
    "score": [
        "score", "puntaje", "nota", "nota_final", "puntuacion", "puntuación", "grade",
        "test_score", "calificacion_curso", "puntaje_final", "resultado",
    ],
    "skill": ["skill", "habilidad", "competencia", "skill_name", "nombre_habilidad"],
    "target_level": [
        "target_level", "nivel_objetivo", "nivel_requerido", "nivel_esperado",
        "required_level", "nivel", "target",
    ],
}

# Prefixes that turn a column into a KPI or a skill of the performance file.
_SKILL_WORDS = ("skill", "habilidad", "competencia", "hab")
_KPI_WORDS = ("kpi", "indicador", "ind")

# Words that mark a column as the outcome of a snapshot file.
_OUTCOME_NAMES = (
    "is_promoted", "promoted", "promotion", "promovido", "promocion", "ascendido", "ascenso",
    "target", "outcome", "label", "attrition", "renuncia", "renuncio", "rotacion", "churn",
    "left", "leave", "quit", "resigned", "exited", "turnover", "event", "evento", "se_fue",
    "desvinculado", "cesado", "baja", "salida", "high_performer", "alto_desempeno", "clase",
    "class", "y", "resultado",
)
_RATING_WORDS = (
    "rating", "desempeno", "calificacion", "evaluacion", "performance", "score", "nota",
    "puntaje", "rendimiento",
)
_YEAR_WORDS = ("year", "ano", "anio", "nacimiento", "birth")
# A year of some other event is not a birth year (``JoiningYear``, ``año_ingreso``).
_EVENT_WORDS = ("join", "joining", "joined", "hire", "hired", "ingreso", "contratacion",
                "alta", "promotion", "promocion", "ascenso", "salida", "exit", "start",
                "inicio", "last", "ultimo", "graduation", "egreso", "cese", "retiro")

STATUS_SYNONYMS = {
    "completed": (
        "completed", "complete", "completado", "completada", "terminado", "terminada",
        "finalizado", "finalizada", "aprobado", "aprobada", "concluido", "concluida", "done",
        "finished", "passed",
    ),
    "enrolled": (
        "enrolled", "inscrito", "inscrita", "matriculado", "matriculada", "en curso",
        "en_curso", "en progreso", "in progress", "in_progress", "cursando", "registered",
    ),
    "dropped": (
        "dropped", "retirado", "retirada", "abandonado", "abandonada", "abandono", "desertor",
        "desistio", "withdrawn", "withdrew", "cancelado", "cancelada", "no completo",
    ),
}
MODALITY_SYNONYMS = {
    "presencial": ("presencial", "in person", "in-person", "onsite", "on site", "on-site",
                   "face to face", "classroom", "aula"),
    "virtual": ("virtual", "online", "en linea", "en línea", "remoto", "remota", "e-learning",
                "elearning", "a distancia", "remote"),
    "mixta": ("mixta", "mixto", "hibrida", "hibrido", "híbrida", "híbrido", "blended", "hybrid",
              "semipresencial"),
}


def _choice_key(value: str) -> str:
    return re.sub(r"[\s_\-]+", " ", strip_accents(value).strip().lower())


_STATUS_LOOKUP = {_choice_key(s): k for k, syns in STATUS_SYNONYMS.items() for s in syns}
_MODALITY_LOOKUP = {_choice_key(s): k for k, syns in MODALITY_SYNONYMS.items() for s in syns}
CHOICE_LOOKUPS: dict[str, dict[str, str]] = {
    "status": _STATUS_LOOKUP,
    "modality": _MODALITY_LOOKUP,
}
assert set(_STATUS_LOOKUP.values()) == set(TRAINING_STATUSES)
assert set(_MODALITY_LOOKUP.values()) == set(MODALITIES)


def normalize_choice(column: str, value: str) -> str:
    """Contract spelling of a choice (``Completado`` -> ``completed``); unknown: unchanged."""
    return CHOICE_LOOKUPS.get(column, {}).get(_choice_key(value), value.strip())


def _build_synonyms() -> dict[str, list[tuple[str, float]]]:
    out: dict[str, list[tuple[str, float]]] = {}
    for canon, entries in _SYNONYMS.items():
        seen: dict[str, float] = {normalize_name(canon): 1.0}
        for entry in entries:
            word, weight = entry if isinstance(entry, tuple) else (entry, 0.95)
            key = normalize_name(word)
            if key:
                seen[key] = max(seen.get(key, 0.0), weight)
        out[canon] = sorted(seen.items(), key=lambda kv: -kv[1])
    return out


SYNONYMS = _build_synonyms()

# A name that holds one of a canonical column's words *and* a measure word is a measure of
# that thing, not the thing: ``YearsWithCurrManager`` is not a manager id, ``AnosEnElPuesto``
# not a role. Such partial matches only count for numeric canonical columns.
_MEASURE_WORDS = frozenset({
    "years", "year", "anos", "anios", "ano", "anio", "months", "meses", "weeks", "semanas",
    "days", "dias", "hours", "horas", "count", "cantidad", "total", "percent", "porcentaje",
    "pct", "since", "desde", "rate", "tasa", "average", "avg", "promedio", "ratio", "distance",
    "distancia", "tiempo", "time",
})
_NUMERIC_CANONICAL = frozenset(
    c.name for spec in KINDS.values() for c in spec if c.dtype in ("int", "float")
)

# --------------------------------------------------------------------------- values

MISSING_TOKENS = frozenset({"", "na", "n/a", "n.a.", "nan", "null", "none", "-", "--", "#n/a"})
_CURRENCY = re.compile(r"^(?:s/\.?|pen|usd|us\$|\$)\s*", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DOT_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+")
_ONE_COMMA = re.compile(r"[+-]?(?:\d+,\d*|,\d+)")
_COMMA_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+")
_EN_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_ES_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_EN_HINT = re.compile(r"\d,\d{3}(?:\.\d|,\d{3})")


def is_missing(value: Any) -> bool:
    """True for pd.NA / None / NaN and for empty or placeholder text (``NA``, ``-``, ...)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and value != value:
        return True
    if isinstance(value, str):
        return value.strip().lower() in MISSING_TOKENS
    return False


def as_text(value: Any) -> str | None:
    """A cell as text (the reader gives text; be lenient with numbers and dates)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def english_grouping(values: list[str]) -> bool:
    """True when a column writes thousands with commas (``1,234.5`` or ``1,234,567``)."""
    return any(_EN_HINT.search(v) for v in values)


def parse_number(text: str, decimal: str = ".", thousands_comma: bool = False) -> float | None:
    """``3.5``, ``3,5``, ``1.234,5``, ``1,234.5``, ``S/ 1 200``, ``85%`` -> float; else None.

    ``decimal`` is the reader's hint for the file; ``thousands_comma`` says that this column
    writes ``1,234`` for a thousand (see :func:`english_grouping`). Without it a lone comma
    is a decimal comma, as Peruvian files write it.
    """
    s = _CURRENCY.sub("", text.strip())
    s = _SPACES.sub("", s.removesuffix("%"))
    if not s:
        return None
    if _PLAIN.fullmatch(s):
        if decimal == "," and _DOT_THOUSANDS.fullmatch(s):
            return float(s.replace(".", ""))
        return float(s)
    if _ONE_COMMA.fullmatch(s):
        if thousands_comma and _COMMA_THOUSANDS.fullmatch(s):
            return float(s.replace(",", ""))
        return float(s.replace(",", "."))
    if _EN_GROUPED.fullmatch(s):
        return float(s.replace(",", ""))
    if _ES_GROUPED.fullmatch(s):
        return float(s.replace(".", "").replace(",", "."))
    return None


_ISO_DATE = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_DMY_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?")


def parse_date(text: str, dayfirst: bool = True) -> dt.date | None:
    """``2024-03-31``, ``31/03/2024``, ``31-03-2024`` (day first, as in Peru) -> date.

    ``dayfirst=False`` reads ``03/31/2024`` (month first), for a column that is written so.
    """
    s = text.strip()
    m = _ISO_DATE.fullmatch(s)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = _DMY_DATE.fullmatch(s)
        if not m:
            return None
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if not dayfirst:
            d, mo = mo, d
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


def dayfirst_for(values: Iterable[str | None]) -> bool:
    """Whether a column's slashed dates are day first (Peru's default) or month first.

    Month first only when some value cannot be day first (``12/31/2011``) and none cannot be
    month first; a column that is ambiguous throughout stays day first.
    """
    day_only = month_only = False
    for v in values:
        m = _DMY_DATE.fullmatch(v.strip()) if v else None
        if not m:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        day_only |= a > 12
        month_only |= b > 12
        if day_only and month_only:
            break
    return not (month_only and not day_only)


_PERIOD_PATTERNS = (
    (re.compile(r"(\d{4})\s*[-_/ ]?\s*[QT]\s*([1-4])"), 1, 2),  # 2024-Q3, 2024Q3, 2024-T3
    (re.compile(r"[QT]\s*([1-4])\s*[-_/ ]?\s*(\d{4})"), 2, 1),  # Q3 2024, T3-2024
    (re.compile(r"([1-4])\s*[QT]\s*[-_/ ]?\s*(\d{4})"), 2, 1),  # 3T 2024, 3Q2024
    (re.compile(r"(\d{4})-([1-4])"), 1, 2),  # 2024-3
)


def parse_period(text: str) -> str | None:
    """A quarter in any usual spelling -> ``YYYY-Qn``; None when it is not a quarter."""
    s = strip_accents(text).strip().upper()
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r"\b(TRIMESTRE|TRIM|QUARTER|QTR)\b\.?", "T", s)
    s = re.sub(r"\b([1-4])\s*(ER|ERO|DO|RO|TO|°|º|ST|ND|RD|TH)\b", r"\1", s)
    for pattern, year_group, quarter_group in _PERIOD_PATTERNS:
        m = pattern.fullmatch(s)
        if m:
            year = int(m.group(year_group))
            if 1900 <= year <= 2100:
                return f"{year}-Q{m.group(quarter_group)}"
    return None


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass
class _Profile:
    n: int = 0
    n_unique: int = 0
    share_number: float = 0.0
    share_int: float = 0.0
    min: float | None = None
    max: float | None = None
    share_period: float = 0.0
    share_date: float = 0.0
    share_email: float = 0.0
    share_status: float = 0.0
    share_modality: float = 0.0


def _clean_texts(values: Any) -> list[str]:
    texts = [t.strip() for t in (as_text(v) for v in values) if t is not None]
    return [t for t in texts if t.lower() not in MISSING_TOKENS]


def _profile(series: pd.Series) -> _Profile:
    present = series.dropna()
    distinct = set(_clean_texts(pd.unique(present.to_numpy(dtype=object))))
    if not distinct:
        return _Profile()
    n_unique = len(distinct)
    sample = _clean_texts(present.iloc[: 2 * _PROFILE_SAMPLE].tolist())[:_PROFILE_SAMPLE]
    if not sample:
        sample = sorted(distinct)[:_PROFILE_SAMPLE]
    n = len(sample)
    counts = Counter(sample)
    thousands = english_grouping(list(counts))
    numbers = {t: parse_number(t, ".", thousands) for t in counts}
    nums = [x for x in numbers.values() if x is not None]

    def share(test) -> float:
        return sum(c for t, c in counts.items() if test(t)) / n

    dayfirst = dayfirst_for(counts)

    return _Profile(
        n=len(present),
        n_unique=n_unique,
        share_number=share(lambda t: numbers[t] is not None),
        share_int=share(lambda t: numbers[t] is not None and float(numbers[t]).is_integer()),
        min=min(nums) if nums else None,
        max=max(nums) if nums else None,
        share_period=share(lambda t: parse_period(t) is not None),
        share_date=share(lambda t: parse_date(t, dayfirst) is not None),
        share_email=share(lambda t: _EMAIL.fullmatch(t) is not None),
        share_status=share(lambda t: _choice_key(t) in _STATUS_LOOKUP),
        share_modality=share(lambda t: _choice_key(t) in _MODALITY_LOOKUP),
    )


# --------------------------------------------------------------------------- matching


@dataclass
class Mapping:
    """How one user file maps onto the contract.

    ``columns``: user column -> canonical column (for a snapshot: an employee field, an
    ``f_<name>`` feature or ``outcome``). ``confidence``: user column -> 0..1.
    """

    kind: str
    columns: dict[str, str]
    confidence: dict[str, float]
    target: str | None = None

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "columns": dict(self.columns),
            "confidence": {k: round(float(v), 4) for k, v in self.confidence.items()},
            "target": self.target,
        }

    @classmethod
    def from_json(cls, d: dict) -> Mapping:
        return cls(
            kind=d["kind"],
            columns={str(k): str(v) for k, v in (d.get("columns") or {}).items()},
            confidence={str(k): float(v) for k, v in (d.get("confidence") or {}).items()},
            target=d.get("target"),
        )

    def user_column(self, canonical: str) -> str | None:
        """The user's name of a canonical column (None when unmapped)."""
        for user, canon in self.columns.items():
            if canon == canonical:
                return user
        return None

    def inverse(self) -> dict[str, str]:
        """canonical -> user column."""
        return {canon: user for user, canon in self.columns.items()}


def _tokens_contain(name_tokens: list[str], syn_tokens: list[str]) -> bool:
    k = len(syn_tokens)
    return any(name_tokens[i : i + k] == syn_tokens for i in range(len(name_tokens) - k + 1))


@functools.lru_cache(maxsize=8192)
def _name_score(norm: str, canonical: str) -> float:
    """How well a normalised user column name matches a canonical column, 0..1."""
    best = 0.0
    name_tokens = norm.split("_")
    measure = canonical not in _NUMERIC_CANONICAL and not _MEASURE_WORDS.isdisjoint(name_tokens)
    for syn, weight in SYNONYMS.get(canonical, []):
        if norm == syn:
            return max(best, weight)
        syn_tokens = syn.split("_")
        if measure and _MEASURE_WORDS.isdisjoint(syn_tokens):
            continue
        if len(syn) >= 3 and _tokens_contain(name_tokens, syn_tokens):
            share = len(syn_tokens) / len(name_tokens)
            best = max(best, weight * (0.55 + 0.3 * share))
        if len(syn) >= 5 and len(norm) >= 5:
            sm = difflib.SequenceMatcher(None, norm, syn)
            if sm.real_quick_ratio() >= 0.88 and sm.quick_ratio() >= 0.88:
                ratio = sm.ratio()
                if ratio >= 0.88:
                    best = max(best, weight * ratio * 0.85)
    return best


def _prefixed(norm: str, kind: str) -> tuple[str, float] | None:
    """``kpi_x``/``skill_x`` as themselves, ``habilidad_x`` -> ``skill_x``, ...."""
    if kind != "performance":
        return None
    head, _, rest = norm.partition("_")
    if not rest:
        return None
    if head == "kpi":
        return KPI_PREFIX + rest, 1.0
    if head == "skill":
        return SKILL_PREFIX + rest, 1.0
    if head in _SKILL_WORDS:
        return SKILL_PREFIX + rest, 0.9
    if head in _KPI_WORDS:
        return KPI_PREFIX + rest, 0.9
    return None


def _mentions(norm: str, words: tuple[str, ...]) -> bool:
    tokens = norm.split("_")
    return any(w in tokens or (len(w) > 4 and w in norm) for w in words)


def _value_score(canon: str, norm: str, p: _Profile) -> float:
    """A candidate from the values alone (names are ambiguous or unknown)."""
    if p.n == 0:
        return 0.0
    if canon == "period" and p.share_period >= 0.9:
        return 0.85
    if canon == "email" and p.share_email >= 0.9:
        return 0.9
    if canon == "hire_date" and p.share_date >= 0.9:
        return 0.7
    if (
        canon == "performance_rating"
        and p.share_number >= 0.95
        and p.min is not None
        and p.min >= 1
        and (p.max or 0) <= 5
        and _mentions(norm, _RATING_WORDS)
    ):
        return 0.9
    if (
        canon == "birth_year"
        and p.share_int >= 0.95
        and p.min is not None
        and 1900 <= p.min
        and (p.max or 0) <= 2020
        and _mentions(norm, _YEAR_WORDS)
        and not _mentions(norm, _EVENT_WORDS)
    ):
        return 0.85
    if canon == "status" and p.share_status >= 0.9:
        return 0.8
    if canon == "modality" and p.share_modality >= 0.9:
        return 0.8
    return 0.0


def _type_penalty(dtype: str, canon: str, p: _Profile | None) -> float:
    """Lower a name match when the values cannot be of that type."""
    if p is None or p.n == 0:
        return 1.0
    if dtype in ("int", "float") and p.share_number < 0.5:
        return 0.6  # an exact name still wins: validation then shows the bad cells
    if dtype == "date" and p.share_date < 0.5:
        return 0.6
    if dtype == "period" and p.share_period < 0.5:
        return 0.6
    if canon == "email" and p.share_email < 0.5:
        return 0.6
    return 1.0


def _candidates(
    kind: str, columns: list[str], profiles: dict[str, _Profile] | None
) -> list[tuple[float, int, str, str]]:
    """(confidence, column position, user column, canonical) for every plausible pair."""
    spec = KINDS[kind]
    out: list[tuple[float, int, str, str]] = []
    for pos, col in enumerate(columns):
        norm = normalize_name(col)
        prof = profiles.get(col) if profiles else None
        pref = _prefixed(norm, kind)
        if pref:
            out.append((pref[1], pos, col, pref[0]))
        for c in spec:
            score = _name_score(norm, c.name) * _type_penalty(c.dtype, c.name, prof)
            if prof is not None:
                score = max(score, _value_score(c.name, norm, prof))
            if score > 0:
                out.append((score, pos, col, c.name))
        if (
            kind == "performance"
            and not pref
            and prof is not None
            and prof.n > 0
            and prof.share_number >= 0.95
            and norm
        ):
            # An unnamed numeric column of a performance file is most likely a KPI.
            out.append((MIN_CONFIDENCE, pos, col, KPI_PREFIX + norm))
    return out


def _assign(cands: list[tuple[float, int, str, str]]) -> tuple[dict[str, str], dict[str, float]]:
    """Greedy one-to-one assignment, most confident first; ties keep file order."""
    columns: dict[str, str] = {}
    confidence: dict[str, float] = {}
    used: set[str] = set()
    for score, _pos, col, canon in sorted(cands, key=lambda c: (-c[0], c[1])):
        if score < MIN_CONFIDENCE or col in columns or canon in used:
            continue
        columns[col] = canon
        confidence[col] = round(min(1.0, score), 4)
        used.add(canon)
    return columns, confidence


def unique_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Column names as text, a repeated name kept once (its first column)."""
    frame = frame.rename(columns=str)
    if frame.columns.is_unique:
        return frame
    return frame.loc[:, ~frame.columns.duplicated()]


def _profiles(frame: pd.DataFrame | None, columns: list[str]) -> dict[str, _Profile] | None:
    if frame is None:
        return None
    frame = unique_columns(frame)
    return {c: _profile(frame[c]) for c in dict.fromkeys(columns) if c in frame.columns}


def _outcome_candidates(
    columns: list[str], profiles: dict[str, _Profile] | None, exclude: set[str]
) -> list[tuple[float, str]]:
    """Columns that look like the outcome of a snapshot file, best first."""
    scored: list[tuple[float, int, str]] = []
    for pos, col in enumerate(columns):
        if col in exclude:
            continue
        norm = normalize_name(col)
        tokens = norm.split("_")
        if norm in _OUTCOME_NAMES:
            name = 1.0
        elif any(w in tokens for w in _OUTCOME_NAMES if len(w) > 3):
            name = 0.8
        elif tokens[0] in ("is", "es", "fue", "has", "tiene"):
            name = 0.5
        else:
            name = 0.0
        prof = profiles.get(col) if profiles else None
        if prof is None:
            values = 0.8
        elif prof.n_unique == 2:
            values = 1.0
        elif 3 <= prof.n_unique <= 7:
            values = 0.6
        else:
            values = 0.2
        if name > 0:
            scored.append((name * values, pos, col))
        elif prof is not None and prof.n_unique == 2:
            scored.append((0.4 + 0.01 * pos / max(1, len(columns)), pos, col))
    scored.sort(key=lambda s: (-s[0], -s[1]))
    return [(round(min(1.0, s), 4), col) for s, _pos, col in scored]


def _kind_fit(
    kind: str, columns: list[str], profiles: dict[str, _Profile] | None
) -> tuple[float, float]:
    """(score, coverage): how well the columns fit ``kind``, and the share they explain."""
    cols, conf = _assign(_candidates(kind, columns, profiles))
    mapped = {canon: conf[user] for user, canon in cols.items()}
    required = [c.name for c in KINDS[kind] if c.required]
    req = sum(mapped.get(r, 0.0) for r in required) / len(required)
    cov = sum(conf.values()) / max(1, len(columns))
    score = 0.6 * req + 0.4 * cov
    if any(r not in mapped for r in required):
        score *= 0.5
    return score, cov


def _kind_score(kind: str, columns: list[str], profiles: dict[str, _Profile] | None) -> float:
    return _kind_fit(kind, columns, profiles)[0]


def _snapshot_score(columns: list[str], profiles: dict[str, _Profile] | None) -> float:
    emp_cols, emp_conf = _assign(_candidates("employees", columns, profiles))
    id_col = next((u for u, c in emp_cols.items() if c == "employee_id"), None)
    perf_cols, _ = _assign(_candidates("performance", columns, profiles))
    has_period = "period" in perf_cols.values()
    outcomes = _outcome_candidates(columns, profiles, set(emp_cols))
    o = outcomes[0][0] if outcomes else 0.0
    if id_col is None and (has_period or o < NAMED_OUTCOME):
        return 0.0  # without ids only a clearly named outcome makes a snapshot (row ids)
    id_conf = emp_conf[id_col] if id_col is not None else 0.0
    extra = sum(1 for c in columns if c not in emp_cols) / max(1, len(columns))
    score = 0.45 * id_conf + 0.35 * o + 0.2 * min(1.0, extra / 0.5)
    if o == 0:
        score *= 0.6
    if has_period:
        score *= 0.3
    return score


def detect_kind(columns: list[str], frame: pd.DataFrame | None = None) -> tuple[str, float]:
    """The kind of file these columns most likely form, and a 0..1 score.

    One of the contract's kinds (employees, performance, programs, training_records,
    job_roles) or ``snapshot``: one row per employee, many attribute columns, an outcome-like
    column and no period. ``frame`` (optional) lets the values help.
    """
    columns = list(dict.fromkeys(str(c) for c in columns))
    return _detect(columns, _profiles(frame, columns))


def _detect(columns: list[str], profiles: dict[str, _Profile] | None) -> tuple[str, float]:
    fits = {kind: _kind_fit(kind, columns, profiles) for kind in KINDS}
    scores = {kind: fit[0] for kind, fit in fits.items()}
    scores[SNAPSHOT] = _snapshot_score(columns, profiles)
    best = max(KIND_ORDER, key=lambda k: (scores.get(k, 0.0), -KIND_ORDER.index(k)))
    # A file whose columns mostly belong to another kind is that kind with a column missing
    # (e.g. a performance file without its period): choose it, so validation names the gap
    # instead of storing a few columns under the wrong kind.
    if best in fits and fits[best][1] < 0.5:
        wider = max(fits, key=lambda k: fits[k][1])
        if fits[wider][1] >= 0.75 and wider != best:
            best = wider
    return best, round(min(1.0, scores[best]), 4)


def feature_name(column: str) -> str:
    """Snapshot feature name of a user column: ``KPIs_met >80%`` -> ``f_kpis_met_80``."""
    return FEATURE_PREFIX + (normalize_name(column) or "col")


def propose_target(frame: pd.DataFrame, exclude: set[str] | None = None) -> str | None:
    """The column that most likely holds the outcome of a snapshot file (None if none)."""
    columns = list(dict.fromkeys(str(c) for c in frame.columns))
    cands = _outcome_candidates(columns, _profiles(frame, columns), exclude or set())
    return cands[0][1] if cands else None


def _snapshot_mapping(
    frame: pd.DataFrame, columns: list[str], profiles: dict[str, _Profile] | None,
    target: str | None,
) -> Mapping:
    emp_cols, emp_conf = _assign(_candidates("employees", columns, profiles))
    target_conf = 1.0
    if target is None:
        cands = _outcome_candidates(columns, profiles, set(emp_cols))
        if cands:
            target_conf, target = cands[0]
    out_cols: dict[str, str] = {}
    out_conf: dict[str, float] = {}
    used: set[str] = set()
    for col in columns:
        if col == target:
            out_cols[col], out_conf[col] = OUTCOME, target_conf
        elif col in emp_cols:
            out_cols[col], out_conf[col] = emp_cols[col], emp_conf[col]
        else:
            name = feature_name(col)
            base, n = name, 2
            while name in used or name == OUTCOME:
                name, n = f"{base}_{n}", n + 1
            out_cols[col], out_conf[col] = name, 0.6
        used.add(out_cols[col])
    return Mapping(SNAPSHOT, out_cols, out_conf, target)


def propose_mapping(
    frame: pd.DataFrame, kind: str | None = None, target: str | None = None
) -> Mapping:
    """The proposed mapping of a user frame; ``kind`` (when given) skips detection.

    For a snapshot, ``target`` is the outcome column HR chose; without it one is proposed
    (a two-valued column named like ``is_promoted``, ``promovido``, ``renuncia``, ...). A
    ``target`` that is not a column of the file is kept as is, so that validation reports it.
    A ``target`` that is a column, with no ``kind``, means a snapshot.
    """
    frame = unique_columns(frame)
    columns = list(frame.columns)
    profiles = _profiles(frame, columns)
    if kind is None and target is not None and target in columns:
        kind = SNAPSHOT  # only a snapshot has an outcome column chosen by HR
    if kind is None:
        kind, _ = _detect(columns, profiles)
    if kind == SNAPSHOT:
        return _snapshot_mapping(frame, columns, profiles, target)
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {[*KINDS, SNAPSHOT]}")
    cols, conf = _assign(_candidates(kind, columns, profiles))
    ordered = {c: cols[c] for c in columns if c in cols}
    return Mapping(kind, ordered, {c: conf[c] for c in ordered})


_EMPLOYEE_FIELDS = tuple(c.name for c in EMPLOYEES)
_FREE_NAME = re.compile(r"[a-z0-9_]+")


def _check_canonical(kind: str, canonical: str) -> str:
    """The canonical name HR picked, normalised; ValueError when the kind has no such column."""
    if kind == SNAPSHOT:
        if canonical in _EMPLOYEE_FIELDS or canonical == OUTCOME:
            return canonical
        if canonical.startswith(FEATURE_PREFIX):
            name = FEATURE_PREFIX + normalize_name(canonical.removeprefix(FEATURE_PREFIX))
            if name != FEATURE_PREFIX:
                return name
        allowed = [*_EMPLOYEE_FIELDS, OUTCOME, "f_<nombre>"]
    else:
        names = [c.name for c in KINDS[kind]]
        if canonical in names:
            return canonical
        if kind == "performance":
            for prefix in (KPI_PREFIX, SKILL_PREFIX):
                if canonical.startswith(prefix):
                    rest = normalize_name(canonical.removeprefix(prefix))
                    if rest:
                        return prefix + rest
        allowed = names + (["kpi_<nombre>", "skill_<nombre>"] if kind == "performance" else [])
    raise ValueError(
        f"«{canonical}» no es una columna de {kind}; use una de: {', '.join(allowed)} / "
        f"'{canonical}' is not a column of {kind}; use one of: {', '.join(allowed)}"
    )


def apply_override(mapping: Mapping, override: dict[str, str | None]) -> Mapping:
    """HR's edits: user column -> canonical column, or None to ignore the column.

    An edited column gets confidence 1. A canonical column can hold one user column only,
    so any other user column mapped to the same canonical column is unmapped. For a
    snapshot, mapping a column to ``outcome`` makes it the target; the previous outcome
    column is then unmapped (not turned into a feature: it could leak the answer), HR may
    map it to ``f_<name>`` explicitly. Unknown canonical names raise ValueError (es / en).
    """
    columns = dict(mapping.columns)
    confidence = dict(mapping.confidence)
    target = mapping.target
    for user, canonical in override.items():
        columns.pop(user, None)
        confidence.pop(user, None)
        if user == target:
            target = None
        if canonical is None:
            continue
        canonical = _check_canonical(mapping.kind, canonical)
        for other in [u for u, c in columns.items() if c == canonical]:
            columns.pop(other)
            confidence.pop(other, None)
            if other == target:
                target = None
        columns[user] = canonical
        confidence[user] = 1.0
        if canonical == OUTCOME:
            target = user
    return Mapping(mapping.kind, columns, confidence, target)


__all__ = [
    "FEATURE_PREFIX",
    "OUTCOME",
    "SNAPSHOT",
    "Mapping",
    "apply_override",
    "detect_kind",
    "feature_name",
    "normalize_choice",
    "normalize_name",
    "parse_date",
    "parse_number",
    "parse_period",
    "propose_mapping",
    "propose_target",
]
