"""The LA team's pool pages: schools and reviewers listed, filtered and edited one by one, and
uploaded with a preview (nothing is written until the officer confirms).

Routes read the request, call `service.pool` / `service.pool_import` (the domain the API uses
too), commit once, and render or redirect.
"""

from __future__ import annotations

import csv
import io

from flask import Response, flash, redirect, render_template, request, url_for

from solver.scenario import PHASES

from .. import head_accounts, ownership, pool, pool_import
from ..errors import DomainError, InvalidInput
from ..errors import NotFound as DomainNotFound
from ..extensions import db
from ..imports import GIAS_REQUIRED, REVIEWER_COLUMNS
from ..models import LocalAuthority, Reviewer, School
from ..spreadsheets import xlsx_bytes
from .blueprint import bp
from .ui import error_list
from .views import page

KIND_NAMES = {"schools": "schools", "reviewers": "reviewers"}


def _filters() -> dict:
    return {k: (request.args.get(k) or "").strip() or None for k in ("phase", "cluster", "trust", "q")}


def _options(la_id: int) -> dict:
    return {"phases": pool.phases(la_id), "clusters": pool.clusters(la_id), "trusts": pool.trusts(la_id)}


def _errors(error: DomainError) -> dict[str, str]:
    return {field: "; ".join(messages) for field, messages in error.errors.items()}


# --------------------------------------------------------------------------- schools


@bp.get("/schools")
@page("la_admin")
def schools(user):
    filters = _filters()
    return render_template(
        "pages/pool/schools.html",
        title="Schools",
        schools=pool.list_schools(user.la_id, **filters),
        filters=filters,
        **_options(user.la_id),
    )


@bp.post("/schools/cluster")
@page("la_admin")
def school_cluster(user):
    try:
        moved = pool.set_cluster(user.la_id, request.form.getlist("urns"), request.form.get("cluster"))
        db.session.commit()
        name = (request.form.get("cluster") or "").strip()
        flash(f"{moved} school(s) put in {'the cluster ' + name if name else 'no cluster'}.", "success")
    except InvalidInput as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(
        request.form.get("back")
        if (request.form.get("back") or "").startswith("/schools")
        else url_for("pages.schools")
    )


def _own_school(user, urn) -> School:
    return ownership.own(user, School, School.urn == urn, what="school")


@bp.route("/schools/<urn>", methods=["GET", "POST"])
@page("la_admin")
def school_edit(user, urn):
    school = _own_school(user, urn)
    if request.method != "POST":
        return _school_page(user, school)
    try:
        pool.edit_school(school, request.form)
        db.session.commit()
        flash(f"{school.name or school.urn} saved.", "success")
        return redirect(url_for("pages.schools"))
    except InvalidInput as error:
        db.session.rollback()
        return _school_page(user, _own_school(user, urn), request.form, _errors(error)), 422


def _school_page(user, school: School, form=None, errors: dict[str, str] | None = None) -> str:
    errors = errors or {}
    return render_template(
        "pages/pool/school_edit.html",
        title=f"Change {school.name or school.urn}",
        school=school,
        form=form,
        errors=errors,
        error_list=error_list(errors, {"phase": "phase", "closed_dates": "closed-dates", "head_email": "head-email"}),
        all_phases=PHASES,
        head=head_accounts.head_of(school),
        **_options(user.la_id),
    )


# --------------------------------------------------------------------------- reviewers


@bp.get("/reviewers")
@page("la_admin")
def reviewers(user):
    filters = _filters()
    return render_template(
        "pages/pool/reviewers.html",
        title="Reviewers",
        reviewers=pool.list_reviewers(user.la_id, **filters),
        filters=filters,
        **_options(user.la_id),
    )


def _own_reviewer(user, ext_id) -> Reviewer:
    return ownership.own(user, Reviewer, Reviewer.ext_id == ext_id, what="reviewer")


@bp.route("/reviewers/<ext_id>", methods=["GET", "POST"])
@page("la_admin")
def reviewer_edit(user, ext_id):
    reviewer = _own_reviewer(user, ext_id)
    if request.method != "POST":
        return _reviewer_page(user, reviewer)
    try:
        pool.edit_reviewer(reviewer, request.form)
        db.session.commit()
        flash(f"{reviewer.name or reviewer.ext_id} saved.", "success")
        return redirect(url_for("pages.reviewers"))
    except InvalidInput as error:
        db.session.rollback()
        return _reviewer_page(user, _own_reviewer(user, ext_id), request.form, _errors(error)), 422


def _reviewer_page(user, reviewer: Reviewer, form=None, errors: dict[str, str] | None = None) -> str:
    errors = errors or {}
    return render_template(
        "pages/pool/reviewer_edit.html",
        title=f"Change {reviewer.name or reviewer.ext_id}",
        reviewer=reviewer,
        form=form,
        errors=errors,
        error_list=error_list(
            errors,
            {"school_urn": "school-urn", "phases": "phases", "max_reviews": "max-reviews", "day_rate": "day-rate"},
        ),
        schools=pool.list_schools(user.la_id),
        all_phases=PHASES,
    )


