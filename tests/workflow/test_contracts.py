"""Contracts: versioned templates, drafting, the content hash, signatures, amendments, tamper detection."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from typing import Any

import attrs
import pytest

from creatorkit import Actor
from creatorkit.entities import (
    Contract,
    ContractStatus,
    DealState,
    IpOwner,
    IpOwnership,
    ScheduleKind,
    Scope,
)
from creatorkit.errors import (
    NotFound,
    PermissionDenied,
    SignatureError,
    StateError,
    ValidationError,
)
from creatorkit.signing import (
    generate_keypair,
    load_private_key,
    sign_contract_hash,
    verify_contract_signature,
)
from creatorkit.workflow.contracting import contract_hash
from world import START, World

BODY = (
    "This agreement between {{ brand.name }} and {{ creator.display_name }} is for {{ contract.price }}, "
    "with {{ clauses.revision_limit }} revisions, drafts due {{ clauses.timeline.draft_due.date() }}."
)
DRAFT_DUE = START + timedelta(days=20)


def _template(world: World, body: str = BODY) -> Any:
    return world.kit.contracts.create_template(world.brand, name="Standard collaboration", body=body)


def _sent(world: World, **agree: Any) -> tuple[Any, Contract]:
    """A deal taken to CONTRACT_SENT with version 1 of its contract."""
    deal = world.agree(**agree)
    template = _template(world)
    contract = world.kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=DRAFT_DUE)
    return deal, contract


def _sign(
    world: World, actor: Actor, contract: Contract, *, key_of: str | None = None, over: str | None = None
) -> Contract:
    """``actor`` signs what they saw (``over``, else the current hash) with ``key_of``'s private key."""
    seen = over or contract.content_hash
    signature = sign_contract_hash(world.keys[key_of or actor.id][0], seen)
    return world.kit.contracts.sign(actor, contract.id, signature=signature, contract_hash=seen)


def _executed(world: World, **agree: Any) -> tuple[Any, Contract]:
    deal, contract = _sent(world, **agree)
    _sign(world, world.brand, contract)
    return deal, _sign(world, world.creator, contract)


def _actions(world: World) -> list[str]:
    return [event.action for event in world.kit.store.iter_audit()]


# -- drafting ------------------------------------------------------------------------------------------------


def test_a_contract_drafted_from_an_agreed_deal_is_hashed_rendered_and_sent(world):
    deal, contract = _sent(world)

    assert re.fullmatch(r"[0-9a-f]{64}", contract.content_hash)
    assert contract.content_hash == contract_hash(contract)
    assert contract.status is ContractStatus.SENT and contract.version == 1
    assert "Lumen Cosmetics and Ana Costa" in contract.text
    assert "1500.00 USD" in contract.text and "2 revisions" in contract.text
    assert contract.clauses.content_requirements == world.brief.content_rules
    assert contract.clauses.payment == deal.terms.payment
    assert contract.clauses.timeline.draft_due == DRAFT_DUE
    moved = world.kit.deals.get(world.brand, deal.id)
    assert moved.state is DealState.CONTRACT_SENT
    assert moved.contract_id == contract.id
    assert world.kit.contracts.get(world.creator, contract.id) == contract
    assert "contract.draft" in _actions(world)


def test_the_hash_covers_content_but_not_status(world):
    _, contract = _sent(world)

    assert contract_hash(attrs.evolve(contract, status=ContractStatus.EXECUTED)) == contract.content_hash
    assert contract_hash(attrs.evolve(contract, text=contract.text + " ")) != contract.content_hash
    assert contract_hash(attrs.evolve(contract, version=2)) != contract.content_hash


def test_a_deal_that_is_not_agreed_cannot_get_a_contract(world):
    deal = world.invite()
    template = _template(world)

    with pytest.raises(StateError) as refused:
        world.kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=DRAFT_DUE)

    assert refused.value.state == "invited"
    assert refused.value.action == "send_contract"
    assert "accept_invitation" in refused.value.allowed
    assert world.kit.contracts.versions(world.brand, deal.id) == []


