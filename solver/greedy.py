"""A quick feasible pairing to warm-start the model: cheapest whole teams, scarcest reviews first.

It keeps every rule the pairing model keeps (team and lead, capacity, reciprocity, budgets,
the support conflict rule against a given support matching, no-common-day pairs), so CP-SAT
receives a complete solution as its hint instead of having to find a first one itself.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable

from .instance import Instance


def greedy_teams(
    inst: Instance,
    support: dict[str, str],
    start: dict[str, list[str]] | None = None,
    rank: Callable[[str, str], tuple] | None = None,
) -> dict[str, list[str]]:
    """`rank(reviewer, school)`: the order in which candidates are tried (default: by cost);
    the LP's (`relax.Relaxation.rank`) makes the greedy follow the LP's optimum."""
    sc = inst.sc
    c = sc.cycle
    rev = sc.reviewer_by_id
    provs = {p.id: p for p in sc.providers}
    reqs = {q.id: q for q in sc.support_requests}
    vd = c.visit_days
    eligible: dict[str, list[str]] = defaultdict(list)
    for rid, urn in inst.pairs:
        eligible[urn].append(rid)

    used: Counter = Counter()
    directed: set[tuple[str | None, str]] = {
        (rev[m.reviewer].school_urn, urn) for urn, pv in inst.fixed.items() for m in pv.team
    }
    spent = inst.fixed_backfill
    cluster_spent = dict(inst.fixed_cluster_backfill)
    # (provider school, supported school): reviewers from the first may not visit the second.
    barred = set()
    if inst.rules.support_conflict_applies():
        barred = {(provs[p].school_urn, reqs[q].school_urn) for q, p in support.items()}
    teams: dict[str, list[str]] = {}

    def cluster_of(rid):
        home = inst.rules.home(rev[rid])
        return home.cluster if home is not None and home.cluster in cluster_spent else None

    def allowed(rid, urn, team, extra_spent, extra_cluster):
        r = rev[rid]
        if used[rid] >= inst.capacity[rid] or rid in team:
            return False
        home = r.school_urn
        if home is not None:
            if (home, urn) in barred:
                return False
            if inst.rules.reciprocity_applies() and (urn, home) in directed:
                return False
        cost = r.day_rate * vd
        if c.backfill_budget is not None and spent + extra_spent + cost > c.backfill_budget + 1e-6:
            return False
        cl = cluster_of(rid)
        if cl is not None and cluster_spent[cl] + extra_cluster[cl] + cost > c.cluster_budgets[cl] + 1e-6:
            return False
        mask = inst.pairs[(rid, urn)].starts
        return all(mask & inst.pairs[(o, urn)].starts for o in team)

    def take(urn, team):
        nonlocal spent
        teams[urn] = team
        for rid in team:
            used[rid] += 1
            cost = rev[rid].day_rate * vd
            spent += cost
            cl = cluster_of(rid)
            if cl is not None:
                cluster_spent[cl] += cost
            if rev[rid].school_urn is not None:
                directed.add((rev[rid].school_urn, urn))

    def try_team(urn, candidates, size):
        team: list[str] = []
        extra = 0.0
        extra_cl: dict[str, float] = defaultdict(float)
        need_lead = c.lead_required
        for rid in candidates:
            if len(team) == size:
                break
            if need_lead and len(team) == size - 1 and not rev[rid].lead_accredited:
                continue  # keep the last seat for a lead
            if allowed(rid, urn, team, extra, extra_cl):
                team.append(rid)
                extra += rev[rid].day_rate * vd
                if cluster_of(rid) is not None:
                    extra_cl[cluster_of(rid)] += rev[rid].day_rate * vd
                if rev[rid].lead_accredited:
                    need_lead = False
        return team if len(team) == size and not need_lead else None

    # Teams of the previous plan first, where they still fit: stability before cost.
    for urn, team in (start or {}).items():
        size = sc.team_size_of(next(rv for rv in inst.open_reviews if rv.school_urn == urn))
        got = try_team(urn, team, size)
        if got:
            take(urn, got)

    order = sorted(
        (rv for rv in inst.open_reviews if rv.school_urn not in teams),
        key=lambda rv: (-rv.priority, len(eligible[rv.school_urn]), rv.school_urn),
    )
    for rv in order:
        urn = rv.school_urn
        size = sc.team_size_of(rv)
        if rank is None:
            cands = sorted(eligible[urn], key=lambda rid: (inst.pairs[(rid, urn)].cost, rid))
        else:
            cands = sorted(eligible[urn], key=lambda rid: (*rank(rid, urn), rid))
        if c.lead_required:
            # Cheapest lead first, so that the rest of the team can be the cheapest members.
            leads = [rid for rid in cands if rev[rid].lead_accredited]
            for lead in leads[:5]:
                got = try_team(urn, [lead] + [r for r in cands if r != lead], size)
                if got:
                    take(urn, got)
                    break
        else:
            got = try_team(urn, cands, size)
            if got:
                take(urn, got)
    return teams
