"""A plan as CSV (one row per reviewer on a visit) and as iCalendar (one event per visit)."""

from __future__ import annotations

import datetime as dt
import io

import icalendar

from . import csv_safe
from .extensions import db
from .models import Cycle, Reviewer, School

CSV_COLUMNS = [
    "school_urn",
    "school_name",
    "status",
    "date",
    "days",
    "reviewer",
    "reviewer_name",
    "role",
    "reviewer_school_urn",
    "reasons",
]


def names(cycle: Cycle):
    """The LA's schools by URN and reviewers by id, looked up once for a whole plan."""
    schools = {s.urn: s for s in db.session.scalars(db.select(School).where(School.la_id == cycle.la_id))}
    reviewers = {r.ext_id: r for r in db.session.scalars(db.select(Reviewer).where(Reviewer.la_id == cycle.la_id))}
    return schools, reviewers


def plan_csv(cycle: Cycle, plan: dict) -> str:
    schools, reviewers = names(cycle)
    out = io.StringIO()
    writer = csv_safe.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for visit in plan.get("reviews", []):
        school = schools.get(visit["school_urn"])
        for member in visit["team"]:
            reviewer = reviewers.get(member["reviewer"])
            writer.writerow(
                [
                    visit["school_urn"],
                    school.name if school else "",
                    "staffed",
                    visit["date"],
                    ";".join(visit.get("days", [visit["date"]])),
                    member["reviewer"],
                    reviewer.name if reviewer else "",
                    member["role"],
                    reviewer.school.urn if reviewer and reviewer.school else "",
                    "",
                ]
            )
    for item in plan.get("unstaffed", []):
        school = schools.get(item["school_urn"])
        writer.writerow(
            [
                item["school_urn"],
                school.name if school else "",
                "unstaffed",
                "",
                "",
                "",
                "",
                "",
                "",
                "; ".join(item.get("reasons", [])),
            ]
        )
    return out.getvalue()


def calendar(
    visits: list[dict], *, name: str, cycle_of, version_of, names_of=names, host: str = "peer-review"
) -> bytes:
    """An iCalendar of `visits` (plan visits, each with `school_urn`, `date`, `days`, `team`).

    `names_of(cycle)` gives the schools by URN and reviewers by id the events name (by default
    the LA's whole pool; the headteachers' feeds pass those of their visits only).

    The UID of a visit is stable across versions (cycle + school) and SEQUENCE is
    the plan version, so a subscribed calendar moves the event instead of
    duplicating it when a new version is published.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", "-//School peer review scheduler//EN")
    cal.add("version", "2.0")
    # X-WR-CALNAME is no standard property, so icalendar would write it raw: as text it is
    # escaped like SUMMARY (a newline in a cycle or school name must not end the line).
    cal.add("x-wr-calname", icalendar.vText(name))
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    looked_up = {}
    for visit in visits:
        cycle = cycle_of(visit)
        if cycle.id not in looked_up:
            looked_up[cycle.id] = names_of(cycle)
        schools, reviewers = looked_up[cycle.id]
        school = schools.get(visit["school_urn"])
        days = visit.get("days") or [visit["date"]]
        team = []
        for m in visit["team"]:
            r = reviewers.get(m["reviewer"])
            home = r.school.name if r and r.school else None
            who = r.name if r and r.name else m["reviewer"]
            team.append(f"{who} ({m['role']})" + (f", {home}" if home and home not in who else ""))
        event = icalendar.Event()
        event.add("uid", f"cycle-{cycle.id}-school-{visit['school_urn']}@{host}")
        event.add("sequence", version_of(visit))
        event.add("dtstamp", stamp)
        event.add("summary", f"Peer review: {school.name if school and school.name else visit['school_urn']}")
        event.add("dtstart", dt.date.fromisoformat(days[0]))
        # All-day events end the day after their last day (RFC 5545, DTEND is exclusive).
        event.add("dtend", dt.date.fromisoformat(days[-1]) + dt.timedelta(days=1))
        if school and school.postcode:
            event.add("location", f"{school.name}, {school.postcode}")
        elif school and school.name:
            event.add("location", school.name)
        event.add("description", f"{cycle.name}\nSchool URN {visit['school_urn']}\nTeam:\n" + "\n".join(team))
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()
