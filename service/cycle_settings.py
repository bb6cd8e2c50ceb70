"""Changing a cycle's settings: one function for the API's PATCH and an adopted what-if."""

from __future__ import annotations

import datetime as dt

from . import audit
from .dates import iso_dates
from .extensions import db
from .models import Cycle, User
from .scenario import build_scenario, validate


def _plain(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def update(cycle: Cycle, changes: dict, *, actor: User | None = None, why: str | None = None) -> Cycle:
    """Apply `changes` (fields of the cycle, as the API's schema loads them) and check that the
    cycle is still a valid scenario (InvalidInput otherwise; the caller rolls back)."""
    changes = dict(changes)
    before = {k: _plain(getattr(cycle, k, None)) for k in changes if k != "window"}
    window = changes.pop("window", None)
    if window:
        before["window"] = {"start": cycle.window_start.isoformat(), "end": cycle.window_end.isoformat()}
        cycle.window_start, cycle.window_end = window["start"], window["end"]
    if "excluded_dates" in changes:
        changes["excluded_dates"] = iso_dates(changes["excluded_dates"])
    for key, value in changes.items():
        setattr(cycle, key, value)
    db.session.flush()
    validate(build_scenario(cycle))
    after = {k: _plain(v) for k, v in changes.items()} | ({"window": _plain(window)} if window else {})
    audit.cycle_event(
        "cycle.updated",
        cycle,
        f"changed {', '.join(sorted(after))} of {cycle.name}" + (f" ({why})" if why else ""),
        actor=actor,
        before=before,
        after=after,
    )
    return cycle
