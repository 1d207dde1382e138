"""SHAP contributions -> plain-language reasons (es/en) and global importance.

Three layers, after explainerdashboard: a feature dictionary (labels and how to say a value),
pure functions that turn LightGBM's exact TreeSHAP (``pred_contrib``) into frames, and the
sentences of one recommendation. Nothing here trains or caches anything: the caller keeps the
loaded model; one employee's explanation is one ``pred_contrib`` call on one row (a few ms).

Any model with ``feature_names_`` and ``contributions(X[, which])`` returning one column per
feature plus the base value works: :class:`core.model.RatingModel` and the snapshot model.
Contributions are on the model's raw scale (rating points, or log-odds for a binary model):
``base_value + sum(shap) == prediction`` exactly.

Numbers follow the app's Peruvian format (:func:`core.i18n.fmt_number`): point for decimals,
comma for thousands, in both languages. Spanish sentences speak to the employee ("tu").
"""

from __future__ import annotations

import inspect
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from core.contract import KPI_PREFIX, SKILL_PREFIX
from core.features import KPI_LEVEL_SUFFIX, KPI_MEAN_SUFFIX

__all__ = [
    "KPI_INFO",
    "KPI_SKILLS",
    "SKILL_LABELS",
    "FeatureInfo",
    "contributions_frame",
    "describe_feature",
    "explain_plans",
    "explain_prediction",
    "explain_recommendation",
    "feature_label",
    "format_value",
    "global_importance",
    "plan_reasons",
    "shap_values",
]

NO_DATA = {"es": "sin dato", "en": "no data"}
# Snapshot features are named f_<column> (core.ingest.mapping.FEATURE_PREFIX; not imported
# so that explaining one person does not load the ingest pipeline; a test keeps them equal).
FEATURE_PREFIX = "f_"

# --------------------------------------------------------------------------------------------
# Feature dictionary
# --------------------------------------------------------------------------------------------

SKILL_LABELS: dict[str, tuple[str, str]] = {
    "comunicacion": ("Comunicación", "Communication"),
    "negociacion": ("Negociación", "Negotiation"),
    "atencion_cliente": ("Atención al cliente", "Customer service"),
    "excel": ("Excel", "Excel"),
    "analisis_datos": ("Análisis de datos", "Data analysis"),
    "liderazgo": ("Liderazgo", "Leadership"),
    "gestion_tiempo": ("Gestión del tiempo", "Time management"),
    "programacion": ("Programación", "Programming"),
    "seguridad": ("Seguridad en el trabajo", "Workplace safety"),
    "ventas_consultivas": ("Ventas consultivas", "Consultative selling"),
}

# name (without kpi_) -> (label es, label en, value kind)
KPI_INFO: dict[str, tuple[str, str, str]] = {
    "csat": ("Satisfacción del cliente (CSAT)", "Customer satisfaction (CSAT)", "pct"),
    "sales_attainment": ("Cumplimiento de la meta de ventas", "Sales target attainment", "pct"),
    "absenteeism_days": ("Días de ausencia", "Days absent", "days"),
    "error_rate": ("Tasa de errores", "Error rate", "share"),
}

# Which skills move a KPI (domain knowledge, declared here so HR can read and extend it): a
# program that trains one of them "targets" the KPI when the KPI pulls the prediction down.
KPI_SKILLS: dict[str, tuple[str, ...]] = {
    "csat": ("atencion_cliente", "comunicacion"),
    "sales_attainment": ("ventas_consultivas", "negociacion"),
    "absenteeism_days": ("gestion_tiempo",),
    "error_rate": ("excel", "analisis_datos", "seguridad", "programacion"),
}

# Snapshot files (f_<name>): labels for common public HR columns; anything else falls back
# to a readable form of the name.
SNAPSHOT_LABELS: dict[str, tuple[str, str, str]] = {
    "previous_year_rating": ("Calificación del año anterior", "Previous year's rating",
                             "rating"),
    "avg_training_score": ("Puntaje promedio en capacitaciones", "Average training score",
                           "number"),
    "no_of_trainings": ("Capacitaciones realizadas", "Trainings taken", "count"),
    "length_of_service": ("Años de servicio", "Years of service", "years"),
    "awards_won": ("Reconocimientos obtenidos", "Awards won", "flag"),
    "kpis_met_80": ("Cumplió más del 80 % de sus KPI", "Met over 80% of KPIs", "flag"),
    "kpis_met_greaterthan_80percent": ("Cumplió más del 80 % de sus KPI",
                                       "Met over 80% of KPIs", "flag"),
    "education": ("Nivel educativo", "Education", "category"),
    "recruitment_channel": ("Canal de reclutamiento", "Recruitment channel", "category"),
    "department": ("Área", "Department", "category"),
    "region": ("Región", "Region", "category"),
    "age": ("Edad", "Age", "years"),
    "gender": ("Género", "Gender", "category"),
}

# name -> (label es, label en, value kind, concept)
_FIXED: dict[str, tuple[str, str, str, str]] = {
    "rating": ("Calificación actual", "Current rating", "rating", "rating"),
    "rating_lag1": ("Calificación del trimestre anterior", "Previous quarter's rating",
                    "rating", "rating"),
    "rating_delta": ("Cambio de calificación frente al trimestre anterior",
                     "Rating change since last quarter", "signed", "rating"),
    "rating_mean4": ("Calificación promedio de los últimos 4 trimestres",
                     "Average rating over the last 4 quarters", "rating", "rating"),
    "quarter": ("Trimestre del año", "Quarter of the year", "quarter", "quarter"),
    "gap_weighted": ("Brecha promedio de habilidades frente al puesto",
                     "Average skill gap to the role", "levels", "gap_weighted"),
    "skills_missing": ("Habilidades sin evaluar", "Skills not assessed", "count",
                       "skills_missing"),
    "tenure_years": ("Antigüedad", "Tenure", "years", "tenure_years"),
    "department": ("Área", "Department", "category", "department"),
    "job_role": ("Puesto", "Job role", "category", "job_role"),
    "location": ("Sede", "Location", "category", "location"),
    "programs_completed": ("Programas completados", "Programs completed", "count",
                           "programs_completed"),
    "quarters_since_training": ("Trimestres desde la última capacitación",
                                "Quarters since the last training", "quarters",
                                "quarters_since_training"),
}

