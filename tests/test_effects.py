"""Shrinkage of program effects: the adaptive ridge and the KPI channel it feeds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from pytest import approx
from scipy.stats import spearmanr

from benchmarks.alt_org import generate_alt
from core.effects import (
    KPI_BASIS,
    KPI_MIN_IMPROVEMENT,
    KPI_SCALES,
    KPIGainModel,
    _kpi_basis,
    adaptive_penalty,
    choose_ridge_scale,
    kpi_columns,
    kpi_room,
    ridge_draws,
    room_draws,
    shared_shape_draws,
    stacking_weight,
)
from core.features import FeatureBuilder, history_from_dir
from core.recommend import latest_rows

SCALES = (1.0, 3.0, 10.0, 30.0, 100.0)


def _one_strong_program(seed: int):
    """A pooled intercept and 14 program deviations: one program moves the outcome by
    0.75 standard deviations of its noise, the others by nothing (a KPI that one course
    targets)."""
    rng = np.random.default_rng(seed)
    n, k = 600, 14
    prog = rng.integers(0, k, n)
    A = np.zeros((n, k + 1))
    A[:, 0] = 1.0
    A[np.arange(n), prog + 1] = 1.0
    truth = np.r_[0.1, 1.5, np.zeros(k - 1)]
    y = A @ truth + 2.0 * rng.standard_normal(n)
    groups = np.arange(n).astype(str)
    base = np.r_[1e-3, np.full(k, 10.0)]
    is_dev = np.r_[False, np.ones(k, dtype=bool)]
    return A, y, groups, base, is_dev, truth


def _program_effects(A, y, penalty) -> np.ndarray:
    """Each program's effect under a ridge fit: the pooled term plus its deviation."""
    coef = np.linalg.solve(A.T @ A + np.diag(penalty), A.T @ y)
    return coef[0] + coef[1:]


def test_adaptive_ridge_keeps_more_of_a_strong_effect_and_less_of_the_null_ones():
    strong_better, null_common, null_adaptive = 0, [], []
    for seed in range(5):
        A, y, groups, base, is_dev, truth = _one_strong_program(seed)
        scale = choose_ridge_scale(A, y, groups, base, is_dev, seed, SCALES)
        got_c = _program_effects(A, y, np.where(is_dev, base * scale, base))
        pen, err = adaptive_penalty(A, y, groups, base, is_dev, seed, SCALES)
        got_a = _program_effects(A, y, pen)
        assert pen.shape == base.shape and (pen > 0).all()
        assert pen[0] == base[0]  # the pooled term keeps its penalty
        assert pen[1] < np.median(pen[2:])  # the strong program is penalised less
        assert 0 < err < float(y @ y)  # a cross-validated error, better than no effect
        want = truth[0] + truth[1:]
        strong_better += abs(got_a[0] - want[0]) < abs(got_c[0] - want[0])
        null_common.append(np.abs(got_c[1:] - want[1:]).mean())
        null_adaptive.append(np.abs(got_a[1:] - want[1:]).mean())
    assert strong_better >= 4
    assert np.mean(null_adaptive) < np.mean(null_common)


def test_adaptive_ridge_keeps_most_of_a_clear_effect():
    """The reweighting's power (:data:`core.effects.ADAPTIVE_POWER`) and the share of the
    cross-validated penalty kept (:data:`core.effects.FINAL_PENALTY_SHARE`): a course that
    clearly moves a KPI keeps most of its size (70% on average with the usual power of one
    and the whole penalty, which let its rivals look as good; 82% with the cube alone),
    while the null ones stay nearer zero than with the plain reweighting (0.128)."""
    kept, null_error = [], []
    for seed in range(10):
        A, y, groups, base, is_dev, truth = _one_strong_program(seed)
        pen, _err = adaptive_penalty(A, y, groups, base, is_dev, seed, SCALES)
        got, want = _program_effects(A, y, pen), truth[0] + truth[1:]
        kept.append(got[0] / want[0])
        null_error.append(np.abs(got[1:] - want[1:]).mean())
    assert np.mean(kept) >= 0.85, np.round(kept, 2)
    assert np.mean(null_error) < 0.125


