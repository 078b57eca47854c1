"""Signing keys: a party replaces its key only by proving it holds the current one (or the system resets it, on
the record), and a signature verifies against the key that was the signer's when it signed."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from workflow.test_contracts import _sent, _sign

from creatorkit import Actor
from creatorkit._change import View
from creatorkit.entities import PartyKind, SigningKey
from creatorkit.errors import PermissionDenied, SignatureError, ValidationError
from creatorkit.signing import generate_keypair, prove_key_rotation, sign_contract_hash
from creatorkit.workflow.contracting._verification import _key_was_valid
from world import World


def _key_of(world: World, actor: Actor) -> str | None:
    record_kind = {PartyKind.BRAND: "brand", PartyKind.CREATOR: "creator"}[actor.kind]
    with world.kit.store.read() as tx:
        key = tx.require(record_kind, actor.id).doc.get("signing_key")
    return None if key is None else str(key)


def _history(world: World, party_id: str) -> list[SigningKey]:
    with world.kit.store.read() as tx:
        view = View(tx, world.kit._entities)
        keys = view.find("signing_key", SigningKey, parent=party_id)
    return sorted(keys, key=lambda k: k.valid_from or k.replaced_at or world.clock.now)


def _rotate(world: World, actor: Actor) -> tuple[str, str]:
    """``actor`` replaces its key, proving it holds the current one; world.keys then holds the new pair."""
    private, public = generate_keypair()
    proof = prove_key_rotation(world.keys[actor.id][0], str(actor), public)
    world.kit.parties.set_signing_key(actor, public, proof=proof)
    world.keys[actor.id] = (private, public)
    return private, public


def test_acting_as_a_creator_does_not_let_anyone_swap_in_their_own_key(world: World) -> None:
    """Whoever merely acts as the creator holds no private key of theirs: the new key is refused, the old stays."""
    _deal, contract = _sent(world)
    before = _key_of(world, world.creator)
    attacker_private, attacker_public = generate_keypair()
    with pytest.raises(SignatureError, match="needs proof"):
        world.kit.parties.set_signing_key(world.creator, attacker_public)
    forged_proof = prove_key_rotation(attacker_private, str(world.creator), attacker_public)  # not the current key
    with pytest.raises(SignatureError, match="does not verify"):
        world.kit.parties.set_signing_key(world.creator, attacker_public, proof=forged_proof)
    assert _key_of(world, world.creator) == before
    with pytest.raises(SignatureError, match="forged or wrong-key"):
        world.kit.contracts.sign(
            world.creator,
            contract.id,
            signature=sign_contract_hash(attacker_private, contract.content_hash),
            contract_hash=contract.content_hash,
        )


def test_a_proof_is_bound_to_the_party_and_the_new_key(world: World) -> None:
    _private, public = generate_keypair()
    _other_private, other_public = generate_keypair()
    for_someone_else = prove_key_rotation(world.keys[world.creator.id][0], str(world.brand), public)
    for_another_key = prove_key_rotation(world.keys[world.creator.id][0], str(world.creator), other_public)
    for proof in (for_someone_else, for_another_key):
        with pytest.raises(SignatureError):
            world.kit.parties.set_signing_key(world.creator, public, proof=proof)


def test_a_proven_rotation_replaces_the_key_and_keeps_its_history(world: World) -> None:
    old = _key_of(world, world.creator)
    world.clock.advance(hours=1)
    _private, public = _rotate(world, world.creator)
    assert _key_of(world, world.creator) == public
    first, second = _history(world, world.creator.id)
    assert (first.public_key, first.replaced_at) == (old, world.clock.now)
    assert (second.public_key, second.valid_from, second.replaced_at) == (public, world.clock.now, None)
    assert second.proof is not None and second.registered_by == str(world.creator)
    events = [e for e in world.kit.store.iter_audit() if e.action == "party.signing_key"]
    assert events[-1].entity_id == world.creator.id


def test_a_signature_made_before_a_rotation_still_verifies(world: World) -> None:
    _deal, contract = _sent(world)
    _sign(world, world.brand, contract)
    world.clock.advance(hours=1)
    _rotate(world, world.brand)
    _sign(world, world.creator, contract)  # executes the contract
    report = world.kit.contracts.verify(world.brand, contract.id)
    assert report.ok, report.problems


def test_after_a_rotation_the_old_key_signs_nothing(world: World) -> None:
    _deal, contract = _sent(world)
    old_private = world.keys[world.brand.id][0]
    _rotate(world, world.brand)
    with pytest.raises(SignatureError, match="forged or wrong-key"):
        world.kit.contracts.sign(
            world.brand,
            contract.id,
            signature=sign_contract_hash(old_private, contract.content_hash),
            contract_hash=contract.content_hash,
        )


def test_a_signature_with_a_key_that_was_not_current_then_does_not_count(world: World) -> None:
    """What verify() holds each stored signature to: the signer's key history at the moment it signed."""
    old = _key_of(world, world.brand)
    signed_before = world.clock.now
    world.clock.advance(hours=2)
    _private, new = _rotate(world, world.brand)
    contract_doc: dict[str, Any] = {"brand_id": world.brand.id, "creator_id": world.creator.id}
    with world.kit.store.read() as tx:
        view = View(tx, world.kit._entities)

        def valid(key: str | None, at: Any) -> bool:
            signature = {"signer_id": world.brand.id, "party_id": world.brand.id, "public_key": key}
            return _key_was_valid(view, contract_doc, {**signature, "signed_at": at.isoformat()})

        assert valid(old, signed_before)
        assert not valid(new, signed_before)  # the new key, on a signature dated before it was registered
        assert valid(new, world.clock.now)
        assert not valid(old, world.clock.now)


