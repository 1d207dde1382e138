"""Recommendation benchmark of issue 3 (a thin wrapper around :func:`core.bench.run_bench`).

Prints the table (or one JSON object with ``--json``); the same as ``python -m core bench``.

    python -m benchmarks.recommend_bench [--employees 600] [--quarters 10] [--seed 42]
        [--large 5000x12 | --no-large] [--no-alt] [--no-real] [--budget-seconds N] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from core.bench import format_table, run_bench


def _size(text: str) -> tuple[int, int]:
    n, q = text.lower().split("x")
    return int(n), int(q)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--employees", type=int, default=600)
    ap.add_argument("--quarters", type=int, default=10)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--large", type=_size, default=(5000, 12),
                    help="employees x quarters of the large organization (default 5000x12)")
    ap.add_argument("--no-large", action="store_true")
    ap.add_argument("--no-alt", action="store_true", help="skip the independent generators")
    ap.add_argument("--no-real", action="store_true", help="skip the real promotion file")
    ap.add_argument("--budget-seconds", type=float, default=None)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    result = run_bench(employees=args.employees, quarters=args.quarters, seed=args.seed,
                       large=None if args.no_large else args.large,
                       include_alt=not args.no_alt, include_real=not args.no_real,
                       budget_seconds=args.budget_seconds)
    print(json.dumps(result, ensure_ascii=False) if args.json else format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
