"""The LA's pool of schools and reviewers: lists with filters, and changes one at a time.

The API's PATCH routes and the pages' edit forms both end here, and both check their input
with the API's own schemas (`SchoolSchema`, `ReviewerSchema`), so a value refused by one is
refused by the other with the same message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re

from marshmallow import ValidationError
from sqlalchemy.orm import selectinload

from solver.scenario import PHASES

from . import head_accounts
from .dates import iso_dates
from .errors import InvalidInput, already_exists
from .extensions import db, flatten_errors
from .models import Cluster, Cycle, PlanVersion, Reviewer, School, Trust
from .resources.reviewers.schemas import ReviewerSchema
from .resources.schools.schemas import SchoolSchema
from .scenario_import import named

# --------------------------------------------------------------------------- lists


def clusters(la_id: int) -> list[str]:
    return list(db.session.scalars(db.select(Cluster.name).where(Cluster.la_id == la_id).order_by(Cluster.name)))


def trusts(la_id: int) -> list[str]:
    return list(db.session.scalars(db.select(Trust.name).where(Trust.la_id == la_id).order_by(Trust.name)))


def phases(la_id: int) -> list[str]:
    present = set(db.session.scalars(db.select(School.phase).where(School.la_id == la_id).distinct()))
    return [p for p in PHASES if p in present]


def _school_filter(query, *, phase=None, cluster=None, trust=None, q=None):
    if phase:
        query = query.where(School.phase == phase)
    if cluster == "none":
        query = query.where(School.cluster_id.is_(None))
    elif cluster:
        query = query.join(Cluster, School.cluster_id == Cluster.id).where(Cluster.name == cluster)
    if trust == "none":
        query = query.where(School.trust_id.is_(None))
    elif trust:
        query = query.join(Trust, School.trust_id == Trust.id).where(Trust.name == trust)
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(
            db.func.lower(School.name).like(like) | School.urn.like(like) | db.func.lower(School.postcode).like(like)
        )
    return query


def list_schools(la_id: int, **filters) -> list[School]:
    """The LA's schools by name, narrowed by phase, cluster, trust ("none": without one) and a search text."""
    query = _school_filter(db.select(School).where(School.la_id == la_id), **filters)
    query = query.options(selectinload(School.cluster), selectinload(School.trust))
    return list(db.session.scalars(query.order_by(School.name, School.urn)))


def list_reviewers(la_id: int, *, q=None, **filters) -> list[Reviewer]:
    """The LA's reviewers, narrowed by their home school's phase, cluster or trust, and a search text."""
    query = db.select(Reviewer).where(Reviewer.la_id == la_id)
    if any(filters.values()):
        query = _school_filter(query.join(School, Reviewer.school_id == School.id), **filters)
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(db.func.lower(Reviewer.name).like(like) | db.func.lower(Reviewer.ext_id).like(like))
    query = query.options(selectinload(Reviewer.school))
    return list(db.session.scalars(query.order_by(Reviewer.name, Reviewer.ext_id)))


def last_reviewed(la_id: int) -> dict[str, dt.date]:
    """Each school's latest visit in a published plan of the LA's cycles (URN -> date)."""
    out: dict[str, dt.date] = {}
    plans = db.session.scalars(
        db.select(PlanVersion.plan)
        .join(Cycle, Cycle.published_version_id == PlanVersion.id)
        .where(Cycle.la_id == la_id)
    )
    for plan in plans:
        for visit in plan.get("reviews", []):
            day = dt.date.fromisoformat(visit["date"])
            if visit["school_urn"] not in out or out[visit["school_urn"]] < day:
                out[visit["school_urn"]] = day
    return out


# --------------------------------------------------------------------------- look-ups


def find_school(la_id: int, urn: str) -> School | None:
    return db.session.scalar(db.select(School).where(School.la_id == la_id, School.urn == urn))


def known_school(la_id: int, urn: str, message: str = "unknown school") -> School:
    """The LA's school `urn`, named by a request's `school_urn` (InvalidInput `message` otherwise)."""
    school = find_school(la_id, urn)
    if school is None:
        raise InvalidInput(message, {"school_urn": [f"unknown school '{urn}'"]})
    return school


# --------------------------------------------------------------------------- changes


def add_school(la_id: int, data: dict) -> School:
    """A new school of the LA (as `SchoolSchema` loads it; 409 when its URN is taken)."""
    if find_school(la_id, data["urn"]):
        raise already_exists(f"school {data['urn']} exists", "urn")
    school = School(la_id=la_id, urn=data.pop("urn"), closed_dates=[])
    db.session.add(school)
    update_school(school, data)
    return school


