"""Model registry and training service on SQLite and PostgreSQL (``engine`` fixture)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from sqlalchemy import func, select

from core import registry, synthetic
from core.db import session_scope
from core.features import FeatureBuilder
from core.ingest import UploadFile, ingest
from core.model import train_history_model
from core.models import Employee, ModelVersion
from core.training import TrainingError, load_training_history, train_from_store
from tests.test_snapshot import write_snapshot

BUDGET = 1  # these tests check the registry, not the tuning
FILES = ("employees", "performance", "programs", "training_records", "job_roles")


@pytest.fixture(scope="module")
def org_dirs(tmp_path_factory):
    """The same organization twice: all 5 quarters, and without its last quarter."""
    org = synthetic.generate(120, 5, seed=11)
    root = tmp_path_factory.mktemp("orgs")
    full = org.write(root / "full")
    last = org.performance["period"].max()
    org.performance = org.performance[org.performance["period"] != last]
    org.training_records = org.training_records[org.training_records["period"] != last]
    past = org.write(root / "past")
    org.performance = org.performance[org.performance["period"] == org.performance[
        "period"].max()]
    one = org.write(root / "one")  # uploaded without its training records
    return {"full": full, "past": past, "one": one}


def train(engine, **kw):
    """The service with one tuning trial: the same data gives the same model."""
    return train_from_store(engine, budget_seconds=BUDGET, max_trials=1, **kw)


def _ingest(engine, paths, kinds=FILES) -> int:
    res = ingest([UploadFile.from_path(paths[k]) for k in kinds], engine)
    assert res.status == "stored", res.to_json("en")["errors"][:3]
    return res.dataset_version


def _statuses(engine) -> dict[int, str]:
    return {v["id"]: v["status"] for v in registry.list_versions(engine)}


def _n_versions(engine) -> int:
    with session_scope(engine, write=False) as s:
        return s.scalar(select(func.count()).select_from(ModelVersion))


def _result(engine, *, blind: bool = False):
    """A history TrainResult on the store's data; ``blind`` hides every feature but one,
    which makes an honestly worse model on the same hold-out."""
    ff = FeatureBuilder().fit_transform(load_training_history(engine))
    if blind:
        X = ff.X.copy()
        for c in X.columns:
            if c not in ("quarter", *ff.categorical):
                X[c] = np.nan
        ff = dataclasses.replace(ff, X=X)
    return train_history_model(ff, budget_seconds=BUDGET, max_trials=1)


def test_save_promote_retrain_rollback(engine, org_dirs):
    dv = _ingest(engine, org_dirs["full"])
    first = train(engine, created_by="rrhh")
    assert first["status"] == "active" and first["kind"] == "history"
    assert first["compared_to"] is None and first["data_versions"] == [dv]
    json.dumps(first, allow_nan=False)  # what the CLI prints
    v1 = first["model_version"]
    listed = registry.list_versions(engine)
    assert [(v["id"], v["status"], v["kind"]) for v in listed] == [(v1, "active", "history")]
    assert listed[0]["created_by"] == "rrhh" and listed[0]["metrics"]["mae"] > 0
    assert listed[0]["metrics"]["holdout"]["period"] == first["metrics"]["holdout_period"]
    version, model = registry.active_model(engine, "history")
    assert version == v1 and np.isfinite(model.predict(
        FeatureBuilder().fit_transform(load_training_history(engine)).X.iloc[:5])).all()
    assert registry.active_model(engine, "snapshot") is None

    # same data again: same hold-out rows, stored metrics compared, not worse -> active
    second = train(engine)
    v2 = second["model_version"]
    assert second["status"] == "active", second["reason"]
    assert second["compared_to"]["version"] == v1
    assert second["compared_to"]["method"].startswith("same hold-out rows")
    assert _statuses(engine) == {v1: "retired", v2: "active"}

    ok, reason = registry.rollback(engine, v1)
    assert ok, reason
    assert _statuses(engine) == {v1: "active", v2: "retired"}
    assert registry.active_model(engine, "history")[0] == v1
    assert registry.rollback(engine, v1) == (True, "already active")
    assert registry.promote(engine, 999)[0] is False


def test_worse_candidate_is_refused_unless_forced(engine, org_dirs):
    _ingest(engine, org_dirs["full"])
    good = train(engine)["model_version"]
    worse = _result(engine, blind=True)
    vid = registry.save_candidate(engine, worse, kind="history", target="next_rating",
                                  data_versions=[1])
    ok, reason = registry.promote(engine, vid)
    assert not ok and "worse" in reason, reason
    assert _statuses(engine) == {good: "active", vid: "candidate"}
    refusal = registry.get_version(engine, vid)["metrics"]["promotion"]
    assert refusal["refused"] and refusal["value_candidate"] > refusal["value_active"]

    ok, reason = registry.promote(engine, vid, force=True)
    assert ok and "forced" in reason
    assert _statuses(engine) == {good: "retired", vid: "active"}


def test_corrupt_model_text_never_becomes_active(engine, org_dirs):
    _ingest(engine, org_dirs["full"])
    good = train(engine)["model_version"]
    vid = registry.save_candidate(engine, _result(engine), kind="history",
                                  target="next_rating", data_versions=[1])
    with session_scope(engine) as s:
        mv = s.get(ModelVersion, vid)
        mv.model_text = mv.model_text[: len(mv.model_text) // 2]
    for force in (False, True):
        ok, reason = registry.promote(engine, vid, force=force)
        assert not ok and "does not load" in reason
    ok, reason = registry.rollback(engine, vid)
    assert not ok and "does not load" in reason
    with session_scope(engine) as s:  # a well-formed text of the wrong kind fails too
        s.get(ModelVersion, vid).model_text = "tree\nversion=v4\n"
    assert registry.promote(engine, vid, force=True)[0] is False
    assert _statuses(engine) == {good: "active", vid: "candidate"}
    assert registry.active_model(engine, "history")[0] == good

    class Broken:
        def to_text(self):
            return "not a model"

    broken = dataclasses.replace(_result(engine), model=Broken())
    with pytest.raises(ValueError):
        registry.save_candidate(engine, broken, kind="history", target="next_rating",
                                data_versions=[1])
    assert _n_versions(engine) == 2


def test_new_quarter_scores_the_active_model_as_it_is(engine, org_dirs):
    _ingest(engine, org_dirs["past"])
    old = train(engine)
    dv2 = _ingest(engine, org_dirs["full"])
    new = train(engine)
    assert new["metrics"]["holdout_period"] > old["metrics"]["holdout_period"]
    cmp = new["compared_to"]
    assert cmp["version"] == old["model_version"]
    assert cmp["method"].startswith("active model scored as it is"), cmp
    assert new["status"] == ("active" if cmp["not_worse"] else "candidate")
    assert dv2 in new["data_versions"]  # the versions whose rows the store holds


def test_changed_holdout_rows_refit_the_active_recipe(engine, org_dirs):
    _ingest(engine, org_dirs["full"])
    first = train(engine)
    period = first["metrics"]["holdout_period"]
    ff = FeatureBuilder().fit_transform(load_training_history(engine))
    someone = ff.keys.loc[(ff.keys["period"] == period) & ff.y_rating.notna(),
                          "employee_id"].iloc[0]
    with session_scope(engine) as s:  # objects to automated scoring: out of training too
        s.get(Employee, someone).scoring_opt_out = True
    second = train(engine)
    cmp = second["compared_to"]
    assert cmp["method"].startswith("active recipe refitted"), cmp
    assert second["metrics"]["n_test"] == first["metrics"]["n_test"] - 1


def test_no_data_and_one_quarter_give_clear_errors(engine, org_dirs):
    with pytest.raises(TrainingError) as err:
        train(engine)
    assert "No hay datos" in err.value.message("es")
    assert "no data" in err.value.message("en")
    _ingest(engine, org_dirs["one"], ("employees", "performance"))
    with pytest.raises(TrainingError) as err:
        train(engine)
    assert "un trimestre" in err.value.message("es") and "one quarter" in err.value.message(
        "en")
    assert _n_versions(engine) == 0


def test_failed_training_keeps_the_active_model(engine, org_dirs, tmp_path, monkeypatch):
    _ingest(engine, org_dirs["full"])
    good = train(engine)["model_version"]
    # an unexpected failure inside training
    import core.model

    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    with monkeypatch.context() as m:
        m.setattr(core.model, "train_history_model", boom)
        with pytest.raises(RuntimeError):
            train(engine, force=True)
    # a snapshot whose outcome has 9 positives: a clear error, nothing stored
    path = write_snapshot(tmp_path / "pocos.csv", n=150, positives=9)
    assert ingest([UploadFile.from_path(path)], engine, kind="snapshot",
                  target="ascendido").status == "stored"
    with pytest.raises(TrainingError) as err:
        train(engine, target="ascendido")
    assert "at least 10" in err.value.message("en")
    with pytest.raises(TrainingError):
        train(engine, target="no_such_column")
    assert _statuses(engine) == {good: "active"}
    assert registry.active_model(engine, "history")[0] == good


def test_too_little_history_keeps_the_active_model(engine, org_dirs, monkeypatch):
    """Issue 3, bad input: one quarter without an outcome, or a class with under 10
    examples, gives a clear message in both languages, stores nothing and leaves the active
    model active."""
    import core.training

    _ingest(engine, org_dirs["full"])
    good = train(engine)["model_version"]
    full = load_training_history(engine)

    last = full.performance["period"].max()
    one_quarter = dataclasses.replace(
        full, performance=full.performance[full.performance["period"] == last])
    perf = full.performance.copy()
    perf["performance_rating"] = 4.0
    perf.loc[perf.index[:9], "performance_rating"] = 1.0  # nine low ratings at most
    nine_low = dataclasses.replace(full, performance=perf)
    for history, es, en in ((one_quarter, "trimestre", "quarter"),
                            (nine_low, "10", "at least 10")):
        with monkeypatch.context() as m:
            m.setattr(core.training, "load_training_history", lambda _e, h=history: h)
            with pytest.raises(TrainingError) as err:
                train(engine, force=True)
        assert es in err.value.message("es") and en in err.value.message("en")
        assert err.value.message("es") != err.value.message("en")
        assert _statuses(engine) == {good: "active"}
        assert registry.active_model(engine, "history")[0] == good


def test_snapshot_models_in_the_registry(engine, tmp_path):
    path = write_snapshot(tmp_path / "ascensos.csv", n=400, seed=2)
    dv = ingest([UploadFile.from_path(path)], engine, kind="snapshot",
                target="ascendido").dataset_version
    first = train(engine)  # the only data: a snapshot
    assert first["kind"] == "snapshot" and first["status"] == "active"
    assert first["target"] == "ascendido" and first["data_versions"] == [dv]
    assert "mae" not in first["metrics"] and first["metrics"]["auc"] > 0.6
    version, model = registry.active_model(engine, "snapshot")
    assert version == first["model_version"] and model.positive_label_ == "Sí"
    again = train(engine, target="ascendido")
    assert again["status"] == "active"
    assert again["compared_to"]["metric"] == "auc"
    assert again["compared_to"]["method"].startswith("same hold-out rows")

    # a new upload of the same people: the active model saw them, so its recipe is refitted
    path2 = write_snapshot(tmp_path / "ascensos_2.csv", n=400, seed=3)
    dv2 = ingest([UploadFile.from_path(path2)], engine, kind="snapshot",
                 target="ascendido").dataset_version
    third = train(engine)
    assert third["data_versions"] == [dv2]
    assert third["compared_to"]["method"].startswith("active recipe refitted"), third
    # another outcome: nothing to compare with, the new question replaces the old one
    other = train(engine, target="kpis_cumplidos")
    assert other["status"] == "active" and other["target"] == "kpis_cumplidos"
    assert "outcome changed" in other["reason"]
