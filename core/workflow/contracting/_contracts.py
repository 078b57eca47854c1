"""Contracts: versioned templates, drafting from the agreed terms, Ed25519 signatures over a content hash.

**Templates.** A brand keeps standard contracts (``contract_template`` records in its workspace). Each version
is a record of its own, ``<template id>@v<version>`` with ``parent`` = the template id, so a contract can
always be re-rendered from the exact version it was drafted from; :meth:`ContractService.revise_template`
adds version *n + 1* and never touches version *n*. The body is Jinja2 text rendered in the same sandbox as
outreach templates (:func:`~creatorkit.workflow.render_template`) with ``contract``, ``price``,
``clauses``, ``brand``, ``creator``, ``brief`` and ``deal`` in scope; a missing or blank field is a
ValidationError.

**The hash.** ``content_hash`` is SHA-256 over the RFC 8785 canonical JSON of the contract's stored document
without ``content_hash`` and ``status`` (see :func:`contract_hash`). It covers everything the parties agree to
(id, deal, version, parties, price, every clause, the rendered text, the template version, the creation
time and the version it supersedes); ``status`` is bookkeeping that moves (sent → executed → superseded) and
is left out so that it can move without invalidating signatures.

**Signatures.** Each signer signs ``content_hash`` on their own device with their own key
(:func:`~creatorkit.signing.sign_contract_hash`); the service checks it against the public key the
signer registered (:meth:`PartyService.set_signing_key`). A talent manager signs for the creator only with
the ``sign_on_behalf`` scope. When the brand and the creator have both signed the current hash, the
contract is ``executed`` and the deal moves on (``execute``, then ``start_production`` for a postpay
schedule, whose work does not wait for escrow).

**Immutability.** Contract content is never rewritten: the only update a contract record ever gets is its
``status`` (following :data:`STATUS_MOVES`). :meth:`ContractService.amend` makes a new version instead. Before
execution the new version replaces the old one at once (old signatures were over the old hash and simply do
not count); after execution the executed contract stays in force until the amendment is signed by both.
:meth:`ContractService.verify` recomputes the hash from the stored document, so a document changed underneath
the SDK (say, by SQL) is detected; it also checks each record against the payload hash the audit chain kept
when it was written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ..._canonical import canonical_json
from ..._service import PARTY_KINDS, Change, Service, on_behalf_of, remember
from ...audit._chain import payload_hash
from ...converter import structure, unstructure, unstructure_evolved
from ...entities import (
    Actor,
    Brand,
    CampaignBrief,
    CancellationTerms,
    Contract,
    ContractClauses,
    ContractStatus,
    ContractTemplate,
    ContractTimeline,
    CreatorProfile,
    Deal,
    DealState,
    Exclusivity,
    IpOwnership,
    PartyKind,
    PlatformOrder,
    PlatformOrderRequest,
    Signature,
    UsageRights,
    new_id,
)
from ...errors import NotFound, PermissionDenied, Problem, SignatureError, StateError, ValidationError
from ...signing import verify_contract_signature
from .._outreach import check_template, render_template
from .._states import FINAL_STATES, TRANSITIONS, next_state

__all__ = [
    "HASH_EXCLUDED",
    "STATUS_MOVES",
    "ContractService",
    "ContractVerification",
    "SignatureCheck",
    "contract_hash",
]

#: Fields of a contract's document that :func:`contract_hash` leaves out; every other field is covered.
HASH_EXCLUDED = frozenset({"content_hash", "status"})

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
_SIGN_RULE = TRANSITIONS[DealState.CONTRACT_SENT]["sign"]
_AMEND_RULE = TRANSITIONS[DealState.CONTRACT_SENT]["amend_contract"]
_TEMPLATE_FIELDS = (
    "name",
    "body",
    "default_revision_limit",
    "default_ip",
    "default_usage_rights",
    "default_cancellation",
)
_CLAUSE_FIELDS = tuple(field.name for field in attrs.fields(ContractClauses))
_DEFAULT_IP, _DEFAULT_USAGE, _DEFAULT_CANCELLATION = IpOwnership(), UsageRights(), CancellationTerms()


def contract_hash(contract: Contract | Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the contract's canonical JSON (RFC 8785), leaving out ``content_hash`` and ``status``.

    Covered: ``id``, ``deal_id``, ``version``, ``template_id``, ``template_version``, ``brand_id``,
    ``creator_id``, ``price``, ``clauses`` (every clause), ``text``, ``created_at`` and ``supersedes`` — and
    any field added to :class:`~creatorkit.entities.Contract` later, unless it is added to
    :data:`HASH_EXCLUDED`. Accepts the entity or its stored document, so that :meth:`ContractService.verify`
    hashes exactly what is stored.
    """
    doc = unstructure(contract) if isinstance(contract, Contract) else contract
    covered = {key: value for key, value in doc.items() if key not in HASH_EXCLUDED}
    return hashlib.sha256(canonical_json(covered)).hexdigest()


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
    """What :meth:`ContractService.verify` found: ``ok`` only when the document and every signature hold."""

    contract_id: str
    ok: bool
    stored_hash: str
    computed_hash: str
    signatures: tuple[SignatureCheck, ...]
    problems: tuple[str, ...] = ()


