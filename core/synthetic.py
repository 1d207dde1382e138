"""A synthetic Peruvian organization whose true training effects are known.

The benchmark needs data where the right answer is known: this module simulates an
organization quarter by quarter from explicit structural equations (skills -> KPIs -> rating,
training -> next-quarter skills), writes it in the canonical upload format of
:mod:`core.contract`, and computes for every employee and program the true expected gain in
next-quarter rating. Nothing downstream may import the hidden state (aptitude, individual
effect, true skill levels): a recommender must learn the effects from the files alone.

Structural model in brief (one quarter ``t``; ``X`` are true skill levels 1-5):

* rating latent ``L = S(X) + sum_k beta_k z_k + u_i + season(dept, quarter) + e``, where
  ``S`` is the role-weighted skill gap term (a point below the role target costs more than a
  point above helps), ``z_k`` are KPI latents linear in skills plus noise, ``u_i`` a
  persistent individual effect; the rating is ``1 + #{L > c_j}`` for four thresholds
  calibrated once on the first quarter (imbalanced: few 1-2, mostly 3-4);
* ``X_{t+1} = clip(X_t + on-the-job learning + noise + training gain, 1, 5)``; a program
  completed in quarter ``t`` raises its target skills by
  ``strength * load * aptitude**k_modality * relevance * (1 - exp(-(gap + 0.2)^+ / 0.7))``;
* observed skills are the true ones plus assessment noise, rounded to one decimal.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr

from core.contract import (
    CANONICAL_FILES,
    DEPARTMENTS,
    EMPLOYEES,
    GROUND_TRUTH_FILE,
    JOB_ROLES,
    KPI_PREFIX,
    LOCATIONS,
    MODALITIES,
    PERFORMANCE,
    PROGRAMS,
    RATING_MIN,
    SKILL_MAX,
    SKILL_MIN,
    SKILL_PREFIX,
    TRAINING_RECORDS,
    period_key,
    shift_period,
)

__all__ = ["KPIS", "SKILLS", "SyntheticOrg", "generate"]

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

SKILLS: tuple[str, ...] = (
    "comunicacion",
    "negociacion",
    "atencion_cliente",
    "excel",
    "analisis_datos",
    "liderazgo",
    "gestion_tiempo",
    "programacion",
    "seguridad",
    "ventas_consultivas",
)
KPIS: tuple[str, ...] = ("csat", "sales_attainment", "absenteeism_days", "error_rate")
_SK = {s: j for j, s in enumerate(SKILLS)}

_FEMALE_NAMES = (
    "María", "Rosa", "Carmen", "Ana", "Luz", "Juana", "Elizabeth", "Milagros", "Gladys",
    "Patricia", "Julia", "Lucía", "Sofía", "Valeria", "Camila", "Andrea", "Daniela", "Fiorella",
    "Karen", "Katherine", "Jessica", "Diana", "Verónica", "Silvia", "Flor", "Yolanda", "Mariela",
    "Roxana", "Sandra", "Claudia", "Gabriela", "Pamela", "Ximena", "Alejandra", "Nataly",
    "Miriam", "Edith", "Maribel", "Susana", "Teresa",
)
_MALE_NAMES = (
    "José", "Juan", "Luis", "Carlos", "Jorge", "Miguel", "César", "Víctor", "Pedro", "Manuel",
    "Jesús", "Alberto", "Fernando", "Ricardo", "Roberto", "Javier", "Raúl", "Walter", "Eduardo",
    "Julio", "Óscar", "Percy", "Wilmer", "Edwin", "Renzo", "Diego", "Sebastián", "Mateo",
    "Alonso", "Gonzalo", "Christian", "Franco", "Hugo", "Álvaro", "Martín", "Rodrigo", "Jhon",
    "Elmer", "Segundo", "Marco",
)
_SURNAMES = (
    "Quispe", "Flores", "Sánchez", "Rodríguez", "García", "Mamani", "Huamán", "Rojas", "Chávez",
    "Díaz", "Vásquez", "Torres", "Ramírez", "Mendoza", "Castillo", "Gonzales", "López", "Pérez",
    "Espinoza", "Cruz", "Ramos", "Gutiérrez", "Romero", "Ruiz", "Condori", "Vargas", "Fernández",
    "Castro", "Salazar", "Álvarez", "Hernández", "Morales", "Jiménez", "Córdova", "Reyes",
    "Ccama", "Apaza", "Huanca", "Cáceres", "Paredes", "Medina", "Aguilar", "Cárdenas", "Herrera",
    "Silva", "Campos", "Vega", "Delgado", "Ríos", "Soto", "Cabrera", "Villanueva", "Palomino",
    "Ticona", "Choque", "Yupanqui", "Vilca", "Zapata", "Carrillo", "Valdivia", "Benites",
    "Alarcón", "Navarro", "Guerrero", "Muñoz", "Peña", "Lozano", "Salas", "Arias", "Ortiz",
    "Contreras", "Marín", "Cueva", "Tello", "Cisneros", "Huarcaya", "Llanos", "Pinto",
    "Sulca", "Cahuana", "Inga", "Atoche", "Chumpitaz", "Ñahui", "Bustamante", "Olivares",
)

# Department shares of headcount, gender mix (share F) and whether staff is spread over the
# regions or sits mostly in Lima.
_DEPT_SHARE = {
    "Atención al Cliente": 0.24,
    "Ventas": 0.22,
    "Operaciones": 0.17,
    "Logística": 0.13,
    "TI": 0.09,
    "Finanzas": 0.08,
    "RR.HH.": 0.07,
}
_DEPT_FEMALE = {
    "Atención al Cliente": 0.62,
    "Ventas": 0.48,
    "Operaciones": 0.38,
    "Logística": 0.28,
    "TI": 0.30,
    "Finanzas": 0.55,
    "RR.HH.": 0.70,
}
_FIELD_DEPTS = ("Atención al Cliente", "Ventas", "Operaciones", "Logística")
_LOC_P_FIELD = dict(zip(LOCATIONS, (0.45, 0.13, 0.12, 0.08, 0.09, 0.08, 0.05), strict=False))
_LOC_P_OFFICE = {"Lima": 0.85, "Arequipa": 0.10, "Trujillo": 0.05}
_GM_DEPARTMENT = "Operaciones"  # DEPARTMENTS has no "Gerencia General"; the team says it.

# Staff roles per department: (role, share of the department's staff, {skill: target}).
_STAFF_ROLES: dict[str, tuple[tuple[str, float, dict[str, float]], ...]] = {
    "Atención al Cliente": (
        ("Asesor de Atención al Cliente", 0.8,
         {"atencion_cliente": 4, "comunicacion": 4, "gestion_tiempo": 3, "excel": 3}),
        ("Supervisor de Calidad de Servicio", 0.2,
         {"atencion_cliente": 4, "comunicacion": 4, "analisis_datos": 3, "liderazgo": 3}),
    ),
    "Ventas": (
        ("Ejecutivo de Ventas", 0.75,
         {"ventas_consultivas": 4, "negociacion": 4, "comunicacion": 4, "gestion_tiempo": 3}),
        ("Asistente Comercial", 0.25,
         {"atencion_cliente": 3, "excel": 3, "comunicacion": 3, "ventas_consultivas": 3}),
    ),
    "Operaciones": (
        ("Analista de Operaciones", 0.5,
         {"analisis_datos": 4, "excel": 4, "gestion_tiempo": 3, "seguridad": 3}),
        ("Técnico de Operaciones", 0.5, {"seguridad": 4, "gestion_tiempo": 3, "excel": 3}),
    ),
    "Logística": (
        ("Coordinador Logístico", 0.4,
         {"gestion_tiempo": 4, "excel": 3, "negociacion": 3, "seguridad": 3}),
        ("Operario de Almacén", 0.6, {"seguridad": 4, "gestion_tiempo": 3, "comunicacion": 3}),
    ),
    "TI": (
        ("Desarrollador", 0.65,
         {"programacion": 5, "analisis_datos": 3, "gestion_tiempo": 3, "comunicacion": 3}),
        ("Analista de Soporte TI", 0.35,
         {"atencion_cliente": 3, "programacion": 3, "comunicacion": 3, "gestion_tiempo": 3}),
    ),
    "Finanzas": (
        ("Analista Financiero", 0.6,
         {"excel": 5, "analisis_datos": 4, "gestion_tiempo": 3, "comunicacion": 3}),
        ("Asistente Contable", 0.4, {"excel": 4, "gestion_tiempo": 3, "analisis_datos": 3}),
    ),
    "RR.HH.": (
        ("Analista de RR.HH.", 0.7,
         {"comunicacion": 4, "liderazgo": 3, "excel": 3, "gestion_tiempo": 3}),
        ("Asistente de RR.HH.", 0.3, {"comunicacion": 3, "excel": 3, "atencion_cliente": 3}),
    ),
}
_DEPT_KEY_SKILL = {
    "Atención al Cliente": "atencion_cliente",
    "Ventas": "ventas_consultivas",
    "Operaciones": "analisis_datos",
    "Logística": "seguridad",
    "TI": "programacion",
    "Finanzas": "excel",
    "RR.HH.": "negociacion",
}
_GM_ROLE = "Gerente General"


def _role_table() -> dict[str, dict[str, float]]:
    """Every job role with the skills it needs and their target levels."""
    roles: dict[str, dict[str, float]] = {
        _GM_ROLE: {"liderazgo": 5, "comunicacion": 5, "negociacion": 4, "analisis_datos": 4},
    }
    for dept in DEPARTMENTS:
        key = _DEPT_KEY_SKILL[dept]
        roles[f"Gerente de {dept}"] = {
            "liderazgo": 5, "comunicacion": 4, "negociacion": 4, "analisis_datos": 3, key: 4,
        }
        roles[f"Jefe de {dept}"] = {
            "liderazgo": 4, "comunicacion": 4, "gestion_tiempo": 4, key: 4,
        }
        for role, _, targets in _STAFF_ROLES[dept]:
            roles[role] = dict(targets)
    return {r: {s: float(v) for s, v in t.items()} for r, t in roles.items()}


_ROLES = _role_table()
_ROLE_NAMES = tuple(_ROLES)
_RI = {r: i for i, r in enumerate(_ROLE_NAMES)}

# KPIs: latent z_k = sum_s load * (X_s - 3) + season + noise(sd); beta_k enters the rating.
_KPI_LOAD = np.zeros((len(KPIS), len(SKILLS)))
for _k, _loads in enumerate((
    {"atencion_cliente": 0.5, "comunicacion": 0.3},
    {"ventas_consultivas": 0.5, "negociacion": 0.35},
    {"gestion_tiempo": -0.25},
    {"excel": -0.3, "analisis_datos": -0.25, "seguridad": -0.3, "programacion": -0.15},
)):
    for _s, _v in _loads.items():
        _KPI_LOAD[_k, _SK[_s]] = _v
_KPI_SD = np.array([0.6, 0.7, 0.8, 0.6])
_KPI_BETA = np.array([0.15, 0.20, -0.10, -0.15])
_ABSENT_U_LOAD = -0.8  # absenteeism also reflects the individual effect
_RATING_SD = 0.45
_SKILL_STEP_SD = 0.06
_ASSESS_SD = 0.15
_OTJ_RATE = 0.035
_OBSOLESCENCE = 0.02  # methods and tools change: needed skills erode without learning
_RATING_CUM_SHARE = (0.035, 0.13, 0.58, 0.89)  # calibration of the four thresholds


def _kpi_applies(role: str) -> tuple[bool, bool, bool, bool]:
    """Which KPIs are measured for a role (others are NaN, not missing data)."""
    dept = next((d for d in DEPARTMENTS if role.endswith(d)), None)
    staff_dept = next((d for d, rs in _STAFF_ROLES.items() if role in {r[0] for r in rs}), None)
    d = staff_dept or (dept if role.startswith("Jefe de") else None)
    csat = d in ("Atención al Cliente", "Ventas") or role == "Analista de Soporte TI"
    sales = d == "Ventas"
    error = d in ("Operaciones", "Logística", "Finanzas") or role == "Desarrollador"
    return csat, sales, True, error


# Seasonality: latent rating shift per department and quarter (Q1..Q4), and the sales KPI.
_SEASON = {
    "Ventas": (-0.10, 0.0, 0.0, 0.15),
    "Atención al Cliente": (0.0, 0.0, 0.05, -0.15),
    "Logística": (0.0, 0.0, 0.0, -0.10),
    "Operaciones": (-0.05, 0.0, 0.0, 0.0),
}
_SALES_SEASON = (-0.3, 0.0, 0.0, 0.5)

# --------------------------------------------------------------------------------------------
# Training catalog
# --------------------------------------------------------------------------------------------

# (id, title_es, title_en, description, {skill: load}, hours, cost, modality, provider,
#  prerequisites, declared expected_gain, true strength, department preferences, popularity)
_CATALOG = (
    ("P01", "Negociación efectiva", "Effective negotiation",
     "Técnicas de negociación colaborativa, manejo de objeciones y cierre de acuerdos.",
     {"negociacion": 1.0, "ventas_consultivas": 0.4}, 24, 1450.00, "presencial",
     "Escuela de Negocios del Pacífico", "", 0.8, 1.0, ("Ventas", "Logística"), 0.0),
    ("P02", "Excel avanzado para la gestión", "Advanced Excel for management",
     "Tablas dinámicas, fórmulas avanzadas y automatización de reportes.",
     {"excel": 1.0, "analisis_datos": 0.3}, 20, 620.00, "virtual",
     "Instituto Peruano de Computación Empresarial", "", 0.9, 1.1,
     ("Finanzas", "Operaciones", "RR.HH."), 0.2),
    ("P03", "Excelencia en atención al cliente", "Customer service excellence",
     "Protocolos de servicio, empatía, manejo de reclamos y fidelización.",
     {"atencion_cliente": 1.0, "comunicacion": 0.4}, 16, 890.00, "mixta",
     "Centro de Formación Andina", "", 0.7, 0.9, ("Atención al Cliente",), 0.1),
    ("P04", "Análisis de datos con Power BI", "Data analysis with Power BI",
     "Modelado de datos, indicadores y tableros para la toma de decisiones.",
     {"analisis_datos": 1.0, "excel": 0.3}, 32, 1780.00, "virtual",
     "Instituto Peruano de Computación Empresarial", "P02", 0.8, 0.95,
     ("Operaciones", "Finanzas"), 0.0),
    ("P05", "Liderazgo de equipos", "Team leadership",
     "Dirección de equipos, retroalimentación, delegación y gestión del desempeño.",
     {"liderazgo": 1.0, "comunicacion": 0.3}, 40, 2650.00, "presencial",
     "Escuela de Negocios del Pacífico", "P10", 1.0, 0.9, ("RR.HH.",), 0.1),
    ("P06", "Gestión del tiempo y productividad", "Time management and productivity",
     "Planificación, priorización y hábitos de productividad personal.",
     {"gestion_tiempo": 1.0}, 8, 320.00, "virtual",
     "Academia Inca Garcilaso de Capacitación", "", 0.7, 0.2,
     ("Logística", "Atención al Cliente"), 0.6),
    ("P07", "Programación en Python", "Python programming",
     "Fundamentos de Python, pruebas y automatización de procesos.",
     {"programacion": 1.0, "analisis_datos": 0.4}, 60, 3200.00, "mixta",
     "Academia Andina de Tecnología", "", 1.2, 1.3, ("TI",), 0.0),
    ("P08", "Seguridad y salud en el trabajo", "Occupational health and safety",
     "Ley 29783, identificación de peligros, IPERC y respuesta ante emergencias.",
     {"seguridad": 1.0}, 24, 780.00, "presencial",
     "Instituto de Seguridad Industrial del Perú", "", 0.6, 0.85,
     ("Operaciones", "Logística"), 0.2),
    ("P09", "Ventas consultivas", "Consultative selling",
     "Diagnóstico de necesidades del cliente, propuesta de valor y venta de soluciones.",
     {"ventas_consultivas": 1.0, "negociacion": 0.3, "comunicacion": 0.2}, 28, 1650.00, "mixta",
     "Escuela de Negocios del Pacífico", "P01", 0.9, 0.8, ("Ventas",), 0.0),
    ("P10", "Comunicación asertiva", "Assertive communication",
     "Escucha activa, comunicación asertiva y manejo de conflictos en el trabajo.",
     {"comunicacion": 1.0}, 12, 450.00, "virtual",
     "Centro de Formación Andina", "", 0.6, 0.15, ("RR.HH.", "Atención al Cliente"), 0.7),
)
_PROGRAM_IDS = tuple(c[0] for c in _CATALOG)
_NP = len(_CATALOG)
_PROG_LOAD = np.zeros((_NP, len(SKILLS)))
for _p, _c in enumerate(_CATALOG):
    for _s, _v in _c[4].items():
        _PROG_LOAD[_p, _SK[_s]] = _v
_PROG_STRENGTH = np.array([c[11] for c in _CATALOG])
_PROG_HOURS = np.array([c[5] for c in _CATALOG], dtype=float)
# How strongly learning depends on aptitude: self-paced virtual courses need it most.
_MODALITY_APT_EXP = {"presencial": 0.6, "mixta": 1.0, "virtual": 1.6}
_PROG_APT_EXP = np.array([_MODALITY_APT_EXP[c[7]] for c in _CATALOG])
_PROG_VIRTUAL = np.array([c[7] == "virtual" for c in _CATALOG])
_PROG_PREREQ = np.zeros((_NP, _NP), dtype=bool)  # [p, q]: p needs q
for _p, _c in enumerate(_CATALOG):
    for _q in filter(None, _c[9].split(";")):
        _PROG_PREREQ[_p, _PROGRAM_IDS.index(_q)] = True
_PROG_POPULARITY = np.array([c[13] for c in _CATALOG])
_NOT_NEEDED_RELEVANCE = 0.35
_NOT_NEEDED_REFERENCE = 3.0


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


@dataclass
class SyntheticOrg:
    """The canonical tables of one simulated organization plus its ground truth.

    Missing text (``manager_id`` of the general manager, empty ``prerequisites``) is NaN, the
    way :func:`pandas.read_csv` returns an empty cell, so a written-and-read org equals this.

    Attributes
    ----------
    employees, performance, programs, training_records, job_roles
        The canonical files of :data:`core.contract.CANONICAL_FILES`, columns in contract
        order (``performance`` adds ``kpi_*`` and ``skill_*`` columns).
    ground_truth
        ``employee_id, program_id, period, true_gain``: expected change in the rating of the
        quarter after ``period`` if the employee completed the program in ``period``.
    """

    employees: pd.DataFrame
    performance: pd.DataFrame
    programs: pd.DataFrame
    training_records: pd.DataFrame
    job_roles: pd.DataFrame
    ground_truth: pd.DataFrame

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write the canonical CSV files and the ground truth, so they can be uploaded.

        Parameters
        ----------
        out_dir
            Folder to write into (created if missing).

        Returns
        -------
        dict
            Kind (``employees``, ..., ``ground_truth``) -> path written.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        for kind, name in CANONICAL_FILES.items():
            paths[kind] = out / name
            getattr(self, kind).to_csv(paths[kind], index=False, encoding="utf-8")
        paths["ground_truth"] = out / GROUND_TRUTH_FILE
        self.ground_truth.to_csv(paths["ground_truth"], index=False, encoding="utf-8")
        return paths


def generate(
    n_employees: int = 600,
    n_quarters: int = 10,
    seed: int = 42,
    *,
    end_period: str = "2026-Q3",
    missing_rate: float = 0.02,
    outlier_rate: float = 0.005,
    noise: float = 1.0,
) -> SyntheticOrg:
    """Simulate an organization with known training effects, deterministically from ``seed``.

    Parameters
    ----------
    n_employees
        Headcount at ``end_period`` (at least 20). Nobody leaves; people hired during the
        window have performance rows from their hire quarter on.
    n_quarters
        Quarters of history, the last one being ``end_period``.
    seed
        Everything random comes from ``numpy.random.default_rng(seed)``.
    end_period
        Last quarter, ``YYYY-Qn``.
    missing_rate
        Share of skill and KPI cells (and of ``birth_year``/``gender``) left empty.
    outlier_rate
        Share of KPI cells replaced by unit-error values (x10, percent instead of share).
    noise
        Multiplies every noise term (0 gives a noiseless org).

    Returns
    -------
    SyntheticOrg
    """
    if n_employees < 20:
        raise ValueError("n_employees must be at least 20")
    if n_quarters < 2:
        raise ValueError("n_quarters must be at least 2")
    if not 0 <= missing_rate < 1 or not 0 <= outlier_rate < 1 or noise < 0:
        raise ValueError("missing_rate and outlier_rate must be in [0, 1), noise >= 0")
    end_key = period_key(end_period)
    periods = [shift_period(end_period, k - n_quarters + 1) for k in range(n_quarters)]
    # Independent streams: a realism knob changes only what it is about, not the org.
    rng_org, rng_names, rng_sim, rng_gt, rng_out, rng_miss = np.random.default_rng(seed).spawn(6)

    org = _build_org(n_employees, end_key, rng_org)
    emp = _employees_frame(org, rng_names)
    sim = _simulate(org, n_quarters, end_key, noise, rng_sim)
    gt = _ground_truth(org, sim, end_key, noise, rng_gt)

    ids = emp["employee_id"].to_numpy()
    performance = _performance_frame(sim, ids, periods, missing_rate, outlier_rate,
                                     rng_out, rng_miss)
    for col in ("birth_year", "gender"):
        blank = rng_miss.random(len(emp)) < missing_rate
        emp[col] = emp[col].mask(blank)

    rec = sim["records"]
    training = pd.DataFrame({
        "employee_id": ids[rec["emp"]],
        "program_id": np.array(_PROGRAM_IDS)[rec["prog"]],
        "period": np.array(periods)[rec["t"]],
        "status": rec["status"],
        "score": rec["score"],
    }).sort_values(["period", "employee_id"], kind="stable").reset_index(drop=True)

    ground_truth = pd.DataFrame({
        "employee_id": np.repeat(ids, _NP),
        "program_id": np.tile(np.array(_PROGRAM_IDS), len(ids)),
        "period": end_period,
        "true_gain": gt.ravel(),
    })

    used_roles = [r for r in _ROLE_NAMES if r in set(emp["job_role"])]
    job_roles = pd.DataFrame(
        [(r, s, t) for r in used_roles for s, t in _ROLES[r].items()],
        columns=[c.name for c in JOB_ROLES],
    )
    ground_truth = (
        ground_truth.sort_values(["employee_id", "program_id"], kind="stable")
        .reset_index(drop=True)
    )
    return SyntheticOrg(
        employees=emp[[c.name for c in EMPLOYEES]],
        performance=performance,
        programs=_programs_frame(),
        training_records=training[[c.name for c in TRAINING_RECORDS]],
        job_roles=job_roles,
        ground_truth=ground_truth,
    )


# --------------------------------------------------------------------------------------------
# Organization: hierarchy, roles, people
# --------------------------------------------------------------------------------------------


@dataclass
class _Org:
    """Per-employee arrays (index = internal position, not the employee_id order)."""

    dept: np.ndarray  # department name
    loc: np.ndarray
    team: np.ndarray
    manager: np.ndarray  # internal index of the manager, -1 for the general manager
    role: np.ndarray  # role index into _ROLE_NAMES
    tenure_years: np.ndarray  # at the end of end_period
    age: np.ndarray
    hire: np.ndarray  # datetime64[D]
    hire_key: np.ndarray  # period key of the hire quarter
    end_key: int


def _build_org(n: int, end_key: int, rng: np.random.Generator) -> _Org:
    """Departments, regional teams of about 6-15 and a four-level reporting line."""
    depts = list(DEPARTMENTS)
    n_rest = n - 1 - len(depts)
    shares = np.array([_DEPT_SHARE[d] for d in depts])
    rest_dept = rng.choice(len(depts), size=n_rest, p=shares / shares.sum())
    rest_loc = np.empty(n_rest, dtype=object)
    for d_i, d in enumerate(depts):
        idx = np.flatnonzero(rest_dept == d_i)
        table = _LOC_P_FIELD if d in _FIELD_DEPTS else _LOC_P_OFFICE
        locs, p = list(table), np.array(list(table.values()))
        rest_loc[idx] = np.array(locs, dtype=object)[rng.choice(len(locs), idx.size, p=p / p.sum())]
        for loc in locs:  # regional cells too small for a team join Lima
            cell = idx[rest_loc[idx] == loc]
            if loc != "Lima" and 0 < cell.size < 6:
                rest_loc[cell] = "Lima"

    dept, loc, team, manager, role, level = [], [], [], [], [], []

    def add(d: str, lo: str, te: str, m: int, r: str, lv: int) -> int:
        for column, value in zip((dept, loc, team, manager, role, level),
                                 (d, lo, te, m, _RI[r], lv), strict=True):
            column.append(value)
        return len(dept) - 1

    gm = add(_GM_DEPARTMENT, "Lima", "Gerencia General", -1, _GM_ROLE, 0)
    heads = {d: add(d, "Lima", f"Gerencia de {d}", gm, f"Gerente de {d}", 1) for d in depts}
    for d_i, d in enumerate(depts):
        staff_roles = _STAFF_ROLES[d]
        role_p = np.array([r[1] for r in staff_roles])
        for lo in LOCATIONS:
            m = int(np.sum((rest_dept == d_i) & (rest_loc == lo)))
            if m == 0:
                continue
            k = max(1, round(m / 11))
            sizes = np.full(k, m // k) + (np.arange(k) < m % k)
            for t_i, size in enumerate(sizes, start=1):
                name = f"{d} {lo} {t_i}"
                boss = add(d, lo, name, heads[d], f"Jefe de {d}", 2)
                picks = rng.choice(len(staff_roles), size=size - 1, p=role_p)
                for r_i in picks:
                    add(d, lo, name, boss, staff_roles[r_i][0], 3)

    level_a = np.array(level)
    size = len(level_a)
    # Tenure (years before the end of end_period): managers were hired earlier.
    tenure = np.minimum(rng.exponential(4.5, size), 25.0)
    tenure = np.where(level_a == 2, rng.uniform(1.5, 20.0, size), tenure)
    tenure = np.where(level_a <= 1, rng.uniform(4.0, 25.0, size), tenure)
    age = 19.0 + tenure + rng.gamma(2.0, 4.0, size) + 6.0 * (level_a <= 1)
    age = np.clip(np.floor(age), 20, 62)
    tenure = np.minimum(tenure, age - 19.0)
    hire = _quarter_end(end_key) - np.floor(tenure * 365.25).astype("timedelta64[D]")
    month = hire.astype("datetime64[M]").astype(int)  # months since 1970-01
    hire_key = (1970 * 12 + month) // 3
    # Shuffle so that ids carry no information about the hierarchy.
    perm = rng.permutation(size)
    inv = np.empty(size, dtype=int)
    inv[perm] = np.arange(size)
    mgr = np.array(manager)[perm]
    mgr = np.where(mgr >= 0, inv[np.maximum(mgr, 0)], -1)
    return _Org(
        dept=np.array(dept, dtype=object)[perm],
        loc=np.array(loc, dtype=object)[perm],
        team=np.array(team, dtype=object)[perm],
        manager=mgr,
        role=np.array(role)[perm],
        tenure_years=tenure[perm],
        age=age[perm],
        hire=hire[perm],
        hire_key=hire_key[perm],
        end_key=end_key,
    )


def _ascii(text: str) -> str:
    """Lowercase ASCII form of a name for e-mail addresses (María -> maria, Ñahui -> nahui)."""
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).lower().replace(" ", "")


def _employees_frame(org: _Org, rng: np.random.Generator) -> pd.DataFrame:
    """Names, e-mails, dates and ids in the canonical employees layout."""
    n = org.dept.size
    width = max(5, len(str(n)))
    ids = np.array([f"E{i:0{width}d}" for i in range(1, n + 1)], dtype=object)
    p_female = np.array([_DEPT_FEMALE[d] for d in org.dept])
    female = rng.random(n) < p_female
    f_pick = rng.integers(0, len(_FEMALE_NAMES), n)
    m_pick = rng.integers(0, len(_MALE_NAMES), n)
    given = np.where(female, np.array(_FEMALE_NAMES)[f_pick], np.array(_MALE_NAMES)[m_pick])
    weights = 1.0 / np.arange(1, len(_SURNAMES) + 1) ** 0.7  # Quispe is more common than Inga
    weights /= weights.sum()
    sur = np.array(_SURNAMES)[rng.choice(len(_SURNAMES), size=(n, 2), p=weights)]
    full = [f"{g} {a} {b}" for g, a, b in zip(given, sur[:, 0], sur[:, 1], strict=True)]
    seen: dict[str, int] = {}
    emails = []
    for g, a in zip(given, sur[:, 0], strict=True):
        local = f"{_ascii(g)}.{_ascii(a)}"
        k = seen.get(local, 0) + 1
        seen[local] = k
        emails.append(f"{local}@empresa.pe" if k == 1 else f"{local}{k}@empresa.pe")
    end_year = org.end_key // 4
    hire = org.hire.astype(str)
    birth = (end_year - org.age).astype(int)
    mgr_ids = np.where(org.manager >= 0, ids[np.maximum(org.manager, 0)], None)
    frame = pd.DataFrame({
        "employee_id": pd.array(ids, dtype="str"),
        "full_name": pd.array(full, dtype="str"),
        "email": pd.array(emails, dtype="str"),
        "department": pd.array(org.dept, dtype="str"),
        "team": pd.array(org.team, dtype="str"),
        "manager_id": pd.array(mgr_ids, dtype="str"),
        "job_role": pd.array(np.array(_ROLE_NAMES)[org.role], dtype="str"),
        "location": pd.array(org.loc, dtype="str"),
        "hire_date": pd.array(hire, dtype="str"),
        "birth_year": pd.array(birth, dtype="Int64"),
        "gender": pd.array(np.where(female, "F", "M"), dtype="str"),
    })
    return frame


def _quarter_end(key: int) -> np.datetime64:
    """Last day of the quarter with period key ``key``."""
    year, q = divmod(key, 4)
    return np.datetime64(f"{year:04d}-{3 * q + 4:02d}-01" if q < 3 else f"{year + 1:04d}-01-01",
                         "D") - np.timedelta64(1, "D")


# --------------------------------------------------------------------------------------------
# Structural equations
# --------------------------------------------------------------------------------------------


def _role_matrices(role: np.ndarray) -> dict[str, np.ndarray]:
    """Per-employee targets, need mask, gap weights and KPI applicability."""
    n_r, n_s = len(_ROLE_NAMES), len(SKILLS)
    tgt = np.zeros((n_r, n_s))
    for r, targets in _ROLES.items():
        for s, v in targets.items():
            tgt[_RI[r], _SK[s]] = v
    need = tgt > 0
    weight = 1.6 * tgt / tgt.sum(axis=1, keepdims=True)
    applies = np.array([_kpi_applies(r) for r in _ROLE_NAMES])
    return {
        "tgt": tgt[role],
        "need": need[role],
        "w": weight[role],
        "kpi": applies[role],
    }


def _skill_term(x: np.ndarray, tgt: np.ndarray, need: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Role-weighted gaps: a point below target costs 1, a point above gains 0.25 (max 1)."""
    return np.sum(_skill_parts(x, tgt, need, w), axis=-1)


