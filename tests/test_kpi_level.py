"""The lasting level of a KPI (core.kpi_level) and its column in the feature matrix."""

import numpy as np
import pandas as pd
import pytest

from core.features import (
    FeatureBuilder,
    is_kpi_value,
    kpi_level,
    performance_features,
)
from core.kpi_level import (
    LevelParams,
    fit_level,
    lag_matrix,
    lasting_level,
    level_line,
    quarter_means,
)


def _means(v, pk):
    means = quarter_means(v, pk)
    return np.array([means[q] for q in pk])


def _panel(n: int = 3000, quarters: int = 10, rho: float = 0.85, sd_a: float = 0.5,
           sd_e: float = 0.6, seed: int = 0):
    """Readings of a local-level model (rows sorted by employee and quarter) and the true
    lasting part of each."""
    rng = np.random.default_rng(seed)
    a = rng.normal(0.0, sd_a, n)
    lasting, readings = [], []
    for _ in range(quarters):
        lasting.append(a.copy())
        readings.append(a + sd_e * rng.standard_normal(n))
        a = rho * a + sd_a * np.sqrt(1 - rho ** 2) * rng.standard_normal(n)
    a = np.column_stack(lasting).ravel()
    v = 10.0 + np.column_stack(readings).ravel()
    employee = np.repeat(np.arange(n).astype(str), quarters)
    pk = np.tile(np.arange(quarters), n)
    return v, employee, pk, 10.0 + a


def test_lag_matrix_reads_earlier_quarters_of_the_same_person_only():
    v = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    employee = np.array(["a", "a", "a", "b", "b"])
    pk = np.array([1, 2, 4, 1, 2])  # a's quarter 3 is missing
    R = lag_matrix(v, employee, pk, 3)
    np.testing.assert_array_equal(R[:, 0], v)
    np.testing.assert_array_equal(R[:, 1], [np.nan, 1.0, np.nan, np.nan, 4.0])
    np.testing.assert_array_equal(R[:, 2], [np.nan, np.nan, 2.0, np.nan, np.nan])


def test_the_model_is_recovered_from_the_readings():
    v, employee, pk, _ = _panel()
    p = fit_level(v, employee, pk)
    assert p.rho == pytest.approx(0.85, abs=0.05)
    assert p.var_a == pytest.approx(0.25, rel=0.15)
    assert p.var_e == pytest.approx(0.36, rel=0.1)


def test_the_level_is_closer_to_the_lasting_part_than_the_four_quarter_mean():
    v, employee, pk, truth = _panel(seed=1)
    level = lasting_level(v, employee, pk, fit_level(v, employee, pk), _means(v, pk))
    mean4 = (pd.Series(v).groupby(employee, sort=False).rolling(4, min_periods=1).mean()
             .to_numpy())
    last = pk == pk.max()
    err_level = np.mean((level[last] - truth[last]) ** 2)
    err_mean4 = np.mean((mean4[last] - truth[last]) ** 2)
    assert err_level < 0.85 * err_mean4, (err_level, err_mean4)


def test_one_reading_is_pulled_to_the_quarter_mean_by_its_reliability():
    p = LevelParams(rho=0.9, var_a=1.0, var_e=3.0)
    v = np.array([10.0, 14.0])  # two people, one quarter each; quarter mean 12
    level = lasting_level(v, np.array(["a", "b"]), np.array([5, 5]), p, np.full(2, 12.0))
    np.testing.assert_allclose(level, [12.0 - 2.0 * 0.25, 12.0 + 2.0 * 0.25])
    # no reading in the window: no level
    missing = lasting_level(np.array([np.nan, 14.0]), np.array(["a", "b"]),
                            np.array([5, 5]), p, np.full(2, 12.0))
    assert np.isnan(missing[0])


def test_readings_without_persistence_fall_back_to_the_four_quarter_mean():
    rng = np.random.default_rng(2)
    n, q = 400, 6
    v = rng.standard_normal(n * q)
    employee = np.repeat(np.arange(n).astype(str), q)
    pk = np.tile(np.arange(q), n)
    v = v - 0.5 * np.r_[0.0, v[:-1]] * (pk > 0)  # each reading pulled from the last
    assert fit_level(v, employee, pk) is None
    quarter_mean = _means(v, pk)
    level = lasting_level(v, employee, pk, None, quarter_mean)
    dev = pd.Series(v - quarter_mean)
    expected = quarter_mean + dev.groupby(employee, sort=False).rolling(4, min_periods=1
                                                                      ).mean().to_numpy()
    np.testing.assert_allclose(level, expected)


