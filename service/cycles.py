"""A cycle created from a whole scenario (the API's `POST /cycles`) and deleted, audited both
ways; its settings change in `cycle_settings`, the new-cycle form's way in is `new_cycle`."""

from __future__ import annotations

from . import audit
from .errors import Conflict, InvalidInput
from .extensions import db
from .models import Cycle, LocalAuthority
from .scenario_import import create_cycle
from .solves import active_solve


def create(la_id: int, data) -> Cycle:
    """The LA's new cycle from scenario `data` (a JSON body: None when it was not JSON)."""
    if data is None:
        raise InvalidInput("the body must be JSON", {"_schema": ["expected a JSON scenario object"]})
    cycle = create_cycle(db.session.get(LocalAuthority, la_id), data)
    audit.cycle_event("cycle.created", cycle, f"created cycle {cycle.name}")
    return cycle


def delete(cycle: Cycle) -> None:
    """Delete a cycle with its reviews, solves and plan versions (409 while a solve is active)."""
    active = active_solve(cycle)
    if active:
        raise Conflict("cancel the cycle's running solve first", {"solve_id": [active.id]}, solve_id=active.id)
    audit.cycle_event("cycle.deleted", cycle, f"deleted cycle {cycle.name}")
    cycle.published_version_id = None
    db.session.flush()
    db.session.delete(cycle)
