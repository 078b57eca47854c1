"""What each of the escrow's ledger entries keeps of the request that made it: the whole request, in its memo.

The ledger stores an entry's memo with the entry, in the audit trail too, and compares it when an operation id
comes again: so the memo holding the :class:`~creatorkit.entities.ProviderRequest` as submitted (JSON, keys
sorted, so that one request always writes the same text) makes the ledger's own idempotency cover every field of
the request, and lets retrieving rebuild the operation from the entry alone, in any process, after any
restart. ASCII escapes keep any text a request holds (a NUL in a reason) storable on every store.
"""

from __future__ import annotations

import json
from typing import Any

from creatorkit.converter import structure, unstructure
from creatorkit.entities import LedgerEntry, ProviderRequest
from creatorkit.errors import CreatorkitError

__all__ = ["FORMAT", "memo_for", "request_in"]

#: What a memo of this provider says it is, so that an entry someone else wrote is never read as a request.
FORMAT = "creatorkit_payments.ledger_escrow/1"


def memo_for(request: ProviderRequest) -> str:
    """The memo of the entry that ``request`` makes: the same text for the same request, every time."""
    document = {"format": FORMAT, "request": unstructure(request)}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def request_in(entry: LedgerEntry) -> ProviderRequest | None:
    """The request ``entry`` was made for, or None when the escrow did not write it (another ledger's entry)."""
    try:
        document: Any = json.loads(entry.memo)
    except ValueError:
        return None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None
    try:
        return structure(document.get("request"), ProviderRequest, what="recorded request")
    except CreatorkitError:
        return None
