"""The new-cycle form: the LA's pool plus the officer's settings, created through the same
domain function as `POST /api/v1/cycles` (`service.new_cycle`), errors on their fields.

Works without JavaScript: filtering the schools, "select all shown" and adding support rows
are submit buttons that post the form back and show it again with everything kept.
"""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from solver.scenario import PHASES

from .. import new_cycle, pool
from ..errors import InvalidInput
from ..extensions import db
from ..models import LocalAuthority
from .blueprint import bp
from .ui import error_list
from .views import page

DEFAULTS = {
    "team_size": "3",
    "visit_days": "1",
    "notice_days": "7",
    "lead_required": "yes",
    "same_cluster": "forbid",
    "same_trust": "forbid",
    "reciprocal": "forbid",
    "phase_match": "require",
    "support_conflict": "forbid",
    "no_repeat_cycles": "2",
    "req-count": "2",
    "prov-count": "2",
    "model": "teams",
    "group_min": "3",
    "group_max": "3",
    "avoid_rounds": "2",
    "facilitator": "none",
    "visit_lengths": "fixed",
    "follow_up": "no",
    "follow_up_days": "1",
    "follow_up_min_weeks": "2",
    "follow_up_max_weeks": "6",
    "load_cycles": "3",
}


@bp.route("/cycles/new", methods=["GET", "POST"])
@page("la_admin")
def new_cycle_page(user):
    if request.method != "POST":
        return _form_page(user, MultiDict(DEFAULTS))
    form = request.form.copy()
    if form.get("action", "create") != "create":
        _rework(user, form, form["action"])
        return _form_page(user, form)
    try:
        cycle = new_cycle.create_from_form(db.session.get(LocalAuthority, user.la_id), form)
        db.session.commit()
    except InvalidInput as error:
        db.session.rollback()
        return _form_page(user, form, {field: " ".join(messages) for field, messages in error.errors.items()}), 422
    chosen = len(dict.fromkeys(form.getlist("reviews")))
    flash(f"Cycle “{cycle.name}” created with {chosen} school(s) to review: start a solve.", "success")
    return redirect(url_for("pages.cycle", cycle_id=cycle.id))


def _rework(user, form: MultiDict, action: str) -> None:
    """The buttons that post the form back to change it (no JavaScript needed): select or clear
    the schools shown by the filter, add a support request or provider row."""
    shown = [c["school"].urn for c in new_cycle.school_choices(user.la_id, new_cycle.SchoolFilter.from_form(form))]
    chosen = list(dict.fromkeys(form.getlist("reviews")))
    if action == "select-shown":
        form.setlist("reviews", chosen + [u for u in shown if u not in chosen])
    elif action == "clear-shown":
        form.setlist("reviews", [u for u in chosen if u not in set(shown)])
    elif action in ("add-request", "add-provider"):
        key = "req-count" if action == "add-request" else "prov-count"
        form[key] = str(int(form.get(key, "0") or 0) + 1 if (form.get(key) or "0").isdigit() else 1)


def _form_page(user, form: MultiDict, errors: dict[str, str] | None = None) -> str:
    errors = errors or {}
    choices = new_cycle.school_choices(user.la_id, new_cycle.SchoolFilter.from_form(form))
    shown = {c["school"].urn for c in choices}
    anchors = {
        "window-start": "window-start-day",
        "window-end": "window-end-day",
        "reviews": "reviews-fieldset",
        "pool": "pool-problems",
        "lead-required": "lead-required",
    }
    for key in (
        "same-cluster",
        "same-trust",
        "reciprocal",
        "phase-match",
        "support-conflict",
        "model",
        "facilitator",
        "visit-lengths",
        "follow-up",
    ):
        anchors[key] = key
    anchors["facilitators"] = "facilitators-fieldset"
    return render_template(
        "pages/cycle_form.html",
        title="Create a cycle",
        form=form,
        errors=errors,
        error_list=error_list(errors, anchors),
        choices=choices,
        chosen=form.getlist("reviews"),
        hidden_chosen=[u for u in form.getlist("reviews") if u not in shown],
        schools=pool.list_schools(user.la_id),
        clusters=pool.clusters(user.la_id),
        trusts=pool.trusts(user.la_id),
        phases=[p for p in PHASES if p in set(pool.phases(user.la_id))],
        req_count=_count(form, "req-count"),
        prov_count=_count(form, "prov-count"),
        facilitator_choices=[r for r in pool.list_reviewers(user.la_id) if r.school_id is None],
        slug=_slug,
    )


def _count(form, key) -> int:
    value = form.get(key) or "0"
    return min(int(value), 200) if value.isdigit() else 0


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower())