# Snapshot columns that describe the person or their history rather than something a
# program can change: they explain a prediction but never lead a recommendation's reasons.
_SNAPSHOT_CONTEXT = frozenset({"age", "gender", "region", "department", "education",
                               "recruitment_channel", "length_of_service"})

# Families a program can act on (what the first sentence prefers to speak of): skill levels
# and gaps, KPIs, the overall gap and numeric snapshot features. The rest (rating history,
# trends, role, location, tenure, training history) is context: reported, never the lead.
_ACTIONABLE = ("skill", "kpi", "gap", "snapshot")


@dataclass(frozen=True)
class FeatureInfo:
    """How to speak about one model feature.

    ``kind`` says how a value reads (``level`` 2.5/5, ``pct``, ``days``, ``category``, ...);
    ``concept`` groups features about the same thing (``skill:negociacion`` holds the level
    and the gap) so a sentence speaks of Negotiation once; ``family`` is one of skill, trend
    (a skill's change since last quarter), gap (the overall gap), kpi, rating, training,
    snapshot, context; ``subject`` is the skill, KPI or snapshot column name.
    """

    name: str
    label_es: str
    label_en: str
    kind: str
    concept: str
    family: str
    subject: str | None = None

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_es


def _readable(name: str) -> str:
    """``tiempo_respuesta_min`` -> ``Tiempo respuesta min``; ``avgScore`` -> ``Avg score``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(name))
    text = text.replace("_greaterthan_", " > ").replace("_lessthan_", " < ")
    text = re.sub(r"percent\b", " %", text)
    text = re.sub(r"[_\-.]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return str(name)
    words = text.split(" ")
    words = [w if (len(w) > 1 and w.isupper()) else _accented(w.lower()) for w in words]
    out = " ".join(words)
    return out[0].upper() + out[1:]


# Spanish words that column names usually carry without their accent and that are not
# English words too ("decision", "supervision", "area" are left alone).
_ACCENTED = {w.replace("á", "a").replace("é", "e").replace("í", "i").replace("ó", "o")
             .replace("ú", "u"): w for w in (
                 "ofimática", "informática", "logística", "estadística", "técnica", "técnicas",
                 "técnico", "técnicos", "práctica", "prácticas", "política", "políticas",
                 "matemática", "matemáticas", "mecánica", "eléctrica", "electrónica",
                 "química", "gestión", "análisis", "inglés", "metodología", "tecnología",
                 "economía", "crédito", "créditos", "código", "jurídico", "jurídica",
                 "psicología", "teoría", "categoría", "auditoría", "energía", "básico",
                 "básica", "número", "días", "día", "mínimo", "máximo", "público",
                 "pública", "línea", "índice", "período", "según", "también", "cómputo",
                 "trámite", "trámites", "ergonomía", "ingeniería", "topografía",
                 "métricas", "métrica", "lógica", "dinámica", "específicas", "académico")}


def _accented(word: str) -> str:
    """``comunicacion`` -> ``comunicación``, ``ofimatica`` -> ``ofimática``: a Spanish
    word ending in -cion always takes the accent (the English ones are few: suspicion,
    coercion), and a short list of common others; anything else as it is."""
    if word in _ACCENTED:
        return _ACCENTED[word]
    if word.endswith("cion") and len(word) > 5 and word not in ("suspicion", "coercion"):
        return word[:-4] + "ción"
    return word


@lru_cache(maxsize=8192)
def _norm(name: str) -> str:
    """Lowercase ASCII snake case, for matching a program's target to a feature name."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def skill_label(skill: str, lang: str = "es") -> str:
    """Readable name of a skill (``negociacion`` -> Negociación / Negotiation)."""
    es, en = SKILL_LABELS.get(skill) or SKILL_LABELS.get(_norm(skill)) or (
        _readable(skill), _readable(skill))
    return en if lang == "en" else es


def _kpi(name: str) -> tuple[str, str, str]:
    return KPI_INFO.get(name) or (_readable(name), _readable(name), "number")


@lru_cache(maxsize=4096)
def describe_feature(name: str) -> FeatureInfo:
    """The dictionary entry of a feature; unknown names get a readable fallback label."""
    if name in _FIXED:
        es, en, kind, concept = _FIXED[name]
        family = "rating" if concept == "rating" else (
            "gap" if concept == "gap_weighted" else "context")
        if name in ("programs_completed", "quarters_since_training"):
            family = "training"
        return FeatureInfo(name, es, en, kind, concept, family)
    if name.startswith(SKILL_PREFIX):
        rest = name.removeprefix(SKILL_PREFIX)
        if rest.endswith("_delta"):
            s = rest.removesuffix("_delta")
            return FeatureInfo(name, f"Cambio en {skill_label(s, 'es')} frente al trimestre "
                               "anterior", f"Change in {skill_label(s, 'en')} since last "
                               "quarter", "signed", f"trend:{s}", "trend", s)
        return FeatureInfo(name, f"Nivel de {skill_label(rest, 'es')}",
                           f"{skill_label(rest, 'en')} level", "level", f"skill:{rest}",
                           "skill", rest)
    if name.startswith("gap_"):
        s = name.removeprefix("gap_")
        return FeatureInfo(name, f"Brecha de {skill_label(s, 'es')} frente al puesto",
                           f"{skill_label(s, 'en')} gap to the role", "levels", f"skill:{s}",
                           "skill", s)
    if name.startswith("trained_"):
        s = name.removeprefix("trained_")
        return FeatureInfo(name, f"Capacitaciones previas en {skill_label(s, 'es')}",
                           f"Previous trainings in {skill_label(s, 'en')}", "count",
                           f"trained:{s}", "training", s)
    if name.startswith(KPI_PREFIX):
        rest = name.removeprefix(KPI_PREFIX)
        if rest.endswith("_outlier"):
            k = rest.removesuffix("_outlier")
            es, en, _ = _kpi(k)
            return FeatureInfo(name, f"{es}: valor atípico recortado",
                               f"{en}: outlier clipped", "flag", f"kpi:{k}", "kpi", k)
        if rest.endswith(KPI_LEVEL_SUFFIX):
            k = rest.removesuffix(KPI_LEVEL_SUFFIX)
            es, en, kind = _kpi(k)
            return FeatureInfo(name, f"{es}: nivel sostenido de los últimos trimestres",
                               f"{en}: lasting level over the last quarters", kind,
                               f"kpi:{k}", "kpi", k)
        if rest.endswith(KPI_MEAN_SUFFIX):
            k = rest.removesuffix(KPI_MEAN_SUFFIX)
            es, en, kind = _kpi(k)
            return FeatureInfo(name, f"{es}: promedio de los últimos 4 trimestres",
                               f"{en}: average over the last 4 quarters", kind, f"kpi:{k}",
                               "kpi", k)
        es, en, kind = _kpi(rest)
        return FeatureInfo(name, es, en, kind, f"kpi:{rest}", "kpi", rest)
    if name.startswith(FEATURE_PREFIX):
        rest = name.removeprefix(FEATURE_PREFIX)
        known = SNAPSHOT_LABELS.get(rest) or SNAPSHOT_LABELS.get(re.sub(r"_\d+$", "", rest))
        if known:
            es, en, kind = known
        else:
            es = en = _readable(rest)
            kind = "number"
        context = kind == "category" or re.sub(r"_\d+$", "", rest) in _SNAPSHOT_CONTEXT
        return FeatureInfo(name, es, en, kind, name, "context" if context else "snapshot",
                           rest)
    text = _readable(name)
    return FeatureInfo(name, text, text, "number", name, "context")


