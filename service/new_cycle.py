"""A new cycle from the officer's form: the LA's stored pool plus the form's settings, made
into a scenario (v1, or v1.1 when the form asks for its programme settings: the groups model,
visit length by school size, follow-ups, loads across cycles, reviews inside the cluster) and
created by `scenario_import.create_cycle`, the function behind
`POST /api/v1/cycles`. The contract's own checks judge it; their JSON paths are mapped back
onto the form's fields (`cycle.team_size` -> the team size box).

No rule is checked here that the contract does not already check: this module only turns
what was typed into the scenario's shape, and the contract's answers into field messages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from . import audit, pool
from .errors import InvalidInput
from .extensions import db
from .models import Conflict, Cycle, GroupHistory, LocalAuthority, PlanVersion, Reviewer, School
from .scenario import reviewer_dict, school_dict, validate
from .scenario_import import create_cycle

POLICY_RADIOS = {
    "same_cluster": ("forbid", "allow", "require"),
    "same_trust": ("forbid", "allow"),
    "reciprocal": ("forbid", "allow"),
    "phase_match": ("require", "prefer", "ignore"),
    "support_conflict": ("forbid", "allow"),
}
LABELS = {
    "pool": "Your pool of schools and reviewers",
    "name": "Name",
    "window": "Review window",
    "window-start": "Start of the window",
    "window-end": "End of the window",
    "excluded-dates": "Closed dates",
    "notice-days": "Notice",
    "team-size": "Team size",
    "visit-days": "Days a visit lasts",
    "lead-required": "Lead reviewer",
    "same-cluster": "Same cluster",
    "same-trust": "Same trust",
    "reciprocal": "Swaps",
    "no-repeat-cycles": "Repeat window",
    "max-travel-km": "Travel limit",
    "phase-match": "Phase match",
    "support-conflict": "Support conflicts",
    "backfill-budget": "Backfill budget",
    "support-budget": "Support budget",
    "reviews": "Schools to review",
    "model": "How schools review each other",
    "group-min": "Smallest group",
    "group-max": "Largest group",
    "avoid-rounds": "Rounds before schools may be grouped again",
    "facilitator": "Facilitators",
    "facilitators": "Facilitator pool",
    "visit-lengths": "Visit length",
    "follow-up": "Follow-up",
    "follow-up-days": "Days a follow-up lasts",
    "follow-up-min-weeks": "Follow-up, earliest",
    "follow-up-max-weeks": "Follow-up, latest",
    "load-cycles": "Cycles counted in a reviewer's load",
    "load-max-total": "Most reviews over those cycles",
    "load-max-spread": "Largest spread of reviews",
}
# Visit length by school size (v1.1), the form's one choice of bands: 1 day at a small primary
# to 3 at a large secondary. The first band a school matches sets its visit's length.
SIZE_BANDS = [
    {"phase": "secondary", "min_pupils": 1200, "days": 3},
    {"phase": "all-through", "min_pupils": 0, "days": 3},
    {"phase": "secondary", "min_pupils": 0, "days": 2},
    {"phase": "16-plus", "min_pupils": 0, "days": 2},
    {"phase": None, "min_pupils": 500, "days": 2},
]
# Cluster budgets sit between the two budgets; support rows come last (sorted by id).


@dataclasses.dataclass
class SchoolFilter:
    phase: str | None = None
    cluster: str | None = None
    trust: str | None = None
    not_reviewed_years: int | None = None

    @classmethod
    def from_form(cls, form) -> SchoolFilter:
        years = (form.get("f_years") or "").strip()
        return cls(
            phase=(form.get("f_phase") or "").strip() or None,
            cluster=(form.get("f_cluster") or "").strip() or None,
            trust=(form.get("f_trust") or "").strip() or None,
            not_reviewed_years=int(years) if years.isdigit() else None,
        )


def school_choices(la_id: int, f: SchoolFilter, today: dt.date | None = None) -> list[dict]:
    """The pool's schools that match the filter, each with the date of its last published review."""
    today = today or dt.date.today()
    last = pool.last_reviewed(la_id)
    out = []
    for school in pool.list_schools(la_id, phase=f.phase, cluster=f.cluster, trust=f.trust):
        seen = last.get(school.urn)
        if f.not_reviewed_years and seen is not None:
            cutoff = today.replace(year=today.year - f.not_reviewed_years)
            if seen >= cutoff:
                continue
        out.append({"school": school, "last_reviewed": seen})
    return out


