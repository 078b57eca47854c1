"""The contracts service: templates, drafting from the agreed terms, signatures over a content hash, amendments.

**Templates** are a brand's versioned standard contracts (:mod:`._templates`). **Drafting** builds version 1 of
a deal's contract from its agreed terms and a template and sends it (:mod:`._drafting`). **The hash** is SHA-256
over the RFC 8785 canonical JSON of the contract's stored document without ``content_hash`` and ``status``
(:func:`~._hashing.contract_hash`): it covers everything the parties agree to; ``status`` is bookkeeping that
moves (sent → executed → superseded) and is left out so that it can move without invalidating signatures.
**Signatures** (:mod:`._signing`): when the brand and the creator have both signed the current hash, the contract
is executed and the deal moves on (``execute``, then ``start_production`` for a postpay schedule, whose work does
not wait for escrow).

**Immutability.** Contract content is never rewritten. :meth:`ContractService.amend` makes a new version
instead. Before execution the new version replaces the old one at once (old signatures were over the old hash
and simply do not count); after execution the executed contract stays in force until the amendment is signed by
both. :meth:`ContractService.verify` recomputes the hash from the stored document, so a document changed
underneath the SDK (say, by SQL) is detected; it also checks each record against the payload hash the audit
chain kept when it was written.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from ..._service import Service
from ...converter import structure, unstructure
from ...entities import (
    Actor,
    CampaignBrief,
    CancellationTerms,
    Capability,
    Contract,
    ContractClauses,
    ContractStatus,
    ContractTemplate,
    Deal,
    Exclusivity,
    IpOwnership,
    OrderPlacement,
    PartyKind,
    Signature,
    Terms,
    UsageRights,
    new_id,
)
from ...errors import (
    CapabilityMissing,
    CreatorkitError,
    NotFound,
    Problem,
    SignatureError,
    StateError,
    ValidationError,
)
from ...parties._access import on_behalf_of
from .._briefs import price_problems
from .._machine import apply, load_deal, may, role_in
from ._drafting import CLAUSE_FIELDS, DraftChoices, Stage, clauses_for, new_version, newest_or_refuse, sealed, stage_of
from ._hashing import anchor
from ._orders import REFUSALS, begin_attempt, check_placement, end_attempt, order_plan, record_placement
from ._signing import (
    AMEND_RULE,
    SIGN_RULE,
    check_current,
    not_signable,
    other_side,
    set_status,
    signatures_on,
    signing_key,
    verify_or_explain,
)
from ._templates import (
    TEMPLATE_FIELDS,
    checked_template,
    only_brand,
    revised,
    store_template,
    template_of,
    template_records,
    template_version,
)
from ._verification import ContractVerification, verification_of

if TYPE_CHECKING:
    from ..._change import Change, View

__all__ = ["ContractService"]

_DEFAULT_IP, _DEFAULT_USAGE, _DEFAULT_CANCELLATION = IpOwnership(), UsageRights(), CancellationTerms()


class ContractService(Service):
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
        template = checked_template(
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
            only_brand(actor, "create_contract_template")
            store_template(change, template, "contract_template.create")
            return template

        return self._write(actor, "create_contract_template", work)

    def revise_template(self, actor: Actor, template_id: str, **changes: Any) -> ContractTemplate:
        """Add the next version of a template with ``changes`` (any of its fields but id and version).

        Earlier versions stay as they were: contracts drafted from them keep pointing at them.
        """
        unknown = sorted(set(changes) - set(TEMPLATE_FIELDS))
        if unknown or not changes:
            hint = f"not a template field; one of {', '.join(TEMPLATE_FIELDS)}"
            problems = [Problem(key, hint) for key in unknown]
            raise ValidationError(problems or [Problem("", "nothing to change")], "template revision")

        def work(change: Change) -> ContractTemplate:
            only_brand(actor, "revise_contract_template")
            template = revised(template_of(change, actor, template_id, None), changes)
            store_template(change, template, "contract_template.revise")
            return template

        return self._write(actor, "revise_contract_template", work)

    def template(self, actor: Actor, template_id: str, version: int | None = None) -> ContractTemplate:
        """A template version of the actor's brand (the latest when ``version`` is None)."""
        return self._read(actor, lambda view: template_of(view, actor, template_id, version))

    def template_versions(self, actor: Actor, template_id: str) -> list[ContractTemplate]:
        def work(view: View) -> list[ContractTemplate]:
            found = [view.entity(r, ContractTemplate) for r in template_records(view, actor, template_id)]
            return sorted(found, key=lambda t: t.version)

        return self._read(actor, work)

    # -- drafting and amending -------------------------------------------------------------------------------

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

        Price, deliverables, payment schedule, revision limit and publish date come from the agreed terms; content
        requirements from the brief; IP, usage rights and cancellation from the arguments or else the template's
        defaults. The deal moves to CONTRACT_SENT.
        """
        chosen = DraftChoices(
            draft_due=draft_due,
            exclusivity=exclusivity,
            usage_rights=usage_rights,
            ip=ip,
            cancellation=cancellation,
            governing_law=governing_law,
        )

        def work(change: Change) -> Contract:
            deal, _ = load_deal(change, actor, deal_id)
            may(change, actor, deal, "send_contract")
            if deal.terms is None:
                raise StateError(
                    f"deal {deal.id}", str(deal.state), "send_contract", [], "the deal has no agreed terms"
                )
            template = template_of(change, actor, template_id, template_version)
            brief = change.load("brief", deal.brief_id, CampaignBrief)
            first = _first_version(
                change, deal, deal.terms, template, clauses_for(change, deal.terms, brief, template, chosen)
            )
            contract = self._store_version(change, deal, first, template, brief)
            apply(change, deal, "send_contract", payload=anchor(contract), contract_id=contract.id)
            change.audit("contract.draft", "contract", contract.id, anchor(contract), workspace=deal.brand_id)
            change.event(
                "contract.sent", "contract", contract.id, deal_id=deal.id, version=1, content_hash=contract.content_hash
            )
            return contract

        return self._write(actor, "send_contract", work)

    def amend(self, actor: Actor, contract_id: str, **clause_changes: Any) -> Contract:
        """Make the next version of a contract with ``clause_changes`` (ContractClauses fields); brand only.

        Before execution the new version replaces this one (which becomes superseded; its signatures no
        longer count). After execution the executed contract stays in force, unchanged, until the new version
        is signed by both; the deal's state does not move. A superseded version cannot be amended: amend the
        current one.
        """
        unknown = sorted(set(clause_changes) - set(CLAUSE_FIELDS))
        if unknown or not clause_changes:
            hint = f"not a contract clause; one of {', '.join(CLAUSE_FIELDS)}"
            problems = [Problem(key, hint) for key in unknown]
            raise ValidationError(problems or [Problem("", "nothing to amend")], "contract amendment")

        def work(change: Change) -> Contract:
            old, deal = _load_contract(change, actor, contract_id)
            role_in(change, actor, deal, AMEND_RULE, "amend_contract")
            stage = stage_of(change, old, deal, "amend_contract")
            in_force = None
            if stage is Stage.AMENDMENT:
                newest_or_refuse(change, old, deal)
                in_force = deal.contract_id
            clauses = structure(
                {**unstructure(old.clauses), **unstructure(clause_changes)}, ContractClauses, what="contract clauses"
            )
            brief = change.load("brief", deal.brief_id, CampaignBrief)
            if "payment" in clause_changes:
                _check_new_price(brief, clauses)
            fresh = new_version(change, old, clauses)
            template = template_version(change, old.template_id, old.template_version)
            new = self._store_version(change, deal, fresh, template, brief)
            if old.status is ContractStatus.SENT:
                set_status(change, old.id, ContractStatus.SUPERSEDED)
            if stage is Stage.BEFORE_EXECUTION:
                updates: dict[str, Any] = {"price": new.price} if new.price != deal.price else {}
                apply(change, deal, "amend_contract", payload=anchor(new), contract_id=new.id, **updates)
            change.audit("contract.amend", "contract", new.id, anchor(new), workspace=deal.brand_id)
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

    @staticmethod
    def _store_version(
        change: Change, deal: Deal, contract: Contract, template: ContractTemplate, brief: CampaignBrief
    ) -> Contract:
        """Render and seal ``contract``, and store it with its content hash (not computed again when signed)."""
        contract, document = sealed(change, contract, template, deal, brief)
        change.insert(
            "contract",
            contract,
            workspace=deal.brand_id,
            parent=deal.id,
            state=str(contract.status),
            document=document,
            derived={"content_hash": contract.content_hash},
        )
        return contract

    # -- signing ---------------------------------------------------------------------------------------------

    def sign(self, actor: Actor, contract_id: str, *, signature: str, contract_hash: str) -> Contract:
        """Record ``actor``'s Ed25519 ``signature`` over the contract hash they saw (``contract_hash``).

        Refused with SignatureError when the hash is not the current one (stale), the signature does not
        verify against the signer's registered key (forged), the signer has no key, or the party has already
        signed. When both the brand and the creator have signed, the contract is executed.
        """

        def work(change: Change) -> Contract:
            contract, deal = _load_contract(change, actor, contract_id)
            role_in(change, actor, deal, SIGN_RULE, "sign")
            if contract.status is not ContractStatus.SENT:
                not_signable(change, contract)
            stage = stage_of(change, contract, deal, "sign")
            check_current(change, contract, contract_hash)
            party_id = deal.brand_id if actor.kind is PartyKind.BRAND else deal.creator_id
            public_key = signing_key(change, actor)
            signed = {s.party_id for s in signatures_on(change, contract)}
            if party_id in signed:
                raise SignatureError(
                    f"{party_id} has already signed contract {contract.id}", signer=str(actor), document=contract.id
                )
            verify_or_explain(change, contract, public_key, signature, actor)
            record = _record_signature(change, actor, deal, contract, party_id, public_key, signature)
            if {deal.brand_id, deal.creator_id} <= signed | {party_id}:
                return _execute(change, contract, deal, stage)
            if stage is Stage.BEFORE_EXECUTION:
                payload = {"signature_id": record.id, "party_id": party_id, **anchor(contract)}
                apply(change, deal, "sign", payload=payload, awaiting=other_side(deal, party_id))
            return contract

        return self._write(actor, "sign", work)

    # -- reading ---------------------------------------------------------------------------------------------

    def get(self, actor: Actor, contract_id: str) -> Contract:
        return self._read(actor, lambda view: _load_contract(view, actor, contract_id)[0])

    def versions(self, actor: Actor, deal_id: str) -> list[Contract]:
        """Every version of the deal's contract, oldest first."""

        def work(view: View) -> list[Contract]:
            load_deal(view, actor, deal_id)
            return sorted(view.find("contract", Contract, parent=deal_id), key=lambda c: c.version)

        return self._read(actor, work)

    def signatures(self, actor: Actor, contract_id: str) -> list[Signature]:
        """The signatures given on this version, oldest first (a superseded version keeps its own)."""
        return self._read(actor, lambda view: signatures_on(view, _load_contract(view, actor, contract_id)[0]))

    def verify(self, actor: Actor, contract_id: str) -> ContractVerification:
        """Recompute the hash from the stored document and check every signature on it.

        Reports (never raises for) a document changed outside the SDK, a signature over another hash, a
        signature that does not verify, a signature record that differs from the one the audit trail recorded,
        and an executed contract that lacks a party's valid signature.
        """

        def work(view: View) -> ContractVerification:
            record = view.get("contract", contract_id)
            if record is None:
                raise NotFound("contract", contract_id)
            _visible(view, actor, str(record.parent), contract_id)
            return verification_of(view, record)

        return self._read(actor, work)

    # -- placing the order on the platform -------------------------------------------------------------------

    def place_platform_order(
        self, actor: Actor, deal_id: str, *, connection_id: str | None = None, timeout: float = 60.0
    ) -> OrderPlacement:
        """Place the executed collaboration on the deal's platform marketplace, one order per creator; brand only.

        The intent (the request with its idempotency key) is stored first, in a transaction of its own; the
        platform is called outside any transaction, with that key and a deadline ``timeout`` seconds away; then
        the reply is recorded. If the call fails in a way that may have placed the order (a timeout, a lost
        connection, a crash before the reply is recorded), the intent stays pending and the next call sends the
        same request with the same key, which the plugin makes idempotent: never a second order. Once recorded,
        every call returns the stored placement. A refusal that placed nothing (``InvalidRequest``,
        ``NotSupported``, ``PlatformPermissionDenied``, ``NotFound``, or every handle failed) closes the intent,
        and the next call starts afresh from the contract in force.

        ``connection_id`` names the brand's connection the order goes through (a retry keeps the first one's).
        A platform without a contracting API raises CapabilityMissing with the plugin's explanation, before
        anything is stored.
        """
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
            raise ValidationError([Problem("timeout", f"must be a positive number of seconds, got {timeout!r}")])
        deal, found = self._read(actor, lambda view: order_plan(view, actor, deal_id, connection_id), _PLACE)
        if isinstance(found, OrderPlacement):
            return found
        client = self._kit.plugins.platform(deal.platform)
        if not client.supports(Capability.CONTRACTING):
            missing = client.metadata.missing.get(Capability.CONTRACTING)
            raise CapabilityMissing(deal.platform, Capability.CONTRACTING, missing)
        deadline = self._now() + timedelta(seconds=timeout)
        intent = self._write(actor, _PLACE, lambda change: begin_attempt(change, deal, found, deadline))
        request = attrs.evolve(intent.request, attempt=intent.attempts)
        context = self._kit.connections.for_workspace(
            deal.brand_id, deal.platform, connection_id=intent.request.connection_id, deadline=deadline
        )
        try:
            placement = client.place_order(request, context=context)
            check_placement(deal.platform, request, placement)
        except CreatorkitError as error:
            failed, refused = error, isinstance(error, REFUSALS)
            self._write(actor, _PLACE, lambda change: end_attempt(change, deal, intent, failed, refused=refused))
            raise
        return self._write(actor, _PLACE, lambda change: record_placement(change, deal, intent, placement))