def feature_label(name: str, lang: str = "es") -> str:
    """Readable label of a feature in ``lang`` (es or en)."""
    return describe_feature(name).label(lang)


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return bool(value != value)  # NaN
    return False


_TRAILING_ZEROS = re.compile(r"-?[\d,]+\.0+")
_MINUS_ZERO = re.compile(r"-0(\.0+)?")


def _num(value: float, decimals: int = 1, strip: bool = True) -> str:
    """Peru's format (point decimals, comma thousands); ``strip`` drops a trailing .0."""
    text = f"{value:,.{decimals}f}"
    if strip and decimals and _TRAILING_ZEROS.fullmatch(text):
        text = text.split(".")[0]
    if text.startswith("-0") and _MINUS_ZERO.fullmatch(text):
        text = text[1:]
    return text


def _signed(value: float, decimals: int = 1) -> str:
    text = _num(value, decimals)
    return text if text.startswith("-") or text == "0" else "+" + text


def format_value(name: str, value: object, lang: str = "es") -> str:
    """How a feature's value reads in a sentence: ``2.5/5``, ``74 %``, ``3 años``, ``sin dato``."""
    try:
        return _format_cached(name, type(value), value, lang)
    except TypeError:  # an unhashable value
        return _format_value(name, value, lang)


@lru_cache(maxsize=65536)
def _format_cached(name: str, _type: type, value: object, lang: str) -> str:
    return _format_value(name, value, lang)


def _format_value(name: str, value: object, lang: str) -> str:
    if _is_missing(value):
        if name == "quarters_since_training":
            return "sin capacitaciones previas" if lang != "en" else "no previous training"
        return NO_DATA["en" if lang == "en" else "es"]
    kind = describe_feature(name).kind
    if kind == "category" or isinstance(value, str):
        return str(value)
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    en = lang == "en"
    if kind in ("level", "rating"):
        return f"{_num(v)}/5"
    if kind == "signed":
        return _signed(v)
    if kind == "levels":
        unit = ("level" if en else "nivel") if _num(v) == "1" else ("levels" if en else "niveles")
        return f"{_num(v)} {unit}"
    if kind == "pct":
        return f"{_num(v)}%" if en else f"{_num(v)} %"
    if kind == "share":  # a share 0-1 reads as a percentage; larger values already are one
        pct = v * 100 if abs(v) <= 1 else v
        return f"{_num(pct)}%" if en else f"{_num(pct)} %"
    if kind == "days":
        unit = ("day" if en else "día") if _num(v) == "1" else ("days" if en else "días")
        return f"{_num(v)} {unit}"
    if kind == "years":
        unit = ("year" if en else "año") if _num(v) == "1" else ("years" if en else "años")
        return f"{_num(v)} {unit}"
    if kind == "quarters":
        unit = ("quarter" if en else "trimestre") if _num(v, 0) == "1" else (
            "quarters" if en else "trimestres")
        return f"{_num(v, 0)} {unit}"
    if kind == "count":
        return _num(v, 0)
    if kind == "flag":
        return ("yes" if en else "sí") if v >= 0.5 else "no"
    if kind == "quarter":
        return f"Q{int(v)}" if en else f"T{int(v)}"
    return _num(v, 2 if abs(v) < 10 else 1)


# --------------------------------------------------------------------------------------------
# Contributions
# --------------------------------------------------------------------------------------------


def _contrib(model, X: pd.DataFrame, which: str) -> np.ndarray:
    """``model.contributions`` with ``which`` only when the model takes it (duck type)."""
    fn = model.contributions
    try:
        takes_which = "which" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        takes_which = True
    if takes_which:
        out = fn(X, which=which)
    elif which == "rating":
        out = fn(X)
    else:
        raise ValueError(f"this model explains a single output; which={which!r} is not one")
    out = np.asarray(out, dtype=float)
    n_feat = len(model.feature_names_)
    if out.ndim != 2 or out.shape[1] != n_feat + 1:
        raise ValueError(f"contributions have shape {out.shape}, expected (n, {n_feat + 1})")
    return out


def _as_frame(X: pd.DataFrame | pd.Series) -> pd.DataFrame:
    if isinstance(X, pd.Series):
        return X.to_frame().T.infer_objects()
    return X


