"""The pairing model: who reviews which school (and, `with_support`, who supports whom).

Dates are left to `dating.py`. Every rule on teams that does not need a date is here (team,
lead, capacity, conflicts via the eligible pairs, reciprocity, budgets), plus the date
clashes that can be seen pairwise. The model is therefore a relaxation of its half of the
problem: its proven bound is a proven bound of that half, and when its optimum can be dated
that half is proven optimal. The support half is usually solved apart (`support.py`); the
joint model is for cycles where the support conflict rule makes the halves pull apart.

Costs are in pounds scaled by SCALE and rounded *down*, so every plan's model cost is at most
its true cost and the model's bound stays a true lower bound.
"""

from __future__ import annotations

import math
from collections import defaultdict

from ortools.sat.python import cp_model

from .instance import Instance

SCALE = 10_000  # 1/100 of a penny


def money(x: float) -> int:
    return math.floor(x * SCALE + 1e-9)


class PairingModel:
    """`keep`: the (reviewer, school) pairs to model (None: every eligible pair). A model of
    some pairs only is a restriction of the cycle's: its bound holds for plans of those
    pairs, so whoever leaves pairs out sets `left_out`, a proven floor of every plan that
    uses one of them (`relax.py`), and `floor`, a proven bound of the whole model; the
    search then reports `max(floor, min(its bound, left_out))` (`pairing.pair`)."""

    def __init__(
        self,
        inst: Instance,
        with_support: bool = False,
        keep: set[tuple[str, str]] | None = None,
        shares: dict[str | None, float] | None = None,
    ):
        """`shares`: the pounds this model may spend of each budget (None: the LA's backfill
        budget, else a cluster's), in place of what the fixed visits leave: a part of a split
        cycle gets its share (`split.py`)."""
        self.inst = inst
        self.shares = shares or {}
        self.left_out: float | None = None  # pounds, in this model's terms (with support: both halves)
        self.floor: float | None = None  # pounds, likewise
        sc = inst.sc
        c, w = sc.cycle, sc.cycle.weights
        m = self.m = cp_model.CpModel()
        self.x: dict[tuple[str, str], cp_model.IntVar] = {}
        self.y: dict[str, cp_model.IntVar] = {}
        self.u: dict[tuple[str, str], cp_model.IntVar] = {}
        self.support_terms: list[tuple[cp_model.IntVar, int]] = []
        self.support_constant = 0
        self.constant = 0  # scaled cost that no decision changes
        terms: list[tuple[cp_model.IntVar, int]] = []

        # In the instance's order whatever `keep` is: the same model for the same pairs.
        pairs = [(k, p) for k, p in inst.pairs.items() if keep is None or k in keep]
        by_review: dict[str, list[str]] = defaultdict(list)
        by_reviewer: dict[str, list[str]] = defaultdict(list)
        for (rid, urn), _ in pairs:
            by_review[urn].append(rid)
            by_reviewer[rid].append(urn)
        self.by_review, self.by_reviewer = by_review, by_reviewer

        for (rid, urn), p in pairs:
            v = m.new_bool_var(f"x[{rid},{urn}]")
            self.x[(rid, urn)] = v
            terms.append((v, money(p.cost)))

        reviewers = sc.reviewer_by_id
        for rv in inst.open_reviews:
            urn = rv.school_urn
            y = self.y[urn] = m.new_bool_var(f"y[{urn}]")
            penalty = money(w.unstaffed * rv.priority)
            self.constant += penalty
            terms.append((y, -penalty))
            size = sc.team_size_of(rv)
            xs = [self.x[(rid, urn)] for rid in by_review[urn]]
            leads = [self.x[(rid, urn)] for rid in by_review[urn] if reviewers[rid].lead_accredited]
            if len(xs) < size or (c.lead_required and not leads):
                m.add(y == 0)
                continue
            m.add(sum(xs) == size * y)  # rule 2: a whole team or none
            for v in xs:
                m.add_implication(v, y)  # x <= y: a tighter relaxation
            if c.lead_required:
                m.add(sum(leads) >= y)
            self._no_common_day_cuts(urn, by_review[urn])

        self._date_clash_cuts()

        # Rule 3: capacity, less what fixed visits already use.
        for rid, urns in by_reviewer.items():
            cap = inst.capacity[rid]
            if len(urns) > cap:
                m.add(sum(self.x[(rid, u)] for u in urns) <= cap)

        self._reciprocity()
        self._budgets()
        if with_support:
            self._support(terms)
        self._changes(terms)

        self.terms = terms
        m.minimize(sum(coef * v for v, coef in terms if coef) + self.constant)

    # --- pieces -----------------------------------------------------------------------

    def _no_common_day_cuts(self, urn: str, rids: list[str]):
        """Two reviewers with no common free start date for this review never share its team."""
        pairs = self.inst.pairs
        full = self.inst.starts[urn]
        half = bin(full).count("1") / 2
        # Only reviewers free on at most half the dates can clash with anybody.
        narrow = [r for r in rids if bin(pairs[(r, urn)].starts).count("1") <= half]
        for a in narrow:
            ma = pairs[(a, urn)].starts
            for b in rids:
                if b == a or (b in narrow and b < a):
                    continue
                if not ma & pairs[(b, urn)].starts:
                    self.m.add_bool_or([self.x[(a, urn)].Not(), self.x[(b, urn)].Not()])

    def _date_clash_cuts(self):
        """Pairs of choices that can never be dated together (rule 4), seen from the start-date
        sets alone: a reviewer's visit and their own school's visit, or two visits of one
        reviewer, whose every pair of possible dates would share a day."""
        inst = self.inst
        vd = inst.sc.cycle.visit_days

        def bits(mask):
            return [i for i in range(mask.bit_length()) if mask >> i & 1]

        def always_clash(a: int, b: int) -> bool:
            if bin(a).count("1") * bin(b).count("1") > 16:
                return False  # with this many dates a clash-free pair exists in practice; no cut
            return all(abs(i - j) < vd for i in bits(a) for j in bits(b))

        for (rid, urn), v in self.x.items():
            home = inst.sc.reviewer_by_id[rid].school_urn
            if home in self.y and always_clash(inst.pairs[(rid, urn)].starts, inst.starts[home]):
                self.m.add_bool_or([v.Not(), self.y[home].Not()])
        for rid, urns in self.by_reviewer.items():
            if inst.capacity[rid] < 2:
                continue
            for i, a in enumerate(urns):
                for b in urns[i + 1 :]:
                    if always_clash(inst.pairs[(rid, a)].starts, inst.pairs[(rid, b)].starts):
                        self.m.add_bool_or([self.x[(rid, a)].Not(), self.x[(rid, b)].Not()])

    def _reciprocity(self):
        inst = self.inst
        if not inst.rules.reciprocity_applies():
            return
        sc = inst.sc
        # visits[(A, B)]: the x's of reviewers from school A visiting school B.
        visits: dict[tuple[str, str], list] = defaultdict(list)
        for (rid, urn), v in self.x.items():
            home = sc.reviewer_by_id[rid].school_urn
            if home is not None:
                visits[(home, urn)].append(v)
        fixed_dirs = {
            (sc.reviewer_by_id[m.reviewer].school_urn, urn)
            for urn, pv in inst.fixed.items()
            for m in pv.team
            if sc.reviewer_by_id[m.reviewer].school_urn
        }
        for (a, b), xs in visits.items():
            if (b, a) in fixed_dirs:
                for v in xs:
                    self.m.add(v == 0)
                continue
            back = visits.get((b, a))
            if not back or a > b:
                continue
            if len(xs) * len(back) <= 4:
                for v in xs:
                    for w in back:
                        self.m.add_bool_or([v.Not(), w.Not()])
            else:
                ab = self.m.new_bool_var(f"dir[{a},{b}]")
                for v in xs:
                    self.m.add_implication(v, ab)
                for w in back:
                    self.m.add_implication(w, ab.Not())

    def _budgets(self):
        inst, sc = self.inst, self.inst.sc
        c = sc.cycle
        vd = c.visit_days

        def backfill(rid):
            return round(sc.reviewer_by_id[rid].day_rate * vd * 100)  # pence, exact for money inputs

        if c.backfill_budget is not None:
            left = math.floor(self.shares.get(None, c.backfill_budget - inst.fixed_backfill) * 100 + 1e-6)
            self.m.add(sum(backfill(rid) * v for (rid, _), v in self.x.items()) <= left)
        for name, limit in c.cluster_budgets.items():
            xs = [
                (rid, v)
                for (rid, _), v in self.x.items()
                if (home := inst.rules.home(sc.reviewer_by_id[rid])) is not None and home.cluster == name
            ]
            left = math.floor(self.shares.get(name, limit - inst.fixed_cluster_backfill[name]) * 100 + 1e-6)
            if xs:
                self.m.add(sum(backfill(rid) * v for rid, v in xs) <= left)

    def _support(self, terms):
        inst, sc = self.inst, self.inst.sc
        w = sc.cycle.weights
        reqs = {q.id: q for q in sc.support_requests}
        provs = {p.id: p for p in sc.providers}
        by_req: dict[str, list] = defaultdict(list)
        by_prov: dict[str, list] = defaultdict(list)
        for (qid, pid), cost in inst.support_pairs.items():
            v = self.m.new_bool_var(f"u[{qid},{pid}]")
            self.u[(qid, pid)] = v
            by_req[qid].append(v)
            by_prov[pid].append((reqs[qid].days, v))
            self.support_terms.append((v, money(cost)))
        for q in sc.support_requests:
            penalty = money(w.unmet_support * q.priority)
            self.support_constant += penalty
            if by_req[q.id]:
                self.m.add(sum(by_req[q.id]) <= 1)
                for v in by_req[q.id]:
                    self.support_terms.append((v, -penalty))
        self.constant += self.support_constant
        terms.extend(self.support_terms)
        for pid, items in by_prov.items():
            if sum(d for d, _ in items) > provs[pid].capacity_days:
                self.m.add(sum(d * v for d, v in items) <= provs[pid].capacity_days)
        if sc.cycle.support_budget is not None and self.u:
            self.m.add(
                sum(round(reqs[q].days * provs[p].day_rate * 100) * v for (q, p), v in self.u.items())
                <= math.floor(sc.cycle.support_budget * 100 + 1e-6)
            )
        if inst.rules.support_conflict_applies():
            # No reviewer from a provider's school visits a school that provider supports.
            fixed_dirs = {
                (sc.reviewer_by_id[m.reviewer].school_urn, urn) for urn, pv in inst.fixed.items() for m in pv.team
            }
            for (qid, pid), v in self.u.items():
                home, target = provs[pid].school_urn, reqs[qid].school_urn
                if (home, target) in fixed_dirs:
                    self.m.add(v == 0)
                    continue
                for r in inst.rules.reviewers_of_school.get(home, []):
                    xv = self.x.get((r.id, target))
                    if xv is not None:
                        self.m.add_bool_or([v.Not(), xv.Not()])

    def _changes(self, terms):
        """A previous (reviewer, school) pair not kept costs weights.change."""
        inst, sc = self.inst, self.inst.sc
        price = money(sc.cycle.weights.change)
        for pv in sc.previous:
            if pv.school_urn in inst.fixed:
                continue  # kept by construction
            for mbr in pv.team:
                self.constant += price
                v = self.x.get((mbr.reviewer, pv.school_urn))
                if v is not None:
                    terms.append((v, -price))

    def support_floor(self, pounds: float):
        """Cut: the support half costs at least this proven bound of the support half alone.
        Its knapsack relaxation would otherwise meet requests in fractions."""
        if self.support_terms:
            self.m.add(
                sum(coef * v for v, coef in self.support_terms if coef) + self.support_constant
                # Each request's floored cost may sit up to one unit under its cost.
                >= math.floor(pounds * SCALE) - len(self.inst.sc.support_requests)
            )

    # --- hints and cuts ---------------------------------------------------------------

    def hint(self, assignment: dict[str, list[str]], support: dict[str, str] | None = None):
        self.m.clear_hints()
        for (qid, pid), v in self.u.items():
            self.m.add_hint(v, (support or {}).get(qid) == pid)
        chosen = {(rid, urn) for urn, rids in assignment.items() for rid in rids}
        for key, v in self.x.items():
            self.m.add_hint(v, key in chosen)
        for urn, y in self.y.items():
            self.m.add_hint(y, urn in assignment)

    def forbid_together(self, pairs: list[tuple[str, str]]):
        """A no-good: these (reviewer, school) pairs are never all chosen together."""
        self.m.add_bool_or([self.x[p].Not() for p in pairs])

    def read(self, solver: cp_model.CpSolver) -> dict[str, list[str]]:
        teams: dict[str, list[str]] = defaultdict(list)
        for (rid, urn), v in self.x.items():
            if solver.boolean_value(v):
                teams[urn].append(rid)
        return dict(teams)

    def read_support(self, solver: cp_model.CpSolver) -> dict[str, str]:
        return {qid: pid for (qid, pid), v in self.u.items() if solver.boolean_value(v)}
