"""Scenario v1 and v1.1: the marshmallow schema of the contract, defaults and cross-reference checks.

`load_scenario(data)` is the one way in: it returns a `Scenario` of frozen dataclasses
with every default filled in, or raises `ScenarioError` listing every problem found,
each prefixed with its JSON path (``reviewers[3].school_urn: unknown school '999999'``).

v1.1 (docs/scenario-v1.1.md) adds fields with defaults that mean "as v1": a v1 document
loads to the same `Scenario` as before. A v1.1 field in a document that says `"version": 1`
is an error naming the field, so that a v1 reader is never handed rules it cannot see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

PHASES = ("nursery", "primary", "middle", "secondary", "all-through", "special", "pru", "16-plus")
FORBID_ALLOW = ("forbid", "allow")
SAME_CLUSTER_POLICIES = ("forbid", "allow", "require")  # require: v1.1, reviews inside the cluster only
MODELS = ("teams", "groups")  # v1.1: teams is v1's model; groups is trios/quads
FACILITATOR_USES = ("none", "optional", "required")
VERSION_1_1 = "1.1"
PHASE_MATCH = ("require", "prefer", "ignore")
ROLES = ("lead", "member")

DEFAULT_WEIGHTS = {
    "unstaffed": 100000.0,
    "unmet_support": 50000.0,
    "mileage_per_km": 0.30,
    "expertise": 150.0,
    "phase_mismatch": 1000.0,
    "change": 400.0,
    "date_change": 100.0,
}


class ScenarioError(ValueError):
    """A scenario that breaks the contract; `errors` holds every problem as 'path: message'."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("invalid scenario:\n" + "\n".join(self.errors))


# --- dataclasses: what the rest of the solver works with -------------------------------


@dataclass(frozen=True)
class Policy:
    same_cluster: str = "forbid"
    same_trust: str = "forbid"
    reciprocal: str = "forbid"
    no_repeat_cycles: int = 2
    phase_match: str = "require"
    max_travel_km: float | None = None
    support_conflict: str = "forbid"


@dataclass(frozen=True)
class Weights:
    unstaffed: float = 100000.0
    unmet_support: float = 50000.0
    mileage_per_km: float = 0.30
    expertise: float = 150.0
    phase_mismatch: float = 1000.0
    change: float = 400.0
    date_change: float = 100.0


@dataclass(frozen=True)
class Groups:
    """v1.1, the groups model: sizes, rotation, and the facilitator pool."""

    min_size: int = 3
    max_size: int = 3
    avoid_rounds: int = 2  # no two schools grouped together in the last N rounds share a group
    facilitator: str = "none"  # none | optional (leads where no member may) | required (leads every review)
    facilitators: tuple[str, ...] = ()  # reviewer ids


@dataclass(frozen=True)
class VisitLength:
    """v1.1: a visit lasts `days` at a school of this phase (None: any) with >= min_pupils pupils."""

    days: int
    phase: str | None = None
    min_pupils: int = 0


@dataclass(frozen=True)
class FollowUp:
    """v1.1: the follow-up of a review (a workshop, by the review's lead), min..max weeks after it."""

    days: int = 1
    min_weeks: int = 2
    max_weeks: int = 6


@dataclass(frozen=True)
class Load:
    """v1.1: reviews per reviewer over this cycle and the last `cycles` cycles (history)."""

    cycles: int = 3
    max_total: int | None = None
    max_spread: int | None = None


@dataclass(frozen=True)
class Cycle:
    name: str | None
    start: dt.date
    end: dt.date
    excluded_dates: frozenset[dt.date]
    freeze_before: dt.date | None
    team_size: int
    visit_days: int
    lead_required: bool
    backfill_budget: float | None
    cluster_budgets: dict[str, float]
    support_budget: float | None
    policy: Policy
    weights: Weights
    model: str = "teams"
    groups: Groups | None = None  # set (defaults filled in) when model is groups
    visit_lengths: tuple[VisitLength, ...] = ()
    follow_up: FollowUp | None = None
    load: Load | None = None


@dataclass(frozen=True)
class School:
    urn: str
    name: str | None = None
    la_code: str | None = None
    phase: str | None = None
    cluster: str | None = None
    trust: str | None = None
    lat: float | None = None
    lon: float | None = None
    pupils: int | None = None
    closed_dates: frozenset[dt.date] = frozenset()