def _skill_parts(x, tgt, need, w) -> np.ndarray:
    """Per-skill terms of :func:`_skill_term` (the latent is additive over skills)."""
    gap = tgt - x
    h = np.where(gap > 0, -gap, 0.25 * np.minimum(-gap, 1.0))
    return np.where(need, w * h, 0.0)


def _kpi_mean(x: np.ndarray, u: np.ndarray, sales_season: np.ndarray | float) -> np.ndarray:
    """KPI latents without noise, shape ``x.shape[:-1] + (n_kpis,)``."""
    z = (x - 3.0) @ _KPI_LOAD.T
    z[..., 1] += sales_season
    z[..., 2] += _ABSENT_U_LOAD * u
    return z


def _latent_mean(x, u, season, sales_season, rm) -> np.ndarray:
    """Expected rating latent given true skills (KPI noise and rating noise excluded)."""
    z = _kpi_mean(x, u, sales_season)
    kpi = np.sum(np.where(rm["kpi"], _KPI_BETA * z, 0.0), axis=-1)
    return _skill_term(x, rm["tgt"], rm["need"], rm["w"]) + kpi + u + season


def _skill_contrib(x, tgt, need, w, kcoef) -> np.ndarray:
    """Per-skill part of :func:`_latent_mean`: gap term plus the skill's effect via KPIs."""
    return _skill_parts(x, tgt, need, w) + kcoef * (x - 3.0)


