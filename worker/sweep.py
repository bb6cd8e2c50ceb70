"""Reconciles solve rows with their jobs while a worker runs: a solve whose worker died
is marked failed, so its cycle can be solved again without anyone reading it first."""

from __future__ import annotations

import logging
import threading

from service import notify
from service.extensions import db
from service.solves import reap_stale

log = logging.getLogger(__name__)


def sweep_once(app) -> int:
    with app.app_context():
        try:
            count = reap_stale()
            notify.sweep()  # mails whose sender was lost
            if count:
                log.warning("marked %d solve(s) failed whose worker is gone", count)
            return count
        finally:
            db.session.remove()


def start(app, interval_s: float) -> threading.Event:
    """Sweep every `interval_s` seconds in a daemon thread; set the returned event to stop."""
    stop = threading.Event()

    def loop():
        while not stop.wait(interval_s):
            try:
                sweep_once(app)
            except Exception:
                log.warning("solve sweep failed", exc_info=True)

    threading.Thread(target=loop, name="solve-sweep", daemon=True).start()
    return stop
