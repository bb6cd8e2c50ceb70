"""Schools of the LA's pool, and imports from GIAS or Trafford-style CSV."""

from flask.views import MethodView

from ... import pool, pool_import
from ...auth import current_user
from ...extensions import db
from ...models import School
from ..roles import Blueprint
from ..scope import mine, own_school
from .schemas import ImportQuerySchema, SchoolFileSchema, SchoolImportResultSchema, SchoolOutSchema, SchoolSchema

blp = Blueprint(
    "schools",
    __name__,
    url_prefix="/api/v1/schools",
    description="The schools of my local authority (LA admins only).",
    roles=("la_admin",),
)


@blp.route("")
class Schools(MethodView):
    @blp.response(200, SchoolOutSchema(many=True))
    def get(self):
        """List my LA's schools"""
        return db.session.scalars(mine(School).order_by(School.urn)).all()

    @blp.arguments(SchoolSchema)
    @blp.response(201, SchoolOutSchema)
    @blp.alt_response(409, description="A school with that URN exists")
    def post(self, data):
        """Add a school"""
        school = pool.add_school(current_user().la_id, data)
        db.session.commit()
        return school


@blp.route("/<urn>")
class SchoolByUrn(MethodView):
    @blp.response(200, SchoolOutSchema)
    def get(self, urn):
        """Read a school"""
        return own_school(urn)

    @blp.arguments(SchoolSchema(partial=True, exclude=("urn",)))
    @blp.response(200, SchoolOutSchema)
    def patch(self, data, urn):
        """Change a school"""
        school = own_school(urn)
        pool.update_school(school, data)
        db.session.commit()
        return school

    @blp.response(204)
    def delete(self, urn):
        """Remove a school (its reviews, requests and conflicts go with it)"""
        db.session.delete(own_school(urn))
        db.session.commit()


@blp.route("/import")
class SchoolImport(MethodView):
    @blp.arguments(ImportQuerySchema, location="query")
    @blp.arguments(SchoolFileSchema, location="files")
    @blp.response(200, SchoolImportResultSchema)
    @blp.alt_response(422, description="Every bad row and column; nothing was imported")
    def post(self, query, files):
        """Import schools from a GIAS establishment extract or a Trafford-style CSV"""
        result = pool_import.import_at_once(current_user().la_id, "schools", files["file"].read(), query["format"])
        db.session.commit()
        return result