def test_only_the_brand_drafts_and_refusals_are_recorded(world):
    deal = world.agree()
    template = _template(world)

    for actor in (world.creator, world.manager):
        with pytest.raises(PermissionDenied):
            world.kit.contracts.draft(actor, deal.id, template_id=template.id, draft_due=DRAFT_DUE)
    with pytest.raises(NotFound):  # another brand does not even see the deal
        world.kit.contracts.draft(world.unverified_brand, deal.id, template_id=template.id, draft_due=DRAFT_DUE)

    assert _actions(world).count("denied.send_contract") == 2
    assert world.kit.deals.get(world.brand, deal.id).state is DealState.AGREED


def test_a_draft_due_after_the_publish_date_is_refused(world):
    deal = world.agree()
    template = _template(world)

    with pytest.raises(ValidationError) as refused:
        world.kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=START + timedelta(days=60))

    assert refused.value.paths == ["draft_due"]


def test_a_template_field_that_renders_empty_is_refused(world):
    deal = world.agree()
    template = _template(world, body="Exclusive in {{ clauses.exclusivity }}")

    with pytest.raises(ValidationError, match=r"clauses\.exclusivity"):
        world.kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=DRAFT_DUE)
    assert world.kit.deals.get(world.brand, deal.id).state is DealState.AGREED


def test_templates_are_versioned_and_old_versions_stay_usable(world):
    v1 = _template(world)
    v2 = world.kit.contracts.revise_template(
        world.brand, v1.id, body="v2: {{ brand.name }}", default_ip=IpOwnership(owner=IpOwner.BRAND)
    )

    assert (v1.version, v2.version, v2.id) == (1, 2, v1.id)
    assert world.kit.contracts.template(world.brand, v1.id).version == 2
    assert world.kit.contracts.template(world.brand, v1.id, version=1).body == BODY
    assert [t.version for t in world.kit.contracts.template_versions(world.brand, v1.id)] == [1, 2]

    deal = world.agree()
    old = world.kit.contracts.draft(world.brand, deal.id, template_id=v1.id, template_version=1, draft_due=DRAFT_DUE)
    assert old.template_version == 1
    assert old.text.startswith("This agreement between Lumen Cosmetics")
    assert old.clauses.ip.owner is IpOwner.CREATOR

    with pytest.raises(ValidationError) as unknown:
        world.kit.contracts.revise_template(world.brand, v1.id, version=7)
    assert unknown.value.paths == ["version"]
    with pytest.raises(NotFound):
        world.kit.contracts.template(world.unverified_brand, v1.id)


def test_the_latest_template_version_is_used_by_default(world):
    v1 = _template(world)
    body = "2nd: {{ creator.display_name }}, {{ price }}"
    world.kit.contracts.revise_template(world.brand, v1.id, body=body)
    deal = world.agree()

    contract = world.kit.contracts.draft(world.brand, deal.id, template_id=v1.id, draft_due=DRAFT_DUE)

    assert contract.template_version == 2
    assert contract.text == "2nd: Ana Costa, 1500.00 USD"


# -- signing -------------------------------------------------------------------------------------------------


def test_both_signatures_execute_a_postpay_contract_and_start_production(world, events):
    deal, contract = _sent(world)

    after_brand = _sign(world, world.brand, contract)
    assert after_brand.status is ContractStatus.SENT
    waiting = world.kit.deals.get(world.brand, deal.id)
    assert (waiting.state, waiting.awaiting) == (DealState.CONTRACT_SENT, "creator")

    executed = _sign(world, world.creator, contract)

    assert executed.status is ContractStatus.EXECUTED
    assert world.kit.contracts.get(world.brand, contract.id).status is ContractStatus.EXECUTED
    moved = world.kit.deals.get(world.brand, deal.id)
    assert moved.state is DealState.IN_PRODUCTION
    assert moved.deadline == DRAFT_DUE
    signatures = world.kit.contracts.signatures(world.brand, contract.id)
    assert {(s.party_id, s.signer_id) for s in signatures} == {
        ("brand_lumen", "brand_lumen"),
        ("creator_ana", "creator_ana"),
    }
    assert all(s.contract_hash == contract.content_hash for s in signatures)
    trail = [(e.action, e.actor_id) for e in world.kit.store.iter_audit()][-5:]
    assert trail == [
        ("contract.sign", "creator:creator_ana"),
        ("contract.execute", "creator:creator_ana"),
        ("deal.sign", "creator:creator_ana"),
        ("deal.execute", "system:contracts"),
        ("deal.start_production", "system:contracts"),
    ]
    assert any(e.name == "contract.executed" for e in events)


