"""What-ifs: try a setting change on a copy of the cycle, compare, then adopt or discard it.

For each unstaffed review and unmet support request, `suggest` works out the changes its
reason points to, with the numbers that would make room (the backfill the cheapest team
lacks, the travel limit that brings in enough reviewers, a second visit for a busy lead...),
from the solver's own eligibility rules. `start` runs a solve on the cycle's scenario with the
change applied (a Solve of kind `what-if`); its plan is kept on the what-if as a draft, beside
the version it set out from. `adopt` makes the change to the cycle through the same domain
functions as an edit and stores the draft as a new version; `discard` changes nothing.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import uuid
from collections import Counter

from flask import current_app

from solver import load_scenario
from solver.costs import distance_km, member_cost
from solver.instance import build_instance
from solver.rules import RECENT_REVIEW, SAME_CLUSTER, SAME_TRUST, TOO_FAR, WRONG_PHASE

from . import audit, cycle_settings
from .errors import Conflict as ConflictError
from .errors import InvalidInput, NotFound
from .exports import names
from .extensions import db
from .models import (
    ACTIVE_SOLVE_STATES,
    ENDED_SOLVE_STATES,
    Cycle,
    PlanVersion,
    Reviewer,
    Solve,
    SupportProvider,
    User,
    utcnow,
)
from .plans import diff, get_version, review_for, store_version
from .records import WhatIf
from .scenario import build_scenario, validate
from .solves import cancel_solve, close, start_solve

KIND = "what-if"
POLICY_VALUES = {
    "same_cluster": ("forbid", "allow"),
    "same_trust": ("forbid", "allow"),
    "reciprocal": ("forbid", "allow"),
    "support_conflict": ("forbid", "allow"),
    "phase_match": ("require", "prefer", "ignore"),
}
SETTINGS = (
    "backfill_budget",
    "support_budget",
    "cluster_budget",
    "policy",
    "review_team_size",
    "reviewer_max_reviews",
    "provider_capacity",
)


# --------------------------------------------------------------------------- changes


def check_change(cycle: Cycle, change: dict) -> dict:
    """The change, normalised (money as floats, ...); InvalidInput names the bad field."""
    if not isinstance(change, dict):
        raise InvalidInput("a change is an object", {"change": ["expected an object"]})
    setting = change.get("setting")
    value = change.get("value")

    def bad(field, message):
        return InvalidInput(f"change.{field}: {message}", {f"change.{field}": [message]})

    def number(minimum=0, integer=False):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise bad("value", f"a number of at least {minimum}")
        if integer and int(value) != value:
            raise bad("value", "a whole number")
        return int(value) if integer else float(value)

    if setting in ("backfill_budget", "support_budget"):
        return {"setting": setting, "value": number()}
    if setting == "cluster_budget":
        clusters = {s.get("cluster") for s in build_scenario(cycle)["schools"]}
        if change.get("cluster") not in clusters - {None}:
            raise bad("cluster", f"no cluster {change.get('cluster')!r} among the LA's schools")
        return {"setting": setting, "cluster": change["cluster"], "value": number()}
    if setting == "policy":
        key = change.get("key")
        if key == "max_travel_km":
            return {"setting": setting, "key": key, "value": None if value is None else number()}
        if key == "no_repeat_cycles":
            return {"setting": setting, "key": key, "value": number(integer=True)}
        if key not in POLICY_VALUES:
            raise bad("key", f"one of {', '.join(sorted([*POLICY_VALUES, 'max_travel_km', 'no_repeat_cycles']))}")
        if value not in POLICY_VALUES[key]:
            raise bad("value", f"one of {', '.join(POLICY_VALUES[key])}")
        return {"setting": setting, "key": key, "value": value}
    if setting == "review_team_size":
        try:
            review_for(cycle, str(change.get("school_urn")))
        except NotFound:
            raise bad("school_urn", "not reviewed in this cycle") from None
        return {"setting": setting, "school_urn": change["school_urn"], "value": number(1, integer=True)}
    if setting == "reviewer_max_reviews":
        if _reviewer(cycle, change.get("reviewer")) is None:
            raise bad("reviewer", f"no reviewer {change.get('reviewer')!r}")
        return {"setting": setting, "reviewer": change["reviewer"], "value": number(0, integer=True)}
    if setting == "provider_capacity":
        if _provider(cycle, change.get("provider")) is None:
            raise bad("provider", f"no provider {change.get('provider')!r} in this cycle")
        return {"setting": setting, "provider": change["provider"], "value": number(0, integer=True)}
    raise bad("setting", f"one of {', '.join(SETTINGS)}")


def _reviewer(cycle: Cycle, ext_id) -> Reviewer | None:
    return db.session.scalar(db.select(Reviewer).where(Reviewer.la_id == cycle.la_id, Reviewer.ext_id == ext_id))


def _provider(cycle: Cycle, ext_id) -> SupportProvider | None:
    return db.session.scalar(
        db.select(SupportProvider).where(SupportProvider.cycle_id == cycle.id, SupportProvider.ext_id == ext_id)
    )


def apply_to_scenario(scenario: dict, change: dict) -> dict:
    """A copy of `scenario` with `change` made."""
    sc = copy.deepcopy(scenario)
    c, setting, value = sc["cycle"], change["setting"], change["value"]
    if setting in ("backfill_budget", "support_budget"):
        c[setting] = value
    elif setting == "cluster_budget":
        c.setdefault("cluster_budgets", {})[change["cluster"]] = value
    elif setting == "policy":
        c.setdefault("policy", {})[change["key"]] = value
    elif setting == "review_team_size":
        next(r for r in sc["reviews"] if r["school_urn"] == change["school_urn"])["team_size"] = value
    elif setting == "reviewer_max_reviews":
        next(r for r in sc["reviewers"] if r["id"] == change["reviewer"])["max_reviews"] = value
    elif setting == "provider_capacity":
        next(p for p in sc["support"]["providers"] if p["id"] == change["provider"])["capacity_days"] = value
    return sc


def make_change(cycle: Cycle, change: dict, *, actor: User | None, why: str) -> None:
    """Make `change` to the cycle (or its pool) for real, then check the cycle as a scenario."""
    setting, value = change["setting"], change["value"]
    if setting in ("backfill_budget", "support_budget"):
        cycle_settings.update(cycle, {setting: value}, actor=actor, why=why)
    elif setting == "cluster_budget":
        budgets = dict(cycle.cluster_budgets or {}) | {change["cluster"]: value}
        cycle_settings.update(cycle, {"cluster_budgets": budgets}, actor=actor, why=why)
    elif setting == "policy":
        policy = dict(cycle.policy or {}) | {change["key"]: value}
        cycle_settings.update(cycle, {"policy": policy}, actor=actor, why=why)
    else:
        if setting == "review_team_size":
            review_for(cycle, change["school_urn"]).team_size = value
        elif setting == "reviewer_max_reviews":
            _reviewer(cycle, change["reviewer"]).max_reviews = value
        elif setting == "provider_capacity":
            _provider(cycle, change["provider"]).capacity_days = value
        db.session.flush()
        validate(build_scenario(cycle))


def scenario_hash(scenario: dict) -> str:
    return hashlib.sha256(json.dumps(scenario, sort_keys=True, default=str).encode()).hexdigest()


# --------------------------------------------------------------------------- suggestions


def _money(x: float) -> str:
    return f"£{x:,.0f}"


def suggest(cycle: Cycle, version: PlanVersion) -> dict:
    """{"reviews": {urn: [suggestion]}, "requests": {request id: [suggestion]}}, a suggestion
    being {"label", "change"}: what the reason of each unstaffed review or unmet request
    suggests trying."""
    plan = version.plan
    out = {"reviews": {}, "requests": {}}
    if not plan.get("unstaffed") and not plan.get("unmet_support"):
        return out
    scenario = build_scenario(cycle)
    sc = load_scenario(scenario)
    if sc.groups_model:
        # The suggestions read the teams model's eligible pairs; a school left out of the
        # groups has its reasons, and the officer's own what-ifs still run.
        return out
    inst = build_instance(sc)
    c = sc.cycle
    costs = plan.get("costs") or {}
    used = Counter(m["reviewer"] for v in plan.get("reviews", []) for m in v["team"])
    _schools, people = names(cycle)

    def who(rid):
        r = people.get(rid)
        return r.name if r and r.name else rid

    history = {(h.reviewer, h.school_urn): h.cycles_ago for h in sc.history}
    reviews = {rv.school_urn: rv for rv in sc.reviews}
    for item in plan.get("unstaffed", []):
        urn = item["school_urn"]
        review = reviews.get(urn)
        if review is None or urn in inst.fixed:
            continue
        school = sc.school_by_urn[urn]
        size = sc.team_size_of(review)
        eligible = [rid for (rid, u) in inst.pairs if u == urn]

        def enough(ids, size=size):
            leads = [i for i in ids if sc.reviewer_by_id[i].lead_accredited]
            return len(ids) >= size and (not c.lead_required or leads)

        found = []
        free = [rid for rid in eligible if used[rid] < sc.reviewer_by_id[rid].max_reviews]
        pool = free if enough(free) else eligible
        if enough(eligible):
            team = sorted(pool, key=lambda rid: member_cost(sc, sc.reviewer_by_id[rid], review).backfill)[:size]
            need = sum(member_cost(sc, sc.reviewer_by_id[rid], review).backfill for rid in team)
            spent = costs.get("backfill", 0.0)
            if c.backfill_budget is not None and spent + need > c.backfill_budget + 0.005:
                value = float(math.ceil(spent + need))
                found.append(
                    {
                        "label": f"+{_money(value - c.backfill_budget)} backfill (budget {_money(value)})",
                        "change": {"setting": "backfill_budget", "value": value},
                    }
                )
            for cluster, limit in c.cluster_budgets.items():
                home_cost = sum(
                    member_cost(sc, sc.reviewer_by_id[rid], review).backfill
                    for rid in team
                    if (h := inst.rules.home(sc.reviewer_by_id[rid])) is not None and h.cluster == cluster
                )
                spent_cl = (costs.get("backfill_by_cluster") or {}).get(cluster, 0.0)
                if home_cost and spent_cl + home_cost > limit + 0.005:
                    value = float(math.ceil(spent_cl + home_cost))
                    found.append(
                        {
                            "label": f"+{_money(value - limit)} backfill in {cluster} (budget {_money(value)})",
                            "change": {"setting": "cluster_budget", "cluster": cluster, "value": value},
                        }
                    )
            if not enough(free):
                busy = [rid for rid in eligible if rid not in free]
                lacking_lead = c.lead_required and not any(sc.reviewer_by_id[i].lead_accredited for i in free)
                if lacking_lead:
                    busy = [rid for rid in busy if sc.reviewer_by_id[rid].lead_accredited]
                busy.sort(key=lambda rid: member_cost(sc, sc.reviewer_by_id[rid], review).total)
                for rid in busy[:2]:
                    n = sc.reviewer_by_id[rid].max_reviews + 1
                    found.append(
                        {
                            "label": f"allow {_ordinal(n)} visit for {who(rid)} ({rid})",
                            "change": {"setting": "reviewer_max_reviews", "reviewer": rid, "value": n},
                        }
                    )
        else:
            # Too few eligible: which one rule, relaxed, brings in enough reviewers?
            blocked: dict[str, list] = {
                TOO_FAR: [],
                SAME_CLUSTER: [],
                SAME_TRUST: [],
                WRONG_PHASE: [],
                RECENT_REVIEW: [],
            }
            for r in sc.reviewers:
                if (r.id, urn) in inst.pairs or inst.capacity.get(r.id, 0) <= 0:
                    continue
                why = inst.rules.conflict_reasons(r, school)
                if len(why) == 1 and why[0] in blocked:
                    blocked[why[0]].append(r.id)
            far = sorted(blocked[TOO_FAR], key=lambda rid: distance_km(inst.rules.home(sc.reviewer_by_id[rid]), school))
            for k in range(1, len(far) + 1):
                if enough(eligible + far[:k]):
                    km = math.ceil(distance_km(inst.rules.home(sc.reviewer_by_id[far[k - 1]]), school))
                    found.append(
                        {
                            "label": f"travel limit {km} km",
                            "change": {"setting": "policy", "key": "max_travel_km", "value": float(km)},
                        }
                    )
                    break
            for reason, key, value, label in (
                (SAME_CLUSTER, "same_cluster", "allow", "allow reviewers from the same cluster"),
                (SAME_TRUST, "same_trust", "allow", "allow reviewers from the same trust"),
                (WRONG_PHASE, "phase_match", "prefer", "prefer, not require, a matching phase"),
            ):
                if blocked[reason] and enough(eligible + blocked[reason]):
                    found.append({"label": label, "change": {"setting": "policy", "key": key, "value": value}})
            if blocked[RECENT_REVIEW] and enough(eligible + blocked[RECENT_REVIEW]):
                n = min(history[(rid, urn)] for rid in blocked[RECENT_REVIEW]) - 1
                found.append(
                    {
                        "label": f"no repeat within {n} cycle(s) (was {c.policy.no_repeat_cycles})",
                        "change": {"setting": "policy", "key": "no_repeat_cycles", "value": n},
                    }
                )
            if 2 <= len(eligible) < size and enough(eligible, len(eligible)):
                found.append(
                    {
                        "label": f"a team of {len(eligible)} for this school",
                        "change": {"setting": "review_team_size", "school_urn": urn, "value": len(eligible)},
                    }
                )
        if found:
            out["reviews"][urn] = found[:4]

    given = Counter()
    requests = {q.id: q for q in sc.support_requests}
    for m in plan.get("support", []):
        if m["request"] in requests:
            given[m["provider"]] += requests[m["request"]].days
    for item in plan.get("unmet_support", []):
        q = requests.get(item["request"])
        if q is None:
            continue
        found = []
        allowed = [p for p in sc.providers if not inst.rules.provider_reasons(p, q.school_urn)]
        cheapest = sorted(allowed, key=lambda p: q.days * p.day_rate)
        room = [p for p in cheapest if p.capacity_days - given[p.id] >= q.days]
        if cheapest and not room:
            p = cheapest[0]
            value = given[p.id] + q.days
            found.append(
                {
                    "label": f"give provider {p.id} {value} days of capacity (was {p.capacity_days})",
                    "change": {"setting": "provider_capacity", "provider": p.id, "value": value},
                }
            )
        if c.support_budget is not None and (room or cheapest):
            need = q.days * (room or cheapest)[0].day_rate
            spent = costs.get("support", 0.0)
            if spent + need > c.support_budget + 0.005:
                value = float(math.ceil(spent + need))
                found.append(
                    {
                        "label": f"+{_money(value - c.support_budget)} support (budget {_money(value)})",
                        "change": {"setting": "support_budget", "value": value},
                    }
                )
        if not found and room and c.policy.support_conflict == "forbid":
            found.append(
                {
                    "label": "let a provider support a school its reviewers visit",
                    "change": {"setting": "policy", "key": "support_conflict", "value": "allow"},
                }
            )
        if found:
            out["requests"][q.id] = found[:3]
    return out


def _ordinal(n: int) -> str:
    return {2: "a second", 3: "a third", 4: "a fourth"}.get(n, f"a {n}th")


# --------------------------------------------------------------------------- running, deciding


def start(
    cycle: Cycle,
    change: dict,
    *,
    base: PlanVersion | None = None,
    label: str | None = None,
    school_urn: str | None = None,
    request_id: str | None = None,
    time_limit_s: float | None = None,
    actor: User | None = None,
) -> WhatIf:
    """Queue a what-if solve (409 while another solve of the cycle runs). Commits."""
    change = check_change(cycle, change)
    base = base or get_version(cycle)
    solve_id = uuid.uuid4().hex
    what_if = WhatIf(
        cycle_id=cycle.id,
        base_version_id=base.id,
        solve_id=solve_id,
        school_urn=school_urn,
        request_id=request_id,
        label=(label or describe(change))[:300],
        change=change,
        status="solving",
        created_by_id=actor.id if actor else None,
    )
    db.session.add(what_if)
    audit.cycle_event(
        "what_if.started", cycle, f"tried a what-if: {what_if.label}", actor=actor, change=change, base=base.number
    )
    limit = time_limit_s or current_app.config["SOLVE_DEFAULT_TIME_LIMIT_S"]
    # The what-if row goes in with the solve's own commit (the solve's row first), so the job
    # always finds it; no flush before then, when the solve's row does not exist yet.
    with db.session.no_autoflush:
        start_solve(cycle, time_limit_s=limit, user=actor, kind=KIND, solve_id=solve_id)
    return what_if


def describe(change: dict) -> str:
    s, v = change["setting"], change["value"]
    if s == "backfill_budget":
        return f"backfill budget {_money(v)}"
    if s == "support_budget":
        return f"support budget {_money(v)}"
    if s == "cluster_budget":
        return f"backfill budget of {change['cluster']} {_money(v)}"
    if s == "policy":
        return f"{change['key'].replace('_', ' ')}: {v}"
    if s == "review_team_size":
        return f"a team of {v} for {change['school_urn']}"
    if s == "reviewer_max_reviews":
        return f"{change['reviewer']} may make {v} visit(s)"
    return f"provider {change['provider']} capacity {v} days"


def for_solve(solve_id: str) -> WhatIf:
    what_if = db.session.scalar(db.select(WhatIf).where(WhatIf.solve_id == solve_id))
    if what_if is None:
        raise NotFound(f"no what-if for solve {solve_id}")
    return what_if


def scenario_for(solve: Solve) -> dict:
    """The job's scenario: the cycle's, with the what-if's change."""
    return apply_to_scenario(build_scenario(solve.cycle), for_solve(solve.id).change)


