"""The LA team's pages for changing a plan after a solve: answering unstaffed reviews with
what-ifs, changing visits by hand, the mails of a publication, and the audit trail.

Each view reads the form, makes one call to the same domain function as the API
(`what_ifs`, `hand_changes`, `notify`, `audit`), commits and redirects (or shows the refusal).
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for

from .. import audit, hand_changes, notify, ownership, plans, what_ifs
from ..errors import DomainError
from ..errors import NotFound as DomainNotFound
from ..exports import names
from ..extensions import db
from ..models import Cycle, PlanVersion, Reviewer
from ..pins import pins
from . import overview
from .blueprint import bp
from .views import _refused, page

LONDON = ZoneInfo("Europe/London")
AUDIT_PAGE_SIZE = 50


@bp.app_template_global("plan_change_extras")
def cycle_extras(cycle: Cycle, version: PlanVersion | None) -> dict:
    """What the cycle page shows of this module (its template calls this): mails, visits set by
    hand, where to act."""
    visits = []
    if version is not None:
        schools, _ = names(cycle)
        visits = [
            {"urn": v["school_urn"], "name": schools[v["school_urn"]].name if v["school_urn"] in schools else None}
            for v in sorted(version.plan.get("reviews", []), key=lambda v: v["school_urn"])
        ]
    return {
        "mail": notify.summary(cycle),
        "pins": pins(cycle),
        "staffed": visits,
        "to_answer": len(version.plan.get("unstaffed") or []) + len(version.plan.get("unmet_support") or [])
        if version is not None
        else 0,
    }


@bp.app_template_filter("when")
def when(value) -> str:
    """A stored UTC time as London reads it: "23 November 2026, 11:20"."""
    if value is None:
        return ""
    local = value.replace(tzinfo=dt.UTC).astimezone(LONDON)
    return f"{local.day} {local:%B %Y}, {local:%H:%M}"


# --------------------------------------------------------------------------- what-ifs


@bp.get("/cycles/<int:cycle_id>/unstaffed")
@page("la_admin")
def unstaffed(user, cycle_id):
    cycle = overview.own_cycle(user, cycle_id)
    version = plans.get_version(cycle, request.args.get("version", type=int))
    return render_template(
        "pages/unstaffed.html", title=f"Unstaffed reviews – {cycle.name}", **_unstaffed(cycle, version)
    )


def _unstaffed(cycle: Cycle, version: PlanVersion) -> dict:
    return {
        "cycle": cycle,
        "version": version,
        "schools": names(cycle)[0],
        "unstaffed": version.plan.get("unstaffed", []),
        "unmet": version.plan.get("unmet_support", []),
        "suggestions": what_ifs.suggest(cycle, version),
        "what_ifs": what_ifs.listing(cycle),
        "state": what_ifs.state,
        "active": overview.solve_status(cycle)["active"],
    }


@bp.post("/cycles/<int:cycle_id>/what-ifs")
@page("la_admin")
def start_what_if(user, cycle_id):
    cycle = overview.own_cycle(user, cycle_id)
    try:
        what_if = _start_from_form(cycle, request.form, user)
    except DomainNotFound:
        raise
    except DomainError as error:
        _refused(error)
        return redirect(url_for("pages.unstaffed", cycle_id=cycle.id, version=request.form.get("version", type=int)))
    flash(f"Trying “{what_if.label}” on a copy of the cycle.", "success")
    return redirect(url_for("pages.what_if", cycle_id=cycle.id, what_if_id=what_if.id))


def _start_from_form(cycle: Cycle, form, user):
    try:
        change = json.loads(form.get("change", ""))
    except ValueError:
        raise DomainError("the what-if's change is not readable") from None
    number = form.get("version", type=int)
    return what_ifs.start(
        cycle,
        change,
        base=plans.get_version(cycle, number) if number else None,
        label=form.get("label") or None,
        school_urn=form.get("school_urn") or None,
        request_id=form.get("request") or None,
        actor=user,
    )


@bp.get("/cycles/<int:cycle_id>/what-ifs/<int:what_if_id>")
@page("la_admin")
def what_if(user, cycle_id, what_if_id):
    cycle = overview.own_cycle(user, cycle_id)
    item = what_ifs.get(cycle, what_if_id)
    schools, reviewers = names(cycle)
    status = overview.solve_status(cycle)
    return render_template(
        "pages/what_if.html",
        title=f"What if: {item.label}",
        cycle=cycle,
        item=item,
        state=what_ifs.state(item),
        comparison=what_ifs.compare(item),
        schools=schools,
        reviewers=reviewers,
        solve=status["active"] if status["active"] and status["active"].id == item.solve_id else None,
    )


@bp.post("/cycles/<int:cycle_id>/what-ifs/<int:what_if_id>/adopt")
@page("la_admin")
def adopt_what_if(user, cycle_id, what_if_id):
    cycle = overview.own_cycle(user, cycle_id)
    item = what_ifs.get(cycle, what_if_id)
    try:
        version = what_ifs.adopt(item, actor=user)
        db.session.commit()
    except DomainError as error:
        _refused(error)
        return redirect(url_for("pages.what_if", cycle_id=cycle.id, what_if_id=what_if_id))
    flash(f"Adopted “{item.label}”: the cycle's settings changed, and its plan is version {version.number}.", "success")
    return redirect(url_for("pages.cycle", cycle_id=cycle.id, version=version.number))


@bp.post("/cycles/<int:cycle_id>/what-ifs/<int:what_if_id>/discard")
@page("la_admin")
def discard_what_if(user, cycle_id, what_if_id):
    cycle = overview.own_cycle(user, cycle_id)
    item = what_ifs.get(cycle, what_if_id)
    try:
        what_ifs.discard(item, actor=user)
        db.session.commit()
        flash(f"Discarded “{item.label}”: nothing about the cycle changed.", "success")
    except DomainError as error:
        _refused(error)
    return redirect(url_for("pages.unstaffed", cycle_id=cycle.id))


# --------------------------------------------------------------------------- changes by hand


def _change_page(user, cycle, urn, version, *, problems=None, form=None, status=200):
    review = plans.review_for(cycle, urn)
    schools, reviewers = names(cycle)
    visit = next((v for v in version.plan.get("reviews", []) if v["school_urn"] == urn), None)
    team = {m["reviewer"] for m in visit["team"]} if visit else set()
    pool = db.session.scalars(db.select(Reviewer).where(Reviewer.la_id == cycle.la_id).order_by(Reviewer.ext_id))
    return render_template(
        "pages/hand_change.html",
        title=f"Change the visit to {review.school.name or urn}",
        cycle=cycle,
        version=version,
        review=review,
        visit=visit,
        reviewers=reviewers,
        others=[r for r in pool if r.ext_id not in team],
        problems=problems or [],
        form=form or {},
        pinned=any(p.review_id == review.id for p in pins(cycle)),
    ), status


@bp.get("/cycles/<int:cycle_id>/visits/<urn>/change")
@page("la_admin")
def change_visit(user, cycle_id, urn):
    cycle = overview.own_cycle(user, cycle_id)
    version = plans.get_version(cycle, request.args.get("version", type=int))
    return _change_page(user, cycle, urn, version)


@bp.get("/cycles/<int:cycle_id>/visits/change")
@page("la_admin")
def choose_visit(user, cycle_id):
    """The cycle page's "change a visit" form (a GET form picks the school)."""
    cycle = overview.own_cycle(user, cycle_id)
    urn = request.args.get("school_urn", "")
    return redirect(
        url_for("pages.change_visit", cycle_id=cycle.id, urn=urn, version=request.args.get("version", type=int))
    )


