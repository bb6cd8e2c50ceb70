"""The `pages` blueprint, in a module of its own: the view modules add their routes to it and
`service.pages` registers it, so neither imports the other back."""

from flask import Blueprint

# Templates and the stylesheet sit in the app's own service/templates and service/static.
bp = Blueprint("pages", __name__)