def add_reviewer(la_id: int, data: dict) -> Reviewer:
    """A new reviewer of the LA (as `ReviewerSchema` loads it; 409 when its id is taken)."""
    ext_id = data.pop("id")
    if db.session.scalar(db.select(Reviewer).where(Reviewer.la_id == la_id, Reviewer.ext_id == ext_id)):
        raise already_exists(f"reviewer {ext_id} exists", "id")
    reviewer = Reviewer(la_id=la_id, ext_id=ext_id, specialisms=[], unavailable=[])
    db.session.add(reviewer)
    update_reviewer(reviewer, data)
    return reviewer


def update_school(school: School, data: dict) -> None:
    """Apply checked values (as `SchoolSchema` loads them) to a school."""
    for key in ("name", "la_code", "phase", "lat", "lon", "pupils", "postcode"):
        if key in data:
            setattr(school, key, data[key])
    if "cluster" in data:
        school.cluster = named(Cluster, school.la_id, data["cluster"])
    if "trust" in data:
        school.trust = named(Trust, school.la_id, data["trust"])
    if "closed_dates" in data:
        school.closed_dates = iso_dates(data["closed_dates"])


def update_reviewer(reviewer: Reviewer, data: dict) -> None:
    """Apply checked values (as `ReviewerSchema` loads them) to a reviewer; an unknown home school is refused."""
    data = dict(data)
    if "school_urn" in data:
        urn = data.pop("school_urn")
        reviewer.school = known_school(reviewer.la_id, urn, "unknown home school") if urn is not None else None
    if "unavailable" in data:
        reviewer.unavailable = iso_dates(data.pop("unavailable"))
    for key, value in data.items():
        setattr(reviewer, key, value)


def set_cluster(la_id: int, urns: list[str], name: str | None) -> int:
    """Put the schools `urns` in cluster `name` (None: in none); how many were moved."""
    name = (name or "").strip() or None
    if name and len(name) > 200:
        raise InvalidInput("a cluster name is at most 200 characters", {"cluster": ["at most 200 characters"]})
    if not urns:
        raise InvalidInput("choose the schools to put in the cluster", {"urns": ["no school chosen"]})
    cluster = named(Cluster, la_id, name)
    schools = list(db.session.scalars(db.select(School).where(School.la_id == la_id, School.urn.in_(urns))))
    for school in schools:
        school.cluster = cluster
    db.session.flush()
    return len(schools)


# --------------------------------------------------------------------------- form input


def form_dates(text: str) -> list[str]:
    """Dates typed one a line (or separated by commas), as 2026-10-26 or 26/10/2026, to ISO.

    What is not a date is passed on as typed, so that the schema names it.
    """
    out = []
    for part in re.split(r"[\n,;]+", text or ""):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})", part)
        if m:
            with contextlib.suppress(ValueError):
                part = dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat()
        out.append(part)
    return out


def form_tags(text: str) -> list[str]:
    return [t.strip() for t in re.split(r"[,;\n]+", text or "") if t.strip()]


def _blank_none(form, key):
    value = (form.get(key) or "").strip()
    return value or None


def _load(schema, data: dict) -> dict:
    try:
        return schema.load(data)
    except ValidationError as exc:
        errors = flatten_errors(exc.messages)
        field_errors: dict[str, list[str]] = {}
        for path, messages in errors.items():
            field_errors.setdefault(re.split(r"[.\[]", path)[0], []).extend(messages)
        raise InvalidInput(f"{len(field_errors)} field(s) need changing", field_errors) from None


def edit_school(school: School, form) -> None:
    """A school's edit form, checked by the API's schema and applied."""
    data = {
        key: _blank_none(form, key) for key in ("name", "phase", "cluster", "trust", "postcode", "lat", "lon", "pupils")
    }
    data["closed_dates"] = form_dates(form.get("closed_dates", ""))
    problems: dict[str, list[str]] = {}
    values = email = None
    try:
        values = _load(SchoolSchema(exclude=("urn",)), data)
    except InvalidInput as error:
        problems |= error.errors
    try:
        email = head_accounts.clean_email(form.get("head_email"))
    except InvalidInput as error:
        problems |= error.errors
    if problems or values is None:
        raise InvalidInput(f"{len(problems)} field(s) need changing", problems)
    update_school(school, values)
    head_accounts.set_head(school, email)


def edit_reviewer(reviewer: Reviewer, form) -> None:
    """A reviewer's edit form, checked by the API's schema and applied."""
    data = {
        "name": _blank_none(form, "name"),
        "school_urn": _blank_none(form, "school_urn"),
        "role": (form.get("role") or "").strip() or "headteacher",
        "lead_accredited": form.get("lead_accredited") == "yes",
        "phases": form.getlist("phases") or None,
        "specialisms": form_tags(form.get("specialisms", "")),
        "max_reviews": (form.get("max_reviews") or "").strip() or "1",
        "day_rate": (form.get("day_rate") or "").strip() or "0",
        "unavailable": form_dates(form.get("unavailable", "")),
    }
    update_reviewer(reviewer, _load(ReviewerSchema(exclude=("id",)), data))
