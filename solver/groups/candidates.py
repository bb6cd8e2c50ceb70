"""Every group the rules allow, each with its cheapest staffing that can be dated.

A candidate group is a set of `min_size`..`max_size` schools any two of which may share a group
(`GroupInstance.partners`: both directions staffed, no pairing of the rounds rule 11 looks
back on). For each, every way of staffing its visits is tried (who from each school goes to
which visit, within their room for visits; who leads each visit that has a follow-up), from the
cheapest: the first that can be dated (the group's visits on different days, every member free,
each member-led follow-up placed) is the group's column. Staffings that load the reviewers
differently (when rule 13's spread may bind), spend differently (when there are budgets) or
call on the facilitator pool at other visits are different columns. So each column's cost is the least the group can cost, and the model that chooses
among columns (`model.py`) has a true lower bound: the cycle's.

A facilitator's own dates are not part of a column: one facilitator may serve several groups,
so they are the model's and the dating step's (`dating.py`) to keep.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product

from .instance import GroupInstance, Seat

FACILITATOR = ""  # a lead slot the pool fills


@dataclass(frozen=True)
class Column:
    schools: tuple[str, ...]  # sorted
    cost: float  # pounds: members' costs, member-led follow-ups, less weights.change per kept pair
    backfill: float
    cluster_backfill: tuple[tuple[str, float], ...]
    load: tuple[tuple[str, int], ...]  # reviewer -> visits in this group
    teams: tuple[tuple[str, tuple[str, ...]], ...]  # host -> members, in the group's school order
    leads: tuple[tuple[str, str], ...]  # host -> member leading its follow-up (member-led follow-ups)
    facilitated: tuple[str, ...]  # hosts whose visit a facilitator leads
    starts: tuple[tuple[str, int], ...]  # a dating that keeps every rule inside the group
    follow_ups: tuple[tuple[str, int], ...]  # host -> start of its member-led follow-up

    def team(self, host: str) -> tuple[str, ...]:
        return dict(self.teams)[host]


@dataclass
class Rejections:
    """Why the groups a school could be in were turned down, counted (for its reasons)."""

    room: Counter
    lead: Counter
    dates: Counter

    def add(self, kind: str, schools: tuple[str, ...]) -> None:
        for urn in schools:
            getattr(self, kind)[urn] += 1


def cliques(inst: GroupInstance) -> Iterator[tuple[str, ...]]:
    """Every set of min_size..max_size schools that may share a group, each once (sorted)."""
    lo, hi = inst.sizes
    partners = inst.partners
    order = sorted(inst.hosts)
    pos = {u: i for i, u in enumerate(order)}
    must = _must_be_with(inst)

    def extend(group: list[str], cands: list[str]) -> Iterator[tuple[str, ...]]:
        if len(group) >= lo and all(must.get(u, frozenset()) <= set(group) for u in group):
            yield tuple(group)
        if len(group) == hi:
            return
        for i, w in enumerate(cands):
            nxt = partners[w]
            yield from extend(group + [w], [x for x in cands[i + 1 :] if x in nxt])

    for u in order:
        yield from extend([u], sorted((w for w in partners[u] if pos[w] > pos[u]), key=pos.__getitem__))


def _must_be_with(inst: GroupInstance) -> dict[str, frozenset[str]]:
    """Schools a fixed visit ties together (its host and its members' schools)."""
    out: dict[str, frozenset[str]] = {}
    for tied in inst.forced.values():
        for u in tied:
            out[u] = out.get(u, frozenset()) | tied
    return out


def columns(inst: GroupInstance, rejected: Rejections | None = None) -> list[Column]:
    out: list[Column] = []
    for group in cliques(inst):
        out.extend(evaluate(inst, group, rejected))
    return out


def evaluate(inst: GroupInstance, group: tuple[str, ...], rejected: Rejections | None = None) -> list[Column]:
    """The group's columns: for each way its staffing loads people and the pool, the cheapest
    staffing that can be dated (none: the group cannot be staffed or dated)."""
    g = inst.sc.cycle.groups
    assert g is not None  # the groups model
    lead_required = inst.sc.cycle.lead_required
    slots = [(v, h) for h in group for v in group if v != h]
    room = {rid: n for u in group for rid, n in inst.hosts[u].room.items()}
    options = [inst.seats[s] for s in slots]
    change = inst.sc.cycle.weights.change
    by_load = inst.spread_binds  # staffings that load people differently differ only then
    found: list[tuple[float, tuple, tuple[Seat, ...], dict[str, str]]] = []
    room_failed = lead_failed = True
    for choice in product(*options):
        load = Counter(s.rid for s in choice)
        if any(n > room[rid] for rid, n in load.items()):
            continue
        room_failed = False
        by_host: dict[str, list[Seat]] = {h: [] for h in group}
        for (_, h), seat in zip(slots, choice):
            by_host[h].append(seat)
        facilitated, lead_options, ok = [], [], True
        for h in group:
            accredited = [s for s in by_host[h] if s.lead]
            if g.facilitator == "required" or (lead_required and g.facilitator == "optional" and not accredited):
                facilitated.append(h)
            elif lead_required and not accredited:
                ok = False
                break
            elif inst.hosts[h].follow_up:
                # Who leads the visit leads its follow-up: each accredited member is a choice
                # (without lead_required, any member may lead).
                lead_options.append([(h, s.rid) for s in (accredited if lead_required else by_host[h])])
        if not ok:
            continue
        lead_failed = False
        base = sum(s.cost for s in choice) - change * sum(s.kept for s in choice)
        for lead_choice in product(*lead_options):
            cost = base
            for h, rid in lead_choice:
                cost += inst.follow_up_cost(rid, h)[0]
            loads = tuple(sorted(load.items())) if by_load else ()
            signature = (loads, tuple(facilitated), _budget_key(inst, choice, lead_choice))
            found.append((cost, signature, choice, dict(lead_choice)))
    if room_failed or lead_failed:
        if rejected is not None:
            rejected.add("room" if room_failed else "lead", group)
        return []
    found.sort(key=lambda f: (f[0], f[1]))
    done: set[tuple] = set()
    out = []
    for cost, signature, choice, leads in found:
        if signature in done:
            continue
        dated = _date(inst, group, slots, choice, leads)
        if dated is None:
            continue
        done.add(signature)
        out.append(_column(inst, group, slots, choice, leads, signature[1], cost, dated))
    if not out and rejected is not None:
        rejected.add("dates", group)
    return out


def _budget_key(inst: GroupInstance, choice: tuple[Seat, ...], leads) -> tuple:
    """With budgets, staffings that spend differently are different columns too."""
    c = inst.sc.cycle
    if c.backfill_budget is None and not c.cluster_budgets:
        return ()
    spent: Counter = Counter()
    for s in choice:
        spent[s.home_cluster if s.home_cluster in c.cluster_budgets else None] += round(s.backfill * 100)
    for h, rid in leads:
        home = inst.rules.home(inst.sc.reviewer_by_id[rid])
        cluster = home.cluster if home is not None and home.cluster in c.cluster_budgets else None
        spent[cluster] += round(inst.follow_up_cost(rid, h)[1] * 100)
    return tuple(sorted(spent.items(), key=lambda kv: (kv[0] is not None, kv[0] or "")))


def _column(inst, group, slots, choice, leads, facilitated, cost, dated) -> Column:
    starts, follow_ups = dated
    teams: dict[str, list[str]] = {h: [] for h in group}
    backfill = 0.0
    by_cluster: Counter = Counter()
    for (_, h), seat in zip(slots, choice):
        teams[h].append(seat.rid)
        backfill += seat.backfill
        if seat.home_cluster in inst.sc.cycle.cluster_budgets:
            by_cluster[seat.home_cluster] += seat.backfill
    for h, rid in leads.items():
        fu_backfill = inst.follow_up_cost(rid, h)[1]
        backfill += fu_backfill
        home = inst.rules.home(inst.sc.reviewer_by_id[rid])
        if home is not None and home.cluster in inst.sc.cycle.cluster_budgets:
            by_cluster[home.cluster] += fu_backfill
    return Column(
        schools=group,
        cost=cost,
        backfill=backfill,
        cluster_backfill=tuple(sorted(by_cluster.items())),
        load=tuple(sorted(Counter(s.rid for s in choice).items())),
        teams=tuple((h, tuple(teams[h])) for h in group),
        leads=tuple(sorted(leads.items())),
        facilitated=tuple(facilitated),
        starts=tuple(sorted(starts.items())),
        follow_ups=tuple(sorted(follow_ups.items())),
    )


# --- dating inside one group --------------------------------------------------------------------


def overlap(start: int, length: int, other_length: int) -> int:
    """The start dates of a visit `other_length` long that would share a day with a visit
    occupying school days start..start+length-1 (school days, as a mask)."""
    lo = start - other_length + 1
    width = length + other_length - 1
    if lo < 0:
        width += lo
        lo = 0
    return ((1 << width) - 1) << lo if width > 0 else 0


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _date(inst: GroupInstance, group, slots, choice, leads: dict[str, str]):
    """Start dates for the group's visits (all on different days, every member free) and for
    its member-led follow-ups (each lead free, on none of their visits, not away while their own
    school is visited); None when there are none. Depth-first, the most constrained visit first."""
    hosts = inst.hosts
    masks = {h: hosts[h].starts for h in group}
    for (_, h), seat in zip(slots, choice):
        masks[h] &= seat.free
    fu_days = inst.follow_up_days()
    lead_free = {}
    for h, rid in leads.items():
        lead_free[h] = inst.free_for(inst.sc.reviewer_by_id[rid], fu_days)
        # Only visit dates that leave the follow-up a possible date by itself.
        masks[h] &= inst.starts_with_follow_up(h, rid)
    if any(not m for m in masks.values()):
        return None
    order = sorted(group, key=lambda h: (bin(masks[h]).count("1"), h))
    length = {h: hosts[h].length for h in group}
    on_visit = {}  # lead -> hosts whose days they must keep clear of their follow-ups
    for h, rid in leads.items():
        home = inst.sc.reviewer_by_id[rid].school_urn
        on_visit[h] = [x for (_, x), s in zip(slots, choice) if s.rid == rid] + [home]
    chosen: dict[str, int] = {}

    fu_order = sorted(leads)

    def place_follow_ups(k: int, placed: dict[str, int]) -> dict[str, int] | None:
        if k == len(fu_order):
            return dict(placed)
        h = fu_order[k]
        m = inst.follow_up_mask(h, chosen[h]) & lead_free[h]
        for x in on_visit[h]:
            m &= ~overlap(chosen[x], length[x], fu_days)
        for other, start in placed.items():
            if leads[other] == leads[h]:
                m &= ~overlap(start, fu_days, fu_days)
        for t in _bits(m):
            placed[h] = t
            done = place_follow_ups(k + 1, placed)
            if done is not None:
                return done
            del placed[h]
        return None

    def search(pos: int):
        if pos == len(order):
            return place_follow_ups(0, {}) if leads else {}
        h = order[pos]
        m = masks[h]
        for x, t in chosen.items():
            m &= ~overlap(t, length[x], length[h])
        for t in _bits(m):
            chosen[h] = t
            fus = search(pos + 1)
            if fus is not None:
                return fus
            del chosen[h]
        return None

    fus = search(0)
    return None if fus is None else (dict(chosen), fus)
