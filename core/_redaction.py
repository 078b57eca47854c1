"""Keeping secrets out of everything creatorkit shows: a store URL's password, for a start.

The config file and the store both show store URLs; both mask them with :func:`mask_url`, here in the lowest
layer so that each may import it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["MASK", "mask_url"]

#: What a secret is shown as.
MASK = "***"


def mask_url(url: str) -> str:
    """``url`` with any password (in the authority or a ``password=`` query) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:{MASK}@{hostport}"
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(key.lower() == "password" for key, _ in pairs):
        query = urlencode([(k, MASK if k.lower() == "password" else v) for k, v in pairs], safe="*")
    if (netloc, query) == (parts.netloc, parts.query):
        return url  # nothing secret; keep the spelling (urlunsplit would drop sqlite:///'s empty authority)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