def test_a_prepay_contract_waits_for_funding_once_executed(world):
    deal, contract = _executed(world, schedule=ScheduleKind.PREPAY)

    assert contract.status is ContractStatus.EXECUTED
    assert world.kit.deals.get(world.brand, deal.id).state is DealState.EXECUTED


def test_a_forged_signature_is_refused(world):
    _, contract = _sent(world)

    with pytest.raises(SignatureError, match="forged"):
        _sign(world, world.creator, contract, key_of=world.other_creator.id)  # someone else's key
    with pytest.raises(SignatureError, match="forged"):
        world.kit.contracts.sign(
            world.brand, contract.id, signature="bm90IGEgc2lnbmF0dXJl", contract_hash=contract.content_hash
        )

    assert world.kit.contracts.signatures(world.brand, contract.id) == []


def test_a_signer_holding_a_loaded_key_signs_the_same_bytes(world):
    private, _public = generate_keypair()
    digest = "ab" * 32
    # Ed25519 is deterministic: the key as text and the key loaded once give the same signature.
    assert sign_contract_hash(load_private_key(private), digest) == sign_contract_hash(private, digest)
    with pytest.raises(ValidationError, match="private_key"):
        load_private_key("c2hvcnQ=")  # 5 bytes, not 32


def test_keys_are_rfc_8032_raw_bytes() -> None:
    # RFC 8032 section 7.1, test 1: the seed gives this public key, so keys made by any RFC 8032 library load.
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    key = load_private_key(base64.b64encode(seed).decode())
    assert bytes(key.verify_key) == public
    signature = sign_contract_hash(key, "ab" * 32)
    verify_contract_signature(base64.b64encode(public).decode(), "ab" * 32, signature, signer="test")


def test_a_key_object_from_another_library_is_refused_with_a_clear_error() -> None:
    class ForeignKey:
        def sign(self, data: bytes) -> bytes:
            return b"x" * 64

    with pytest.raises(TypeError, match="load_private_key"):
        sign_contract_hash(ForeignKey(), "ab" * 32)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (bytes([1]) + bytes(31), "not a valid Ed25519 public key"),  # the neutral point: every signature verifies
        (bytes(32), "not a valid Ed25519 public key"),  # order 4
        (bytes(31), "32 bytes"),
    ],
)
def test_a_weak_or_malformed_public_key_is_refused_when_registered(world, raw, problem):
    with pytest.raises(ValidationError, match=problem):
        world.kit.parties.set_signing_key(world.brand, base64.b64encode(raw).decode())


def test_a_small_order_key_stored_behind_the_sdks_back_still_verifies_nothing() -> None:
    # The neutral point as key, and R = neutral point, S = 0: the equation holds for any message, so a lax
    # verifier would accept this "signature". Registration refuses such a key; verification refuses it too.
    neutral = bytes([1]) + bytes(31)
    forged = base64.b64encode(neutral + bytes(32)).decode()
    with pytest.raises(SignatureError):
        verify_contract_signature(base64.b64encode(neutral).decode(), "ab" * 32, forged, signer="mallory")


def test_a_signature_of_the_wrong_length_is_refused_as_forged(world):
    _, contract = _sent(world)
    short = base64.b64encode(bytes(63)).decode()
    with pytest.raises(SignatureError, match="does not verify"):
        world.kit.contracts.sign(world.brand, contract.id, signature=short, contract_hash=contract.content_hash)


