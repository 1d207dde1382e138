"""Ingest speed and peak memory, on SQLite and PostgreSQL. Prints a table (and --json).

Each case runs in a fresh subprocess on a fresh database, so its peak memory (max RSS) is
its own. Targets on the 2-core machine: the 54,808-row promotion file in under 10 s, a
5,000-employee x 12-quarter synthetic organization in under 30 s, peak memory under 1.5 GB.

    python -m benchmarks.ingest_bench [--employees 5000] [--quarters 12] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROMOTION = ROOT.parent / "shared" / "data" / "hr_promotion_train.csv"
PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

_CASE = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from core.db import get_engine, upgrade
from core.ingest import UploadFile, ingest
engine = get_engine({url!r}); upgrade(engine)
files = [UploadFile.from_path(p) for p in {files!r}]
rows = 0
t0 = time.perf_counter()
result = ingest(files, engine, kind={kind!r}, target={target!r}, uploaded_by="bench")
elapsed = time.perf_counter() - t0
assert result.status == "stored", result.to_json("en")["errors"][:3]
print(json.dumps({{"seconds": elapsed, "rows": sum(result.rows.values()),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _pg_database() -> tuple[str, callable]:
    from sqlalchemy import create_engine, text

    admin = create_engine("postgresql+psycopg://" + PG_ADMIN.removeprefix("postgresql://"),
                          isolation_level="AUTOCOMMIT")
    name = f"spte_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, drop


def run_case(url: str, files: list[str], kind: str | None, target: str | None) -> dict:
    code = _CASE.format(root=str(ROOT), url=url, files=files, kind=kind, target=target)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, timeout=900)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--employees", type=int, default=5000)
    parser.add_argument("--quarters", type=int, default=12)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from core import synthetic

    tmp = Path(tempfile.mkdtemp(prefix="spte_bench_"))
    org = synthetic.generate(args.employees, args.quarters, seed=1)
    paths = org.write(tmp / "org")
    org_files = [str(p) for k, p in paths.items() if k != "ground_truth"]
    cases = []
    if PROMOTION.exists():
        cases.append(("hr_promotion_train.csv (snapshot)", [str(PROMOTION)], "snapshot",
                      "is_promoted", 10.0))
    else:
        print(f"skipping the promotion file: {PROMOTION} is absent", file=sys.stderr)
    cases.append((f"synthetic {args.employees} x {args.quarters}", org_files, None, None, 30.0))

    results = []
    for backend in args.backends.split(","):
        for label, files, kind, target, target_s in cases:
            drop = None
            if backend == "sqlite":
                url = f"sqlite:///{tmp / (uuid.uuid4().hex + '.db')}"
            else:
                url, drop = _pg_database()
            try:
                r = run_case(url, files, kind, target)
            finally:
                if drop:
                    drop()
            results.append({"backend": backend, "case": label, "rows": r["rows"],
                            "seconds": round(r["seconds"], 2),
                            "rows_per_second": round(r["rows"] / r["seconds"]),
                            "peak_mb": round(r["peak_mb"]), "target_seconds": target_s,
                            "meets_target": r["seconds"] < target_s and r["peak_mb"] < 1536})
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        header = f"{'backend':<11} {'case':<36} {'rows':>9} {'s':>7} {'rows/s':>9} " \
                 f"{'peak MB':>8} {'target':>7}"
        print(header)
        print("-" * len(header))
        for r in results:
            print(f"{r['backend']:<11} {r['case']:<36} {r['rows']:>9,} {r['seconds']:>7.2f} "
                  f"{r['rows_per_second']:>9,} {r['peak_mb']:>8,} "
                  f"{'ok' if r['meets_target'] else 'MISSED':>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
