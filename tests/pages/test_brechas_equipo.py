"""AppTest: the skill-gaps page (trainer, HR) and the team page (manager) with stored plans."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.db import get_engine, session_scope, upgrade
from core.models import ModelVersion, Recommendation
from core.users import add_user
from tests.orgs import stored_team_org

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "una frase larga para las pruebas de páginas"


def _seed(tmp_path, monkeypatch, *, plans: bool = True) -> dict:
    url = f"sqlite:///{tmp_path / 'pages.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = get_engine(url)
    upgrade(engine)
    org = stored_team_org(engine, tmp_path / "org", employees=80, seed=4)
    employees = org["org"].employees
    with session_scope(engine) as s:
        add_user(s, username="rrhh", password=PASSWORD, role="hr")
        add_user(s, username="jefe", password=PASSWORD, role="manager",
                 employee_id=org["boss"])
        add_user(s, username="capacitador", password=PASSWORD, role="trainer")
        if plans:
            mv = ModelVersion(target="next_rating", status="active", model_text="x",
                              params={"kind": "history", "threshold": 0.3})
            s.add(mv)
            s.flush()
            programs = ["P01", "P02", "P03", "P04"]
            for i, eid in enumerate(employees["employee_id"]):
                for rank in (1, 2, 3):
                    s.add(Recommendation(
                        model_version_id=mv.id, employee_id=eid,
                        program_id=programs[(i + rank) % 4], rank=rank,
                        expected_gain=0.3 / rank, risk_low=(i % 10) / 10,
                        period="2026-Q1", reasons={"sentences": {"es": [], "en": []}}))
    return org


def _page(path: str, username: str, lang: str = "es") -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["lang"] = lang
    return at.run()


@pytest.mark.parametrize("who", ["capacitador", "rrhh"])
def test_trainer_and_hr_see_demand_effectiveness_and_cohort(tmp_path, monkeypatch, who):
    _seed(tmp_path, monkeypatch)
    at = _page("pages/brechas.py", who)
    assert not at.exception, at.exception
    labels = [tab.label for tab in at.tabs]
    assert labels == ["Brechas", "Demanda de programas", "Efectividad", "Armar una cohorte",
                      "«No es para mí»"]
    subheaders = [h.value for h in at.subheader]
    for title in ("Demanda por programa", "Efectividad medida por programa",
                  "Armar una cohorte"):
        assert title in subheaders
    assert at.number_input[0].value == 20
    frames = [df.value for df in at.dataframe]
    demand = next(f for f in frames if "total_cost_pen" in f.columns)
    assert demand["employees"].sum() > 0
    cohort = next(f for f in frames if "email" in f.columns)
    assert list(cohort.columns) == ["full_name", "email", "department"]
    assert len(cohort) > 0
    labels = [b.label for b in at.get("download_button")]
    assert "Descargar la demanda (CSV)" in labels and "Descargar la cohorte (CSV)" in labels
    # a smaller session size needs more sessions
    at.number_input[0].set_value(5).run()
    assert not at.exception
    small = next(df.value for df in at.dataframe if "total_cost_pen" in df.value.columns)
    assert small["sessions"].sum() >= demand["sessions"].sum()


def test_gaps_page_without_plans_says_what_to_do(tmp_path, monkeypatch):
    _seed(tmp_path, monkeypatch, plans=False)
    at = _page("pages/brechas.py", "capacitador")
    assert not at.exception
    assert any("RR.HH. debe subir los datos y entrenar" in i.value for i in at.info)
    at = _page("pages/brechas.py", "rrhh", lang="en")
    assert not at.exception
    assert any("train the model in **Data**" in i.value for i in at.info)
    assert at.title[0].value == "Skill gaps"


def test_manager_team_table_has_the_new_columns(tmp_path, monkeypatch):
    org = _seed(tmp_path, monkeypatch)
    at = _page("pages/equipo.py", "jefe")
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    for col in ("full_name", "rating", "trend", "history", "risk_pct", "program", "requests"):
        assert col in table.columns
    assert len(table) == len(org["team"])
    assert set(table["full_name"]) <= set(org["org"].employees["full_name"])
    assert table["program"].notna().all() and table["risk_pct"].notna().all()
    assert [s.label for s in at.selectbox] == ["Riesgo"]
    # risk filter: only the people at or above the model's threshold (0.3)
    at.selectbox[0].set_value("at_risk").run()
    at_risk = at.dataframe[0].value
    assert (at_risk["risk_pct"] >= 30).all() and len(at_risk) < len(table)
    at.text_input[0].input("zzz-nadie").run()
    assert any("Nadie coincide" in i.value for i in at.info)
