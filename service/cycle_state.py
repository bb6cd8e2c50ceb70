"""Where a cycle stands, in one word, for lists and dashboards."""

import datetime as dt

from .extensions import db
from .models import ACTIVE_SOLVE_STATES, Cycle, PlanVersion, Solve

STATES = ("draft", "planned", "published", "solving", "over")


def cycle_state(cycle: Cycle, today: dt.date | None = None) -> str:
    """`solving` (a solve is queued or running), `over` (the window has ended), `published`,
    `planned` (versions, none published) or `draft` (no plan yet)."""
    today = today or dt.date.today()
    if db.session.scalar(
        db.select(Solve.id).where(Solve.cycle_id == cycle.id, Solve.status.in_(ACTIVE_SOLVE_STATES)).limit(1)
    ):
        return "solving"
    if cycle.window_end < today:
        return "over"
    if cycle.published_version_id:
        return "published"
    if db.session.scalar(db.select(PlanVersion.id).where(PlanVersion.cycle_id == cycle.id).limit(1)):
        return "planned"
    return "draft"
