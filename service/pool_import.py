"""Pool uploads with a preview: check a school or reviewer file, show what it would change,
write it only when the officer confirms.

The reading and checking are `service.imports`' (the API's imports call the same functions):
this module compares a checked file with the pool (rows to add, change and leave), keeps the
upload server-side between preview and confirmation (bound to the user, expiring), and on
confirmation writes exactly what the preview showed, in the caller's one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import secrets

from openpyxl.utils import get_column_letter

from . import audit, head_accounts, imports
from .errors import Conflict, InvalidInput, NotFound
from .extensions import db
from .models import LocalAuthority, PoolUpload, Reviewer, School, User, utcnow

KINDS = ("schools", "reviewers")
UPLOAD_MINUTES = 60

SCHOOL_FIELDS = {
    "name": "Name",
    "la_code": "LA code",
    "phase": "Phase",
    "trust": "Trust",
    "lat": "Latitude",
    "lon": "Longitude",
    "pupils": "Pupils",
    "postcode": "Postcode",
    "opened_on": "Opened",
}
REVIEWER_FIELDS = {
    "name": "Name",
    "school": "Home school",
    "role": "Role",
    "lead_accredited": "Lead accredited",
    "phases": "Phases",
    "specialisms": "Specialisms",
    "max_reviews": "Most reviews",
    "day_rate": "Day rate",
    "unavailable": "Away on",
    "email": "Headteacher's e-mail",
}


@dataclasses.dataclass
class Preview:
    kind: str
    filename: str
    fmt: str
    add: list[dict]
    change: list[dict]
    same: list[dict]
    skipped: int

    def fingerprint(self) -> str:
        key = [[r["key"] for r in self.add], [[r["key"], r["changes"]] for r in self.change]]
        return hashlib.sha256(json.dumps(key, default=str, sort_keys=True).encode()).hexdigest()


@dataclasses.dataclass
class BadFile:
    """Every problem of a refused file, as the spreadsheet numbers its rows and letters its columns."""

    message: str
    problems: list[dict]  # {row, column, column_name, message}; row/column None for the whole file


def _shown(value) -> str:
    if value is None or value == [] or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, School):
        return f"{value.name or value.urn} ({value.urn})"
    return str(value)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 1e-6
    if isinstance(a, School) or isinstance(b, School):
        return getattr(a, "id", None) == getattr(b, "id", None)
    if isinstance(a, list) or isinstance(b, list):
        return list(a or []) == list(b or [])
    return a == b


def _school_now(s: School) -> dict:
    return {
        "name": s.name,
        "la_code": s.la_code,
        "phase": s.phase,
        "trust": s.trust.name if s.trust else None,
        "lat": s.lat,
        "lon": s.lon,
        "pupils": s.pupils,
        "postcode": s.postcode,
        "opened_on": s.opened_on,
    }


def _reviewer_now(r: Reviewer, heads: dict[int, str]) -> dict:
    return {
        "name": r.name,
        "school": r.school,
        "role": r.role,
        "lead_accredited": r.lead_accredited,
        "phases": r.phases,
        "specialisms": r.specialisms,
        "max_reviews": r.max_reviews,
        "day_rate": r.day_rate,
        "unavailable": r.unavailable,
        "email": heads.get(r.school_id) if r.school_id else None,
    }


def _parse(la: LocalAuthority, kind: str, raw: bytes) -> imports.ParsedFile:
    return imports.parse_schools(la, raw) if kind == "schools" else imports.parse_reviewers(la, raw)


def preview(la: LocalAuthority, kind: str, raw: bytes, filename: str) -> Preview:
    """What the file would do to the pool; raises InvalidInput (every problem) for a bad file."""
    if kind not in KINDS:
        raise NotFound("no such upload")
    parsed = _parse(la, kind, raw)
    if kind == "schools":
        existing = {s.urn: s for s in db.session.scalars(db.select(School).where(School.la_id == la.id))}
        now, labels = _school_now, SCHOOL_FIELDS
    else:
        existing = {r.ext_id: r for r in db.session.scalars(db.select(Reviewer).where(Reviewer.la_id == la.id))}
        heads = head_accounts.heads_by_school(la.id)
        now, labels = functools.partial(_reviewer_now, heads=heads), REVIEWER_FIELDS
    add, change, same = [], [], []
    for line, key, values in parsed.rows:
        row = {"line": line, "key": key, "name": values.get("name") or key}
        current = existing.get(key)
        if current is None:
            row["values"] = [(labels[f], _shown(v)) for f, v in values.items() if f in labels and v not in (None, [])]
            add.append(row)
            continue
        before = now(current)
        row["changes"] = [
            (labels[f], _shown(before[f]), _shown(v))
            for f, v in values.items()
            if f in labels and not _same(before[f], v)
        ]
        (change if row["changes"] else same).append(row)
    return Preview(kind, filename, parsed.fmt, add, change, same, parsed.skipped)


def bad_file(kind: str, raw: bytes, error: InvalidInput) -> BadFile:
    """The refusal's `row N.Column` keys as spreadsheet rows and column letters (A, B, …, AA)."""
    try:
        header, _ = imports.read_table(raw, imports.Problems())
    except InvalidInput:
        header = []
    problems = []
    for key, messages in error.errors.items():
        row = column = name = None
        if key.startswith("row "):
            where, _, name = key[4:].partition(".")
            row = int(where) if where.isdigit() else None
            if name in header:
                column = get_column_letter(header.index(name) + 1)
            elif name == "*":
                name = None
        elif key.startswith("columns."):
            name = key.removeprefix("columns.")
        for message in messages:
            problems.append({"row": row, "column": column, "column_name": name, "message": message})
    problems.sort(key=lambda p: (p["row"] or 0, len(p["column"] or ""), p["column"] or ""))
    return BadFile(error.message, problems)


