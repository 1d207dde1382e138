"""The synthetic organization: contract shape, realism and a trustworthy ground truth."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import core.synthetic as syn
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
    SKILL_PREFIX,
    TRAINING_RECORDS,
    TRAINING_STATUSES,
    period_key,
    shift_period,
)
from core.synthetic import KPIS, SKILLS, SyntheticOrg, generate

END = "2026-Q3"
SKILL_COLS = [SKILL_PREFIX + s for s in SKILLS]
KPI_COLS = [KPI_PREFIX + k for k in KPIS]


@pytest.fixture(scope="module")
def small() -> SyntheticOrg:
    return generate(200, 6, seed=7)


@pytest.fixture(scope="module")
def default() -> SyntheticOrg:
    return generate()


def _frames(org: SyntheticOrg) -> dict[str, pd.DataFrame]:
    return {k: getattr(org, k) for k in (*CANONICAL_FILES, "ground_truth")}


def _gains_wide(org: SyntheticOrg) -> pd.DataFrame:
    return org.ground_truth.pivot(index="employee_id", columns="program_id", values="true_gain")


def _rating(org: SyntheticOrg) -> pd.Series:
    return org.performance.set_index(["employee_id", "period"])["performance_rating"]


# --- determinism and shape --------------------------------------------------------------------


def test_same_seed_same_frames_other_seed_differs():
    a, b, c = generate(150, 5, seed=3), generate(150, 5, seed=3), generate(150, 5, seed=4)
    for kind, frame in _frames(a).items():
        pd.testing.assert_frame_equal(frame, _frames(b)[kind])
    assert not a.performance.equals(c.performance)
    assert not a.employees["full_name"].equals(c.employees["full_name"])
    assert not np.allclose(a.ground_truth["true_gain"], c.ground_truth["true_gain"])


def test_columns_follow_the_contract(small):
    assert list(small.employees.columns) == [c.name for c in EMPLOYEES]
    assert list(small.programs.columns) == [c.name for c in PROGRAMS]
    assert list(small.training_records.columns) == [c.name for c in TRAINING_RECORDS]
    assert list(small.job_roles.columns) == [c.name for c in JOB_ROLES]
    cols = list(small.performance.columns)
    assert cols[:3] == [c.name for c in PERFORMANCE]
    assert cols[3:] == KPI_COLS + SKILL_COLS
    assert list(small.ground_truth.columns) == ["employee_id", "program_id", "period", "true_gain"]
    assert len(SKILLS) == len(set(SKILLS)) >= 8
    assert all(re.fullmatch(r"[a-z_]+", s) for s in SKILLS)


def test_headcount_ids_names_and_emails(small):
    emp = small.employees
    assert len(emp) == 200
    assert emp["employee_id"].is_unique
    assert emp["employee_id"].str.fullmatch(r"E\d{5}").all()
    assert emp["email"].is_unique
    assert emp["email"].str.fullmatch(r"[a-z]+\.[a-z]+\d*@empresa\.pe").all()
    assert (emp["full_name"].str.split().str.len() == 3).all()
    given = emp["full_name"].str.split().str[0]
    known = emp["gender"].notna()
    female = given.isin(syn._FEMALE_NAMES)
    assert (female | given.isin(syn._MALE_NAMES)).all()
    assert ((emp["gender"] == "F") == female)[known].all()
    assert set(emp["department"]) <= set(DEPARTMENTS)
    assert set(emp["location"]) <= set(LOCATIONS)
    assert emp["location"].value_counts().index[0] == "Lima"


def test_name_lists_are_large_enough():
    assert len(set(syn._FEMALE_NAMES + syn._MALE_NAMES)) >= 60
    assert len(set(syn._SURNAMES)) >= 80
    assert not set(syn._FEMALE_NAMES) & set(syn._MALE_NAMES)


def test_dates_and_ages_are_plausible(small):
    emp = small.employees
    hire = pd.to_datetime(emp["hire_date"], format="%Y-%m-%d")
    assert hire.max() <= pd.Timestamp("2026-09-30")
    assert hire.min() >= pd.Timestamp("2001-09-01")
    age = 2026 - emp["birth_year"].dropna()
    assert age.between(20, 62).all()


def test_hierarchy_has_one_root_and_no_cycles(default):
    emp = default.employees
    ids = set(emp["employee_id"])
    boss = dict(zip(emp["employee_id"], emp["manager_id"], strict=True))
    roots = [e for e, m in boss.items() if pd.isna(m)]
    assert len(roots) == 1
    assert all(m in ids for m in boss.values() if not pd.isna(m))
    for e in ids:  # every chain reaches the general manager within four steps
        seen = []
        while not pd.isna(boss[e]):
            seen.append(e)
            e = boss[e]
            assert len(seen) <= 4, seen
        assert e == roots[0]
    # staff report to a "Jefe de ..." of their own team; teams have about 6-15 people
    staff = emp[~emp["job_role"].str.startswith(("Jefe", "Gerente"))]
    by_id = emp.set_index("employee_id")
    managers = by_id.loc[staff["manager_id"]]
    assert managers["job_role"].str.startswith("Jefe de").all()
    assert (managers["team"].to_numpy() == staff["team"].to_numpy()).all()
    sizes = emp[emp["team"].str.match(r".* \d+$")].groupby("team").size()
    assert sizes.max() <= 16
    assert sizes.median() >= 6
    assert emp["team"].str.fullmatch(r"Ventas Lima \d+").any()


def test_job_roles_frame(small):
    jr = small.job_roles
    assert not jr.duplicated(["job_role", "skill"]).any()
    per_role = jr.groupby("job_role").size()
    assert per_role.between(3, 5).all()
    assert jr["target_level"].between(3, 5).all()
    assert set(jr["skill"]) <= set(SKILLS)
    assert set(small.employees["job_role"]) <= set(jr["job_role"])


def test_catalog(small):
    pr = small.programs
    assert list(pr["program_id"]) == [f"P{i:02d}" for i in range(1, 11)]
    assert pr["hours"].between(8, 60).all()
    assert pr["cost_pen"].between(300, 3500).all()
    assert set(pr["modality"]) <= set(MODALITIES)
    for targets in pr["target_skills"]:
        assert set(targets.split(";")) <= set(SKILLS)
    prereq = pr["prerequisites"].dropna()
    assert 2 <= len(prereq) <= 3
    assert all(set(p.split(";")) <= set(pr["program_id"]) for p in prereq)
    assert pr["expected_gain"].between(0.5, 1.2).all()


# --- performance history ----------------------------------------------------------------------


def test_ratings_skills_and_kpis_in_range(default):
    perf = default.performance
    assert perf["performance_rating"].notna().all()
    assert perf["performance_rating"].dtype.kind == "i"
    assert perf["performance_rating"].between(1, 5).all()
    skills = perf[SKILL_COLS].stack().dropna()
    assert skills.between(1, 5).all()
    assert np.allclose(skills * 10, np.round(skills * 10))
    assert (perf["kpi_absenteeism_days"].dropna() >= 0).all()
    share = perf["performance_rating"].value_counts(normalize=True)
    assert 0.05 <= share.loc[[1, 2]].sum() <= 0.2
    assert share.loc[[3, 4]].sum() >= 0.6
    # a KPI that does not apply to a role is empty for everyone in it, not randomly
    sales = perf.merge(default.employees[["employee_id", "department"]], on="employee_id")
    assert sales.loc[sales["department"] != "Ventas", "kpi_sales_attainment"].isna().all()


def test_periods_are_consecutive_and_end_at_end_period(small):
    perf = small.performance
    assert not perf.duplicated(["employee_id", "period"]).any()
    expected = [shift_period(END, -k) for k in range(5, -1, -1)]
    assert sorted(perf["period"].unique()) == expected
    hire_q = pd.to_datetime(small.employees.set_index("employee_id")["hire_date"])
    for emp_id, rows in perf.groupby("employee_id"):
        keys = sorted(period_key(p) for p in rows["period"])
        assert keys[-1] == period_key(END)
        assert keys == list(range(keys[0], keys[-1] + 1))
        hired = hire_q[emp_id]
        hire_key = hired.year * 4 + (hired.month - 1) // 3
        assert keys[0] == max(hire_key, period_key(expected[0]))
    assert set(perf["employee_id"]) == set(small.employees["employee_id"])


def test_missing_rate_controls_empty_cells():
    clean = generate(200, 6, seed=1, missing_rate=0.0)
    assert clean.performance[SKILL_COLS].notna().all().all()
    assert clean.employees[["birth_year", "gender"]].notna().all().all()
    dirty = generate(200, 6, seed=1, missing_rate=0.1)
    share = dirty.performance[SKILL_COLS].isna().to_numpy().mean()
    assert 0.08 <= share <= 0.12
    assert dirty.performance["performance_rating"].notna().all()
    # KPIs: the knob removes about 10% of the cells that apply
    applies = clean.performance[KPI_COLS].notna().to_numpy()
    kpi_missing = dirty.performance[KPI_COLS].isna().to_numpy()[applies].mean()
    assert 0.07 <= kpi_missing <= 0.13


def test_outliers_only_in_kpis():
    clean = generate(200, 6, seed=2, outlier_rate=0.0)
    wild = generate(200, 6, seed=2, outlier_rate=0.05)
    assert clean.performance["kpi_csat"].max() <= 100
    assert clean.performance["kpi_error_rate"].max() <= 1
    assert wild.performance["kpi_csat"].max() > 100
    assert wild.performance["kpi_error_rate"].max() > 1
    assert (wild.performance["kpi_absenteeism_days"].dropna() >= 0).all()
    pd.testing.assert_frame_equal(clean.performance[SKILL_COLS], wild.performance[SKILL_COLS])
    changed = (clean.performance[KPI_COLS] != wild.performance[KPI_COLS]) & clean.performance[
        KPI_COLS].notna()
    assert 0.02 <= changed.to_numpy().sum() / clean.performance[KPI_COLS].notna().sum().sum()


def test_noiseless_org_works():
    org = generate(60, 4, seed=0, noise=0.0, missing_rate=0.0, outlier_rate=0.0)
    assert org.performance["performance_rating"].between(1, 5).all()
    assert org.ground_truth["true_gain"].notna().all()


# --- training records -------------------------------------------------------------------------


def test_training_records_are_consistent(default):
    tr = default.training_records
    assert set(tr["status"]) <= set(TRAINING_STATUSES)
    assert not tr.duplicated(["employee_id", "program_id", "period"]).any()
    assert (tr["status"] == "completed").mean() > 0.7
    assert (tr["status"] == "dropped").any()
    assert set(tr.loc[tr["status"] == "enrolled", "period"]) == {END}
    assert tr.loc[tr["status"] != "completed", "score"].isna().all()
    assert tr.loc[tr["status"] == "completed", "score"].between(0, 100).all()
    done = tr[tr["status"] == "completed"]
    assert done.duplicated(["employee_id", "program_id"]).mean() < 0.05  # rarely repeated
    prereq = default.programs.set_index("program_id")["prerequisites"].dropna()
    first_done = done.groupby(["employee_id", "program_id"])["period"].min()
    for row in tr[tr["program_id"].isin(prereq.index)].itertuples():
        for need in prereq[row.program_id].split(";"):
            when = first_done.get((row.employee_id, need))
            assert when is not None and period_key(when) < period_key(row.period)


def test_assignment_is_confounded_by_previous_rating(default):
    rating = _rating(default).rename("prev").reset_index()
    rating["period"] = rating["period"].map(lambda p: shift_period(p, 1))
    tr = default.training_records
    first_training_quarter = shift_period(END, -8)
    active = default.performance[default.performance["period"] >= first_training_quarter]
    rows = active[["employee_id", "period"]].merge(rating, on=["employee_id", "period"])
    key = tr["employee_id"] + "|" + tr["period"]
    rows["trained"] = (rows["employee_id"] + "|" + rows["period"]).isin(set(key))
    means = rows.groupby("trained")["prev"].mean()
    assert means[True] < means[False] - 0.2


# --- ground truth -----------------------------------------------------------------------------


def test_ground_truth_covers_every_employee_and_program(small):
    gt = small.ground_truth
    assert len(gt) == len(small.employees) * len(small.programs)
    assert not gt.duplicated(["employee_id", "program_id"]).any()
    assert set(gt["employee_id"]) == set(small.employees["employee_id"])
    assert (gt["period"] == END).all()
    assert gt["true_gain"].notna().all()
    assert gt["true_gain"].between(-0.05, 4).all()


def test_true_gains_are_heterogeneous(default):
    wide = _gains_wide(default)
    best = wide.idxmax(axis=1)
    assert best.nunique() >= 3
    assert best.value_counts(normalize=True).iloc[0] < 0.5
    # some programs help almost nobody; the best one per person beats any single program
    means = wide.mean()
    assert means.min() < 0.4 * means.max()
    assert wide.max(axis=1).mean() > 1.5 * means.max()
    # the best program depends on the role: departments differ in their favourite
    dept = default.employees.set_index("employee_id").loc[wide.index, "department"]
    assert best.groupby(dept).agg(lambda s: s.value_counts().index[0]).nunique() >= 4


def test_true_gain_grows_with_the_gap_on_the_targeted_skill(default):
    wide = _gains_wide(default)
    emp = default.employees.set_index("employee_id").loc[wide.index]
    last = default.performance[default.performance["period"] == END].set_index("employee_id")
    targets = default.job_roles.set_index(["job_role", "skill"])["target_level"]
    corrs = []
    for pid, skills in default.programs.set_index("program_id")["target_skills"].items():
        skill = skills.split(";")[0]
        tgt = np.array([targets.get((r, skill), np.nan) for r in emp["job_role"]])
        gap = tgt - last.loc[wide.index, SKILL_PREFIX + skill].to_numpy()
        ok = ~np.isnan(gap)
        if ok.sum() >= 30:
            corrs.append(np.corrcoef(gap[ok], wide.loc[ok, pid])[0, 1])
    assert len(corrs) >= 6
    assert np.median(corrs) > 0.3
    assert min(corrs) > 0


def test_naive_before_after_overstates_the_true_effect(default):
    rating = _rating(default)
    done = default.training_records.query("status == 'completed'")
    before = rating.reindex(zip(done["employee_id"], done["period"].map(
        lambda p: shift_period(p, -1)), strict=True)).to_numpy()
    after = rating.reindex(zip(done["employee_id"], done["period"].map(
        lambda p: shift_period(p, 1)), strict=True)).to_numpy()
    naive = np.nanmean(after - before)
    wide = _gains_wide(default)
    true_mean = wide.stack().reindex(zip(done["employee_id"], done["program_id"],
                                         strict=True)).mean()
    assert naive > true_mean + 0.15  # regression to the mean after selecting low performers


def test_ground_truth_is_the_expected_rating_change_of_the_simulation():
    """Brute-force the next quarter with the simulation's own step and compare."""
    end_key = period_key(END)
    rng_org, _, rng_sim, rng_gt, _ = np.random.default_rng(5).spawn(5)
    org = syn._build_org(120, end_key, rng_org)
    sim = syn._simulate(org, 5, end_key, 1.0, rng_sim)
    gt = syn._ground_truth(org, sim, end_key, 1.0, rng_gt)
    n, reps = org.role.size, 600
    x = np.repeat(sim["x"][-1], reps, axis=0)
    rm = {k: np.repeat(v, reps, axis=0) for k, v in sim["rm"].items()}
    apt, u = np.repeat(sim["apt"], reps), np.repeat(sim["u"], reps)
    season, sales = syn._season(np.repeat(org.dept, reps), end_key + 1)
    step = syn._skill_step(x, rm, apt, 1.0, np.random.default_rng(0))

    def mean_rating(gain: np.ndarray | float) -> np.ndarray:
        rng = np.random.default_rng(1)  # common random numbers for every arm
        x_next = np.clip(x + step + gain, 1, 5)
        _, latent = syn._draw_quarter(x_next, u, season, sales, rm, 1.0, rng)
        return syn._ratings(latent, sim["cuts"]).reshape(n, reps).mean(axis=1)

    base = mean_rating(0.0)
    for p in range(gt.shape[1]):
        brute = mean_rating(syn._gains(x, apt, rm, p)) - base
        assert abs(brute.mean() - gt[:, p].mean()) < 0.01
        assert np.abs(brute - gt[:, p]).max() < 0.1


# --- files ------------------------------------------------------------------------------------


def test_write_and_read_back(small, tmp_path):
    paths = small.write(tmp_path / "out")
    assert set(paths) == {*CANONICAL_FILES, "ground_truth"}
    for kind, name in CANONICAL_FILES.items():
        assert paths[kind] == tmp_path / "out" / name
    assert paths["ground_truth"].name == GROUND_TRUTH_FILE
    ids = {c: str for c in ("employee_id", "manager_id", "program_id")}
    for kind, frame in _frames(small).items():
        back = pd.read_csv(paths[kind], dtype={**ids, "birth_year": "Int64"}, encoding="utf-8")
        pd.testing.assert_frame_equal(frame, back)
    raw = paths["employees"].read_text(encoding="utf-8")
    assert raw.startswith("employee_id,full_name,")
    assert "E00001" in raw


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError):
        generate(5)
    with pytest.raises(ValueError):
        generate(100, missing_rate=1.5)
    with pytest.raises(ValueError):
        generate(100, end_period="2026-5")