def contributions_frame(model, X: pd.DataFrame | pd.Series, which: str = "rating"
                        ) -> pd.DataFrame:
    """One row's SHAP contributions: ``feature, value, shap`` in the model's feature order.

    ``attrs["base_value"]`` holds the base value and ``attrs["prediction"]`` the model output
    (raw scale), so ``base_value + shap.sum() == prediction``.
    """
    X = _as_frame(X)
    if len(X) != 1:
        raise ValueError(f"contributions_frame explains one row, got {len(X)}")
    names = list(model.feature_names_)
    c = _contrib(model, X, which)[0]
    values = X.reindex(columns=names).iloc[0]
    out = pd.DataFrame({"feature": names, "value": values.to_numpy(dtype=object),
                        "shap": c[:-1]})
    out.attrs["base_value"] = float(c[-1])
    out.attrs["prediction"] = float(c.sum())
    out.attrs["which"] = which
    return out


def _py(value: object) -> object:
    """JSON-friendly value: NaN -> None, numpy scalars -> Python."""
    if _is_missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _rows(frame: pd.DataFrame, lang: str) -> list[dict]:
    out = []
    for f, v, s in zip(frame["feature"], frame["value"], frame["shap"], strict=True):
        info = describe_feature(f)
        out.append({"feature": f, "label": info.label(lang), "value": _py(v),
                    "value_text": format_value(f, v, lang), "shap": float(s),
                    "concept": info.concept})
    return out


def explain_prediction(model, X_row: pd.DataFrame | pd.Series, lang: str = "es", *,
                       which: str = "rating", top: int | None = None,
                       frame: pd.DataFrame | None = None) -> dict:
    """Base value, prediction and every contribution sorted by ``|shap|`` (largest first).

    ``prediction`` is on the raw scale of the explained booster: the rating for
    ``which="rating"``, log-odds for a binary model (``which="low"``, or a snapshot model
    with ``predict_positive``: ``probability`` is then added), and
    ``base_value + sum(shap) == prediction``. ``frame``: the row's
    :func:`contributions_frame` when already computed.
    """
    if frame is None:
        frame = contributions_frame(model, X_row, which)
    frame = frame.reindex(frame["shap"].abs().sort_values(ascending=False, kind="stable").index)
    if top is not None:
        frame = frame.head(top)
    pred = frame.attrs["prediction"]
    out = {"which": which, "base_value": frame.attrs["base_value"], "prediction": pred,
           "contributions": _rows(frame, lang)}
    if which == "low" or hasattr(model, "predict_positive"):  # binary: log-odds
        out["probability"] = float(1.0 / (1.0 + math.exp(-pred)))
    return out


def shap_values(model, X: pd.DataFrame, which: str = "rating", *, chunk: int = 20_000
                ) -> pd.DataFrame:
    """SHAP values of many rows (batch, in chunks): one column per feature, index of ``X``.

    ``attrs["base_value"]`` holds the base value. For aggregates by department, location, ...
    group this frame; for one person use :func:`contributions_frame`.
    """
    names = list(model.feature_names_)
    parts = [_contrib(model, X.iloc[lo:lo + chunk], which) for lo in range(0, len(X), chunk)]
    arr = np.vstack(parts) if parts else np.empty((0, len(names) + 1))
    out = pd.DataFrame(arr[:, :-1], index=X.index, columns=names)
    out.attrs["base_value"] = float(arr[0, -1]) if len(arr) else float("nan")
    return out


def global_importance(model, X: pd.DataFrame, which: str = "rating") -> pd.DataFrame:
    """Mean ``|SHAP|`` per feature over ``X``: ``feature, label_es, label_en, mean_abs_shap``.

    Sorted from most to least important; computed in one batch (exact TreeSHAP).
    """
    sv = shap_values(model, X, which)
    imp = sv.abs().mean(axis=0) if len(sv) else pd.Series(0.0, index=sv.columns)
    out = pd.DataFrame({
        "feature": imp.index,
        "label_es": [feature_label(f, "es") for f in imp.index],
        "label_en": [feature_label(f, "en") for f in imp.index],
        "mean_abs_shap": imp.to_numpy(dtype=float),
    })
    return out.sort_values("mean_abs_shap", ascending=False, kind="stable").reset_index(
        drop=True)


# --------------------------------------------------------------------------------------------
# Recommendation sentences
# --------------------------------------------------------------------------------------------

MIN_SHAP = 0.005  # a feature moving the prediction less than this is not a "driver"
MAX_DRIVERS = 8


def _program_skills(program: Mapping) -> list[str]:
    raw = program.get("target_skills")
    if raw is None or _is_missing(raw):
        return []
    items: Iterable = raw.split(";") if isinstance(raw, str) else raw
    return [str(s).strip() for s in items if str(s).strip()]


def _program_title(program: Mapping, lang: str) -> str:
    for key in (("title_en", "title_es") if lang == "en" else ("title_es", "title_en")):
        v = program.get(key)
        if v is not None and not _is_missing(v) and str(v).strip():
            return str(v).strip()
    return str(program.get("program_id", "?"))


def _program_kpis(program: Mapping) -> set[str]:
    """KPIs (names without ``kpi_``) the history shows the program improved: the
    ``kpi_effects`` the recommender measured (:func:`core.plans.programs_for_reasons` adds
    them)."""
    effects = program.get("kpi_effects")
    if not isinstance(effects, Mapping):
        return set()
    return {str(k).removeprefix(KPI_PREFIX) for k in effects}


def _trains(info: FeatureInfo, skills: set[str], values: pd.Series | None = None,
            moved_kpis: set[str] = frozenset()) -> bool:
    """Does a program training ``skills`` (normalized names) act on this feature?

    Skill levels and gaps and snapshot features when named; a KPI when the program
    trains a skill that moves it (:data:`KPI_SKILLS`) or when past completers' KPI
    improved (``moved_kpis``, :func:`_program_kpis`); the overall gap when the program
    trains a skill in which this person is below the role's level.
    """
    if info.concept == "gap_weighted":
        if values is None:
            return False
        return bool(_gapped_skills(values, skills))
    if info.family in ("skill", "snapshot") and info.subject is not None:
        return _norm(info.subject) in skills
    if info.family == "kpi" and info.subject is not None and info.kind != "flag":
        return info.subject in moved_kpis or any(
            _norm(s) in skills for s in KPI_SKILLS.get(info.subject, ()))
    return False


