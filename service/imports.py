"""Imports from the files LAs actually have: GIAS extracts, Trafford-style CSV, reviewer lists.

Each import reads the whole file first and lists every bad row and column
(`row 7.Easting: not a number: 'x'`, rows numbered as a spreadsheet shows them,
header = row 1); only a file with no error is written, so a bad file imports
nothing.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import io
import re

from pyproj import Transformer

from solver.scenario import PHASES

from . import head_accounts
from .dates import iso_dates
from .errors import InvalidInput
from .extensions import db
from .models import LocalAuthority, Reviewer, School, Trust
from .scenario_import import named
from .spreadsheets import is_xlsx, read_xlsx

# --------------------------------------------------------------------------- reading


def decode(raw: bytes, *, latin1_first: bool) -> str:
    """GIAS extracts are Windows-1252; hand-made CSVs are usually UTF-8 (maybe with a BOM)."""
    encodings = ["cp1252", "latin-1"] if latin1_first else ["utf-8-sig", "cp1252", "latin-1"]
    if latin1_first and raw.startswith(b"\xef\xbb\xbf"):
        encodings.insert(0, "utf-8-sig")
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("the file cannot be read as text", {"file": ["not a text file"]})


def read_rows(text: str, problems: Problems) -> tuple[list[str], list[tuple[int, dict]]]:
    """The header and the non-blank rows, each with its line number; ragged rows are problems."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InvalidInput("the file is empty", {"file": ["no header row"]}) from None
    except csv.Error as exc:
        raise InvalidInput("the file is not CSV", {"file": [str(exc)]}) from None
    rows = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                problems.add(reader.line_num, "*", f"{len(values)} values for {len(header)} columns")
            # Padded so that the row's other problems are still found and reported.
            values = [v.strip() for v in values] + [""] * (len(header) - len(values))
            rows.append((reader.line_num, dict(zip(header, values, strict=False))))
    except csv.Error as exc:
        problems.add(reader.line_num, "*", f"not CSV: {exc}")
    return header, rows