_PLACE = "place_platform_order"


def _first_version(
    change: Change, deal: Deal, terms: Terms, template: ContractTemplate, clauses: ContractClauses
) -> Contract:
    """Version 1 of the deal's contract, not yet rendered or sealed."""
    return Contract(
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
        status=ContractStatus.SENT,
    )


def _check_new_price(brief: CampaignBrief, clauses: ContractClauses) -> None:
    """An amended schedule is the contract's new price: it is held to the brief like an offer's price is."""
    problems = price_problems(
        brief.budget, clauses.payment.total, field="payment.milestones", currency_field="payment.milestones"
    )
    if problems:
        raise ValidationError(problems, "contract clauses")


def _visible(view: View, actor: Actor, deal_id: str, contract_id: str) -> Deal:
    try:
        return load_deal(view, actor, deal_id)[0]
    except NotFound:
        raise NotFound("contract", contract_id) from None  # another workspace's contract does not exist


def _load_contract(view: View, actor: Actor, contract_id: str) -> tuple[Contract, Deal]:
    record = view.get("contract", contract_id)
    if record is None:
        raise NotFound("contract", contract_id)
    deal = _visible(view, actor, str(record.parent), contract_id)
    return view.entity(record, Contract), deal


def _record_signature(
    change: Change, actor: Actor, deal: Deal, contract: Contract, party_id: str, public_key: str, signature: str
) -> Signature:
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
    # The payload is the stored record itself, so verify() can hold the record to the audit chain.
    change.record(
        "signature",
        record,
        "contract.sign",
        workspace=deal.brand_id,
        parent=deal.id,
        on_behalf_of=on_behalf_of(actor, deal.creator_id),
    )
    change.event("contract.signed", "contract", contract.id, deal_id=deal.id, party_id=party_id, signer_id=actor.id)
    return record


