"""Verifying a stored contract: its hash recomputed from the stored document, every signature checked again.

Reports (never raises for) a document changed outside the SDK, a signature over another hash, a signature that
does not verify, a signature record that differs from the one the audit trail recorded, and an executed
contract that lacks a party's valid signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from ...audit import payload_hash
from ...entities import ContractStatus, PartyKind, SigningKey
from ._hashing import contract_hash
from ._signing import verifies

if TYPE_CHECKING:
    from ..._change import View
    from ...store import Record

__all__ = ["ContractVerification", "SignatureCheck", "verification_of"]


@attrs.frozen(kw_only=True)
class SignatureCheck:
    """One stored signature, checked: ``reason`` says why it does not count (``"verified"`` when it does)."""

    signature_id: str
    party_id: str
    signer_id: str
    valid: bool
    reason: str


@attrs.frozen(kw_only=True)
class ContractVerification:
    """What a verification found: ``ok`` only when the document and every signature hold."""

    contract_id: str
    ok: bool
    stored_hash: str
    computed_hash: str
    signatures: tuple[SignatureCheck, ...]
    problems: tuple[str, ...] = ()


def verification_of(view: View, record: Record) -> ContractVerification:
    """Check the stored contract ``record`` and every signature on it."""
    doc, name = record.doc, f"contract {record.id}"
    stored, computed = str(doc.get("content_hash", "")), contract_hash(doc)
    problems = []
    if stored != computed:
        problems.append(
            f"{name}: the stored document does not match its content hash (stored {stored}, "
            f"computed {computed}); it was changed after it was hashed"
        )
    recorded = {e.payload_hash for e in view.audit_for([record.id])}
    if recorded and payload_hash({"contract_id": record.id, "content_hash": computed}) not in recorded:
        problems.append(
            f"{name}: its content hash {computed} is not the one the audit trail recorded when it was written"
        )
    signed = [r for r in view.records("signature", parent=record.parent) if r.doc.get("contract_id") == record.id]
    checks = tuple(_check_signature(view, r, doc, computed) for r in signed)
    if doc.get("status") == str(ContractStatus.EXECUTED):
        valid = {c.party_id for c in checks if c.valid}
        parties = (doc.get("brand_id"), doc.get("creator_id"))
        problems.extend(
            f"{name} is executed but has no valid signature for {party}" for party in parties if party not in valid
        )
    return ContractVerification(
        contract_id=record.id,
        ok=not problems and all(c.valid for c in checks),
        stored_hash=stored,
        computed_hash=computed,
        signatures=checks,
        problems=tuple(problems),
    )


def _check_signature(view: View, record: Record, contract: Mapping[str, Any], computed: str) -> SignatureCheck:
    doc = record.doc
    party, signer = str(doc.get("party_id", "?")), str(doc.get("signer_id", "?"))

    def result(reason: str) -> SignatureCheck:
        return SignatureCheck(
            signature_id=record.id, party_id=party, signer_id=signer, valid=reason == "verified", reason=reason
        )

    recorded = {e.payload_hash for e in view.audit_for([record.id])}
    if payload_hash(doc) not in recorded:
        return result("the signature record differs from the one recorded in the audit trail")
    if party not in (contract.get("brand_id"), contract.get("creator_id")):
        return result(f"{party} is not a party to this contract")
    if doc.get("contract_hash") != computed:
        return result(f"signed hash {doc.get('contract_hash')}, but the contract now hashes to {computed}")
    if not verifies(str(doc.get("public_key", "")), computed, str(doc.get("signature", ""))):
        return result("the signature does not verify against the signer's key")
    if not _key_was_valid(view, contract, doc):
        return result(f"{signer} signed with a key that was not their registered key at {doc.get('signed_at')}")
    return result("verified")


def _key_was_valid(view: View, contract: Mapping[str, Any], signature: Mapping[str, Any]) -> bool:
    """The signature's key was the signer's registered key when it signed (by the signer's key history).

    A signer whose history has no records registered its key before history was kept: nothing to hold it to.
    """
    signer, party = str(signature.get("signer_id")), str(signature.get("party_id"))
    if signer != party:
        kind = PartyKind.TALENT_MANAGER  # a manager signing for the creator
    else:
        kind = PartyKind.BRAND if party == contract.get("brand_id") else PartyKind.CREATOR
    history = [view.entity(r, SigningKey) for r in view.records("signing_key", parent=signer)]
    history = [key for key in history if key.party_kind is kind]
    if not history:
        return True
    signed_at = datetime.fromisoformat(str(signature.get("signed_at")))
    return any(key.public_key == signature.get("public_key") and key.valid_at(signed_at) for key in history)