@dataclass(frozen=True)
class Reviewer:
    id: str
    name: str | None = None
    school_urn: str | None = None
    role: str = "headteacher"
    lead_accredited: bool = False
    phases: tuple[str, ...] = ()
    specialisms: tuple[str, ...] = ()
    max_reviews: int = 1
    day_rate: float = 0.0
    unavailable: frozenset[dt.date] = frozenset()


@dataclass(frozen=True)
class Review:
    school_urn: str
    priority: int = 1
    focus: tuple[str, ...] = ()
    team_size: int | None = None
    earliest: dt.date | None = None
    latest: dt.date | None = None
    visit_days: int | None = None  # v1.1: None, from cycle.visit_lengths or cycle.visit_days
    offered_dates: frozenset[dt.date] | None = None  # v1.1: the start dates the school offers; None: any
    follow_up: bool = False  # v1.1


@dataclass(frozen=True)
class Conflict:
    school_urn: str
    reviewer: str | None = None
    provider: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class History:
    reviewer: str
    school_urn: str
    cycles_ago: int


@dataclass(frozen=True)
class GroupHistory:
    """v1.1: a group of an earlier round (`name` says which, e.g. "2025")."""

    schools: tuple[str, ...]
    cycles_ago: int
    name: str | None = None


@dataclass(frozen=True)
class SupportRequest:
    id: str
    school_urn: str
    days: int
    focus: tuple[str, ...] = ()
    priority: int = 1


@dataclass(frozen=True)
class Provider:
    id: str
    school_urn: str
    capacity_days: int
    day_rate: float = 0.0
    specialisms: tuple[str, ...] = ()


@dataclass(frozen=True)
class TeamMember:
    reviewer: str
    role: str


@dataclass(frozen=True)
class PreviousVisit:
    school_urn: str
    date: dt.date
    team: tuple[TeamMember, ...]
    locked: bool = False


@dataclass(frozen=True)
class Scenario:
    cycle: Cycle
    schools: tuple[School, ...]
    reviewers: tuple[Reviewer, ...]
    reviews: tuple[Review, ...]
    conflicts: tuple[Conflict, ...] = ()
    history: tuple[History, ...] = ()
    support_requests: tuple[SupportRequest, ...] = ()
    providers: tuple[Provider, ...] = ()
    previous: tuple[PreviousVisit, ...] = ()
    group_history: tuple[GroupHistory, ...] = ()
    version: str = "1"  # "1" or "1.1": what the plan says back
    school_by_urn: dict[str, School] = field(default_factory=dict, compare=False, repr=False)
    reviewer_by_id: dict[str, Reviewer] = field(default_factory=dict, compare=False, repr=False)
    review_by_urn: dict[str, Review] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        self.school_by_urn.update({s.urn: s for s in self.schools})
        self.reviewer_by_id.update({r.id: r for r in self.reviewers})
        self.review_by_urn.update({rv.school_urn: rv for rv in self.reviews})

    def team_size_of(self, review: Review) -> int:
        return review.team_size if review.team_size is not None else self.cycle.team_size

    def review_window(self, review: Review) -> tuple[dt.date, dt.date]:
        return (review.earliest or self.cycle.start, review.latest or self.cycle.end)

    @property
    def groups_model(self) -> bool:
        return self.cycle.model == "groups"

    def visit_days_of(self, review: Review | None) -> int:
        """How many school days a visit of this review lasts (v1: always cycle.visit_days): the
        review's own `visit_days`, else the first `cycle.visit_lengths` entry its school matches."""
        if review is None:
            return self.cycle.visit_days
        if review.visit_days is not None:
            return review.visit_days
        school = self.school_by_urn.get(review.school_urn)
        if school is not None:
            for band in self.cycle.visit_lengths:
                if (band.phase is None or band.phase == school.phase) and (school.pupils or 0) >= band.min_pupils:
                    return band.days
        return self.cycle.visit_days

    def visit_days_at(self, school_urn: str) -> int:
        """The visit length of the review of this school (the cycle's when it has none)."""
        return self.visit_days_of(self.review_by_urn.get(school_urn))


