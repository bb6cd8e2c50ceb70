"""Excel workbooks (.xlsx) read as the CSV reader reads a file, and the templates officers download.

Cells come back as the text a person sees in them: 2.0 -> "2", a date cell -> "2026-09-14",
TRUE -> "yes"; rows keep the numbers the spreadsheet shows (header = row 1).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from .errors import InvalidInput

XLSX_MAGIC = b"PK\x03\x04"


def is_xlsx(raw: bytes) -> bool:
    return raw.startswith(XLSX_MAGIC)


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_xlsx(raw: bytes, problems) -> tuple[list[str], list[tuple[int, dict]]]:
    """The first sheet's header and its non-blank rows, each with its row number."""
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput("the file is not an Excel workbook", {"file": [f"cannot open it as .xlsx: {exc}"]}) from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        if first is None:
            raise InvalidInput("the file is empty", {"file": ["no header row"]})
        header = [cell_text(v) for v in first]
        while header and not header[-1]:
            header.pop()
        out = []
        for number, values in enumerate(rows, start=2):
            texts = [cell_text(v) for v in values]
            if not any(texts):
                continue
            if any(texts[len(header) :]):
                problems.add(number, "*", f"values beyond the {len(header)} named columns")
            texts = texts[: len(header)] + [""] * (len(header) - len(texts))
            out.append((number, dict(zip(header, texts, strict=False))))
        return header, out
    finally:
        workbook.close()


def xlsx_bytes(header: list[str], rows: list[list], sheet: str = "Sheet1") -> bytes:
    """A one-sheet workbook: a bold header row, then `rows`."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for i, name in enumerate(header, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, len(name) + 2)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
