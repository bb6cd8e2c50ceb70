"""A running solve's pulse in Redis, so a worker killed outright is noticed in seconds.

RQ notices a dead worker only when the job's registry entry expires (a minute and
more); the reaper in `service.solves` reads this key instead.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading

log = logging.getLogger(__name__)


@contextlib.contextmanager
def beating(connection, key: str, interval_s: float):
    """While inside, `key` exists in Redis; it expires five beats after the last one (not
    one: a native solver call may hold the GIL and delay a beat or two)."""
    if connection is None:  # in-process runner: the reaper checks the thread instead
        yield
        return
    ttl_ms = int(math.ceil(interval_s * 5 * 1000))
    done = threading.Event()

    def beat():
        try:
            connection.set(key, "1", px=ttl_ms)
        except Exception:
            log.warning("could not refresh heartbeat %s", key, exc_info=True)

    def loop():
        while not done.wait(interval_s):
            beat()

    beat()
    thread = threading.Thread(target=loop, name=f"heartbeat-{key}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=interval_s + 1)
        with contextlib.suppress(Exception):
            connection.delete(key)
