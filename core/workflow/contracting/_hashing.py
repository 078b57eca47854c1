"""A contract's content hash: what the parties sign, and what every later check holds the stored contract to."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ..._canonical import canonical_json
from ...converter import unstructure
from ...entities import Contract

__all__ = ["HASH_EXCLUDED", "anchor", "contract_hash"]

#: Fields of a contract's document that :func:`contract_hash` leaves out; every other field is covered.
HASH_EXCLUDED = frozenset({"content_hash", "status"})


def contract_hash(contract: Contract | Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the contract's canonical JSON (RFC 8785), leaving out ``content_hash`` and ``status``.

    Covered: ``id``, ``deal_id``, ``version``, ``template_id``, ``template_version``, ``brand_id``,
    ``creator_id``, ``price``, ``clauses`` (every clause), ``text``, ``created_at`` and ``supersedes`` — and
    any field added to :class:`~creatorkit.entities.Contract` later, unless it is added to
    :data:`HASH_EXCLUDED`. Accepts the entity or its stored document, so that a verification hashes exactly
    what is stored.
    """
    doc = unstructure(contract) if isinstance(contract, Contract) else contract
    covered = {key: value for key, value in doc.items() if key not in HASH_EXCLUDED}
    return hashlib.sha256(canonical_json(covered)).hexdigest()


def anchor(contract: Contract) -> dict[str, Any]:
    """The audit payload written with each contract version; a verification recomputes it from the document."""
    return {"contract_id": contract.id, "content_hash": contract.content_hash}
