"""Fair load: reviews per head, days away, travel, and each school's visits hosted against those
given, for one cycle and for a school year beside the three before it.

Read from the published plans of the LA's cycles (what the LA has told its heads); reviews
recorded only as a cycle's imported `history` have no date and are not counted here. A school
year runs from 1 September (the year it starts names it: 2026 is 2026-27).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from solver.costs import haversine_km

from . import csv_safe
from .extensions import db
from .models import Cycle, PlanVersion, Reviewer, School

YEARS_BEFORE = 3


def school_year(day: dt.date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def year_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


@dataclass
class Load:
    """One reviewer's work."""

    reviewer: str  # the scenario id
    name: str
    school: str  # their home school's name ("" for an adviser or facilitator)
    role: str
    reviews: int = 0
    days_away: int = 0
    travel_km: float = 0.0
    by_year: dict[int, int] = field(default_factory=dict)  # school year -> reviews (the year report)


@dataclass
class Balance:
    """One school's visits: hosted (its own reviews) against given (its reviewers' places on others')."""

    urn: str
    name: str
    hosted: int = 0
    given: int = 0


@dataclass
class Report:
    title: str
    loads: list[Load]
    balances: list[Balance]
    years: list[int] = field(default_factory=list)  # the year report's columns, oldest first
    spread: int | None = None  # largest minus smallest reviews (over `years`) among this period's reviewers
    spread_limit: int | None = None  # the cycle's load.max_spread, when it sets one

    @property
    def most(self) -> int:
        return max((ld.reviews for ld in self.loads), default=0)


class _Pool:
    def __init__(self, la_id: int):
        self.reviewers = {r.ext_id: r for r in db.session.scalars(db.select(Reviewer).where(Reviewer.la_id == la_id))}
        self.schools = {s.urn: s for s in db.session.scalars(db.select(School).where(School.la_id == la_id))}

    def km(self, reviewer: Reviewer | None, urn: str) -> float:
        home, there = (reviewer.school if reviewer else None), self.schools.get(urn)
        if home is None or there is None or None in (home.lat, home.lon, there.lat, there.lon):
            return 0.0
        return haversine_km(home.lat, home.lon, there.lat, there.lon)


def _tally(pool: _Pool, plan: dict, loads: dict[str, Load], balances: dict[str, Balance], year: int | None) -> None:
    def load_of(rid: str) -> Load:
        if rid not in loads:
            r = pool.reviewers.get(rid)
            home = r.school if r else None
            loads[rid] = Load(
                rid, (r.name if r else None) or rid, (home.name or home.urn) if home else "", r.role if r else ""
            )
        return loads[rid]

    def balance_of(urn: str) -> Balance:
        if urn not in balances:
            s = pool.schools.get(urn)
            balances[urn] = Balance(urn, (s.name if s else None) or urn)
        return balances[urn]

    for visit in plan.get("reviews", []):
        days = len(visit.get("days") or [visit["date"]])
        balance_of(visit["school_urn"]).hosted += 1
        for m in visit["team"]:
            load = load_of(m["reviewer"])
            if year is not None:
                load.by_year[year] = load.by_year.get(year, 0) + 1
            load.reviews += 1
            load.days_away += days
            r = pool.reviewers.get(m["reviewer"])
            load.travel_km += 2 * pool.km(r, visit["school_urn"]) * days
            if r is not None and r.school is not None:
                balance_of(r.school.urn).given += 1
    for fu in plan.get("follow_ups", []):
        load = load_of(fu["lead"])
        load.days_away += len(fu.get("days") or [fu["date"]])
        load.travel_km += 2 * pool.km(pool.reviewers.get(fu["lead"]), fu["school_urn"]) * len(fu.get("days") or [1])


def _sorted(loads, balances) -> tuple[list[Load], list[Balance]]:
    return (
        sorted(loads.values(), key=lambda ld: (-ld.reviews, ld.school, ld.name)),
        sorted(balances.values(), key=lambda b: (b.name, b.urn)),
    )


def cycle_report(cycle: Cycle) -> Report:
    """The cycle's published plan (an empty report before anything is published)."""
    pool = _Pool(cycle.la_id)
    loads: dict[str, Load] = {}
    balances: dict[str, Balance] = {}
    if cycle.published_version is not None:
        _tally(pool, cycle.published_version.plan, loads, balances, None)
    limit = ((cycle.programme or {}).get("load") or {}).get("max_spread")
    homed = [ld.reviews for ld in loads.values() if ld.school]
    spread = max(homed) - min(homed) if homed else None
    return Report(cycle.name, *_sorted(loads, balances), spread=spread, spread_limit=limit)


def year_report(la_id: int, year: int) -> Report:
    """The school year's published plans; each reviewer's reviews in it and the three years before."""
    pool = _Pool(la_id)
    years = list(range(year - YEARS_BEFORE, year + 1))
    rows = db.session.execute(
        db.select(Cycle, PlanVersion.plan)
        .join(PlanVersion, Cycle.published_version_id == PlanVersion.id)
        .where(Cycle.la_id == la_id)
        .order_by(Cycle.window_start, Cycle.id)
    ).all()
    loads: dict[str, Load] = {}
    balances: dict[str, Balance] = {}
    earlier: dict[str, Load] = {}
    limit = None
    for cycle, plan in rows:
        y = school_year(cycle.window_start)
        if y == year:
            _tally(pool, plan, loads, balances, y)
            limit = ((cycle.programme or {}).get("load") or {}).get("max_spread", limit)
        elif y in years:
            _tally(pool, plan, earlier, {}, y)
    for rid, past in earlier.items():
        if rid in loads:
            loads[rid].by_year.update(past.by_year)
    totals = [sum(ld.by_year.values()) for ld in loads.values() if ld.school]
    spread = max(totals) - min(totals) if totals else None
    return Report(f"School year {year_label(year)}", *_sorted(loads, balances), years, spread, limit)


def latest_year(la_id: int) -> int:
    """The latest school year with a published plan (this school year when there is none)."""
    years = years_with_plans(la_id)
    return years[0] if years else school_year(dt.date.today())


def years_with_plans(la_id: int) -> list[int]:
    starts = db.session.scalars(
        db.select(Cycle.window_start).where(Cycle.la_id == la_id, Cycle.published_version_id.is_not(None))
    )
    return sorted({school_year(d) for d in starts}, reverse=True)


def as_csv(report: Report) -> str:
    """The report as CSV: one row per reviewer, then one per school (hosted against given)."""
    out = io.StringIO(newline="")
    w = csv_safe.writer(out, lineterminator="\r\n")
    w.writerow(
        ["reviewer", "name", "role", "school", "reviews", "days_away", "travel_km"]
        + [f"reviews_{year_label(y)}" for y in report.years]
    )
    for ld in report.loads:
        row = [ld.reviewer, ld.name, ld.role, ld.school, ld.reviews, ld.days_away, f"{ld.travel_km:.1f}"]
        w.writerow(row + [ld.by_year.get(y, 0) for y in report.years])
    w.writerow([])
    w.writerow(["school_urn", "school", "hosted", "given"])
    for b in report.balances:
        w.writerow([b.urn, b.name, b.hosted, b.given])
    return out.getvalue()
