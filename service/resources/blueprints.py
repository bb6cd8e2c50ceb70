"""Every resource's blueprint, registered on an app's Api.

In a module of its own rather than the package's `__init__`: a domain module that imports
`service.resources.fields` or a resource's schemas loads only those, not every route."""

from .audit.routes import blp as audit
from .conflicts.routes import blp as conflicts
from .cycles.routes import blp as cycles
from .hand_changes.routes import blp as hand_changes
from .mail.routes import blp as mail
from .me.routes import blp as me
from .plans.routes import blp as plans
from .reviewers.routes import blp as reviewers
from .reviews.routes import blp as reviews
from .schools.routes import blp as schools
from .solves.routes import blp as solves
from .support.routes import blp as support
from .what_ifs.routes import blp as what_ifs


def register_blueprints(api):
    for blp in (cycles, solves, plans, reviews, support, schools, reviewers, conflicts, me):
        api.register_blueprint(blp)
    # The second half of issue #10: what-ifs, hand changes, mails on publication, the audit trail.
    for blp in (what_ifs, hand_changes, mail, audit):
        api.register_blueprint(blp)