class Problems:
    """Every problem of a file, keyed `row N.column` (or a file-level key)."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, line: int | None, column: str, message: str):
        key = f"row {line}.{column}" if line is not None else column
        self.errors.setdefault(key, []).append(message)

    def raise_if_any(self, what: str):
        if self.errors:
            rows = {k.split(".")[0] for k in self.errors if k.startswith("row ")}
            raise InvalidInput(
                f"{what}: {len(self.errors)} problem(s) in {len(rows)} row(s); nothing was imported", self.errors
            )


def _blank(value: str | None) -> bool:
    return value is None or value.strip() in ("", "NA", "N/A", "NULL")


def _int(p: Problems, line, column, value, *, minimum=None):
    if _blank(value):
        return None
    try:
        number = int(float(value)) if re.fullmatch(r"-?\d+(\.0+)?", value) else int(value)
    except ValueError:
        p.add(line, column, f"not a whole number: {value!r}")
        return None
    if minimum is not None and number < minimum:
        p.add(line, column, f"must be at least {minimum}: {value!r}")
    return number


def _float(p: Problems, line, column, value, *, minimum=None):
    if _blank(value):
        return None
    try:
        number = float(value)
    except ValueError:
        p.add(line, column, f"not a number: {value!r}")
        return None
    if minimum is not None and number < minimum:
        p.add(line, column, f"must be at least {minimum}: {value!r}")
    return number


def _date(p: Problems, line, column, value, formats=("%d-%m-%Y",)):
    if _blank(value):
        return None
    for fmt in formats:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    p.add(
        line,
        column,
        f"not a date ({' or '.join(f.replace('%d', 'dd').replace('%m', 'mm').replace('%Y', 'yyyy') for f in formats)}): {value!r}",
    )
    return None


@functools.cache
def _bng_to_wgs84():
    # always_xy: (easting, northing) in, (lon, lat) out, whatever the CRS axis order.
    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def lat_lon(easting: float, northing: float) -> tuple[float, float]:
    lon, lat = _bng_to_wgs84().transform(easting, northing)
    return round(lat, 6), round(lon, 6)


# --------------------------------------------------------------------------- phases


def phase_from_ages(low: int | None, high: int | None) -> str | None:
    """The scenario's phase from a statutory age range (Trafford's file has no phase column)."""
    if low is None or high is None:
        return None
    if low >= 16:
        return "16-plus"
    if high <= 5:
        return "nursery"
    if low >= 11:
        return "secondary"
    if high <= 11:
        return "primary"
    if low >= 7 and high <= 14:
        return "middle"  # 8–12, 9–13: the middle schools of two- and three-tier areas
    return "all-through"


GIAS_PHASES = {
    "nursery": "nursery",
    "primary": "primary",
    "middle deemed primary": "middle",
    "middle deemed secondary": "middle",
    "secondary": "secondary",
    "all-through": "all-through",
    "16 plus": "16-plus",
}


def phase_from_type(type_name: str, group_name: str) -> str | None:
    """Special schools and PRUs have phase "Not applicable" in GIAS; their type tells."""
    t, g = type_name.lower(), group_name.lower()
    if "special" in t or g == "special schools":
        return "special"
    if "pupil referral" in t or "alternative provision" in t:
        return "pru"
    return None


# --------------------------------------------------------------------------- schools

GIAS_REQUIRED = [
    "URN",
    "LA (code)",
    "EstablishmentName",
    "EstablishmentStatus (name)",
    "PhaseOfEducation (name)",
    "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (name)",
    "StatutoryLowAge",
    "StatutoryHighAge",
    "Trusts (name)",
    "Easting",
    "Northing",
    "NumberOfPupils",
    "Postcode",
    "OpenDate",
]
TRAFFORD_REQUIRED = [
    "name",
    "local_authority_code",
    "unique_reference_number",
    "type",
    "lowest_admission_age",
    "highest_admission_age",
    "sponsoring_trust",
    "postcode",
    "lon",
    "lat",
]
OPEN = {"open", "open, but proposed to close"}


def detect_format(header: list[str]) -> str | None:
    if "URN" in header and "EstablishmentName" in header:
        return "gias"
    if "unique_reference_number" in header:
        return "trafford"
    return None


def _gias_school(p: Problems, line: int, row: dict) -> dict:
    low = _int(p, line, "StatutoryLowAge", row["StatutoryLowAge"], minimum=0)
    high = _int(p, line, "StatutoryHighAge", row["StatutoryHighAge"], minimum=0)
    phase_name = row["PhaseOfEducation (name)"]
    if phase_name.lower() in GIAS_PHASES:
        phase = GIAS_PHASES[phase_name.lower()]
    elif phase_name.lower() in ("not applicable", ""):
        phase = phase_from_type(
            row["TypeOfEstablishment (name)"], row["EstablishmentTypeGroup (name)"]
        ) or phase_from_ages(low, high)
    else:
        p.add(line, "PhaseOfEducation (name)", f"unknown phase: {phase_name!r}")
        phase = None
    easting = _float(p, line, "Easting", row["Easting"], minimum=0)
    northing = _float(p, line, "Northing", row["Northing"], minimum=0)
    lat = lon = None
    if (easting is None) != (northing is None) and not (_blank(row["Easting"]) and _blank(row["Northing"])):
        p.add(line, "Northing" if northing is None else "Easting", "give both Easting and Northing, or neither")
    elif easting is not None and northing is not None:
        if easting > 700000 or northing > 1300000:
            p.add(line, "Easting", f"outside Great Britain: {easting:.0f}, {northing:.0f}")
        else:
            lat, lon = lat_lon(easting, northing)
    return {
        "name": row["EstablishmentName"] or None,
        "la_code": row["LA (code)"],
        "phase": phase,
        "trust": None if _blank(row["Trusts (name)"]) else row["Trusts (name)"],
        "lat": lat,
        "lon": lon,
        "pupils": _int(p, line, "NumberOfPupils", row["NumberOfPupils"], minimum=0),
        "postcode": row["Postcode"] or None,
        "opened_on": _date(p, line, "OpenDate", row["OpenDate"]),
    }


def _trafford_school(p: Problems, line: int, row: dict) -> dict:
    low = _int(p, line, "lowest_admission_age", row["lowest_admission_age"], minimum=0)
    high = _int(p, line, "highest_admission_age", row["highest_admission_age"], minimum=0)
    phase = phase_from_type(row["type"], row["type"]) or phase_from_ages(low, high)
    lat = _float(p, line, "lat", row["lat"])
    lon = _float(p, line, "lon", row["lon"])
    if lat is not None and not 49 <= lat <= 61:
        p.add(line, "lat", f"outside England: {lat}")
    if lon is not None and not -7 <= lon <= 2:
        p.add(line, "lon", f"outside England: {lon}")
    if (lat is None) != (lon is None):
        p.add(line, "lat", "give both lat and lon, or neither")
    return {
        "name": row["name"] or None,
        "la_code": row["local_authority_code"],
        "phase": phase,
        "trust": None if _blank(row["sponsoring_trust"]) else row["sponsoring_trust"],
        "lat": lat,
        "lon": lon,
        "pupils": None,
        "postcode": None if _blank(row["postcode"]) else row["postcode"],
        "opened_on": None,
    }


@dataclasses.dataclass
class ParsedFile:
    """A checked upload, not yet written: its header, and each row's line, key and values."""

    fmt: str
    header: list[str]
    rows: list[tuple[int, str, dict]]
    skipped: int = 0