# --- marshmallow schemas: the JSON shape ------------------------------------------------

Money = lambda **kw: fields.Float(validate=validate.Range(min=0), allow_nan=False, **kw)  # noqa: E731
Tags = lambda: fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)  # noqa: E731
Dates = lambda: fields.List(fields.Date(), load_default=list)  # noqa: E731


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class WindowSchema(_Strict):
    start = fields.Date(required=True)
    end = fields.Date(required=True)

    @validates_schema
    def _ordered(self, data, **kw):
        if data["start"] > data["end"]:
            raise ValidationError("end is before start", "end")


class PolicySchema(_Strict):
    same_cluster = fields.String(load_default="forbid", validate=validate.OneOf(SAME_CLUSTER_POLICIES))
    same_trust = fields.String(load_default="forbid", validate=validate.OneOf(FORBID_ALLOW))
    reciprocal = fields.String(load_default="forbid", validate=validate.OneOf(FORBID_ALLOW))
    no_repeat_cycles = fields.Integer(load_default=2, strict=True, validate=validate.Range(min=0))
    phase_match = fields.String(load_default="require", validate=validate.OneOf(PHASE_MATCH))
    max_travel_km = fields.Float(load_default=None, allow_none=True, allow_nan=False, validate=validate.Range(min=0))
    support_conflict = fields.String(load_default="forbid", validate=validate.OneOf(FORBID_ALLOW))

    @post_load
    def _make(self, data, **kw):
        return Policy(**data)


class WeightsSchema(_Strict):
    unstaffed = Money(load_default=DEFAULT_WEIGHTS["unstaffed"])
    unmet_support = Money(load_default=DEFAULT_WEIGHTS["unmet_support"])
    mileage_per_km = Money(load_default=DEFAULT_WEIGHTS["mileage_per_km"])
    expertise = Money(load_default=DEFAULT_WEIGHTS["expertise"])
    phase_mismatch = Money(load_default=DEFAULT_WEIGHTS["phase_mismatch"])
    change = Money(load_default=DEFAULT_WEIGHTS["change"])
    date_change = Money(load_default=DEFAULT_WEIGHTS["date_change"])

    @post_load
    def _make(self, data, **kw):
        return Weights(**data)


class GroupsSchema(_Strict):
    min_size = fields.Integer(load_default=3, strict=True, validate=validate.Range(min=2, max=6))
    max_size = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=2, max=6))
    avoid_rounds = fields.Integer(load_default=2, strict=True, validate=validate.Range(min=0))
    facilitator = fields.String(load_default="none", validate=validate.OneOf(FACILITATOR_USES))
    facilitators = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)

    @validates_schema
    def _sizes(self, data, **kw):
        if data.get("max_size") is not None and data["max_size"] < data.get("min_size", 3):
            raise ValidationError("max_size is below min_size", "max_size")

    @post_load
    def _make(self, data, **kw):
        if data["max_size"] is None:
            data["max_size"] = data["min_size"]
        data["facilitators"] = tuple(data["facilitators"])
        return Groups(**data)


class VisitLengthSchema(_Strict):
    phase = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PHASES))
    min_pupils = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0))
    days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))

    @post_load
    def _make(self, data, **kw):
        return VisitLength(**data)


class FollowUpSchema(_Strict):
    days = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=5))
    min_weeks = fields.Integer(load_default=2, strict=True, validate=validate.Range(min=0))
    max_weeks = fields.Integer(load_default=6, strict=True, validate=validate.Range(min=0))

    @validates_schema
    def _ordered(self, data, **kw):
        if data.get("min_weeks", 2) > data.get("max_weeks", 6):
            raise ValidationError("max_weeks is below min_weeks", "max_weeks")

    @post_load
    def _make(self, data, **kw):
        return FollowUp(**data)


class LoadSchema(_Strict):
    cycles = fields.Integer(load_default=3, strict=True, validate=validate.Range(min=0))
    max_total = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0))
    max_spread = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0))

    @post_load
    def _make(self, data, **kw):
        return Load(**data)