def _kpi_rows(seed: int, effect):
    """KPI-channel rows of eight programs' completers (one taken by 900 people, one by 60,
    the others ~90 each); the first two move the KPI by ``effect(z)`` times 1.0 and 0.8,
    the others not at all; noise as large as the larger effect. Lower is better here
    (late arrivals): the room to improve is the level above the best tenth's."""
    rng = np.random.default_rng(seed)
    nb, n_prog = KPI_BASIS, 8
    prog = rng.choice(n_prog, 1500, p=[0.6, 0.04] + [0.06] * 6)
    z = rng.normal(0.0, 1.0, len(prog))
    B = _kpi_basis(z)
    A = np.zeros((len(prog), nb * (1 + n_prog)))
    A[:, :nb] = B
    for i in range(n_prog):
        A[prog == i, nb * (1 + i):nb * (2 + i)] = B[prog == i]
    took = (prog[:, None] == np.arange(n_prog)[None, :]).astype(float)
    size = np.r_[1.0, 0.8, np.zeros(n_prog - 2)]
    y = -size[prog] * effect(z) + rng.normal(0.0, 1.0, len(prog))
    at = float(np.quantile(-z, 0.9))
    return A, B, took, y, np.arange(len(prog)), z, at, size


def _two_programs_one_shape(seed: int):
    """KPI-channel rows of eight programs, two of which help people below the norm in
    proportion to their shortfall (:func:`_kpi_rows`)."""
    A, _B, took, y, grp, _z, _at, size = _kpi_rows(seed, lambda z: -np.maximum(-z, 0.0))
    return A, y, grp, KPI_BASIS, took.shape[1], size


def test_a_shared_shape_learns_who_gains_from_a_course_few_people_took():
    """Programs that move a KPI share who gains (those furthest below the norm): the
    shared-shape fit learns that shape from the course many took and gives it to the one
    60 people took, whose own slope the additive fit cannot tell from noise. Over five
    seeds the small course's effect along the level is closer to the truth than the
    additive fit's on at least four, and on average."""
    grid = np.linspace(-2.0, 2.0, 41)
    Bg = _kpi_basis(grid)
    wins, err_shared, err_additive = 0, [], []
    for seed in range(5):
        A, y, grp, nb, n_prog, size = _two_programs_one_shape(seed)
        shared, shape = shared_shape_draws(A, y, grp, nb, n_prog, 3, seed)
        assert shared.shape == (3, A.shape[1])
        # the shape is that of max(-z, 0) (unit length, sign in the amplitudes)
        assert np.corrcoef(Bg @ shape, np.maximum(-grid, 0.0))[0, 1] > 0.95
        pen = np.r_[np.full(nb, 1.0), np.full(nb * n_prog, 10.0)]
        pen, _ = adaptive_penalty(A, y, grp, pen, pen > 1.0, seed, KPI_SCALES)
        additive = ridge_draws(A, y, grp, pen, 1, seed)
        truth = size[1] * np.maximum(-grid, 0.0)

        def small(coef, nb=nb):
            return Bg @ (coef[0, :nb] + coef[0, 2 * nb:3 * nb])  # pooled + program 1

        err_shared.append(np.mean((small(shared) - truth) ** 2))
        err_additive.append(np.mean((small(additive) - truth) ** 2))
        wins += err_shared[-1] < err_additive[-1]
    assert wins >= 4, (err_shared, err_additive)
    assert np.mean(err_shared) < np.mean(err_additive)


