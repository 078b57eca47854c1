"""What a store hands out and what a connection remembers of it: :class:`Record`, :class:`Known`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import attrs

__all__ = ["RECORD_CACHE_SIZE", "Key", "Known", "Record", "copy_document"]


Key = tuple[str, str]  # (kind, id)
#: Documents a connection keeps in its cache of committed ones; the oldest go first beyond this.
RECORD_CACHE_SIZE: Final = 20_000


@attrs.frozen
class Record:
    """One stored document with its bookkeeping; ``version`` starts at 1 and grows by one per update.

    ``doc`` may be shared with the store's cache of committed documents: treat it as read-only and write
    changes as a new dict (``{**record.doc, "price": 500}``).
    """

    kind: str
    id: str
    workspace: str | None
    parent: str | None
    state: str | None
    version: int
    doc: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class Known:
    """What one connection knows of the committed database: documents it has read or written, and the audit head.

    Trusted only while no other connection commits; the dialect checks that as each transaction begins
    (see :meth:`Store._valid_cache`).
    """

    __slots__ = ("audit_head", "records")

    def __init__(self) -> None:
        self.records: dict[Key, Record] = {}
        # (last sequence, last hash, the key that MACs it): see Transaction._writable_head.
        self.audit_head: tuple[int, str, str | None] | None = None


def copy_document(value: Any) -> Any:
    """A document (JSON: dicts, lists and plain values) of its own, for a caller that may change it in place."""
    if isinstance(value, dict):
        return {key: copy_document(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_document(item) for item in value]
    return value
