"""Who may call a resource's routes, said once per blueprint.

`Blueprint(..., roles=("la_admin",))` wraps every HTTP method of each view registered on it in
`auth.require(*roles)`, outermost (401 and 403 come before any request parsing, and the OpenAPI
document lists them). A method open to other roles than its blueprint's says so with `@roles`.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint as _Blueprint

from ..auth import require

_ROLES = "_roles"
_GUARDED = "_roles_guarded"


def roles(*names: str):
    """This method's roles instead of its blueprint's (none: any signed-in user)."""

    def mark(fn):
        setattr(fn, _ROLES, names)
        return fn

    return mark


class Blueprint(_Blueprint):
    def __init__(self, *args, roles: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.roles = roles

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **options):
        if isinstance(view_func, type) and issubclass(view_func, MethodView):
            for method in view_func.methods or ():
                name = method.lower()
                fn = getattr(view_func, name)
                if not getattr(fn, _GUARDED, False):  # a view registered under two rules is guarded once
                    allowed = getattr(fn, _ROLES, self.roles)
                    guarded = require(*allowed)(fn)
                    setattr(guarded, _GUARDED, True)
                    setattr(guarded, _ROLES, allowed)  # what the route answers to, for whoever asks
                    setattr(view_func, name, guarded)
        return super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)
