"""Deals: applying the state table, deadlines and what each state waits for, the board, cancel and dispute.

Other services (outreach, negotiation, contracts, content) move a deal through :meth:`DealService.apply`
inside their own transaction, so a state change is always written together with the records that caused it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from .._service import Change, Service, on_behalf_of
from ..entities import (
    Actor,
    CampaignBrief,
    CreatorProfile,
    Deal,
    DealState,
    Dispute,
    DisputeStatus,
    Invitation,
    InvitationStatus,
    Offer,
    OfferStatus,
    PartyKind,
    new_id,
)
from ..errors import CreatorkitError, Problem, StateError, ValidationError
from ..money import Money
from ._states import FINAL_STATES, TABS, Tab, next_state, tab_of, timeout_action

__all__ = ["WAITING_FOR", "BoardRow", "DeadlineRun", "DealService"]

S = DealState

#: Who a deal in each state is waiting for, and what they should do next.
WAITING_FOR: dict[DealState, tuple[str, str]] = {
    S.INVITED: ("creator", "respond to the invitation"),
    S.NEGOTIATING: ("either", "propose terms or answer the open offer"),
    S.AGREED: ("brand", "send the contract"),
    S.CONTRACT_SENT: ("either", "sign the contract"),
    S.EXECUTED: ("system", "fund the escrow (the payments flow)"),
    S.IN_PRODUCTION: ("creator", "submit the draft"),
    S.IN_REVIEW: ("brand", "review the draft"),
    S.CHANGES_REQUESTED: ("creator", "revise the draft"),
    S.APPROVED: ("creator", "publish the post"),
    S.PUBLISHED: ("system", "collect metrics and complete"),
    S.DISPUTED: ("system", "resolve the dispute"),
}


@attrs.frozen(kw_only=True)
class BoardRow:
    """One line of the campaign board, as the talent manager portal shows it."""

    deal_id: str
    campaign: str
    brand: str
    creator: str
    platform: str
    price: Money | None
    state: DealState
    tab: Tab
    needs_action_by: str | None
    next_step: str | None
    deadline: datetime | None


@attrs.frozen
class DeadlineRun:
    """What one :meth:`DealService.process_deadlines` run did: the deals it moved, and those it could not.

    ``failed`` maps a deal id to the error that kept its timeout rule from applying; the next run retries it.
    """

    moved: list[Deal] = attrs.field(factory=list)
    failed: dict[str, str] = attrs.field(factory=dict)


class DealService(Service):
    # -- the state table ---------------------------------------------------------------------------------------

    def deadline_for(self, state: DealState, deal: Deal | None = None) -> datetime | None:
        """When a deal entering ``state`` stops waiting; ``None`` only for final states."""
        flow = self.kit.config.workflow
        days = {
            S.INVITED: flow.invitation_response_days,
            S.NEGOTIATING: flow.offer_response_days,
            S.AGREED: flow.signature_days,
            S.CONTRACT_SENT: flow.signature_days,
            S.EXECUTED: flow.funding_days,
            S.IN_PRODUCTION: flow.draft_days,
            S.IN_REVIEW: flow.auto_approve_after_days if flow.unanswered_review == "auto_approve" else flow.review_days,
            S.CHANGES_REQUESTED: flow.draft_days,
            S.APPROVED: flow.publish_days,
            S.PUBLISHED: flow.measurement_days,
            S.DISPUTED: flow.dispute_days,
        }.get(state)
        return None if days is None else self.now + timedelta(days=days)

    def apply(
        self,
        change: Change,
        deal: Deal,
        action: str,
        *,
        payload: dict[str, Any] | None = None,
        deadline: datetime | None = None,
        awaiting: str | None = None,
        **updates: Any,
    ) -> Deal:
        """Move ``deal`` by ``action`` as ``change.actor``: check the table and the actor's role, save, audit.

        ``deadline``/``awaiting`` override the defaults for the new state (e.g. a contract's own draft date).
        A deal entering a final state closes what was still waiting on it: its open invitation and offer.
        """
        transition = next_state(deal.id, deal.state, action)
        role = self.role_in(change.tx, change.actor, deal, transition, action)
        target = transition.to
        if action == "resolve_resume":
            if deal.state_before_dispute is None:
                raise StateError(f"deal {deal.id}", str(deal.state), action, [], "no state to resume")
            target = deal.state_before_dispute
        if action == "dispute":
            updates["state_before_dispute"] = deal.state
        elif deal.state is S.DISPUTED:
            updates["state_before_dispute"] = None
        waiting = WAITING_FOR.get(target)
        moved = attrs.evolve(
            deal,
            state=target,
            deadline=deadline
            if deadline is not None
            else (
                deal.deadline if target is deal.state and action not in _RESETS_DEADLINE else self.deadline_for(target)
            ),
            awaiting=awaiting if awaiting is not None else (waiting[0] if waiting else None),
            version=deal.version + 1,
            updated_at=change.now,
            **updates,
        )
        saved = change.save_deal(moved, expected_version=deal.version)
        on_behalf = on_behalf_of(change.actor, deal.creator_id)
        change.audit(
            f"deal.{action}",
            "deal",
            deal.id,
            {"from": str(deal.state), "to": str(target), "role": str(role), **(payload or {})},
            on_behalf_of=on_behalf,
            workspace=deal.brand_id,
        )
        if target is not deal.state:
            if target in FINAL_STATES:
                self._close_children(change, deal, target)
            change.event(
                "deal.state_changed", "deal", deal.id, action=action, from_state=str(deal.state), to_state=str(target)
            )
        return saved

    # -- reading -----------------------------------------------------------------------------------------------

    def get(self, actor: Actor, deal_id: str) -> Deal:
        return self._read(actor, lambda tx: self.load_deal(tx, actor, deal_id)[0])

    def visible_deals(self, actor: Actor, *, states: Sequence[DealState] | None = None) -> list[Deal]:
        """Every deal ``actor`` may see: a brand's own, a creator's own, a manager's roster creators'."""

        def work(tx: Any) -> list[Deal]:
            state_filter = [str(s) for s in states] if states else None
            if actor.kind is PartyKind.BRAND:
                records = tx.find("deal", workspace=actor.id, state=state_filter)
            elif actor.kind is PartyKind.CREATOR:
                records = tx.find("deal", parent=actor.id, state=state_filter)
            elif actor.kind is PartyKind.SYSTEM:
                records = tx.find("deal", state=state_filter)
            else:
                creators = self.represented_creators(tx, actor)
                records = [r for c in creators for r in tx.find("deal", parent=c, state=state_filter)]
            deals = [attrs.evolve(self.entity(r, Deal), version=r.version) for r in records]
            return sorted(deals, key=lambda d: (d.created_at, d.id))

        return self._read(actor, work)

    def board(self, actor: Actor, *, tab: Tab | None = None) -> list[BoardRow]:
        """The campaign board: every visible deal with campaign, brand, creator, price and what needs doing."""
        deals = self.visible_deals(actor, states=sorted(TABS[tab]) if tab else None)

        def work(tx: Any) -> list[BoardRow]:
            names: dict[tuple[str, str], str] = {}

            def name(kind: str, id: str, field: str) -> str:
                key = (kind, id)
                if key not in names:
                    record = tx.get(kind, id)
                    names[key] = record.doc.get(field, id) if record else id
                return names[key]

            rows = []
            for deal in deals:
                waiting = WAITING_FOR.get(deal.state)
                rows.append(
                    BoardRow(
                        deal_id=deal.id,
                        campaign=name("brief", deal.brief_id, "name"),
                        brand=name("brand", deal.brand_id, "name"),
                        creator=name("creator", deal.creator_id, "display_name"),
                        platform=deal.platform,
                        price=deal.price,
                        state=deal.state,
                        tab=tab_of(deal.state),
                        needs_action_by=deal.awaiting,
                        next_step=waiting[1] if waiting else None,
                        deadline=deal.deadline,
                    )
                )
            return rows

        return self._read(actor, work)

    # -- side exits --------------------------------------------------------------------------------------------

    def cancel(self, actor: Actor, deal_id: str, *, reason: str) -> Deal:
        """Cancel a deal before it is published: the deal moves to CANCELLED and the reason is audited.

        No money moves here: the payments flow applies the contract's cancellation terms to what escrow holds.
        """
        if not reason.strip():
            raise ValidationError([_problem("reason", "say why the deal is cancelled")], "cancellation")

        def work(change: Change) -> Deal:
            deal, _ = self.load_deal(change.tx, actor, deal_id)
            return self.apply(change, deal, "cancel", payload={"reason": reason}, awaiting="")

        return self._write(actor, "cancel", work)

    def withdraw_invitation(self, actor: Actor, deal_id: str) -> Deal:
        def work(change: Change) -> Deal:
            deal, _ = self.load_deal(change.tx, actor, deal_id)
            return self.apply(change, deal, "withdraw")

        return self._write(actor, "withdraw", work)

    def walk_away(self, actor: Actor, deal_id: str, *, reason: str = "") -> Deal:
        """End a negotiation without agreement."""

        def work(change: Change) -> Deal:
            deal, _ = self.load_deal(change.tx, actor, deal_id)
            return self.apply(change, deal, "walk_away", payload={"reason": reason})

        return self._write(actor, "walk_away", work)

    def open_dispute(self, actor: Actor, deal_id: str, *, reason: str) -> Dispute:
        """Freeze a deal in DISPUTED; the evidence bundle (``creatorkit audit export``) documents it."""
        if not reason.strip():
            raise ValidationError([_problem("reason", "a dispute needs a reason")], "dispute")

        def work(change: Change) -> Dispute:
            deal, _ = self.load_deal(change.tx, actor, deal_id)
            self.apply(change, deal, "dispute", payload={"reason": reason})
            dispute = Dispute(
                id=new_id("dispute"), deal_id=deal.id, opened_by=str(actor), reason=reason, opened_at=change.now
            )
            change.insert("dispute", dispute, workspace=deal.brand_id, parent=deal.id, state=str(dispute.status))
            change.audit(
                "dispute.open", "dispute", dispute.id, {"deal_id": deal.id, "reason": reason}, workspace=deal.brand_id
            )
            return dispute

        return self._write(actor, "dispute", work)

    def resolve_dispute(self, actor: Actor, dispute_id: str, *, outcome: str, resolution: str) -> Deal:
        """The arbiter's decision: ``resume`` the deal where it stood, ``cancel`` it, or ``complete`` it."""
        if outcome not in _DISPUTE_OUTCOMES:
            raise ValidationError([_problem("outcome", f"must be one of {', '.join(_DISPUTE_OUTCOMES)}")], "resolution")

        def work(change: Change) -> Deal:
            dispute = change.load("dispute", dispute_id, Dispute)
            deal, _ = self.load_deal(change.tx, actor, dispute.deal_id)
            moved = self.apply(change, deal, f"resolve_{outcome}", payload={"dispute_id": dispute_id})
            record = change.tx.require("dispute", dispute_id)
            _close_dispute(change, dispute, record.version, deal, outcome, resolution)
            return moved

        return self._write(actor, "resolve_dispute", work)

    # -- deadlines ---------------------------------------------------------------------------------------------

    def process_deadlines(self, *, now: datetime | None = None) -> DeadlineRun:
        """Apply each overdue deal's timeout rule (expire, auto-approve, complete, ...), one transaction per deal.

        Run it from a scheduler; it is idempotent. A deal whose rule cannot be applied (another writer moved it,
        or it no longer allows the move) is listed in ``failed`` and the run goes on with the others; the next
        run tries it again. A dispute left unresolved past its deadline is closed in the brand's favour, with
        the deal cancelled.
        """
        moment = now or self.now
        system = Actor.system("deadlines")
        waiting = [s for s in S if s not in FINAL_STATES]
        overdue = [d for d in self.visible_deals(system, states=waiting) if d.deadline and d.deadline <= moment]
        run = DeadlineRun()
        for deal in overdue:
            action = timeout_action(deal.state, self.kit.config.workflow.unanswered_review)
            if action is None:
                continue
            try:
                run.moved.append(self._apply_timeout(system, deal.id, action))
            except CreatorkitError as exc:  # a conflict, a move the deal no longer allows, ...: the others go on
                run.failed[deal.id] = str(exc)
        return run

    def _apply_timeout(self, system: Actor, deal_id: str, action: str) -> Deal:
        if action == "auto_approve":
            return self.kit.content.auto_approve(deal_id)

        def work(change: Change) -> Deal:
            current, _ = self.load_deal(change.tx, system, deal_id)
            moved = self.apply(change, current, action, payload={"reason": "deadline passed"})
            if current.state is S.DISPUTED:  # the deadline decided it (resolve_cancel): so is the dispute
                outcome = action.removeprefix("resolve_")
                for record in change.tx.find("dispute", parent=deal_id, state=str(DisputeStatus.OPEN)):
                    dispute = self.entity(record, Dispute)
                    _close_dispute(change, dispute, record.version, current, outcome, "dispute deadline passed")
            return moved

        return self._write(system, f"timeout.{action}", work)

    def _close_children(self, change: Change, deal: Deal, final: DealState) -> None:
        """What was still waiting on a deal that reached ``final`` says so: its open invitation and offer.

        An expired deal expires them; otherwise the invitation counts as declined and the offer as withdrawn.
        """
        expired = final is S.EXPIRED
        waiting: tuple[tuple[str, type[Any], str, str, str], ...] = (
            (
                "invitation",
                Invitation,
                InvitationStatus.SENT,
                InvitationStatus.EXPIRED if expired else InvitationStatus.DECLINED,
                "expire" if expired else "decline",
            ),
            (
                "offer",
                Offer,
                OfferStatus.OPEN,
                OfferStatus.EXPIRED if expired else OfferStatus.WITHDRAWN,
                "expire" if expired else "withdraw",
            ),
        )
        for kind, cls, open_status, closed, verb in waiting:
            for record in change.tx.find(kind, parent=deal.id, state=str(open_status)):
                item = attrs.evolve(self.entity(record, cls), status=closed)
                change.replace(kind, item, expected_version=record.version, state=str(closed))
                change.audit(
                    f"{kind}.{verb}",
                    kind,
                    record.id,
                    {"deal_id": deal.id, "deal_state": str(final)},
                    workspace=deal.brand_id,
                )

    def history(self, actor: Actor, deal_id: str) -> list[dict[str, Any]]:
        """The deal's audit events in order: who did what, on whose behalf, when."""

        def work(tx: Any) -> list[dict[str, Any]]:
            deal, _ = self.load_deal(tx, actor, deal_id)
            related = [deal.id, *(r.id for kind in _DEAL_CHILDREN for r in tx.find(kind, parent=deal.id))]
            for thread in tx.find("thread", parent=deal.id):
                related.extend(message.id for message in tx.find("message", parent=thread.id))
            return [
                {
                    "sequence": e.sequence,
                    "at": e.occurred_at,
                    "actor": e.actor_id,
                    "on_behalf_of": e.on_behalf_of,
                    "action": e.action,
                    "entity": f"{e.entity_kind} {e.entity_id}",
                }
                for e in tx.audit_for(entity_ids=related)
            ]

        return self._read(actor, work)

    def brief_of(self, tx: Any, deal: Deal) -> CampaignBrief:
        return self.entity(tx.require("brief", deal.brief_id), CampaignBrief)

    def creator_of(self, tx: Any, deal: Deal) -> CreatorProfile:
        return self.entity(tx.require("creator", deal.creator_id), CreatorProfile)


_RESETS_DEADLINE = frozenset({"propose_terms", "amend_contract"})
#: Store kinds whose records hang off a deal (``parent`` = deal id).
_DEAL_CHILDREN = (
    "invitation",
    "thread",
    "offer",
    "platform_order",
    "contract",
    "signature",
    "submission",
    "review",
    "publish_schedule",
    "post",
    "dispute",
    "appreciation",
    "feedback",
)


#: How a dispute ends for each outcome of the arbiter (``resolve_<outcome>`` on the deal).
_DISPUTE_OUTCOMES = {
    "resume": DisputeStatus.SETTLED,
    "cancel": DisputeStatus.RESOLVED_FOR_BRAND,
    "complete": DisputeStatus.RESOLVED_FOR_CREATOR,
}


def _close_dispute(change: Change, dispute: Dispute, version: int, deal: Deal, outcome: str, resolution: str) -> None:
    """Close ``dispute`` (stored at ``version``) as ``outcome`` decides, and record the resolution."""
    status = _DISPUTE_OUTCOMES[outcome]
    closed = attrs.evolve(dispute, status=status, resolution=resolution, resolved_at=change.now)
    change.replace("dispute", closed, expected_version=version, state=str(closed.status))
    change.audit(
        "dispute.resolve",
        "dispute",
        dispute.id,
        {"outcome": outcome, "resolution": resolution},
        workspace=deal.brand_id,
    )


def _problem(path: str, message: str) -> Problem:
    return Problem(path, message)
