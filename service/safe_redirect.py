"""Where a sign-in may send the browser next: a path on this site, nothing else.

Browsers forgive a lot in a Location header: they drop tabs and newlines (`/\t/evil.example`
becomes `//evil.example`, another host), read a backslash as a slash, and take `//host` as
"same scheme, other host". So a `next` is kept only if it is a plain absolute path: it starts
with one `/`, has no backslash, no whitespace, control or invisible character anywhere, and parses with no
scheme and no host. Anything else is dropped (the caller goes to the home page instead).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# Whitespace and control characters (C0, DEL, C1), which browsers strip or choke on in a URL.
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\\]")


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None."""
    if not target or not target.startswith("/") or target.startswith("//") or _UNSAFE.search(target):
        return None
    # Invisible or spacing characters beyond ASCII too (zero-width space, line separator...).
    if any(unicodedata.category(c)[0] in "CZ" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