def test_a_signature_over_an_amended_contract_is_stale(world):
    _, v1 = _sent(world)
    v2 = world.kit.contracts.amend(world.brand, v1.id, revision_limit=3)
    old_signature = sign_contract_hash(world.keys[world.creator.id][0], v1.content_hash)

    with pytest.raises(SignatureError, match="stale"):  # the version they fetched
        world.kit.contracts.sign(world.creator, v1.id, signature=old_signature, contract_hash=v1.content_hash)
    with pytest.raises(SignatureError, match=f"stale: you signed hash {v1.content_hash}"):  # they saw v1
        world.kit.contracts.sign(world.creator, v2.id, signature=old_signature, contract_hash=v1.content_hash)
    with pytest.raises(SignatureError, match="stale"):  # claims to have seen v2 but signed v1's hash
        world.kit.contracts.sign(world.creator, v2.id, signature=old_signature, contract_hash=v2.content_hash)

    assert world.kit.contracts.signatures(world.creator, v2.id) == []


def test_a_party_signs_only_once(world):
    _, contract = _sent(world)
    _sign(world, world.brand, contract)

    with pytest.raises(SignatureError, match="already signed"):
        _sign(world, world.brand, contract)
    assert len(world.kit.contracts.signatures(world.brand, contract.id)) == 1


def test_a_manager_without_the_signing_scope_is_refused_and_recorded(world):
    deal, contract = _sent(world)

    with pytest.raises(PermissionDenied, match="sign_on_behalf"):
        _sign(world, world.manager, contract)

    denials = [e for e in world.kit.store.iter_audit() if e.action == "denied.sign"]
    assert [e.actor_id for e in denials] == ["talent_manager:mgr_mina"]
    assert world.kit.contracts.signatures(world.brand, contract.id) == []
    assert world.kit.deals.get(world.brand, deal.id).state is DealState.CONTRACT_SENT


def test_a_manager_granted_signing_signs_for_the_creator(world):
    deal, contract = _sent(world)
    world.kit.roster.grant_signing(world.creator, world.roster_entry_id)

    _sign(world, world.manager, contract)

    [signature] = world.kit.contracts.signatures(world.brand, contract.id)
    assert (signature.party_id, signature.signer_id) == ("creator_ana", "mgr_mina")
    assert signature.public_key == world.keys["mgr_mina"][1]
    signed = [e for e in world.kit.store.iter_audit() if e.action == "contract.sign"]
    assert [(e.actor_id, e.on_behalf_of) for e in signed] == [("talent_manager:mgr_mina", "creator_ana")]
    with pytest.raises(SignatureError, match="already signed"):  # the manager's signature was the creator's
        _sign(world, world.creator, contract)
    assert _sign(world, world.brand, contract).status is ContractStatus.EXECUTED
    assert world.kit.deals.get(world.brand, deal.id).state is DealState.IN_PRODUCTION


def test_a_signer_without_a_registered_key_is_refused(world):
    entry = world.kit.roster.propose(
        world.other_agency, manager_id=world.other_manager.id, creator_id=world.creator.id, scopes=[Scope.NEGOTIATE]
    )
    world.kit.roster.accept(world.creator, entry.id)
    world.kit.roster.grant_signing(world.creator, entry.id)
    _, contract = _sent(world)
    private, _public = generate_keypair()

    with pytest.raises(SignatureError, match="no registered signing key"):
        world.kit.contracts.sign(
            world.other_manager,
            contract.id,
            contract_hash=contract.content_hash,
            signature=sign_contract_hash(private, contract.content_hash),
        )


def test_only_parties_to_the_deal_see_or_sign_its_contract(world):
    _, contract = _sent(world)

    for outsider in (world.unverified_brand, world.other_creator, world.other_manager):
        with pytest.raises(NotFound):
            world.kit.contracts.get(outsider, contract.id)
    with pytest.raises(NotFound):
        _sign(world, world.other_creator, contract)


# -- amending ------------------------------------------------------------------------------------------------