class CycleSchema(_Strict):
    name = fields.String(load_default=None, allow_none=True)
    window = fields.Nested(WindowSchema, required=True)
    excluded_dates = Dates()
    freeze_before = fields.Date(load_default=None, allow_none=True)
    team_size = fields.Integer(load_default=3, strict=True, validate=validate.Range(min=1))
    visit_days = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1, max=5))
    lead_required = fields.Boolean(load_default=True)
    backfill_budget = Money(load_default=None, allow_none=True)
    cluster_budgets = fields.Dict(keys=fields.String(), values=Money(), load_default=dict)
    support_budget = Money(load_default=None, allow_none=True)
    policy = fields.Nested(PolicySchema, load_default=lambda: Policy())
    weights = fields.Nested(WeightsSchema, load_default=lambda: Weights())
    # v1.1
    model = fields.String(load_default="teams", validate=validate.OneOf(MODELS))
    groups = fields.Nested(GroupsSchema, load_default=None, allow_none=True)
    visit_lengths = fields.List(fields.Nested(VisitLengthSchema), load_default=list)
    follow_up = fields.Nested(FollowUpSchema, load_default=None, allow_none=True)
    # `load` would shadow Schema.load: the field has another name in Python, "load" in JSON.
    load_limits = fields.Nested(LoadSchema, load_default=None, allow_none=True, data_key="load")

    @post_load
    def _make(self, data, **kw):
        window = data.pop("window")
        data["excluded_dates"] = frozenset(data["excluded_dates"])
        data["visit_lengths"] = tuple(data["visit_lengths"])
        data["load"] = data.pop("load_limits")
        if data["model"] == "groups" and data["groups"] is None:
            data["groups"] = Groups()
        return Cycle(start=window["start"], end=window["end"], **data)


class SchoolSchema(_Strict):
    urn = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(load_default=None, allow_none=True)
    la_code = fields.String(load_default=None, allow_none=True)
    phase = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PHASES))
    cluster = fields.String(load_default=None, allow_none=True)
    trust = fields.String(load_default=None, allow_none=True)
    lat = fields.Float(load_default=None, allow_none=True, allow_nan=False, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(load_default=None, allow_none=True, allow_nan=False, validate=validate.Range(min=-180, max=180))
    pupils = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0))
    closed_dates = Dates()

    @validates_schema
    def _both_coordinates(self, data, **kw):
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ValidationError("lat and lon are given together or not at all", "lon")

    @post_load
    def _make(self, data, **kw):
        data["closed_dates"] = frozenset(data["closed_dates"])
        return School(**data)


class ReviewerSchema(_Strict):
    id = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(load_default=None, allow_none=True)
    school_urn = fields.String(load_default=None, allow_none=True)
    role = fields.String(load_default="headteacher")
    lead_accredited = fields.Boolean(load_default=False)
    # None until the cross-reference pass fills in the home school's phase.
    phases = fields.List(fields.String(validate=validate.OneOf(PHASES)), load_default=None, allow_none=True)
    specialisms = Tags()
    max_reviews = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=0))
    day_rate = Money(load_default=0.0)
    unavailable = Dates()

    @post_load
    def _make(self, data, **kw):
        data["specialisms"] = tuple(data["specialisms"])
        data["phases"] = tuple(data["phases"]) if data["phases"] is not None else None
        data["unavailable"] = frozenset(data["unavailable"])
        return Reviewer(**data)


class ReviewSchema(_Strict):
    school_urn = fields.String(required=True)
    priority = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1))
    focus = Tags()
    team_size = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1))
    earliest = fields.Date(load_default=None, allow_none=True)
    latest = fields.Date(load_default=None, allow_none=True)
    # v1.1
    visit_days = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=5))
    offered_dates = fields.List(fields.Date(), load_default=None, allow_none=True, validate=validate.Length(min=1))
    follow_up = fields.Boolean(load_default=False)

    @validates_schema
    def _ordered(self, data, **kw):
        if data.get("earliest") and data.get("latest") and data["earliest"] > data["latest"]:
            raise ValidationError("latest is before earliest", "latest")

    @post_load
    def _make(self, data, **kw):
        data["focus"] = tuple(data["focus"])
        if data["offered_dates"] is not None:
            data["offered_dates"] = frozenset(data["offered_dates"])
        return Review(**data)


