"""The mail job (`worker.mail.deliver_mail`, named by the service's `MAIL_JOB`): send outbox rows.

The rules (who, what, when to retry) are the service's (`service.notify`); this job sends
what is due and, while a row waits for its next try, asks RQ to run it again then.
"""

from __future__ import annotations

import math

from rq import Retry

from service import notify
from service.extensions import db

from .jobs import app_context

# RQ's own count of retries never stops us: each row's `max_attempts` does.
MAX_RQ_RETRIES = 1000


def deliver_mail(outbox_ids: list[int]):
    with app_context():
        try:
            wait = notify.deliver(outbox_ids)
        finally:
            db.session.remove()
    if wait is None:
        return None
    return Retry(max=MAX_RQ_RETRIES, interval=max(1, math.ceil(wait)))
