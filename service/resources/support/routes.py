"""School-to-school support of a cycle: requests and the providers who can meet them."""

from flask.views import MethodView

from ... import support
from ...extensions import db
from ...models import SupportProvider, SupportRequest
from ..roles import Blueprint
from ..scope import own_cycle
from .schemas import ProviderOutSchema, ProviderSchema, RequestOutSchema, RequestSchema

blp = Blueprint(
    "support",
    __name__,
    url_prefix="/api/v1/cycles/<int:cycle_id>/support",
    description="Support requests and providers of a cycle (LA admins only).",
    roles=("la_admin",),
)


def _routes(kind, model, schema, out_schema):
    class Collection(MethodView):
        @blp.response(200, out_schema(many=True))
        def get(self, cycle_id):
            return support.rows(own_cycle(cycle_id), model)

        @blp.arguments(schema)
        @blp.response(201, out_schema)
        def post(self, data, cycle_id):
            row = support.add(own_cycle(cycle_id), model, data)
            db.session.commit()
            return row

    class Item(MethodView):
        @blp.response(200, out_schema)
        def get(self, cycle_id, ext_id):
            return support.one(own_cycle(cycle_id), model, ext_id)

        @blp.arguments(schema(partial=True, exclude=("id",)))
        @blp.response(200, out_schema)
        def patch(self, data, cycle_id, ext_id):
            cycle = own_cycle(cycle_id)
            row = support.one(cycle, model, ext_id)
            support.change(cycle, row, data)
            db.session.commit()
            return row

        @blp.response(204)
        def delete(self, cycle_id, ext_id):
            db.session.delete(support.one(own_cycle(cycle_id), model, ext_id))
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