class ConflictSchema(_Strict):
    reviewer = fields.String(load_default=None, allow_none=True)
    provider = fields.String(load_default=None, allow_none=True)
    school_urn = fields.String(required=True)
    reason = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def _exactly_one(self, data, **kw):
        if (data.get("reviewer") is None) == (data.get("provider") is None):
            raise ValidationError("give exactly one of reviewer or provider", "reviewer")

    @post_load
    def _make(self, data, **kw):
        return Conflict(**data)


class HistorySchema(_Strict):
    reviewer = fields.String(required=True)
    school_urn = fields.String(required=True)
    cycles_ago = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))

    @post_load
    def _make(self, data, **kw):
        return History(**data)


class GroupHistorySchema(_Strict):
    schools = fields.List(fields.String(), required=True, validate=validate.Length(min=2))
    cycles_ago = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    name = fields.String(load_default=None, allow_none=True)

    @post_load
    def _make(self, data, **kw):
        data["schools"] = tuple(data["schools"])
        return GroupHistory(**data)


class SupportRequestSchema(_Strict):
    id = fields.String(required=True, validate=validate.Length(min=1))
    school_urn = fields.String(required=True)
    days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    focus = Tags()
    priority = fields.Integer(load_default=1, strict=True, validate=validate.Range(min=1))

    @post_load
    def _make(self, data, **kw):
        data["focus"] = tuple(data["focus"])
        return SupportRequest(**data)


class ProviderSchema(_Strict):
    id = fields.String(required=True, validate=validate.Length(min=1))
    school_urn = fields.String(required=True)
    capacity_days = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    day_rate = Money(load_default=0.0)
    specialisms = Tags()

    @post_load
    def _make(self, data, **kw):
        data["specialisms"] = tuple(data["specialisms"])
        return Provider(**data)


class SupportSchema(_Strict):
    requests = fields.List(fields.Nested(SupportRequestSchema), load_default=list)
    providers = fields.List(fields.Nested(ProviderSchema), load_default=list)


class TeamMemberSchema(_Strict):
    reviewer = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))

    @post_load
    def _make(self, data, **kw):
        return TeamMember(**data)


class PreviousVisitSchema(_Strict):
    school_urn = fields.String(required=True)
    date = fields.Date(required=True)
    team = fields.List(fields.Nested(TeamMemberSchema), required=True, validate=validate.Length(min=1))
    locked = fields.Boolean(load_default=False)

    @post_load
    def _make(self, data, **kw):
        data["team"] = tuple(data["team"])
        return PreviousVisit(**data)


class Version(fields.Field):
    """1 (an integer: v1, as it always was) or the string "1.1"."""

    default_error_messages = {"invalid": 'must be 1 or "1.1"'}

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is int and value == 1:
            return "1"
        if value == VERSION_1_1:
            return VERSION_1_1
        raise self.make_error("invalid")


class ScenarioSchema(_Strict):
    version = Version(required=True)
    cycle = fields.Nested(CycleSchema, required=True)
    schools = fields.List(fields.Nested(SchoolSchema), required=True)
    reviewers = fields.List(fields.Nested(ReviewerSchema), required=True)
    reviews = fields.List(fields.Nested(ReviewSchema), required=True)
    conflicts = fields.List(fields.Nested(ConflictSchema), load_default=list)
    history = fields.List(fields.Nested(HistorySchema), load_default=list)
    support = fields.Nested(SupportSchema, load_default=lambda: {"requests": [], "providers": []})
    previous = fields.List(fields.Nested(PreviousVisitSchema), load_default=list)
    group_history = fields.List(fields.Nested(GroupHistorySchema), load_default=list)  # v1.1


# --- error paths --------------------------------------------------------------------------


def flatten_errors(messages, prefix: str = "") -> list[str]:
    """Turn marshmallow's nested error dict into 'a.b[3].c: message' lines."""
    out: list[str] = []
    if isinstance(messages, dict):
        for key, sub in messages.items():
            if key == "_schema":
                path = prefix
            elif isinstance(key, int):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_errors(sub, path))
    elif isinstance(messages, (list, tuple)):
        for m in messages:
            out.extend(flatten_errors(m, prefix))
    else:
        text = str(messages)
        if text == "Unknown field.":
            text = "unknown field (not part of scenario v1 or v1.1)"
        out.append(f"{prefix}: {text}" if prefix else text)
    return out