def history(la_id: int, before: dt.date) -> list[dict]:
    """Who reviewed which school in the LA's earlier cycles (published plans), for the repeat rule.

    `cycles_ago` counts the LA's cycles that ended before `before`, the latest being 1.
    """
    rows = db.session.execute(
        db.select(Cycle.window_end, PlanVersion.plan)
        .join(PlanVersion, Cycle.published_version_id == PlanVersion.id)
        .where(Cycle.la_id == la_id, Cycle.window_end < before)
        .order_by(Cycle.window_end.desc(), Cycle.id.desc())
    ).all()
    known = set(db.session.scalars(db.select(Reviewer.ext_id).where(Reviewer.la_id == la_id)))
    urns = set(db.session.scalars(db.select(School.urn).where(School.la_id == la_id)))
    out, seen = [], set()
    for ago, (_end, plan) in enumerate(rows, start=1):
        for visit in plan.get("reviews", []):
            for member in visit["team"]:
                pair = (member["reviewer"], visit["school_urn"])
                if pair in seen or pair[0] not in known or pair[1] not in urns:
                    continue
                seen.add(pair)
                out.append({"reviewer": pair[0], "school_urn": pair[1], "cycles_ago": ago})
    return out


def group_history(la_id: int, before: dt.date) -> list[dict]:
    """The groups of the LA's earlier rounds, for the rotation rule: each earlier cycle whose
    published plan has groups is a round (the latest ending before `before` is 1 round ago),
    and the groups it was given as its own history come along, that many rounds further back."""
    rows = db.session.execute(
        db.select(Cycle.id, Cycle.name, PlanVersion.plan)
        .join(PlanVersion, Cycle.published_version_id == PlanVersion.id)
        .where(Cycle.la_id == la_id, Cycle.window_end < before)
        .order_by(Cycle.window_end.desc(), Cycle.id.desc())
    ).all()
    urns = set(db.session.scalars(db.select(School.urn).where(School.la_id == la_id)))
    out, seen = [], set()

    def add(name, ago, schools):
        kept = sorted(u for u in dict.fromkeys(schools) if u in urns)
        if len(kept) >= 2 and (ago, tuple(kept)) not in seen:
            seen.add((ago, tuple(kept)))
            out.append({"name": name, "cycles_ago": ago, "schools": kept})

    rounds = [(cycle_id, name, plan) for cycle_id, name, plan in rows if plan.get("groups")]
    for ago, (cycle_id, name, plan) in enumerate(rounds, start=1):
        for g in plan["groups"]:
            add(name, ago, g["schools"])
        for g in db.session.scalars(db.select(GroupHistory).where(GroupHistory.cycle_id == cycle_id)):
            add(g.name, g.cycles_ago + ago, g.schools)
    return out


# --------------------------------------------------------------------------- the form's values


def _text(form, key) -> str:
    return (form.get(key) or "").strip()


def _number(value: str, kind=float):
    """Blank: None; a number: the number; anything else as typed, for the contract to name."""
    value = value.replace(",", "").replace("£", "").strip()
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        try:
            as_float = float(value)
        except ValueError:
            return value
        return as_float if kind is float else value


def _date_input(form, prefix) -> str | None:
    """A GOV.UK date input (day, month, year boxes) as an ISO date, or what was typed."""
    day, month, year = (_text(form, f"{prefix}-{part}") for part in ("day", "month", "year"))
    if not (day or month or year):
        return None
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return f"{year}-{month}-{day}"


