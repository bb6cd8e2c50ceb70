"""What a headteacher may see: published visits to their school and by their school's reviewers.

Read from the published-visit index (service/visit_index.py), never from the plans themselves;
`etag` names what a headteacher would be sent, from the LA's index tag alone, so a client's
current copy is recognised before any visit is read.
"""

from __future__ import annotations

import hashlib
from collections import namedtuple

from . import visit_index
from .exports import calendar
from .models import User

# Bump when the shape of /me/visits or of the calendar changes: every ETag handed out before then dies.
FORMAT = "1"

CycleRef = namedtuple("CycleRef", "id name")
# What exports.calendar reads of a school and a reviewer, taken from the index rows.
SchoolRef = namedtuple("SchoolRef", "name postcode")
ReviewerRef = namedtuple("ReviewerRef", "name school")


def etag(user: User, kind: str) -> str:
    """The ETag of `user`'s visits as `kind` ("json", "ics"): new whenever the LA's index is rewritten."""
    raw = f"{FORMAT}:{kind}:{user.la_id}:{user.school_id}:{visit_index.tag(user.la_id)}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _visits(user: User) -> list[dict]:
    """The visits, each with its index rows under `_rows` (one per team member, in team order)."""
    out: list[dict] = []
    for row in visit_index.rows_for_school(user.la_id, user.school_id):
        if not out or (out[-1]["cycle"]["id"], out[-1]["_visit_no"]) != (row.cycle_id, row.visit_no):
            hosting = row.school_id == user.school_id
            out.append(
                {
                    "cycle": {"id": row.cycle_id, "name": row.cycle_name},
                    "plan_version": row.version_number,
                    "kind": "hosting" if hosting else "reviewing",
                    "school_urn": row.school_urn,
                    "school_name": row.school_name,
                    "date": row.date,
                    "days": row.days if row.days is not None else [row.date],
                    "distance_km": None,
                    "team": [],
                    "_visit_no": row.visit_no,
                    "_rows": [],
                }
            )
        visit = out[-1]
        visit["_rows"].append(row)
        visit["team"].append(
            {
                "reviewer": row.reviewer,
                "name": row.reviewer_name,
                "role": row.role,
                "home_school_urn": row.member_school_urn,
            }
        )
        if visit["kind"] == "reviewing" and row.member_school_id == user.school_id:
            # The member's school is the user's: this is the user's school's distance to the visit.
            visit["distance_km"] = row.distance_km
    return out


def visits_for_school(user: User) -> list[dict]:
    """Published visits that concern `user`'s school, across the LA's cycles, by date.

    `kind` is `hosting` (a visit to the school) or `reviewing` (one of the
    school's reviewers visits another school); a visit can be neither else.
    """
    return _visits(user)


def calendar_for(user: User) -> bytes:
    """`user`'s visits as an iCalendar (the API's `.ics` and the page's feed)."""
    visits = _visits(user)
    schools, reviewers = {}, {}
    for visit in visits:
        for row in visit["_rows"]:
            if row.school_id is not None:
                schools[row.school_urn] = SchoolRef(row.school_name, row.school_postcode)
            if row.reviewer_id is not None:
                home = SchoolRef(row.member_school_name, None) if row.member_school_id is not None else None
                reviewers[row.reviewer] = ReviewerRef(row.reviewer_name, home)
    return calendar(
        visits,
        name=f"Peer review: {user.school.name or user.school.urn}",
        cycle_of=lambda v: CycleRef(v["cycle"]["id"], v["cycle"]["name"]),
        version_of=lambda v: v["plan_version"],
        names_of=lambda _cycle: (schools, reviewers),
    )
