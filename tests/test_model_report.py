"""Model report: stored hold-out metrics, importance on the hold-out, audited model changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from core import model_report
from core.db import session_scope
from core.models import AuditLog, Recommendation
from core.training import train_from_store
from core.users import add_user, current_user
from tests.orgs import stored_team_org

STORED = {
    "auc": 0.81, "precision": 0.5, "recall": 0.25, "f1": 1 / 3, "accuracy": 0.9, "mae": 0.4,
    "threshold": 0.3, "seconds": 2.0,
    "confusion_matrix": {"tn": 80, "fp": 2, "fn": 6, "tp": 2},
    "calibration": [
        {"bin": 0, "low": 0.0, "high": 0.1, "mean_predicted": 0.05, "observed_rate": 0.02,
         "count": 60},
        {"bin": 1, "low": 0.1, "high": 0.2, "mean_predicted": None, "observed_rate": None,
         "count": 0},
        {"bin": 9, "low": 0.9, "high": 1.0, "mean_predicted": 0.93, "observed_rate": 0.5,
         "count": 30},
    ],
}


def test_metrics_confusion_and_calibration_from_stored_metrics():
    table = model_report.get_metrics_df(STORED, "es")
    assert table["metric"].tolist() == ["auc", "precision", "recall", "f1", "accuracy", "mae"]
    assert "seconds" not in set(table["metric"]) and "threshold" not in set(table["metric"])
    assert table.set_index("metric").loc["recall", "label"] == "Sensibilidad"
    cm = model_report.get_confusion(STORED)
    assert cm.tolist() == [[80, 2], [6, 2]]
    cal = model_report.get_calibration_df(STORED)
    assert cal["count"].tolist() == [60, 30]  # the empty bin is left out
    assert model_report.get_confusion({}) is None
    assert model_report.get_calibration_df({"calibration": []}).empty
    fig = model_report.plot_confusion(cm, model_report.classes({"kind": "history"}, "en"), "en")
    assert fig.layout.xaxis.title.text == "Predicted"
    assert list(fig.data[0].x) == ["Not low (> 2)", "Low rating (≤ 2)"]
    fig = model_report.plot_calibration(cal, "es")
    assert fig.layout.yaxis.title.text == "Proporción observada"


def test_compare_metrics_keeps_both_sides():
    df = model_report.compare_metrics_df({"mae": 0.4, "auc": 0.8}, {"mae": 0.5}, "en")
    rows = df.set_index("metric")
    assert rows.loc["mae", "new"] == 0.4 and rows.loc["mae", "old"] == 0.5
    assert rows.loc["mae", "better"] == "lower"
    assert np.isnan(rows.loc["auc", "old"])
    assert model_report.compare_metrics_df({"mae": 0.4}, None, "es")["old"].isna().all()


def test_dates_in_lima_time():
    assert model_report.when_lima("2026-03-01T15:30:00+00:00") == "01/03/2026 10:30"
    assert model_report.when_lima("2026-03-01T15:30:00") == "01/03/2026 10:30"
    assert model_report.when_lima(None) == ""


@pytest.fixture
def trained(engine, tmp_path):
    stored_team_org(engine, tmp_path / "org", employees=120, quarters=4, seed=4)
    with session_scope(engine) as s:
        add_user(s, username="rrhh", password="12345678", role="hr")
        add_user(s, username="cap", password="12345678", role="trainer")
    first = train_from_store(engine, budget_seconds=1, max_trials=1)
    second = train_from_store(engine, budget_seconds=1, max_trials=1)
    assert first["status"] == "active" and second["status"] == "active"  # same data: tie
    return first["model_version"], second["model_version"]


def test_active_model_metrics_are_the_stored_hold_out_ones(engine, trained):
    v1, v2 = trained
    active = model_report.active_versions(engine)
    assert set(active) == {"history"} and active["history"]["id"] == v2
    m = active["history"]["metrics"]
    cm = model_report.get_confusion(m)
    assert cm.sum() == m["n_test"]  # every hold-out row, once
    assert model_report.get_calibration_df(m)["count"].sum() == m["n_test"]
    assert model_report.main_metric(active["history"])[0] == "mae"
    text = model_report.holdout_text(active["history"], "es")
    assert m["holdout_period"] in text and str(m["n_test"]) in text
    table = model_report.get_versions_df(model_report.versions(engine), "es")
    assert table["Versión"].tolist() == [v2, v1]
    assert table["Estado"].tolist() == ["Activo", "Retirado"]


def test_importance_on_the_hold_out_rows(engine, trained):
    _v1, v2 = trained
    imp = model_report.get_importance_df(engine, v2, "rating")
    n_test = model_report.active_versions(engine)["history"]["metrics"]["n_test"]
    assert imp.attrs["n_rows"] == n_test
    assert 0 < len(imp) <= model_report.TOP_FEATURES
    assert imp["mean_abs_shap"].is_monotonic_decreasing and imp["mean_abs_shap"].iloc[0] > 0
    low = model_report.get_importance_df(engine, v2, "low")
    assert not low.empty and not low["mean_abs_shap"].equals(imp["mean_abs_shap"])
    fig = model_report.plot_importance(imp, "en", "x")
    assert list(fig.data[0].y)[-1] == imp["label_en"].iloc[0]  # most important on top


def _audit(engine) -> list[tuple[str, str, dict]]:
    with session_scope(engine, write=False) as s:
        return [(a.username, a.action, a.detail) for a in s.scalars(
            select(AuditLog).where(AuditLog.action.like("model_%")).order_by(AuditLog.id))]


def test_rollback_and_promote_are_audited_and_plans_ensured(engine, trained, monkeypatch):
    v1, v2 = trained
    calls = []
    note = {"es": "Nadie completó P07: ...", "en": "Nobody completed P07: ..."}

    def fake_plans(engine_, *, top_k=3, **kw):
        import pandas as pd

        calls.append(top_k)
        return v1, pd.DataFrame(), {"warnings": [note]}

    monkeypatch.setattr("core.plans.compute_plans", fake_plans)
    monkeypatch.setattr("core.plans.store_plans", lambda e, v, recs: 7)
    with session_scope(engine, write=False) as s:
        hr, trainer = current_user(s, "rrhh"), current_user(s, "cap")
    with pytest.raises(PermissionError):
        model_report.rollback(engine, trainer, v1)

    res = model_report.rollback(engine, hr, v1)
    assert res.ok and res.plans_stored == 7 and calls == [3]  # v1 had no plans: computed
    assert res.plan_warnings == (note,)  # what HR should know about those plans
    assert model_report.active_versions(engine)["history"]["id"] == v1
    # v2 already has a stored plan: promoting it back computes nothing.
    with session_scope(engine) as s:
        s.add(Recommendation(model_version_id=v2, employee_id="E00001", program_id="P01",
                             rank=1, expected_gain=0.1))
    res = model_report.promote(engine, hr, v2)
    assert res.ok and res.plans_stored is None and calls == [3] and res.plan_warnings == ()
    assert model_report.active_versions(engine)["history"]["id"] == v2
    log = _audit(engine)
    assert [(u, a) for u, a, _d in log] == [("rrhh", "model_rolled_back"),
                                            ("rrhh", "model_promoted")]
    assert log[0][2]["model_version"] == v1 and log[0][2]["previous_active"] == {
        "history": v2}
    refused = model_report.rollback(engine, hr, 9999)
    assert not refused.ok and _audit(engine)[-1][1] == "model_rolled_back_refused"


def test_shared_feature_frame_gives_the_same_importance(engine, trained):
    """The page builds the feature frame once (from the cached store frames) and passes it:
    the importance is the one built from the store directly."""
    from core.features import load_history

    _v1, v2 = trained
    ff = model_report.training_features(history=load_history(engine))
    for which in ("rating", "low"):
        pd.testing.assert_frame_equal(
            model_report.get_importance_df(engine, v2, which, features=ff),
            model_report.get_importance_df(engine, v2, which))


def test_registry_reasons_read_in_spanish(engine, trained):
    """The registry keeps its reasons in English (log, audit); HR reads them in Spanish."""
    v1, v2 = trained
    with session_scope(engine, write=False) as s:
        hr = current_user(s, "rrhh")
    said = model_report.rollback(engine, hr, 9999).reason
    assert model_report.reason_text(said, "es") == "la versión 9999 no existe"
    assert model_report.reason_text(said, "en") == said
    kept = model_report.promote(engine, hr, v2).reason  # v2 is the active one
    assert model_report.reason_text(kept, "es") == "ya estaba activo"
    again = train_from_store(engine, budget_seconds=1, max_trials=1)["reason"]  # same data
    assert again.startswith("not worse: mae ")
    es = model_report.reason_text(again, "es")
    assert es.startswith("no es peor: mae ") and f"de la versión activa {v2} (mismas filas " \
        "de prueba: se comparan las métricas guardadas)" in es
    cases = {
        f"not worse: mae 0.5432 vs 0.5432 of active version {v1} (same hold-out rows: stored "
        "metrics compared)":
            f"no es peor: mae 0.5432 frente a 0.5432 de la versión activa {v1} (mismas filas "
            "de prueba: se comparan las métricas guardadas)",
        "worse than the active model: auc 0.8000 vs 0.8100 of active version 3 (active model "
        "scored as it is (it never saw these people))":
            "peor que el modelo activo: auc 0.8000 frente a 0.8100 de la versión activa 3 (el "
            "modelo activo evaluado tal cual (nunca vio a estas personas))",
        "forced: replaces version 4": "forzado: reemplaza a la versión 4",
        "no active model yet: activated": "no había un modelo activo: activado",
        "the outcome changed (is_promoted -> left): no comparison; replaces version 2":
            "cambió el resultado (is_promoted → left): sin comparación; reemplaza a la "
            "versión 2",
        "mae could not be computed on the hold-out":
            "no se pudo calcular mae en el conjunto de prueba",
        "something new": "something new",  # an unknown reason is shown as it is
    }
    for english, spanish in cases.items():
        assert model_report.reason_text(english, "es") == spanish
    assert model_report.reason_text(None, "es") == ""
