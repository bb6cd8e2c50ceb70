"""The groups model: which groups to form, and which facilitator leads where, in one CP-SAT model.

A set partition over the candidate groups (`candidates.py`: every group the rules allow, each
at its least cost with a dating that keeps every rule inside the group): each school in at most
one group (exactly one when a fixed visit ties it), a school left out costing its unstaffed
penalty. Facilitators: a group calling on the pool at a visit needs one facilitator there, each
within their room for visits (rules 3, 13). Budgets (rule 7) and the spread of loads (rule 13)
join the groups. What joins groups through dates (one facilitator on two groups' visits) is left
to the dating step, so the model is a relaxation there and exact elsewhere: its proven bound is
the cycle's.

Costs are pounds scaled by SCALE and rounded down, penalties saved rounded up, so that every
plan's model cost is at most its true cost.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from ortools.sat.python import cp_model

from .bound import Cut
from .candidates import Column
from .instance import GroupInstance

SCALE = 10_000  # 1/100 of a penny


def money(x: float) -> int:
    return math.floor(x * SCALE + 1e-9)


class GroupModel:
    def __init__(self, inst: GroupInstance, cols: list[Column], cuts: Sequence[Cut] = ()):
        self.inst, self.cols = inst, cols
        sc = inst.sc
        m = self.m = cp_model.CpModel()
        self.x = [m.new_bool_var(f"x{i}") for i in range(len(cols))]
        self.by_school: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(cols):
            for u in c.schools:
                self.by_school[u].append(i)
        terms: list[tuple[cp_model.IntVar, int]] = []
        self.constant = 0
        saved: dict[str, int] = {}
        for urn, host in inst.hosts.items():
            self.constant += money(host.penalty)
            saved[urn] = math.ceil(host.penalty * SCALE - 1e-9)
            xs = [self.x[i] for i in self.by_school[urn]]
            if urn in inst.forced:
                m.add(sum(xs) == 1)  # rule 9: its fixed visit stands, with its group
            elif len(xs) > 1:
                m.add_at_most_one(xs)
        for i, c in enumerate(cols):
            terms.append((self.x[i], money(c.cost) - sum(saved[u] for u in c.schools)))
        # weights.change per previous pair not kept: all of them, less those a column keeps.
        self.constant += money(sc.cycle.weights.change) * sum(len(pv.team) for pv in sc.previous)
        for cut in cuts:  # valid for every plan (bound.py): they strengthen the relaxation
            if len(cut.columns) > cut.rhs:
                m.add(sum(self.x[i] for i in cut.columns) <= cut.rhs)
        self.f = self._facilitators(terms)
        self._budgets()
        self._spread()
        self.terms = terms
        m.minimize(sum(coef * v for v, coef in terms if coef) + self.constant)

    def _facilitators(self, terms) -> dict[tuple[str, str], cp_model.IntVar]:
        inst, m = self.inst, self.m
        change = inst.sc.cycle.weights.change
        need: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for i, c in enumerate(self.cols):
            for h in c.facilitated:
                need[h].append(self.x[i])
        f: dict[tuple[str, str], cp_model.IntVar] = {}
        by_facilitator: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for (k, h), seat in inst.facilitators.items():
            if h not in need:
                continue
            v = f[(k, h)] = m.new_bool_var(f"f[{k},{h}]")
            cost = seat.cost - change * seat.kept
            if inst.hosts[h].follow_up:
                cost += inst.follow_up_cost(k, h)[0]  # who leads the visit leads its follow-up
            terms.append((v, money(cost)))
            by_facilitator[k].append(v)
        for h, xs in need.items():
            m.add(sum(f[(s.rid, h)] for s in inst.facilitators_at.get(h, [])) == sum(xs))
        for k, vs in by_facilitator.items():
            if len(vs) > inst.facilitator_room[k]:
                m.add(sum(vs) <= inst.facilitator_room[k])
        return f

    def _budgets(self) -> None:
        inst, m = self.inst, self.m
        c = inst.sc.cycle

        def pence(x: float) -> int:
            return round(x * 100)

        fac_backfill = {key: pence(seat.backfill) for key, seat in inst.facilitators.items()}
        for k, h in self.f:
            if inst.hosts[h].follow_up:
                fac_backfill[(k, h)] += pence(inst.follow_up_cost(k, h)[1])
        if c.backfill_budget is not None:
            spend = [pence(col.backfill) * self.x[i] for i, col in enumerate(self.cols)]
            spend += [fac_backfill[key] * v for key, v in self.f.items()]
            # Fixed visits are columns too: their spending is in the sum.
            m.add(sum(spend) <= math.floor(c.backfill_budget * 100 + 1e-6))
        for name, limit in c.cluster_budgets.items():
            spend = [
                pence(dict(col.cluster_backfill)[name]) * self.x[i]
                for i, col in enumerate(self.cols)
                if name in dict(col.cluster_backfill)
            ]
            if spend:
                m.add(sum(spend) <= math.floor(limit * 100 + 1e-6))

    def _spread(self) -> None:
        """Rule 13's max_spread: the totals of this cycle's visiting reviewers (past reviews in
        the window plus their visits here) differ by at most max_spread."""
        inst, m = self.inst, self.m
        load = inst.sc.cycle.load
        if load is None or load.max_spread is None or not inst.spread_binds:
            return
        past = inst.rules.past_reviews
        visits: dict[str, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        for i, col in enumerate(self.cols):
            for rid, n in col.load:
                visits[rid].append((n, self.x[i]))
        # Facilitators have no home school: loads are heads' and deputies' only.
        top = max(past[rid] + sum(n for n, _ in vs) for rid, vs in visits.items())
        hi = m.new_int_var(0, top, "load_hi")
        lo = m.new_int_var(0, top, "load_lo")
        m.add(hi - lo <= load.max_spread)
        for rid, vs in visits.items():
            total = past[rid] + sum(n * v for n, v in vs)
            used = m.new_bool_var(f"visits[{rid}]")
            for _, v in vs:
                m.add_implication(v, used)
            m.add(sum(v for _, v in vs) >= used)
            m.add(total <= hi).only_enforce_if(used)
            m.add(total >= lo).only_enforce_if(used)

    # --- hints, cuts, answers ------------------------------------------------------------------

    def hint(self, chosen: list[int], leads: dict[str, str]) -> None:
        self.m.clear_hints()
        on = set(chosen)
        for i, v in enumerate(self.x):
            self.m.add_hint(v, i in on)
        for (k, h), v in self.f.items():
            self.m.add_hint(v, leads.get(h) == k)

    def forbid_together(self, chosen: list[int], leads: dict[str, str]) -> None:
        """A no-good: these groups with these facilitators are never all chosen together."""
        lits = [self.x[i].Not() for i in chosen] + [self.f[(k, h)].Not() for h, k in leads.items()]
        self.m.add_bool_or(lits)

    def read(self, solver: cp_model.CpSolver) -> tuple[list[int], dict[str, str]]:
        chosen = [i for i, v in enumerate(self.x) if solver.boolean_value(v)]
        leads = {h: k for (k, h), v in self.f.items() if solver.boolean_value(v)}
        return chosen, leads