def _latent_sd(rm, noise: float) -> np.ndarray:
    """Total sd of the rating latent around its mean (rating noise + KPI noise)."""
    var = _RATING_SD**2 + np.sum(np.where(rm["kpi"], (_KPI_BETA * _KPI_SD) ** 2, 0.0), axis=-1)
    return np.maximum(np.sqrt(var) * noise, 1e-9)


def _gains(x: np.ndarray, apt: np.ndarray, rm, p: int) -> np.ndarray:
    """Skill gain (n, n_skills) from completing program ``p`` with true skills ``x``.

    Saturating in the gap to the role target (nothing once 0.2 above it), scaled down for
    skills the role does not need (gap then measured to level 3) and by hidden aptitude,
    which matters more for virtual programs.
    """
    need = rm["need"]
    gap = np.where(need, rm["tgt"] - x, _NOT_NEEDED_REFERENCE - x)
    rel = np.where(need, 1.0, _NOT_NEEDED_RELEVANCE)
    sat = 1.0 - np.exp(-np.maximum(gap + 0.2, 0.0) / 0.7)
    scale = (apt ** _PROG_APT_EXP[p])[:, None]
    return _PROG_STRENGTH[p] * _PROG_LOAD[p] * scale * rel * sat


def _drift(x: np.ndarray, rm, apt: np.ndarray) -> np.ndarray:
    """On-the-job learning toward the role target minus obsolescence; unused skills fade."""
    a = (0.5 + 0.5 * apt)[:, None]
    learn = _OTJ_RATE * a * np.maximum(rm["tgt"] - x, 0.0) - _OBSOLESCENCE
    return np.where(rm["need"], learn, -0.01 * (x - 2.5))