def test_the_room_fit_learns_who_gains_where_gains_follow_the_room_to_improve():
    """Where a course cuts late arrivals in proportion to how many a person has (above the
    best tenth's level), the room fit (one size per course) gets the course 60 people
    took closer to the truth along the level than the additive fit, and its out-of-fold
    predictions earn it most of the stacked mix (so the KPI model leans on it). Five
    seeds."""
    grid = np.linspace(-2.0, 2.0, 41)
    wins = 0
    for seed in range(5):
        A, B, took, y, grp, z, at, size = _kpi_rows(seed, lambda z: np.maximum(z + 1.0, 0))
        assert kpi_room(z, at, -1) == approx(np.maximum(at + z, 0.0))
        assert np.mean(kpi_room(z, at, -1) == 0) == approx(0.1, abs=0.01)
        pooled, amp, err_room, oof_room = room_draws(B, kpi_room(z, at, -1), took, y, grp,
                                                     3, seed)
        assert pooled.shape == (3, B.shape[1]) and amp.shape == (3, took.shape[1])
        assert np.sum((y - oof_room) ** 2) == approx(err_room)
        nb = B.shape[1]
        pen = np.r_[np.full(nb, 1.0), np.full(A.shape[1] - nb, 10.0)]
        pen, _err_add, oof_add = adaptive_penalty(A, y, grp, pen, pen > 1.0, seed,
                                                  KPI_SCALES, return_oof=True)
        additive = ridge_draws(A, y, grp, pen, 1, seed)[0]
        Bg = _kpi_basis(grid)
        truth = -size[1] * np.maximum(grid + 1.0, 0)
        small_room = Bg @ pooled[0] + amp[0, 1] * kpi_room(grid, at, -1)
        small_add = Bg @ (additive[:nb] + additive[2 * nb:3 * nb])
        better = np.mean((small_room - truth) ** 2) < np.mean((small_add - truth) ** 2)
        wins += better and stacking_weight(y, oof_add, oof_room) > 0.5
    assert wins >= 4


def test_the_room_fit_gets_little_weight_where_everyone_gains_alike():
    """Where a course moves everyone's KPI by the same amount, whatever their level, the
    room fit (no effect for the best tenth, more for the worst) predicts worse out of fold
    than the additive fit, and the stacked mix gives it under a third: the room to improve
    is a form the data must show, not assumed."""
    for seed in range(5):
        A, B, took, y, grp, z, at, _size = _kpi_rows(seed, lambda z: np.ones_like(z))
        *_fit, err_room, oof_room = room_draws(B, kpi_room(z, at, -1), took, y, grp, 1,
                                               seed)
        nb = B.shape[1]
        pen = np.r_[np.full(nb, 1.0), np.full(A.shape[1] - nb, 10.0)]
        _pen, err_add, oof_add = adaptive_penalty(A, y, grp, pen, pen > 1.0, seed,
                                                  KPI_SCALES, return_oof=True)
        assert err_room > err_add, seed
        assert stacking_weight(y, oof_add, oof_room) < 1 / 3, seed


