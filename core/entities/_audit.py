"""An event of the tamper-evident audit trail, as the store hands it back."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._common import aware, positive, typed_fields

__all__ = ["AuditEvent"]


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AuditEvent:
    """One appended event. ``hash`` = SHA-256 over its fields and ``prev_hash``, chaining it to the one before.

    From ``format`` 2 on, the hash also covers ``key_id`` (the key whose HMAC is ``mac``, None when the trail was
    written without a key) and ``documents``: the documents the call wrote, as ``(kind, id, version, SHA-256)``
    entries in canonical JSON, the very text hashed (None when the event covers none). Format-1 events were
    written before keys and state coverage existed and have neither.
    """

    sequence: int = attrs.field(validator=positive)
    actor_id: str
    action: str
    entity_kind: str
    entity_id: str
    payload_hash: str
    occurred_at: datetime = attrs.field(validator=aware)
    prev_hash: str
    hash: str
    on_behalf_of: str | None = None
    workspace_id: str | None = None
    format: int = 1
    key_id: str | None = None
    mac: str | None = None
    documents: str | None = None
