"""Headteachers' reads under load: gunicorn + PostgreSQL, measured with wrk.

    python bench/read_bench.py                          # sync and gthread workers, 15 s per endpoint
    python bench/read_bench.py --worker-class gthread --duration 5
    python bench/read_bench.py --rebuild                # make the LA again

Set-up (not timed, reused by later runs): a PostgreSQL database (`read_bench` by default)
holding one generated 600-school LA (`solver.generate`) with three cycles (autumn, spring and
summer terms), each solved for `--solve-time` seconds by the solver, checked by its checker
and published; `--heads` headteachers of schools with visits, each with a fresh API token
and calendar feed URL. Timed: gunicorn (`service.gunicorn_conf`, 4 workers) on 127.0.0.1 and
`wrk` (Debian package `wrk`: `apt-get install wrk`) with 32 connections for `--duration`
seconds per endpoint; every request goes as the next headteacher in turn, so no one row is hot.
Each endpoint is asked once before its run and must answer as expected (200, or 304 with
If-None-Match), so a table of fast errors cannot pass for a result. Prints, per endpoint,
requests per second, p50 and p99 latency and the count of non-2xx/3xx answers.

Loopback only; gunicorn runs in its own process group and is stopped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

LA_CODE = "R600"
COLDLESS = ("/healthz", "/api/v1/me")  # nothing of theirs is kept in memory: the cold run skips them
SECRET = "read-bench-secret-key-not-for-production"
TERMS = (("Autumn 2026 peer review", 0), ("Spring 2027 peer review", 17), ("Summer 2027 peer review", 33))

# wrk calls request() for every request (each thread has its own Lua state) and done() once.
LUA = """
local entries = %s
local n = 0
request = function()
  n = n + 1
  local e = entries[(n %% #entries) + 1]
  return wrk.format("GET", e[1], e[2])
end
done = function(summary, latency, requests)
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"status_errors": %%d, "socket_errors": %%d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def shift(dates, weeks: int):
    return [(dt.date.fromisoformat(d) + dt.timedelta(weeks=weeks)).isoformat() for d in dates]


def term(scenario: dict, name: str, weeks: int) -> dict:
    """The scenario's cycle moved `weeks` later (the pool is the same LA's)."""
    out = copy.deepcopy(scenario)
    c = out["cycle"]
    c["name"] = name
    c["window"] = dict(zip(("start", "end"), shift([c["window"]["start"], c["window"]["end"]], weeks)))
    c["excluded_dates"] = shift(c.get("excluded_dates") or [], weeks)
    if c.get("freeze_before"):
        c["freeze_before"] = shift([c["freeze_before"]], weeks)[0]
    for review in out["reviews"]:
        for key in ("earliest", "latest"):
            if review.get(key):
                review[key] = shift([review[key]], weeks)[0]
    out["previous"] = []
    return out


def set_up(app, schools: int, solve_time: float) -> None:
    """The LA, its three published cycles (skipped when they are there already)."""
    import solver
    from service.extensions import db
    from service.models import Cycle, LocalAuthority
    from service.plans import publish, store_version
    from service.scenario import build_scenario
    from service.scenario_import import create_cycle
    from solver.generate import generate

    la = db.session.scalar(db.select(LocalAuthority).where(LocalAuthority.code == LA_CODE))
    if la is not None:
        published = db.session.scalars(
            db.select(Cycle).where(Cycle.la_id == la.id, Cycle.published_version_id.is_not(None))
        ).all()
        if len(published) == len(TERMS):
            print(f"set-up: reusing LA {LA_CODE} and its {len(published)} published cycles", flush=True)
            return
        raise SystemExit(f"the database holds a half-made LA {LA_CODE}: run again with --rebuild")
    la = LocalAuthority(code=LA_CODE, name="Read bench LA")
    db.session.add(la)
    db.session.flush()
    base = generate(schools, 1)
    for name, weeks in TERMS:
        started = time.monotonic()
        cycle = create_cycle(la, term(base, name, weeks))
        db.session.flush()
        scenario = build_scenario(cycle)
        plan = solver.solve(scenario, time_limit=solve_time, workers=2)
        problems = solver.check(scenario, plan)
        if problems or not plan["reviews"]:
            raise SystemExit(f"no valid plan for {name}: {plan['status']}, {problems[:3]}")
        publish(cycle, store_version(cycle, plan, source="import", note="read bench"))
        db.session.commit()
        print(
            f"set-up: {name}: {plan['status']}, {len(plan['reviews'])} visits, {time.monotonic() - started:.0f} s",
            flush=True,
        )


def headteachers(app, count: int) -> list[dict]:
    """`count` headteachers of schools with published visits, each with a new token and feed path."""
    from service.auth import issue_token
    from service.extensions import db
    from service.models import LocalAuthority, PublishedVisit, School, User
    from service.pages.signin import calendar_feed_token

    la = db.session.scalar(db.select(LocalAuthority).where(LocalAuthority.code == LA_CODE))
    ids = db.session.scalars(
        db.select(PublishedVisit.school_id)
        .where(PublishedVisit.la_id == la.id, PublishedVisit.school_id.is_not(None))
        .union(
            db.select(PublishedVisit.member_school_id).where(
                PublishedVisit.la_id == la.id, PublishedVisit.member_school_id.is_not(None)
            )
        )
    ).all()
    heads = []
    for school in db.session.scalars(db.select(School).where(School.id.in_(ids)).order_by(School.urn).limit(count)):
        email = f"head.{school.urn}@read-bench.example"
        user = db.session.scalar(db.select(User).where(User.email == email))
        if user is None:
            user = User(email=email, role="headteacher", la_id=la.id, school_id=school.id)
            db.session.add(user)
        heads.append({"user": user, "token": issue_token(user)})
    db.session.commit()
    with app.test_request_context():
        for head in heads:
            head["feed"] = f"/calendar/{calendar_feed_token(head['user'])}.ics"
            head["email"] = head.pop("user").email
    return heads


def fetch(url: str, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env: dict, worker_class: str, workers: int, threads: int, log_path: str):
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:service.gunicorn_conf",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "service:create_app()",
    ]
    log = open(log_path, "ab")
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn ended with {proc.returncode}: see {log_path}")
            with contextlib.suppress(OSError):
                if fetch(base + "/healthz", {})[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer within 60 s: see {log_path}")
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def endpoints(base: str, heads: list[dict]) -> list[tuple[str, int, list[tuple[str, dict]]]]:
    """(name, expected status, [(path, headers)] one per headteacher); ETags asked for first."""

    def auth(h):
        return {"Authorization": f"Bearer {h['token']}"}

    tags = {}
    for h in heads:
        for key, path, headers in (
            ("json", "/api/v1/me/visits", auth(h)),
            ("ics", "/api/v1/me/visits.ics", auth(h)),
            ("feed", h["feed"], {}),
        ):
            status, got = fetch(base + path, headers)
            if status != 200 or "ETag" not in got:
                raise SystemExit(f"{path} answered {status} for {h['email']} (expected 200 with an ETag)")
            tags[key, h["email"]] = got["ETag"]
    return [
        ("/healthz", 200, [("/healthz", {})]),
        ("/api/v1/me", 200, [("/api/v1/me", auth(h)) for h in heads]),
        ("/api/v1/me/visits", 200, [("/api/v1/me/visits", auth(h)) for h in heads]),
        (
            "/api/v1/me/visits (If-None-Match)",
            304,
            [("/api/v1/me/visits", auth(h) | {"If-None-Match": tags["json", h["email"]]}) for h in heads],
        ),
        ("/api/v1/me/visits.ics", 200, [("/api/v1/me/visits.ics", auth(h)) for h in heads]),
        ("/calendar/<feed>.ics", 200, [(h["feed"], {}) for h in heads]),
        (
            "/calendar/<feed>.ics (If-None-Match)",
            304,
            [(h["feed"], {"If-None-Match": tags["feed", h["email"]]}) for h in heads],
        ),
    ]


def lua_entry(path: str, headers: dict) -> str:
    # JSON strings are valid Lua strings (the tokens and paths are plain ASCII).
    pairs = ",".join(f"[{json.dumps(k)}]={json.dumps(v)}" for k, v in headers.items())
    return f"{{{json.dumps(path)}, {{{pairs}}}}}"


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()  # fields from the 3rd (state) on; comm may hold spaces


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def cpu_of(master: int, dbname: str) -> dict[tuple[str, int], float]:
    """CPU seconds so far of gunicorn (master and workers) and of PostgreSQL's backends on `dbname`,
    by ("web" or "db", pid)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        fields = _stat(pid)
        if fields is None:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if pid == master or int(fields[1]) == master:
            out["web", pid] = seconds
        elif _cmdline(pid).startswith("postgres: ") and f" {dbname} " in _cmdline(pid):
            out["db", pid] = seconds
    return out


def run_wrk(base: str, entries, expected: int, args, workdir: str, master: int, dbname: str) -> dict:
    for path, headers in entries[:3]:
        status, _ = fetch(base + path, headers)
        if status != expected:
            raise SystemExit(f"{path} answered {status}, expected {expected}: not measuring errors")
    script = os.path.join(workdir, "requests.lua")
    lua_entries = "{" + ",".join(lua_entry(path, headers) for path, headers in entries) + "}"
    with open(script, "w") as f:
        f.write(LUA % lua_entries)
    command = [
        "wrk",
        f"-t{args.wrk_threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "10s",
        "-s",
        script,
        base,
    ]
    before, children = cpu_of(master, dbname), resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    done = subprocess.run(command, capture_output=True, text=True, timeout=args.duration + 60)
    after, children_after = cpu_of(master, dbname), resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU the whole exchange took (gunicorn, PostgreSQL, and wrk itself) whatever else ran.
    spent = {"web": 0.0, "db": 0.0}
    for key, seconds in after.items():
        spent[key[0]] += seconds - before.get(key, 0.0)
    spent["wrk"] = (children_after.ru_utime + children_after.ru_stime) - (children.ru_utime + children.ru_stime)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    for part, seconds in spent.items():
        result[f"cpu_{part}_ms"] = seconds / max(result["requests"], 1) * 1000
    result["cpu_ms"] = sum(spent.values()) / max(result["requests"], 1) * 1000
    result["load"] = max(load, os.getloadavg()[0])
    return result


def sa_url(url: str):
    import sqlalchemy as sa

    return sa.engine.make_url(url)


def database(url: str, rebuild: bool) -> None:
    """Create the bench's database (dropped first with `rebuild`)."""
    import sqlalchemy as sa

    name = sa.engine.make_url(url).database
    admin = sa.create_engine(sa.engine.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if rebuild:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("READ_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/read_bench"),
    )
    parser.add_argument("--rebuild", action="store_true", help="drop the bench database and make the LA again")
    parser.add_argument("--schools", type=int, default=600)
    parser.add_argument("--solve-time", type=float, default=10.0, help="solver seconds per cycle at set-up")
    parser.add_argument("--heads", type=int, default=100, help="headteachers the requests take turns as")
    parser.add_argument(
        "--worker-class", choices=("sync", "gthread", "both"), default="both", help="gunicorn worker type"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15, help="seconds per endpoint")
    parser.add_argument("--only", help="measure only endpoints whose name contains this")
    parser.add_argument(
        "--skip-cold", action="store_true", help="skip the run with no answers kept in memory (RESPONSE_CACHE_SIZE=0)"
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: `apt-get install wrk` (Debian/Ubuntu), then run again", file=sys.stderr)
        return 2

    import flask_migrate

    database(args.database_url, args.rebuild)
    dbname = sa_url(args.database_url).database
    env = os.environ | {
        "DATABASE_URL": args.database_url,
        "SECRET_KEY": SECRET,
        "LOG_FORMAT": "json",
        # Every request comes from 127.0.0.1: the per-address API limit would answer 429 within
        # a second. Limits high enough never to bite keep the limiter's own cost in the numbers.
        "RATELIMIT_API_ADDRESS": "100000000 per minute",
        "RATELIMIT_API_ACCOUNT": "100000000 per minute",
    }
    env.pop("REDIS_URL", None)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY")})
    os.environ.pop("REDIS_URL", None)
    from service import create_app
    from service.extensions import db

    app = create_app()
    with app.app_context():
        flask_migrate.upgrade()
        set_up(app, args.schools, args.solve_time)
        heads = headteachers(app, args.heads)
        db.session.remove()
        db.engine.dispose()
    print(f"{len(heads)} headteachers take turns; wrk -c{args.connections} -t{args.wrk_threads} -d{args.duration}s")

    # Each gunicorn set-up: (worker class, keep answers in memory by ETag, only the 200 endpoints).
    runs = [(c, True, False) for c in (("sync", "gthread") if args.worker_class == "both" else (args.worker_class,))]
    if not args.skip_cold:
        # Every answer made from the index afresh: what the first request of each head costs.
        runs.append((runs[-1][0], False, True))
    rows = []
    with tempfile.TemporaryDirectory(prefix="read_bench_") as workdir:
        for worker_class, cache, cold in runs:
            run_env = env | {
                "PROMETHEUS_MULTIPROC_DIR": os.path.join(workdir, "prometheus"),
                "RESPONSE_CACHE_SIZE": "2048" if cache else "0",
            }
            threads = args.threads if worker_class == "gthread" else 1
            log_path = os.path.join(ROOT, "instance", f"read_bench_{worker_class}.log")
            os.makedirs(os.path.dirname(log_path), exist_ok=True)
            with gunicorn(run_env, worker_class, args.workers, threads, log_path) as (base, master):
                for name, expected, entries in endpoints(base, heads):
                    if (args.only and args.only not in name) or (cold and (expected != 200 or name in COLDLESS)):
                        continue
                    result = run_wrk(base, entries, expected, args, workdir, master, dbname)
                    label = f"{worker_class} {args.workers}w" + (f"x{threads}t" if worker_class == "gthread" else "")
                    label += "" if cache else " cold"
                    rows.append((label, name, result))
                    print(
                        f"  {label:<14} {name:<38} {result['rps']:>6.0f}/s  p50 {result['p50_us'] / 1000:6.1f} ms"
                        f"  p99 {result['p99_us'] / 1000:6.1f} ms  cpu {result['cpu_ms']:.2f} ms/req"
                        f"  load {result['load']:.1f}",
                        flush=True,
                    )
    cores = os.cpu_count() or 1
    print()
    print(
        f"{'gunicorn':<14} {'endpoint':<38} {'req/s':>6} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx/3xx':>11} "
        f"{'cpu ms/req':>10} {'web/db/wrk':>15} {'req/s if idle':>13} {'load':>5}"
    )
    for label, name, r in rows:
        errors = r["status_errors"] + r["socket_errors"]
        split = f"{r['cpu_web_ms']:.2f}/{r['cpu_db_ms']:.2f}/{r['cpu_wrk_ms']:.2f}"
        print(
            f"{label:<14} {name:<38} {r['rps']:>6.0f} {r['p50_us'] / 1000:>7.1f} {r['p99_us'] / 1000:>7.1f} "
            f"{errors:>11} {r['cpu_ms']:>10.2f} {split:>15} {cores * 1000 / r['cpu_ms']:>13.0f} {r['load']:>5.1f}"
        )
    print(
        f"\ncpu ms/req: CPU time of gunicorn, PostgreSQL's backends and wrk together per request (web/db/wrk: "
        "each one's share); "
        f"'req/s if idle' = {cores} cores / that, what the same work would reach with the machine to itself. "
        "load: the 1-minute load average during the run (other programs' share of the machine)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