# --------------------------------------------------------------------------- uploads


def _kind(kind: str) -> str:
    if kind not in pool_import.KINDS:
        raise DomainNotFound("no such upload")
    return kind


@bp.route("/schools/upload", methods=["GET", "POST"], defaults={"kind": "schools"}, endpoint="upload_schools")
@bp.route("/reviewers/upload", methods=["GET", "POST"], defaults={"kind": "reviewers"}, endpoint="upload_reviewers")
@page("la_admin")
def upload(user, kind):
    kind = _kind(kind)
    context = {"title": f"Upload {KIND_NAMES[kind]}", "kind": kind}
    if request.method == "GET":
        return render_template("pages/pool/upload.html", **context)
    file = request.files.get("file")
    if file is None or not file.filename:
        return _refused_upload(context, {"file": "Choose a file to upload"})
    return _preview(user, kind, file, context)


def _preview(user, kind: str, file, context: dict):
    """The uploaded file checked and kept (nothing written to the pool yet): its preview, or why
    it was refused."""
    raw = file.read()
    try:
        result = pool_import.preview(db.session.get(LocalAuthority, user.la_id), kind, raw, file.filename)
    except InvalidInput as error:
        db.session.rollback()
        errors = {"file": f"{file.filename} was not uploaded: {error.message}"}
        return _refused_upload(context, errors, bad=pool_import.bad_file(kind, raw, error), filename=file.filename)
    kept = pool_import.keep(user, result, raw)
    db.session.commit()
    title = f"Check the {KIND_NAMES[kind]} in {file.filename}"
    return render_template("pages/pool/preview.html", title=title, preview=result, upload=kept, kind=kind)


def _refused_upload(context: dict, errors: dict[str, str], **extra):
    """The upload form again, with why the file was refused (and, for a bad file, its cells)."""
    return render_template(
        "pages/pool/upload.html", errors=errors, error_list=error_list(errors), **extra, **context
    ), 422


@bp.post("/schools/upload/<upload_id>/confirm", defaults={"kind": "schools"}, endpoint="confirm_schools")
@bp.post("/reviewers/upload/<upload_id>/confirm", defaults={"kind": "reviewers"}, endpoint="confirm_reviewers")
@page("la_admin")
def confirm_upload(user, kind, upload_id):
    kind = _kind(kind)
    try:
        result = pool_import.confirm(user, kind, upload_id)
        db.session.commit()
    except DomainNotFound as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(f"pages.upload_{kind}"))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(f"pages.upload_{kind}"))
    flash(f"{result['created']} {kind} added, {result['updated']} updated.", "success")
    return redirect(url_for(f"pages.{kind}"))


# --------------------------------------------------------------------------- templates to fill in

SCHOOL_EXAMPLE = {
    "URN": "106283",
    "LA (code)": "358",
    "EstablishmentName": "Navigation Primary School",
    "EstablishmentStatus (name)": "Open",
    "PhaseOfEducation (name)": "Primary",
    "TypeOfEstablishment (name)": "Community school",
    "EstablishmentTypeGroup (name)": "Local authority maintained schools",
    "StatutoryLowAge": "3",
    "StatutoryHighAge": "11",
    "Trusts (name)": "",
    "Easting": "376370",
    "Northing": "388155",
    "NumberOfPupils": "420",
    "Postcode": "WA14 1NG",
    "OpenDate": "01-09-1974",
}
REVIEWER_EXAMPLE = {
    "id": "r-0001",
    "name": "A. Head",
    "school_urn": "106283",
    "role": "headteacher",
    "lead_accredited": "yes",
    "phases": "primary",
    "specialisms": "maths;send",
    "max_reviews": "2",
    "day_rate": "480",
    "unavailable": "2026-11-03;2026-11-04",
    "email": "head@school.example",
}


def _csv(header: list[str], example: dict, name: str, encoding: str) -> Response:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerow(example)
    return Response(
        out.getvalue().encode(encoding),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/schools/template.csv")
@page("la_admin")
def schools_template(user):
    # The GIAS extract's own columns (the ones read), in its encoding: a downloaded extract fits as it is.
    return _csv(GIAS_REQUIRED, SCHOOL_EXAMPLE, "schools-template.csv", "cp1252")


@bp.get("/reviewers/template.csv", defaults={"ext": "csv"}, endpoint="reviewers_template_csv")
@bp.get("/reviewers/template.xlsx", defaults={"ext": "xlsx"}, endpoint="reviewers_template_xlsx")
@page("la_admin")
def reviewers_template(user, ext):
    if ext == "csv":
        return _csv(REVIEWER_COLUMNS, REVIEWER_EXAMPLE, "reviewers-template.csv", "utf-8")
    body = xlsx_bytes(REVIEWER_COLUMNS, [[REVIEWER_EXAMPLE[c] for c in REVIEWER_COLUMNS]], "Reviewers")
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="reviewers-template.xlsx"'},
    )