def parse_schools(la: LocalAuthority, raw: bytes, fmt: str = "auto") -> ParsedFile:
    """Read and check a GIAS extract or a Trafford-style CSV; raise InvalidInput listing every problem.

    Rows of other LAs and establishments that are not open are skipped, so the
    national extract can be uploaded as downloaded. Nothing is written.
    """
    if fmt == "auto":
        header, _ = read_rows(decode(raw, latin1_first=False), Problems())
        fmt = detect_format(header)
        if fmt is None:
            raise InvalidInput(
                "unknown file layout",
                {
                    "file": [
                        "expected a GIAS establishment extract (URN, EstablishmentName, …) "
                        "or a Trafford-style CSV (unique_reference_number, name, …)"
                    ]
                },
            )
    p = Problems()
    # A GIAS extract is Windows-1252, whatever else the file might pass for.
    header, rows = read_rows(decode(raw, latin1_first=(fmt == "gias")), p)
    required = GIAS_REQUIRED if fmt == "gias" else TRAFFORD_REQUIRED
    for column in required:
        if column not in header:
            p.add(None, f"columns.{column}", "missing column")
    p.raise_if_any("the file lacks required columns")

    urn_col = "URN" if fmt == "gias" else "unique_reference_number"
    la_col = "LA (code)" if fmt == "gias" else "local_authority_code"
    parsed, seen, skipped = [], {}, 0
    for line, row in rows:
        if row.get(la_col, "") != la.code:
            skipped += 1
            continue
        if fmt == "gias" and row["EstablishmentStatus (name)"].lower() not in OPEN:
            skipped += 1
            continue
        urn = row.get(urn_col, "")
        if not re.fullmatch(r"\d{5,8}", urn):
            p.add(line, urn_col, f"not a URN (5 to 8 digits): {urn!r}")
        elif urn in seen:
            p.add(line, urn_col, f"URN {urn} also on row {seen[urn]}")
        else:
            seen[urn] = line
        values = _gias_school(p, line, row) if fmt == "gias" else _trafford_school(p, line, row)
        if not values["name"]:
            p.add(line, "EstablishmentName" if fmt == "gias" else "name", "missing")
        parsed.append((line, urn, values))
    p.raise_if_any(f"the {fmt} file was refused")
    return ParsedFile(fmt, header, parsed, skipped)


