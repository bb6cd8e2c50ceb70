"""Publishing a plan version: move the cycle's pointer, tell the headteachers, keep a record.

One function for the API, the pages and the nightly auto-publication. The mails are written
to the outbox in the same transaction and sent after it commits; a mail that fails never
undoes the publication.
"""

from __future__ import annotations

from . import audit, notify, plans
from .models import Cycle, PlanVersion, User


def publish(cycle: Cycle, version: PlanVersion, *, actor: User | None = None) -> dict:
    """Publish `version` (the caller commits): what the outbox got, for the answer and the audit."""
    before = cycle.published_version
    plans.publish(cycle, version)
    if before is not None and before.id == version.id:
        return {"schools": 0, "mails": 0, "without_account": []}
    mails = notify.queue_publication(cycle, version, before)
    audit.cycle_event(
        "plan.published",
        cycle,
        f"published version {version.number}"
        + (f" (was {before.number})" if before else "")
        + f"; {mails['mails']} mail(s) to headteachers",
        actor=actor,
        version=version.number,
        previous=before.number if before else None,
        **mails,
    )
    return mails


def told(mails: dict) -> str:
    """What a publication's mails were, in a sentence for the officer."""
    return f"{mails['mails']} mail(s) to headteachers are on their way."
