"""How every list of days is stored (closed dates, days away, excluded dates): distinct ISO
strings, in order, whether they came as dates (the API's schemas, forms) or as ISO strings
(a scenario)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def iso_dates(*lists: Iterable[dt.date | str] | None) -> list[str]:
    """The distinct days of `lists` together, sorted, as ISO strings (None counts as empty)."""
    return sorted({d.isoformat() if isinstance(d, dt.date) else d for days in lists for d in days or ()})
