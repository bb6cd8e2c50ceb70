"""The JSON API: one package per resource, each a `routes.py` and a `schemas.py`; `blueprints`
registers them all on an app's Api."""