def _rows(form, prefix: str, fields: tuple[str, ...]) -> list[dict]:
    """Repeated rows (`req-0-school`, `req-0-days`, …); a row with no school is left out."""
    out = []
    count = int(_text(form, f"{prefix}-count") or 0) if _text(form, f"{prefix}-count").isdigit() else 0
    for i in range(min(count, 200)):
        row = {f: _text(form, f"{prefix}-{i}-{f}") for f in fields}
        row["index"] = i
        if row.get("school"):
            out.append(row)
    return out


def scenario_from_form(la: LocalAuthority, form) -> tuple[dict, dict]:
    """The scenario the form describes, and which form row each support entry came from."""
    start = _date_input(form, "window-start")
    end = _date_input(form, "window-end")
    policy = {key: form.get(key) for key in POLICY_RADIOS if form.get(key)}
    for key in ("no_repeat_cycles",):
        value = _number(_text(form, key), int)
        if value is not None:
            policy[key] = value
    travel = _number(_text(form, "max_travel_km"))
    if travel is not None:
        policy["max_travel_km"] = travel
    cluster_budgets = {}
    for key in form:
        if key.startswith("cluster_budget:"):
            value = _number(_text(form, key))
            if value is not None:
                cluster_budgets[key.partition(":")[2]] = value
    cycle = {
        "name": _text(form, "name"),
        "window": {"start": start, "end": end},
        "excluded_dates": pool.form_dates(form.get("excluded_dates", "")),
        "lead_required": form.get("lead_required", "yes") == "yes",
        "cluster_budgets": cluster_budgets,
        "policy": policy,
    }
    for key, kind in (("team_size", int), ("visit_days", int), ("backfill_budget", float), ("support_budget", float)):
        value = _number(_text(form, key), kind)
        if value is not None:
            cycle[key] = value

    schools = list(db.session.scalars(db.select(School).where(School.la_id == la.id).order_by(School.urn)))
    reviewers = list(db.session.scalars(db.select(Reviewer).where(Reviewer.la_id == la.id).order_by(Reviewer.ext_id)))
    conflicts = db.session.scalars(
        db.select(Conflict).where(Conflict.la_id == la.id, Conflict.reviewer_id.is_not(None)).order_by(Conflict.id)
    )
    # The pool's own dates are kept whole; the window is not known to be valid yet.
    requests = _rows(form, "req", ("school", "days", "focus", "priority"))
    providers = _rows(form, "prov", ("school", "capacity", "rate", "specialisms"))
    scenario = {
        "version": 1,
        "cycle": cycle,
        "schools": [school_dict(s) for s in schools],
        "reviewers": [reviewer_dict(r) for r in reviewers],
        "reviews": [{"school_urn": urn} for urn in dict.fromkeys(form.getlist("reviews"))],
        "conflicts": [
            {"reviewer": c.reviewer.ext_id, "school_urn": c.school.urn} | ({"reason": c.reason} if c.reason else {})
            for c in conflicts
        ],
        "history": history(la.id, dt.date.fromisoformat(start) if _iso(start) else dt.date.max),
        "support": {
            "requests": [
                {"id": f"s-{n:02d}", "school_urn": r["school"], "days": _number(r["days"], int) or 1}
                | {"focus": pool.form_tags(r["focus"]), "priority": _number(r["priority"], int) or 1}
                for n, r in enumerate(requests, start=1)
            ],
            "providers": [
                {
                    "id": f"p-{n:02d}",
                    "school_urn": p["school"],
                    "capacity_days": _number(p["capacity"], int) or 0,
                    "day_rate": _number(p["rate"]) or 0.0,
                    "specialisms": pool.form_tags(p["specialisms"]),
                }
                for n, p in enumerate(providers, start=1)
            ],
        },
    }
    _programme(form, scenario, la.id, start)
    _only_window_dates(scenario)
    rows = {"requests": [r["index"] for r in requests], "providers": [p["index"] for p in providers]}
    return scenario, rows


