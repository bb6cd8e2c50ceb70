"""Nightly re-optimisation: which cycles, the night's scenario, and the proposal it makes.

At 02:00 London time every live cycle (published, window not over) is solved again
from today's data, with its published plan as `previous`, locks kept, and nothing
allowed to move inside the partnership's notice period. The result is a *proposed*
version whose diff names a cause for every change; it is published on its own only
where the cycle allows it and the changes are few enough.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from solver.causes import cycle_causes, visit_causes
from solver.scenario import load_scenario

from . import publication
from .extensions import db
from .models import Cycle, PlanVersion, Solve
from .plans import diff, store_version
from .scenario import build_scenario
from .solves import close

log = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
RUN_HOUR = 2  # local London time, GMT or BST
DEFAULT_NOTICE_DAYS = 7


def london_time(now: dt.datetime | None = None) -> dt.datetime:
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:  # naive times in this service are UTC
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(LONDON)


def is_run_hour(now: dt.datetime | None = None) -> bool:
    """True in the hour from 02:00 London time. The scheduler fires at 01:00 and 02:00 UTC
    (cron strings are UTC); exactly one of the two is 02:00 in London, in GMT and BST alike."""
    return london_time(now).hour == RUN_HOUR


def night_of(now: dt.datetime | None = None) -> dt.date:
    return london_time(now).date()


def live_cycles(today: dt.date) -> list[Cycle]:
    return list(
        db.session.scalars(
            db.select(Cycle)
            .where(Cycle.published_version_id.is_not(None), Cycle.window_end >= today)
            .order_by(Cycle.id)
        )
    )


def solve_id_for(cycle: Cycle, night: dt.date) -> str:
    """One nightly solve per cycle per night: the id itself makes a second run collide."""
    return f"nightly-{cycle.id}-{night.isoformat()}"


def freeze_before(cycle: Cycle, night: dt.date) -> dt.date:
    notice = cycle.notice_days if cycle.notice_days is not None else DEFAULT_NOTICE_DAYS
    return night + dt.timedelta(days=notice)


def night_scenario(cycle: Cycle, night: dt.date) -> dict:
    """Today's data, the published plan as `previous`, nothing moving within the notice period.

    The freeze never goes back before a freeze the officer set on the cycle."""
    freeze = freeze_before(cycle, night)
    if cycle.freeze_before and cycle.freeze_before > freeze:
        freeze = cycle.freeze_before
    return build_scenario(cycle, freeze_before=freeze)


def explained_diff(scenario: dict, before: dict | None, after: dict) -> dict:
    """`plans.diff(before, after)` with `causes` on every change, from the solver's own rules."""
    sc = load_scenario(scenario)
    out = diff(before, after)
    old = {v["school_urn"]: v for v in (before or {}).get("reviews", [])}
    new = {v["school_urn"]: v for v in after.get("reviews", [])}
    for change in out["changes"]:
        urn = change["school_urn"]
        change["causes"] = visit_causes(sc, old.get(urn), new.get(urn))
    requests = {r.id for r in sc.support_requests}
    providers = {p.id for p in sc.providers}
    general = cycle_causes(sc)
    for change in out["support_changes"]:
        causes = []
        if change["request"] not in requests:
            causes.append(f"support request {change['request']} is no longer in the cycle")
        if change["provider_before"] and change["provider_before"] not in providers:
            causes.append(f"provider {change['provider_before']} is no longer in the cycle")
        change["causes"] = (
            causes
            or general
            or [
                "support was reassigned to fit the changed visits (a provider's reviewers may not "
                "visit a school it supports)"
            ]
        )
    out["total"] = len(out["changes"]) + len(out["support_changes"])
    return out


def _same_schedule(a: dict, b: dict) -> bool:
    d = diff(a, b)
    return not d["changes"] and not d["support_changes"]


def propose(
    solve_id: str, scenario: dict, plan: dict, *, base_version_id: int | None, elapsed_s: float | None = None
) -> PlanVersion | None:
    """Store the night's plan as a proposed version (or none when nothing changes), publish
    it when the cycle allows, and close the solve: one transaction."""
    solve = db.session.get(Solve, solve_id, populate_existing=True)
    cycle = solve.cycle
    # The officer may have published another version while the night's solve ran: read the
    # cycle afresh, and lock it, so that a proposal never replaces a newer publication.
    db.session.refresh(cycle, with_for_update=True)
    base = db.session.get(PlanVersion, base_version_id) if base_version_id else None
    explained = explained_diff(scenario, base.plan if base else None, plan)
    latest = db.session.scalar(
        db.select(PlanVersion).where(PlanVersion.cycle_id == cycle.id).order_by(PlanVersion.number.desc()).limit(1)
    )
    version = None
    if explained["total"] == 0:
        log.info("nightly: cycle %s unchanged", cycle.id)
    elif (
        latest is not None
        and latest.source == "nightly"
        and latest.id != base_version_id
        and _same_schedule(latest.plan, plan)
    ):
        # Last night's proposal, not yet decided on, says the same: keep that one.
        version = latest
    else:
        cancelled = solve.cancel_requested
        note = (
            f"proposed by the nightly re-optimisation ({explained['total']} change(s); nothing moves "
            f"before {scenario['cycle'].get('freeze_before')})"
        )
        if cancelled:
            note += "; best plan found before the solve was cancelled"
        version = store_version(cycle, plan, source="nightly", note=note, solve_id=solve.id)
        version.diff = explained
        if (
            cycle.auto_publish
            and not cancelled
            and explained["total"] <= cycle.auto_publish_max_changes
            and plan.get("status") != "INFEASIBLE"
            and cycle.published_version_id == base_version_id
        ):
            publication.publish(cycle, version)
            log.info(
                "nightly: cycle %s version %s published automatically (%s changes)",
                cycle.id,
                version.number,
                explained["total"],
            )
    return close(solve, version, plan, elapsed_s=elapsed_s)
