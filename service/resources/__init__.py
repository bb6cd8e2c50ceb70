"""The JSON API: one package per resource, each a `routes.py` and a `schemas.py`."""


def register_blueprints(api):
    from .conflicts.routes import blp as conflicts
    from .cycles.routes import blp as cycles
    from .me.routes import blp as me
    from .plans.routes import blp as plans
    from .reviewers.routes import blp as reviewers
    from .reviews.routes import blp as reviews
    from .schools.routes import blp as schools
    from .solves.routes import blp as solves
    from .support.routes import blp as support

    for blp in (cycles, solves, plans, reviews, support, schools, reviewers, conflicts, me):
        api.register_blueprint(blp)