def _programme(form, scenario: dict, la_id: int, start: str | None) -> None:
    """The form's programme settings into the scenario: v1.1 when any is used."""
    cycle = scenario["cycle"]
    programme: dict = {}
    if form.get("model") == "groups":
        lo = _number(_text(form, "group_min"), int) or 3
        groups = {"min_size": lo, "max_size": _number(_text(form, "group_max"), int) or lo}
        groups["avoid_rounds"] = _number(_text(form, "avoid_rounds"), int)
        groups["facilitator"] = form.get("facilitator") or "none"
        groups["facilitators"] = list(dict.fromkeys(form.getlist("facilitators")))
        programme["model"] = "groups"
        programme["groups"] = {k: v for k, v in groups.items() if v is not None}
        cycle["policy"].pop("reciprocal", None)  # the schools of a group visit each other
    if form.get("visit_lengths") == "size":
        programme["visit_lengths"] = SIZE_BANDS
    if form.get("follow_up") == "yes":
        follow_up = {key: _number(_text(form, f"follow_up_{key}"), int) for key in ("days", "min_weeks", "max_weeks")}
        programme["follow_up"] = {k: v for k, v in follow_up.items() if v is not None}
        for review in scenario["reviews"]:
            review["follow_up"] = True
    load = {key: _number(_text(form, f"load_{key}"), int) for key in ("cycles", "max_total", "max_spread")}
    if load["max_total"] is not None or load["max_spread"] is not None:
        programme["load"] = {k: v for k, v in load.items() if v is not None}
    if not programme and cycle["policy"].get("same_cluster") != "require":
        return
    scenario["version"] = "1.1"
    cycle.update(programme)
    if programme.get("model") == "groups":
        scenario["group_history"] = group_history(la_id, dt.date.fromisoformat(start) if _iso(start) else dt.date.max)


def _iso(value) -> bool:
    try:
        dt.date.fromisoformat(value or "")
        return True
    except ValueError:
        return False


def _only_window_dates(scenario: dict) -> None:
    """The pool's closed and away days outside this cycle's window are not this cycle's business
    (the contract calls them bad input), as `build_scenario` does for a stored cycle."""
    window = scenario["cycle"]["window"]
    if not (_iso(window["start"]) and _iso(window["end"])):
        return
    lo, hi = window["start"], window["end"]
    for s in scenario["schools"]:
        s["closed_dates"] = [d for d in s.get("closed_dates", []) if lo <= d <= hi]
    for r in scenario["reviewers"]:
        r["unavailable"] = [d for d in r.get("unavailable", []) if lo <= d <= hi]


# --------------------------------------------------------------------------- errors onto fields


def field_of(path: str, rows: dict) -> str:
    """The form field (its id) that a scenario path's problem belongs on."""
    m = re.match(r"support\.(requests|providers)\[(\d+)\]\.?(\w*)", path)
    if m:
        kind, n, field = m.groups()
        prefix = "req" if kind == "requests" else "prov"
        index = rows[kind][int(n)] if int(n) < len(rows[kind]) else 0
        column = {
            "school_urn": "school",
            "days": "days",
            "focus": "focus",
            "priority": "priority",
            "capacity_days": "capacity",
            "day_rate": "rate",
            "specialisms": "specialisms",
        }.get(field, "school")
        return f"{prefix}-{index}-{column}"
    m = re.match(r"cycle\.(groups|follow_up|load)\.(\w+)", path)
    if m:
        part, field = m.groups()
        names = {"min_size": "group-min", "max_size": "group-max", "avoid_rounds": "avoid-rounds"}
        if part == "groups":
            return names.get(field, field.replace("_", "-"))
        return f"{part.replace('_', '-')}-{field.replace('_', '-')}"
    if re.match(r"reviews\[\d+\]\.follow_up", path) or path.startswith("cycle.follow_up"):
        return "follow-up"
    if path.startswith("cycle.visit_lengths") or re.match(r"reviews\[\d+\]\.visit_days", path):
        return "visit-lengths"
    if path.startswith("cycle.groups"):
        return "model"
    if path.startswith("reviews"):
        return "reviews"
    if path.startswith("cycle.cluster_budgets."):
        return "cluster-budget-" + re.sub(r"[^a-z0-9]+", "-", path.removeprefix("cycle.cluster_budgets.").lower())
    m = re.match(r"cycle\.(?:policy\.)?(\w+)(?:\.(start|end))?", path)
    if m:
        field, part = m.groups()
        if field == "window":
            return f"window-{part}" if part else "window-start"
        return field.replace("_", "-")
    return "pool"


