"""`python -m worker.health [--scheduler]`: the container health check of a worker or the scheduler.

Healthy when Redis answers and a worker (or an rq cron scheduler) of this host is
registered there: both re-register on a heartbeat, so a hung or dead one drops out.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Worker, cron_scheduler_registry


def registered(connection, scheduler: bool, host: str) -> bool:
    if scheduler:
        # Names are "host:pid:suffix".
        return any(k.split(":", 1)[0] == host for k in cron_scheduler_registry.get_keys(connection))
    # python -m worker names itself "host.pid.suffix".
    return any(w.name.split(".", 1)[0] == host for w in Worker.all(connection=connection))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker.health")
    parser.add_argument("--scheduler", action="store_true", help="check the rq cron scheduler instead")
    args = parser.parse_args(argv)
    try:
        # No retries: a probe has a few seconds, and a Redis that does not answer at once is the answer.
        connection = Redis.from_url(
            os.environ["REDIS_URL"], socket_timeout=3, socket_connect_timeout=3, retry=Retry(NoBackoff(), 0)
        )
        ok = registered(connection, args.scheduler, socket.gethostname())
    except Exception as exc:  # noqa: BLE001 - any failure is "unhealthy"
        print(f"unhealthy: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if not ok:
        print("unhealthy: not registered in Redis", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
