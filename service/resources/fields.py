"""Field types shared by the resources' schemas (the scenario contract's vocabulary)."""

import datetime as dt

from marshmallow import fields, validate

# The contract's phases, defined once by the solver (re-exported for the schemas).
from solver.scenario import PHASES  # noqa: F401


def Tag(**kw):
    """A lower-case tag (focus areas and specialisms are compared exactly)."""
    return fields.Str(validate=validate.Regexp(r"^[a-z0-9][a-z0-9_\-]*$", error="must be a lower-case tag"), **kw)


def Dates(**kw):
    return fields.List(fields.Date(), **kw)


def Money(**kw):
    return fields.Float(validate=validate.Range(min=0), **kw)


class UTCDateTime(fields.DateTime):
    """Timestamps are stored naive in UTC (SQLite keeps no zone); say so on the way out."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return super()._serialize(value, attr, obj, **kwargs)
