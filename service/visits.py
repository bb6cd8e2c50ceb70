"""What a headteacher may see: published visits to their school and by their school's reviewers."""

from __future__ import annotations

from solver.costs import haversine_km as _haversine

from .extensions import db
from .models import Cycle, PlanVersion, Reviewer, School, User


def haversine_km(a: School, b: School) -> float | None:
    """The distance the cost formula uses, to 0.1 km; None when a school has no coordinates."""
    if None in (a.lat, a.lon, b.lat, b.lon):
        return None
    return round(_haversine(a.lat, a.lon, b.lat, b.lon), 1)


def visits_for_school(user: User) -> list[dict]:
    """Published visits that concern `user`'s school, across the LA's cycles, by date.

    `kind` is `hosting` (a visit to the school) or `reviewing` (one of the
    school's reviewers visits another school); a visit can be neither else.
    """
    school = db.session.get(School, user.school_id)
    mine = {r.ext_id: r for r in db.session.scalars(
        db.select(Reviewer).where(Reviewer.la_id == user.la_id, Reviewer.school_id == school.id))}
    cycles = db.session.scalars(
        db.select(Cycle).where(Cycle.la_id == user.la_id, Cycle.published_version_id.is_not(None))
        .order_by(Cycle.id))
    schools = {s.urn: s for s in db.session.scalars(db.select(School).where(School.la_id == user.la_id))}
    names = {r.ext_id: r for r in db.session.scalars(db.select(Reviewer).where(Reviewer.la_id == user.la_id))}
    out = []
    for cycle in cycles:
        version: PlanVersion = cycle.published_version
        for visit in version.plan.get("reviews", []):
            hosting = visit["school_urn"] == school.urn
            ours = [m["reviewer"] for m in visit["team"] if m["reviewer"] in mine]
            if not hosting and not ours:
                continue
            visited = schools.get(visit["school_urn"])
            out.append({
                "cycle": {"id": cycle.id, "name": cycle.name},
                "plan_version": version.number,
                "kind": "hosting" if hosting else "reviewing",
                "school_urn": visit["school_urn"],
                "school_name": visited.name if visited else None,
                "date": visit["date"],
                "days": visit.get("days", [visit["date"]]),
                "distance_km": None if hosting or not visited else haversine_km(school, visited),
                "team": [{
                    "reviewer": m["reviewer"],
                    "name": names[m["reviewer"]].name if m["reviewer"] in names else None,
                    "role": m["role"],
                    "home_school_urn": names[m["reviewer"]].school.urn
                    if m["reviewer"] in names and names[m["reviewer"]].school else None,
                } for m in visit["team"]],
                "_version": version,
                "_cycle": cycle,
            })
    out.sort(key=lambda v: (v["date"], v["school_urn"]))
    return out
