"""What the templates share beyond GOV.UK Frontend's macros: tag colours, form errors in the
GOV.UK pattern (an error summary at the top, each message on its field)."""

from __future__ import annotations

from markupsafe import Markup, escape
from openpyxl.utils import get_column_letter

from .blueprint import bp

STATE_TAGS = {
    "draft": "govuk-tag--grey",
    "planned": "govuk-tag--blue",
    "published": "govuk-tag--green",
    "solving": "govuk-tag--yellow",
    "over": "govuk-tag--grey",
}


@bp.app_template_global()
def state_tag(state: str) -> str:
    return STATE_TAGS.get(state, "")


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet names its columns."""
    return get_column_letter(index + 1)


def error_list(errors: dict[str, str], anchors: dict[str, str] | None = None) -> list[dict]:
    """The GOV.UK error summary's list: each message links to its field's id (`#id`)."""
    anchors = anchors or {}
    return [{"text": message, "href": "#" + anchors.get(field, field)} for field, message in errors.items()]


@bp.app_template_global()
def field_error(errors: dict | None, field: str):
    """The `errorMessage` parameter of a GOV.UK macro: the field's message, or false."""
    message = (errors or {}).get(field)
    return {"text": message} if message else False


@bp.app_template_global()
def phase_items(phases: list[str], chosen) -> list[dict]:
    """Checkbox items for the phases, `chosen` ticked."""
    chosen = set(chosen or [])
    return [{"value": p, "text": p, "checked": p in chosen} for p in phases]


@bp.app_template_global()
def options_items(options, current) -> list[dict]:
    """Radio items from (value, text) pairs, `current` checked."""
    return [{"value": value, "text": text, "checked": value == current} for value, text in options]


@bp.app_template_global()
def school_select(field_id: str, label: str, schools, form, errors):
    """A GOV.UK select of the pool's schools (the field's name is its id)."""
    current = form.get(field_id, "")
    message = (errors or {}).get(field_id)
    field_id = escape(field_id)
    options = ['<option value="">None</option>'] + [
        f'<option value="{escape(s.urn)}"{" selected" if s.urn == current else ""}>{escape(s.name or s.urn)}</option>'
        for s in schools
    ]
    error = (
        f'<p id="{field_id}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> {escape(message)}</p>'
        if message
        else ""
    )
    return Markup(  # nosec B704 # every value put in below went through escape() first
        f'<div class="govuk-form-group{" govuk-form-group--error" if message else ""}">'
        f'<label class="govuk-label" for="{field_id}">{escape(label)}</label>{error}'
        f'<select class="govuk-select{" govuk-select--error" if message else ""}" id="{field_id}" name="{field_id}"'
        f"{f' aria-describedby={chr(34)}{field_id}-error{chr(34)}' if message else ''}>{''.join(options)}</select></div>"
    )
