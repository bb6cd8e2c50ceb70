"""The cycle's calendar: which days are school days, and which days a visit occupies.

Rule 1 itself (what a visit's days may not be) is in `rules.py`."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from .scenario import Scenario


class Calendar:
    """School days of one cycle, and the days a visit starting on a given date occupies."""

    def __init__(self, scenario: Scenario):
        self.sc = scenario
        c = scenario.cycle
        self.visit_days = c.visit_days

    @cached_property
    def school_days(self) -> list[dt.date]:
        c = self.sc.cycle
        days, d = [], c.start
        while d <= c.end:
            if d.weekday() < 5 and d not in c.excluded_dates:
                days.append(d)
            d += dt.timedelta(days=1)
        return days

    @cached_property
    def index(self) -> dict[dt.date, int]:
        return {d: i for i, d in enumerate(self.school_days)}

    def is_school_day(self, day: dt.date) -> bool:
        return day in self.index

    def occupied(self, start: dt.date, length: int | None = None) -> list[dt.date]:
        """The start date and the next visit_days - 1 school days (rule 1), whatever they are.

        Used for visits that may not keep rule 1 (frozen ones), so it never fails: it walks
        forward over the calendar when the start itself is not a school day. `length` is the
        visit's own length in school days (v1.1); None is the cycle's visit_days.
        """
        n = self.visit_days if length is None else length
        days = [start]
        later = [d for d in self.school_days if d > start]
        days.extend(later[: n - 1])
        return days

    def visit_days_if_valid(self, start: dt.date, length: int | None = None) -> list[dt.date] | None:
        """The days of a visit starting on `start`, or None when rule 1's week test fails."""
        n = self.visit_days if length is None else length
        i = self.index.get(start)
        if i is None or i + n > len(self.school_days):
            return None
        days = self.school_days[i : i + n]
        if days[-1].isocalendar()[:2] != start.isocalendar()[:2]:
            return None  # the visit would run into the next week
        return days
