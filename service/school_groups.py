"""A headteacher's groups (the groups model, scenario v1.1): in each of the LA's cycles whose
published plan puts their school in a group, the other schools, who from each visits them and
whom their own reviewers visit, and their follow-up.

The group itself is read from the published plans (one small list per cycle); the visits come
from the published-visit index (`visits.visits_for_school`), as the rest of the page's.
"""

from __future__ import annotations

from .extensions import db
from .models import Cycle, PlanVersion, School, User


def groups_for_school(user: User, visits: list[dict]) -> list[dict]:
    """The user's school's groups, latest cycle first, each with its other schools in the
    group's order: `visitors` (their reviewers on the visit to the user's school) and `visit`
    (the user's reviewers' visit to them, None if unpublished)."""
    urn = user.school.urn
    rows = db.session.execute(
        db.select(Cycle.id, Cycle.name, PlanVersion.plan)
        .join(PlanVersion, Cycle.published_version_id == PlanVersion.id)
        .where(Cycle.la_id == user.la_id)
        .order_by(Cycle.window_start.desc(), Cycle.id.desc())
    ).all()
    names = dict(db.session.execute(db.select(School.urn, School.name).where(School.la_id == user.la_id)).all())
    out = []
    for cycle_id, cycle_name, plan in rows:
        group = next((g for g in plan.get("groups", []) if urn in g["schools"]), None)
        if group is None:
            continue
        mine = [v for v in visits if v["cycle"]["id"] == cycle_id]
        hosting = next((v for v in mine if v["kind"] == "hosting"), None)
        others = []
        for other in group["schools"]:
            if other == urn:
                continue
            visitors = [m for m in (hosting["team"] if hosting else []) if m["home_school_urn"] == other]
            visit = next((v for v in mine if v["kind"] == "reviewing" and v["school_urn"] == other), None)
            ours = [m for m in (visit["team"] if visit else []) if m["home_school_urn"] == urn]
            others.append(
                {"urn": other, "name": names.get(other) or other, "visitors": visitors, "visit": visit, "ours": ours}
            )
        follow_up = next((f for f in plan.get("follow_ups", []) if f["school_urn"] == urn), None)
        out.append(
            {
                "cycle": {"id": cycle_id, "name": cycle_name},
                "id": group["id"],
                "others": others,
                "hosting": hosting,
                "follow_up": follow_up,
                "facilitator": next(
                    (m for m in (hosting["team"] if hosting else []) if m["home_school_urn"] is None), None
                ),
            }
        )
    return out
