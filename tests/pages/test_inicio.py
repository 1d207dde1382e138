"""Inicio with data: what changed and the next steps, for each role that has a scope."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.db import get_engine, session_scope, upgrade
from core.users import add_user
from tests.orgs import stored_team_org

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def org_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'inicio.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = get_engine(url)
    upgrade(engine)
    org = stored_team_org(engine, tmp_path / "org", employees=40, quarters=2, seed=3)
    with session_scope(engine) as s:
        add_user(s, username="rrhh", password="12345678", role="hr")
        add_user(s, username="jefe", password="12345678", role="manager", employee_id=org["boss"])
        add_user(s, username="cap", password="12345678", role="trainer")
    return org


def _run(username: str, lang: str = "es") -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages/inicio.py"), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["lang"] = lang
    return at.run()


@pytest.mark.parametrize(("username", "moved"), [("rrhh", True), ("jefe", True), ("cap", False)])
def test_home_shows_changes_and_next_steps(org_db, username, moved):
    at = _run(username)
    assert not at.exception
    assert "Qué cambió" in [h.value for h in at.subheader]
    text = " ".join(m.value for m in at.markdown)
    assert ("subieron" in text) is moved
    assert "Siguientes pasos" in [h.value for h in at.subheader]


def test_home_in_english(org_db):
    at = _run("jefe", "en")
    assert "What changed" in [h.value for h in at.subheader]
    assert "waiting for your decision" in " ".join(m.value for m in at.markdown)
