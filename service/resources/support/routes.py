"""School-to-school support of a cycle: requests and the providers who can meet them."""

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from ...auth import not_found, require
from ...extensions import db
from ...models import School, SupportProvider, SupportRequest
from ...scenario import build_scenario, validate
from ..scope import own_cycle
from .schemas import ProviderOutSchema, ProviderSchema, RequestOutSchema, RequestSchema

blp = Blueprint(
    "support",
    __name__,
    url_prefix="/api/v1/cycles/<int:cycle_id>/support",
    description="Support requests and providers of a cycle (LA admins only).",
)


def _apply(cycle, row, data):
    if "school_urn" in data:
        urn = data.pop("school_urn")
        with db.session.no_autoflush:  # the new row has no school yet
            school = db.session.scalar(db.select(School).where(School.la_id == cycle.la_id, School.urn == urn))
        if school is None:
            abort(422, message="unknown school", errors={"school_urn": [f"unknown school '{urn}'"]})
        row.school = school
    for key, value in data.items():
        setattr(row, key, value)
    db.session.flush()
    validate(build_scenario(cycle))


def _one(model, cycle, ext_id):
    row = db.session.scalar(db.select(model).where(model.cycle_id == cycle.id, model.ext_id == ext_id))
    if row is None:
        not_found("support " + ("request" if model is SupportRequest else "provider"))
    return row


def _routes(kind, model, schema, out_schema):
    class Collection(MethodView):
        @require("la_admin")
        @blp.response(200, out_schema(many=True))
        def get(self, cycle_id):
            cycle = own_cycle(cycle_id)
            return db.session.scalars(db.select(model).where(model.cycle_id == cycle.id).order_by(model.ext_id)).all()

        @require("la_admin")
        @blp.arguments(schema)
        @blp.response(201, out_schema)
        def post(self, data, cycle_id):
            cycle = own_cycle(cycle_id)
            ext_id = data.pop("id")
            if db.session.scalar(db.select(model).where(model.cycle_id == cycle.id, model.ext_id == ext_id)):
                abort(409, message=f"{kind} {ext_id} exists", errors={"id": ["already exists"]})
            row = model(cycle_id=cycle.id, ext_id=ext_id)
            db.session.add(row)
            _apply(cycle, row, data)
            db.session.commit()
            return row

    class Item(MethodView):
        @require("la_admin")
        @blp.response(200, out_schema)
        def get(self, cycle_id, ext_id):
            return _one(model, own_cycle(cycle_id), ext_id)

        @require("la_admin")
        @blp.arguments(schema(partial=True, exclude=("id",)))
        @blp.response(200, out_schema)
        def patch(self, data, cycle_id, ext_id):
            cycle = own_cycle(cycle_id)
            row = _one(model, cycle, ext_id)
            _apply(cycle, row, data)
            db.session.commit()
            return row

        @require("la_admin")
        @blp.response(204)
        def delete(self, cycle_id, ext_id):
            db.session.delete(_one(model, own_cycle(cycle_id), ext_id))
            db.session.commit()

    Collection.get.__doc__ = f"List the cycle's support {kind}s"
    Collection.post.__doc__ = f"Add a support {kind}"
    Item.get.__doc__ = f"Read a support {kind}"
    Item.patch.__doc__ = f"Change a support {kind}"
    Item.delete.__doc__ = f"Remove a support {kind}"
    Collection.__name__ = f"Support{kind.title()}s"
    Item.__name__ = f"Support{kind.title()}ById"
    blp.route(f"/{kind}s", endpoint=Collection.__name__)(Collection)
    blp.route(f"/{kind}s/<ext_id>", endpoint=Item.__name__)(Item)


_routes("request", SupportRequest, RequestSchema, RequestOutSchema)
_routes("provider", SupportProvider, ProviderSchema, ProviderOutSchema)