def finish(solve_id: str, scenario: dict, plan: dict, *, elapsed_s: float | None = None) -> None:
    """Keep the plan on the what-if as its draft and close the solve (no plan version)."""
    solve = db.session.get(Solve, solve_id, populate_existing=True)
    what_if = for_solve(solve_id)
    if what_if.status == "solving":
        what_if.plan = plan
        what_if.scenario_hash = scenario_hash(scenario)
        what_if.status = "ready"
    close(solve, None, plan, elapsed_s=elapsed_s)


def state(what_if: WhatIf) -> str:
    """`solving` turns `failed` when its solve ended without a plan."""
    if what_if.status == "solving" and what_if.solve_id:
        solve = db.session.get(Solve, what_if.solve_id)
        if solve is None or solve.status in ENDED_SOLVE_STATES:
            return "failed"
    return what_if.status


def get(cycle: Cycle, what_if_id: int) -> WhatIf:
    what_if = db.session.get(WhatIf, what_if_id)
    if what_if is None or what_if.cycle_id != cycle.id:
        raise NotFound("no such what-if")
    return what_if


def listing(cycle: Cycle) -> list[WhatIf]:
    return list(db.session.scalars(db.select(WhatIf).where(WhatIf.cycle_id == cycle.id).order_by(WhatIf.id.desc())))


