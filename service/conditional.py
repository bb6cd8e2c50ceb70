"""Conditional GETs: the ETag is known before the body is built; a client holding that copy gets
a bodiless 304 (RFC 9110 §13.1.2, weak comparison), and a body already made for that ETag is
sent again from this process's memory instead of being made anew."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import Response, current_app, request
from werkzeug.http import quote_etag

# Each client may keep its copy but must ask again each time: a new publication shows at once.
CACHE_CONTROL = "private, no-cache"

# The OpenAPI description of the header the API's conditional endpoints read.
IF_NONE_MATCH = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "The ETag of the copy the client holds: 304 (no body) while it is current",
}


class Bodies:
    """The most recently sent bodies by ETag (least recently used out first), shared by a
    process's threads. An ETag names one body for good, so an entry is never stale: once the
    data changes, requests carry a new ETag and the old entry is simply not asked for again."""

    def __init__(self):
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tag: str) -> bytes | None:
        with self._lock:
            body = self._bodies.get(tag)
            if body is not None:
                self._bodies.move_to_end(tag)
            return body

    def put(self, tag: str, body: bytes, size: int) -> None:
        """Keep `body`, and at most `size` bodies in all."""
        with self._lock:
            self._bodies[tag] = body
            self._bodies.move_to_end(tag)
            while len(self._bodies) > size:
                self._bodies.popitem(last=False)


# RESPONSE_CACHE_SIZE bodies of a few kB each (2048 by default: every headteacher of a large LA,
# in both formats, for a few MB per process).
BODIES = Bodies()


def respond(
    tag: str, render: Callable[[], bytes], mimetype: str, *, weak: bool = False, vary: str | None = None
) -> Response:
    """The body `render()` makes, with ETag `tag`; or a 304 when If-None-Match names `tag`.

    `tag` must name the body completely (who asks, the format, the data's version): it is
    also the key the body is kept under. `weak`: two bodies of one tag may differ byte for
    byte (an iCalendar's DTSTAMP) but not in meaning.
    """
    headers = {"ETag": quote_etag(tag, weak), "Cache-Control": CACHE_CONTROL}
    if vary:
        headers["Vary"] = vary
    if request.if_none_match.contains_weak(tag):
        return Response(status=304, headers=headers)
    size = current_app.config["RESPONSE_CACHE_SIZE"]
    body = BODIES.get(tag) if size else None
    if body is None:
        body = render()
        if size:
            BODIES.put(tag, body, size)
    return Response(body, mimetype=mimetype, headers=headers)
