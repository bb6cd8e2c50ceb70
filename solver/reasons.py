"""Why a review was left unstaffed, or a support request unmet: in numbers an officer can act on."""

from __future__ import annotations

from collections import Counter

from .costs import member_cost
from .instance import Instance
from .scenario import Review, SupportRequest


def _breakdown(counter: Counter) -> str:
    return ", ".join(f"{n} {why}" for why, n in counter.most_common())


def unstaffed_reasons(inst: Instance, review: Review, teams: dict[str, list[str]], undated: set[str]) -> list[str]:
    sc = inst.sc
    c = sc.cycle
    urn = review.school_urn
    size = sc.team_size_of(review)
    reasons: list[str] = []
    if urn in undated:
        reasons.append(
            "the chosen team has no date on which every member is free and no "
            "member's own school is being visited; left unstaffed"
        )
    if not inst.starts.get(urn):
        lo, hi = sc.review_window(review)
        reasons.append(
            f"no possible visit date: between {lo} and {hi} every school day is "
            f"excluded, a closure of the school, before freeze_before, or a day its "
            f"own head is away on a fixed visit"
        )
        return reasons
    eligible = [rid for (rid, u) in inst.pairs if u == urn]
    leads = [rid for rid in eligible if sc.reviewer_by_id[rid].lead_accredited]
    excluded = inst.excluded.get(urn, Counter())
    if len(eligible) < size:
        reasons.append(
            f"only {len(eligible)} eligible reviewers; team_size is {size}"
            + (f" (of {len(sc.reviewers)} reviewers, excluded: {_breakdown(excluded)})" if excluded else "")
        )
        return reasons
    if c.lead_required and not leads:
        reasons.append(f"none of the {len(eligible)} eligible reviewers is lead-accredited")
        return reasons

    used: Counter = Counter(rid for rids in teams.values() for rid in rids)
    free = [rid for rid in eligible if used[rid] < inst.capacity[rid]]
    free_leads = [rid for rid in free if sc.reviewer_by_id[rid].lead_accredited]
    if len(free) < size or (c.lead_required and not free_leads):
        reasons.append(
            f"{len(eligible)} reviewers are eligible ({len(leads)} lead-accredited), "
            f"but only {len(free)} have capacity left after the other visits "
            f"({len(free_leads)} lead-accredited); team_size is {size}"
        )
    # Budget: what the cheapest possible team would need against what is left.
    cheapest = sorted(member_cost(sc, sc.reviewer_by_id[rid], review).backfill for rid in (free or eligible))[:size]
    need = sum(cheapest)
    spent = (
        sum(sc.reviewer_by_id[rid].day_rate * c.visit_days for rids in teams.values() for rid in rids)
        + inst.fixed_backfill
    )
    if c.backfill_budget is not None and spent + need > c.backfill_budget + 1e-6:
        reasons.append(
            f"backfill budget: the cheapest eligible team needs £{need:,.2f}, "
            f"£{max(0.0, c.backfill_budget - spent):,.2f} of £{c.backfill_budget:,.2f} is left"
        )
    for name, limit in c.cluster_budgets.items():
        home_in = [
            rid
            for rid in (free or eligible)
            if (h := inst.rules.home(sc.reviewer_by_id[rid])) is not None and h.cluster == name
        ]
        if len(home_in) > len(free or eligible) - size:  # a team must use this cluster's heads
            cl_spent = inst.fixed_cluster_backfill[name] + sum(
                sc.reviewer_by_id[rid].day_rate * c.visit_days
                for rids in teams.values()
                for rid in rids
                if (h := inst.rules.home(sc.reviewer_by_id[rid])) is not None and h.cluster == name
            )
            reasons.append(
                f"cluster budget {name}: £{max(0.0, limit - cl_spent):,.2f} of £{limit:,.2f} left for its heads"
            )
    if not reasons:
        blocked = _reciprocity_blocked(inst, urn, free, teams)
        if blocked:
            reasons.append(
                f"{blocked} of the {len(free)} free eligible reviewers come from schools "
                f"this school's reviewers visit (reciprocity) or that support it"
            )
        reasons.append(
            f"{len(free)} eligible reviewers are free ({len(free_leads)} lead-accredited), "
            f"but no team of {size} fits the other rules and budgets together; the best "
            f"plan found staffs higher-priority or cheaper reviews instead"
        )
    return reasons


def _reciprocity_blocked(inst: Instance, urn: str, free: list[str], teams) -> int:
    sc = inst.sc
    visited_by_us = {u for u, rids in teams.items() for rid in rids if sc.reviewer_by_id[rid].school_urn == urn}
    return sum(1 for rid in free if sc.reviewer_by_id[rid].school_urn in visited_by_us)


def unmet_reasons(inst: Instance, q: SupportRequest, support: dict[str, str]) -> list[str]:
    sc = inst.sc
    provs = {p.id: p for p in sc.providers}
    reqs = {r.id: r for r in sc.support_requests}
    if not sc.providers:
        return ["no support providers in this cycle"]
    eligible = [pid for (qid, pid) in inst.support_pairs if qid == q.id]
    if not eligible:
        big_enough = [p for p in sc.providers if p.capacity_days >= q.days]
        if not big_enough:
            return [
                f"no provider has {q.days} days of capacity (largest: {max(p.capacity_days for p in sc.providers)})"
            ]
        return [
            f"all {len(big_enough)} providers with {q.days} days of capacity are its own school or in conflict with it"
        ]
    used: Counter = Counter()
    for qid, pid in support.items():
        used[pid] += reqs[qid].days
    room = [pid for pid in eligible if provs[pid].capacity_days - used[pid] >= q.days]
    out = []
    if not room:
        out.append(
            f"{len(eligible)} providers could serve it, but none has {q.days} days left "
            f"(most left: {max(provs[p].capacity_days - used[p] for p in eligible)})"
        )
    budget = sc.cycle.support_budget
    if budget is not None:
        spent = sum(reqs[qid].days * provs[pid].day_rate for qid, pid in support.items())
        cheapest = min(q.days * provs[p].day_rate for p in (room or eligible))
        if spent + cheapest > budget + 1e-6:
            out.append(
                f"support budget: the cheapest provider needs £{cheapest:,.2f}, "
                f"£{max(0.0, budget - spent):,.2f} of £{budget:,.2f} is left"
            )
    if not out:
        out.append(
            f"{len(room)} providers have room, but each is barred by the support-conflict "
            f"rule (a reviewer from its school visits this school) or costs more than "
            f"leaving it unmet"
        )
    return out
