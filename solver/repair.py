"""Step 3, date and repair: dates for the chosen teams, and cuts for the teams that have none.

`dating.date_teams` dates the teams (rules 1 and 4 across visits). A team that cannot be
dated clashes with others (a shared reviewer, a head who must be home); the smallest set of
teams that still cannot be dated together becomes a no-good, which the pairing model then
rules out before it pairs again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .dating import components, date_teams
from .halves import Nogood
from .instance import Instance
from .pairing import Teams


@dataclass(frozen=True)
class Dated:
    dates: dict[str, dt.date]  # school URN -> start date
    undated: list[str]  # reviews whose team could not be dated


def dates_for(inst: Instance, teams: Teams, time_limit: float, workers: int, seed: int) -> Dated:
    dates, undated = date_teams(inst, teams, time_limit=time_limit, workers=workers, seed=seed)
    return Dated(dates, undated)


def nogoods_for(inst: Instance, teams: Teams, undated: list[str], workers: int, seed: int) -> list[Nogood]:
    """One no-good per group of clashing teams that holds an undated one."""
    clash = set(undated)
    out = []
    for group in components(inst, teams):
        if group & clash:
            core = clash_core(inst, {u: teams[u] for u in group}, workers, seed)
            out.append([(rid, urn) for urn in core for rid in teams[urn]])
    return out


def clash_core(inst: Instance, group: Teams, workers: int, seed: int) -> list[str]:
    """A small set of these teams that still cannot all be dated (a deletion filter): the
    smaller the set, the more plans the resulting no-good leaves open."""
    core = sorted(group)
    for urn in list(core):
        if len(core) == 1:
            break
        trial = {u: group[u] for u in core if u != urn}
        _, undated = date_teams(inst, trial, time_limit=1.0, workers=workers, seed=seed)
        if undated:
            core.remove(urn)
    return core
