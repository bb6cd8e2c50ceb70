"""Schools of the LA's pool, and imports from GIAS or Trafford-style CSV."""

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from ... import audit
from ...auth import current_user, require
from ...extensions import db
from ...imports import import_schools
from ...models import LocalAuthority, School
from ...pool import update_school
from ..scope import own_school
from .schemas import ImportQuerySchema, SchoolFileSchema, SchoolImportResultSchema, SchoolOutSchema, SchoolSchema

blp = Blueprint(
    "schools", __name__, url_prefix="/api/v1/schools", description="The schools of my local authority (LA admins only)."
)


def apply(school: School, data: dict) -> None:
    update_school(school, data)


@blp.route("")
class Schools(MethodView):
    @require("la_admin")
    @blp.response(200, SchoolOutSchema(many=True))
    def get(self):
        """List my LA's schools"""
        return db.session.scalars(
            db.select(School).where(School.la_id == current_user().la_id).order_by(School.urn)
        ).all()

    @require("la_admin")
    @blp.arguments(SchoolSchema)
    @blp.response(201, SchoolOutSchema)
    @blp.alt_response(409, description="A school with that URN exists")
    def post(self, data):
        """Add a school"""
        la_id = current_user().la_id
        if db.session.scalar(db.select(School).where(School.la_id == la_id, School.urn == data["urn"])):
            abort(409, message=f"school {data['urn']} exists", errors={"urn": ["already exists"]})
        school = School(la_id=la_id, urn=data.pop("urn"), closed_dates=[])
        db.session.add(school)
        apply(school, data)
        db.session.commit()
        return school


@blp.route("/<urn>")
class SchoolByUrn(MethodView):
    @require("la_admin")
    @blp.response(200, SchoolOutSchema)
    def get(self, urn):
        """Read a school"""
        return own_school(urn)

    @require("la_admin")
    @blp.arguments(SchoolSchema(partial=True, exclude=("urn",)))
    @blp.response(200, SchoolOutSchema)
    def patch(self, data, urn):
        """Change a school"""
        school = own_school(urn)
        apply(school, data)
        db.session.commit()
        return school

    @require("la_admin")
    @blp.response(204)
    def delete(self, urn):
        """Remove a school (its reviews, requests and conflicts go with it)"""
        db.session.delete(own_school(urn))
        db.session.commit()


@blp.route("/import")
class SchoolImport(MethodView):
    @require("la_admin")
    @blp.arguments(ImportQuerySchema, location="query")
    @blp.arguments(SchoolFileSchema, location="files")
    @blp.response(200, SchoolImportResultSchema)
    @blp.alt_response(422, description="Every bad row and column; nothing was imported")
    def post(self, query, files):
        """Import schools from a GIAS establishment extract or a Trafford-style CSV"""
        la = db.session.get(LocalAuthority, current_user().la_id)
        result = import_schools(la, files["file"].read(), query["format"])
        audit.record("pool.schools_imported", f"imported schools ({result})", la_id=la.id, details=result)
        db.session.commit()
        return result
