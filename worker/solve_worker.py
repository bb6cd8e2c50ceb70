"""The RQ worker class of `python -m worker`.

RQ's stop-job command (`rq.command.send_stop_job_command`) SIGKILLs the work horse,
which would lose the best plan a running solve has found. For a running solve this
worker sets the solve's cancel flag instead: the solver stops within a second and
stores its best plan, as a cancel through the API does. A second stop-job for the
same job is obeyed RQ's way.
"""

from __future__ import annotations

import logging

from rq import Worker
from rq.command import parse_payload

from service import solve_lifecycle
from service.extensions import db

log = logging.getLogger(__name__)


class SolveWorker(Worker):
    def __init__(self, *args, app, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app
        self._asked_to_stop: set[str] = set()

    def handle_payload(self, message):
        payload = parse_payload(message)
        job_id = payload.get("job_id")
        if (
            payload.get("command") == "stop-job"
            and job_id
            and job_id == self.get_current_job_id()
            and job_id not in self._asked_to_stop
            and self._cancel_solve(job_id)
        ):
            self._asked_to_stop.add(job_id)
            log.info("stop-job %s: the solve was asked to stop and keep its best plan", job_id)
            return
        super().handle_payload(message)

    def _cancel_solve(self, job_id: str) -> bool:
        try:
            with self.app.app_context():
                changed = solve_lifecycle.ask_to_stop(job_id)
                db.session.commit()
                db.session.remove()
            return bool(changed)
        except Exception:  # the database is away: stop the RQ way rather than not at all
            log.warning("stop-job %s: could not set the cancel flag", job_id, exc_info=True)
            return False
