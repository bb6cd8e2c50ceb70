"""Changing a plan by hand: swap a reviewer, move a visit, remove a visit, or set one outright.

The whole edited plan is checked by the solver's own checker against the cycle's scenario
before anything is stored. A change that breaks a rule the plan kept before is refused, with
the rule, the people and the date; problems the plan already had elsewhere do not block a
change (else two visits broken at once could never be mended one at a time). An accepted
change is a new version (source `edit`, "made by hand"), and its visit is *pinned*: the
scenario lists it in `previous` with `locked: true`, so every later solve and the nightly
re-optimisation keep it as it is, until the officer releases it. A removed visit is not pinned
(the scenario cannot say "keep this unstaffed"): a later solve may staff it again.
"""

from __future__ import annotations

import copy
import datetime as dt

from . import audit, plan_check
from .errors import InvalidInput, NotFound
from .exports import names
from .extensions import db
from .models import Cycle, PlanVersion, Review, User
from .plans import get_version, recost, review_for, store_version
from .records import HandPin
from .scenario import build_scenario

ACTIONS = ("swap", "move", "remove", "set")


# --------------------------------------------------------------------------- pins


def release(cycle: Cycle, urn: str, *, actor: User | None = None) -> None:
    """Let later solves move the visit to `urn` again."""
    review = review_for(cycle, urn)
    pin = db.session.scalar(db.select(HandPin).where(HandPin.review_id == review.id))
    if pin is None:
        raise NotFound(f"the visit to {urn} is not set by hand")
    db.session.delete(pin)
    audit.cycle_event(
        "plan.pin_released",
        cycle,
        f"let later solves move the visit to {_school_name(review)}",
        actor=actor,
        school_urn=urn,
    )


# --------------------------------------------------------------------------- the change


def apply(
    cycle: Cycle, change: dict, *, base: PlanVersion | None = None, actor: User | None = None, note: str | None = None
) -> tuple[PlanVersion, list[dict]]:
    """Make `change` on version `base` (default: the latest): the new version, and the problems
    the plan still has elsewhere (it had them before). InvalidInput (422) lists the rules the
    change would break; nothing is stored then."""
    action = change.get("action")
    if action not in ACTIONS:
        raise InvalidInput("unknown change", {"action": [f"one of {', '.join(ACTIONS)}"]})
    urn = change.get("school_urn") or ""
    review = review_for(cycle, urn)
    base = base or get_version(cycle)
    if base.cycle_id != cycle.id:
        raise NotFound("no such version")
    plan = copy.deepcopy(base.plan)
    visit = next((v for v in plan.get("reviews", []) if v["school_urn"] == urn), None)
    schools, reviewers = names(cycle)
    date, team, what = _edited(change, visit, urn, reviewers, base)

    plan["reviews"] = [v for v in plan.get("reviews", []) if v["school_urn"] != urn]
    plan["unstaffed"] = [u for u in plan.get("unstaffed", []) if u["school_urn"] != urn]
    if team:
        plan["reviews"].append({"school_urn": urn, "date": date, "days": [], "team": team})
        plan["reviews"].sort(key=lambda v: (v["date"], v["school_urn"]))
    else:
        who = actor.email if actor else "an officer"
        plan["unstaffed"].append({"school_urn": urn, "reasons": [f"removed by hand by {who}"]})
        plan["unstaffed"].sort(key=lambda u: u["school_urn"])
    plan["status"] = "FEASIBLE"
    plan["bound"] = None
    plan["solver"] = {"edited_by_hand": True}
    _unprove(plan["unstaffed"])

    # The scenario as it will be once this change is accepted: its own visit pinned.
    old_pin = db.session.scalar(db.select(HandPin).where(HandPin.review_id == review.id))
    if old_pin is not None:
        db.session.delete(old_pin)
        db.session.flush()
    scenario = build_scenario(cycle)
    pin = bool(team) and not review.locked
    if pin:
        scenario["previous"] = [p for p in scenario["previous"] if p["school_urn"] != urn] + [
            {"school_urn": urn, "date": date, "team": team, "locked": True}
        ]
    recost(scenario, plan)
    before = {plan_check.key(p) for p in plan_check.problems(scenario, base.plan)}
    found = plan_check.problems(scenario, plan)
    new = [p for p in found if plan_check.key(p) not in before]
    if new:
        raise refusal(new, schools, reviewers)

    version = store_version(cycle, plan, source="edit", note=note or what)
    if pin:
        db.session.add(HandPin(review=review, plan_version=version, created_by_id=actor.id if actor else None))
    audit.cycle_event(
        "plan.hand_change",
        cycle,
        f"{what} (version {version.number}, from version {base.number})",
        actor=actor,
        change={k: v for k, v in change.items() if v is not None},
        base_version=base.number,
        version=version.number,
        pinned=pin,
    )
    return version, [describe(p, schools, reviewers) for p in found]


