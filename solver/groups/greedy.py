"""A first answer for the groups model: the cheapest groups per school first, while they fit.

It warm-starts the CP-SAT search (`model.GroupModel.hint`), and is the answer when that search
finds none in its time: every group in it is a candidate column, dated by construction.
"""

from __future__ import annotations

from .candidates import Column
from .instance import GroupInstance


def greedy_groups(
    inst: GroupInstance, cols: list[Column], lp_values: list[float] | None = None
) -> tuple[list[int], dict[str, str]]:
    """Column indices and facilitator leads (host -> facilitator): disjoint groups, the fixed
    visits' first, then (given the LP relaxation's answer) the columns it takes most of, then by
    cost per school net of the penalties they save."""

    def per_school(i: int) -> float:
        c = cols[i]
        return (c.cost - sum(inst.hosts[u].penalty for u in c.schools)) / len(c.schools)

    weight = lp_values or [0.0] * len(cols)
    order = sorted(
        range(len(cols)),
        key=lambda i: (not (set(cols[i].schools) & set(inst.forced)), -round(weight[i], 6), per_school(i), i),
    )
    taken: set[str] = set()
    room = dict(inst.facilitator_room)
    chosen: list[int] = []
    leads: dict[str, str] = {}
    for i in order:
        c = cols[i]
        if taken & set(c.schools):
            continue
        picks: dict[str, str] = {}
        for h in c.facilitated:
            options = sorted(
                (seat.cost, k)
                for (k, hh), seat in inst.facilitators.items()
                if hh == h and room[k] > list(picks.values()).count(k)
            )
            if not options:
                break
            picks[h] = options[0][1]
        if len(picks) < len(c.facilitated):
            continue
        for k in picks.values():
            room[k] -= 1
        leads.update(picks)
        chosen.append(i)
        taken |= set(c.schools)
    return chosen, leads
