"""CSV cells that a spreadsheet will not run: formula injection (CWE-1236).

Excel, LibreOffice and Google Sheets read a cell that begins with `=`, `+`, `-` or `@` (and,
in some, a tab or carriage return before one) as a formula, so a school or reviewer named
`=HYPERLINK(...)` would run in the officer's spreadsheet. Such a cell is written with a leading
apostrophe, which spreadsheets show as text and do not evaluate (OWASP's advice).
"""

from __future__ import annotations

import csv

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """`value` as it is, or with a leading apostrophe when a spreadsheet would evaluate it."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def row(values) -> list:
    return [cell(v) for v in values]


class _Writer:
    """csv.writer's interface, every cell passed through `cell`."""

    def __init__(self, inner):
        self._inner = inner

    def writerow(self, values):
        return self._inner.writerow(row(values))

    def writerows(self, rows):
        for values in rows:
            self.writerow(values)


def writer(out, **kwargs) -> _Writer:
    """A csv.writer over `out` whose cells a spreadsheet shows as text, never runs."""
    return _Writer(csv.writer(out, **kwargs))
