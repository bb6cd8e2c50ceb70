"""Nightly re-optimisation of many LAs on real PostgreSQL and Redis, with 1 and 2 worker processes.

    python bench/worker_bench.py                 # 150 cycles, 1 then 2 workers
    python bench/worker_bench.py --cycles 10     # a quick look

Set-up (not timed): `--cycles` invented LAs (solver.generate, 60-160 schools, next
year's autumn term so the cycles are live), each solved and published; then one
reviewer of each falls ill on the day of one of their published visits. Timed: the
nightly dispatcher queues one job per cycle and `python -m worker` processes
re-optimise them all. Between two runs the night's proposals are deleted, so each
run starts from the same published plans. Everything lives in a schema of its own,
dropped at the end.

Measured (2 CPUs shared with other work, 10 s limit, 1 CP-SAT thread per worker),
two runs: 1 worker 161 s / 206 s, 2 workers 129 s / 112 s for all 150 cycles;
median per cycle 0.5-1.5 s, 95th percentile 2.3-8.6 s, median diff 1 change; none failed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

NIGHT = "2026-11-23T02:05:00+00:00"


def _initial_plan(args):
    """Process-pool task: the first plan of one LA (solved outside the service, as an import would be)."""
    scenario, time_limit = args
    import solver

    return solver.solve(scenario, time_limit=time_limit, workers=1)


def set_up(app, cycles: int, lo: int, hi: int, initial_time_limit: float, processes: int) -> list[int]:
    from service.cli import create_user
    from service.extensions import db
    from service.models import Cycle, LocalAuthority, Reviewer
    from service.plans import publish, store_version
    from service.scenario_import import create_cycle
    from solver.generate import generate

    rng = random.Random(2026)
    sizes = [rng.randint(lo, hi) for _ in range(cycles)]
    scenarios = [generate(n, seed=i, year=2027) for i, n in enumerate(sizes)]
    started = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        plans = pool.map(_initial_plan, [(s, initial_time_limit) for s in scenarios], chunksize=1)
    print(f"set-up: {cycles} first plans in {time.monotonic() - started:.0f} s", flush=True)
    ids = []
    with app.app_context():
        for i, (scenario, plan) in enumerate(zip(scenarios, plans)):
            # One LA per cycle: each invented LA has its own schools and reviewers.
            la = LocalAuthority(code=f"B{i:03d}", name=f"Bench LA {i}")
            db.session.add(la)
            db.session.flush()
            cycle = create_cycle(la, scenario)
            db.session.flush()
            publish(cycle, store_version(cycle, plan, source="import", note="bench set-up"))
            # The small change of the day: a reviewer of a published visit falls ill on its day.
            if plan["reviews"]:
                visit = rng.choice(plan["reviews"])
                rid = rng.choice(visit["team"])["reviewer"]
                reviewer = db.session.scalar(db.select(Reviewer).where(Reviewer.la_id == la.id, Reviewer.ext_id == rid))
                reviewer.unavailable = sorted(set(reviewer.unavailable or []) | {visit["date"]})
            ids.append(cycle.id)
        create_user("bench@la.example", "la_admin", "B000")
        db.session.commit()
        assert len(db.session.scalars(db.select(Cycle.id)).all()) == cycles
    return ids


def reset_night(app) -> None:
    import sqlalchemy as sa

    from service.extensions import db
    from service.models import PlanVersion, Solve

    with app.app_context():
        db.session.execute(sa.delete(Solve).where(Solve.kind == "nightly"))
        db.session.execute(sa.delete(PlanVersion).where(PlanVersion.source == "nightly"))
        db.session.commit()
        db.session.remove()


def run_night(app, env: dict, processes: int, cycles: int) -> dict:
    import sqlalchemy as sa

    from service.extensions import db
    from service.models import ACTIVE_SOLVE_STATES, Solve
    from worker.nightly import reoptimise_live_cycles

    logs = open(os.path.join(ROOT, "instance", f"worker_bench_{processes}.log"), "wb")
    workers = [
        subprocess.Popen([sys.executable, "-m", "worker"], env=env, cwd=ROOT, stdout=logs, stderr=subprocess.STDOUT)
        for _ in range(processes)
    ]
    time.sleep(3)  # let them import the solver and register before the clock starts
    try:
        started = time.monotonic()
        queued = reoptimise_live_cycles(now=NIGHT)["queued"]
        assert len(queued) == cycles, queued
        with app.app_context():
            while db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Solve)
                .where(Solve.kind == "nightly", Solve.status.in_(ACTIVE_SOLVE_STATES))
            ):
                db.session.rollback()
                time.sleep(0.5)
            wall = time.monotonic() - started
            solves = db.session.scalars(sa.select(Solve).where(Solve.kind == "nightly")).all()
            per_cycle = [(s.finished_at - s.started_at).total_seconds() for s in solves if s.started_at]
            diffs = [(s.plan_version.diff or {}).get("total", 0) if s.plan_version else 0 for s in solves]
            failed = [s.error for s in solves if s.status != "finished"]
            db.session.remove()
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=60)
        logs.close()
    per_cycle.sort()
    return {
        "workers": processes,
        "cycles": len(solves),
        "wall": wall,
        "per_min": len(solves) / wall * 60,
        "median": statistics.median(per_cycle),
        "p95": per_cycle[max(0, int(0.95 * len(per_cycle)) - 1)],
        "diff": statistics.median(diffs),
        "failed": failed,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=150)
    parser.add_argument("--workers", default="1,2", help="worker process counts to run, e.g. 1,2")
    parser.add_argument("--min-schools", type=int, default=60)
    parser.add_argument("--max-schools", type=int, default=160)
    parser.add_argument("--time-limit", type=float, default=10.0, help="solver seconds per nightly cycle")
    parser.add_argument("--solver-workers", type=int, default=1, help="CP-SAT threads per worker process")
    parser.add_argument("--initial-time-limit", type=float, default=3.0, help="solver seconds per first plan")
    parser.add_argument(
        "--postgres", default=os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--redis", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args(argv)

    import flask_migrate
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(args.postgres)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{args.postgres}?options=-csearch_path%3D{schema}"
    env = os.environ | {
        "DATABASE_URL": url,
        "REDIS_URL": args.redis,
        "SOLVE_QUEUE": f"{schema}-solves",
        "NIGHTLY_QUEUE": f"{schema}-nightly",
        "NIGHTLY_TIME_LIMIT_S": str(args.time_limit),
        "SOLVER_WORKERS": str(args.solver_workers),
        "LOG_FORMAT": "json",
    }
    os.environ.update(
        {
            k: env[k]
            for k in (
                "DATABASE_URL",
                "REDIS_URL",
                "SOLVE_QUEUE",
                "NIGHTLY_QUEUE",
                "NIGHTLY_TIME_LIMIT_S",
                "SOLVER_WORKERS",
            )
        }
    )
    from service import create_app

    app = create_app()
    try:
        with app.app_context():
            flask_migrate.upgrade()
        set_up(
            app,
            args.cycles,
            args.min_schools,
            args.max_schools,
            args.initial_time_limit,
            processes=max(int(w) for w in args.workers.split(",")),
        )
        rows = []
        for processes in (int(w) for w in args.workers.split(",")):
            reset_night(app)
            rows.append(run_night(app, env, processes, args.cycles))
            r = rows[-1]
            print(f"{processes} worker(s): {r['cycles']} cycles in {r['wall']:.0f} s", flush=True)
    finally:
        with app.app_context():
            from service.extensions import db

            db.session.remove()
            db.engine.dispose()
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()

    print(
        f"\nNightly re-optimisation, {args.cycles} LAs of {args.min_schools}-{args.max_schools} schools, "
        f"{args.time_limit:g} s solver limit, {args.solver_workers} CP-SAT thread(s) per worker, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"{'workers':>7} {'cycles':>6} {'total s':>8} {'cycles/min':>10} {'median s':>8} {'p95 s':>6} "
        f"{'median diff':>11} {'failed':>6}"
    )
    for r in rows:
        print(
            f"{r['workers']:>7} {r['cycles']:>6} {r['wall']:>8.0f} {r['per_min']:>10.1f} {r['median']:>8.1f} "
            f"{r['p95']:>6.1f} {r['diff']:>11g} {len(r['failed']):>6}"
        )
    for r in rows:
        for error in r["failed"][:3]:
            print(f"failed ({r['workers']} workers): {error}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
