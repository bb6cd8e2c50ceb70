"""Database rows -> scenario v1 (v1.1 for a cycle that uses its fields): the one place that
translates rows into the contract.

`build_scenario(cycle)` is what the API's `GET /cycles/{id}/scenario` answers and
what every job feeds the solver; `validate(data)` checks a scenario by the solver's own
contract. The reverse, a whole scenario upserted into the LA's pool plus a new cycle,
is `service/scenario_import.py: create_cycle`.
"""

from __future__ import annotations

import datetime as dt

from solver.scenario import ScenarioError, load_scenario

from .errors import InvalidInput, errors_from_lines
from .extensions import db
from .models import (
    Conflict,
    Cycle,
    GroupHistory,
    History,
    Review,
    Reviewer,
    School,
    SupportProvider,
    SupportRequest,
)
from .pins import with_pins

_UNSET = object()


def validate(data) -> None:
    """Raise InvalidInput listing every problem (by JSON path) of a scenario dict."""
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a scenario object", {"_schema": ["expected a JSON object"]})
    try:
        load_scenario(data)
    except ScenarioError as exc:
        errors = errors_from_lines(list(exc.errors))
        raise InvalidInput(f"the scenario has {len(exc.errors)} problem(s)", errors) from None


# --------------------------------------------------------------------------- rows -> scenario


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _in_window(dates, cycle: Cycle) -> list[str]:
    # The pool's dates outlive one cycle; the contract calls a date outside the
    # window bad input, so each cycle sees only its own.
    lo, hi = cycle.window_start.isoformat(), cycle.window_end.isoformat()
    return sorted({d for d in dates or [] if lo <= d <= hi})


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def school_dict(s: School, cycle: Cycle | None = None) -> dict:
    closed = _in_window(s.closed_dates, cycle) if cycle else list(s.closed_dates or [])
    return _drop_none(
        {
            "urn": s.urn,
            "name": s.name,
            "la_code": s.la_code,
            "phase": s.phase,
            "cluster": s.cluster.name if s.cluster else None,
            "trust": s.trust.name if s.trust else None,
            "lat": s.lat if s.lat is not None and s.lon is not None else None,
            "lon": s.lon if s.lat is not None and s.lon is not None else None,
            "pupils": s.pupils,
        }
    ) | {"closed_dates": closed}


def reviewer_dict(r: Reviewer, cycle: Cycle | None = None) -> dict:
    unavailable = _in_window(r.unavailable, cycle) if cycle else sorted(r.unavailable or [])
    return _drop_none(
        {
            "id": r.ext_id,
            "name": r.name,
            "school_urn": r.school.urn if r.school else None,
            "role": r.role,
            "lead_accredited": r.lead_accredited,
            "phases": r.phases,
            "specialisms": list(r.specialisms or []),
            "max_reviews": r.max_reviews,
            "day_rate": r.day_rate,
        }
    ) | {"unavailable": unavailable}


def review_dict(rv: Review, version: str = "1") -> dict:
    out = _drop_none(
        {
            "school_urn": rv.school.urn,
            "priority": rv.priority,
            "focus": list(rv.focus or []),
            "team_size": rv.team_size,
            "earliest": _iso(rv.earliest),
            "latest": _iso(rv.latest),
        }
    )
    if version == "1.1":  # a v1 document may not carry them
        out |= _drop_none({"visit_days": rv.visit_days, "offered_dates": rv.offered_dates})
        if rv.follow_up:
            out["follow_up"] = True
    return out


# The v1.1 keys of a scenario's cycle that `Cycle.programme` keeps, as given.
PROGRAMME_KEYS = ("model", "groups", "visit_lengths", "follow_up", "load")


def cycle_dict(c: Cycle, freeze_before) -> dict:
    programme = {k: v for k, v in (c.programme or {}).items() if k in PROGRAMME_KEYS}
    return programme | _drop_none(
        {
            "name": c.name,
            "window": {"start": c.window_start.isoformat(), "end": c.window_end.isoformat()},
            "excluded_dates": sorted(c.excluded_dates or []),
            "freeze_before": _iso(freeze_before),
            "team_size": c.team_size,
            "visit_days": c.visit_days,
            "lead_required": c.lead_required,
            "backfill_budget": c.backfill_budget,
            "cluster_budgets": dict(c.cluster_budgets or {}),
            "support_budget": c.support_budget,
            "policy": dict(c.policy or {}),
            "weights": dict(c.weights or {}),
        }
    )