class ContractService(Service):
    def __init__(self, kit: Any) -> None:
        super().__init__(kit)
        # contract id -> (the stored document, its content hash): every signature re-checks the stored contract
        # against its hash, and a document the store hands back unchanged (the same object) need not be hashed
        # again. A document read anew, after any other writer, is a different object and is hashed.
        self._hashes: dict[str, tuple[dict[str, Any], str]] = {}

    # -- templates -------------------------------------------------------------------------------------------

    def create_template(
        self,
        actor: Actor,
        *,
        name: str,
        body: str,
        default_revision_limit: int = 2,
        default_ip: IpOwnership = _DEFAULT_IP,
        default_usage_rights: UsageRights = _DEFAULT_USAGE,
        default_cancellation: CancellationTerms = _DEFAULT_CANCELLATION,
    ) -> ContractTemplate:
        """Save version 1 of a standard contract in the brand's workspace."""
        template = _checked_template(
            id=new_id("ctpl"),
            name=name,
            version=1,
            body=body,
            default_revision_limit=default_revision_limit,
            default_ip=default_ip,
            default_usage_rights=default_usage_rights,
            default_cancellation=default_cancellation,
        )

        def work(change: Change) -> ContractTemplate:
            _only_brand(actor, "create_contract_template")
            self._insert_template(change, actor.id, template)
            change.audit(
                "contract_template.create",
                "contract_template",
                _template_key(template.id, 1),
                unstructure(template),
                workspace=actor.id,
            )
            return template

        return self._write(actor, "create_contract_template", work)

    def revise_template(self, actor: Actor, template_id: str, **changes: Any) -> ContractTemplate:
        """Add the next version of a template with ``changes`` (any of its fields but id and version).

        Earlier versions stay as they were: contracts drafted from them keep pointing at them.
        """
        unknown = sorted(set(changes) - set(_TEMPLATE_FIELDS))
        if unknown or not changes:
            hint = f"not a template field; one of {', '.join(_TEMPLATE_FIELDS)}"
            problems = [Problem(key, hint) for key in unknown]
            raise ValidationError(problems or [Problem("", "nothing to change")], "template revision")

        def work(change: Change) -> ContractTemplate:
            _only_brand(actor, "revise_contract_template")
            latest = self._template(change.tx, actor, template_id, None)
            fields = {**attrs.asdict(latest, recurse=False), **changes, "version": latest.version + 1}
            revised = _checked_template(**fields)
            self._insert_template(change, actor.id, revised)
            key = _template_key(template_id, revised.version)
            change.audit("contract_template.revise", "contract_template", key, unstructure(revised), workspace=actor.id)
            return revised

        return self._write(actor, "revise_contract_template", work)

    def template(self, actor: Actor, template_id: str, version: int | None = None) -> ContractTemplate:
        """A template version of the actor's brand (the latest when ``version`` is None)."""
        return self._read(actor, lambda tx: self._template(tx, actor, template_id, version))

    def template_versions(self, actor: Actor, template_id: str) -> list[ContractTemplate]:
        def work(tx: Any) -> list[ContractTemplate]:
            found = self._template_records(tx, actor, template_id)
            return sorted((self.entity(r, ContractTemplate) for r in found), key=lambda t: t.version)

        return self._read(actor, work)

    # -- drafting --------------------------------------------------------------------------------------------

    def draft(
        self,
        actor: Actor,
        deal_id: str,
        *,
        template_id: str,
        template_version: int | None = None,
        draft_due: datetime,
        exclusivity: Exclusivity | None = None,
        usage_rights: UsageRights | None = None,
        ip: IpOwnership | None = None,
        cancellation: CancellationTerms | None = None,
        governing_law: str = "",
    ) -> Contract:
        """Build version 1 of the deal's contract from its agreed terms and a template, and send it.

        Price, deliverables, payment schedule, revision limit and publish date come from the agreed terms;
        content requirements from the brief; IP, usage rights and cancellation from the arguments or else the
        template's defaults. The deal moves to CONTRACT_SENT.
        """

        def work(change: Change) -> Contract:
            deal, _ = self.load_deal(change.tx, actor, deal_id)
            transition = next_state(deal.id, deal.state, "send_contract")
            self.role_in(change.tx, actor, deal, transition, "send_contract")
            if deal.terms is None:
                raise StateError(
                    f"deal {deal.id}", str(deal.state), "send_contract", [], "the deal has no agreed terms"
                )
            template = self._template(change.tx, actor, template_id, template_version)
            brief = self.kit.deals.brief_of(change.tx, deal)
            terms = deal.terms
            rights = usage_rights or template.default_usage_rights
            if usage_rights is None and terms.usage_rights_days is not None:
                rights = attrs.evolve(rights, duration_days=terms.usage_rights_days)
            exclusive = exclusivity
            if exclusive is None and terms.exclusivity_days:
                category = brief.product.category or brief.name
                exclusive = Exclusivity(category=category, duration_days=terms.exclusivity_days)
            publish_by = terms.publish_by or brief.timeline.publish_until
            flow = self.kit.config.workflow
            timeline = _timeline(draft_due, publish_by, flow.review_days, flow.auto_approve_after_days, change.now)
            clauses = ContractClauses(
                deliverables=terms.deliverables,
                payment=terms.payment,
                timeline=timeline,
                content_requirements=brief.content_rules,
                revision_limit=terms.revision_limit,
                ip=ip or template.default_ip,
                usage_rights=rights,
                exclusivity=exclusive,
                cancellation=cancellation or template.default_cancellation,
                governing_law=governing_law,
            )
            contract = Contract(
                id=new_id("contract"),
                deal_id=deal.id,
                version=1,
                template_id=template.id,
                template_version=template.version,
                brand_id=deal.brand_id,
                creator_id=deal.creator_id,
                price=terms.price,
                clauses=clauses,
                text="",
                created_at=change.now,
                status=CS.SENT,
            )
            contract, document = self._finish(change.tx, contract, template, deal, brief)
            brand_id = deal.brand_id
            change.insert(
                "contract", contract, workspace=brand_id, parent=deal.id, state=str(contract.status), document=document
            )
            self._remember_hash(change.tx, contract)
            self.kit.deals.apply(change, deal, "send_contract", payload=_anchor(contract), contract_id=contract.id)
            change.audit("contract.draft", "contract", contract.id, _anchor(contract), workspace=brand_id)
            change.event(
                "contract.sent", "contract", contract.id, deal_id=deal.id, version=1, content_hash=contract.content_hash
            )
            return contract

        return self._write(actor, "send_contract", work)

    # -- amending --------------------------------------------------------------------------------------------

    def amend(self, actor: Actor, contract_id: str, **clause_changes: Any) -> Contract:
        """Make the next version of a contract with ``clause_changes`` (ContractClauses fields); brand only.

        Before execution the new version replaces this one (which becomes superseded; its signatures no
        longer count). After execution the executed contract stays in force, unchanged, until the new version
        is signed by both; the deal's state does not move. A superseded version cannot be amended: amend the
        current one.
        """
        unknown = sorted(set(clause_changes) - set(_CLAUSE_FIELDS))
        if unknown or not clause_changes:
            hint = f"not a contract clause; one of {', '.join(_CLAUSE_FIELDS)}"
            problems = [Problem(key, hint) for key in unknown]
            raise ValidationError(problems or [Problem("", "nothing to amend")], "contract amendment")

        def work(change: Change) -> Contract:
            old, deal = self._load_contract(change.tx, actor, contract_id)
            self.role_in(change.tx, actor, deal, _AMEND_RULE, "amend_contract")
            stage = self._stage(change.tx, old, deal, "amend_contract")
            in_force = self._pending_check(change.tx, old, deal) if stage == "amendment" else None
            clauses = structure(
                {**unstructure(old.clauses), **unstructure(clause_changes)}, ContractClauses, what="contract clauses"
            )
            _timeline(
                clauses.timeline.draft_due,
                clauses.timeline.publish_by,
                clauses.timeline.review_days,
                clauses.timeline.auto_approve_after_days,
                None,
            )
            template = self._template_version(change.tx, old.template_id, old.template_version)
            new = attrs.evolve(
                old,
                id=new_id("contract"),
                version=old.version + 1,
                clauses=clauses,
                price=clauses.payment.total,
                text="",
                content_hash="",
                status=CS.SENT,
                created_at=change.now,
                supersedes=old.id,
            )
            new, document = self._finish(change.tx, new, template, deal, self.kit.deals.brief_of(change.tx, deal))
            change.insert(
                "contract", new, workspace=deal.brand_id, parent=deal.id, state=str(new.status), document=document
            )
            self._remember_hash(change.tx, new)
            if old.status is CS.SENT:
                self._set_status(change, old.id, CS.SUPERSEDED)
            if stage == "before_execution":
                updates: dict[str, Any] = {"price": new.price} if new.price != deal.price else {}
                self.kit.deals.apply(
                    change, deal, "amend_contract", payload=_anchor(new), contract_id=new.id, **updates
                )
            change.audit("contract.amend", "contract", new.id, _anchor(new), workspace=deal.brand_id)
            change.event(
                "contract.amended",
                "contract",
                new.id,
                deal_id=deal.id,
                version=new.version,
                supersedes=old.id,
                in_force=in_force,
                content_hash=new.content_hash,
            )
            return new

        return self._write(actor, "amend_contract", work)

    # -- signing ---------------------------------------------------------------------------------------------

    def sign(self, actor: Actor, contract_id: str, *, signature: str, contract_hash: str) -> Contract:
        """Record ``actor``'s Ed25519 ``signature`` over the contract hash they saw (``contract_hash``).

        Refused with SignatureError when the hash is not the current one (stale), the signature does not
        verify against the signer's registered key (forged), the signer has no key, or the party has already
        signed. When both the brand and the creator have signed, the contract is executed.
        """

        def work(change: Change) -> Contract:
            contract, deal = self._load_contract(change.tx, actor, contract_id)
            self.role_in(change.tx, actor, deal, _SIGN_RULE, "sign")
            if contract.status is not CS.SENT:
                self._not_signable(change.tx, contract)
            stage = self._stage(change.tx, contract, deal, "sign")
            self._check_current(change.tx, contract, contract_hash)
            party_id = deal.brand_id if actor.kind is PartyKind.BRAND else deal.creator_id
            public_key = self._signing_key(change.tx, actor)
            signed = self._signatures(change.tx, contract)
            if party_id in {s.party_id for s in signed}:
                raise SignatureError(
                    f"{party_id} has already signed contract {contract.id}", signer=str(actor), document=contract.id
                )
            self._verify_or_explain(change.tx, contract, public_key, signature, actor)
            record = Signature(
                id=new_id("sig"),
                contract_id=contract.id,
                contract_hash=contract.content_hash,
                signer_id=actor.id,
                party_id=party_id,
                public_key=public_key,
                signature=signature,
                signed_at=change.now,
            )
            on_behalf = on_behalf_of(actor, deal.creator_id)
            # The payload is the stored record itself, so verify() can hold the record to the audit chain.
            change.record(
                "signature", record, "contract.sign", workspace=deal.brand_id, parent=deal.id, on_behalf_of=on_behalf
            )
            change.event(
                "contract.signed", "contract", contract.id, deal_id=deal.id, party_id=party_id, signer_id=actor.id
            )
            if {deal.brand_id, deal.creator_id} <= {party_id, *(s.party_id for s in signed)}:
                return self._execute(change, contract, deal, stage)
            if stage == "before_execution":
                other = "creator" if party_id == deal.brand_id else "brand"
                payload = {"signature_id": record.id, "party_id": party_id, **_anchor(contract)}
                self.kit.deals.apply(change, deal, "sign", payload=payload, awaiting=other)
            return contract

        return self._write(actor, "sign", work)

    def _execute(self, change: Change, contract: Contract, deal: Deal, stage: str) -> Contract:
        """Both parties signed: the contract is executed and the deal moves on, in the same transaction."""
        if stage == "amendment" and deal.contract_id is not None:
            self._set_status(change, deal.contract_id, CS.SUPERSEDED)
        executed = self._set_status(change, contract.id, CS.EXECUTED)
        change.audit("contract.execute", "contract", contract.id, _anchor(contract), workspace=deal.brand_id)
        if stage == "amendment":
            updates: dict[str, Any] = {"contract_id": contract.id, "price": contract.price}
            change.save_deal(attrs.evolve(deal, **updates), expected_version=deal.version)
        else:
            self.kit.deals.apply(change, deal, "sign", payload=_anchor(contract))
            self._advance_as_system(change, deal.id, contract)
        change.event("contract.executed", "contract", contract.id, deal_id=deal.id, version=contract.version)
        return executed

    def _advance_as_system(self, change: Change, deal_id: str, contract: Contract) -> None:
        """``execute`` (and ``start_production`` for postpay) are the system's moves, not the signer's."""
        system = change.as_actor(Actor.system("contracts"))
        deal, _ = self.load_deal(change.tx, system.actor, deal_id)
        deal = self.kit.deals.apply(system, deal, "execute", payload=_anchor(contract))
        if not contract.clauses.payment.requires_escrow_before_work:
            self.kit.deals.apply(
                system,
                deal,
                "start_production",
                payload={"contract_id": contract.id},
                deadline=contract.clauses.timeline.draft_due,
            )

    # -- reading ---------------------------------------------------------------------------------------------

    def get(self, actor: Actor, contract_id: str) -> Contract:
        return self._read(actor, lambda tx: self._load_contract(tx, actor, contract_id)[0])

    def versions(self, actor: Actor, deal_id: str) -> list[Contract]:
        """Every version of the deal's contract, oldest first."""

        def work(tx: Any) -> list[Contract]:
            self.load_deal(tx, actor, deal_id)
            found = [self.entity(r, Contract) for r in tx.find("contract", parent=deal_id)]
            return sorted(found, key=lambda c: c.version)

        return self._read(actor, work)

    def signatures(self, actor: Actor, contract_id: str) -> list[Signature]:
        """The signatures given on this version, oldest first (a superseded version keeps its own)."""

        def work(tx: Any) -> list[Signature]:
            contract, _ = self._load_contract(tx, actor, contract_id)
            return self._signatures(tx, contract)

        return self._read(actor, work)

    def verify(self, actor: Actor, contract_id: str) -> ContractVerification:
        """Recompute the hash from the stored document and check every signature on it.

        Reports (never raises for) a document changed outside the SDK, a signature over another hash, a
        signature that does not verify, a signature record that differs from the one the audit trail recorded,
        and an executed contract that lacks a party's valid signature.
        """

        def work(tx: Any) -> ContractVerification:
            record = tx.get("contract", contract_id)
            if record is None:
                raise NotFound("contract", contract_id)
            self._visible(tx, actor, str(record.parent), contract_id)
            return self._verification(tx, record)

        return self._read(actor, work)

    def _verification(self, tx: Any, record: Any) -> ContractVerification:
        doc, name = record.doc, f"contract {record.id}"
        stored, computed = str(doc.get("content_hash", "")), contract_hash(doc)
        problems = []
        if stored != computed:
            problems.append(
                f"{name}: the stored document does not match its content hash (stored {stored}, "
                f"computed {computed}); it was changed after it was hashed"
            )
        recorded = {e.payload_hash for e in tx.audit_for(entity_ids=[record.id])}
        if recorded and payload_hash({"contract_id": record.id, "content_hash": computed}) not in recorded:
            problems.append(
                f"{name}: its content hash {computed} is not the one the audit trail recorded when it was written"
            )
        siblings = tx.find("signature", parent=record.parent)
        signed = [r for r in siblings if r.doc.get("contract_id") == record.id]
        checks = tuple(self._check_signature(tx, r, doc, computed) for r in signed)
        if doc.get("status") == str(CS.EXECUTED):
            valid = {c.party_id for c in checks if c.valid}
            parties = (doc.get("brand_id"), doc.get("creator_id"))
            problems.extend(
                f"{name} is executed but has no valid signature for {party}" for party in parties if party not in valid
            )
        ok = not problems and all(c.valid for c in checks)
        return ContractVerification(
            contract_id=record.id,
            ok=ok,
            stored_hash=stored,
            computed_hash=computed,
            signatures=checks,
            problems=tuple(problems),
        )

    # -- placing the order on the platform -------------------------------------------------------------------

    def place_platform_order(self, actor: Actor, deal_id: str) -> PlatformOrder:
        """Place the executed collaboration on the deal's platform marketplace as an order; brand only.

        A platform without a contracting API raises CapabilityMissing with the plugin's explanation. The
        platform is called outside any store transaction (a slow platform must not hold the database), and the
        order is stored after it answers; a second call returns the stored order.
        """
        deal, found = self._read(actor, lambda tx: self._order_request(tx, actor, deal_id), "place_platform_order")
        if isinstance(found, PlatformOrder):
            return found
        order = self.kit.plugins.platform(deal.platform).place_order(found)
        key = f"{order.platform}:{order.order_id}"

        def work(change: Change) -> PlatformOrder:
            change.tx.insert(
                "platform_order",
                key,
                unstructure(order),
                workspace=deal.brand_id,
                parent=deal.id,
                state=order.status,
                now=change.now,
            )
            change.audit("platform_order.place", "platform_order", key, unstructure(order), workspace=deal.brand_id)
            change.event("platform_order.placed", "deal", deal.id, platform=order.platform, order_id=order.order_id)
            return order

        return self._write(actor, "place_platform_order", work)

    def _order_request(self, tx: Any, actor: Actor, deal_id: str) -> tuple[Deal, PlatformOrderRequest | PlatformOrder]:
        """The request to send (or the order already placed), after checking the actor and the contract."""
        deal, _ = self.load_deal(tx, actor, deal_id)
        if actor.kind is not PartyKind.BRAND or actor.id != deal.brand_id:
            raise PermissionDenied(
                str(actor), "place_platform_order", "only the deal's brand places platform orders", f"deal {deal.id}"
            )
        contract = self._in_force(tx, deal)
        if contract is None or deal.state in FINAL_STATES:
            raise StateError(
                f"deal {deal.id}",
                str(deal.state),
                "place_platform_order",
                [],
                "the deal needs an executed contract and must still be open",
            )
        placed = tx.find("platform_order", parent=deal.id)
        if placed:
            return deal, self.entity(placed[0], PlatformOrder)
        brief = self.kit.deals.brief_of(tx, deal)
        account = self.kit.deals.creator_of(tx, deal).account_on(deal.platform)
        brand = self.entity(tx.require("brand", deal.brand_id), Brand)
        return deal, PlatformOrderRequest(
            deal_id=deal.id,
            brand_name=brand.name,
            description=f"{brief.name}: {brief.product.name}",
            creator_handles=(account.handle,) if account else (),
            deliverable_count=sum(d.quantity for d in contract.clauses.deliverables),
            price=contract.price,
            publish_by=contract.clauses.timeline.publish_by,
        )

    # -- helpers ---------------------------------------------------------------------------------------------

    def _visible(self, tx: Any, actor: Actor, deal_id: str, contract_id: str) -> Deal:
        try:
            return self.load_deal(tx, actor, deal_id)[0]
        except NotFound:
            raise NotFound("contract", contract_id) from None  # another workspace's contract does not exist

    def _load_contract(self, tx: Any, actor: Actor, contract_id: str) -> tuple[Contract, Deal]:
        record = tx.get("contract", contract_id)
        if record is None:
            raise NotFound("contract", contract_id)
        deal = self._visible(tx, actor, str(record.parent), contract_id)
        return self.entity(record, Contract), deal

    def _stage(self, tx: Any, contract: Contract, deal: Deal, action: str) -> str:
        """``before_execution`` (the deal waits in CONTRACT_SENT) or ``amendment`` (of the executed one)."""
        if deal.state is DealState.CONTRACT_SENT and deal.contract_id == contract.id:
            return "before_execution"
        in_force = self._in_force(tx, deal)
        if in_force is not None and deal.state not in FINAL_STATES:
            if contract.status is CS.EXECUTED and contract.id != in_force.id:
                raise StateError(
                    f"contract {contract.id}",
                    str(contract.status),
                    action,
                    [],
                    f"contract {in_force.id} is the one in force",
                )
            return "amendment"
        if deal.state is DealState.CONTRACT_SENT:
            raise StateError(
                f"contract {contract.id}",
                str(contract.status),
                action,
                [],
                f"contract {deal.contract_id} is the deal's current version",
            )
        next_state(deal.id, deal.state, action)  # raises, naming what the deal allows
        raise StateError(f"deal {deal.id}", str(deal.state), action, [])  # pragma: no cover

    def _in_force(self, tx: Any, deal: Deal) -> Contract | None:
        if deal.contract_id is None:
            return None
        current = self.entity(tx.require("contract", deal.contract_id), Contract)
        return current if current.status is CS.EXECUTED else None

    def _pending_check(self, tx: Any, contract: Contract, deal: Deal) -> str | None:
        """Amending an executed contract while a newer amendment awaits signatures would fork the versions."""
        versions = [self.entity(r, Contract) for r in tx.find("contract", parent=deal.id)]
        newest = max(versions, key=lambda c: c.version)
        if newest.id != contract.id:
            raise StateError(
                f"contract {contract.id}",
                str(contract.status),
                "amend_contract",
                [],
                f"version {newest.version} ({newest.id}) is newer; amend that one",
            )
        return deal.contract_id

    def _not_signable(self, tx: Any, contract: Contract) -> None:
        if contract.status is CS.EXECUTED:
            raise StateError(
                f"contract {contract.id}",
                str(contract.status),
                "sign",
                ["amend"],
                "an executed contract is immutable; amend it to make a new version",
            )
        siblings = tx.find("contract", parent=contract.deal_id)
        newer = [r.id for r in siblings if r.doc.get("supersedes") == contract.id]
        successor = f" by {newer[0]}" if newer else ""
        raise SignatureError(
            f"stale: contract {contract.id} (version {contract.version}) was "
            f"{contract.status}{successor}; fetch the current version and sign its hash",
            document=contract.id,
        )

    def _remember_hash(self, tx: Any, contract: Contract) -> None:
        """``contract`` was just stored, sealed with the hash of exactly that document."""
        self._keep_hash(contract.id, tx.require("contract", contract.id).doc, contract.content_hash)

    def _keep_hash(self, contract_id: str, doc: dict[str, Any], digest: str) -> None:
        self._hashes[contract_id] = (doc, digest)
        if len(self._hashes) > 4096:
            del self._hashes[next(iter(self._hashes))]  # the oldest: dicts keep insertion order

    def _stored_hash(self, tx: Any, contract_id: str) -> str:
        """The content hash of the contract as stored now."""
        doc = tx.require("contract", contract_id).doc
        known = self._hashes.get(contract_id)
        if known is not None and known[0] is doc:
            return known[1]
        digest = contract_hash(doc)
        self._keep_hash(contract_id, doc, digest)
        return digest

    def _check_current(self, tx: Any, contract: Contract, seen_hash: str) -> None:
        stored = self._stored_hash(tx, contract.id)
        if stored != contract.content_hash:
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

    def _signing_key(self, tx: Any, actor: Actor) -> str:
        kind = PARTY_KINDS[actor.kind]
        key = tx.require(kind, actor.id).doc.get("signing_key")
        if not key:
            raise SignatureError(
                f"{actor} has no registered signing key; register one with kit.parties.set_signing_key first",
                signer=str(actor),
            )
        return str(key)

    def _verify_or_explain(self, tx: Any, contract: Contract, public_key: str, signature: str, actor: Actor) -> None:
        try:
            verify_contract_signature(public_key, contract.content_hash, signature, signer=str(actor))
        except SignatureError:
            for record in tx.find("contract", parent=contract.deal_id):
                older = str(record.doc.get("content_hash", ""))
                if older and older != contract.content_hash and _verifies(public_key, older, signature):
                    version = record.doc.get("version")
                    raise SignatureError(
                        f"stale: the signature is over version {version}'s hash, not "
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

    def _signatures(self, tx: Any, contract: Contract) -> list[Signature]:
        found = [
            self.entity(r, Signature)
            for r in tx.find("signature", parent=contract.deal_id)
            if r.doc.get("contract_id") == contract.id
        ]
        return sorted(found, key=lambda s: (s.signed_at, s.id))

    def _check_signature(self, tx: Any, record: Any, contract: Mapping[str, Any], computed: str) -> SignatureCheck:
        doc = record.doc
        party, signer = str(doc.get("party_id", "?")), str(doc.get("signer_id", "?"))

        def result(reason: str) -> SignatureCheck:
            return SignatureCheck(
                signature_id=record.id, party_id=party, signer_id=signer, valid=reason == "verified", reason=reason
            )

        recorded = {e.payload_hash for e in tx.audit_for(entity_ids=[record.id])}
        if payload_hash(doc) not in recorded:
            return result("the signature record differs from the one recorded in the audit trail")
        if party not in (contract.get("brand_id"), contract.get("creator_id")):
            return result(f"{party} is not a party to this contract")
        if doc.get("contract_hash") != computed:
            signed = doc.get("contract_hash")
            return result(f"signed hash {signed}, but the contract now hashes to {computed}")
        if not _verifies(str(doc.get("public_key", "")), computed, str(doc.get("signature", ""))):
            return result("the signature does not verify against the signer's key")
        return result("verified")

    def _set_status(self, change: Change, contract_id: str, status: ContractStatus) -> Contract:
        """The one way a stored contract changes: its status, along :data:`STATUS_MOVES`; content never."""
        record = change.tx.require("contract", contract_id)
        current = ContractStatus(record.doc["status"])
        if status not in STATUS_MOVES[current]:
            raise StateError(
                f"contract {contract_id}", str(current), f"mark {status}", [str(s) for s in STATUS_MOVES[current]]
            )
        updated = attrs.evolve(self.entity(record, Contract), status=status)
        doc = dict(record.doc, status=str(status))
        saved = change.tx.update(
            "contract", contract_id, doc, expected_version=record.version, state=str(status), now=change.now
        )
        remember(change.cache, "contract", contract_id, saved.version, doc, updated)
        return updated

    def _finish(
        self, tx: Any, contract: Contract, template: ContractTemplate, deal: Deal, brief: CampaignBrief
    ) -> tuple[Contract, dict[str, Any]]:
        """Render the text with the contract's fields, then seal it with its content hash; also its document."""
        context = {
            "contract": contract,
            "price": contract.price,
            "clauses": contract.clauses,
            "brand": self.entity(tx.require("brand", deal.brand_id), Brand),
            # The creator's public page: the brand writes the template, so private contact details stay out.
            "creator": attrs.evolve(
                self.entity(tx.require("creator", deal.creator_id), CreatorProfile), email=None, signing_key=None
            ),
            "brief": brief,
            "deal": deal,
        }
        rendered = attrs.evolve(contract, text=render_template(template.body, context, field="template.body"))
        rendered_doc = unstructure(rendered)  # converted once: hashed here, stored by the caller
        sealed = attrs.evolve(rendered, content_hash=contract_hash(rendered_doc))
        return sealed, unstructure_evolved(sealed, rendered, rendered_doc)

    # -- template storage ------------------------------------------------------------------------------------

    def _insert_template(self, change: Change, workspace: str, template: ContractTemplate) -> None:
        key = _template_key(template.id, template.version)
        change.tx.insert(
            "contract_template",
            key,
            unstructure(template),
            workspace=workspace,
            parent=template.id,
            state=f"v{template.version}",
            now=change.now,
        )

    def _template_records(self, tx: Any, actor: Actor, template_id: str) -> list[Any]:
        found: list[Any] = tx.find("contract_template", parent=template_id, workspace=actor.id)
        if not found:
            raise NotFound("contract_template", template_id)
        return found

    def _template(self, tx: Any, actor: Actor, template_id: str, version: int | None) -> ContractTemplate:
        records = self._template_records(tx, actor, template_id)
        versions = {int(r.doc["version"]): r for r in records}
        wanted = max(versions) if version is None else version
        if wanted not in versions:
            raise NotFound("contract_template", _template_key(template_id, wanted))
        return self.entity(versions[wanted], ContractTemplate)

    def _template_version(self, tx: Any, template_id: str, version: int) -> ContractTemplate:
        record = tx.require("contract_template", _template_key(template_id, version))
        return self.entity(record, ContractTemplate)


# -- module helpers ------------------------------------------------------------------------------------------


def _anchor(contract: Contract) -> dict[str, Any]:
    """The audit payload written with each contract version; :meth:`ContractService.verify` recomputes it."""
    return {"contract_id": contract.id, "content_hash": contract.content_hash}


def _template_key(template_id: str, version: int) -> str:
    return f"{template_id}@v{version}"


def _only_brand(actor: Actor, action: str) -> None:
    if actor.kind is not PartyKind.BRAND:
        raise PermissionDenied(str(actor), action, "contract templates belong to brands")


def _checked_template(**fields: Any) -> ContractTemplate:
    if not str(fields.get("name", "")).strip():
        raise ValidationError([Problem("name", "must not be empty")], "contract template")
    check_template(fields["body"], what="contract template")
    # Through the converter, so that a wrongly typed or invalid field is named by its path.
    return structure(unstructure(fields), ContractTemplate, what="contract template")


def _timeline(
    draft_due: datetime, publish_by: datetime, review_days: int, auto_approve_days: int | None, now: datetime | None
) -> ContractTimeline:
    problems = []
    if draft_due.tzinfo is None or draft_due.utcoffset() is None:
        raise ValidationError([Problem("draft_due", "must be timezone-aware")], "contract timeline")
    if now is not None and draft_due <= now:
        problems.append(Problem("draft_due", f"must be in the future (now is {now.isoformat()})"))
    if draft_due > publish_by:
        problems.append(Problem("draft_due", f"must be no later than publish_by ({publish_by.isoformat()})"))
    if problems:
        raise ValidationError(problems, "contract timeline")
    return ContractTimeline(
        draft_due=draft_due, publish_by=publish_by, review_days=review_days, auto_approve_after_days=auto_approve_days
    )


def _verifies(public_key: str, content_hash: str, signature: str) -> bool:
    try:
        verify_contract_signature(public_key, content_hash, signature, signer="-")
    except (SignatureError, ValidationError):
        return False
    return True
