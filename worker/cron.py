"""`rq cron worker.cron`: the nightly re-optimisation at 02:00 Europe/London.

A cron string cannot follow daylight saving (RQ 2 reads it as UTC, RQ 3 in the
scheduler's local time, which the deployment sets to UTC). 02:00 in London is
01:00 UTC in summer and 02:00 UTC in winter, so the job is due at both and acts
only in the one that is 02:00 in London (`service.nightly.is_run_hour`).
"""

import os

from rq import cron

from worker.nightly import reoptimise_live_cycles

SCHEDULE = "0 1,2 * * *"

cron.register(
    reoptimise_live_cycles,
    queue_name=os.environ.get("NIGHTLY_QUEUE", "nightly"),
    cron=SCHEDULE,
    job_timeout=600,
    name="nightly-reoptimisation",
)
