"""`python -m worker`: an RQ worker on the service's queues (officers' solves first, then the night's).

Configuration is the service's (`REDIS_URL`, `DATABASE_URL`, ...). SIGTERM is RQ's
warm shutdown: the running solve finishes and stores its plan, then the worker exits.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import uuid

from redis import Redis

from service import logs

from . import sweep
from .jobs import _app
from .solve_worker import SolveWorker


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--name", default=None, help="worker name (default: host, pid and a random suffix)")
    parser.add_argument(
        "--sweep-interval",
        type=float,
        default=float(os.environ.get("SOLVE_SWEEP_S", "15")),
        help="seconds between two checks for solves whose worker died",
    )
    args = parser.parse_args(argv)

    logs.configure(os.environ.get("LOG_FORMAT", "json"))
    app = _app()
    if not app.config.get("REDIS_URL"):
        parser.error("REDIS_URL is not set: without Redis the service runs solves in-process")
    # Mails first: each is a moment's work, and headteachers wait for them.
    queues = [app.config["MAIL_QUEUE"], app.config["SOLVE_QUEUE"], app.config["NIGHTLY_QUEUE"]]
    connection = Redis.from_url(app.config["REDIS_URL"])
    name = args.name or f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:4]}"
    try:  # solves left behind by a worker that died before this one started
        sweep.sweep_once(app)
    except Exception:  # the database may come up after us: the periodic sweep catches up
        logging.getLogger("worker").warning("first solve sweep failed", exc_info=True)
    stop_sweep = sweep.start(app, args.sweep_interval)
    try:
        worker = SolveWorker(queues, connection=connection, name=name, app=app)
        # The scheduler moves jobs whose retry is due back to their queue.
        worker.work(burst=args.burst, with_scheduler=True)
    finally:
        stop_sweep.set()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
