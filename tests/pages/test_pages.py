"""Each page on its own with AppTest, under each role: allowed ones render, others refuse."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.access import PAGE_ROLES
from core.contract import ROLES
from core.db import get_engine, session_scope, upgrade
from core.models import Employee
from core.users import add_user

ROOT = Path(__file__).resolve().parents[2]
PAGE_FILES = {"inicio": "pages/inicio.py", "datos": "pages/datos.py",
              "equipo": "pages/equipo.py", "solicitudes": "pages/solicitudes.py",
              "admin": "pages/admin.py", "brechas": "pages/brechas.py",
              "plan": "pages/plan.py", "modelo": "pages/modelo.py"}
PASSWORD = "una frase larga con ñandú y acentos áéíóú para probar"


@pytest.fixture
def users(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'pages.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = get_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        s.add_all([Employee(employee_id="M1", full_name="Rosa Quispe"),
                   Employee(employee_id="E1", full_name="Luis Mamani", manager_id="M1")])
        s.flush()
        add_user(s, username="rrhh", password=PASSWORD, role="hr", full_name="RR.HH.")
        add_user(s, username="jefe", password=PASSWORD, role="manager", employee_id="M1")
        add_user(s, username="colaborador", password=PASSWORD, role="employee",
                 employee_id="E1")
        add_user(s, username="capacitador", password=PASSWORD, role="trainer")
    return {"hr": "rrhh", "manager": "jefe", "employee": "colaborador",
            "trainer": "capacitador"}


def _page(path: str, username: str | None, role_claim: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=60)
    if username:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.session_state["roles"] = [role_claim] if role_claim else None
    return at.run()


def test_every_page_is_registered_with_roles():
    assert set(PAGE_FILES) == set(PAGE_ROLES)
    for page in PAGE_FILES.values():
        assert (ROOT / page).exists()


@pytest.mark.parametrize("page", sorted(PAGE_FILES))
@pytest.mark.parametrize("role", ROLES)
def test_page_access_by_role(users, page, role):
    at = _page(PAGE_FILES[page], users[role])
    assert not at.exception, at.exception
    allowed = role in PAGE_ROLES[page]
    refused = any("acceso" in e.value for e in at.error)
    assert refused != allowed
    if allowed:
        assert at.title


@pytest.mark.parametrize("page", sorted(PAGE_FILES))
def test_pages_refuse_without_sign_in(users, page):
    at = _page(PAGE_FILES[page], None)
    assert not at.exception
    assert any("Inicia sesión" in w.value for w in at.warning)
    assert not at.title


def test_role_claimed_in_session_state_is_not_trusted(users):
    at = _page("pages/datos.py", users["employee"], role_claim="hr")
    assert any("acceso" in e.value for e in at.error)
    assert not at.title


def test_hr_data_page_shows_empty_state_and_uploader(users):
    at = _page("pages/datos.py", users["hr"])
    assert at.title[0].value == "Datos"
    assert any("Aún no hay versiones" in i.value for i in at.info)


def test_english_switch(users):
    at = AppTest.from_file(str(ROOT / "pages/datos.py"), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = users["hr"]
    at.session_state["lang"] = "en"
    at.run()
    assert at.title[0].value == "Data"


def test_login_form_with_long_unicode_passphrase(users):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    at.text_input[0].input("jefe")
    at.text_input[1].input(PASSWORD + " mal")
    at.button[0].click().run()
    assert any("incorrectos" in e.value for e in at.error)
    assert not at.session_state["authentication_status"]
    at.text_input[0].input("JEFE")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert at.session_state["authentication_status"] is True
    assert at.session_state["username"] == "jefe"


def test_first_sign_in_shows_privacy_notice_until_acknowledged(users):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.text_input[0].input("colaborador")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert any("Aviso de privacidad" in m.value for m in at.markdown)
    assert any("orientativas" in m.value for m in at.markdown)
    accept = next(b for b in at.button if b.label == "He leído el aviso")
    accept.click().run()
    from core.db import get_engine, session_scope
    from core.privacy import NOTICE_VERSION
    from core.users import current_user

    with session_scope(get_engine(), write=False) as s:
        assert current_user(s, "colaborador").privacy_ack_version == NOTICE_VERSION