def test_the_feature_matrix_holds_each_kpis_and_skills_level_not_for_the_model(tmp_path):
    from core import synthetic
    from core.contract import SKILL_PREFIX, period_key
    from core.features import history_from_dir, level_column

    synthetic.generate(80, 6, seed=1).write(tmp_path)
    builder = FeatureBuilder()
    ff = builder.fit_transform(history_from_dir(tmp_path))
    employee = ff.keys["employee_id"].astype(str).to_numpy()
    pk = ff.keys["period"].map(period_key).to_numpy()
    kpis = [c for c in ff.X if is_kpi_value(c)]
    skills = [SKILL_PREFIX + s for s in ff.skills]
    assert kpis and skills
    for k in [*kpis, *skills]:
        col = level_column(k)
        assert col in ff.X and not is_kpi_value(col) and not col.startswith(SKILL_PREFIX)
        assert col not in performance_features(ff.X)
        params, means = builder.levels_[k]
        assert params is not None
        v = ff.X[k].to_numpy(dtype=float)
        expected = lasting_level(v, employee, pk, params, np.array([means[q] for q in pk]))
        np.testing.assert_allclose(ff.X[col].to_numpy(), expected)
        # shrunk towards the quarter's mean: less spread than the readings themselves
        assert ff.X[col].std() < ff.X[k].std()


@pytest.mark.parametrize("persist", [True, False])
def test_the_level_line_moves_the_level_as_a_rebuild_would(persist):
    """A what-if sets this quarter's reading: ``a + b * reading`` is the level that
    rebuilding from the changed readings gives, gaps and a missing reading included."""
    v, employee, pk, _ = _panel(n=50, quarters=10, seed=4)
    params = fit_level(v, employee, pk) if persist else None
    v[[3, 5]] = np.nan  # the first person misses two quarters
    mean = _means(v, pk)
    last = 9  # the first person's latest row
    past = (v - mean)[last - 1::-1][:7]
    a, b = level_line(past, params, float(mean[last]))
    for reading in (8.0, 12.5):
        changed = v.copy()
        changed[last] = reading
        level = lasting_level(changed, employee, pk, params, mean)
        assert a + b * reading == pytest.approx(level[last])


def test_a_kpi_named_like_a_level_is_still_a_kpi():
    """Real KPI names end with "_level" (service level): the lasting level's column must not
    take them for one of its own."""
    assert is_kpi_value("kpi_service_level")
    assert kpi_level("kpi_service_level") == "kpi_service_level_lasting"
    assert not is_kpi_value(kpi_level("kpi_service_level"))


def test_a_quarter_fit_did_not_see_takes_its_own_mean_or_the_latest_known(tmp_path):
    """Scoring a newer upload with a builder fitted before it: the new quarter's mean comes
    from its own readings where there are enough (the whole organization), else (one
    person's history) from the latest quarter fit saw."""
    import dataclasses

    from core import synthetic
    from core.contract import period_key
    from core.features import history_from_dir

    synthetic.generate(80, 6, seed=2).write(tmp_path)
    history = history_from_dir(tmp_path)
    perf = history.performance
    newest = max(perf["period"], key=period_key)
    builder = FeatureBuilder().fit(dataclasses.replace(
        history, performance=perf[perf["period"] != newest]))
    k = next(c for c in perf if is_kpi_value(c))
    params, known = builder.levels_[k]
    assert period_key(newest) not in known
    ff = builder.transform(history)
    new = (ff.keys["period"] == newest).to_numpy()
    v = ff.X[k].to_numpy(dtype=float)
    own = np.nanmean(v[new])
    employee = ff.keys["employee_id"].astype(str).to_numpy()
    pk = ff.keys["period"].map(period_key).to_numpy()
    mean = np.array([known.get(q, own) for q in pk])
    np.testing.assert_allclose(ff.X[kpi_level(k)].to_numpy(),
                               lasting_level(v, employee, pk, params, mean))
    person = ff.keys["employee_id"].iloc[-1]
    one = builder.transform(dataclasses.replace(
        history, performance=perf[perf["employee_id"] == person]))
    mean = np.array([known.get(q, known[max(known)]) for q in pk[employee == person]])
    np.testing.assert_allclose(
        one.X[kpi_level(k)].to_numpy(),
        lasting_level(one.X[k].to_numpy(dtype=float), employee[employee == person],
                      pk[employee == person], params, mean))
