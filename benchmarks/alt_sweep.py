"""Policy value of the default plans over many generated organizations, one line each.

What the engine's changes are checked on: each organization is generated (cached in
``--cache``), trained and planned the way the app does it, and scored against its own
ground truth; ``--ceiling`` adds the model fitted to the true gains (a reference).

    python -m benchmarks.alt_sweep [SPEC ...] [--set NAME ...] [--cache DIR] [--ceiling] [--json]

SPEC is ``shape:employees:quarters:seed[:kpi_form]`` with shape ``kpi`` or ``threshold``
(:mod:`benchmarks.alt_org`) or ``dev`` (:mod:`core.synthetic`), e.g. ``kpi:700:8:201``,
``kpi:1000:8:221:even``, ``dev:600:10:241``. ``--set`` adds a named list (:data:`SETS`),
and may be repeated.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from core.contract import GROUND_TRUTH_FILE

# The organizations a change of the engine was checked on (README, "Measured").
SETS = {
    "2026-11-29": (
        "kpi:700:8:201 kpi:1200:8:202 kpi:500:10:203 kpi:2000:8:204 kpi:900:6:205 "
        "kpi:1500:8:206 kpi:800:10:207 kpi:1000:8:208 threshold:1000:8:231 "
        "threshold:1500:8:232 kpi:1000:8:221:even kpi:1000:8:222:best "
        "kpi:600:8:301 kpi:1100:8:302 kpi:1800:6:303 kpi:750:10:304 kpi:1300:8:305 "
        "kpi:950:8:306 kpi:2500:8:307 threshold:800:8:311 threshold:2000:6:312 "
        "kpi:1200:8:313:even kpi:700:8:314:best kpi:1500:8:315:best dev:600:10:241 "
        "dev:1000:8:242 dev:400:10:243 "
        "kpi:650:8:401 kpi:1000:8:402 kpi:1400:8:403 kpi:850:10:404 kpi:1100:6:405 "
        "kpi:1700:8:406 kpi:900:8:407:even kpi:1300:8:408:even kpi:1000:8:409:best "
        "threshold:1200:8:410 dev:800:8:411 kpi:550:10:412"
    ).split(),
    # generated after the change the set above chose, to check it held
    "2026-11-29-fresh": (
        "kpi:800:8:501 kpi:1200:8:502 kpi:600:10:503 kpi:1600:8:504 kpi:1000:6:505 "
        "kpi:2200:8:506 kpi:900:8:507:even kpi:1100:8:508:best kpi:750:8:509 "
        "threshold:900:8:510 dev:700:8:511 kpi:1300:10:512"
    ).split(),
    # generated to check the KPI horizons (core.effects.KPI_HORIZONS): small, long histories
    "2026-11-29-small": (
        "kpi:550:10:601 kpi:650:10:602 kpi:700:8:603 kpi:500:8:604 kpi:800:10:605 "
        "kpi:600:8:606 kpi:900:10:607:even kpi:700:10:608:best threshold:600:10:609 "
        "dev:500:10:610"
    ).split(),
    # generated to check the KPI's lasting level (core.kpi_level)
    "2026-11-29-late": (
        "kpi:900:8:701 kpi:1400:8:702 kpi:600:10:703 kpi:2000:6:704 kpi:1100:8:705 "
        "kpi:750:8:706 kpi:1000:8:707:even kpi:1200:8:708:best threshold:1100:8:709 "
        "dev:900:8:710 kpi:1600:10:711 kpi:800:6:712 kpi:650:8:713 kpi:1300:8:714 "
        "kpi:1000:10:715"
    ).split(),
    # short histories (four and five quarters)
    "2026-11-29-short": (
        "kpi:1000:4:11 kpi:1000:5:12 kpi:2000:4:15 threshold:1000:4:13 dev:1000:4:14"
    ).split(),
}


def organization(spec: str, cache: Path) -> Path:
    """The folder of ``spec``'s organization, generated on first use."""
    shape, n, q, seed, *form = spec.split(":")
    out = cache / spec.replace(":", "_")
    if not (out / GROUND_TRUTH_FILE).exists():
        if shape == "dev":
            from core.synthetic import generate

            generate(int(n), int(q), int(seed)).write(out)
        else:
            from benchmarks.alt_org import generate_alt

            generate_alt(int(n), int(q), int(seed), shape=shape, out_dir=out,
                         kpi_form=form[0] if form else "room")
    return out


def score(spec: str, cache: Path, *, ceiling: bool = False) -> dict:
    """Policy value (% of the eligible-programs oracle) of the default plans on one spec."""
    from core.bench import current_rows, observable_ceiling, policy_scores
    from core.features import FeatureBuilder, history_from_dir
    from core.model import train_history_model
    from core.recommend import build_plans, eligible_pairs

    seed = int(spec.split(":")[3])
    folder = organization(spec, cache)
    t0 = time.perf_counter()
    history = history_from_dir(folder)
    ff = FeatureBuilder().fit_transform(history)
    model = train_history_model(ff, random_state=seed, budget_seconds=10).model
    recs, _ = build_plans(history, ff, model, top_k=3)
    gt = pd.read_csv(folder / GROUND_TRUTH_FILE, dtype={"employee_id": str, "program_id": str})
    eligible = eligible_pairs(history, ff.keys["employee_id"].iloc[current_rows(ff)].astype(str))
    row = {"spec": spec, "policy_value_pct": policy_scores(recs, gt, eligible)["policy_value_pct"],
           "seconds": time.perf_counter() - t0}
    if ceiling:
        ref = observable_ceiling(history, ff, gt, top_k=3, seed=seed)
        row["ceiling_pct"] = policy_scores(ref, gt, eligible)["policy_value_pct"]
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("specs", nargs="*")
    ap.add_argument("--set", choices=sorted(SETS), action="append", default=[],
                    help="add a named list of specs (repeatable)")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "alt_sweep"))
    ap.add_argument("--ceiling", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    specs = [*args.specs, *(spec for name in args.set for spec in SETS[name])]
    if not specs:
        ap.error("give at least one SPEC or --set")
    cache = Path(args.cache)
    rows = []
    for spec in specs:
        row = score(spec, cache, ceiling=args.ceiling)
        rows.append(row)
        if not args.json:
            extra = f"  ceiling {row['ceiling_pct']:5.1f}%" if "ceiling_pct" in row else ""
            print(f"{spec:28s} {row['policy_value_pct']:5.1f}%{extra}  {row['seconds']:.1f} s",
                  flush=True)
    mean = float(np.mean([r["policy_value_pct"] for r in rows]))
    if args.json:
        print(json.dumps({"organizations": rows, "mean_policy_value_pct": mean}))
    else:
        print(f"{'mean':28s} {mean:5.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
