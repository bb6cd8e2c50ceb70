"""Dates for the chosen groups: their visits and follow-ups, with the facilitators' across groups.

Each chosen column comes with a dating that keeps every rule inside its group; what joins groups
is a facilitator on visits (and follow-ups) of more than one group. One CP-SAT model dates every
group at once: a group's visits on different days, every member and lead free, each follow-up
min..max weeks after its visit and clear of its lead's other days, a facilitator on one thing a
day. A group that cannot be dated with the others is left undated (all or nothing) and reported,
with the groups its facilitators join it to, so that the choice can be cut and made again.
Among datings, the fewest changed dates (of a previous plan), then the least crowded day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .candidates import Column, _bits, overlap
from .instance import GroupInstance

DROP = 1_000_000  # an undated group is worse than any number of date changes


@dataclass
class Dated:
    starts: dict[str, int]  # host -> start (school-day index)
    follow_ups: dict[str, tuple[str, int]]  # host -> (lead, start)
    undated: list[int]  # chosen column indices that could not be dated
    spread: list[int] = field(default_factory=list)  # dated, but left out to keep load.max_spread


def date_groups(
    inst: GroupInstance,
    cols: list[Column],
    chosen: list[int],
    leads: dict[str, str],
    time_limit: float,
    workers: int,
    seed: int,
) -> Dated:
    sc = inst.sc
    m = cp_model.CpModel()
    fu_days = inst.follow_up_days()
    follow_up = sc.cycle.follow_up
    first = inst.cal.school_days[0].toordinal() if inst.cal.school_days else 0
    day_numbers = [d.toordinal() - first for d in inst.cal.school_days]

    def ordinal(index: cp_model.IntVar, name: str) -> cp_model.IntVar:
        """The calendar day (from the first school day) of a school-day index."""
        day = m.new_int_var(0, day_numbers[-1], name)
        m.add_element(index, day_numbers, day)
        return day

    previous = {pv.school_urn: inst.cal.index.get(pv.date) for pv in sc.previous}
    start: dict[str, cp_model.IntVar] = {}
    interval: dict[str, cp_model.IntervalVar] = {}
    fu: dict[str, tuple[str, cp_model.IntVar, cp_model.IntervalVar]] = {}
    present: dict[int, cp_model.IntVar] = {}
    busy: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)  # reviewer -> their days
    cost = []
    undatable = []
    for i in chosen:
        col = cols[i]
        p = present[i] = m.new_bool_var(f"dated[{i}]")
        cost.append(DROP * p.Not())
        m.add_hint(p, True)
        hint = dict(col.starts)
        masks = {}
        for h, team in col.teams:
            mask = inst.hosts[h].starts
            for rid in team:
                home = sc.reviewer_by_id[rid].school_urn
                assert home is not None  # members come from the group's schools
                seat = next(s for s in inst.seats[(home, h)] if s.rid == rid)
                mask &= seat.free
            if h in col.facilitated:
                mask &= inst.facilitators[(leads[h], h)].free
            masks[h] = mask
        if not all(masks.values()):
            undatable.append(i)
            m.add(p == 0)
            continue
        for h, mask in masks.items():
            s = start[h] = m.new_int_var_from_domain(cp_model.Domain.from_values(list(_bits(mask))), f"start[{h}]")
            interval[h] = m.new_optional_fixed_size_interval_var(s, inst.hosts[h].length, p, f"visit[{h}]")
            m.add_hint(s, hint[h] if mask >> hint[h] & 1 else next(_bits(mask)))
            was = previous.get(h)
            if was is not None and mask >> was & 1:
                same = m.new_bool_var(f"same[{h}]")
                m.add(s == was).only_enforce_if(same)
                m.add(s != was).only_enforce_if(same.Not())
                cost.append(round(sc.cycle.weights.date_change * 100) * same.Not())
        m.add_no_overlap([interval[h] for h in masks])  # each school hosts or is away: never both
        for h, team in col.teams:
            for rid in team:
                busy[rid].append(interval[h])
            if h in col.facilitated:
                busy[leads[h]].append(interval[h])
        for h in col.schools:
            # A head is at home while their own school is visited (rule 4; rule 12 for follow-ups).
            for r in inst.hosts[h].staff:
                busy[r.id].append(interval[h])
        follow_leads = dict(col.leads)
        follow_leads.update({h: leads[h] for h in col.facilitated if inst.hosts[h].follow_up})
        hint_fu = dict(col.follow_ups)
        for h, lead in follow_leads.items():
            assert follow_up is not None  # a follow-up lead means the cycle has follow-ups
            free = inst.free_for(sc.reviewer_by_id[lead], fu_days)
            options = sorted({e for t in _bits(masks[h]) for e in _bits(inst.follow_up_mask(h, t) & free)})
            if not options:
                undatable.append(i)
                m.add(p == 0)
                break
            e = m.new_int_var_from_domain(cp_model.Domain.from_values(options), f"follow_up[{h}]")
            # min..max weeks after the visit, in calendar days (school-day indices are not).
            gap = ordinal(e, f"follow_up_day[{h}]") - ordinal(start[h], f"visit_day[{h}]")
            m.add(gap >= 7 * follow_up.min_weeks).only_enforce_if(p)
            m.add(gap <= 7 * follow_up.max_weeks).only_enforce_if(p)
            if h in hint_fu:
                m.add_hint(e, hint_fu[h])
            fu[h] = (lead, e, m.new_optional_fixed_size_interval_var(e, fu_days, p, f"follow_up_days[{h}]"))
            busy[lead].append(fu[h][2])
    for items in busy.values():
        if len(items) > 1:
            m.add_no_overlap(list(dict.fromkeys(items)))
    m.minimize(sum(cost))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.5, time_limit)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    # Measured: presolve probes the element and interval encodings for seconds, and the hinted
    # search needs none of it (100 schools: 3.3 s of presolve for a 0.1 s search).
    solver.parameters.cp_model_presolve = False
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return own_dates(inst, cols, chosen, leads)
    undated = [i for i in chosen if not solver.boolean_value(present[i])]
    lost = {h for i in undated for h in cols[i].schools}
    starts = {h: solver.value(s) for h, s in start.items() if h not in lost}
    follow_ups = {h: (lead, solver.value(e)) for h, (lead, e, _) in fu.items() if h not in lost}
    return Dated(starts, follow_ups, undated)


def joined_by_facilitators(cols: list[Column], chosen: list[int], leads: dict[str, str], i: int) -> list[int]:
    """The chosen groups a facilitator joins to group i (itself included), transitively."""
    group_of = {h: j for j in chosen for h in cols[j].schools}
    by_facilitator: dict[str, set[int]] = defaultdict(set)
    for h, k in leads.items():
        by_facilitator[k].add(group_of[h])
    seen, todo = {i}, [i]
    while todo:
        j = todo.pop()
        for h in cols[j].facilitated:
            for other in by_facilitator[leads[h]]:
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
    return sorted(seen)


def own_dates(inst: GroupInstance, cols: list[Column], chosen: list[int], leads: dict[str, str]) -> Dated:
    """Each group on the dates it was admitted with, group by group; a group whose facilitator
    is not free then (unavailable, or already booked by an earlier group) is left undated. The
    answer when the dating model finds none in its time."""
    sc = inst.sc
    fu_days = inst.follow_up_days()
    booked: dict[str, int] = defaultdict(int)  # facilitator -> school days taken (mask)
    starts: dict[str, int] = {}
    follow_ups: dict[str, tuple[str, int]] = {}
    undated = []
    for i in chosen:
        col = cols[i]
        own = dict(col.starts)
        days: dict[str, int] = defaultdict(int)
        member_leads = dict(col.leads)
        fus = {h: (member_leads[h], t) for h, t in col.follow_ups}
        ok = True
        for h in col.facilitated:
            k, length = leads[h], inst.hosts[h].length
            span = ((1 << length) - 1) << own[h]
            if not inst.facilitators[(k, h)].free >> own[h] & 1 or (booked[k] | days[k]) & span:
                ok = False
                break
            days[k] |= span
            if inst.hosts[h].follow_up:
                m = inst.follow_up_mask(h, own[h]) & inst.free_for(sc.reviewer_by_id[k], fu_days)
                for x in col.schools:  # the facilitator's visits in this group
                    if x in col.facilitated and leads[x] == k:
                        m &= ~overlap(own[x], inst.hosts[x].length, fu_days)
                free = [t for t in _bits(m) if not ((booked[k] | days[k]) & (((1 << fu_days) - 1) << t))]
                if not free:
                    ok = False
                    break
                fus[h] = (k, free[0])
                days[k] |= ((1 << fu_days) - 1) << free[0]
        if not ok:
            undated.append(i)
            continue
        for k, mask in days.items():
            booked[k] |= mask
        starts.update(own)
        follow_ups.update(fus)
    return Dated(starts, follow_ups, undated)
