"""The groups model (scenario v1.1) on generated LAs: the targets of issue 11.

    .venv/bin/python bench/groups_bench.py                  # 100 and 400 schools, seeds 1-3, 60 s
    .venv/bin/python bench/groups_bench.py --sizes 400 --seeds 4 5 --time-limit 30

Each LA is `generate(n, seed, model="groups")` (trios within 8 km of one phase, three rounds
of history); each solve runs in its own process (its wall time is its own) with 2 workers.
For each: every school taking part is in a group or has a reason; no group repeats a pairing
of the last two rounds (`avoid_rounds`); the plan passes `solver.check`; the plan is within 1 %
of its own proven bound. One row per solve, and whether the targets were met.

Measured on the shared 2-core machine (load average 4.7-6; other sessions' tests running), 60 s:

    schools seed taking groups grouped  out reasons repeats columns wall s   status    objective        bound  gap %
        100    1     74     18      54   20     all       0     596    1.2  OPTIMAL   2355748.64   2355748.64  0.000
        100    2     73     18      54   19     all       0     376    1.8  OPTIMAL   2161764.80   2161764.79  0.000
        100    3     82     22      66   16     all       0    1199    1.5  OPTIMAL   1666113.55   1666113.54  0.000
        400    1    314     93     279   35     all       0   33813   55.1 FEASIBLE   4308451.71   4304905.40  0.082
        400    2    328     96     288   40     all       0   37892   56.4 FEASIBLE   5422045.60   5153783.43  4.948
        400    3    317     94     282   35     all       0   31859   25.7  OPTIMAL   4417002.85   4417002.84  0.000

400 seed 2 misses the 1 % target: its LP relaxation (with the cuts) groups 96.9 trios' worth of
schools where no plan found has more than 96, and the bound stays 4.9 % under the plan. SCIP,
given the same model for 600 s, ends at the same plan (5 424 320) with its bound 3.6 % under it:
the gap is the bound's (a 3-set packing of ~300 schools in one region), not the plan's.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time

from solver import check
from solver.generate import generate

GAP_TARGET = 1.0  # per cent
AVOID_ROUNDS = 2


def run_one(schools: int, seed: int, limit: float, workers: int, folder: str) -> dict:
    scenario = generate(schools, seed, model="groups")
    scen = os.path.join(folder, f"g{schools}-{seed}.json")
    out = os.path.join(folder, f"p{schools}-{seed}.json")
    with open(scen, "w", encoding="utf-8") as fh:
        json.dump(scenario, fh)
    t0 = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "solver",
            "solve",
            scen,
            "--out",
            out,
            "--time-limit",
            str(limit),
            "--workers",
            str(workers),
        ],
        check=True,
        capture_output=True,
    )
    wall = time.monotonic() - t0
    with open(out, encoding="utf-8") as fh:
        plan = json.load(fh)
    taking_part = {rv["school_urn"] for rv in scenario["reviews"]}
    grouped = {u for g in plan["groups"] for u in g["schools"]}
    reasoned = {u["school_urn"] for u in plan["unstaffed"] if u["reasons"]}
    recent = {
        frozenset(p)
        for g in scenario["group_history"]
        if g["cycles_ago"] <= AVOID_ROUNDS
        for p in itertools.combinations(g["schools"], 2)
    }
    repeats = sum(1 for g in plan["groups"] for p in itertools.combinations(g["schools"], 2) if frozenset(p) in recent)
    gap = None
    if plan["bound"] is not None and plan["objective"]:
        gap = 100 * (plan["objective"] - plan["bound"]) / abs(plan["objective"])
    return {
        "schools": schools,
        "seed": seed,
        "taking_part": len(taking_part),
        "groups": len(plan["groups"]),
        "grouped": len(grouped),
        "left_out": len(taking_part - grouped),
        "accounted": taking_part <= grouped | reasoned,
        "repeats": repeats,
        "follow_ups": len(plan["follow_ups"]),
        "limit": limit,
        "wall": wall,
        "status": plan["status"],
        "objective": plan["objective"],
        "bound": plan["bound"],
        "gap": gap,
        "valid": check(scenario, plan) == [],
        "considered": plan["solver"].get("groups_considered"),
    }


def met(row: dict) -> bool:
    return (
        row["valid"]
        and row["accounted"]
        and row["repeats"] == 0
        and row["gap"] is not None
        and row["gap"] <= GAP_TARGET
        and row["wall"] <= row["limit"] + 5  # the solve's own time, plus starting Python
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="*", type=int, default=[100, 400])
    ap.add_argument("--seeds", nargs="*", type=int, default=[1, 2, 3])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args(argv)
    head = (
        f"{'schools':>7} {'seed':>4} {'taking':>6} {'groups':>6} {'grouped':>7} {'out':>4} {'reasons':>7} "
        f"{'repeats':>7} {'f-ups':>5} {'columns':>7} {'wall s':>6} {'status':>9} {'objective':>12} "
        f"{'bound':>12} {'gap %':>6} {'valid':>5} {'target':>6}"
    )
    print(head)
    print("-" * len(head))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            for seed in args.seeds:
                r = run_one(n, seed, args.time_limit, args.workers, folder)
                rows.append(r)
                gap = f"{r['gap']:.3f}" if r["gap"] is not None else "-"
                bound = f"{r['bound']:.2f}" if r["bound"] is not None else "-"
                print(
                    f"{r['schools']:>7} {r['seed']:>4} {r['taking_part']:>6} {r['groups']:>6} {r['grouped']:>7} "
                    f"{r['left_out']:>4} {'all' if r['accounted'] else 'NO':>7} {r['repeats']:>7} "
                    f"{r['follow_ups']:>5} {r['considered'] or 0:>7} {r['wall']:>6.1f} {r['status']:>9} "
                    f"{r['objective']:>12.2f} {bound:>12} {gap:>6} {'yes' if r['valid'] else 'NO':>5} "
                    f"{'met' if met(r) else 'MISSED':>6}",
                    flush=True,
                )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=2)
    return 0 if all(met(r) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
