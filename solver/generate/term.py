"""The autumn term: its window, half-term, INSET days, and the school days left."""

from __future__ import annotations

import datetime as dt

from .la import LA


def autumn_term(year: int) -> tuple[dt.date, dt.date, list[dt.date]]:
    """Window start and end, and the October half-term week, of an English autumn term."""
    # Schools go back in the first days of September; reviews start the first Monday
    # after the 1st, once the term has settled.
    start = dt.date(year, 9, 2)
    start += dt.timedelta(days=(0 - start.weekday()) % 7)
    # Reviews stop on the second Friday of December, before the Christmas-play weeks.
    end = dt.date(year, 12, 8)
    end += dt.timedelta(days=(4 - end.weekday()) % 7)
    # Half-term: the last Monday-to-Friday week that lies wholly in October.
    monday = dt.date(year, 10, 27)
    monday -= dt.timedelta(days=monday.weekday())
    half_term = [monday + dt.timedelta(days=i) for i in range(5)]
    return start, end, half_term


def add_calendar(la: LA) -> None:
    rng = la.rng
    start, end, half_term = autumn_term(la.year)
    # INSET days sit next to the holiday far more often than mid-week.
    friday_before = half_term[0] - dt.timedelta(days=3)
    monday_after = half_term[0] + dt.timedelta(days=7)
    late_friday = end - dt.timedelta(days=7 * rng.randint(1, 4))
    candidates = [d for d in (monday_after, friday_before, late_friday) if start <= d <= end]
    inset = rng.sample(candidates, k=min(len(candidates), rng.choice((1, 1, 2))))
    la.start, la.end = start, end
    la.excluded = sorted(d for d in half_term + inset if start <= d <= end)
    excluded = set(la.excluded)
    la.school_days = [
        d
        for d in (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
        if d.weekday() < 5 and d not in excluded
    ]


def some_school_days(la: LA, k: int) -> list[str]:
    return sorted(d.isoformat() for d in la.rng.sample(la.school_days, k))