def test_stacking_weight_finds_the_mix_of_two_predictions():
    """The weight recovers a known mix of two predictions, and stays within [0, 1]."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(500), rng.standard_normal(500)
    y = 0.3 * a + 0.7 * b + 0.05 * rng.standard_normal(500)
    assert stacking_weight(y, a, b) == approx(0.7, abs=0.02)
    assert stacking_weight(y, b, a) == approx(0.3, abs=0.02)
    assert stacking_weight(b + 2 * (b - a), a, b) == 1.0
    assert stacking_weight(a - (b - a), a, b) == 0.0
    assert stacking_weight(y, a, a) == 0.5


def test_kpi_channel_finds_the_program_that_moves_a_kpi(tmp_path):
    """On an organization whose punctuality course (CAP-111) cuts late arrivals and
    nothing else moves them much, that KPI becomes a channel and CAP-111 moves it most."""
    d = generate_alt(900, 6, 42, shape="kpi", out_dir=tmp_path / "kpi")
    history = history_from_dir(d)
    ff = FeatureBuilder().fit_transform(history)
    km = KPIGainModel(n_draws=5).fit(history, ff)
    assert "kpi_tardanzas" in km.active_
    X = ff.X.loc[latest_rows(ff)]
    mean_shift = {p: float(km.shifts(X, p)["kpi_tardanzas"][0].mean()) for p in km.programs_}
    assert min(mean_shift, key=mean_shift.get) == "CAP-111"
    assert mean_shift["CAP-111"] < 0  # fewer late arrivals
    others = [abs(v) for p, v in mean_shift.items() if p != "CAP-111"]
    assert abs(mean_shift["CAP-111"]) > 2 * np.mean(others)


def test_a_kpi_channel_is_judged_by_its_better_form(tmp_path):
    """On a small organization whose sales course (CAP-112) raises output in proportion to
    each person's room to improve, the free form's many coefficients remove no squared
    error in cross-validation but the room fit does: output is still a channel, and the
    sales course raises it most."""
    d = generate_alt(850, 6, 303, shape="kpi", out_dir=tmp_path / "kpi")
    history = history_from_dir(d)
    ff = FeatureBuilder().fit_transform(history)
    km = KPIGainModel(n_draws=5).fit(history, ff)
    k = "kpi_productividad"
    assert k in km.active_
    errors = km.cv_error_[k]
    total = errors["room"] / (1.0 - km.cv_gain_[k])  # the squared error of no effect
    assert 1.0 - errors["additive"] / total < KPI_MIN_IMPROVEMENT <= km.cv_gain_[k]
    X = ff.X.loc[latest_rows(ff)]
    mean_shift = {p: float(km.shifts(X, p)[k][0].mean()) for p in km.programs_}
    assert max(mean_shift, key=mean_shift.get) == "CAP-112"
    assert mean_shift["CAP-112"] > 0


def test_a_kpis_lasting_level_finds_who_a_course_helps_better_than_one_quarter(tmp_path):
    """Who a course helps depends on their lasting KPI level, of which one quarter's value
    is a noisy reading: with the lasting level (core.kpi_level), or else the four-quarter
    mean, the predicted cut in late arrivals of the punctuality course follows its true
    gain more closely than with the latest value alone (the same model, fitted without
    those columns), and the lasting level more closely than the mean."""
    d = generate_alt(1500, 8, 7, shape="kpi", out_dir=tmp_path / "kpi")
    history = history_from_dir(d)
    ff = FeatureBuilder().fit_transform(history)
    k = "kpi_tardanzas"
    for col in (f"{k}_mean4", f"{k}_lasting"):
        assert col in ff.X and col not in kpi_columns(ff.X.columns)
    person = ff.keys["employee_id"] == ff.keys["employee_id"].iloc[-1]
    values = ff.X.loc[person.to_numpy(), k]  # clipped, oldest first
    assert ff.X.loc[values.index[-1], f"{k}_mean4"] == approx(values.tail(4).mean())

    def without(*suffixes):
        return dataclasses.replace(ff, X=ff.X.drop(columns=[c for c in ff.X
                                                            if c.endswith(suffixes)]))

    frames = {"level": ff, "mean4": without("_lasting"),
              "latest": without("_lasting", "_mean4")}
    rows = latest_rows(ff)
    ids = ff.keys.loc[rows, "employee_id"].astype(str).to_numpy()
    gt = pd.read_csv(d / "ground_truth.csv", dtype={"employee_id": str, "program_id": str})
    truth = gt[gt["program_id"] == "CAP-111"].set_index("employee_id")["true_gain"]
    measured = ff.X.loc[rows, k].notna().to_numpy()
    corr = {}
    for name, frame in frames.items():
        km = KPIGainModel(n_draws=2).fit(history, frame)
        cut = -km.shifts(frame.X.loc[rows], "CAP-111")[k][0]
        corr[name] = spearmanr(cut[measured], truth.reindex(ids[measured])).statistic
    assert corr["mean4"] > corr["latest"] + 0.05, corr
    assert corr["level"] > corr["mean4"] + 0.02, corr


def test_the_panel_measures_skill_and_kpi_changes_over_the_next_two_quarters(tmp_path):
    """A program's gain lasts while each quarter's assessment carries fresh noise, so what
    happened after quarter t is the mean of t+1 and t+2 against t (t+1 alone where t+2 is
    not known yet); the rating change stays one quarter (what the uplift learner models)."""
    from core import synthetic
    from core.contract import SKILL_PREFIX
    from core.effects import OUTCOME_HORIZON, panel

    synthetic.generate(60, 5, seed=1).write(tmp_path)
    h = history_from_dir(tmp_path)
    ff = FeatureBuilder().fit_transform(h)
    pnl = panel(h, ff)
    one = panel(h, ff, horizon=1)
    assert OUTCOME_HORIZON == 2
    keys = ff.keys.assign(pos=np.arange(len(ff.keys)))
    by = {(e, p): i for e, p, i in keys[["employee_id", "period", "pos"]].itertuples(
        index=False)}
    periods = sorted(ff.keys["period"].unique())
    skill = ff.skills[0]
    kpi = kpi_columns(ff.X.columns)[0]
    seen = {1: 0, 2: 0}
    for j, row in enumerate(pnl.X.index):
        i = ff.X.index.get_loc(row)
        e, p = ff.keys["employee_id"].iloc[i], ff.keys["period"].iloc[i]
        k = periods.index(p)
        later = [by[(e, q)] for q in periods[k + 1:k + 3] if (e, q) in by]
        assert pnl.quarters_ahead[j] == len(later)
        seen[len(later)] += 1
        for col, frame in ((SKILL_PREFIX + skill, pnl.skill_change[skill]),
                           (kpi, pnl.kpi_change[kpi])):
            v = ff.X[col].to_numpy(dtype=float)
            want = np.nanmean(v[later]) - v[i]
            assert frame.iloc[j] == approx(want, nan_ok=True)
        assert one.skill_change[skill].iloc[j] == approx(
            ff.X[SKILL_PREFIX + skill].to_numpy(dtype=float)[later[0]]
            - ff.X[SKILL_PREFIX + skill].to_numpy(dtype=float)[i], nan_ok=True)
    assert seen[1] and seen[2]  # the last transition has one quarter ahead, others two
    np.testing.assert_array_equal(pnl.rating_change, one.rating_change)
    assert (one.quarters_ahead == 1).all()


def test_the_response_follows_a_kpi_only_the_way_the_rating_does(tmp_path):
    """More late arrivals go with lower ratings and more output with higher ones (an
    independent generator, KPI-driven shape): the response model learns each direction
    from the data and never predicts the other way; a KPI unrelated to the rating keeps no
    constraint."""
    from core.effects import ResponseModel, kpi_directions

    d = generate_alt(900, 6, 42, shape="kpi", out_dir=tmp_path / "kpi")
    history = history_from_dir(d)
    ff = FeatureBuilder().fit_transform(history)
    kpis = ["kpi_tardanzas", "kpi_productividad"]
    rm = ResponseModel(n_models=2, kpis=kpis, target="now").fit(ff)
    assert rm.kpi_directions_ == {"kpi_tardanzas": -1, "kpi_productividad": 1}
    X = ff.X.loc[latest_rows(ff)]
    for k, sign in rm.kpi_directions_.items():
        step = sign * np.nanstd(X[k].to_numpy(dtype=float))
        up = rm.predict(X.assign(**{k: X[k] + step})) - rm.predict(X)
        assert (up >= -1e-9).all() and up.max() > 0, k
    rng = np.random.default_rng(0)
    y = rng.normal(size=2000)
    noise = pd.DataFrame({"kpi_ruido": rng.normal(size=2000), "kpi_eco": y + rng.normal(size=2000)})
    assert kpi_directions(noise, y, ["kpi_ruido", "kpi_eco", "kpi_absent"]) == {
        "kpi_ruido": 0, "kpi_eco": 1, "kpi_absent": 0}
