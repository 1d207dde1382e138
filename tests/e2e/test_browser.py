"""The app in a real browser: headless Debian Chromium driven by Playwright.

Starts Streamlit on a free port over a fresh demo database, signs in as each demo role,
opens every page the role may open, and checks that no error box or exception appears.
Screenshots go to tests/e2e/screenshots/ (git-ignored).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.access import pages_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "e2e" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "contraseña de demostración con ñ y tildes áéíóú"
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-quic", "--no-first-run", "--disable-component-update",
               "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make e2e`, which installs Debian's chromium")
    tmp = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'e2e.db'}", "APP_MODE": "demo",
           "COOKIE_KEY": "e2e-cookie-key-" + "z" * 40, "SPTE_DEMO_PASSWORD": PASSWORD}
    demo = subprocess.run(
        [sys.executable, "-m", "core", "demo", "--employees", "120", "--quarters", "4",
         "--seed", "3", "--out", str(tmp / "demo"), "--train", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    info = json.loads(demo.stdout)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + (proc.stdout.read() if proc.stdout else ""))
    yield {"url": url, "users": {u["role"]: u for u in info["users"]},
           "files": info["files"]}
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        yield b
        b.close()


def _wait_idle(page) -> None:
    """Until the page's script has finished: Streamlit marks the app root with its run
    state (the status widget alone shows only after a moment, so a slow page could be
    judged, and photographed, half drawn)."""
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           timeout=120_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(300)


def _login(browser, server, role: str):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="es-PE")
    page = context.new_page()
    page.goto(server["url"])
    page.get_by_label("Usuario").fill(server["users"][role]["username"])
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    accept = page.get_by_role("button", name="He leído el aviso")
    logout = page.get_by_role("button", name="Cerrar sesión").first
    accept.or_(logout).first.wait_for(timeout=120_000)  # first sign-in loads the app
    if accept.count():
        _wait_idle(page)
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # no menu yet
        page.screenshot(path=str(SHOTS / f"{role}-privacy-notice.png"))
        accept.click()
    logout.wait_for(timeout=60_000)
    _wait_idle(page)
    return context, page


def _assert_no_error(page, where: str) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, where
    errors = page.locator('[data-testid="stAlertContentError"]')
    assert errors.count() == 0, f"{where}: {errors.all_inner_texts()}"


@pytest.mark.parametrize("role", ["hr", "manager", "employee", "trainer"])
def test_each_role_signs_in_and_opens_its_pages(app_server, browser, role):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = _login(browser, app_server, role)
    try:
        for key in pages_for(role):
            page.goto(f"{app_server['url']}/{'' if key == 'inicio' else key}")
            page.get_by_role("button", name="Cerrar sesión").first.wait_for(timeout=60_000)
            _wait_idle(page)
            _assert_no_error(page, f"{role}/{key}")
            page.screenshot(path=str(SHOTS / f"{role}-{key}.png"), full_page=True)
        if role != "hr":  # a page outside the role is not served to it
            page.goto(f"{app_server['url']}/datos")
            page.get_by_role("button", name="Cerrar sesión").first.wait_for(timeout=60_000)
            _wait_idle(page)
            assert page.get_by_text("Sube los archivos del trimestre").count() == 0
    finally:
        context.close()


def test_hr_uploads_a_file_and_stores_it(app_server, browser):
    context, page = _login(browser, app_server, "hr")
    try:
        page.goto(f"{app_server['url']}/datos")
        page.get_by_text("Versiones de datos").first.wait_for(timeout=60_000)
        _wait_idle(page)
        page.locator('input[type="file"]').set_input_files(app_server["files"]["programs"])
        page.get_by_text("Sin errores").wait_for(timeout=60_000)
        _wait_idle(page)
        page.screenshot(path=str(SHOTS / "hr-upload-report.png"), full_page=True)
        page.get_by_role("button", name="Guardar como nueva versión de datos").click()
        page.get_by_text("Guardado como versión").wait_for(timeout=60_000)
        _wait_idle(page)
        _assert_no_error(page, "hr upload")
        page.screenshot(path=str(SHOTS / "hr-upload-stored.png"), full_page=True)
    finally:
        context.close()


def test_language_switch_and_wrong_password(app_server, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto(app_server["url"] + "/admin")
        page.get_by_label("Usuario").wait_for(timeout=30_000)
        _wait_idle(page)
        # signed out: no page menu, and the admin page's content is not served
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        assert page.get_by_text("Registro de auditoría").count() == 0
        page.get_by_label("Usuario").fill("rrhh")
        page.get_by_label("Contraseña").fill("no es la clave")
        page.get_by_role("button", name="Ingresar").click()
        page.get_by_text("Usuario o contraseña incorrectos").wait_for(timeout=30_000)
        page.get_by_text("English").click()
        page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
    finally:
        context.close()


def test_employee_requests_a_training_and_the_manager_approves(app_server, browser):
    context, page = _login(browser, app_server, "employee")
    try:
        page.goto(f"{app_server['url']}/plan")
        request = page.get_by_role("button", name="Solicitar esta capacitación").first
        request.wait_for(timeout=60_000)
        _wait_idle(page)
        _assert_no_error(page, "employee plan")
        page.screenshot(path=str(SHOTS / "employee-plan.png"), full_page=True)
        request.click()
        page.get_by_text("Solicitud enviada a tu jefatura").wait_for(timeout=60_000)
    finally:
        context.close()
    context, page = _login(browser, app_server, "manager")
    try:
        page.goto(f"{app_server['url']}/solicitudes")
        approve = page.get_by_role("button", name="Aprobar").first
        approve.wait_for(timeout=60_000)
        _wait_idle(page)
        page.screenshot(path=str(SHOTS / "manager-solicitudes-pending.png"), full_page=True)
        approve.click()
        page.get_by_text("Solicitud aprobada").wait_for(timeout=60_000)
        _wait_idle(page)
        assert page.get_by_text("Aprobada").count() >= 1
    finally:
        context.close()


def test_manager_opens_a_members_plan_from_the_team_table(app_server, browser):
    context, page = _login(browser, app_server, "manager")
    try:
        page.goto(f"{app_server['url']}/equipo")
        grid = page.locator('[data-testid="stDataFrame"]').first
        grid.wait_for(timeout=60_000)
        grid.scroll_into_view_if_needed()
        _wait_idle(page)
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # first member, selection column
        page.wait_for_url("**/plan?employee=*", timeout=30_000)
        page.get_by_role("button", name="Descargar el plan (PDF)").wait_for(timeout=60_000)
        _wait_idle(page)
        _assert_no_error(page, "manager/plan from the team table")
    finally:
        context.close()


def test_employee_plays_what_if_and_downloads_the_plan(app_server, browser):
    context, page = _login(browser, app_server, "employee")
    try:
        page.goto(f"{app_server['url']}/plan")
        whatif = page.get_by_text("¿Y si…?").first
        whatif.wait_for(timeout=60_000)
        _wait_idle(page)
        whatif.click()
        value = page.locator('[data-testid="stMetric"]', has_text="Calificación prevista") \
            .locator('[data-testid="stMetricValue"]').first
        value.wait_for(timeout=90_000)
        _wait_idle(page)
        before = value.inner_text()
        sliders = page.locator('[data-testid="stSlider"] input[type=range], '
                               '[data-testid="stSlider"] [role="slider"]')
        assert sliders.count() > 0
        for i in range(min(6, sliders.count())):
            sliders.nth(i).focus()
            for _ in range(15):
                page.keyboard.press("ArrowRight")
            _wait_idle(page)
        assert value.inner_text() != before
        page.screenshot(path=str(SHOTS / "employee-whatif.png"))
        page.evaluate("window.scrollTo(0, 0)")
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="Descargar el plan (PDF)").click()
        assert Path(download.value.path()).read_bytes()[:4] == b"%PDF"
        _assert_no_error(page, "employee what-if and PDF")
    finally:
        context.close()


def test_trainer_exports_a_cohort_without_ratings(app_server, browser):
    context, page = _login(browser, app_server, "trainer")
    try:
        page.goto(f"{app_server['url']}/brechas")
        tab = page.get_by_role("tab", name="Armar una cohorte")
        tab.wait_for(timeout=60_000)
        _wait_idle(page)
        tab.click()
        _wait_idle(page)
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("button", name="Descargar la cohorte (CSV)").click()
        lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
        assert lines[0].split(",") == ["Nombre", "Correo", "Departamento"]
        assert len(lines) > 1
        _assert_no_error(page, "trainer cohort")
    finally:
        context.close()


def test_hr_retrains_then_sees_the_comparison_and_the_model_page(app_server, browser):
    context, page = _login(browser, app_server, "hr")
    try:
        page.goto(f"{app_server['url']}/datos")
        train = page.get_by_role("button", name="Entrenar y generar planes")
        train.wait_for(timeout=60_000)
        _wait_idle(page)
        train.click()
        page.get_by_text("Modelo nuevo frente al activo").wait_for(timeout=240_000)
        _wait_idle(page)
        _assert_no_error(page, "hr retrain")
        page.screenshot(path=str(SHOTS / "hr-retrained.png"))
        page.goto(f"{app_server['url']}/modelo")
        page.get_by_text("Versiones del modelo").first.wait_for(timeout=120_000)
        _wait_idle(page)
        _assert_no_error(page, "hr model page after retraining")
    finally:
        context.close()
