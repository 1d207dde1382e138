"""`python -m core` as a user runs it: JSON out, exit codes, nothing stored on rejection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.db import get_engine
from core.ingest.store import row_counts

ROOT = Path(__file__).resolve().parent.parent


def cli(db_url: str, *args: str, stdin: str | None = None) -> tuple[int, dict]:
    env = {**os.environ, "DATABASE_URL": db_url, "SPTE_DEMO_PASSWORD": "clave de demo ñandú"}
    out = subprocess.run([sys.executable, "-m", "core", *args, "--json"], cwd=ROOT, env=env,
                         input=stdin, capture_output=True, text=True, timeout=300, check=False)
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1, out.stdout + out.stderr  # exactly one JSON object
    return out.returncode, json.loads(lines[0])


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("demo")


def test_demo_then_ingest_again_is_unchanged(db_url, demo_dir):
    code, out = cli(db_url, "demo", "--employees", "150", "--quarters", "4", "--seed", "7",
                    "--out", str(demo_dir))
    assert code == 0 and out["status"] == "stored"
    assert {u["role"] for u in out["users"]} == {"hr", "manager", "employee", "trainer"}
    assert all(u["password"] for u in out["users"])
    assert not (Path(out["files"]["ground_truth"]).parent / "app.db").exists()
    counts = row_counts(get_engine(db_url))
    assert counts["employees"] == 150 and counts["measurements"] > 150 * 4 * 5

    files = [out["files"][k] for k in ("employees", "performance", "programs",
                                       "training_records", "job_roles")]
    code, again = cli(db_url, "ingest", *files)
    assert code == 0 and again["status"] == "unchanged"
    assert again["dataset_version"] == out["dataset_version"]
    assert row_counts(get_engine(db_url)) == counts

    code, listed = cli(db_url, "datasets")
    assert [d["id"] for d in listed["datasets"]] == [out["dataset_version"]]

    code, users = cli(db_url, "users", "list")
    assert {u["username"] for u in users["users"]} == {"rrhh", "jefe", "colaborador",
                                                        "capacitador"}
    # the ground truth is a file for the benchmark, never a table of the app
    assert "true_gain" not in json.dumps(again)


def test_rejected_file_exits_2_and_stores_nothing(db_url, tmp_path):
    bad = tmp_path / "desempeno.csv"
    bad.write_text("employee_id;period;performance_rating\n0001;2026-Q1;7\n0002;2026-Q9;x\n",
                   encoding="utf-8")
    cli(db_url, "datasets")  # migrate
    before = row_counts(get_engine(db_url))
    code, out = cli(db_url, "ingest", str(bad))
    assert code == 2
    assert out["status"] == "rejected" and out["dataset_version"] is None
    assert out["errors"] and all({"file", "row", "column", "message"} <= set(e)
                                 for e in out["errors"])
    assert {e["row"] for e in out["errors"]} >= {2, 3}
    assert row_counts(get_engine(db_url)) == before


def test_bench_orgs_only_needs_an_org(db_url):
    code, out = cli(db_url, "bench", "--orgs-only")
    assert code == 2 and "--org DIR" in out["message"]


def test_missing_file_is_rejected(db_url, tmp_path):
    code, out = cli(db_url, "ingest", str(tmp_path / "no-such.csv"))
    assert code == 2 and out["status"] == "rejected"


def test_snapshot_of_the_real_promotion_file(db_url, promotion_csv):
    code, out = cli(db_url, "ingest", str(promotion_csv), "--kind", "snapshot", "--target",
                    "is_promoted")
    assert code == 0, out["errors"][:3]
    assert out["status"] == "stored"
    mapping = out["mapping"][promotion_csv.name]
    assert mapping["kind"] == "snapshot" and mapping["target"] == "is_promoted"
    assert mapping["columns"]["is_promoted"] == "outcome"
    assert row_counts(get_engine(db_url))["snapshot_records"] == 54808
    code, again = cli(db_url, "ingest", str(promotion_csv), "--kind", "snapshot", "--target",
                      "is_promoted")
    assert code == 0 and again["status"] == "unchanged"


def test_users_add_with_long_unicode_password_from_stdin(db_url):
    phrase = "mi contraseña es una frase muy larga con eñes y tildes: ñandú, acción, 2026!"
    code, out = cli(db_url, "users", "add", "Capacita.Dos", "--role", "trainer",
                    "--password-stdin", stdin=phrase + "\n")
    assert code == 0 and out["username"] == "capacita.dos"
    code, out = cli(db_url, "users", "add", "sinjefe", "--role", "employee",
                    "--password-stdin", stdin=phrase + "\n")
    assert code == 2 and "employee" in out["message"]
    from core.db import session_scope
    from core.users import authenticate

    with session_scope(get_engine(db_url), write=False) as s:
        assert authenticate(s, "capacita.dos", phrase) is not None


def test_production_mode_with_weak_key_refuses_to_start(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
           "APP_MODE": "production", "COOKIE_KEY": "some_key"}
    out = subprocess.run([sys.executable, "-m", "core", "migrate", "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 1
    assert "COOKIE_KEY" in json.loads(out.stdout)["message"]


def _cli_run(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db_url}
    out = subprocess.run([sys.executable, "-m", "core", *args, "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def _cli_list(db_url: str, *args: str) -> list:
    return json.loads(_cli_run(db_url, *args).stdout.strip().splitlines()[-1])


def test_train_recommend_explain_models_as_the_issue_runs_them(db_url, tmp_path):
    code, _ = cli(db_url, "demo", "--employees", "120", "--quarters", "4", "--out",
                  str(tmp_path / "org"))
    assert code == 0
    code, trained = cli(db_url, "train", "--budget-seconds", "3")
    assert code == 0 and trained["model_version"] and trained["plans_stored"] > 0
    assert 0.5 < trained["metrics"]["auc"] <= 1
    # a small organization leaves some programs untaken: HR is told, in both languages
    notes = trained["plan_warnings"]
    assert notes and all("Nadie completó" in n["es"] and "Nobody completed" in n["en"]
                         for n in notes)
    # and the terminal gets the same note in the chosen language, not a Python warning
    err = _cli_run(db_url, "recommend", "--top", "1", "--lang", "es").stderr
    assert f"aviso: {notes[0]['es']}" in err.splitlines()
    assert "RecommendWarning" not in err and "recommend.py" not in err

    recs = _cli_list(db_url, "recommend", "--top", "2")
    keys = {"employee_id", "program_id", "rank", "expected_gain", "low", "high", "cost_pen",
            "hours", "reasons"}
    assert recs and keys <= set(recs[0])
    per_person = {}
    for r in recs:
        per_person.setdefault(r["employee_id"], []).append(r["rank"])
        assert r["low"] <= r["expected_gain"] <= r["high"]
        assert r["reasons"] and all(isinstance(x, str) for x in r["reasons"])
    assert all(sorted(ranks) == [1, 2] for ranks in per_person.values())

    person = recs[0]["employee_id"]
    mine = _cli_list(db_url, "recommend", "--employee", person, "--estimator", "uplift")
    assert {r["employee_id"] for r in mine} == {person} and len(mine) == 3

    code, why = cli(db_url, "explain", person, recs[0]["program_id"], "--lang", "es")
    assert code == 0 and why["sentences"] and why["contributions"]
    code, models = cli(db_url, "models")
    assert code == 0 and [m for m in models["models"] if m["status"] == "active"]
    code, refused = cli(db_url, "explain", person, "NO_SUCH_PROGRAM")
    assert code == 2 and "NO_SUCH_PROGRAM" in refused["message"]


def test_snapshot_without_ids_trains_and_recommend_says_why_no_plans(db_url, tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    n = 400
    hours = rng.normal(200, 40, n).round()
    left = rng.random(n) < 1 / (1 + np.exp(-(hours - 200) / 25))
    pd.DataFrame({"horas_mensuales": hours, "area": rng.choice(["TI", "Ventas"], n),
                  "renuncio": left.astype(int)}).to_csv(tmp_path / "rotacion.csv", index=False)
    code, res = cli(db_url, "ingest", str(tmp_path / "rotacion.csv"), "--kind", "snapshot",
                    "--target", "renuncio")
    assert code == 0 and res["status"] == "stored", res
    assert [w["code"] for w in res["warnings"]] == ["row_ids"]
    code, trained = cli(db_url, "train", "--budget-seconds", "2")
    assert code == 0 and trained["kind"] == "snapshot" and trained["metrics"]["auc"] > 0.7
    code, rec = cli(db_url, "recommend", "--lang", "es")
    assert code == 2 and rec["status"] == "rejected"
    assert "snapshot" in rec["message"] and "historial trimestral" in rec["message"]