def write_schools(la: LocalAuthority, parsed: ParsedFile) -> dict:
    """Upsert the parsed schools by URN (the caller commits once)."""
    existing = {s.urn: s for s in db.session.scalars(db.select(School).where(School.la_id == la.id))}
    created = updated = 0
    for _line, urn, values in parsed.rows:
        school = existing.get(urn)
        if school is None:
            school = School(la_id=la.id, urn=urn, closed_dates=[])
            db.session.add(school)
            created += 1
        else:
            updated += 1
        values = dict(values)
        trust = values.pop("trust")
        for key, value in values.items():
            setattr(school, key, value)
        school.trust = named(Trust, la.id, trust) if trust else None
    db.session.flush()
    return {"created": created, "updated": updated, "skipped": parsed.skipped}


def import_schools(la: LocalAuthority, raw: bytes, fmt: str = "auto") -> dict:
    """Upsert the LA's schools (by URN) from a GIAS extract or a Trafford-style CSV; a bad file writes nothing."""
    return write_schools(la, parse_schools(la, raw, fmt))


# --------------------------------------------------------------------------- reviewers

REVIEWER_COLUMNS = [
    "id",
    "name",
    "school_urn",
    "role",
    "lead_accredited",
    "phases",
    "specialisms",
    "max_reviews",
    "day_rate",
    "unavailable",
    "email",  # a headteacher's address: their school's headteacher account (service/head_accounts.py)
]
TRUE, FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0", ""}


def _list(value: str) -> list[str]:
    return [v.strip() for v in re.split(r"[;|]", value or "") if v.strip()]


def read_table(raw: bytes, problems: Problems) -> tuple[list[str], list[tuple[int, dict]]]:
    """A CSV file or an Excel workbook (.xlsx, first sheet), as the header and numbered rows."""
    if is_xlsx(raw):
        return read_xlsx(raw, problems)
    return read_rows(decode(raw, latin1_first=False), problems)