@bp.post("/cycles/<int:cycle_id>/visits/<urn>/change")
@page("la_admin")
def make_change(user, cycle_id, urn):
    cycle = overview.own_cycle(user, cycle_id)
    form = request.form
    version = plans.get_version(cycle, form.get("version", type=int))
    try:
        new, elsewhere = hand_changes.apply(cycle, _change_of(form, urn), base=version, actor=user)
        db.session.commit()
    except DomainNotFound:
        raise
    except DomainError as error:
        db.session.rollback()
        return _change_page(user, cycle, urn, version, problems=_problems_of(error), form=form, status=422)
    flash(_accepted(new, elsewhere), "success")
    return redirect(url_for("pages.cycle", cycle_id=cycle.id, version=new.number))


def _change_of(form, urn: str) -> dict:
    keys = ("action", "reviewer_out", "reviewer_in", "date")
    return {"school_urn": urn} | {k: form.get(k) or None for k in keys}


def _problems_of(error: DomainError) -> list[dict]:
    """The checker's problems of a refusal, or its bad fields in the same shape."""
    return error.extra.get("problems") or [
        {"label": field, "people": [], "date": None, "message": "; ".join(msgs), "school": None}
        for field, msgs in (error.errors or {"_": [error.message]}).items()
    ]


def _accepted(version: PlanVersion, elsewhere: list) -> str:
    message = f"Version {version.number}, made by hand: {version.note}."
    if elsewhere:
        message += f" The plan still breaks {len(elsewhere)} rule(s) elsewhere, as it did before."
    return message


@bp.post("/cycles/<int:cycle_id>/pins/<urn>/release")
@page("la_admin")
def release_pin(user, cycle_id, urn):
    cycle = overview.own_cycle(user, cycle_id)
    hand_changes.release(cycle, urn, actor=user)
    db.session.commit()
    flash("Later solves may move that visit again.", "success")
    return redirect(url_for("pages.cycle", cycle_id=cycle.id, _anchor="hand-pins"))


# --------------------------------------------------------------------------- mails


@bp.post("/cycles/<int:cycle_id>/mail/retry")
@page("la_admin")
def retry_mail(user, cycle_id):
    cycle = overview.own_cycle(user, cycle_id)
    try:
        count = notify.retry_failed(cycle, actor=user)
        db.session.commit()
        flash(f"Sending {count} mail(s) again.", "success")
    except DomainError as error:
        _refused(error)
    return redirect(url_for("pages.cycle", cycle_id=cycle.id, _anchor="mail"))


# --------------------------------------------------------------------------- audit


@bp.get("/audit")
@page("la_admin")
def audit_trail(user):
    kinds = sorted({a.split(".")[0] for a in audit.ACTIONS})
    action = request.args.get("action") or None
    action = action if action in audit.ACTIONS or action in kinds else None
    cycle_id = request.args.get("cycle_id", type=int)
    number = request.args.get("page", 1, type=int)
    found = audit.page(user.la_id, action=action, cycle_id=cycle_id, number=number, size=AUDIT_PAGE_SIZE)
    cycles = {c.id: c.name for c in db.session.scalars(ownership.visible(user, Cycle))}
    return render_template(
        "pages/audit.html",
        title="Audit trail",
        **{"actions": audit.ACTIONS, "kinds": kinds, "action": action, "cycle_id": cycle_id, "cycles": cycles},
        **found,
    )