def compare(what_if: WhatIf) -> dict | None:
    """The draft beside the version it set out from: cost, staffed, and what changes."""
    if what_if.plan is None:
        return None
    base = what_if.base_version.plan if what_if.base_version else {"reviews": [], "unstaffed": []}

    def figures(plan):
        return {
            "status": plan.get("status"),
            "objective": plan.get("objective"),
            "staffed": len(plan.get("reviews", [])),
            "unstaffed": len(plan.get("unstaffed", [])),
            "unmet_support": len(plan.get("unmet_support", [])),
            "backfill": (plan.get("costs") or {}).get("backfill"),
            "support": (plan.get("costs") or {}).get("support"),
        }

    out = {
        "current": figures(base) | {"version": what_if.base_version.number if what_if.base_version else None},
        "draft": figures(what_if.plan),
        "diff": diff(base, what_if.plan),
    }
    if what_if.school_urn:
        out["answers"] = {
            "school_urn": what_if.school_urn,
            "staffed": any(v["school_urn"] == what_if.school_urn for v in what_if.plan.get("reviews", [])),
        }
    elif what_if.request_id:
        out["answers"] = {
            "request": what_if.request_id,
            "met": any(s["request"] == what_if.request_id for s in what_if.plan.get("support", [])),
        }
    return out


