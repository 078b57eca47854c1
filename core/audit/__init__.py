"""The audit trail: a tamper-evident, hash-chained record of every change, and the evidence drawn from it.

- :mod:`creatorkit.audit` hashes and verifies the chain (:func:`verify_chain`); the store appends to it in the
  same transaction as each change.
- :class:`AuditService` (``kit.audit``) verifies a store's chain and exports a deal's evidence bundle.

Every audit event is hashed together with the hash of the event before it, so changing, removing or
reordering any stored event breaks every link after it::

    event 1: hash = sha256(encode(1, ..., prev_hash=GENESIS))
    event 2: hash = sha256(encode(2, ..., prev_hash=event 1's hash))
    ...

The store also keeps a one-row *head* (last sequence and hash), written in the same transaction as each
append, so cutting events off the end of the chain is detected too.

**The encoding.** An event's hash is SHA-256 over the UTF-8 bytes of its ten hashed fields joined with the
ASCII unit separator ``U+001F``, in the order of :data:`HASHED_FIELDS`. Absent optional fields
(``on_behalf_of``, ``workspace_id``) are encoded as the empty string, and the store refuses an empty string
for them, so "absent" has exactly one encoding. The encoding is unambiguous because no field may contain
``U+001F`` (the store refuses such values on append) and the number of fields is fixed: splitting the
encoded text on ``U+001F`` gives back exactly the ten fields, so two different events can never produce the
same bytes. ``sequence`` is written in decimal and ``occurred_at`` is the ISO 8601 text stored with the
event, exactly as it was hashed. (NUL is refused too: databases handle it inconsistently in text.)

The encoding is written here, for appending, and as one SQL expression per dialect in the store, so that
verification can fetch it from the database ready-made; the store's tests hold the three to the same bytes.

The payload itself is not stored in the chain, only its hash: SHA-256 over the RFC 8785 (JSON
Canonicalization Scheme) form, so the same data always hashes the same, whatever its key order.
"""

from typing import TYPE_CHECKING, Any

from ._chain import (
    EVENT_FORMAT,
    GENESIS,
    HASHED_FIELDS,
    HASHED_FIELDS_FORMAT_1,
    ROTATION_ACTION,
    SEPARATOR,
    ChainReport,
    check_field,
    event_hash,
    format_occurred_at,
    payload_hash,
    raise_for_broken,
    verify_chain,
    verify_rows,
)
from ._checkpoints import CHECKPOINT_FORMAT, Checkpoint, CheckpointReport
from ._keys import AUDIT_KEY_ENV, AUDIT_OLD_KEYS_ENV, MIN_KEY_BYTES, AuditKey, AuditKeys, generate_audit_key
from ._state import StateReport, document_digest, encode_documents, parse_documents
from ._verify import AuditReport, verify_store

if TYPE_CHECKING:
    from ._evidence import AuditService


def __getattr__(name: str) -> Any:
    # The store appends to the chain with the functions above, so importing this package must not pull in the
    # service layer (which stands on the store): AuditService is resolved on first use.
    if name == "AuditService":
        from ._evidence import AuditService

        return AuditService
    raise AttributeError(f"module 'creatorkit.audit' has no attribute {name!r}")


__all__ = [
    "AUDIT_KEY_ENV",
    "AUDIT_OLD_KEYS_ENV",
    "CHECKPOINT_FORMAT",
    "EVENT_FORMAT",
    "GENESIS",
    "HASHED_FIELDS",
    "HASHED_FIELDS_FORMAT_1",
    "MIN_KEY_BYTES",
    "ROTATION_ACTION",
    "SEPARATOR",
    "AuditKey",
    "AuditKeys",
    "AuditReport",
    "AuditService",
    "ChainReport",
    "Checkpoint",
    "CheckpointReport",
    "StateReport",
    "check_field",
    "document_digest",
    "encode_documents",
    "event_hash",
    "format_occurred_at",
    "generate_audit_key",
    "parse_documents",
    "payload_hash",
    "raise_for_broken",
    "verify_chain",
    "verify_rows",
    "verify_store",
]