def _join(items: list[str], lang: str) -> str:
    items = list(dict.fromkeys(items))
    if len(items) <= 1:
        return "".join(items)
    conj = " and " if lang == "en" else " y "
    return ", ".join(items[:-1]) + conj + items[-1]


def _quote(text: str, lang: str) -> str:
    return f"“{text}”" if lang == "en" else f"«{text}»"


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


@dataclass
class _Concept:
    key: str
    family: str
    subject: str | None
    shap: float
    features: list[str]
    targeted: bool


def _concept_phrase(c: _Concept, values: pd.Series, targets: Mapping | None, lang: str,
                    top: bool, outcome: str) -> str:
    """First sentence: what this concept is and how it pulls the prediction down."""
    en = lang == "en"
    if en:
        tail = (f"is what lowers {outcome} the most" if top
                else f"is one of the factors that lower {outcome} the most")
    else:
        tail = (f"es lo que más baja {outcome}" if top
                else f"es uno de los factores que más bajan {outcome}")
    if c.family == "skill" and c.subject is not None:
        s = c.subject
        level = values.get(SKILL_PREFIX + s, np.nan)
        gap = values.get(f"gap_{s}", np.nan)
        target = None
        if targets and s in targets and not _is_missing(targets[s]):
            target = float(targets[s])
        elif not _is_missing(gap) and not _is_missing(level) and float(gap) > 0:
            target = float(level) + float(gap)
        name = skill_label(s, lang)
        lv = format_value(SKILL_PREFIX + s, level, lang)
        below = (target is not None and not _is_missing(level) and float(level) < target - 1e-9)
        if below:
            tv = format_value(SKILL_PREFIX + s, target, lang)
            if en:
                return (f"Your {name} level ({lv}) is below your role's level ({tv}) "
                        f"and {tail}.")
            return (f"Tu nivel de {name} ({lv}) está por debajo del nivel de tu puesto ({tv}) "
                    f"y {tail}.")
        return f"Your {name} level ({lv}) {tail}." if en else f"Tu nivel de {name} ({lv}) {tail}."
    if c.family == "gap":
        val = format_value("gap_weighted", values.get("gap_weighted", np.nan), lang)
        big = _largest_gap(values, targets)
        detail = ""
        if big is not None:
            s, lv, tv = big
            name = skill_label(s, lang)
            lv_t = format_value(SKILL_PREFIX + s, lv, lang)
            tv_t = format_value(SKILL_PREFIX + s, tv, lang)
            detail = (f"; the largest in {name}: {lv_t} vs {tv_t}" if en
                      else f"; la mayor, en {name}: {lv_t} frente a {tv_t}")
        if en:
            return (f"Your skills are below what your role requires (average gap {val}{detail}),"
                    f" and that {tail}.")
        return (f"Tus habilidades están por debajo de lo que pide tu puesto (brecha promedio de "
                f"{val}{detail}) y eso {tail}.")
    feature = c.features[0]
    if c.family == "kpi" and c.subject is not None:
        feature = KPI_PREFIX + c.subject
    elif c.family == "rating":
        feature = "rating" if "rating" in values.index else feature
    label = feature_label(feature, lang)
    val = format_value(feature, values.get(feature, np.nan), lang)
    if c.family == "kpi":
        return (f"Your {_quote(label, lang)} indicator ({val}) {tail}." if en
                else f"Tu indicador {_quote(label, lang)} ({val}) {tail}.")
    if c.family == "rating":
        return (f"Your recent rating ({val}) {tail}." if en
                else f"Tu calificación reciente ({val}) {tail}.")
    return f"{_quote(label, lang)} ({val}) {tail}."


def _gain_phrase(gain: float | None, low: float | None, high: float | None, lang: str,
                 unit: str) -> str:
    en = lang == "en"
    if gain is None or _is_missing(gain):
        return ("the expected gain could not be estimated" if en
                else "no se pudo estimar la ganancia esperada")
    scale = 100.0 if unit == "probability" else 1.0
    dec = 1 if abs(gain * scale) >= 0.095 else 2
    g = _num(gain * scale, dec, strip=False)
    has_ci = low is not None and high is not None and not _is_missing(low) and not _is_missing(
        high)
    ci = ""
    if has_ci:
        lo, hi = _num(low * scale, dec, strip=False), _num(high * scale, dec, strip=False)
        ci = f" (between {lo} and {hi})" if en else f" (entre {lo} y {hi})"
    if unit == "probability":
        what_en, what_es = "your chance", "tu probabilidad"
        pts_en, pts_es = "percentage points", "puntos porcentuales"
    else:
        what_en, what_es = "your rating", "tu calificación"
        pts_en, pts_es = "points", "puntos"
    if float(g.replace(",", "")) > 0:
        return (f"{what_en} is expected to rise {g} {pts_en}{ci}" if en
                else f"se espera que {what_es} suba {g} {pts_es}{ci}")
    return (f"{what_en} is not expected to improve (estimated change {g} {pts_en}{ci})" if en
            else f"no se espera que {what_es} mejore (cambio estimado {g} {pts_es}{ci})")


class _Values(dict):
    """A person's feature values by name (a dict with the ``index`` of a Series); the
    gap features are gathered once per person, however many programs are explained."""

    @property
    def index(self):
        return self.keys()

    def gaps(self) -> dict[str, tuple[str, object]]:
        g = self.__dict__.get("_gaps")
        if g is None:
            g = self.__dict__["_gaps"] = {
                _norm(str(f).removeprefix("gap_")): (str(f).removeprefix("gap_"), v)
                for f, v in self.items() if str(f).startswith("gap_") and f != "gap_weighted"}
        return g