# --- the cross-reference pass: what a schema alone cannot see --------------------------------
# It reads the raw JSON defensively (anything malformed is the schema's to report), so that
# one run lists the schema's problems and the cross-reference problems together.


def _items(obj, key):
    seq = obj.get(key) if isinstance(obj, dict) else None
    return [(i, x) for i, x in enumerate(seq) if isinstance(x, dict)] if isinstance(seq, list) else []


def _date(value):
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _str(value):
    return value if isinstance(value, str) else None


def _cross_check(raw: dict) -> list[str]:
    errs: list[str] = []
    cycle: dict = raw["cycle"] if isinstance(raw.get("cycle"), dict) else {}
    window: dict = cycle["window"] if isinstance(cycle.get("window"), dict) else {}
    start, end = _date(window.get("start")), _date(window.get("end"))

    def inside(path: str, value):
        day = _date(value)
        if day is not None and start is not None and end is not None and not (start <= day <= end):
            errs.append(f"{path}: {day.isoformat()} is outside the window {start.isoformat()}..{end.isoformat()}")

    excluded = cycle.get("excluded_dates")
    for i, day in enumerate(excluded if isinstance(excluded, list) else []):
        inside(f"cycle.excluded_dates[{i}]", day)

    urns: set[str] = set()
    clusters: set[str] = set()
    for i, s in _items(raw, "schools"):
        urn = _str(s.get("urn"))
        if urn is not None and urn in urns:
            errs.append(f"schools[{i}].urn: duplicate URN '{urn}'")
        urns.add(urn)
        if _str(s.get("cluster")) is not None:
            clusters.add(s["cluster"])
    budgets = cycle.get("cluster_budgets")
    for name in budgets if isinstance(budgets, dict) else {}:
        if name not in clusters:
            errs.append(f"cycle.cluster_budgets.{name}: no school is in cluster '{name}'")

    def known_school(path: str, urn):
        if _str(urn) is not None and urn not in urns:
            errs.append(f"{path}: unknown school '{urn}'")

    def unique(path: str, value, seen: set, what="id"):
        if _str(value) is not None:
            if value in seen:
                errs.append(f"{path}: duplicate {what} '{value}'")
            seen.add(value)

    ids: set[str] = set()
    for i, r in _items(raw, "reviewers"):
        unique(f"reviewers[{i}].id", r.get("id"), ids)
        known_school(f"reviewers[{i}].school_urn", r.get("school_urn"))

    reviewed: set[str] = set()
    for i, rv in _items(raw, "reviews"):
        known_school(f"reviews[{i}].school_urn", rv.get("school_urn"))
        unique(f"reviews[{i}].school_urn", rv.get("school_urn"), reviewed, "review of school")
        inside(f"reviews[{i}].earliest", rv.get("earliest"))
        inside(f"reviews[{i}].latest", rv.get("latest"))

    support: dict = raw["support"] if isinstance(raw.get("support"), dict) else {}
    pids: set[str] = set()
    for i, p in _items(support, "providers"):
        unique(f"support.providers[{i}].id", p.get("id"), pids)
        known_school(f"support.providers[{i}].school_urn", p.get("school_urn"))
    qids: set[str] = set()
    for i, q in _items(support, "requests"):
        unique(f"support.requests[{i}].id", q.get("id"), qids)
        known_school(f"support.requests[{i}].school_urn", q.get("school_urn"))

    for i, c in _items(raw, "conflicts"):
        known_school(f"conflicts[{i}].school_urn", c.get("school_urn"))
        if _str(c.get("reviewer")) is not None and c["reviewer"] not in ids:
            errs.append(f"conflicts[{i}].reviewer: unknown reviewer '{c['reviewer']}'")
        if _str(c.get("provider")) is not None and c["provider"] not in pids:
            errs.append(f"conflicts[{i}].provider: unknown provider '{c['provider']}'")

    for i, h in _items(raw, "history"):
        known_school(f"history[{i}].school_urn", h.get("school_urn"))
        if _str(h.get("reviewer")) is not None and h["reviewer"] not in ids:
            errs.append(f"history[{i}].reviewer: unknown reviewer '{h['reviewer']}'")

    visited: set[str] = set()
    for i, pv in _items(raw, "previous"):
        known_school(f"previous[{i}].school_urn", pv.get("school_urn"))
        unique(f"previous[{i}].school_urn", pv.get("school_urn"), visited, "visit to school")
        inside(f"previous[{i}].date", pv.get("date"))
        team_seen: set[str] = set()
        for j, m in _items(pv, "team"):
            who = _str(m.get("reviewer"))
            if who is not None and who not in ids:
                errs.append(f"previous[{i}].team[{j}].reviewer: unknown reviewer '{who}'")
            unique(f"previous[{i}].team[{j}].reviewer", who, team_seen, "team member")
    return errs