def _purge_expired() -> None:
    db.session.execute(db.delete(PoolUpload).where(PoolUpload.expires_at < utcnow()))


def keep(user: User, result: Preview, raw: bytes) -> PoolUpload:
    """Keep a previewed file for its confirmation (the caller commits)."""
    _purge_expired()
    upload = PoolUpload(
        id=secrets.token_urlsafe(24),
        user_id=user.id,
        la_id=user.la_id,
        kind=result.kind,
        filename=result.filename[:255],
        raw=raw,
        fingerprint=result.fingerprint(),
        expires_at=utcnow() + dt.timedelta(minutes=UPLOAD_MINUTES),
    )
    db.session.add(upload)
    return upload


def kept(user: User, kind: str, upload_id: str) -> PoolUpload:
    """The user's own unexpired upload; anyone else's, or an old one, is not found."""
    upload = db.session.get(PoolUpload, upload_id)
    if upload is None or upload.user_id != user.id or upload.kind != kind or upload.expires_at < utcnow():
        raise NotFound("that upload has expired or is not yours; upload the file again")
    return upload


def import_at_once(la_id: int, kind: str, raw: bytes, fmt: str = "auto") -> dict:
    """The API's import: checked and written at once, without a preview (a bad file writes nothing)."""
    la = db.session.get(LocalAuthority, la_id)
    result = imports.import_schools(la, raw, fmt) if kind == "schools" else imports.import_reviewers(la, raw)
    audit.record(f"pool.{kind}_imported", f"imported {kind} ({result})", la_id=la.id, details=result)
    return result


def confirm(user: User, kind: str, upload_id: str) -> dict:
    """Write a previewed upload, exactly as previewed; the caller commits (one transaction)."""
    upload = kept(user, kind, upload_id)
    la = db.session.get(LocalAuthority, user.la_id)
    parsed = _parse(la, kind, upload.raw)
    again = preview(la, kind, upload.raw, upload.filename)
    if again.fingerprint() != upload.fingerprint:
        raise Conflict(
            "the pool has changed since the preview: upload the file again to see what it would change now",
            {"file": ["changed since the preview"]},
        )
    result = imports.write_schools(la, parsed) if kind == "schools" else imports.write_reviewers(la, parsed)
    db.session.delete(upload)
    audit.record(
        f"pool.{kind}_imported",
        f"imported {kind} from {upload.filename} ({result})",
        la_id=la.id,
        actor=user,
        details=result | {"file": upload.filename},
    )
    return result