@dataclass
class _Person:
    """One row's contributions, ready for any number of programs and languages."""

    values: _Values
    down: list[tuple[str, object, float, float]]  # (feature, value, shap, pull), pull desc
    base_value: float | None
    prediction: float | None
    _rows: dict[str, list[dict]] = field(default_factory=dict)

    def rows(self, lang: str) -> list[dict]:
        """:func:`_driver_rows` of every driver in ``lang`` (built once; copy to change)."""
        r = self._rows.get(lang)
        if r is None:
            r = self._rows[lang] = _driver_rows(self.down, lang)
        return r


def _person(features: Iterable[str], values: Iterable, shap: Iterable[float], which: str,
            base_value: float | None, prediction: float | None) -> _Person:
    sign = 1.0 if which == "low" else -1.0  # turn "lowers performance" into positive numbers
    features, values = list(features), list(values)
    shap = np.asarray(shap, dtype=float)
    pull = sign * shap
    idx = np.flatnonzero(pull > MIN_SHAP)
    idx = idx[np.argsort(-pull[idx], kind="stable")]
    down = [(features[i], values[i], float(shap[i]), float(pull[i])) for i in idx]
    return _Person(_Values(zip(features, values, strict=True)), down, base_value, prediction)


def _person_from_frame(frame: pd.DataFrame, which: str) -> _Person:
    return _person(frame["feature"].to_numpy(), frame["value"].to_numpy(),
                   frame["shap"].to_numpy(dtype=float), which, frame.attrs.get("base_value"),
                   frame.attrs.get("prediction"))


def _driver_rows(rows: list[tuple[str, object, float, float]], lang: str) -> list[dict]:
    out = []
    for f, v, s, _pull in rows:
        info = describe_feature(f)
        out.append({"feature": f, "label": info.label(lang), "value": _py(v),
                    "value_text": format_value(f, v, lang), "shap": float(s),
                    "concept": info.concept})
    return out


def explain_recommendation(model, X_row: pd.DataFrame | pd.Series, program: Mapping,
                           expected_gain: float | None, low: float | None = None,
                           high: float | None = None, targets: Mapping[str, float] | None = None,
                           lang: str = "es", *, which: str = "rating",
                           frame: pd.DataFrame | None = None, gain_unit: str = "rating",
                           outcome: tuple[str, str] | None = None,
                           max_drivers: int = MAX_DRIVERS) -> dict:
    """Why this program for this person: drivers down, which ones it trains, 2-3 sentences.

    Parameters
    ----------
    model
        Anything with ``feature_names_`` and ``contributions`` (RatingModel, snapshot model).
    X_row
        The person's feature row (one-row frame).
    program
        A catalog row: ``program_id, title_es, title_en, target_skills`` (``;``-separated or a
        list); for snapshot data the target names may be snapshot features (``f_<name>``).
    expected_gain, low, high
        The recommender's estimate and interval (rating points, or a probability change
        with ``gain_unit="probability"``).
    targets
        Target level of each skill for the person's role; without it, the gap features give
        the target where the skill is below it.
    which
        Booster to explain. Drivers are the features that lower the predicted performance:
        negative SHAP for the rating (or a snapshot outcome where higher is better), positive
        SHAP for the low-rating risk (``which="low"``).
    frame
        The row's :func:`contributions_frame`, when already computed (several programs for one
        person need it once).
    outcome
        ``(es, en)`` phrase for what the model predicts; default "tu desempeño previsto".

    Many recommendations at once (a whole organization): :func:`explain_plans`.
    """
    if frame is None:
        frame = contributions_frame(model, X_row, which)
    person = _person_from_frame(frame, which)
    lg = "en" if lang == "en" else "es"
    return _explain(person, program, expected_gain, low, high, targets, (lg,), which=which,
                    gain_unit=gain_unit, outcome=outcome, max_drivers=max_drivers)[lg]


