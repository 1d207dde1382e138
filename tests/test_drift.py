"""Population stability index per feature, and which two uploads it compares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import drift, synthetic
from core.ingest import UploadFile, ingest


def test_identical_distributions_have_psi_zero():
    x = pd.Series(np.random.default_rng(0).normal(size=2000))
    assert drift.psi(x, x) == pytest.approx(0.0, abs=1e-12)
    y = pd.Series(np.random.default_rng(1).normal(size=2000))  # same law, other sample
    assert drift.psi(x, y) < 0.05
    assert drift.level(drift.psi(x, y)) == "stable"


def test_shifted_distribution_has_large_psi():
    rng = np.random.default_rng(0)
    ref = pd.Series(rng.normal(0, 1, 2000))
    assert drift.psi(ref, pd.Series(rng.normal(1.0, 1, 2000))) > drift.SHIFT
    small = drift.psi(ref, pd.Series(rng.normal(0.3, 1, 2000)))
    assert drift.WATCH <= small <= drift.SHIFT + 0.1
    assert drift.psi(ref, pd.Series(rng.normal(0.3, 1, 2000))) > drift.psi(
        ref, pd.Series(rng.normal(0.05, 1, 2000)))


def test_discrete_and_text_values_are_compared_value_by_value():
    ratings_a = pd.Series([1, 2, 3, 3, 4, 4, 4, 5] * 50)
    ratings_b = pd.Series([3, 4, 4, 5, 5, 5, 5, 5] * 50)
    assert drift.psi(ratings_a, ratings_a.sample(frac=1, random_state=1)) == pytest.approx(0)
    assert drift.psi(ratings_a, ratings_b) > drift.SHIFT
    sites_a = pd.Series(["Lima"] * 70 + ["Cusco"] * 30)
    sites_b = pd.Series(["Lima"] * 30 + ["Cusco"] * 30 + ["Piura"] * 40)  # a new category
    assert drift.psi(sites_a, sites_a) == pytest.approx(0)
    assert drift.psi(sites_a, sites_b) > drift.SHIFT


def test_a_column_that_starts_arriving_empty_is_drift():
    ref = pd.Series(np.arange(200, dtype=float))
    cur = ref.copy()
    cur[:120] = np.nan
    assert drift.psi(ref, cur) > drift.SHIFT
    assert np.isnan(drift.psi(ref, pd.Series([], dtype=float)))
    assert drift.level(float("nan")) == "na"


def test_levels_and_table_order():
    assert drift.level(0.05) == "stable"
    assert drift.level(0.1) == "watch"
    assert drift.level(0.25) == "watch"
    assert drift.level(0.26) == "shift"
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500),
                        "only_ref": 1.0})
    cur = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(2, 1, 500)})
    table = drift.psi_table(ref, cur)
    assert table["feature"].tolist() == ["b", "a"]
    assert table["level"].tolist() == ["shift", "stable"]
    assert table[["n_ref", "n_cur"]].iloc[0].tolist() == [500, 500]


def _perf_file(frame: pd.DataFrame, path) -> UploadFile:
    frame.to_csv(path, index=False)
    return UploadFile.from_path(path)


def test_drift_between_the_last_two_uploads(engine, tmp_path):
    org = synthetic.generate(80, 4, seed=5)
    paths = org.write(tmp_path / "org")
    last = org.performance["period"].max()
    perf = org.performance
    first = perf[perf["period"] != last]
    first_files = [UploadFile.from_path(p) for k, p in paths.items()
                   if k not in ("ground_truth", "performance", "training_records")]
    res = ingest([*first_files, _perf_file(first, tmp_path / "performance.csv")], engine)
    assert res.status == "stored"

    # One upload: its last two quarters are compared instead.
    one = drift.drift_report(engine, "history", "es")
    assert one.basis == "quarters" and not one.empty
    assert one.table["level"].isin(["stable", "watch"]).all()

    # The next quarter arrives with a CSAT that jumped: flagged, at the top.
    newest = perf[perf["period"] == last].copy()
    newest["kpi_csat"] = newest["kpi_csat"] + 25
    (tmp_path / "q").mkdir()
    res = ingest([_perf_file(newest, tmp_path / "q" / "performance.csv")], engine)
    assert res.status == "stored", res.to_json("en")["errors"][:3]
    rep = drift.drift_report(engine, "history", "en")
    assert rep.basis == "uploads"
    assert last in rep.current and f"version {res.dataset_version}" in rep.current
    row = rep.table.set_index("feature").loc["kpi_csat"]
    assert row["psi"] > drift.SHIFT and row["level"] == "shift"
    assert rep.table.iloc[0]["feature"] == "kpi_csat"  # the largest shift comes first


def test_no_data_no_drift(engine):
    assert drift.drift_report(engine, "history").empty
    assert drift.drift_report(engine, "snapshot").basis == "none"


def _reference_history_drift(engine, lang):
    """The former implementation: every measurement into pandas, split there."""
    from sqlalchemy import select

    from core.contract import period_key
    from core.models import Measurement

    with engine.connect() as conn:
        meas = pd.DataFrame(conn.execute(select(
            Measurement.employee_id, Measurement.period, Measurement.kind, Measurement.name,
            Measurement.value, Measurement.dataset_version_id)).all(),
            columns=["employee_id", "period", "kind", "name", "value", "dataset_version_id"])
    meas = meas[meas["period"].notna()]
    by_version = {int(v): g for v, g in meas.groupby("dataset_version_id")}
    uploads = sorted(by_version)[-2:]
    if len(uploads) == 2:
        sides = []
        for v in uploads:
            g = by_version[v]
            latest = max(g["period"].unique(), key=period_key)
            sides.append(g[g["period"] == latest])
        if sides[0]["period"].iloc[0] != sides[1]["period"].iloc[0]:
            return "uploads", drift._table(drift._wide(sides[0]), drift._wide(sides[1]))
    periods = sorted(meas["period"].unique(), key=period_key)
    p0, p1 = periods[-2:]
    return "quarters", drift._table(drift._wide(meas[meas["period"] == p0]),
                                    drift._wide(meas[meas["period"] == p1]))


def test_only_the_compared_quarters_are_read_with_the_same_result(engine, tmp_path):
    """The (upload, quarter) pairs are grouped in SQL and only the two compared quarters are
    loaded: the table is the one the full load gave, for both bases."""
    org = synthetic.generate(80, 4, seed=7)
    paths = org.write(tmp_path / "org")
    perf = org.performance
    last = perf["period"].max()
    files = [UploadFile.from_path(p) for k, p in paths.items()
             if k not in ("ground_truth", "performance", "training_records")]
    assert ingest([*files, _perf_file(perf[perf["period"] != last],
                                      tmp_path / "performance.csv")], engine).status == "stored"
    for step in ("quarters", "uploads"):
        if step == "uploads":
            newest = perf[perf["period"] == last].copy()
            newest["kpi_csat"] = newest["kpi_csat"] + 10
            (tmp_path / "q").mkdir()
            assert ingest([_perf_file(newest, tmp_path / "q" / "performance.csv")],
                          engine).status == "stored"
        rep = drift.drift_report(engine, "history", "es")
        basis, table = _reference_history_drift(engine, "es")
        assert rep.basis == basis == step
        pd.testing.assert_frame_equal(rep.table, table)
