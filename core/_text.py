"""Which text a store can keep: the rule both stores and the entities hold ids and documents to.

PostgreSQL cannot keep U+0000 in text or JSONB, and no UTF-8 encoder writes a lone surrogate (what
``surrogateescape`` decoding or a broken UTF-16 pair leaves in a Python string). SQLite would keep both, so a
workflow tested on SQLite would fail on PostgreSQL in production; both refuse it instead, naming where it was.
"""

from __future__ import annotations

__all__ = ["text_problem"]


def text_problem(text: str) -> str | None:
    """Why no store can keep ``text`` (a U+0000 character, a lone surrogate), or None when any store can."""
    if "\x00" in text:
        return "contains the character U+0000 (NUL), which the store cannot keep"
    if text.isascii():  # known from the string's header: most ids and names need no encoding to tell
        return None
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        return f"contains a lone surrogate (U+{ord(text[exc.start]):04X}), which is not text any store can keep"
    return None