def create_from_form(la: LocalAuthority, form) -> Cycle:
    """Create the cycle the form describes (the caller commits), or raise InvalidInput whose
    `errors` are keyed by form field id, each with one message naming the field."""
    scenario, rows = scenario_from_form(la, form)
    own: dict[str, list[str]] = {}
    notice = _number(_text(form, "notice_days") or "7", int)
    if not isinstance(notice, int) or not 0 <= notice <= 365:
        own["notice-days"] = ["Enter the notice as a whole number of days from 0 to 365"]
    if not scenario["cycle"]["name"]:
        own["name"] = ["Enter a name for the cycle"]
    if not scenario["reviews"]:
        own["reviews"] = ["Choose at least one school to review"]
    errors: dict[str, list[str]] = {}
    cycle = None
    try:
        if own:
            validate(scenario)  # the contract's problems too, alongside the form's own
        else:
            kept = _pool_dates(la)
            cycle = create_cycle(la, scenario)
            _restore_pool_dates(kept)
    except InvalidInput as exc:
        for path, messages in exc.errors.items():
            field = field_of(path, rows)
            where = "" if field != "pool" else f"{path}: "
            errors.setdefault(field, []).extend(where + m for m in messages)
    errors = {f: [_sentence(f, m) for m in ms] for f, ms in errors.items()}
    for field, messages in own.items():
        errors[field] = messages + errors.get(field, [])
    if errors:
        order = list(LABELS)
        ranked = sorted(errors, key=lambda f: (order.index(f) if f in order else len(order), f))
        raise InvalidInput(f"{len(errors)} field(s) need changing", {f: errors[f] for f in ranked})
    cycle.notice_days = notice
    audit.cycle_event("cycle.created", cycle, f"created cycle {cycle.name} (the new-cycle form)")
    return cycle


def _pool_dates(la: LocalAuthority) -> tuple[dict, dict]:
    schools = db.session.execute(db.select(School.id, School.closed_dates).where(School.la_id == la.id)).all()
    reviewers = db.session.execute(db.select(Reviewer.id, Reviewer.unavailable).where(Reviewer.la_id == la.id)).all()
    return {i: list(d or []) for i, d in schools}, {i: list(d or []) for i, d in reviewers}


def _restore_pool_dates(kept: tuple[dict, dict]) -> None:
    """`create_cycle` upserts the scenario's schools and reviewers, whose dates this form cut to the
    new cycle's window; the pool keeps all of its own (another cycle's away days are still true)."""
    schools, reviewers = kept
    for school_id, dates in schools.items():
        db.session.get(School, school_id).closed_dates = dates
    for reviewer_id, dates in reviewers.items():
        db.session.get(Reviewer, reviewer_id).unavailable = dates
    db.session.flush()


def _sentence(field: str, message: str) -> str:
    label = LABELS.get(field)
    if label is None and field.startswith(("req-", "prov-")):
        kind, n, column = field.split("-", 2)
        label = f"{'Support request' if kind == 'req' else 'Provider'} {int(n) + 1}, {column}"
    if label is None and field.startswith("cluster-budget-"):
        label = "Cluster budget"
    if label is None and field == "pool":
        label = "Your pool of schools and reviewers"
    if message == "Field may not be null." and label:
        return f"Enter the {label[0].lower() + label[1:]}"
    message = message[0].lower() + message[1:] if message[:1].isupper() and not message[:2].isupper() else message
    return f"{label}: {message}" if label and not message.lower().startswith(label.lower()) else message