def test_amending_before_execution_replaces_the_version_and_voids_its_signatures(world):
    deal, v1 = _sent(world)
    _sign(world, world.brand, v1)

    v2 = world.kit.contracts.amend(world.brand, v1.id, revision_limit=3)

    assert (v2.version, v2.supersedes, v2.status) == (2, v1.id, ContractStatus.SENT)
    assert v2.clauses.revision_limit == 3 and "3 revisions" in v2.text
    assert v2.content_hash != v1.content_hash and v2.content_hash == contract_hash(v2)
    assert world.kit.contracts.get(world.brand, v1.id).status is ContractStatus.SUPERSEDED
    assert [c.id for c in world.kit.contracts.versions(world.brand, deal.id)] == [v1.id, v2.id]
    assert len(world.kit.contracts.signatures(world.brand, v1.id)) == 1
    assert world.kit.contracts.signatures(world.brand, v2.id) == []
    moved = world.kit.deals.get(world.brand, deal.id)
    assert (moved.state, moved.contract_id) == (DealState.CONTRACT_SENT, v2.id)

    # The brand's signature on v1 does not count for v2: the creator's alone does not execute it.
    assert _sign(world, world.creator, v2).status is ContractStatus.SENT
    assert _sign(world, world.brand, v2).status is ContractStatus.EXECUTED


def test_only_the_brand_amends_and_only_known_clauses(world):
    _, contract = _sent(world)

    with pytest.raises(PermissionDenied):
        world.kit.contracts.amend(world.creator, contract.id, revision_limit=5)
    with pytest.raises(ValidationError) as unknown:
        world.kit.contracts.amend(world.brand, contract.id, price=1)
    assert unknown.value.paths == ["price"]
    with pytest.raises(ValidationError) as mistyped:
        world.kit.contracts.amend(world.brand, contract.id, revision_limit="3")
    assert mistyped.value.paths == ["revision_limit"]
    assert "denied.amend_contract" in _actions(world)


def test_amending_an_executed_contract_makes_a_new_version_and_keeps_the_old_in_force(world):
    deal, v1 = _executed(world)

    v2 = world.kit.contracts.amend(world.brand, v1.id, revision_limit=4)

    assert (v2.version, v2.supersedes, v2.status) == (2, v1.id, ContractStatus.SENT)
    in_force = world.kit.contracts.get(world.brand, v1.id)
    assert in_force == v1  # executed contracts are never rewritten
    assert world.kit.contracts.verify(world.brand, v1.id).ok
    unchanged = world.kit.deals.get(world.brand, deal.id)
    assert (unchanged.state, unchanged.contract_id) == (DealState.IN_PRODUCTION, v1.id)
    assert "contract.amend" in _actions(world)

    with pytest.raises(PermissionDenied, match="sign_on_behalf"):  # the signing rule holds for amendments too
        _sign(world, world.manager, v2)
    _sign(world, world.creator, v2)
    assert world.kit.contracts.get(world.brand, v1.id).status is ContractStatus.EXECUTED

    executed = _sign(world, world.brand, v2)

    assert executed.status is ContractStatus.EXECUTED
    assert world.kit.contracts.get(world.brand, v1.id).status is ContractStatus.SUPERSEDED
    moved = world.kit.deals.get(world.brand, deal.id)
    assert (moved.state, moved.contract_id) == (DealState.IN_PRODUCTION, v2.id)


def test_an_executed_contract_cannot_be_changed_in_place(world):
    _, v1 = _executed(world)

    with pytest.raises(StateError) as resign:
        _sign(world, world.brand, v1)
    assert resign.value.state == "executed" and resign.value.allowed == ["amend"]

    v2 = world.kit.contracts.amend(world.brand, v1.id, revision_limit=4)
    with pytest.raises(StateError, match=v2.id):  # one pending amendment at a time: amend that one
        world.kit.contracts.amend(world.brand, v1.id, revision_limit=5)
    v3 = world.kit.contracts.amend(world.brand, v2.id, revision_limit=5)
    assert (v3.version, v3.supersedes) == (3, v2.id)
    assert world.kit.contracts.get(world.brand, v2.id).status is ContractStatus.SUPERSEDED
    with pytest.raises(StateError):
        world.kit.contracts.amend(world.brand, v2.id, revision_limit=6)
    assert world.kit.contracts.get(world.brand, v1.id) == v1


