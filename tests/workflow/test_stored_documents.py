"""A write changes a stored document only where it means to: a contract's status moves without touching what
was signed, a signing key is registered without touching the rest of the party, and a record the current code
could not build never stops a call that only needs to know that it exists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from creatorkit.signing import generate_keypair, prove_key_rotation, sign_contract_hash
from creatorkit.workflow.contracting import contract_hash
from world import START, World

BODY = "Agreement between {{ brand.name }} and {{ creator.display_name }} for {{ contract.price }}."


def _older_contract(world: World) -> tuple[Any, dict[str, Any]]:
    """A sent contract stored as an older creatorkit wrote it: without ``supersedes``, sealed and anchored so."""
    kit = world.kit
    deal = world.agree()
    template = kit.contracts.create_template(world.brand, name="Standard", body=BODY)
    contract = kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START + timedelta(days=20))
    with kit.store._write_transaction() as tx:
        record = tx.require("contract", contract.id)
        doc = {k: v for k, v in record.doc.items() if k != "supersedes"}
        doc["content_hash"] = contract_hash(doc)
        tx.update("contract", contract.id, doc, expected_version=record.version)
        tx.append_audit(
            actor_id=str(world.brand),
            action="contract.draft",
            entity_kind="contract",
            entity_id=contract.id,
            payload={"contract_id": contract.id, "content_hash": doc["content_hash"]},
            occurred_at=world.clock.now,
            workspace_id=world.brand.id,
        )
    return kit.contracts.get(world.brand, contract.id), doc


def _sign(world: World, actor: Any, contract: Any) -> Any:
    signature = sign_contract_hash(world.keys[actor.id][0], contract.content_hash)
    return world.kit.contracts.sign(actor, contract.id, signature=signature, contract_hash=contract.content_hash)


def _stored(world: World, kind: str, id: str) -> dict[str, Any]:
    with world.kit.store.read() as tx:
        return dict(tx.require(kind, id).doc)


def test_executing_a_contract_changes_only_its_stored_status(world: World) -> None:
    contract, older = _older_contract(world)
    assert world.kit.contracts.verify(world.brand, contract.id).ok
    _sign(world, world.brand, contract)
    _sign(world, world.creator, contract)
    assert _stored(world, "contract", contract.id) == {**older, "status": "executed"}
    report = world.kit.contracts.verify(world.brand, contract.id)
    assert report.ok, report.problems


def test_superseding_a_contract_changes_only_its_stored_status(world: World) -> None:
    contract, older = _older_contract(world)
    world.kit.contracts.amend(world.brand, contract.id, revision_limit=3)
    assert _stored(world, "contract", contract.id) == {**older, "status": "superseded"}
    report = world.kit.contracts.verify(world.brand, contract.id)
    assert report.ok, report.problems


def test_registering_a_signing_key_changes_only_the_key(world: World) -> None:
    with world.kit.store._write_transaction() as tx:
        record = tx.require("brand", world.brand.id)
        older = {k: v for k, v in record.doc.items() if k != "legal_name"}  # as a brand was stored before
        tx.update("brand", world.brand.id, older, expected_version=record.version)
    _private, public = generate_keypair()
    proof = prove_key_rotation(world.keys[world.brand.id][0], str(world.brand), public)
    world.kit.parties.set_signing_key(world.brand, public, proof=proof)
    assert _stored(world, "brand", world.brand.id) == {**older, "signing_key": public}


def test_another_brands_unreadable_deal_does_not_stop_an_invitation(world: World) -> None:
    """Whether the creator has an open deal for this brief is read from the records: another brand's deal
    this code could not build (written by an older or newer creatorkit) is none of this call's business."""
    with world.kit.store._write_transaction() as tx:
        tx.insert(
            "deal",
            "deal_elsewhere",
            {"brief_id": "brief_other", "state": "cancelled", "awaiting": "", "unknown_field": 1},
            workspace="brand_other",
            parent=world.creator.id,
            state="cancelled",
        )
    deal = world.invite()
    assert deal.creator_id == world.creator.id
