"""Why a school taking part was left out of the groups: in words an officer can act on.

"no group of 3 within 15 km without repeating a pairing of 2025-26 (110001: grouped together in
2025-26; 110003: too far)" - the limits that kept its partners away, then who and why.
"""

from __future__ import annotations

from collections import Counter

from ..rules import OTHER_CLUSTER, SAME_CLUSTER, SAME_TRUST, TOO_FAR, WRONG_PHASE
from .candidates import Column, Rejections
from .instance import GroupInstance

LIST_UP_TO = 6  # other schools named one by one; beyond, counted by reason


def _sizes(inst: GroupInstance) -> str:
    lo, hi = inst.sizes
    return f"{lo}" if lo == hi else f"{lo} to {hi}"


def left_out_reasons(
    inst: GroupInstance,
    urn: str,
    cols: list[Column],
    rejected: Rejections,
    chosen: list[int],
    leads: dict[str, str],
    undated: set[str],
    spread: set[str],
    proven: bool,
) -> list[str]:
    host = inst.hosts[urn]
    lo, _ = inst.sizes
    if urn in spread:
        load = inst.sc.cycle.load
        return [
            f"its group was left out to keep load.max_spread ({load.max_spread if load else 0}): other "
            "groups could not be dated, and without them its heads' totals would spread too wide"
        ]
    if urn in undated:
        return [
            "its group could not be dated together with the other visits of its facilitator(s); left out of the groups"
        ]
    if not host.starts:
        return [
            "no possible visit date: every school day of its window is excluded, a closure of the "
            "school, not among the dates it offered, or before freeze_before"
        ]
    if host.visits_possible < lo - 1:
        if not host.staff:
            return [
                "no reviewer of the school has room for a visit (the schools of a group staff each "
                "other's visits: it needs a head or deputy in the pool)"
            ]
        return [
            f"its reviewers can make {host.visits_possible} visit(s) between them (max_reviews, "
            f"load.max_total); a group of {lo} needs {lo - 1}"
        ]
    mine = [i for i, c in enumerate(cols) if urn in c.schools]
    if not mine:
        return [_no_group(inst, urn, rejected)]
    return [_not_chosen(inst, urn, cols, mine, chosen, leads, proven)]


def _not_chosen(
    inst: GroupInstance,
    urn: str,
    cols: list[Column],
    mine: list[int],
    chosen: list[int],
    leads: dict[str, str],
    proven: bool,
) -> str:
    """It has possible groups, but the plan uses their schools, facilitators or money elsewhere."""
    groups = list(dict.fromkeys(cols[i].schools for i in mine))
    examples = ", ".join("+".join(g) for g in groups[:3])
    found = "the optimal plan" if proven else "the best plan found"
    text = f"{len(groups)} possible group(s) of {_sizes(inst)} (e.g. {examples})"
    taken = {h for i in chosen for h in cols[i].schools}
    free = [i for i in mine if not set(cols[i].schools) - {urn} & taken]
    if not free:
        return f"{text}, but {found} places each of their other schools in another group"
    used = Counter(leads.values())
    full = {k for k, n in used.items() if n >= inst.facilitator_room[k]}
    needing = [i for i in free if cols[i].facilitated]
    if (
        needing
        and len(needing) == len(free)
        and all(
            all(s.rid in full for s in inst.facilitators_at.get(h, [])) for i in needing for h in cols[i].facilitated
        )
    ):
        return (
            f"{text}; those whose other schools are free need a facilitator where no member of a "
            f"team is lead-accredited, and every facilitator who may go there is fully booked"
        )
    return (
        f"{text}; {found} leaves it out because grouping it would cost more or break a limit "
        f"the groups share (budgets, load.max_spread, the facilitators' dates)"
    )


def _no_group(inst: GroupInstance, urn: str, rejected: Rejections) -> str:
    """No candidate group holds the school: what kept its partners away, or why its possible
    groups were turned down."""
    size = _sizes(inst)
    turned_down = {kind: getattr(rejected, kind)[urn] for kind in ("room", "lead", "dates")}
    if any(turned_down.values()):
        parts = []
        if turned_down["dates"]:
            parts.append(
                f"{turned_down['dates']} have no dates on which every visit (and follow-up) fits its "
                f"members' free days, on different days"
            )
        if turned_down["lead"]:
            parts.append(f"{turned_down['lead']} have no lead-accredited reviewer for every visit")
        if turned_down["room"]:
            parts.append(f"{turned_down['room']} need more visits than their reviewers have room for")
        return f"of its possible groups of {size}, " + "; ".join(parts)
    why = inst.why_not[urn]
    others = sorted(u for u in inst.hosts if u != urn)
    counts = Counter(why.values())
    limits = []
    pol = inst.sc.cycle.policy
    if counts[TOO_FAR] and pol.max_travel_km is not None:
        limits.append(f"within {pol.max_travel_km:g} km")
    if counts[OTHER_CLUSTER]:
        limits.append("inside its cluster")
    if counts[SAME_CLUSTER] or counts[SAME_TRUST]:
        limits.append(
            "outside its " + " and ".join(w for w, k in (("cluster", SAME_CLUSTER), ("trust", SAME_TRUST)) if counts[k])
        )
    if counts[WRONG_PHASE]:
        limits.append("of phases their heads review")
    rounds = sorted(
        {r.removeprefix("grouped together in ") for r in why.values() if r.startswith("grouped together in ")},
        key=lambda name: _recency(inst, name),
    )
    if any(r.startswith("grouped together") and not r.startswith("grouped together in ") for r in why.values()):
        g = inst.sc.cycle.groups
        rounds.append(f"the last {g.avoid_rounds if g else 0} rounds")
    if rounds:
        limits.append("without repeating a pairing of " + " or ".join(rounds))
    head = f"no group of {size}" + (" " + " ".join(limits) if limits else "")
    partners = sorted(inst.partners[urn])
    if partners:
        head += f"; its {len(partners)} possible partner(s) ({', '.join(partners[:LIST_UP_TO])}) may not all be grouped together"
    if len(others) <= LIST_UP_TO:
        detail = "; ".join(f"{u}: {why.get(u, 'may be')}" for u in others)
    else:
        detail = f"of the {len(others)} other schools taking part: " + ", ".join(
            f"{n} {reason}" for reason, n in counts.most_common()
        )
    return f"{head} ({detail})" if detail else head


def _recency(inst: GroupInstance, name: str) -> int:
    return min((g.cycles_ago for g in inst.sc.group_history if g.name == name), default=0)
