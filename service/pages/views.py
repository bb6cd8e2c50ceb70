"""The pages' routes: read the request, call the domain, commit, render or redirect.

Anything that is not the signed-in user's answers 404 as if it did not exist (as the API
does), including the LA pages for a headteacher: a page never says "this exists, but not
for you". Every state change is a POST form carrying the CSRF token.
"""

from __future__ import annotations

import datetime as dt
import functools

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from .. import declarations, plans, publication, safe_redirect, solve_limits
from ..conditional import respond
from ..errors import DomainError, InvalidInput
from ..errors import NotFound as DomainNotFound
from ..extensions import db
from ..school_groups import groups_for_school
from ..solves import cancel_solve, start_solve
from ..visits import calendar_for, etag, visits_for_school
from . import overview, signin
from .blueprint import bp

HOME = {"la_admin": "pages.cycles", "headteacher": "pages.school"}


# --------------------------------------------------------------------------- plumbing


@bp.after_request
def _headers(response):
    # No third-party anything; the one script is ours. Referer only to ourselves: sign-in
    # links and calendar feed URLs carry secrets in their path, and Flask-WTF wants a
    # same-origin Referer on HTTPS form posts (so not "no-referrer").
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if getattr(g, "page_user", None) is not None:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.app_context_processor
def _user():
    return {"page_user": getattr(g, "page_user", None)}


@bp.errorhandler(404)
@bp.errorhandler(DomainNotFound)
def _not_found(_error):
    return render_template(
        "pages/error.html", title="Page not found", message="There is no such page, or it is not yours to see."
    ), 404


@bp.errorhandler(CSRFError)
def _csrf(_error):
    return render_template(
        "pages/error.html", title="The form has expired", message="Go back, reload the page and try again."
    ), 400


