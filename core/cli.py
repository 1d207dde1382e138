"""`python -m core`: the same operations as the app, for scripts, CI and first set-up.

Exit codes: 0 done (stored or unchanged), 2 the input was rejected (nothing stored),
1 an internal error. Every command takes ``--json`` and then prints exactly one JSON object.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import sys
import traceback
from pathlib import Path
from typing import Any

from core.config import ROOT, ConfigError

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
    payload = {
        "status": result.status,
        "dataset_version": result.dataset_version,
        "rows": result.rows,
        "out_dir": str(out),
        "files": {k: str(p) for k, p in paths.items()},
        "users": created,
        "warnings": len(result.warnings),
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
