"""Modelo page (HR) with AppTest on a small trained organization; the Datos training result."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.db import get_engine, session_scope, upgrade
from core.models import AuditLog, Recommendation
from core.registry import get_version
from core.training import train_from_store
from core.users import add_user
from tests.orgs import stored_team_org

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "una frase larga para las pruebas de la página modelo"


def _users(engine, boss: str | None = None, member: str | None = None) -> None:
    with session_scope(engine) as s:
        add_user(s, username="rrhh", password=PASSWORD, role="hr", full_name="RR.HH.")
        add_user(s, username="cap", password=PASSWORD, role="trainer")
        if boss:
            add_user(s, username="jefe", password=PASSWORD, role="manager", employee_id=boss)
            add_user(s, username="ana", password=PASSWORD, role="employee",
                     employee_id=member)


@pytest.fixture(scope="module")
def trained_db(tmp_path_factory) -> dict:
    """A 120-person org, trained twice (v1 retired, v2 active), each with a stored plan."""
    root = tmp_path_factory.mktemp("modelo")
    path = root / "app.db"
    engine = get_engine(f"sqlite:///{path}")
    upgrade(engine)
    org = stored_team_org(engine, root / "org", employees=120, quarters=4, seed=4)
    _users(engine, org["boss"], org["team"][0])
    v1 = train_from_store(engine, budget_seconds=1, max_trials=1)["model_version"]
    v2 = train_from_store(engine, budget_seconds=1, max_trials=1)["model_version"]
    with session_scope(engine) as s:  # so that a model change computes no plans here
        for v in (v1, v2):
            s.add(Recommendation(model_version_id=v, employee_id=org["team"][0],
                                 program_id="P01", rank=1, expected_gain=0.1))
    engine.dispose()
    return {"path": path, "v1": v1, "v2": v2}


@pytest.fixture
def db(trained_db, tmp_path, monkeypatch) -> dict:
    """A private copy of the trained database, so a test may change the active model."""
    path = tmp_path / "copy.db"
    shutil.copy(trained_db["path"], path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    return {**trained_db, "url": url}


def _page(username: str, path: str = "pages/modelo.py", lang: str = "es",
          **state) -> AppTest:
    """The page run once as ``username``; ``state``: more session state set before it."""
    at = AppTest.from_file(str(ROOT / path), default_timeout=180)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def test_hr_sees_metrics_charts_versions_drift_and_fairness(db):
    at = _page("rrhh")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Modelo"
    labels = {m.label: m.value for m in at.metric}
    for name in ("AUC", "Precisión", "Sensibilidad", "F1", "Exactitud", "Brier",
                 "Error medio", "Error si nada cambia"):
        assert name in labels
    assert all("." in v and "," not in v for v in labels.values())  # 0.812, Peru style
    heads = [h.value for h in at.subheader]
    assert heads[0].startswith(f"Métricas del modelo activo (versión {db['v2']})")
    assert {"Importancia global de las variables (SHAP)", "Versiones del modelo",
            "Cambio en los datos (PSI)", "Auditoría de equidad"} <= set(heads)
    assert any("trimestres" in c.value for c in at.caption)  # one upload: two quarters
    assert any("cuatro quintos" in c.value for c in at.caption)
    assert [b.label for b in at.button] == [f"Volver a la versión {db['v1']}"]
    versions = at.dataframe[0].value
    assert versions["Estado"].tolist() == ["Activo", "Retirado"]


def test_english(db):
    at = _page("rrhh", lang="en")
    assert not at.exception and not at.error
    assert at.title[0].value == "Model"
    assert "Recall" in {m.label for m in at.metric}
    assert "Fairness audit" in [h.value for h in at.subheader]


@pytest.mark.parametrize("who", ["jefe", "ana", "cap"])
def test_other_roles_are_refused(db, who):
    at = _page(who)
    assert not at.exception
    assert any("acceso" in e.value for e in at.error)
    assert not at.title and not at.metric


def test_empty_state_without_a_model(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = get_engine(url)
    upgrade(engine)
    _users(engine)
    at = _page("rrhh")
    assert not at.exception and not at.error
    assert any("Sube datos y entrena en **Datos**" in i.value for i in at.info)
    assert not at.metric and not at.button


def test_rollback_from_the_page_is_audited(db):
    at = _page("rrhh")
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert any(f"La versión {db['v1']} es ahora el modelo activo" in s.value
               for s in at.success)
    assert at.subheader[0].value.startswith(f"Métricas del modelo activo (versión {db['v1']})")
    engine = get_engine(db["url"])
    assert get_version(engine, db["v1"])["status"] == "active"
    with session_scope(engine, write=False) as s:
        actions = s.execute(select(AuditLog.username, AuditLog.action).where(
            AuditLog.action.like("model_%"))).all()
    assert actions == [("rrhh", "model_rolled_back")]


def test_data_page_shows_new_against_active_and_promotes(db):
    """After a retrain that stayed a candidate, HR compares and can promote it."""
    engine = get_engine(db["url"])
    v1, v2 = db["v1"], db["v2"]
    old = get_version(engine, v1)
    at = _page("rrhh", "pages/datos.py", train_result={
        "model_version": v1, "status": "candidate", "kind": "history",
        "metrics": old["metrics"], "previous_active": v2, "plans_stored": None,
        "reason": "worse than the active model",
        "compared_to": {"version": v2, "metric": "mae", "value_candidate": 0.61,
                        "value_active": 0.55}})
    assert not at.exception and not at.error
    assert any("quedó como candidato" in w.value for w in at.warning)
    table = at.dataframe[-1].value
    assert list(table.columns) == ["Métrica", f"Nuevo (v{v1})", f"Activo antes (v{v2})", "Mejor"]
    assert "Error medio" in table["Métrica"].tolist()
    assert any("0.610 (nuevo) frente a 0.550" in c.value for c in at.caption)
    promote = next(b for b in at.button if b.label == f"Promover el modelo nuevo (versión {v1})")
    promote.click().run()
    assert not at.exception and not at.error
    assert any(f"versión {v1}) es ahora el activo" in s.value for s in at.success)
    assert get_version(engine, v1)["status"] == "active"
    with session_scope(engine, write=False) as s:
        assert s.scalar(select(AuditLog.action).where(
            AuditLog.action == "model_promoted")) == "model_promoted"


# an estimator's note on the plans it made, as compute_plans hands it on
NOTE = {"es": "Nadie completó P07: su efecto se estima con el de los demás programas.",
        "en": "Nobody completed P07: its effect is estimated from the other programs."}


def test_data_page_tells_hr_what_the_new_plans_rest_on(db):
    """The estimator's notes on the stored plans (e.g. a program nobody completed) reach HR."""
    v1 = db["v1"]
    engine = get_engine(db["url"])
    at = _page("rrhh", "pages/datos.py", train_result={
        "model_version": v1, "status": "active", "kind": "history",
        "metrics": get_version(engine, v1)["metrics"], "previous_active": None,
        "plans_stored": 42, "plan_warnings": [NOTE], "reason": "no active model yet: activated"})
    assert not at.exception and not at.error
    assert [i.value for i in at.info if "Nadie completó" in i.value] == [NOTE["es"]]
    # the registry's reason, stored in English, read in Spanish
    assert "Detalle técnico: no había un modelo activo: activado" in [c.value for c in at.caption]


def test_model_change_shows_the_notes_on_the_plans_it_stored(db):
    """After a promote or roll-back that computed plans, the estimator's notes follow."""
    at = _page("rrhh", lang="en",
               model_flash=("success", "Version 1 is now active.", "ok", (NOTE,)))
    assert not at.exception and not at.error
    assert [i.value for i in at.info if "Nobody completed" in i.value] == [NOTE["en"]]
