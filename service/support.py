"""A cycle's school-to-school support: the requests of schools and the providers who can meet
them, added, changed and removed one at a time. Each change is checked by the contract (the
cycle must still be a valid scenario; InvalidInput otherwise, the caller rolls back)."""

from __future__ import annotations

from .errors import NotFound, already_exists
from .extensions import db
from .models import Cycle, SupportProvider, SupportRequest
from .pool import known_school
from .scenario import build_scenario, validate

KINDS = {SupportRequest: "request", SupportProvider: "provider"}


def rows(cycle: Cycle, model) -> list:
    return list(db.session.scalars(db.select(model).where(model.cycle_id == cycle.id).order_by(model.ext_id)))


def one(cycle: Cycle, model, ext_id: str):
    row = db.session.scalar(db.select(model).where(model.cycle_id == cycle.id, model.ext_id == ext_id))
    if row is None:
        raise NotFound(f"support {KINDS[model]} not found")
    return row


def add(cycle: Cycle, model, data: dict):
    """A new request or provider `data["id"]` (409 when the cycle has one by that id)."""
    ext_id = data.pop("id")
    if db.session.scalar(db.select(model).where(model.cycle_id == cycle.id, model.ext_id == ext_id)):
        raise already_exists(f"{KINDS[model]} {ext_id} exists", "id")
    row = model(cycle_id=cycle.id, ext_id=ext_id)
    db.session.add(row)
    change(cycle, row, data)
    return row


def change(cycle: Cycle, row, data: dict) -> None:
    """Apply checked values (as the resource's schema loads them); an unknown school is refused."""
    if "school_urn" in data:
        urn = data.pop("school_urn")
        with db.session.no_autoflush:  # the new row has no school yet
            row.school = known_school(cycle.la_id, urn)
    for key, value in data.items():
        setattr(row, key, value)
    db.session.flush()
    validate(build_scenario(cycle))
