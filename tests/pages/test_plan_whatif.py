"""Plan page with a trained model: the what-if panel, the PDF download, audit once, scope."""

import warnings
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from core.db import get_engine, session_scope, upgrade
from core.models import AuditLog, Employee
from core.plans import compute_plans, store_plans
from core.training import train_from_store
from core.users import add_user
from tests.orgs import stored_team_org

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "una frase larga con ñandú y acentos"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small organization, trained, with everyone's plan stored (as `make run` leaves it)."""
    tmp = tmp_path_factory.mktemp("plan_whatif")
    url = f"sqlite:///{tmp / 'app.db'}"
    engine = get_engine(url)
    upgrade(engine)
    org = stored_team_org(engine, tmp / "org", employees=80, quarters=4, seed=5)
    summary = train_from_store(engine, budget_seconds=1, max_trials=1)
    assert summary["status"] == "active"
    with warnings.catch_warnings():  # a small org: some programs nobody completed yet
        warnings.simplefilter("ignore")
        version, plans, _ctx = compute_plans(engine, top_k=3)
    store_plans(engine, version, plans)
    person = next(e for e in org["team"] if e in set(plans["employee_id"]))
    with session_scope(engine) as s:
        add_user(s, username="colaborador", password=PASSWORD, role="employee",
                 employee_id=person)
        add_user(s, username="jefe", password=PASSWORD, role="manager",
                 employee_id=org["boss"])
        outsider_name = s.get(Employee, org["outsider"]).full_name
    return {"url": url, "engine": engine, "person": person, "outsider": org["outsider"],
            "outsider_name": outsider_name, "team": org["team"]}


@pytest.fixture
def app(trained, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", trained["url"])

    def make(username: str, lang: str = "es", query: dict | None = None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "pages/plan.py"), default_timeout=120)
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.session_state["lang"] = lang
        for k, v in (query or {}).items():
            at.query_params[k] = v
        return at

    return make


def _metric(at, label: str):
    return next(m for m in at.metric if m.label == label)


def test_employee_sees_whatif_and_download(app, trained):
    at = app("colaborador").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Plan de capacitación"
    downloads = at.get("download_button")
    assert [d.label for d in downloads] == ["Descargar el plan (PDF)"]
    labels = [e.label for e in at.expander]
    assert any(label.startswith("¿Y si…?") for label in labels)
    assert not at.slider  # closed: the panel does not run

    at.session_state["whatif_open"] = True
    at.run()
    assert not at.exception, at.exception
    sliders = at.slider
    assert sliders, [i.value for i in at.info]
    names = [s.label for s in sliders]
    assert any(n.startswith("Nivel de ") for n in names)
    for banned in ("Antigüedad", "Edad", "Género", "Área", "Puesto", "Sede", "Calificación"):
        assert not any(banned in n for n in names), names
    before = _metric(at, "Calificación prevista").value
    assert _metric(at, "Riesgo de calificación baja").value.endswith("%")
    assert any(c.key and c.key.startswith("wi_chart_") for c in at.get("plotly_chart"))

    for s in sliders:
        if s.label.startswith("Nivel de "):
            s.set_value(5.0 if s.value < 4 else 1.0)
    at.run()
    assert not at.exception, at.exception
    after = _metric(at, "Calificación prevista")
    assert after.value != before
    assert after.delta  # the change against today's prediction

    reset = next(b for b in at.button if b.label == "Volver a los valores actuales")
    reset.click().run()
    assert _metric(at, "Calificación prevista").value == before


def test_opening_the_plan_is_audited_once_per_session(app, trained):
    engine = trained["engine"]

    def views() -> int:
        with session_scope(engine, write=False) as s:
            return s.scalar(select(func.count()).select_from(AuditLog).where(
                AuditLog.action == "plan_viewed", AuditLog.username == "jefe"))

    start = views()
    at = app("jefe", query={"employee": trained["person"]})
    at.run()
    at.run()
    at.run()
    assert not at.exception
    assert views() == start + 1


def test_manager_cannot_reach_an_outsider_by_query_param(app, trained):
    at = app("jefe", query={"employee": trained["outsider"]}).run()
    assert not at.exception, at.exception
    shown = " ".join(str(getattr(e, "value", "")) for e in at.main)
    assert trained["outsider"] not in shown
    assert trained["outsider_name"] not in shown
    assert at.selectbox[0].value != trained["outsider"]
    at.session_state["whatif_open"] = True
    at.run()
    assert not at.exception
    assert trained["outsider_name"] not in " ".join(str(getattr(e, "value", ""))
                                                    for e in at.main)


def test_whatif_in_english(app, trained):
    at = app("colaborador", lang="en")
    at.session_state["whatif_open"] = True
    at.run()
    assert not at.exception, at.exception
    assert any(e.label.startswith("What if?") for e in at.expander)
    assert [d.label for d in at.get("download_button")] == ["Download the plan (PDF)"]
    assert any(m.label == "Predicted rating" for m in at.metric)