def parse_reviewers(la: LocalAuthority, raw: bytes) -> ParsedFile:
    """Read and check a reviewers list (CSV or XLSX, the columns of REVIEWER_COLUMNS); nothing is written.

    Lists (phases, specialisms, unavailable) are separated by `;`; dates are
    ISO (yyyy-mm-dd) or dd/mm/yyyy; only `id` is required.
    """
    p = Problems()
    header, rows = read_table(raw, p)
    if "id" not in header:
        p.add(None, "columns.id", "missing column")
    for column in header:
        if column not in REVIEWER_COLUMNS:
            p.add(None, f"columns.{column}", f"unknown column (known: {', '.join(REVIEWER_COLUMNS)})")
    p.raise_if_any("the reviewers file was refused")

    schools = {s.urn: s for s in db.session.scalars(db.select(School).where(School.la_id == la.id))}
    known = {r.ext_id: r for r in db.session.scalars(db.select(Reviewer).where(Reviewer.la_id == la.id))}
    parsed, seen, addresses = [], {}, {}
    for line, row in rows:
        rid = row.get("id", "")
        if not rid:
            p.add(line, "id", "missing")
        elif rid in seen:
            p.add(line, "id", f"id {rid} also on row {seen[rid]}")
        else:
            seen[rid] = line
        values = {}
        if "name" in row:
            values["name"] = row["name"] or None
        if "school_urn" in row:
            urn = row["school_urn"]
            if urn and urn not in schools:
                p.add(line, "school_urn", f"unknown school '{urn}'")
            values["school"] = schools.get(urn) if urn else None
        if "role" in row:
            values["role"] = row["role"] or "headteacher"
        if "lead_accredited" in row:
            flag = row["lead_accredited"].lower()
            if flag not in TRUE | FALSE:
                p.add(line, "lead_accredited", f"not yes/no: {row['lead_accredited']!r}")
            values["lead_accredited"] = flag in TRUE
        if "phases" in row:
            phases = _list(row["phases"])
            for phase in phases:
                if phase not in PHASES:
                    p.add(line, "phases", f"unknown phase {phase!r} (one of {', '.join(PHASES)})")
            values["phases"] = phases or None
        if "specialisms" in row:
            tags = _list(row["specialisms"])
            for tag in tags:
                if not re.fullmatch(r"[a-z0-9][a-z0-9_\-]*", tag):
                    p.add(line, "specialisms", f"not a lower-case tag: {tag!r}")
            values["specialisms"] = tags
        if "max_reviews" in row:
            n = _int(p, line, "max_reviews", row["max_reviews"], minimum=0)
            values["max_reviews"] = 1 if n is None else n
        if "day_rate" in row:
            rate = _float(p, line, "day_rate", row["day_rate"], minimum=0)
            values["day_rate"] = 0.0 if rate is None else rate
        if "unavailable" in row:
            dates = [
                _date(p, line, "unavailable", d, ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"))
                for d in _list(row["unavailable"])
            ]
            values["unavailable"] = iso_dates(d for d in dates if d)
        if row.get("email"):
            _head_email(p, line, row["email"], values, known.get(rid), addresses)
        parsed.append((line, rid, values))
    p.raise_if_any("the reviewers file was refused")
    return ParsedFile("reviewers", header, parsed)


def _head_email(p: Problems, line: int, text: str, values: dict, known: Reviewer | None, seen: dict) -> None:
    """A headteacher reviewer's address: checked here, kept as their school's account on writing."""
    try:
        email = head_accounts.clean_email(text, "email")
    except InvalidInput as error:
        p.add(line, "email", error.errors["email"][0])
        return
    role = values.get("role") or (known.role if known else "headteacher")
    school = values.get("school", known.school if known else None)
    if role != "headteacher":
        p.add(line, "email", f"only a headteacher's address is kept (this reviewer's role is {role})")
    elif school is None:
        p.add(line, "email", "a headteacher's address needs their school (school_urn)")
    elif email in seen:
        p.add(line, "email", f"{email} is also on row {seen[email]}")
    elif (holder := head_accounts.holder(email)) is not None and not (
        holder.role == "headteacher" and holder.school_id == school.id
    ):
        p.add(line, "email", f"{email} is already the address of another account")
    else:
        seen[email] = line
        values["email"] = email


def write_reviewers(la: LocalAuthority, parsed: ParsedFile) -> dict:
    """Upsert the parsed reviewers by id, and headteachers' accounts where an address is given
    (the caller commits once)."""
    existing = {r.ext_id: r for r in db.session.scalars(db.select(Reviewer).where(Reviewer.la_id == la.id))}
    created = updated = accounts = 0
    for line, rid, values in parsed.rows:
        reviewer = existing.get(rid)
        if reviewer is None:
            reviewer = Reviewer(la_id=la.id, ext_id=rid, specialisms=[], unavailable=[])
            db.session.add(reviewer)
            created += 1
        else:
            updated += 1
        for key, value in values.items():
            if key != "email":
                setattr(reviewer, key, value)
        if values.get("email"):
            before = head_accounts.head_of(reviewer.school)
            if head_accounts.set_head(reviewer.school, values["email"], field=f"row {line}.email") is not before:
                accounts += 1
    db.session.flush()
    return {"created": created, "updated": updated, "head_accounts": accounts}


def import_reviewers(la: LocalAuthority, raw: bytes) -> dict:
    """Upsert reviewers (by id) from a CSV or XLSX list; a bad file writes nothing."""
    return write_reviewers(la, parse_reviewers(la, raw))
