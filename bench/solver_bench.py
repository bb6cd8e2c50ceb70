"""Solver benchmark on generated LAs: quality and speed against the targets of issue 2.

    .venv/bin/python bench/solver_bench.py            # the three targets, seeds 1-3
    .venv/bin/python bench/solver_bench.py --sizes 140:10 --seeds 1 2 3 4 5

Each solve runs in its own process (`python -m solver solve`), so its wall time and peak
memory are its own. Prints one table row per solve and whether the target was met.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

# size: (time limit s, target gap %, must be OPTIMAL, memory limit MB)
TARGETS = {60: (10, 0.0, True, None), 140: (10, 0.5, False, None), 400: (60, 1.0, False, 1024)}


def run_one(schools: int, seed: int, limit: float, workers: int, folder: str) -> dict:
    scen = os.path.join(folder, f"s{schools}-{seed}.json")
    plan_path = os.path.join(folder, f"p{schools}-{seed}.json")
    py = sys.executable
    subprocess.run(
        [py, "-m", "solver", "generate", "--schools", str(schools), "--seed", str(seed), "--out", scen], check=True
    )
    t0 = time.monotonic()
    # A fresh process per solve, which reports its own peak resident memory.
    proc = subprocess.run(
        [
            py,
            "-c",
            (
                "import json,resource,sys; from solver import solve; "
                "sc=json.load(open(sys.argv[1])); "
                "p=solve(sc, time_limit=float(sys.argv[3]), workers=int(sys.argv[4])); "
                "json.dump(p, open(sys.argv[2],'w')); "
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
            ),
            scen,
            plan_path,
            str(limit),
            str(workers),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.monotonic() - t0
    peak_mb = int(proc.stdout.strip().splitlines()[-1]) / 1024
    ok = subprocess.run([py, "-m", "solver", "check", scen, plan_path], capture_output=True).returncode == 0
    plan = json.load(open(plan_path))
    sc = json.load(open(scen))
    gap = None
    if plan["bound"] is not None and plan["objective"]:
        gap = 100 * (plan["objective"] - plan["bound"]) / abs(plan["objective"])
    return {
        "schools": schools,
        "seed": seed,
        "reviews": len(sc["reviews"]),
        "reviewers": len(sc["reviewers"]),
        "limit": limit,
        "wall": wall,
        "solver_wall": plan["solver"]["wall_s"],
        "status": plan["status"],
        "objective": plan["objective"],
        "bound": plan["bound"],
        "gap": gap,
        "unstaffed": len(plan["unstaffed"]),
        "unmet": len(plan["unmet_support"]),
        "peak_mb": peak_mb,
        "valid": ok,
    }


def verdict(row: dict) -> str:
    target = TARGETS.get(row["schools"])
    if target is None:
        return "-"
    _, gap, optimal, mem = target
    if optimal:
        good = row["valid"] and row["status"] == "OPTIMAL"
    else:
        good = row["valid"] and row["gap"] is not None and row["gap"] <= gap
    if mem is not None:
        good = good and row["peak_mb"] <= mem
    return "met" if good else "MISSED"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--sizes", nargs="*", default=[f"{n}:{t[0]}" for n, t in TARGETS.items()], help="SCHOOLS:TIME_LIMIT pairs"
    )
    ap.add_argument("--seeds", nargs="*", type=int, default=[1, 2, 3])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args(argv)
    rows = []
    head = (
        f"{'schools':>7} {'seed':>4} {'reviews':>7} {'limit':>5} {'wall s':>7} {'status':>9} "
        f"{'objective':>12} {'bound':>12} {'gap %':>7} {'unstaffed':>9} {'unmet':>5} "
        f"{'peak MB':>7} {'valid':>5} {'target':>6}"
    )
    print(head)
    print("-" * len(head))
    with tempfile.TemporaryDirectory() as folder:
        for spec in args.sizes:
            n, limit = spec.split(":")
            for seed in args.seeds:
                r = run_one(int(n), seed, float(limit), args.workers, folder)
                rows.append(r)
                gap = f"{r['gap']:.3f}" if r["gap"] is not None else "-"
                print(
                    f"{r['schools']:>7} {r['seed']:>4} {r['reviews']:>7} {r['limit']:>5.0f} "
                    f"{r['wall']:>7.1f} {r['status']:>9} {r['objective']:>12.2f} "
                    f"{(r['bound'] if r['bound'] is not None else float('nan')):>12.2f} {gap:>7} "
                    f"{r['unstaffed']:>9} {r['unmet']:>5} {r['peak_mb']:>7.0f} "
                    f"{'yes' if r['valid'] else 'NO':>5} {verdict(r):>6}",
                    flush=True,
                )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
