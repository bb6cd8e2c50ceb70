"""Rule 1 (days): which days are school days, and which days a visit occupies."""
from __future__ import annotations

import datetime as dt
from functools import cached_property

from .scenario import Review, Scenario


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

    def occupied(self, start: dt.date) -> list[dt.date]:
        """The start date and the next visit_days - 1 school days (rule 1), whatever they are.

        Used for visits that may not keep rule 1 (frozen ones), so it never fails: it walks
        forward over the calendar when the start itself is not a school day.
        """
        days = [start]
        later = [d for d in self.school_days if d > start]
        days.extend(later[: self.visit_days - 1])
        return days

    def visit_days_if_valid(self, start: dt.date) -> list[dt.date] | None:
        """The days of a visit starting on `start`, or None when rule 1's week test fails."""
        i = self.index.get(start)
        if i is None or i + self.visit_days > len(self.school_days):
            return None
        days = self.school_days[i : i + self.visit_days]
        if days[-1].isocalendar()[:2] != start.isocalendar()[:2]:
            return None  # the visit would run into the next week
        return days

    def day_problems(self, review: Review | None, school_closed: frozenset, start: dt.date,
                     school_urn: str) -> list[str]:
        """Every way a visit starting on `start` breaks rule 1, in words (empty: it keeps it)."""
        out = []
        if start.weekday() >= 5:
            out.append(f"{start} is a {start.strftime('%A')}")
        elif not (self.sc.cycle.start <= start <= self.sc.cycle.end):
            out.append(f"{start} is outside the cycle window")
        elif start in self.sc.cycle.excluded_dates:
            out.append(f"{start} is an excluded date (holiday or INSET)")
        days = self.visit_days_if_valid(start)
        if days is None:
            if not out:
                out.append(f"a {self.visit_days}-day visit from {start} does not fit in that week")
            days = self.occupied(start)
        if review is not None:
            lo, hi = self.sc.review_window(review)
            if days[0] < lo or days[-1] > hi:
                out.append(f"visit days {days[0]}..{days[-1]} are outside the school's window {lo}..{hi}")
        closed = sorted(d for d in days if d in school_closed)
        if closed:
            out.append(f"school {school_urn} is closed on {', '.join(map(str, closed))}")
        return out

    def starts_for(self, review: Review, not_before: dt.date | None = None) -> list[dt.date]:
        """Every start date rule 1 allows for this review (and no earlier than `not_before`)."""
        lo, hi = self.sc.review_window(review)
        closed = self.sc.school_by_urn[review.school_urn].closed_dates
        out = []
        for d in self.school_days:
            if d < lo or (not_before is not None and d < not_before):
                continue
            days = self.visit_days_if_valid(d)
            if days is None or days[-1] > hi or any(x in closed for x in days):
                continue
            out.append(d)
        return out