# --- v1.1: what its fields need, and where each may appear -------------------------------------

# The v1.1 fields, by where they sit: in a document that says "version": 1 each is an error.
_V1_1_CYCLE = ("model", "groups", "visit_lengths", "follow_up", "load")
_V1_1_REVIEW = ("visit_days", "offered_dates", "follow_up")
# What only the groups model schedules (the teams model keeps v1's one visit length, no
# follow-ups and capacity-only loads): a teams cycle that names them is told so.
_GROUPS_ONLY = "is scheduled by the groups model only (cycle.model: groups)"


def _v1_1_check(raw: dict) -> list[str]:
    """The v1.1 fields: only under "version": "1.1", consistent with the cycle's model."""
    errs: list[str] = []
    cycle: dict = raw["cycle"] if isinstance(raw.get("cycle"), dict) else {}
    policy: dict = cycle["policy"] if isinstance(cycle.get("policy"), dict) else {}
    reviews = _items(raw, "reviews")
    if raw.get("version") != VERSION_1_1:
        if type(raw.get("version")) is not int:
            return errs  # the schema reports the version itself
        need = 'a v1.1 field: the scenario must say "version": "1.1"'
        errs += [f"cycle.{key}: {need}" for key in _V1_1_CYCLE if key in cycle]
        if policy.get("same_cluster") == "require":
            errs.append(f"cycle.policy.same_cluster: require is {need}")
        errs += [f"reviews[{i}].{key}: {need}" for i, rv in reviews for key in _V1_1_REVIEW if key in rv]
        if "group_history" in raw:
            errs.append(f"group_history: {need}")
        return errs

    window: dict = cycle["window"] if isinstance(cycle.get("window"), dict) else {}
    start, end = _date(window.get("start")), _date(window.get("end"))
    groups_model = cycle.get("model") == "groups"
    if not groups_model:
        for key in ("groups",):
            if cycle.get(key) is not None:
                errs.append(f"cycle.{key}: only for cycle.model: groups")
        if cycle.get("visit_lengths"):
            errs.append(f"cycle.visit_lengths: visit length by school size {_GROUPS_ONLY}")
        if cycle.get("follow_up") is not None:
            errs.append(f"cycle.follow_up: follow-ups are {_GROUPS_ONLY[3:]}")
        load = cycle.get("load")
        if isinstance(load, dict) and load.get("max_spread") is not None:
            errs.append(f"cycle.load.max_spread: a spread of loads {_GROUPS_ONLY} (teams: use max_total)")
        for i, rv in reviews:
            if rv.get("visit_days") is not None:
                errs.append(f"reviews[{i}].visit_days: a visit length of its own {_GROUPS_ONLY}")
    follow_up_set = cycle.get("follow_up") is not None
    for i, rv in reviews:
        if rv.get("follow_up") is True and not follow_up_set:
            errs.append(f"reviews[{i}].follow_up: the cycle has no follow_up (cycle.follow_up sets its days and weeks)")
        offered = rv.get("offered_dates")
        for j, day in enumerate(offered if isinstance(offered, list) else []):
            d = _date(day)
            if d is not None and start is not None and end is not None and not (start <= d <= end):
                errs.append(
                    f"reviews[{i}].offered_dates[{j}]: {d.isoformat()} is outside the window "
                    f"{start.isoformat()}..{end.isoformat()}"
                )
    urns = {s.get("urn") for _, s in _items(raw, "schools")}
    for i, g in _items(raw, "group_history"):
        members = g.get("schools") if isinstance(g.get("schools"), list) else []
        for j, urn in enumerate(members):
            if _str(urn) is not None and urn not in urns:
                errs.append(f"group_history[{i}].schools[{j}]: unknown school '{urn}'")
            if urn in members[:j]:
                errs.append(f"group_history[{i}].schools[{j}]: '{urn}' is listed twice")
    if groups_model:
        errs += _groups_check(raw, cycle, policy, reviews)
    return errs


