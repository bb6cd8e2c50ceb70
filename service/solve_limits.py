"""How long a solve may run, as a person types it: the solve form's `time_limit_s`.

The API's schema refuses what is not a finite number; the form's value arrives as text, where
`nan` and `inf` are floats to Python, so they are refused here, naming the field, before any
solve starts.
"""

from __future__ import annotations

import math

from flask import current_app

from .errors import InvalidInput

FIELD = "time_limit_s"


def check(seconds: float) -> float:
    """`seconds` if it is a finite number above zero; else a 422 naming the field."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not math.isfinite(seconds):
        raise InvalidInput(
            "the time limit must be a number of seconds", {FIELD: [f"{seconds!r} is not a finite number"]}
        )
    if seconds <= 0:
        raise InvalidInput("the time limit must be above zero", {FIELD: [f"{seconds:g} is not above zero"]})
    return seconds


def from_form(raw: str | None) -> float:
    """The form's text: empty means the service's default; a finite number is kept within 1 s and
    the service's maximum (what the form's own min and max ask of a browser)."""
    config = current_app.config
    if raw is None or not raw.strip():
        return config["SOLVE_DEFAULT_TIME_LIMIT_S"]
    try:
        seconds = float(raw)
    except ValueError:
        raise InvalidInput(
            "the time limit must be a number of seconds", {FIELD: [f"{raw!r} is not a number"]}
        ) from None
    return min(max(check(seconds), 1.0), config["SOLVE_MAX_TIME_LIMIT_S"])
