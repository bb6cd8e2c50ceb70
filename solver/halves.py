"""Step 2, join halves: the support that best fits a pairing, and the cost of the two together.

The cycle has two halves: the reviews (teams) and the support (which provider meets which
request). Only rule 8's support conflict joins them: under `support_conflict: forbid`, a
provider may not support a school that reviewers from its own school visit. The support
half is solved alone once (`support.best_support`: its proven bound holds for any plan);
a pairing keeps that matching when it leaves it standing, else the support half is solved
again without the pairs the teams rule out. When that costs more than the support half
alone, `solve` moves to the joint model, where both halves are searched together.
"""

from __future__ import annotations

from dataclasses import dataclass

from .instance import Instance
from .pairing import Pairing, Teams
from .support import SupportAnswer, best_support, forbidden_by

Nogood = list[tuple[str, str]]  # (reviewer, school) pairs never all chosen together


@dataclass(frozen=True)
class Joined:
    teams: Teams
    support: SupportAnswer
    cost: float  # both halves, pounds (the objective before dating)
    proven: bool  # the pairing search's proof stands for these teams


def join_halves(
    inst: Instance, pairing: Pairing, alone: SupportAnswer, best: Joined | None, nogoods: list[Nogood]
) -> Joined:
    """The pairing with its best support; or the best pairing seen so far, when a later search
    (the joint model, or one restarted after cuts) did worse and the cuts allow the earlier one."""
    support = support_for(inst, pairing.teams, alone)
    cost = pairing_cost(inst, pairing.teams) + support.value
    if best is not None and cost > best.cost + 1e-6 and (not nogoods or keeps_nogoods(best.teams, nogoods)):
        return Joined(best.teams, best.support, best.cost, False)
    return Joined(pairing.teams, support, cost, pairing.optimal)


def support_for(inst: Instance, teams: Teams, alone: SupportAnswer, workers: int = 1) -> SupportAnswer:
    """The best support for these teams: the matching found alone when the teams leave it
    standing, else the support half solved again without the pairs the teams rule out."""
    forbidden = forbidden_by(inst, teams)
    if not any((q, p) in forbidden for q, p in alone.matching.items()):
        return alone
    return best_support(inst, 5.0, forbidden, workers)


def pairing_cost(inst: Instance, teams: Teams) -> float:
    """The reviews half's cost of these teams, in pounds (what the pairing model minimises)."""
    sc = inst.sc
    w = sc.cycle.weights
    chosen = {(rid, urn) for urn, rids in teams.items() for rid in rids}
    cost = sum(inst.pairs[p].cost for p in chosen)
    cost += sum(w.unstaffed * rv.priority for rv in inst.open_reviews if rv.school_urn not in teams)
    cost += sum(
        w.change
        for pv in sc.previous
        if pv.school_urn not in inst.fixed
        for m in pv.team
        if (m.reviewer, pv.school_urn) not in chosen
    )
    return cost


def keeps_nogoods(teams: Teams, nogoods: list[Nogood]) -> bool:
    chosen = {(rid, urn) for urn, rids in teams.items() for rid in rids}
    return all(not all(p in chosen for p in ng) for ng in nogoods)


def halves_may_meet(inst: Instance, alone: SupportAnswer) -> bool:
    """Could any eligible visit rule out a match of the support half's best matching?"""
    if not alone.matching or not inst.rules.support_conflict_applies():
        return False
    sc = inst.sc
    provs = {p.id: p for p in sc.providers}
    reqs = {q.id: q for q in sc.support_requests}
    at_risk = {(provs[p].school_urn, reqs[q].school_urn) for q, p in alone.matching.items()}
    return any((sc.reviewer_by_id[rid].school_urn, urn) in at_risk for rid, urn in inst.pairs)


def forbidding(inst: Instance, matching: dict[str, str]) -> frozenset[tuple[str, str]]:
    """The eligible (reviewer, school) pairs that would break this support matching (rule 8:
    a reviewer from a provider's school visiting a school it supports)."""
    if not matching or not inst.rules.support_conflict_applies():
        return frozenset()
    sc = inst.sc
    provs = {p.id: p for p in sc.providers}
    reqs = {q.id: q for q in sc.support_requests}
    at_risk = {(provs[p].school_urn, reqs[q].school_urn) for q, p in matching.items()}
    return frozenset(k for k in inst.pairs if (sc.reviewer_by_id[k[0]].school_urn, k[1]) in at_risk)