def page(*roles):
    """The view needs a signed-in user with one of `roles`; others see a 404."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            user = signin.signed_in_user()
            if user is None:
                nxt = request.full_path.rstrip("?") if request.method == "GET" else None
                return redirect(url_for("pages.sign_in", next=nxt))
            g.page_user = user  # the 404 page still shows who is signed in
            if roles and user.role not in roles:
                abort(404)
            return fn(user, *args, **kwargs)

        return wrapper

    return decorator


def _safe_next(target: str | None) -> str | None:
    # Only paths on this site (service/safe_redirect.py says what browsers would make of the rest).
    return safe_redirect.local_path(target)


def _refused(error: DomainError) -> None:
    db.session.rollback()
    flash(error.message, "error")


# --------------------------------------------------------------------------- signing in and out


@bp.get("/")
def index():
    user = signin.signed_in_user()
    if user is None:
        return redirect(url_for("pages.sign_in"))
    return redirect(url_for(HOME[user.role]))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    error = None
    if request.method == "POST":
        user = signin.check_password(request.form.get("email", ""), request.form.get("password", ""))
        if user is not None:
            signin.sign_in(user)
            return redirect(_safe_next(request.args.get("next")) or url_for(HOME[user.role]))
        error = "That e-mail and password do not match an account."
    return render_template(
        "pages/sign_in.html", title="Sign in", error=error, email=request.form.get("email", "")
    ), 401 if error else 200


@bp.route("/sign-in/<token>", methods=["GET", "POST"])
def sign_in_link(token):
    # GET only asks for a click: mail scanners and link previews fetch links, and must
    # not use up a one-time link before the person does.
    if request.method == "GET":
        usable = signin.link_is_usable(token) is not None
        return render_template(
            "pages/sign_in_link.html", title="Sign in", usable=usable, token=token
        ), 200 if usable else 410
    user = signin.redeem_login_link(token)
    if user is None:
        return render_template("pages/sign_in_link.html", title="Sign in", usable=False, token=token), 410
    signin.sign_in(user)
    flash(f"Signed in as {user.email}.", "success")
    return redirect(url_for(HOME[user.role]))


@bp.post("/sign-out")
def sign_out():
    signin.sign_out()
    flash("You have signed out.", "success")
    return redirect(url_for("pages.sign_in"))


@bp.post("/sign-out-everywhere")
@page()
def sign_out_everywhere(user):
    signin.sign_out_everywhere(user)
    flash("You have signed out on every device: each one must sign in again.", "success")
    return redirect(url_for("pages.sign_in"))


# --------------------------------------------------------------------------- headteacher


@bp.get("/school")
@page("headteacher")
def school(user):
    visits = visits_for_school(user)
    feed = url_for("pages.calendar_feed", token=signin.calendar_feed_token(user), _external=True)
    return render_template(
        "pages/school.html",
        title=user.school.name or user.school.urn,
        school=user.school,
        groups=groups_for_school(user, visits),
        hosting=[v for v in visits if v["kind"] == "hosting"],
        reviewing=[v for v in visits if v["kind"] == "reviewing"],
        reviewers=declarations.my_reviewers(user),
        conflicts=declarations.my_conflicts(user),
        schools=[s for s in declarations.la_schools(user) if s.id != user.school_id],
        feed_url=feed,
        webcal_url="webcal://" + feed.split("://", 1)[1],
    )


@bp.post("/school/reviewers/<ext_id>/unavailable")
@page("headteacher")
def add_unavailable(user, ext_id):
    try:
        dates = declarations.parse_dates(request.form.get("first", ""), request.form.get("last"))
        reviewer = declarations.add_unavailable(user, ext_id, dates)
        db.session.commit()
        flash(f"{reviewer.name or reviewer.ext_id} is away on {len(dates)} more day(s).", "success")
    except DomainNotFound:
        raise
    except DomainError as error:
        _refused(error)
    return redirect(url_for("pages.school", _anchor="reviewers"))


@bp.post("/school/reviewers/<ext_id>/unavailable/<date>/remove")
@page("headteacher")
def remove_unavailable(user, ext_id, date):
    reviewer = declarations.remove_unavailable(user, ext_id, date)
    db.session.commit()
    flash(f"{reviewer.name or reviewer.ext_id} is available again on {date}.", "success")
    return redirect(url_for("pages.school", _anchor="reviewers"))


@bp.post("/school/conflicts")
@page("headteacher")
def declare_conflict(user):
    try:
        conflict = declarations.declare_conflict(
            user, request.form.get("reviewer", ""), request.form.get("school_urn", ""), request.form.get("reason")
        )
        db.session.commit()
        flash(
            f"Declared: {conflict.reviewer.name or conflict.reviewer.ext_id} will not review "
            f"{conflict.school.name or conflict.school.urn}.",
            "success",
        )
    except DomainNotFound:
        raise
    except DomainError as error:
        _refused(error)
    return redirect(url_for("pages.school", _anchor="conflicts"))


@bp.post("/school/conflicts/<int:conflict_id>/withdraw")
@page("headteacher")
def withdraw_conflict(user, conflict_id):
    declarations.withdraw_conflict(user, conflict_id)
    db.session.commit()
    flash("Conflict withdrawn.", "success")
    return redirect(url_for("pages.school", _anchor="conflicts"))


@bp.post("/school/calendar/reset")
@page("headteacher")
def reset_calendar(user):
    signin.reset_calendar_key(user)
    db.session.commit()
    flash("Your calendar link has changed; the old one no longer works.", "success")
    return redirect(url_for("pages.school", _anchor="calendar"))


@bp.get("/calendar/<token>.ics")
def calendar_feed(token):
    user = signin.user_for_feed(token)
    if user is None or user.role != "headteacher":
        abort(404)
    # Calendar apps poll all day: answer 304 from the index's tag while nothing has changed.
    return respond(etag(user, "ics"), lambda: calendar_for(user), "text/calendar", weak=True)


# --------------------------------------------------------------------------- LA team


@bp.get("/cycles")
@page("la_admin")
def cycles(user):
    return render_template("pages/cycles.html", title="Cycles", cycles=overview.cycles_for(user), la=user.la)


@bp.get("/cycles/<int:cycle_id>")
@page("la_admin")
def cycle(user, cycle_id):
    number = request.args.get("version", type=int)
    data = overview.cycle_overview(overview.own_cycle(user, cycle_id), number)
    return render_template(
        "pages/cycle.html",
        title=data["cycle"].name,
        **data,
        default_limit=current_app.config["SOLVE_DEFAULT_TIME_LIMIT_S"],
        max_limit=current_app.config["SOLVE_MAX_TIME_LIMIT_S"],
    )


@bp.get("/cycles/<int:cycle_id>/progress.json")
@page("la_admin")
def progress(user, cycle_id):
    status = overview.solve_status(overview.own_cycle(user, cycle_id))
    return jsonify(overview.progress(status["active"] or status["last"]))


@bp.post("/cycles/<int:cycle_id>/solves")
@page("la_admin")
def start(user, cycle_id):
    cycle = overview.own_cycle(user, cycle_id)
    try:
        limit = solve_limits.from_form(request.form.get("time_limit_s"))
        start_solve(cycle, time_limit_s=limit, user=user)
        flash(f"Solve started (up to {limit:g} s).", "success")
    except InvalidInput as error:
        # The form's own field is wrong: say which, not "already running".
        message = f"Time limit (seconds): {'; '.join(error.errors.get('time_limit_s', [error.message]))}."
        return render_template("pages/error.html", title="Check the time limit", message=message), 422
    except DomainError as error:
        _refused(error)
    return redirect(url_for("pages.cycle", cycle_id=cycle_id))


@bp.post("/cycles/<int:cycle_id>/solves/<solve_id>/cancel")
@page("la_admin")
def cancel(user, cycle_id, solve_id):
    cycle = overview.own_cycle(user, cycle_id)
    active = overview.solve_status(cycle)["active"]
    if active is None or active.id != solve_id:
        flash("That solve has already ended.", "error")
    else:
        try:
            cancel_solve(active)
            flash("Solve asked to stop; it keeps the best plan found so far.", "success")
        except DomainError as error:
            _refused(error)
    return redirect(url_for("pages.cycle", cycle_id=cycle_id))


@bp.post("/cycles/<int:cycle_id>/publish")
@page("la_admin")
def publish(user, cycle_id):
    cycle = overview.own_cycle(user, cycle_id)
    number = request.form.get("version", type=int)
    try:
        version = plans.get_version(cycle, number) if number else None
        if version is None:
            raise DomainError("choose a version to publish")
        mails = publication.publish(cycle, version, actor=user)
        db.session.commit()
        flash(f"Version {version.number} is published: headteachers see it now; {publication.told(mails)}", "success")
    except DomainError as error:
        _refused(error)
    return redirect(url_for("pages.cycle", cycle_id=cycle_id))


@bp.post("/cycles/<int:cycle_id>/visits/<urn>/lock")
@page("la_admin")
def lock(user, cycle_id, urn):
    cycle = overview.own_cycle(user, cycle_id)
    locked = request.form.get("locked") == "1"
    try:
        review = plans.set_lock(cycle, urn, locked)
        db.session.commit()
        name = review.school.name or urn
        flash(f"Visit to {name} {'locked: re-optimising keeps it as it is' if locked else 'unlocked'}.", "success")
    except DomainNotFound:
        raise
    except DomainError as error:
        _refused(error)
    back = url_for("pages.cycle", cycle_id=cycle_id, version=request.form.get("version", type=int))
    return redirect(back + f"#visit-{urn}")


@bp.app_template_filter("longdate")
def longdate(value) -> str:
    """2027-01-12 -> "Tuesday 12 January 2027" (how schools write dates)."""
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day:%A} {day.day} {day:%B %Y}"


@bp.app_template_filter("money")
def money(value) -> str:
    return "–" if value is None else f"£{value:,.0f}"