def test_the_system_resets_a_lost_key_on_the_record(world: World) -> None:
    private, public = generate_keypair()
    with pytest.raises(PermissionDenied):
        world.kit.parties.reset_signing_key(world.brand, "creator", world.creator.id, public, reason="lost phone")
    with pytest.raises(ValidationError):
        world.kit.parties.reset_signing_key(world.system, "creator", world.creator.id, public, reason=" ")
    world.kit.parties.reset_signing_key(world.system, "creator", world.creator.id, public, reason="lost phone")
    assert _key_of(world, world.creator) == public
    (reset,) = [e for e in world.kit.store.iter_audit() if e.action == "party.signing_key_reset"]
    assert (reset.actor_id, reset.entity_id) == (str(world.system), world.creator.id)
    current = _history(world, world.creator.id)[-1]
    assert (current.public_key, current.proof, current.registered_by) == (public, None, str(world.system))
    world.keys[world.creator.id] = (private, public)
    _deal, contract = _sent(world)
    _sign(world, world.brand, contract)
    _sign(world, world.creator, contract)
    assert world.kit.contracts.verify(world.brand, contract.id).ok


def test_a_key_registered_before_history_was_kept_is_recorded_when_replaced(world: World) -> None:
    profile = world.kit.creators.overview(world.creator, world.creator.id).profile
    legacy = world.kit.parties.register_creator(world.system, attrs.evolve(profile, id="creator_old", signing_key=None))
    actor = Actor.creator(legacy.id)
    private, public = generate_keypair()
    with world.kit.store._write_transaction() as tx:  # as a store written before key history existed
        record = tx.require("creator", legacy.id)
        tx.update("creator", legacy.id, {**record.doc, "signing_key": public}, expected_version=record.version)
    world.keys[actor.id] = (private, public)
    world.clock.advance(hours=1)
    _private, new = _rotate(world, actor)
    old_key, new_key = _history(world, actor.id)
    assert (old_key.public_key, old_key.valid_from, old_key.replaced_at) == (public, None, world.clock.now)
    assert (new_key.public_key, new_key.replaced_at) == (new, None)


def test_a_party_registered_with_a_key_has_its_history_from_then(world: World) -> None:
    profile = world.kit.creators.overview(world.creator, world.creator.id).profile
    _private, public = generate_keypair()
    world.kit.parties.register_creator(world.system, attrs.evolve(profile, id="creator_keyed", signing_key=public))
    (key,) = _history(world, "creator_keyed")
    assert (key.public_key, key.valid_from, key.replaced_at) == (public, world.clock.now, None)


def test_registering_the_current_key_again_keeps_no_unchecked_proof(world: World) -> None:
    world.kit.parties.set_signing_key(world.creator, world.keys[world.creator.id][1], proof="not a proof at all")
    assert all(key.proof != "not a proof at all" for key in _history(world, world.creator.id))


def test_a_retired_key_never_becomes_the_partys_key_again(world: World) -> None:
    """Rotation proofs are in the audit trail: were a retired key allowed back, an old proof could be replayed."""
    actor = world.creator
    old_public = world.keys[actor.id][1]
    new_private, _new_public = _rotate(world, actor)
    back = prove_key_rotation(new_private, str(actor), old_public)  # a valid proof, by the current key
    with pytest.raises(SignatureError, match="retired key is not used again"):
        world.kit.parties.set_signing_key(actor, old_public, proof=back)
    assert [key.replaced_at is None for key in _history(world, actor.id)] == [False, True]