def previous_visits(cycle: Cycle, plan: dict | None) -> list[dict]:
    """The visits of `plan` as the scenario's `previous`, with today's locks."""
    if not plan:
        return []
    reviews = {rv.school.urn: rv for rv in cycle_reviews(cycle)}
    known = set(db.session.scalars(db.select(Reviewer.ext_id).where(Reviewer.la_id == cycle.la_id)))
    out = []
    for visit in plan.get("reviews", []):
        review = reviews.get(visit["school_urn"])
        if review is None:  # no longer to be reviewed in this cycle
            continue
        team = [dict(m) for m in visit["team"] if m["reviewer"] in known]
        if not team:
            continue
        # A locked visit must come back exactly; one whose reviewer was deleted cannot.
        locked = review.locked and len(team) == len(visit["team"])
        out.append({"school_urn": visit["school_urn"], "date": visit["date"], "team": team, "locked": locked})
    return out


def cycle_reviews(cycle: Cycle) -> list[Review]:
    return list(
        db.session.scalars(
            db.select(Review).join(Review.school).where(Review.cycle_id == cycle.id).order_by(School.urn)
        )
    )


def build_scenario(cycle: Cycle, *, freeze_before=_UNSET, previous_plan=_UNSET) -> dict:
    """The cycle as a scenario v1 dict, with the published plan as `previous`.

    The nightly re-optimisation passes its own `freeze_before` (today + notice);
    `previous_plan` overrides the published plan (None: no previous).
    """
    if freeze_before is _UNSET:
        freeze_before = cycle.freeze_before
    if previous_plan is _UNSET:
        previous_plan = cycle.published_version.plan if cycle.published_version else None
    la_id = cycle.la_id
    schools = db.session.scalars(db.select(School).where(School.la_id == la_id).order_by(School.urn))
    reviewers = db.session.scalars(db.select(Reviewer).where(Reviewer.la_id == la_id).order_by(Reviewer.ext_id))
    providers = list(
        db.session.scalars(
            db.select(SupportProvider).where(SupportProvider.cycle_id == cycle.id).order_by(SupportProvider.ext_id)
        )
    )
    requests = db.session.scalars(
        db.select(SupportRequest).where(SupportRequest.cycle_id == cycle.id).order_by(SupportRequest.ext_id)
    )
    provider_ids = [p.id for p in providers]
    conflicts = db.session.scalars(
        db.select(Conflict)
        .where(Conflict.la_id == la_id)
        .where(Conflict.reviewer_id.is_not(None) | Conflict.provider_id.in_(provider_ids))
        .order_by(Conflict.id)
    )
    history = db.session.scalars(db.select(History).where(History.cycle_id == cycle.id).order_by(History.id))
    version = cycle.scenario_version or "1"
    extra = {"group_history": group_history_dicts(cycle)} if version == "1.1" else {}
    return extra | {
        "version": 1 if version == "1" else version,
        "cycle": cycle_dict(cycle, freeze_before),
        "schools": [school_dict(s, cycle) for s in schools],
        "reviewers": [reviewer_dict(r, cycle) for r in reviewers],
        "reviews": [review_dict(rv, version) for rv in cycle_reviews(cycle)],
        "conflicts": [conflict_dict(c) for c in conflicts],
        "history": [
            {"reviewer": h.reviewer.ext_id, "school_urn": h.school.urn, "cycles_ago": h.cycles_ago} for h in history
        ],
        "support": {
            "requests": [
                {
                    "id": r.ext_id,
                    "school_urn": r.school.urn,
                    "days": r.days,
                    "focus": list(r.focus or []),
                    "priority": r.priority,
                }
                for r in requests
            ],
            "providers": [
                {
                    "id": p.ext_id,
                    "school_urn": p.school.urn,
                    "capacity_days": p.capacity_days,
                    "day_rate": p.day_rate,
                    "specialisms": list(p.specialisms or []),
                }
                for p in providers
            ],
        },
        "previous": with_pins(cycle, previous_visits(cycle, previous_plan)),
    }


def group_history_dicts(cycle: Cycle) -> list[dict]:
    rows = db.session.scalars(
        db.select(GroupHistory)
        .where(GroupHistory.cycle_id == cycle.id)
        .order_by(GroupHistory.cycles_ago, GroupHistory.id)
    )
    return [_drop_none({"name": g.name, "cycles_ago": g.cycles_ago, "schools": list(g.schools)}) for g in rows]


def conflict_dict(c: Conflict) -> dict:
    party = {"reviewer": c.reviewer.ext_id} if c.reviewer else {"provider": c.provider.ext_id}
    return _drop_none(party | {"school_urn": c.school.urn, "reason": c.reason})