def _draw_quarter(x, u, season, sales_season, rm, noise: float, rng: np.random.Generator):
    """KPI latents and rating latent of one quarter, noise included: ``(z, latent)``."""
    z = _kpi_mean(x, u, sales_season) + noise * _KPI_SD * rng.standard_normal(
        (*x.shape[:-1], len(KPIS)))
    kpi_part = np.sum(np.where(rm["kpi"], _KPI_BETA * z, 0.0), axis=-1)
    latent = (_skill_term(x, rm["tgt"], rm["need"], rm["w"]) + kpi_part + u + season
              + noise * _RATING_SD * rng.standard_normal(x.shape[:-1]))
    return z, latent


def _skill_step(x, rm, apt, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Change of true skills over one quarter without training (drift plus noise)."""
    return _drift(x, rm, apt) + noise * _SKILL_STEP_SD * rng.standard_normal(x.shape)


def _season(dept: np.ndarray, key: int) -> tuple[np.ndarray, np.ndarray]:
    """Rating and sales-KPI seasonal shifts for each employee in quarter ``key``."""
    q = key % 4
    rating = np.array([_SEASON.get(d, (0.0,) * 4)[q] for d in dept])
    sales = np.where(dept == "Ventas", _SALES_SEASON[q], 0.0)
    return rating, sales


def _ratings(latent: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Integer rating 1-5: one plus the number of thresholds the latent exceeds."""
    return RATING_MIN + np.sum(latent[:, None] > cuts[None, :], axis=1)


# --------------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------------


def _simulate(org: _Org, n_q: int, end_key: int, noise: float, rng: np.random.Generator):
    """Run the quarters: skills, KPIs, ratings, confounded training and its effects."""
    n, n_s = org.role.size, len(SKILLS)
    rm = _role_matrices(org.role)
    start_key = end_key - n_q + 1
    apt = np.clip(rng.lognormal(0.0, 0.3, n), 0.4, 2.2)
    # Persistent individual effect, mildly correlated (0.3) with aptitude.
    u = 0.3 * (0.3 * np.log(apt) / 0.3 + np.sqrt(0.91) * rng.standard_normal(n))
    talent = rng.normal(0.0, 0.3, n)

    # Skills when the window opens (new hires: their level on arrival).
    tenure0 = np.maximum((start_key - org.hire_key) / 4.0, 0.0)
    gap_mean = 1.1 - 0.65 * (1.0 - np.exp(-tenure0 / 4.0)) - talent
    gap0 = gap_mean[:, None] + rng.normal(0.0, 0.55, (n, n_s))
    other = rng.normal(2.4, 0.6, (n, n_s)) + talent[:, None]
    x = np.clip(np.where(rm["need"], rm["tgt"] - gap0, other), SKILL_MIN, SKILL_MAX)

    sd_lat = _latent_sd(rm, noise)
    dept_pref = np.zeros((n, _NP))
    for p, c in enumerate(_CATALOG):
        dept_pref[:, p] = np.isin(org.dept, c[12]) * 1.2
    mgr_level = np.array([_ROLE_NAMES[r].startswith(("Jefe", "Gerente")) for r in org.role])
    dept_pref[mgr_level, _PROGRAM_IDS.index("P05")] += 1.5
    dept_train_bias = {d: b for d, b in zip(DEPARTMENTS, (0.2, 0.3, 0.0, -0.2, -0.1, -0.2, 0.1),
                                            strict=True)}
    train_bias = np.array([dept_train_bias[d] for d in org.dept])

    completed = np.zeros((n, _NP), dtype=bool)
    dropped = np.zeros((n, _NP), dtype=bool)
    out_x = np.empty((n_q, n, n_s))
    out_obs = np.empty((n_q, n, n_s))
    out_kpi = np.empty((n_q, n, len(KPIS)))
    out_rating = np.empty((n_q, n), dtype=int)
    active = np.empty((n_q, n), dtype=bool)
    recs: dict[str, list] = {"emp": [], "prog": [], "t": [], "status": [], "score": []}
    cuts = None
    for t in range(n_q):
        key = start_key + t
        act = org.hire_key <= key
        active[t] = act
        season, sales_season = _season(org.dept, key)
        z, latent = _draw_quarter(x, u, season, sales_season, rm, noise, rng)
        if cuts is None:  # thresholds fixed once, from the first quarter
            cuts = np.quantile(latent[act], _RATING_CUM_SHARE)
        out_x[t], out_kpi[t] = x, z
        out_rating[t] = _ratings(latent, cuts)
        obs = x + noise * _ASSESS_SD * rng.standard_normal((n, n_s))
        out_obs[t] = np.round(np.clip(obs, SKILL_MIN, SKILL_MAX), 1)

        gain = np.zeros((n, n_s))
        if t >= 1:
            # Confounded assignment from last quarter's review and assessed gaps.
            prev = np.where(active[t - 1], out_rating[t - 1], 3)
            obs_gap = np.where(rm["need"], np.maximum(rm["tgt"] - out_obs[t - 1], 0.0), 0.0)
            mean_gap = obs_gap.sum(axis=1) / rm["need"].sum(axis=1)
            p_train = expit(-2.6 + 0.9 * (3 - prev) + 0.9 * mean_gap + train_bias)
            takes = act & (rng.random(n) < p_train)
            # Program choice: relevance to assessed gaps + department habits + popularity.
            util = 1.5 * obs_gap @ _PROG_LOAD.T + dept_pref + _PROG_POPULARITY
            util = util - 3.5 * completed - 0.8 * dropped
            eligible = ~((_PROG_PREREQ[None, :, :] & ~completed[:, None, :]).any(axis=2))
            util = np.where(eligible, util, -np.inf)
            util = util + rng.gumbel(size=(n, _NP))
            prog = np.argmax(util, axis=1)
            who = np.flatnonzero(takes)
            pr = prog[who]
            if t == n_q - 1:
                status = np.full(who.size, "enrolled", dtype=object)
                score = np.full(who.size, np.nan)
            else:
                p_drop = expit(-2.8 - 2.0 * (apt[who] - 1.0) + 0.02 * (_PROG_HOURS[pr] - 24)
                               + 0.5 * _PROG_VIRTUAL[pr])
                drop = rng.random(who.size) < p_drop
                status = np.where(drop, "dropped", "completed").astype(object)
                tgt_obs = np.sum(out_obs[t - 1][who] * _PROG_LOAD[pr], axis=1) / _PROG_LOAD[
                    pr].sum(axis=1)
                raw = (62.0 + 30.0 * (apt[who] - 1.0) + 5.0 * (tgt_obs - 3.0)
                       + noise * 7.0 * rng.standard_normal(who.size))
                score = np.where(drop, np.nan, np.round(np.clip(raw, 0.0, 100.0), 1))
                done = who[~drop]
                for p in np.unique(pr[~drop]):
                    sel = done[pr[~drop] == p]
                    sub = {k: v[sel] for k, v in rm.items()}
                    gain[sel] += _gains(x[sel], apt[sel], sub, int(p))
                completed[done, pr[~drop]] = True
                dropped[who[drop], pr[drop]] = True
            recs["emp"].append(who)
            recs["prog"].append(pr)
            recs["t"].append(np.full(who.size, t))
            recs["status"].append(status)
            recs["score"].append(score)
        step = _skill_step(x, rm, apt, noise, rng)
        x = np.clip(x + np.where(act[:, None], step, 0.0) + gain, SKILL_MIN, SKILL_MAX)

    records = {k: (np.concatenate(v) if v else np.array([])) for k, v in recs.items()}
    records["emp"] = records["emp"].astype(int)
    records["prog"] = records["prog"].astype(int)
    records["t"] = records["t"].astype(int)
    return {
        "x": out_x, "obs": out_obs, "kpi": out_kpi, "rating": out_rating, "active": active,
        "records": records, "apt": apt, "u": u, "cuts": cuts, "rm": rm, "sd": sd_lat,
    }


def _ground_truth(org: _Org, sim, end_key: int, noise: float, rng: np.random.Generator,
                  draws: int = 256, chunk: int = 500) -> np.ndarray:
    """Expected next-quarter rating with each program minus without, shape (n, n_programs).

    The rating noise is integrated analytically (normal CDF over the thresholds); the skill
    step noise by Monte Carlo with the same draws for every program (common random numbers).
    The latent mean is additive over skills, so a program only recomputes its target skills.
    """
    x_end = sim["x"][-1]
    n = x_end.shape[0]
    rm, apt, u, cuts, sd = sim["rm"], sim["apt"], sim["u"], sim["cuts"], sim["sd"]
    season, sales_season = _season(org.dept, end_key + 1)
    # Skill-free part of the latent mean, and each skill's linear effect through the KPIs.
    zero = np.zeros((n, 1, len(SKILLS)))
    const = _latent_mean(zero + 3.0, u[:, None], season[:, None], sales_season[:, None],
                         {k: v[:, None, :] for k, v in rm.items()})[:, 0]
    const -= _skill_contrib(zero[:, 0] + 3.0, rm["tgt"], rm["need"], rm["w"], 0.0).sum(axis=1)
    kcoef = np.where(rm["kpi"], _KPI_BETA, 0.0) @ _KPI_LOAD
    targets = [np.flatnonzero(_PROG_LOAD[p]) for p in range(_NP)]
    out = np.empty((n, _NP))
    for lo in range(0, n, chunk):
        sl = slice(lo, min(lo + chunk, n))
        m = sl.stop - sl.start
        sub = {k: v[sl] for k, v in rm.items()}
        xs = x_end[sl]
        eps = noise * _SKILL_STEP_SD * rng.standard_normal((m, draws, len(SKILLS)))
        raw = xs[:, None, :] + _drift(xs, sub, apt[sl])[:, None, :] + eps
        x0 = np.clip(raw, SKILL_MIN, SKILL_MAX)
        par = [a[sl][:, None, :] for a in (rm["tgt"], rm["need"], rm["w"], kcoef)]
        c0 = _skill_contrib(x0, *par)
        mu0 = c0.sum(axis=-1) + const[sl, None]
        scale = sd[sl, None, None]

        def expected(mu: np.ndarray, scale=scale) -> np.ndarray:
            return (RATING_MIN + ndtr((mu[..., None] - cuts) / scale).sum(axis=-1)).mean(axis=1)

        e0 = expected(mu0)
        for p in range(_NP):
            idx = targets[p]
            g = _gains(xs, apt[sl], sub, p)[:, None, idx]
            xp = np.clip(raw[..., idx] + g, SKILL_MIN, SKILL_MAX)
            delta = _skill_contrib(xp, *(a[..., idx] for a in par)) - c0[..., idx]
            out[sl, p] = expected(mu0 + delta.sum(axis=-1)) - e0
    return out


# --------------------------------------------------------------------------------------------
# Output frames
# --------------------------------------------------------------------------------------------


def _performance_frame(sim, ids, periods, missing_rate, outlier_rate, rng_out,
                       rng_miss) -> pd.DataFrame:
    """Observed quarterly rows: rating, KPIs (with unit-error outliers) and assessed skills."""
    active = sim["active"]
    t_idx, e_idx = np.nonzero(active)
    m = t_idx.size
    z = sim["kpi"][t_idx, e_idx]
    applies = sim["rm"]["kpi"][e_idx]
    kpi = np.column_stack([
        np.round(np.clip(74.0 + 9.0 * z[:, 0], 0.0, 100.0), 1),
        np.round(np.clip(100.0 + 20.0 * z[:, 1], 0.0, None), 1),
        np.round(2.0 * np.maximum(1.8 + 1.4 * z[:, 2], 0.0)) / 2.0,
        np.round(expit(-3.0 + 0.6 * z[:, 3]), 4),
    ])
    kpi = np.where(applies, kpi, np.nan)
    wild = (rng_out.random(kpi.shape) < outlier_rate) & applies
    factor = np.array([10.0, 10.0, 10.0, 100.0])  # per-mille, x10 typos, percent for share
    shifted = kpi * factor + np.array([0.0, 0.0, 30.0, 0.0])
    kpi = np.where(wild, np.round(shifted, 4), kpi)
    skills = sim["obs"][t_idx, e_idx]
    # Half of the missing mass: whole assessments not done; half: single cells.
    row_p = missing_rate / 2.0
    cell_p = row_p / (1.0 - row_p)
    blank = (rng_miss.random((m, 1)) < row_p) | (rng_miss.random(skills.shape) < cell_p)
    skills = np.where(blank, np.nan, skills)
    kpi = np.where(rng_miss.random(kpi.shape) < missing_rate, np.nan, kpi)
    frame = pd.DataFrame({
        "employee_id": pd.array(ids[e_idx], dtype="str"),
        "period": pd.array(np.array(periods)[t_idx], dtype="str"),
        "performance_rating": sim["rating"][t_idx, e_idx].astype("int64"),
    })
    for k, name in enumerate(KPIS):
        frame[KPI_PREFIX + name] = kpi[:, k]
    for j, name in enumerate(SKILLS):
        frame[SKILL_PREFIX + name] = skills[:, j]
    frame = frame.sort_values(["employee_id", "period"], kind="stable").reset_index(drop=True)
    assert [c.name for c in PERFORMANCE] == list(frame.columns[:3])
    return frame


def _programs_frame() -> pd.DataFrame:
    """The training catalog in the canonical programs layout."""
    rows = [
        {
            "program_id": c[0],
            "title_es": c[1],
            "title_en": c[2],
            "description": c[3],
            "target_skills": ";".join(c[4]),
            "hours": float(c[5]),
            "cost_pen": round(float(c[6]), 2),
            "modality": c[7],
            "provider": c[8],
            "prerequisites": c[9] or None,
            "expected_gain": c[10],
        }
        for c in _CATALOG
    ]
    frame = pd.DataFrame(rows, columns=[c.name for c in PROGRAMS])
    assert set(frame["modality"]) <= set(MODALITIES)
    for col in ("program_id", "title_es", "title_en", "description", "target_skills",
                "modality", "provider", "prerequisites"):
        frame[col] = frame[col].astype("str")
    return frame