def _edited(change: dict, visit: dict | None, urn: str, reviewers: dict, base: PlanVersion):
    """The visit's new date and team (None: unstaffed) and a sentence saying what changed."""
    action = change["action"]

    def name(rid):
        r = reviewers.get(rid)
        return f"{r.name} ({rid})" if r and r.name else rid

    if action == "set":
        team = [{"reviewer": m["reviewer"], "role": m["role"]} for m in change.get("team") or []]
        if not team or not change.get("date"):
            raise InvalidInput("a visit needs a date and a team", {"team": ["give at least one reviewer"]})
        for i, m in enumerate(team):
            if m["reviewer"] not in reviewers:
                raise InvalidInput("unknown reviewer", {f"team[{i}].reviewer": [f"no reviewer '{m['reviewer']}'"]})
        return _iso(change["date"]), team, f"visit to {urn} set by hand"
    if visit is None:
        raise InvalidInput(
            f"school {urn} has no visit in version {base.number}", {"school_urn": ["not staffed in that version"]}
        )
    team = [{"reviewer": m["reviewer"], "role": m["role"]} for m in visit["team"]]
    if action == "remove":
        return None, None, f"visit to {urn} on {visit['date']} removed by hand"
    if action == "move":
        date = _iso(change.get("date"))
        if date == visit["date"]:
            raise InvalidInput("the visit is on that date already", {"date": [f"the visit is on {date}"]})
        return date, team, f"visit to {urn} moved by hand from {visit['date']} to {date}"
    out, into = change.get("reviewer_out"), change.get("reviewer_in")
    if out not in {m["reviewer"] for m in team}:
        raise InvalidInput("that reviewer is not on the visit", {"reviewer_out": [f"'{out}' is not on the team"]})
    if into not in reviewers:
        raise InvalidInput("unknown reviewer", {"reviewer_in": [f"no reviewer '{into}'"]})
    if into in {m["reviewer"] for m in team}:
        raise InvalidInput("that reviewer is on the visit already", {"reviewer_in": [f"'{into}' is on the team"]})
    team = [dict(m, reviewer=into) if m["reviewer"] == out else m for m in team]
    return visit["date"], team, f"{name(into)} replaces {name(out)} on the visit to {urn} by hand"


def _iso(value) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise InvalidInput("not a date", {"date": ["give a date as YYYY-MM-DD"]}) from None


def _school_name(review: Review) -> str:
    return review.school.name or review.school.urn


def describe(problem: dict, schools: dict, reviewers: dict) -> dict:
    """The problem with people and the school named as an officer knows them."""
    out = dict(problem)
    out["people"] = [
        f"{reviewers[r].name} ({r})" if r in reviewers and reviewers[r].name else r for r in problem["who"]
    ]
    school = schools.get(problem["school_urn"]) if problem["school_urn"] else None
    out["school"] = f"{school.name} ({school.urn})" if school and school.name else problem["school_urn"]
    return out


def refusal(found: list[dict], schools: dict, reviewers: dict) -> InvalidInput:
    described = [describe(p, schools, reviewers) for p in found]
    first = described[0]
    said = first["label"]
    if first["people"]:
        said += ": " + ", ".join(first["people"])
    if first["date"]:
        said += f" on {first['date']}"
    errors: dict[str, list[str]] = {}
    for p in described:
        errors.setdefault(p["path"] or "plan", []).append(p["message"])
    return InvalidInput(
        f"the change breaks {len(found)} rule(s) the plan kept: {said} ({first['message']})",
        errors,
        problems=described,
    )


# The solver's one proof that outlives a hand change: no team can keep the rules at all. Its
# others (an optimal plan, a bound at least the plan's cost) were about the plan it made.
_STILL_PROVEN = "proven: no team can keep the rules"


def _unprove(unstaffed: list[dict]) -> None:
    for entry in unstaffed:
        reasons = entry["reasons"]
        if entry.get("proven") and not any(r.startswith((_STILL_PROVEN, "the cycle is infeasible")) for r in reasons):
            entry["proven"] = False
            entry["reasons"] = [r for r in reasons if not r.startswith("proven:")] + [
                "not proven: the plan was changed by hand after the solver proved it"
            ]
