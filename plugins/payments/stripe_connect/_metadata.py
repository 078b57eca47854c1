"""What the plugin writes in the ``metadata`` of every Stripe object it creates, and reads back from it.

Stripe cannot look an object up by idempotency key, and its ``idempotency_error`` does not say what differs. So
each object carries, besides the ids a person reading the Dashboard wants (``operation_id``, ``deal_id``,
``kind``, the leg's ``party_id`` and ``role``), a fingerprint of the request that made it: per field of
:class:`~creatorkit.entities.ProviderRequest`, eight hex digits of a hash of its value. Reading an object back,
the plugin can tell whether it was made by this very request and, if not, name the fields that differ — across
restarts, without keeping anything itself. Hashes, not values: a reason written for the ledger stays out of
Stripe's metadata, which is limited to 500 characters per value.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import attrs

from creatorkit.converter import unstructure
from creatorkit.entities import ProviderRequest

__all__ = ["FINGERPRINT", "OPERATION_ID", "differing_from", "fingerprint", "metadata_for", "operation_of"]

OPERATION_ID = "operation_id"
FINGERPRINT = "creatorkit_request"
_FIELDS = tuple(field.name for field in attrs.fields(ProviderRequest))


def _digest(value: Any) -> str:
    text = json.dumps(unstructure(value), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def fingerprint(request: ProviderRequest) -> str:
    """``field=hash;…`` over every field of ``request`` (about 180 characters)."""
    return ";".join(f"{name}={_digest(getattr(request, name))}" for name in _FIELDS)


def metadata_for(request: ProviderRequest, **extra: str) -> dict[str, str]:
    """The metadata of an object made for ``request`` (``extra``: the leg's party and role)."""
    return {
        OPERATION_ID: request.operation_id,
        "deal_id": request.deal_id,
        "kind": request.kind.value,
        FINGERPRINT: fingerprint(request),
        **extra,
    }


def operation_of(obj: Mapping[str, Any]) -> str | None:
    """The operation id a Stripe object was made for, if the plugin made it."""
    metadata = obj.get("metadata") or {}
    value = metadata.get(OPERATION_ID)
    return str(value) if value else None


def differing_from(obj: Mapping[str, Any], request: ProviderRequest) -> tuple[str, ...]:
    """The fields of ``request`` that differ from the request ``obj`` was made for, in declared order.

    An object without a fingerprint (made by hand, or by another program with the same metadata key) differs in
    every field: it was not made by this request.
    """
    given = str((obj.get("metadata") or {}).get(FINGERPRINT) or "")
    recorded = dict(part.partition("=")[::2] for part in given.split(";") if "=" in part)
    if not recorded:
        return _FIELDS
    return tuple(name for name in _FIELDS if recorded.get(name) != _digest(getattr(request, name)))
