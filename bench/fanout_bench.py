"""A big solve fanned out over 1, 2 and 4 RQ workers (`worker/fanout.py`), on real Redis.

    .venv/bin/python bench/fanout_bench.py                          # 600 schools, 30 s and 60 s
    .venv/bin/python bench/fanout_bench.py --sizes 1500:120 --workers 1 2 4 --seeds 1

For N workers, N-1 `rq worker` processes (SimpleWorker) listen on a fresh queue and the solve
runs in a process of its own, as a solve job on the N-th worker would: its first search is
split into N parts, N-1 of them RQ jobs (1 worker: `solver.solve` as before, no split). Each
row: the wall time, the plan's status, objective, bound and gap at the time limit, the times
at which the solve first reported a plan within 0.5 % and within 0.05 % of its bound (its
progress callback), the parts, the solving process's peak memory and the workers' (their VmHWM),
and the load average before the run: the machine has 2 cores shared with other work, so 4
workers cannot be faster than 2 here.

Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

CHILD = r"""
import json, resource, sys, time
from redis import Redis
from worker import fanout
scenario = json.load(open(sys.argv[1]))
seen = []
def progress(objective, bound, elapsed):
    seen.append((elapsed, objective, bound))
plan = fanout.solve(
    scenario, connection=Redis.from_url(sys.argv[3]), queue_name=sys.argv[4], min_reviews=0,
    time_limit=float(sys.argv[5]), workers=int(sys.argv[6]), seed=0, on_progress=progress,
)
json.dump({"plan": plan, "progress": seen}, open(sys.argv[2], "w"))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def start_workers(n: int, redis_url: str, queue: str) -> list[subprocess.Popen]:
    from redis import Redis
    from rq import Queue, Worker
    from rq.worker import WorkerStatus

    rq = os.path.join(os.path.dirname(sys.executable), "rq")
    procs = [
        subprocess.Popen(
            [rq, "worker", "--url", redis_url, "--worker-class", "rq.worker.SimpleWorker", queue],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(n)
    ]
    connection = Redis.from_url(redis_url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = Worker.all(connection=connection, queue=Queue(queue, connection=connection))
        if sum(1 for w in workers if w.get_state() == WorkerStatus.IDLE) >= n:
            return procs
        time.sleep(0.2)
    raise RuntimeError(f"{n} rq workers did not start")


def high_water_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run_one(schools: int, seed: int, limit: float, n_workers: int, cp_workers: int, redis_url: str, folder: str):
    py = sys.executable
    scen = os.path.join(folder, f"s{schools}-{seed}.json")
    if not os.path.exists(scen):
        subprocess.run(
            [py, "-m", "solver", "generate", "--schools", str(schools), "--seed", str(seed), "--out", scen],
            check=True,
            cwd=ROOT,
        )
    out = os.path.join(folder, f"out-{schools}-{seed}-{n_workers}-{limit:g}.json")
    queue = f"fanout-bench-{uuid.uuid4().hex[:8]}"
    procs = start_workers(n_workers - 1, redis_url, queue) if n_workers > 1 else []
    load = os.getloadavg()[0]
    try:
        t0 = time.monotonic()
        child = subprocess.run(
            [py, "-c", CHILD, scen, out, redis_url, queue, str(limit), str(cp_workers)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        wall = time.monotonic() - t0
        workers_mb = sum(high_water_mb(p.pid) for p in procs)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
    peak = int(child.stdout.strip().splitlines()[-1]) / 1024
    with open(out) as fh:
        got = json.load(fh)
    plan = got["plan"]
    with open(out + ".plan", "w") as fh:
        json.dump(plan, fh)
    ok = subprocess.run([py, "-m", "solver", "check", scen, out + ".plan"], capture_output=True, cwd=ROOT).returncode
    gap = 100 * (plan["objective"] - plan["bound"]) / plan["objective"] if plan["bound"] is not None else None

    def first_within(gap: float) -> float | None:
        return next((e for e, o, b in got["progress"] if o is not None and b is not None and (o - b) / o <= gap), None)

    return {
        "schools": schools,
        "seed": seed,
        "workers": n_workers,
        "limit": limit,
        "load": load,
        "wall": wall,
        "status": plan["status"],
        "objective": plan["objective"],
        "bound": plan["bound"],
        "gap": gap,
        "within_0_5": first_within(0.005),
        "within_0_05": first_within(0.0005),
        "parts": plan["solver"].get("parts", 1),
        "peak_mb": peak,
        "workers_mb": workers_mb,
        "valid": ok == 0,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="*", default=["600:30", "600:60"], help="SCHOOLS:TIME_LIMIT pairs")
    ap.add_argument("--seeds", nargs="*", type=int, default=[1])
    ap.add_argument("--workers", nargs="*", type=int, default=[1, 2, 4], help="RQ workers, the solve's own included")
    ap.add_argument("--cp-workers", type=int, default=1, help="CP-SAT threads per solve and per part (SOLVER_WORKERS)")
    ap.add_argument("--json", help="also write the rows to this file")
    args = ap.parse_args(argv)
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    head = (
        f"{'schools':>7} {'seed':>4} {'workers':>7} {'limit':>5} {'load':>5} {'wall s':>7} {'parts':>5} "
        f"{'status':>9} {'objective':>12} {'bound':>12} {'gap %':>7} {'0.5% at s':>9} {'0.05% at':>8} {'peak MB':>7} "
        f"{'wkrs MB':>7} {'valid':>5}"
    )
    print(head)
    print("-" * len(head))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for spec in args.sizes:
            n, limit = spec.split(":")
            for seed in args.seeds:
                for w in args.workers:
                    r = run_one(int(n), seed, float(limit), w, args.cp_workers, redis_url, folder)
                    rows.append(r)
                    within = f"{r['within_0_5']:.1f}" if r["within_0_5"] is not None else "-"
                    closer = f"{r['within_0_05']:.1f}" if r["within_0_05"] is not None else "-"
                    gap = f"{r['gap']:.3f}" if r["gap"] is not None else "-"
                    print(
                        f"{r['schools']:>7} {r['seed']:>4} {r['workers']:>7} {r['limit']:>5.0f} {r['load']:>5.1f} "
                        f"{r['wall']:>7.1f} {r['parts']:>5} {r['status']:>9} {r['objective']:>12.2f} "
                        f"{(r['bound'] or float('nan')):>12.2f} {gap:>7} {within:>9} {closer:>8} {r['peak_mb']:>7.0f} "
                        f"{r['workers_mb']:>7.0f} {'yes' if r['valid'] else 'NO':>5}",
                        flush=True,
                    )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
