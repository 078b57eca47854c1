"""Signing: Ed25519 signatures over a contract's content hash, and execution once both parties have signed.

Each signer signs ``content_hash`` on their own device with their own key (:func:`creatorkit.signing.
sign_contract_hash`); the signature is checked against the public key the signer registered. A talent manager
signs for the creator only with the ``sign_on_behalf`` scope. A signature is refused when the hash is not the
current one (stale), when it does not verify (forged or the wrong key), when the signer has no key, or when the
party has already signed. Contract content is never rewritten: the only update a contract record gets is its
``status``, along :data:`STATUS_MOVES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

from ..._service import PARTY_KINDS
from ...entities import Actor, Awaiting, Contract, ContractStatus, Deal, DealState, Signature
from ...errors import SignatureError, StateError, ValidationError
from ...signing import verify_contract_signature
from .._states import STATES
from ._hashing import contract_hash

if TYPE_CHECKING:
    from ..._change import Change, View

__all__ = [
    "AMEND_RULE",
    "SIGN_RULE",
    "STATUS_MOVES",
    "check_current",
    "not_signable",
    "other_side",
    "set_status",
    "signatures_on",
    "signing_key",
    "stored_hash",
    "verifies",
    "verify_or_explain",
]

CS = ContractStatus
#: The only changes a stored contract ever gets: its status, along these moves.
STATUS_MOVES: Mapping[ContractStatus, frozenset[ContractStatus]] = {
    CS.DRAFT: frozenset({CS.SENT, CS.VOID}),
    CS.SENT: frozenset({CS.EXECUTED, CS.SUPERSEDED, CS.VOID}),
    CS.EXECUTED: frozenset({CS.SUPERSEDED}),
    CS.SUPERSEDED: frozenset(),
    CS.VOID: frozenset(),
}

#: The deal table's signing rule (who may sign, and the scope a manager needs) also governs amendments
#: signed after execution, when the deal itself is past CONTRACT_SENT.
SIGN_RULE = STATES[DealState.CONTRACT_SENT].moves["sign"]
AMEND_RULE = STATES[DealState.CONTRACT_SENT].moves["amend_contract"]


def set_status(change: Change, contract_id: str, status: ContractStatus) -> Contract:
    """The one way a stored contract changes: its status, along :data:`STATUS_MOVES`; content never."""
    record = change.require("contract", contract_id)
    current = ContractStatus(record.doc["status"])
    if status not in STATUS_MOVES[current]:
        raise StateError(
            f"contract {contract_id}", str(current), f"mark {status}", [str(s) for s in STATUS_MOVES[current]]
        )
    updated = attrs.evolve(change.entity(record, Contract), status=status)
    # The stored document with its status changed, and nothing else: even a field a newer entity would add is
    # left out, since the signatures are over the stored document's hash.
    document = dict(record.doc, status=str(status))
    change.replace("contract", updated, expected_version=record.version, state=str(status), document=document)
    return updated


def stored_hash(view: View, contract_id: str) -> str:
    """The content hash of the contract as stored now (computed once per stored document object)."""
    return view.derived(view.require("contract", contract_id), "content_hash", contract_hash)


def check_current(view: View, contract: Contract, seen_hash: str) -> None:
    """The stored contract still matches its hash, and the signer saw that hash."""
    if stored_hash(view, contract.id) != contract.content_hash:
        raise SignatureError(
            f"contract {contract.id} no longer matches its content hash (it was "
            "changed outside creatorkit); it cannot be signed",
            document=contract.id,
        )
    if seen_hash != contract.content_hash:
        raise SignatureError(
            f"stale: you signed hash {seen_hash}, but contract {contract.id} now "
            f"hashes to {contract.content_hash}; fetch it again and sign that hash",
            document=contract.id,
        )


def not_signable(view: View, contract: Contract) -> None:
    """Refuse a signature on a contract that is no longer the one to sign, saying what replaced it."""
    if contract.status is CS.EXECUTED:
        raise StateError(
            f"contract {contract.id}",
            str(contract.status),
            "sign",
            ["amend"],
            "an executed contract is immutable; amend it to make a new version",
        )
    siblings = view.records("contract", parent=contract.deal_id)
    newer = [r.id for r in siblings if r.doc.get("supersedes") == contract.id]
    successor = f" by {newer[0]}" if newer else ""
    raise SignatureError(
        f"stale: contract {contract.id} (version {contract.version}) was "
        f"{contract.status}{successor}; fetch the current version and sign its hash",
        document=contract.id,
    )


def signing_key(view: View, actor: Actor) -> str:
    """The public key the signer registered."""
    key = view.require(PARTY_KINDS[actor.kind], actor.id).doc.get("signing_key")
    if not key:
        raise SignatureError(
            f"{actor} has no registered signing key; register one with kit.parties.set_signing_key first",
            signer=str(actor),
        )
    return str(key)


def verify_or_explain(view: View, contract: Contract, public_key: str, signature: str, actor: Actor) -> None:
    """A signature that does not verify is refused, as stale when it is over an older version's hash."""
    try:
        verify_contract_signature(public_key, contract.content_hash, signature, signer=str(actor))
    except SignatureError:
        for record in view.records("contract", parent=contract.deal_id):
            older = str(record.doc.get("content_hash", ""))
            if older and older != contract.content_hash and verifies(public_key, older, signature):
                raise SignatureError(
                    f"stale: the signature is over version {record.doc.get('version')}'s hash, not "
                    f"contract {contract.id}'s current hash; sign the current version",
                    signer=str(actor),
                    document=contract.id,
                ) from None
        raise SignatureError(
            f"forged or wrong-key signature: {actor}'s signature does not verify "
            f"against their registered key over contract {contract.id}'s hash",
            signer=str(actor),
            document=contract.id,
        ) from None


def signatures_on(view: View, contract: Contract) -> list[Signature]:
    """The signatures given on this version, oldest first."""
    found = [
        view.entity(r, Signature)
        for r in view.records("signature", parent=contract.deal_id)
        if r.doc.get("contract_id") == contract.id
    ]
    return sorted(found, key=lambda s: (s.signed_at, s.id))


def verifies(public_key: str, content_hash: str, signature: str) -> bool:
    try:
        verify_contract_signature(public_key, content_hash, signature, signer="-")
    except (SignatureError, ValidationError):
        return False
    return True


def other_side(deal: Deal, party_id: str) -> Awaiting:
    """Who the deal waits for once ``party_id`` has signed."""
    return Awaiting.CREATOR if party_id == deal.brand_id else Awaiting.BRAND