def _groups_check(raw: dict, cycle: dict, policy: dict, reviews: list) -> list[str]:
    """What the groups model needs of the rest of the scenario."""
    errs: list[str] = []
    if policy.get("reciprocal") == "forbid":
        errs.append("cycle.policy.reciprocal: the schools of a group visit each other; set allow or leave it out")
    for i, rv in reviews:
        if rv.get("team_size") is not None:
            errs.append(
                f"reviews[{i}].team_size: in the groups model a team is one reviewer from each other "
                "school of the group (and a facilitator); leave it out"
            )
    support: dict = raw["support"] if isinstance(raw.get("support"), dict) else {}
    for key in ("requests", "providers"):
        if isinstance(support.get(key), list) and support[key]:
            errs.append(f"support.{key}: the groups model schedules reviews only; support belongs to a teams cycle")
    groups: dict = cycle["groups"] if isinstance(cycle.get("groups"), dict) else {}
    pool: list = groups["facilitators"] if isinstance(groups.get("facilitators"), list) else []
    use = groups.get("facilitator", "none")
    if use in ("optional", "required") and not pool:
        errs.append(f"cycle.groups.facilitators: facilitator is {use} but the pool is empty")
    people = {r.get("id"): r for _, r in _items(raw, "reviewers")}
    lead_required = cycle.get("lead_required", True) is not False
    for j, rid in enumerate(pool):
        r = people.get(rid) if _str(rid) is not None else None
        if _str(rid) is None:
            continue
        if r is None:
            errs.append(f"cycle.groups.facilitators[{j}]: unknown reviewer '{rid}'")
        elif rid in pool[:j]:
            errs.append(f"cycle.groups.facilitators[{j}]: '{rid}' is listed twice")
        elif lead_required and r.get("lead_accredited") is not True:
            errs.append(f"cycle.groups.facilitators[{j}]: {rid} is not lead_accredited (a facilitator leads)")
        elif r.get("school_urn") is not None:
            errs.append(
                f"cycle.groups.facilitators[{j}]: {rid} belongs to school {r['school_urn']}; a facilitator "
                "has no home school (a school's staff review as members of its group)"
            )
    return errs


def _fill_reviewer_phases(reviewers, schools_by_urn):
    out = []
    for r in reviewers:
        if r.phases is None:
            home = schools_by_urn.get(r.school_urn) if r.school_urn else None
            phases: tuple[str, ...]
            if r.school_urn is None:
                phases = PHASES
            else:
                phases = (home.phase,) if home is not None and home.phase else ()
            r = Reviewer(**{**r.__dict__, "phases": tuple(phases)})
        out.append(r)
    return out


def load_scenario(data) -> Scenario:
    """Validate a scenario v1 or v1.1 dict and return it with every default filled in."""
    if isinstance(data, Scenario):
        return data
    if not isinstance(data, dict):
        raise ScenarioError(["scenario: must be a JSON object"])
    errs: list[str] = []
    try:
        sc = ScenarioSchema().load(data)
    except ValidationError as exc:
        errs = flatten_errors(exc.messages)
    errs += _cross_check(data)
    errs += _v1_1_check(data)
    if errs:
        raise ScenarioError(errs)
    schools = tuple(sc["schools"])
    by_urn = {s.urn: s for s in schools}
    return Scenario(
        cycle=sc["cycle"],
        schools=schools,
        reviewers=tuple(_fill_reviewer_phases(sc["reviewers"], by_urn)),
        reviews=tuple(sc["reviews"]),
        conflicts=tuple(sc["conflicts"]),
        history=tuple(sc["history"]),
        support_requests=tuple(sc["support"]["requests"]),
        providers=tuple(sc["support"]["providers"]),
        previous=tuple(sc["previous"]),
        group_history=tuple(sc["group_history"]),
        version=sc["version"],
    )