def _explain(person: _Person, program: Mapping, expected_gain: float | None,
             low: float | None, high: float | None, targets: Mapping[str, float] | None,
             langs: Iterable[str], *, which: str = "rating", gain_unit: str = "rating",
             outcome: tuple[str, str] | None = None, max_drivers: int = MAX_DRIVERS
             ) -> dict[str, dict]:
    """:func:`explain_recommendation` of one person and program in each of ``langs``."""
    values = person.values
    down = person.down
    skills = {_target_name(s) for s in _program_skills(program)}
    moved_kpis = _program_kpis(program)
    targeted = [_trains(describe_feature(f), skills, values, moved_kpis)
                for f, _v, _s, _p in down]
    concepts = _concepts_of(down, targeted)
    actionable = [c for c in concepts if c.family in _ACTIONABLE
                  and not isinstance(values.get(c.features[0]), str)]
    lead = actionable[0] if actionable else (concepts[0] if concepts else None)
    hit = [c for c in concepts if c.targeted]
    drivers = down[:max_drivers]
    out: dict[str, dict] = {}
    for lang in langs:
        en = lang == "en"
        outcome_text = (outcome[1] if en else outcome[0]) if outcome else (
            "your predicted performance" if en else "tu desempeño previsto")
        sentences: list[str] = []
        if lead is None:
            sentences.append(f"No factor clearly lowers {outcome_text} right now." if en else
                             f"Ningún factor baja de forma clara {outcome_text} por ahora.")
        else:
            sentences.append(_concept_phrase(lead, values, targets, lang, lead is concepts[0],
                                             outcome_text))

        title = _quote(_program_title(program, lang), lang)
        gain = _gain_phrase(expected_gain, low, high, lang, gain_unit)
        prog_skills = [_target_label(s, values, lang) for s in _program_skills(program)]
        kpi_hits = [c.subject for c in hit if c.family == "kpi" and c.subject]
        # what past completers showed, on this person's weak points first
        measured = [_lower_first(feature_label(KPI_PREFIX + k, lang)) for k in
                    dict.fromkeys([*kpi_hits, *sorted(moved_kpis)]) if k in moved_kpis]
        if hit:
            names = [c.subject for c in hit if c.family == "skill" and c.subject]
            if any(c.family == "gap" for c in hit):
                names += _gapped_skills(values, _program_skills(program))
            order = {_target_name(s): i for i, s in enumerate(_program_skills(program))}
            names = sorted(set(names), key=lambda s: (order.get(_target_name(s), len(order)), s))
            hit_skills = [skill_label(s, lang) for s in names] + [
                feature_label(c.features[0], lang) for c in hit if c.family == "snapshot"]
            hit_kpis = [_lower_first(feature_label(KPI_PREFIX + k, lang)) for k in kpi_hits
                        if k not in moved_kpis]
            parts = []
            if hit_skills:
                parts.append(f"trains {_join(hit_skills, lang)}" if en
                             else f"entrena {_join(hit_skills, lang)}")
            if hit_kpis:
                parts.append(f"works on skills that drive your {_join(hit_kpis, lang)}" if en
                             else "trabaja habilidades que influyen en "
                                  + _indicators_es(hit_kpis, own=True))
            if measured:
                parts.append(f"improved the {_join(measured, lang)} figures of people who "
                             "took it" if en else
                             f"mejoró {_indicators_es(measured)} de quienes lo tomaron")
            sentences.append(f"{title} {(' and ' if en else ' y ').join(parts)}; {gain}.")
        elif concepts:
            trains = _join(prog_skills, lang) if prog_skills else None
            # what past completers improved: 'the X figures' / 'el indicador de X'
            seen = (_join(measured, lang) if en else _indicators_es(measured)) \
                if measured else None
            if en:
                body = (f"{title} does not train any of the factors that lower {outcome_text}"
                        + (f" (it trains {trains})" if trains else "")
                        + (f", but it improved the {seen} figures of people who took it"
                           if seen else ""))
                sentences.append(f"{body}; {gain}.")
            else:
                body = (f"{title} no entrena ninguno de los factores que bajan {outcome_text}"
                        + (f" (entrena {trains})" if trains else "")
                        + (f", pero mejoró {seen} de quienes lo tomaron" if seen else ""))
                sentences.append(f"{body}; {gain}.")
        else:
            if prog_skills:
                sentences.append(f"{title} trains {_join(prog_skills, lang)}; {gain}." if en
                                 else f"{title} entrena {_join(prog_skills, lang)}; {gain}.")
            else:
                sentences.append(f"{title}: {gain}.")

        # Third sentence, when it adds something: the top weakness is left for another
        # program, or the interval says the effect may be nil.
        if hit and lead is not None and not lead.targeted and lead.family in _ACTIONABLE:
            name = _lead_name(lead, lang, values, targets)
            sentences.append(f"To work on {name}, look at the other programs in your plan."
                             if en else f"Para mejorar {name}, revisa los otros programas de "
                                        "tu plan.")
        elif (expected_gain is not None and low is not None and not _is_missing(low)
              and not _is_missing(expected_gain) and expected_gain > 0 and low <= 0):
            sentences.append("The estimate is uncertain: the interval includes no improvement."
                             if en else "La estimación es incierta: el intervalo incluye la "
                             "posibilidad de que no mejore.")

        rows = person.rows(lang)
        drivers_out = [{**d, "targeted": bool(t)}
                       for d, t in zip(rows[:len(drivers)], targeted, strict=False)]
        out[lang] = {
            "program_id": program.get("program_id"),
            "title": _program_title(program, lang),
            "which": which,
            "base_value": person.base_value,
            "prediction": person.prediction,
            "expected_gain": _py(expected_gain), "low": _py(low), "high": _py(high),
            "drivers_down": drivers_out,
            "targeted": [dict(d) for d, t in zip(rows, targeted, strict=True) if t],
            "sentences": sentences,
            "text": " ".join(sentences),
            "lang": "en" if en else "es",
        }
    return out


def _concepts_of(down: list[tuple[str, object, float, float]], targeted: list[bool]
                 ) -> list[_Concept]:
    """Drivers grouped by concept, most negative total first."""
    out: dict[str, _Concept] = {}
    for (f, _v, _s, pull), hit in zip(down, targeted, strict=True):
        info = describe_feature(f)
        c = out.get(info.concept)
        if c is None:
            c = out[info.concept] = _Concept(info.concept, info.family, info.subject, 0.0, [],
                                            False)
        c.shap += -pull
        c.features.append(f)
        c.targeted = c.targeted or bool(hit)
    return sorted(out.values(), key=lambda c: c.shap)


def explain_plans(model, X: pd.DataFrame, plans: pd.DataFrame, programs: Mapping[str, Mapping],
                  targets: Mapping[str, Mapping | None] | None = None,
                  langs: Iterable[str] = ("es", "en"), *, which: str = "rating",
                  max_drivers: int = MAX_DRIVERS) -> tuple[list[dict[str, dict]], pd.DataFrame]:
    """Reasons for many recommendations at once (a whole organization's plans).

    ``X``: one feature row per employee, indexed by ``employee_id``; ``plans``: rows with
    ``employee_id, program_id, expected_gain, low, high``; ``programs``: program id ->
    catalog row; ``targets``: employee id -> the role's skill targets. One exact TreeSHAP
    pass over the employees in ``plans`` (:func:`shap_values`), then, per employee, the
    drivers once, and per recommendation the same output as :func:`explain_recommendation`
    in each language. Returns that list (aligned with the rows of ``plans``; ``{lang:
    dict}``, or ``None`` for a program not in ``programs``) and the contributions frame
    (employees x features, ``attrs["base_value"]``).
    """
    langs = tuple("en" if lg == "en" else "es" for lg in langs)
    eids = plans["employee_id"].astype(str).to_numpy()
    wanted = pd.unique(eids)
    index = X.index.astype(str)
    pos = pd.Series(np.arange(len(X)), index=index)
    pos = pos[~pos.index.duplicated(keep="last")]
    rows = pos.reindex(wanted)
    have = rows.notna().to_numpy()
    sub = X.iloc[rows[have].astype(int).to_numpy()]
    sv = shap_values(model, sub, which)
    sv.index = pd.Index(wanted[have])
    names = list(sv.columns)
    base = float(sv.attrs.get("base_value", float("nan")))
    shap = sv.to_numpy()
    vals = sub.reindex(columns=names).to_numpy(dtype=object)
    at = {e: i for i, e in enumerate(sv.index)}
    targets = targets or {}
    people: dict[str, _Person] = {}
    gains = {c: pd.to_numeric(plans[c], errors="coerce").to_numpy(dtype=float)
             if c in plans else np.full(len(plans), np.nan)
             for c in ("expected_gain", "low", "high")}
    out: list[dict[str, dict] | None] = []
    for j, (eid, pid) in enumerate(zip(eids, plans["program_id"].astype(str), strict=True)):
        i = at.get(eid)
        program = programs.get(pid)
        if i is None or program is None:
            out.append(None)
            continue
        person = people.get(eid)
        if person is None:
            person = people[eid] = _person(names, vals[i], shap[i], which, base,
                                           base + float(shap[i].sum()))
        g, lo, hi = (float(gains[c][j]) for c in ("expected_gain", "low", "high"))
        out.append(_explain(person, program, g, lo, hi, targets.get(eid), langs,
                            which=which, max_drivers=max_drivers))
    return out, sv


