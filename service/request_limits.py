"""What a request may bring: a body no larger than its kind allows, JSON no deeper than a limit,
integer path parameters that fit the database's integer columns.

- Bodies: file uploads (multipart forms: the GIAS extract, reviewer lists) up to
  `MAX_UPLOAD_BYTES` (20 MiB); anything else (JSON, forms) up to `MAX_BODY_BYTES` (5 MiB; a
  1,500-school scenario with its previous plan is about 2 MB). Larger: 413, before the body is
  read (a declared length) or as soon as the reading passes the limit (a chunked body).
- JSON deeper than `MAX_JSON_DEPTH` (64) levels: 400, before any parser recurses into it.
- `<int:...>` in a URL matches 0 .. 2**31-1 only (PostgreSQL's `integer`): a larger id is a
  path that does not exist (404), not an overflow in the database driver.
"""

from __future__ import annotations

import builtins
import re
from itertools import accumulate

from flask import current_app, render_template, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from .extensions import db

MiB = 1024 * 1024
INT_MAX = 2**31 - 1

# JSON strings (escapes included; the unrolled form stays linear on long runs of escapes).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# Openers +1, closers -1 (as signed bytes), so that the running sum is the depth.
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


class DatabaseInteger(IntegerConverter):
    """Flask's `int` converter, bounded to what an `integer` column holds."""

    def __init__(self, map, fixed_digits=0, min=0, max=None, signed=False):  # noqa: A002 - werkzeug's names
        bound = INT_MAX if max is None else builtins.min(max, INT_MAX)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in `body`; brackets inside strings do not count.

    At C speed (a 5 MiB body of brackets alone takes about 0.3 s on a busy core), so the
    check costs far less than the parse it protects."""
    steps = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS).translate(_STEPS)
    return max(accumulate(memoryview(steps).cast("b")), default=0)


def install_converters(app) -> None:
    """Before any route is added: routes compile their converters when they are registered."""
    app.url_map.converters["int"] = DatabaseInteger


def init_app(app) -> None:
    app.before_request(_check_body)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(OverflowError, _number_too_large)


def _limit() -> tuple[int, str]:
    if request.mimetype == "multipart/form-data":
        return current_app.config["MAX_UPLOAD_BYTES"], "a file upload"
    return current_app.config["MAX_BODY_BYTES"], "a request body"


def _check_body():
    limit, kind = _limit()
    # Werkzeug stops reading (413) past this, also when no length was declared.
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(_too_large_message(limit, kind))
    if request.content_length is None and len(request.get_data(cache=True)) >= limit:
        # Chunked: werkzeug's limited stream stops at the limit without a word (it raises
        # only on the read after), so a body that filled it was longer than allowed.
        raise RequestEntityTooLarge(_too_large_message(limit, kind))
    if request.is_json:  # a chunked body has no length: read it (up to the limit) all the same
        depth, most = json_depth(request.get_data(cache=True)), current_app.config["MAX_JSON_DEPTH"]
        if depth > most:
            raise BadRequest(f"the JSON body nests {depth} levels deep; at most {most} are accepted")


def _number_too_large(error: OverflowError):
    # SQLite's driver refuses to bind an integer past 64 bits with OverflowError (PostgreSQL's
    # answers DataError, which service/errors.py maps to the same 422); so does date arithmetic
    # on a year past 9999. Either way a number the client sent was too large for what it names.
    db.session.rollback()
    current_app.logger.info("a number too large: %s", error)
    body = {
        "code": 422,
        "status": "Unprocessable Entity",
        "message": "a number is too large for what it names",
        "errors": {"_schema": [str(error)]},
    }
    if request.path.startswith("/api/"):
        return body, 422
    return render_template("pages/error.html", title="A number is too large", message=body["message"] + "."), 422


def _too_large_message(limit: int, kind: str) -> str:
    return f"{kind} may be at most {limit / MiB:g} MiB"


def _too_large(error: RequestEntityTooLarge):
    limit, kind = _limit()
    message = error.description if "at most" in (error.description or "") else _too_large_message(limit, kind)
    if request.path.startswith("/api/"):
        return {"code": 413, "status": "Request Entity Too Large", "message": message, "errors": {}}, 413
    page = render_template(
        "pages/error.html", title="That is too large", message=message[0].upper() + message[1:] + "."
    )
    return page, 413
