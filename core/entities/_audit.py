"""An event of the tamper-evident audit trail, as the store hands it back."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._common import aware, positive, typed_fields

__all__ = ["AuditEvent"]


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AuditEvent:
    """One appended event. ``hash`` = SHA-256 over its fields and ``prev_hash``, chaining it to the one before."""

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