# -- tamper detection ----------------------------------------------------------------------------------------


def _rewrite(database: Any, contract_id: str, change: Any) -> None:
    """Change a stored contract underneath the SDK, as someone with database access could."""
    [(raw,)] = database.execute("SELECT doc FROM documents WHERE kind = 'contract' AND id = ?", [contract_id])
    doc = json.loads(raw) if isinstance(raw, str) else raw  # PostgreSQL hands JSONB back decoded
    change(doc)
    cast = "?::jsonb" if database.dialect == "postgresql" else "?"
    database.execute(
        f"UPDATE documents SET doc = {cast} WHERE kind = 'contract' AND id = ?", [json.dumps(doc), contract_id]
    )


def test_verify_passes_an_untouched_executed_contract(world):
    _, contract = _executed(world)

    report = world.kit.contracts.verify(world.creator, contract.id)

    assert report.ok and report.problems == ()
    assert report.stored_hash == report.computed_hash == contract.content_hash
    assert sorted((c.party_id, c.valid, c.reason) for c in report.signatures) == [
        ("brand_lumen", True, "verified"),
        ("creator_ana", True, "verified"),
    ]


def test_a_contract_changed_in_the_database_after_signing_is_detected(world, database):
    _, contract = _executed(world)

    _rewrite(database, contract.id, lambda doc: doc["price"].update(amount=1))

    report = world.kit.contracts.verify(world.brand, contract.id)
    assert not report.ok
    assert report.stored_hash == contract.content_hash != report.computed_hash
    assert any(contract.id in p and "does not match its content hash" in p for p in report.problems)
    assert [c.valid for c in report.signatures] == [False, False]
    assert all("now hashes to" in c.reason for c in report.signatures)


def test_a_change_that_also_rewrites_the_hash_is_still_detected(world, database):
    _, contract = _executed(world)

    def forge(doc: dict[str, Any]) -> None:
        doc["clauses"]["revision_limit"] = 9
        doc["content_hash"] = contract_hash(doc)

    _rewrite(database, contract.id, forge)

    report = world.kit.contracts.verify(world.brand, contract.id)
    assert not report.ok
    assert report.stored_hash == report.computed_hash != contract.content_hash
    assert any("audit trail" in p for p in report.problems)
    assert not any(c.valid for c in report.signatures)


def test_a_signature_removed_from_an_executed_contract_is_detected(world, database):
    _, contract = _executed(world)
    signatures = world.kit.contracts.signatures(world.brand, contract.id)
    creators = [s for s in signatures if s.party_id == "creator_ana"]

    database.execute("DELETE FROM documents WHERE kind = 'signature' AND id = ?", [creators[0].id])

    report = world.kit.contracts.verify(world.brand, contract.id)
    assert not report.ok and report.stored_hash == report.computed_hash
    missing = f"contract {contract.id} is executed but has no valid signature for creator_ana"
    assert report.problems == (missing,)


def test_a_tampered_contract_cannot_be_signed(world, database):
    _, contract = _sent(world)
    _rewrite(database, contract.id, lambda doc: doc.update(text="Something else entirely"))

    with pytest.raises(SignatureError, match="changed outside creatorkit"):
        _sign(world, world.brand, contract)


# -- the platform order --------------------------------------------------------------------------------------


def test_a_platform_order_needs_the_brand_and_an_executed_contract(world):
    deal, contract = _sent(world)

    with pytest.raises(StateError, match="executed contract"):
        world.kit.contracts.place_platform_order(world.brand, deal.id)
    _sign(world, world.brand, contract)
    _sign(world, world.creator, contract)
    with pytest.raises(PermissionDenied):
        world.kit.contracts.place_platform_order(world.creator, deal.id)
    assert "denied.place_platform_order" in _actions(world)


def test_the_stored_contract_is_the_returned_one_and_hashes_to_its_content_hash(world):
    from creatorkit.converter import unstructure

    _, contract = _sent(world)
    with world.kit.store.read() as tx:
        stored = tx.require("contract", contract.id).doc
    assert stored == unstructure(contract)
    assert contract_hash(stored) == contract.content_hash
