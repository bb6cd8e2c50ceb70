"""Plan versions: storing, publishing, comparing and locking (changes by hand: `hand_changes`).

A version is never changed once written; every edit makes a new one, and
publishing only moves the cycle's pointer. These functions add to the current
session and leave the commit to the caller (one request, one transaction).
"""

from __future__ import annotations

import datetime as dt
import re

from solver import load_scenario
from solver.calendar import Calendar
from solver.check import check
from solver.costs import price_plan

from . import audit, visit_index
from .errors import Conflict as ConflictError
from .errors import InvalidInput, NotFound
from .extensions import db
from .models import Cycle, PlanVersion, Review, School
from .scenario import build_scenario


def versions(cycle: Cycle) -> list[PlanVersion]:
    return list(
        db.session.scalars(db.select(PlanVersion).where(PlanVersion.cycle_id == cycle.id).order_by(PlanVersion.number))
    )


def get_version(cycle: Cycle, number: int | None = None) -> PlanVersion:
    """Version `number`, or the latest; NotFound when there is none."""
    query = db.select(PlanVersion).where(PlanVersion.cycle_id == cycle.id)
    if number is None:
        query = query.order_by(PlanVersion.number.desc()).limit(1)
    else:
        query = query.where(PlanVersion.number == number)
    version = db.session.scalar(query)
    if version is None:
        raise NotFound("no plan yet for this cycle" if number is None else f"no plan version {number}")
    return version


def store_version(
    cycle: Cycle, plan: dict, *, source: str, note: str | None = None, solve_id: str | None = None
) -> PlanVersion:
    """Add plan `plan` as the cycle's next version number."""
    # Lock the cycle's row first (PostgreSQL), so that a solve ending while an officer uploads
    # or edits a plan cannot take the same number and lose its plan to the unique key.
    db.session.execute(db.select(Cycle.id).where(Cycle.id == cycle.id).with_for_update())
    last = db.session.scalar(db.select(db.func.max(PlanVersion.number)).where(PlanVersion.cycle_id == cycle.id)) or 0
    version = PlanVersion(cycle_id=cycle.id, number=last + 1, plan=plan, source=source, note=note, solve_id=solve_id)
    db.session.add(version)
    db.session.flush()
    return version


def publish(cycle: Cycle, version: PlanVersion) -> None:
    if version.cycle_id != cycle.id:
        raise InvalidInput("that version belongs to another cycle", {"version": ["not of this cycle"]})
    if version.plan.get("status") == "INFEASIBLE":
        # It has no schedule that keeps the rules: headteachers must never be sent one.
        raise InvalidInput(
            f"version {version.number} is INFEASIBLE and cannot be published",
            {"version": ["an INFEASIBLE plan cannot be published"]},
        )
    cycle.published_version_id = version.id
    cycle.published_version = version
    visit_index.published(cycle, version)


# --------------------------------------------------------------------------- hand-made plans


def recost(scenario: dict, plan: dict) -> dict:
    """Fill a hand-made plan's `days`, objective, costs and changes the solver's way.

    The solver's calendar and cost formula are the only definitions of these, so
    a plan the service writes is checked by the same rules as one the solver writes.
    """
    sc = load_scenario(scenario)
    cal = Calendar(sc)
    for visit in plan["reviews"]:
        visit["days"] = [d.isoformat() for d in cal.occupied(dt.date.fromisoformat(visit["date"]))]
    return price_plan(sc, plan)


def plan_from_previous(scenario: dict) -> dict:
    """A plan v1 holding exactly the scenario's `previous` visits (for an imported cycle)."""
    staffed = {v["school_urn"] for v in scenario["previous"]}
    plan = {
        "version": 1,
        "status": "FEASIBLE",
        "objective": None,
        "bound": None,
        "reviews": [
            {
                "school_urn": v["school_urn"],
                "date": v["date"],
                "days": [],
                "team": [{"reviewer": m["reviewer"], "role": m["role"]} for m in v["team"]],
            }
            for v in scenario["previous"]
        ],
        "unstaffed": [
            {"school_urn": r["school_urn"], "reasons": ["not staffed in the imported plan"]}
            for r in scenario.get("reviews", [])
            if r["school_urn"] not in staffed
        ],
        "support": [],
        "unmet_support": [
            {"request": q["id"], "school_urn": q["school_urn"], "reasons": ["not met in the imported plan"]}
            for q in (scenario.get("support") or {}).get("requests", [])
        ],
        "warnings": [],
        "solver": {},
    }
    return recost(scenario, plan)