def _execute(change: Change, contract: Contract, deal: Deal, stage: Stage) -> Contract:
    """Both parties signed: the contract is executed and the deal moves on, in the same transaction."""
    if stage is Stage.AMENDMENT and deal.contract_id is not None:
        set_status(change, deal.contract_id, ContractStatus.SUPERSEDED)
    executed = set_status(change, contract.id, ContractStatus.EXECUTED)
    change.audit("contract.execute", "contract", contract.id, anchor(contract), workspace=deal.brand_id)
    if stage is Stage.AMENDMENT:
        change.save_deal(
            attrs.evolve(deal, contract_id=contract.id, price=contract.price), expected_version=deal.version
        )
    else:
        apply(change, deal, "sign", payload=anchor(contract))
        _advance_as_system(change, deal.id, contract)
    change.event("contract.executed", "contract", contract.id, deal_id=deal.id, version=contract.version)
    return executed


def _advance_as_system(change: Change, deal_id: str, contract: Contract) -> None:
    """``execute`` (and ``start_production`` for postpay) are the system's moves, not the signer's."""
    system = change.as_actor(Actor.system("contracts"))
    deal, _ = load_deal(system, system.actor, deal_id)
    deal = apply(system, deal, "execute", payload=anchor(contract))
    if not contract.clauses.payment.requires_escrow_before_work:
        deadline = contract.clauses.timeline.draft_due
        apply(system, deal, "start_production", payload={"contract_id": contract.id}, deadline=deadline)
