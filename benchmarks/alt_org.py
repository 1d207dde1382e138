"""An independent generator of organizations, to check the recommender is not fit to one.

Written from the canonical CSV format of DESIGN.md alone, sharing no code with
``core/synthetic.py``: other skills (8, other names), other programs (14, ids ``CAP-1xx``,
several with prerequisites), other departments, regions and roles, ids with leading zeros,
skills assessed in half points, heavier noise, more missing cells, and other effect shapes:

``shape="threshold"``
    A program raises its target skills *linearly* in the gap to the role's level, but only
    beyond a threshold (nothing below a 0.4 gap) and up to a cap; the rating suffers
    *linearly* below a level a little under the role target and gains nothing above it.
    Learning depends on tenure (new hires learn most) and a hidden aptitude.
``shape="kpi"``
    Most of a program's value flows through the KPIs, not the skills: several programs move a
    persistent KPI component (punctuality, complaints, deadlines, output) for people below
    the norm, linearly in the shortfall, with an inverted-U dependence on tenure; the rating
    is driven mainly by KPIs. The catalog declares no expected gain and no job_roles file is
    written, so role targets must be estimated from the data. ``kpi_form`` sets who a
    course helps: ``"room"`` (default) in proportion to the shortfall, as above;
    ``"even"`` everyone measured by the same amount; ``"best"`` those already above the
    norm the most (checks that the recommender does not assume the first).

Ground truth: for every employee and program, the expected rating of the quarter after the
last one if the employee completes the program in the last quarter, minus the expected rating
without it. Rating noise and KPI noise are integrated exactly (normal CDF over the rating
thresholds); the skill and KPI-component steps by Monte Carlo with ``draws`` (>= 200) common
random numbers shared by all programs.

    python -m benchmarks.alt_org OUT_DIR [--employees 1500] [--quarters 8] [--seed 7]
                                         [--shape threshold|kpi] [--kpi-form room|even|best]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr

SHAPES = ("threshold", "kpi")
KPI_FORMS = ("room", "even", "best")
END_PERIOD = "2025-Q4"

SKILLS = ("oratoria", "trabajo_equipo", "resolucion_problemas", "ofimatica", "normativa",
          "ingles", "gestion_proyectos", "mejora_continua")
_S = {s: i for i, s in enumerate(SKILLS)}
KPIS = ("productividad", "reclamos", "cumplimiento_plazos", "tardanzas")
# Observed KPI = a + b * latent (b < 0: lower is better), rounded.
_KPI_OBS = {"productividad": (96.0, 11.0, 1), "reclamos": (3.0, -1.1, 1),
            "cumplimiento_plazos": (88.0, 6.0, 1), "tardanzas": (2.5, -1.4, 0)}
# Which departments measure which KPI (tardanzas: everyone).
_KPI_DEPTS = {
    "productividad": ("Producción", "Comercial", "Almacén"),
    "reclamos": ("Comercial", "Calidad", "Producción"),
    "cumplimiento_plazos": ("Mantenimiento", "Administración", "Calidad"),
    "tardanzas": None,
}
# Skill -> KPI latent loadings.
_KPI_SKILL = {
    "productividad": {"trabajo_equipo": 0.25, "normativa": 0.15, "oratoria": 0.2},
    "reclamos": {"oratoria": 0.2, "mejora_continua": 0.25, "resolucion_problemas": 0.15},
    "cumplimiento_plazos": {"gestion_proyectos": 0.3, "ofimatica": 0.2},
    "tardanzas": {"trabajo_equipo": 0.1},
}

DEPTS = ("Producción", "Comercial", "Mantenimiento", "Administración", "Calidad", "Almacén")
_DEPT_P = np.array([0.3, 0.2, 0.14, 0.12, 0.1, 0.14])
REGIONS = ("Lima", "Huancayo", "Tacna", "Ica", "Chimbote", "Pucallpa", "Cajamarca")
_REGION_P = np.array([0.38, 0.14, 0.1, 0.12, 0.12, 0.06, 0.08])

# role -> {skill: level the role needs}
ROLES: dict[str, dict[str, float]] = {
    "Gerente General": {"gestion_proyectos": 4.5, "oratoria": 4.5, "ingles": 4.0},
    "Gerente de Área": {"gestion_proyectos": 4.0, "oratoria": 4.0, "trabajo_equipo": 4.0,
                        "ingles": 3.0},
    "Jefe de Equipo": {"trabajo_equipo": 4.0, "resolucion_problemas": 3.5, "oratoria": 3.5,
                       "gestion_proyectos": 3.0},
    "Operador de Línea": {"normativa": 4.0, "mejora_continua": 3.0, "trabajo_equipo": 3.0},
    "Supervisor de Turno": {"trabajo_equipo": 4.0, "resolucion_problemas": 4.0,
                            "normativa": 3.5},
    "Vendedor de Campo": {"oratoria": 4.0, "resolucion_problemas": 3.0, "ingles": 2.5},
    "Ejecutivo de Cuentas Clave": {"oratoria": 4.5, "ingles": 4.0, "gestion_proyectos": 3.0},
    "Técnico Mecánico": {"normativa": 4.0, "resolucion_problemas": 4.0, "ofimatica": 2.5},
    "Planificador de Mantenimiento": {"gestion_proyectos": 4.0, "ofimatica": 4.0,
                                      "resolucion_problemas": 3.0},
    "Asistente Administrativo": {"ofimatica": 4.0, "trabajo_equipo": 3.0, "oratoria": 3.0},
    "Analista de Costos": {"ofimatica": 4.5, "resolucion_problemas": 3.5, "ingles": 3.0},
    "Inspector de Calidad": {"normativa": 4.0, "mejora_continua": 4.0, "ofimatica": 3.0},
    "Analista de Mejora Continua": {"mejora_continua": 4.5, "gestion_proyectos": 3.5,
                                    "oratoria": 3.0},
    "Almacenero": {"normativa": 3.5, "trabajo_equipo": 3.0, "ofimatica": 2.5},
}
_STAFF = {
    "Producción": (("Operador de Línea", 0.8), ("Supervisor de Turno", 0.2)),
    "Comercial": (("Vendedor de Campo", 0.75), ("Ejecutivo de Cuentas Clave", 0.25)),
    "Mantenimiento": (("Técnico Mecánico", 0.7), ("Planificador de Mantenimiento", 0.3)),
    "Administración": (("Asistente Administrativo", 0.6), ("Analista de Costos", 0.4)),
    "Calidad": (("Inspector de Calidad", 0.7), ("Analista de Mejora Continua", 0.3)),
    "Almacén": (("Almacenero", 1.0),),
}
_ROLE_NAMES = tuple(ROLES)

# program: id, title_es, title_en, {skill: load}, hours, cost, modality, provider, prereq,
#          declared gain (HR's guess), true strength, {kpi: effect} (kpi shape), popularity
_CATALOG = (
    ("CAP-101", "Oratoria y presentaciones efectivas", "Effective public speaking",
     {"oratoria": 1.0}, 16, 780.0, "presencial", "Instituto Limeño de Oratoria", "",
     0.8, 0.9, {}, 0.3),
    ("CAP-102", "Trabajo en equipo de alto desempeño", "High-performance teamwork",
     {"trabajo_equipo": 1.0, "oratoria": 0.4}, 12, 540.0, "mixta", "Consultora Sierra Viva",
     "", 0.6, 0.8, {"productividad": 0.3}, 0.5),
    ("CAP-103", "Solución de problemas con A3", "A3 problem solving",
     {"resolucion_problemas": 1.0, "mejora_continua": 0.4}, 20, 990.0, "presencial",
     "Centro Tecnológico del Centro", "", 0.7, 1.0, {"reclamos": 0.3}, 0.1),
    ("CAP-104", "Ofimática intermedia", "Intermediate office software", {"ofimatica": 1.0},
     24, 420.0, "virtual", "Academia Digital Pacífico", "", 0.9, 0.8, {}, 0.8),
    ("CAP-105", "Ofimática avanzada y macros", "Advanced spreadsheets and macros",
     {"ofimatica": 1.0, "resolucion_problemas": 0.3}, 30, 880.0, "virtual",
     "Academia Digital Pacífico", "CAP-104", 0.9, 1.1, {"cumplimiento_plazos": 0.2}, 0.0),
    ("CAP-106", "Normativa de seguridad y medio ambiente", "Safety and environmental rules",
     {"normativa": 1.0}, 18, 650.0, "presencial", "Instituto de Seguridad Minera", "",
     0.6, 0.9, {"tardanzas": 0.2}, 0.4),
    ("CAP-107", "Inglés técnico I", "Technical English I", {"ingles": 1.0}, 60, 1400.0,
     "mixta", "Centro de Idiomas Andino", "", 0.5, 0.7, {}, 0.2),
    ("CAP-108", "Inglés de negocios II", "Business English II",
     {"ingles": 1.0, "oratoria": 0.3}, 60, 1800.0, "virtual", "Centro de Idiomas Andino",
     "CAP-107", 0.5, 0.8, {}, -0.2),
    ("CAP-109", "Gestión de proyectos", "Project management", {"gestion_proyectos": 1.0},
     40, 2300.0, "mixta", "Escuela de Gestión del Sur", "", 1.0, 1.0,
     {"cumplimiento_plazos": 0.5}, 0.1),
    ("CAP-110", "Lean Six Sigma Yellow Belt", "Lean Six Sigma Yellow Belt",
     {"mejora_continua": 1.0, "resolucion_problemas": 0.5}, 32, 1950.0, "presencial",
     "Centro Tecnológico del Centro", "CAP-103", 1.0, 1.1,
     {"productividad": 0.4, "reclamos": 0.3}, -0.1),
    ("CAP-111", "Puntualidad y autogestión", "Punctuality and self-management",
     {"trabajo_equipo": 0.5}, 6, 180.0, "virtual", "Consultora Sierra Viva", "",
     0.3, 0.3, {"tardanzas": 1.0}, 0.6),
    ("CAP-112", "Técnicas de venta y posventa", "Sales and after-sales techniques",
     {"oratoria": 0.6}, 20, 1100.0, "presencial", "Escuela de Gestión del Sur", "",
     0.5, 0.5, {"productividad": 0.9, "reclamos": 0.4}, 0.3),
    ("CAP-113", "Control de calidad en línea", "In-line quality control",
     {"normativa": 0.5, "mejora_continua": 0.7}, 24, 1250.0, "presencial",
     "Instituto de Seguridad Minera", "", 0.6, 0.7, {"reclamos": 0.9}, 0.2),
    ("CAP-114", "Planificación y cumplimiento de plazos", "Planning and meeting deadlines",
     {"gestion_proyectos": 0.5, "ofimatica": 0.4}, 16, 690.0, "virtual",
     "Academia Digital Pacífico", "", 0.4, 0.6, {"cumplimiento_plazos": 1.0}, 0.3),
)
_NP = len(_CATALOG)
_PIDS = tuple(c[0] for c in _CATALOG)
_LOAD = np.zeros((_NP, len(SKILLS)))
_KEFF = np.zeros((_NP, len(KPIS)))
for _i, _c in enumerate(_CATALOG):
    for _s, _v in _c[3].items():
        _LOAD[_i, _S[_s]] = _v
    for _k, _v in _c[11].items():
        _KEFF[_i, KPIS.index(_k)] = _v
_STRENGTH = np.array([c[10] for c in _CATALOG])
_HOURS = np.array([c[4] for c in _CATALOG], dtype=float)
_POP = np.array([c[12] for c in _CATALOG])
_PREREQ = np.zeros((_NP, _NP), dtype=bool)
for _i, _c in enumerate(_CATALOG):
    if _c[8]:
        _PREREQ[_i, _PIDS.index(_c[8])] = True
_MOD_APT = {"presencial": 0.4, "mixta": 0.8, "virtual": 1.3}
_APT_EXP = np.array([_MOD_APT[c[6]] for c in _CATALOG])

_FIRST = ("Wilfredo", "Yessenia", "Rocío", "Abel", "Nilda", "Heber", "Maritza", "Ulises",
          "Zulema", "Edgar", "Liz", "Teodoro", "Brenda", "Gilberto", "Noemí", "Rubén", "Kelly",
          "Anselmo", "Erika", "Saúl", "Delia", "Ronald", "Judith", "Froilán", "Marleny",
          "Iván", "Sonia", "Hilario", "Yanet", "Eloy")
_LAST = ("Huamaní", "Taipe", "Ccori", "Layme", "Pari", "Chuquimia", "Arone", "Cusi",
         "Sulla", "Mayta", "Poma", "Tupa", "Ancco", "Chacón", "Robles", "Luna", "Zegarra",
         "Urquizo", "Begazo", "Dueñas", "Ormeño", "Pachas", "Raymundo", "Quiroz", "Solís",
         "Valer", "Yauri", "Ñaupari", "Escobar", "Lazo")

_SEASON = {("Comercial", 3): 0.3, ("Comercial", 0): -0.2, ("Producción", 0): -0.25,
           ("Almacén", 3): -0.2, ("Calidad", 1): 0.1}


class _Params:
    """The numbers that differ by shape."""

    def __init__(self, shape: str, kpi_form: str = "room"):
        if shape not in SHAPES:
            raise ValueError(f"shape must be one of {SHAPES}")
        if kpi_form not in KPI_FORMS:
            raise ValueError(f"kpi_form must be one of {KPI_FORMS}")
        self.kpi_form = kpi_form
        kpi = shape == "kpi"
        self.shape = shape
        self.skill_weight = 0.45 if kpi else 1.8  # skill deficit term in the rating latent
        self.kpi_beta = 0.55 if kpi else 0.15  # each applicable KPI latent in the rating
        self.kpi_programs = kpi  # programs move the KPI components
        self.rating_sd = 0.7  # rating noise (synthetic.py uses less)
        self.kpi_sd = 0.55
        self.h_sd0 = 0.7 if kpi else 0.4  # spread of the persistent KPI components
        self.step_sd = 0.12  # skill random walk per quarter
        self.h_step_sd = 0.15
        self.h_keep = 0.85  # persistence of the KPI components
        self.assess_sd = 0.3
        self.write_job_roles = not kpi
        self.declare_gain = not kpi


# --------------------------------------------------------------------------------------------
# Organization
# --------------------------------------------------------------------------------------------


def _quarter(key: int) -> str:
    return f"{key // 4}-Q{key % 4 + 1}"


def _key(period: str) -> int:
    y, q = period.split("-Q")
    return int(y) * 4 + int(q) - 1


def _people(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Hierarchy (GM -> area managers -> team leads -> staff), roles, places, tenure."""
    n_staff = n - 1 - len(DEPTS)
    dept = rng.choice(len(DEPTS), n_staff, p=_DEPT_P / _DEPT_P.sum())
    region = rng.choice(len(REGIONS), n_staff, p=_REGION_P / _REGION_P.sum())
    rows = [("Administración", "Lima", "Gerencia General", -1, "Gerente General")]
    heads = {}
    for d in DEPTS:
        heads[d] = len(rows)
        rows.append((d, "Lima", f"Gerencia {d}", 0, "Gerente de Área"))
    order = np.lexsort((region, dept))
    i = 0
    while i < n_staff:
        d, r = dept[order[i]], region[order[i]]
        j = i
        while j < n_staff and dept[order[j]] == d and region[order[j]] == r:
            j += 1
        cell = j - i
        k = max(1, round(cell / 10))
        sizes = np.full(k, cell // k) + (np.arange(k) < cell % k)
        for t, size in enumerate(sizes, start=1):
            team = f"{DEPTS[d]} - {REGIONS[r]} {t}"
            lead = len(rows)
            rows.append((DEPTS[d], REGIONS[r], team, heads[DEPTS[d]], "Jefe de Equipo"))
            staff = _STAFF[DEPTS[d]]
            p = np.array([s[1] for s in staff])
            for _ in range(size - 1):
                role = staff[rng.choice(len(staff), p=p / p.sum())][0]
                rows.append((DEPTS[d], REGIONS[r], team, lead, role))
        i = j
    df = pd.DataFrame(rows, columns=["department", "location", "team", "mgr", "job_role"])
    lvl = df["job_role"].map({"Gerente General": 0, "Gerente de Área": 1,
                              "Jefe de Equipo": 2}).fillna(3).to_numpy()
    m = len(df)
    tenure = np.minimum(rng.gamma(1.3, 4.0, m), 32.0)
    tenure = np.where(lvl <= 1, rng.uniform(5.0, 30.0, m), tenure)
    tenure = np.where(lvl == 2, rng.uniform(2.0, 22.0, m), tenure)
    df["tenure_end"] = tenure
    df["age"] = np.clip(np.floor(20.0 + tenure + rng.gamma(2.5, 3.5, m)), 19, 64)
    return df


def _employees_csv(people: pd.DataFrame, ids: np.ndarray, end_key: int,
                   rng: np.random.Generator, missing: float) -> pd.DataFrame:
    m = len(people)
    female = rng.random(m) < 0.47
    first = np.array(_FIRST)[rng.integers(0, len(_FIRST), m)]
    last = np.array(_LAST)[rng.integers(0, len(_LAST), (m, 2))]
    names = [f"{f} {a} {b}" for f, a, b in zip(first, last[:, 0], last[:, 1], strict=True)]
    emails = [f"u{eid}@corp-andina.pe" for eid in ids]
    end_day = pd.Timestamp(year=end_key // 4, month=3 * (end_key % 4) + 1, day=1) \
        + pd.offsets.QuarterEnd(0)
    hire = [(end_day - pd.Timedelta(days=int(t * 365.25))).strftime("%Y-%m-%d")
            for t in people["tenure_end"]]
    mgr = people["mgr"].to_numpy()
    birth = (end_key // 4 - people["age"].to_numpy()).astype(int)
    df = pd.DataFrame({
        "employee_id": ids,
        "full_name": names,
        "email": emails,
        "department": people["department"],
        "team": people["team"],
        "manager_id": [ids[k] if k >= 0 else None for k in mgr],
        "job_role": people["job_role"],
        "location": people["location"],
        "hire_date": hire,
        "birth_year": pd.array(birth, dtype="Int64"),
        "gender": np.where(female, "F", "M"),
    })
    for c in ("birth_year", "gender"):
        df[c] = df[c].mask(rng.random(m) < missing)
    return df


def _role_arrays(roles: np.ndarray) -> dict[str, np.ndarray]:
    tgt = np.array([[ROLES[r].get(s, 0.0) for s in SKILLS] for r in roles])
    need = tgt > 0
    w = np.where(need, tgt - 1.0, 0.0)
    w = w / w.sum(axis=1, keepdims=True)
    return {"tgt": tgt, "need": need, "w": w}


def _kpi_applies(dept: np.ndarray, roles: np.ndarray) -> np.ndarray:
    out = np.zeros((dept.size, len(KPIS)), dtype=bool)
    for k, name in enumerate(KPIS):
        ds = _KPI_DEPTS[name]
        out[:, k] = True if ds is None else np.isin(dept, ds)
    lead = np.isin(roles, ("Gerente General", "Gerente de Área", "Jefe de Equipo"))
    out[lead, KPIS.index("cumplimiento_plazos")] = True
    return out


_C = np.zeros((len(KPIS), len(SKILLS)))
for _k, _loads in _KPI_SKILL.items():
    for _s, _v in _loads.items():
        _C[KPIS.index(_k), _S[_s]] = _v


# --------------------------------------------------------------------------------------------
# Structural equations
# --------------------------------------------------------------------------------------------


def _tenure_skill(ten: np.ndarray) -> np.ndarray:
    """New people learn a skill faster: 1.45 at hire down to 0.7 after ten years."""
    return np.clip(1.45 - 0.075 * ten, 0.7, 1.45)


def _tenure_kpi(ten: np.ndarray) -> np.ndarray:
    """KPI habits change most in mid-tenure (inverted U around four years)."""
    return 0.4 + 0.8 * np.exp(-(((ten - 4.0) / 4.0) ** 2))


def _skill_gain(x, ra, apt, ten, p: int) -> np.ndarray:
    """Linear in the gap beyond a 0.4 threshold, capped at 1.6 levels of gap."""
    gap = np.where(ra["need"], ra["tgt"] - x, 0.3 * (3.0 - x))
    lin = np.clip(gap - 0.4, 0.0, 1.6) * 0.75
    scale = (apt ** _APT_EXP[p] * _tenure_skill(ten))[..., None]
    return _STRENGTH[p] * _LOAD[p] * lin * scale


def _kpi_gain(hmean, app, ten, apt, p: int, prm: _Params) -> np.ndarray:
    """Raise of the persistent KPI components: linear in the shortfall below the norm, or
    as ``prm.kpi_form`` says."""
    if not prm.kpi_programs:
        return np.zeros_like(hmean)
    if prm.kpi_form == "even":
        short = np.full_like(hmean, 0.6)
    elif prm.kpi_form == "best":
        short = 0.6 * np.clip(hmean + 1.0, 0.0, 2.0)
    else:
        short = np.clip(0.3 - hmean, 0.0, 2.0)
    scale = (_tenure_kpi(ten) * apt ** 0.3)[..., None]
    return np.where(app, _KEFF[p] * short * scale, 0.0)


def _mu(x, h, ra, app, u, season, prm: _Params) -> np.ndarray:
    """Mean rating latent: linear deficit below (target - 0.25), flat above, plus KPIs."""
    deficit = np.minimum(x - ra["tgt"] + 0.25, 0.0)
    skill = prm.skill_weight * np.sum(np.where(ra["need"], ra["w"] * deficit, 0.0), axis=-1)
    z = (x - 3.0) @ _C.T + h
    kpi = prm.kpi_beta * np.sum(np.where(app, z, 0.0), axis=-1)
    return skill + kpi + u + season


def _sd(app, prm: _Params) -> np.ndarray:
    var = prm.rating_sd ** 2 + (prm.kpi_beta * prm.kpi_sd) ** 2 * app.sum(axis=-1)
    return np.sqrt(var)


def _drift(x, ra, apt) -> np.ndarray:
    learn = 0.04 * (0.6 + 0.4 * apt)[..., None] * np.maximum(ra["tgt"] - x, 0.0) - 0.015
    return np.where(ra["need"], learn, -0.012 * (x - 2.5))


def _season(dept: np.ndarray, key: int) -> np.ndarray:
    q = key % 4
    return np.array([_SEASON.get((d, q), 0.0) for d in dept])


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def generate_alt(n_employees: int = 1500, n_quarters: int = 8, seed: int = 7, *,
                 shape: str = "threshold", out_dir: str | Path | None = None,
                 end_period: str = END_PERIOD, missing_rate: float = 0.05,
                 outlier_rate: float = 0.01, draws: int = 256, kpi_form: str = "room"
                 ) -> Path:
    """Simulate an organization and write its canonical CSV files and ground truth.

    Parameters
    ----------
    n_employees, n_quarters, seed
        Headcount at the end, quarters of history (>= 3), everything random from ``seed``.
    shape
        ``"threshold"`` or ``"kpi"`` (see the module docstring).
    out_dir
        Folder to write into (a new temporary folder when ``None``).
    missing_rate, outlier_rate
        Share of blank skill / KPI cells, and of KPI cells replaced by unit errors.
    draws
        Monte Carlo draws of the next quarter for the ground truth (>= 200).
    kpi_form
        Who a course's KPI effect helps (``"kpi"`` shape): ``"room"``, ``"even"`` or
        ``"best"`` (see the module docstring); the rest of the organization is the same.

    Returns
    -------
    Path
        The folder holding employees.csv, performance.csv, programs.csv,
        training_records.csv, job_roles.csv (threshold shape only) and ground_truth.csv.
    """
    if n_employees < 30 or n_quarters < 3:
        raise ValueError("need at least 30 employees and 3 quarters")
    if draws < 200:
        raise ValueError("draws must be at least 200")
    prm = _Params(shape, kpi_form)
    out = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="alt_org_"))
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 2025, SHAPES.index(shape)])
    r_org, r_sim, r_gt, r_obs = (np.random.default_rng(s) for s in rng.integers(0, 2**62, 4))

    end_key = _key(end_period)
    start_key = end_key - n_quarters + 1
    people = _people(n_employees, r_org)
    m = len(people)
    ids = np.array([f"{v:06d}" for v in r_org.choice(np.arange(1, 999_999), m, replace=False)])
    emp = _employees_csv(people, ids, end_key, r_org, missing_rate)
    dept = people["department"].to_numpy()
    roles = people["job_role"].to_numpy()
    ra = _role_arrays(roles)
    app = _kpi_applies(dept, roles)
    hire_key = end_key - np.floor(people["tenure_end"].to_numpy() * 4).astype(int)

    # Hidden traits.
    apt = np.exp(r_sim.normal(0.0, 0.35, m))
    u = 0.35 * (0.4 * np.log(apt) / 0.35 + np.sqrt(0.84) * r_sim.standard_normal(m))
    ten0 = np.maximum((start_key - hire_key) / 4.0, 0.0)
    base_gap = 1.2 - 0.8 * (1.0 - np.exp(-ten0 / 3.0)) + r_sim.normal(0.0, 0.25, m)
    x = np.where(ra["need"], ra["tgt"] - base_gap[:, None]
                 - r_sim.normal(0.0, 0.6, (m, len(SKILLS))),
                 r_sim.normal(2.5, 0.7, (m, len(SKILLS))))
    x = np.clip(x, 1.0, 5.0)
    h = r_sim.normal(0.0, prm.h_sd0, (m, len(KPIS)))
    sd = _sd(app, prm)

    done = np.zeros((m, _NP), dtype=bool)
    cuts = None
    perf_rows, rec_rows = [], []
    prev_rating = np.full(m, 3.0)
    prev_obs = None
    affinity = np.zeros((m, _NP))
    for p, c in enumerate(_CATALOG):
        for d in DEPTS:
            if c[11] and any(d in (_KPI_DEPTS[k] or DEPTS) for k in c[11]):
                affinity[dept == d, p] += 0.4
    dept_bias = dict(zip(DEPTS, (0.1, 0.35, -0.1, -0.25, 0.15, -0.2), strict=True))
    bias = np.array([dept_bias[d] for d in dept])
    for t in range(n_quarters):
        key = start_key + t
        act = hire_key <= key
        ten = np.maximum((key - hire_key) / 4.0, 0.0)
        mu = _mu(x, h, ra, app, u, _season(dept, key), prm)
        z = (x - 3.0) @ _C.T + h + prm.kpi_sd * r_sim.standard_normal((m, len(KPIS)))
        lat = mu + prm.kpi_beta * np.sum(np.where(app, z - ((x - 3.0) @ _C.T + h), 0.0),
                                         axis=-1) + prm.rating_sd * r_sim.standard_normal(m)
        if cuts is None:
            cuts = np.quantile(lat[act], (0.06, 0.18, 0.62, 0.9))
        rating = 1 + np.sum(lat[:, None] > cuts[None, :], axis=1)
        obs = np.clip(np.round(2.0 * (x + prm.assess_sd * r_sim.standard_normal(x.shape)))
                      / 2.0, 1.0, 5.0)
        perf_rows.append((t, act.copy(), rating.copy(), z.copy(), obs.copy()))

        gain = np.zeros_like(x)
        hgain = np.zeros_like(h)
        if t >= 1:
            deficit = np.where(ra["need"], np.maximum(ra["tgt"] - prev_obs, 0.0), 0.0)
            mean_def = deficit.sum(axis=1) / ra["need"].sum(axis=1)
            p_take = expit(-2.1 + 0.75 * (3.0 - prev_rating) + 0.7 * mean_def + bias
                           + 0.4 * (ten < 1.0))
            takes = act & (r_sim.random(m) < p_take)
            util = (1.3 * deficit @ _LOAD.T + affinity + _POP - 4.0 * done
                    + r_sim.gumbel(size=(m, _NP)))
            ok = ~((_PREREQ[None] & ~done[:, None, :]).any(axis=2))
            prog = np.argmax(np.where(ok, util, -np.inf), axis=1)
            who = np.flatnonzero(takes)
            last = t == n_quarters - 1
            p_drop = expit(-2.4 - 1.6 * (apt[who] - 1.0) + 0.02 * (_HOURS[prog[who]] - 20.0))
            drop = np.zeros(who.size, dtype=bool) if last else r_sim.random(who.size) < p_drop
            for i, e in enumerate(who):
                p = prog[e]
                if last:
                    status, score = "enrolled", np.nan
                elif drop[i]:
                    status, score = "dropped", np.nan
                else:
                    status = "completed"
                    score = float(np.clip(round(58 + 25 * (apt[e] - 1.0)
                                                + 9 * r_sim.standard_normal(), 1), 0, 100))
                rec_rows.append((e, p, t, status, score))
            if not last:
                fin = who[~drop]
                for p in np.unique(prog[fin]):
                    sel = fin[prog[fin] == p]
                    sub = {k: v[sel] for k, v in ra.items()}
                    gain[sel] += _skill_gain(x[sel], sub, apt[sel], ten[sel], int(p))
                    hgain[sel] += _kpi_gain(h[sel] + (x[sel] - 3.0) @ _C.T, app[sel],
                                            ten[sel], apt[sel], int(p), prm)
                done[fin, prog[fin]] = True
        prev_rating = np.where(act, rating, 3.0)
        prev_obs = obs
        if t < n_quarters - 1:
            step = _drift(x, ra, apt) + prm.step_sd * r_sim.standard_normal(x.shape)
            x = np.clip(x + np.where(act[:, None], step, 0.0) + gain, 1.0, 5.0)
            h = (prm.h_keep * h + prm.h_step_sd * r_sim.standard_normal(h.shape) + hgain)

    # Ground truth for the quarter after the last one.
    ten_end = np.maximum((end_key - hire_key) / 4.0, 0.0)
    season = _season(dept, end_key + 1)
    gt = np.empty((m, _NP))
    chunk = 400
    for lo in range(0, m, chunk):
        sl = slice(lo, min(lo + chunk, m))
        k = sl.stop - sl.start
        sub = {a: v[sl] for a, v in ra.items()}
        xs, hs = x[sl], h[sl]
        ex = prm.step_sd * r_gt.standard_normal((k, draws, len(SKILLS)))
        eh = prm.h_step_sd * r_gt.standard_normal((k, draws, len(KPIS)))
        raw_x = xs[:, None] + _drift(xs, sub, apt[sl])[:, None] + ex
        raw_h = prm.h_keep * hs[:, None] + eh
        sub3 = {a: v[:, None] for a, v in sub.items()}
        app3, u3, s3 = app[sl][:, None], u[sl][:, None], season[sl][:, None]
        scale = sd[sl][:, None, None]

        def expected(xx, hh, sub3=sub3, app3=app3, u3=u3, s3=s3, scale=scale):
            mu = _mu(xx, hh, sub3, app3, u3, s3, prm)
            return (1.0 + ndtr((mu[..., None] - cuts) / scale).sum(axis=-1)).mean(axis=1)

        e0 = expected(np.clip(raw_x, 1.0, 5.0), raw_h)
        hmean = hs + (xs - 3.0) @ _C.T
        for p in range(_NP):
            g = _skill_gain(xs, sub, apt[sl], ten_end[sl], p)
            hg = _kpi_gain(hmean, app[sl], ten_end[sl], apt[sl], p, prm)
            gt[sl, p] = expected(np.clip(raw_x + g[:, None], 1.0, 5.0),
                                 raw_h + hg[:, None]) - e0

    _write(out, prm, emp, ids, people, perf_rows, rec_rows, start_key, gt, end_key,
           r_obs, missing_rate, outlier_rate)
    return out