# --------------------------------------------------------------------------- diff


def _visits(plan: dict | None) -> dict[str, dict]:
    return {v["school_urn"]: v for v in (plan or {}).get("reviews", [])}


def diff(before: dict | None, after: dict) -> dict:
    """What changes from plan `before` to plan `after`, visit by visit.

    Each change names the school, what happened (`added`, `removed`, `changed`),
    the dates before and after, and who joined or left the team. Causes (why a
    change happened) are for the nightly job to attach.
    """
    old, new = _visits(before), _visits(after)
    changes = []
    for urn in sorted(set(old) | set(new)):
        a, b = old.get(urn), new.get(urn)
        if a and b and a["date"] == b["date"] and a["team"] == b["team"]:
            continue
        old_team = {m["reviewer"]: m["role"] for m in (a or {}).get("team", [])}
        new_team = {m["reviewer"]: m["role"] for m in (b or {}).get("team", [])}
        changes.append(
            {
                "school_urn": urn,
                "change": "added" if a is None else "removed" if b is None else "changed",
                "date_before": a["date"] if a else None,
                "date_after": b["date"] if b else None,
                "joined": sorted(set(new_team) - set(old_team)),
                "left": sorted(set(old_team) - set(new_team)),
                "role_changed": sorted(r for r in set(old_team) & set(new_team) if old_team[r] != new_team[r]),
            }
        )
    old_support = {s["request"]: s["provider"] for s in (before or {}).get("support", [])}
    new_support = {s["request"]: s["provider"] for s in after.get("support", [])}
    support = [
        {"request": r, "provider_before": old_support.get(r), "provider_after": new_support.get(r)}
        for r in sorted(set(old_support) | set(new_support))
        if old_support.get(r) != new_support.get(r)
    ]
    return {
        "changes": changes,
        "support_changes": support,
        "counts": {
            "added": sum(c["change"] == "added" for c in changes),
            "removed": sum(c["change"] == "removed" for c in changes),
            "moved": sum(c["change"] == "changed" and c["date_before"] != c["date_after"] for c in changes),
            "team_changed": sum(bool(c["joined"] or c["left"] or c["role_changed"]) for c in changes),
            "support_changed": len(support),
        },
    }


# --------------------------------------------------------------------------- locks and edits


def review_for(cycle: Cycle, urn: str) -> Review:
    review = db.session.scalar(
        db.select(Review).join(Review.school).where(Review.cycle_id == cycle.id, School.urn == urn)
    )
    if review is None:
        raise NotFound(f"school {urn} is not reviewed in this cycle")
    return review


def set_lock(cycle: Cycle, urn: str, locked: bool) -> Review:
    """Lock (or unlock) the published visit to school `urn`."""
    review = review_for(cycle, urn)
    if locked:
        published = cycle.published_version.plan if cycle.published_version else None
        if urn not in _visits(published):
            raise ConflictError(f"school {urn} has no published visit to lock; publish a plan that staffs it first")
    review.locked = locked
    return review


def upload_version(cycle: Cycle, plan, *, note: str | None = None) -> PlanVersion:
    """Store a plan solved elsewhere (e.g. `python -m solver solve`) after checking every hard rule."""
    if not isinstance(plan, dict):
        raise InvalidInput("the body must be a plan (v1) object", {"_schema": ["expected a JSON object"]})
    problems = check(build_scenario(cycle), plan)
    if problems:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            # The checker's sentences start with where the problem is ("reviews[0] (… on …): rule 2 …",
            # "costs.backfill: …"); key by that path and keep the sentence whole.
            where = re.match(r"([\w.\[\]]+)(?: \([^)]*\))?: ", problem)
            errors.setdefault(where.group(1) if where else "plan", []).append(problem)
        raise InvalidInput(f"the plan breaks {len(problems)} rule(s) of this cycle: {problems[0]}", errors)
    version = store_version(cycle, plan, source="upload", note=note or "plan uploaded")
    audit.cycle_event("plan.uploaded", cycle, f"added version {version.number} (uploaded)", version=version.number)
    return version