def plan_reasons(model, X: pd.DataFrame, plans: pd.DataFrame, programs: Mapping[str, Mapping],
                 targets: Mapping[str, Mapping | None] | None = None,
                 langs: Iterable[str] = ("es", "en"), *, top_contributions: int = 12
                 ) -> list[dict | None]:
    """The ``reasons`` stored with each recommendation of a plan, for many at once:
    ``{"sentences": {lang: [...]}, "targeted": [...], "contributions": [the person's
    ``top_contributions`` largest |SHAP|, with labels in both languages]}`` (see
    :func:`explain_plans` for the arguments; ``None`` where a row cannot be explained)."""
    langs = tuple(dict.fromkeys(("en" if lg == "en" else "es") for lg in langs))
    per_row, sv = explain_plans(model, X, plans, programs, targets, langs)
    names = np.array(sv.columns, dtype=object)
    labels = {lg: [feature_label(f, lg) for f in names] for lg in ("es", "en")}
    shap = sv.to_numpy()
    at = {e: i for i, e in enumerate(sv.index)}
    top: dict[str, list[dict]] = {}
    out: list[dict | None] = []
    for eid, res in zip(plans["employee_id"].astype(str), per_row, strict=True):
        if res is None:
            out.append(None)
            continue
        contribs = top.get(eid)
        if contribs is None:
            row = shap[at[eid]]
            order = np.argsort(-np.abs(row), kind="stable")[:top_contributions]
            contribs = top[eid] = [
                {"feature": names[k], "shap": float(row[k]), "label_es": labels["es"][k],
                 "label_en": labels["en"][k]} for k in order]
        first = res.get("en", res[langs[0]])
        out.append({"sentences": {lg: res[lg]["sentences"] for lg in langs},
                    "targeted": first.get("targeted", []),
                    "contributions": contribs})  # one list per person, shared
    return out


@lru_cache(maxsize=4096)
def _target_name(name: str) -> str:
    """A program's target as a bare normalized name (``skill_`` / ``f_`` prefixes dropped)."""
    n = _norm(name)
    for prefix in (SKILL_PREFIX, FEATURE_PREFIX):
        if n.startswith(prefix) and len(n) > len(prefix):
            return n.removeprefix(prefix)
    return n


def _target_label(name: str, values: pd.Series, lang: str) -> str:
    """Label of a program target: the snapshot feature it names, or the skill."""
    snap = FEATURE_PREFIX + _target_name(name)
    if snap in values.index:
        return feature_label(snap, lang)
    bare = _target_name(name)
    return skill_label(bare if bare != _norm(name) else name, lang)


def _gapped_skills(values: pd.Series, skills: Iterable[str]) -> list[str]:
    """The skills among ``skills`` (in their order) where the person is below the role."""
    gaps = values.gaps() if isinstance(values, _Values) else {
        _norm(str(f).removeprefix("gap_")): (str(f).removeprefix("gap_"), v)
        for f, v in values.items() if str(f).startswith("gap_") and f != "gap_weighted"}
    out = []
    for s in skills:
        name, v = gaps.get(_target_name(s), (None, None))
        if name is not None and not _is_missing(v) and float(v) > 0:
            out.append(name)
    return out


def _largest_gap(values: pd.Series, targets: Mapping | None
                 ) -> tuple[str, float, float] | None:
    """(skill, level, role target) of the person's largest skill gap, if any."""
    if isinstance(values, _Values):  # once per person and targets, not per program
        cache = values.__dict__.setdefault("_largest", {})
        key = id(targets)
        if key not in cache:
            cache[key] = (targets, _largest_gap(dict(values), targets))
        return cache[key][1]
    best = None
    for f, v in values.items():
        if not str(f).startswith("gap_") or f == "gap_weighted" or _is_missing(v):
            continue
        gap = float(v)
        if gap <= 0 or (best is not None and gap <= best[0]):
            continue
        s = str(f).removeprefix("gap_")
        level = values.get(SKILL_PREFIX + s, np.nan)
        if _is_missing(level):
            continue
        target = float(targets[s]) if targets and not _is_missing(targets.get(s)) else (
            float(level) + gap)
        best = (gap, s, float(level), target)
    return None if best is None else best[1:]


def _lead_name(c: _Concept, lang: str, values: pd.Series, targets: Mapping | None) -> str:
    if c.family == "skill" and c.subject:
        return skill_label(c.subject, lang)
    if c.family == "gap":
        big = _largest_gap(values, targets)
        if big is not None:
            return skill_label(big[0], lang)
    if c.family == "kpi" and c.subject:
        name = _lower_first(feature_label(KPI_PREFIX + c.subject, lang))
        return f"your {name}" if lang == "en" else _indicators_es([name], own=True)
    return _lower_first(feature_label(c.features[0], lang))


def _indicators_es(names: list[str], own: bool = False) -> str:
    """'el indicador de X' or 'los indicadores de X y Y' ('tu'/'tus' with ``own``): a KPI's
    name (often plural, as 'tardanzas') does not agree with the article, 'indicador' does."""
    one = len(names) == 1
    head = ("tu" if one else "tus") if own else ("el" if one else "los")
    return f"{head} {'indicador' if one else 'indicadores'} de {_join(names, 'es')}"
