"""`python -m core`: the same operations as the app, for scripts, CI and first set-up.

Exit codes: 0 done (stored or unchanged), 2 the input was rejected (nothing stored),
1 an internal error. Every command takes ``--json`` and then prints exactly one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import secrets
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any

from core.config import ROOT, ConfigError
from core.errors import BilingualError

EXIT_OK, EXIT_ERROR, EXIT_REJECTED = 0, 1, 2
DEMO_USERS = (
    ("rrhh", "hr", "Equipo de RR.HH."),
    ("jefe", "manager", None),
    ("colaborador", "employee", None),
    ("capacitador", "trainer", "Equipo de Capacitación"),
)
_WORDS = ("cóndor", "lúcuma", "quinua", "pisco", "alpaca", "ceviche", "huayno", "chirimoya",
          "vicuña", "cajón", "totora", "mochica", "tumi", "llama", "inca", "colca")


class Rejected(Exception):
    """Input that the user must fix: exit code 2."""

    def __init__(self, payload: dict[str, Any]):
        super().__init__(payload.get("message", "rejected"))
        self.payload = payload


def _engine():
    from core.db import get_engine, upgrade

    engine = get_engine()
    upgrade(engine)
    return engine


def _emit(args: argparse.Namespace, payload: dict[str, Any], human: str) -> None:
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        print(human)


def _demo_password() -> str:
    fixed = os.environ.get("SPTE_DEMO_PASSWORD")
    if fixed:
        return fixed
    rng = secrets.SystemRandom()
    return "-".join(rng.sample(_WORDS, 3)) + f"-{rng.randrange(10, 99)}"


def _pick_demo_people(employees) -> tuple[str, str]:
    """A manager whose reports are not managers themselves, and one of those reports."""
    managers = set(employees["manager_id"].dropna())
    for mid in sorted(managers):
        reports = employees[employees["manager_id"] == mid]["employee_id"]
        staff = [e for e in reports if e not in managers]
        if len(staff) >= 3:
            return mid, sorted(staff)[0]
    raise RuntimeError("the demo organization has no team with staff")


def cmd_demo(args: argparse.Namespace) -> int:
    from core import synthetic
    from core.db import session_scope
    from core.ingest import UploadFile, ingest
    from core.ingest.store import row_counts
    from core.users import add_user, list_users

    engine = _engine()
    if args.if_empty and row_counts(engine)["employees"] > 0:
        _emit(args, {"status": "unchanged", "reason": "database not empty"},
              "The database already holds data; demo not seeded.")
        return EXIT_OK
    org = synthetic.generate(args.employees, args.quarters, args.seed)
    out = Path(args.out)
    paths = org.write(out)
    files = [UploadFile.from_path(p) for k, p in paths.items() if k != "ground_truth"]
    result = ingest(files, engine, uploaded_by="demo")
    if result.status == "rejected":
        raise Rejected(result.to_json())
    created: list[dict[str, Any]] = []
    manager_id, employee_id = _pick_demo_people(org.employees)
    names = org.employees.set_index("employee_id")["full_name"]
    with session_scope(engine) as session:
        existing = {u["username"] for u in list_users(session)}
        for username, role, label in DEMO_USERS:
            if username in existing:
                continue
            linked = {"manager": manager_id, "employee": employee_id}.get(role)
            password = _demo_password()
            add_user(session, username=username, password=password, role=role,
                     employee_id=linked, full_name=names.get(linked) if linked else label,
                     actor="demo")
            created.append({"username": username, "role": role, "password": password,
                            "employee_id": linked})
    from core.plans import train_and_plan

    trained = None
    if args.train:
        with _quiet_recommend_warnings():
            trained = train_and_plan(engine, budget_seconds=10)
        _print_notes(trained.get("plan_warnings"), args.lang)
    payload = {
        "status": result.status,
        "dataset_version": result.dataset_version,
        "rows": result.rows,
        "out_dir": str(out),
        "files": {k: str(p) for k, p in paths.items()},
        "users": created,
        "warnings": len(result.warnings),
        "model": trained,
    }
    lines = [f"Demo organization: {args.employees} employees x {args.quarters} quarters "
             f"(seed {args.seed}) -> {out} ; dataset version {result.dataset_version} "
             f"({result.status})"]
    if created:
        lines.append("Demo users (shown only once, write them down):")
        lines += [f"  {u['role']:<9} {u['username']:<12} {u['password']}" for u in created]
    _emit(args, payload, "\n".join(lines))
    return EXIT_OK


def _load_overrides(path: str | None, names: list[str]) -> dict[str, dict[str, str | None]]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Rejected({"status": "rejected", "errors": [
            {"file": path, "row": None, "column": None,
             "message": f"mapping file unreadable: {exc}"}]}) from exc
    if isinstance(data, dict) and data and all(isinstance(v, dict) for v in data.values()):
        return data
    return dict.fromkeys(names, data)


def cmd_ingest(args: argparse.Namespace) -> int:
    from core.ingest import UploadFile, ingest

    engine = _engine()
    files: list[UploadFile] = []
    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        payload = {"status": "rejected", "dataset_version": None, "rows": {}, "mapping": {},
                   "errors": [{"file": f, "row": None, "column": None,
                               "message": "file not found"} for f in missing], "warnings": []}
        _emit(args, payload, "\n".join(f"{f}: file not found" for f in missing))
        return EXIT_REJECTED
    files = [UploadFile.from_path(f) for f in args.files]
    overrides = _load_overrides(args.mapping, [f.name for f in files])
    result = ingest(files, engine, kind=args.kind, target=args.target, overrides=overrides,
                    uploaded_by=args.user)
    payload = result.to_json(args.lang)
    human = [f"{result.status}: dataset version {result.dataset_version}, rows {result.rows}"]
    human += [f"ERROR {i.file} row {i.row} column {i.column}: {i.message(args.lang)}"
              for i in result.errors]
    human += [f"warning {i.file} row {i.row} column {i.column}: {i.message(args.lang)}"
              for i in result.warnings]
    _emit(args, payload, "\n".join(human))
    return EXIT_REJECTED if result.status == "rejected" else EXIT_OK


def cmd_datasets(args: argparse.Namespace) -> int:
    from core.datasets import list_versions

    versions = list_versions(_engine())
    human = "\n".join(
        f"{v['id']:>4}  {v['uploaded_at']}  {v['uploaded_by'] or '-':<12} {v['kinds']:<40} "
        f"{v['file_names']}" for v in versions) or "No dataset versions yet."
    _emit(args, {"datasets": versions}, human)
    return EXIT_OK


def cmd_users(args: argparse.Namespace) -> int:
    from core.db import session_scope
    from core.security import WeakPassword
    from core.users import UserError, add_user, list_users

    engine = _engine()
    if args.users_command == "list":
        with session_scope(engine, write=False) as session:
            users = list_users(session)
        human = "\n".join(f"{u['username']:<16} {u['role']:<9} {u['employee_id'] or '-':<10} "
                          f"{'active' if u['active'] else 'disabled'}" for u in users)
        _emit(args, {"users": users}, human or "No users yet.")
        return EXIT_OK
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != password:
            raise Rejected({"status": "rejected", "message": "passwords do not match"})
    try:
        with session_scope(engine) as session:
            add_user(session, username=args.username, password=password, role=args.role,
                     employee_id=args.employee_id, actor="cli")
    except (UserError, WeakPassword) as exc:
        raise Rejected({"status": "rejected", "message": str(exc)}) from exc
    _emit(args, {"status": "created", "username": args.username.strip().lower(),
                 "role": args.role}, f"User {args.username} created with role {args.role}.")
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    """Check the settings (refusing weak keys outside demo mode) and migrate the database."""
    from core.config import load_settings

    settings = load_settings()
    engine = _engine()
    _emit(args, {"status": "ok", "mode": settings.app_mode, "database": engine.url.render_as_string(
        hide_password=True)}, f"Database {engine.url.render_as_string(hide_password=True)} "
          f"is at the newest schema ({settings.app_mode} mode).")
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    """Train on what the store holds; the new model becomes active only if not worse."""
    from core.plans import train_and_plan
    from core.training import TrainingError

    engine = _engine()
    try:
        with _quiet_recommend_warnings():
            summary = train_and_plan(engine, budget_seconds=args.budget_seconds,
                                      target=args.target, created_by=args.user,
                                      force=args.force)
    except TrainingError as exc:
        raise Rejected({"message": exc.message(args.lang)}) from exc
    _print_notes(summary.get("plan_warnings"), args.lang)
    plans = summary["plans_stored"]
    metrics = summary.get("metrics", {})
    human = [f"model version {summary.get('model_version')} ({summary.get('status')}, "
             f"{summary.get('kind')}) in {summary.get('seconds', 0):.1f} s"]
    human += [f"  {k}: {v:.4f}" for k, v in metrics.items() if isinstance(v, int | float)]
    if plans is not None:
        human.append(f"  plans stored: {plans}")
    _emit(args, summary, "\n".join(human))
    return EXIT_OK


@contextlib.contextmanager
def _quiet_recommend_warnings():
    """Keep the estimator's Python warnings (with a source path) off the terminal: the
    command prints the same messages itself, in the user's language (:func:`_print_notes`).
    The CLI runs one command on one thread, so changing the filters here is safe."""
    from core.recommend import RecommendWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RecommendWarning)
        yield


def _print_notes(notes: list[dict[str, str]] | None, lang: str) -> None:
    """The estimator's notes (es/en dicts) on stderr, so ``--json`` output stays one
    document on stdout."""
    for note in notes or []:
        word = "warning" if lang == "en" else "aviso"
        print(f"{word}: {note.get(lang) or note.get('es', '')}", file=sys.stderr)


def _lookup_message(exc: LookupError, lang: str) -> str:
    return exc.message(lang) if isinstance(exc, BilingualError) else str(exc)


def cmd_recommend(args: argparse.Namespace) -> int:
    from core.plans import compute_plans

    engine = _engine()
    try:
        with _quiet_recommend_warnings():
            _version, recs, ctx = compute_plans(engine, top_k=args.top,
                                                employee_id=args.employee,
                                                estimator=args.estimator)
    except LookupError as exc:
        raise Rejected({"message": _lookup_message(exc, args.lang)}) from exc
    _print_notes(ctx.get("warnings"), args.lang)
    if args.employee and recs.empty:
        raise Rejected({"message": f"no plan for employee {args.employee}"})
    out = []
    for r in recs.itertuples():
        out.append({"employee_id": r.employee_id, "program_id": r.program_id,
                    "rank": int(r.rank), "expected_gain": round(float(r.expected_gain), 4),
                    "low": None if r.low is None else round(float(r.low), 4),
                    "high": None if r.high is None else round(float(r.high), 4),
                    "cost_pen": None if r.cost_pen is None else float(r.cost_pen),
                    "hours": None if r.hours is None else float(r.hours),
                    "low_confidence": bool(getattr(r, "low_confidence", False)),
                    "reasons": r.reasons["sentences"][args.lang]})
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        for o in out:
            print(f"{o['employee_id']:<10} {o['rank']} {o['program_id']:<6} "
                  f"{o['expected_gain']:+.3f} [{o['low']:+.3f}, {o['high']:+.3f}] "
                  f"S/ {o['cost_pen'] or 0:,.2f} {o['hours'] or 0:.0f} h")
        print(f"estimator: {ctx['estimator']}")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from core.plans import compute_plans

    engine = _engine()
    try:
        _version, recs, _ctx = compute_plans(engine, top_k=50, employee_id=args.employee_id)
    except LookupError as exc:
        raise Rejected({"message": _lookup_message(exc, args.lang)}) from exc
    hit = recs[recs["program_id"] == args.program_id]
    if hit.empty:
        raise Rejected({"message": f"{args.program_id} is not a candidate for "
                                   f"{args.employee_id} (unknown, completed, or "
                                   "prerequisites not met)"})
    r = hit.iloc[0]
    payload = {"employee_id": args.employee_id, "program_id": args.program_id,
               "rank": int(r["rank"]), "expected_gain": float(r["expected_gain"]),
               "low": float(r["low"]), "high": float(r["high"]),
               "sentences": r["reasons"]["sentences"][args.lang],
               "targeted": r["reasons"].get("targeted", []),
               "contributions": r["reasons"]["contributions"]}
    _emit(args, payload, "\n".join(payload["sentences"]))
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    from core import registry

    engine = _engine()
    if args.action == "list":
        versions = registry.list_versions(engine)
        human = "\n".join(f"{v['id']:>4} {v['status']:<10} {v.get('kind', ''):<9} "
                           f"{v.get('created_at', '')}" for v in versions) or "No models yet."
        _emit(args, {"models": versions}, human)
        return EXIT_OK
    if args.id is None:
        raise Rejected({"message": f"models {args.action} needs a version id"})
    if args.action == "promote":
        ok, reason = registry.promote(engine, args.id, force=args.force)
    else:
        ok, reason = registry.rollback(engine, args.id)
    payload = {"status": "active" if ok else "unchanged", "model_version": args.id,
               "reason": reason}
    _emit(args, payload, f"{args.action} {args.id}: {payload['status']} ({reason})")
    return EXIT_OK if ok else EXIT_REJECTED


def cmd_bench(args: argparse.Namespace) -> int:
    from core.bench import format_table, run_bench

    kw: dict[str, Any] = {"org_dirs": args.org}
    if args.orgs_only:
        if not args.org:
            raise Rejected({"message": "--orgs-only needs at least one --org DIR"})
        kw.update(include_synthetic=False, include_real=False)
    elif args.real:
        kw.update(real_path=args.real, real_target=args.target,
                  include_synthetic=not args.real_only)
    elif args.real_only:
        kw.update(include_synthetic=False)
    result = run_bench(employees=args.employees, quarters=args.quarters, seed=args.seed, **kw)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, default=str))
    else:
        print(format_table(result))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object")
    common.add_argument("--lang", choices=("es", "en"), default="en",
                        help="language of messages (default en)")
    parser = argparse.ArgumentParser(prog="python -m core",
                                     description="Staff Performance & Training Enhancer")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", parents=[common],
                          help="generate the synthetic organization and load it")
    demo.add_argument("--employees", type=int, default=600)
    demo.add_argument("--quarters", type=int, default=10)
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--out", default=str(ROOT / "data" / "demo"))
    demo.add_argument("--if-empty", action="store_true",
                      help="do nothing when the database already holds employees")
    demo.add_argument("--train", action="store_true",
                      help="also train the model and store everyone's plan")
    demo.set_defaults(func=cmd_demo)

    ing = sub.add_parser("ingest", parents=[common], help="validate and store data files")
    ing.add_argument("files", nargs="+")
    ing.add_argument("--kind", default="auto",
                     choices=("auto", "employees", "performance", "programs",
                              "training_records", "job_roles", "snapshot"))
    ing.add_argument("--target", help="snapshot: the outcome column")
    ing.add_argument("--mapping", help="JSON file: {user column: canonical column or null}")
    ing.add_argument("--user", default="cli", help="recorded as the uploader")
    ing.set_defaults(func=cmd_ingest)

    mig = sub.add_parser("migrate", parents=[common],
                         help="check the settings and bring the database schema up to date")
    mig.set_defaults(func=cmd_migrate)

    ds = sub.add_parser("datasets", parents=[common], help="list dataset versions")
    ds.set_defaults(func=cmd_datasets)

    tr = sub.add_parser("train", parents=[common], help="train the performance model")
    tr.add_argument("--budget-seconds", type=float, default=30.0)
    tr.add_argument("--target", help="snapshot: the outcome column")
    tr.add_argument("--force", action="store_true",
                    help="activate even if worse than the active model")
    tr.add_argument("--user", default="cli")
    tr.set_defaults(func=cmd_train)

    rec = sub.add_parser("recommend", parents=[common], help="ranked programs per employee")
    rec.add_argument("--employee")
    rec.add_argument("--top", type=int, default=3)
    rec.add_argument("--estimator", choices=("blend", "counterfactual", "uplift"),
                     help="how program effects are estimated (default: blend, the bench winner)")
    rec.set_defaults(func=cmd_recommend)

    ex = sub.add_parser("explain", parents=[common], help="why a program for an employee")
    ex.add_argument("employee_id")
    ex.add_argument("program_id")
    ex.set_defaults(func=cmd_explain)

    mo = sub.add_parser("models", parents=[common], help="list, promote or roll back models")
    mo.add_argument("action", nargs="?", default="list", choices=("list", "promote",
                                                                   "rollback"))
    mo.add_argument("id", nargs="?", type=int)
    mo.add_argument("--force", action="store_true")
    mo.set_defaults(func=cmd_models)

    be = sub.add_parser("bench", parents=[common], help="quality and speed benchmark")
    be.add_argument("--employees", type=int, default=600)
    be.add_argument("--quarters", type=int, default=10)
    be.add_argument("--seed", type=int, default=42)
    be.add_argument("--real", metavar="FILE",
                    help="a one-row-per-employee file to measure instead of "
                         "../shared/data/hr_promotion_train.csv")
    be.add_argument("--target", default="is_promoted",
                    help="the outcome column of --real (default is_promoted)")
    be.add_argument("--real-only", action="store_true",
                    help="skip the synthetic organizations: only the real file")
    be.add_argument("--org", metavar="DIR", action="append", default=[],
                    help="also score an organization generated elsewhere: a folder with the "
                         "canonical CSV files and its ground_truth.csv (employee_id, "
                         "program_id, true_gain); repeatable")
    be.add_argument("--orgs-only", action="store_true",
                    help="only the --org folders: no generated organization, no real file")
    be.set_defaults(func=cmd_bench)

    users = sub.add_parser("users", parents=[common], help="manage users")
    usub = users.add_subparsers(dest="users_command", required=True)
    add = usub.add_parser("add", parents=[common])
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=("hr", "manager", "employee", "trainer"))
    add.add_argument("--employee-id")
    add.add_argument("--password-stdin", action="store_true")
    usub.add_parser("list", parents=[common])
    users.set_defaults(func=cmd_users)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Rejected as rej:
        payload = {"status": "rejected", **rej.payload}
        _emit(args, payload, f"rejected: {rej.payload.get('message', rej.payload)}")
        return EXIT_REJECTED
    except ConfigError as exc:
        _emit(args, {"status": "error", "message": str(exc)}, f"configuration error: {exc}")
        return EXIT_ERROR
    except Exception as exc:  # the CLI's last line of defence: one clean line, exit 1
        _emit(args, {"status": "error", "message": f"{type(exc).__name__}: {exc}"},
              f"internal error: {type(exc).__name__}: {exc}")
        if os.environ.get("SPTE_DEBUG"):
            traceback.print_exc()
        return EXIT_ERROR
