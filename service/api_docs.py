"""/api/docs: Swagger UI on the OpenAPI document, served from the `swagger-ui-bundle` package.

No CDN (the page works offline and loads nothing unpinned from elsewhere) and no inline script
(ours is a file), so the page carries the pages' own Content-Security-Policy and headers: it
shares an origin with the session cookie.
"""

from __future__ import annotations

import os

from flask import Blueprint, abort, render_template, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("swagger_ui", __name__, url_prefix="/api/docs")

# The package's files the page uses; nothing else of its folder is served.
ASSETS = frozenset(
    {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-32x32.png",
        "favicon-16x16.png",
    }
)

HEADERS = {
    # Swagger UI sets styles from script (allowed) and draws its icons as data: images.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@bp.get("")
def page():
    return render_template("api_docs.html", title="School peer review API")


@bp.get("/ui/<path:filename>")
def asset(filename: str):
    if filename not in ASSETS:
        abort(404)
    return send_from_directory(os.fspath(swagger_ui_path), filename, max_age=24 * 3600)


@bp.after_request
def _headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app) -> None:
    app.register_blueprint(bp)