def adopt(what_if: WhatIf, *, actor: User | None = None) -> PlanVersion:
    """Make the change to the cycle and keep the draft as its next version (the caller commits)."""
    current = state(what_if)
    if current != "ready":
        raise ConflictError(f"this what-if is {current}: only a finished one can be adopted")
    cycle = what_if.cycle
    make_change(cycle, what_if.change, actor=actor, why=f"what-if {what_if.id} adopted")
    if scenario_hash(build_scenario(cycle)) != what_if.scenario_hash:
        raise ConflictError(
            "the cycle has changed since this what-if was solved (its data, settings or published plan): "
            "try the what-if again",
            {"what_if": ["solved on data that has changed since"]},
        )
    version = store_version(cycle, what_if.plan, source=KIND, note=f"what-if adopted: {what_if.label}")
    what_if.status, what_if.version = "adopted", version
    what_if.decided_by_id, what_if.decided_at = actor.id if actor else None, utcnow()
    audit.cycle_event(
        "what_if.adopted",
        cycle,
        f"adopted the what-if {what_if.label} as version {version.number}",
        actor=actor,
        change=what_if.change,
        version=version.number,
    )
    return version


def discard(what_if: WhatIf, *, actor: User | None = None) -> None:
    """Drop the draft; the cycle stays as it is (a running what-if solve is stopped)."""
    current = state(what_if)
    if current in ("adopted", "discarded"):
        raise ConflictError(f"this what-if is {current} already")
    if current == "solving":
        solve = db.session.get(Solve, what_if.solve_id)
        if solve is not None and solve.status in ACTIVE_SOLVE_STATES:
            cancel_solve(solve)
    what_if.status, what_if.plan = "discarded", None
    what_if.decided_by_id, what_if.decided_at = actor.id if actor else None, utcnow()
    audit.cycle_event("what_if.discarded", what_if.cycle, f"discarded the what-if {what_if.label}", actor=actor)