def _write(out: Path, prm: _Params, emp, ids, people, perf_rows, rec_rows, start_key, gt,
           end_key, rng, missing, outliers) -> None:
    frames = []
    for t, act, rating, z, obs in perf_rows:
        idx = np.flatnonzero(act)
        f = pd.DataFrame({"employee_id": ids[idx], "period": _quarter(start_key + t),
                          "performance_rating": rating[idx].astype(float)})
        app = _kpi_applies(people["department"].to_numpy()[idx],
                           people["job_role"].to_numpy()[idx])
        for k, name in enumerate(KPIS):
            a, b, nd = _KPI_OBS[name]
            v = a + b * z[idx, k]
            v = np.maximum(v, 0.0)
            v = np.round(v, nd)
            wild = rng.random(idx.size) < outliers
            v = np.where(wild, v * 100.0 + 7.0, v)
            v = np.where(app[:, k] & (rng.random(idx.size) >= missing), v, np.nan)
            f["kpi_" + name] = v
        skipped = rng.random(idx.size) < missing / 2
        for j, s in enumerate(SKILLS):
            v = obs[idx, j]
            blank = skipped | (rng.random(idx.size) < missing / 2)
            f["skill_" + s] = np.where(blank, np.nan, v)
        # A few ratings not entered.
        f.loc[rng.random(idx.size) < 0.005, "performance_rating"] = np.nan
        frames.append(f)
    perf = pd.concat(frames, ignore_index=True).sort_values(["employee_id", "period"])
    perf.to_csv(out / "performance.csv", index=False)
    emp.to_csv(out / "employees.csv", index=False)

    progs = pd.DataFrame({
        "program_id": _PIDS,
        "title_es": [c[1] for c in _CATALOG],
        "title_en": [c[2] for c in _CATALOG],
        "description": [f"{c[1]}: curso de {int(c[4])} horas ({c[6]})." for c in _CATALOG],
        "target_skills": [";".join(c[3]) for c in _CATALOG],
        "hours": [float(c[4]) for c in _CATALOG],
        "cost_pen": [c[5] for c in _CATALOG],
        "modality": [c[6] for c in _CATALOG],
        "provider": [c[7] for c in _CATALOG],
        "prerequisites": [c[8] for c in _CATALOG],
    })
    if prm.declare_gain:
        progs["expected_gain"] = [c[9] for c in _CATALOG]
    progs.to_csv(out / "programs.csv", index=False)

    recs = pd.DataFrame(rec_rows, columns=["e", "p", "t", "status", "score"])
    trs = pd.DataFrame({
        "employee_id": ids[recs["e"].to_numpy(dtype=int)],
        "program_id": np.array(_PIDS)[recs["p"].to_numpy(dtype=int)],
        "period": [_quarter(start_key + int(t)) for t in recs["t"]],
        "status": recs["status"],
        "score": recs["score"],
    })
    trs.to_csv(out / "training_records.csv", index=False)

    if prm.write_job_roles:
        used = sorted(set(people["job_role"]))
        pd.DataFrame([(r, s, v) for r in used for s, v in ROLES[r].items()],
                     columns=["job_role", "skill", "target_level"]).to_csv(
            out / "job_roles.csv", index=False)

    pd.DataFrame({
        "employee_id": np.repeat(ids, _NP),
        "program_id": np.tile(np.array(_PIDS), len(ids)),
        "period": _quarter(end_key),
        "true_gain": gt.ravel(),
    }).sort_values(["employee_id", "program_id"]).to_csv(out / "ground_truth.csv", index=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--employees", type=int, default=1500)
    ap.add_argument("--quarters", type=int, default=8)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--shape", choices=SHAPES, default="threshold")
    ap.add_argument("--kpi-form", choices=KPI_FORMS, default="room")
    a = ap.parse_args(argv)
    path = generate_alt(a.employees, a.quarters, a.seed, shape=a.shape, out_dir=a.out_dir,
                        kpi_form=a.kpi_form)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
