"""Deals: reading them, the campaign board, the side exits (cancel, withdraw, walk away, dispute), deadlines.

The stages move a deal inside their own transactions with :func:`._machine.apply`; this service is where a
party looks at its deals and leaves one, and where a scheduler runs the deadlines.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from .._service import Service, aware_datetime
from ..entities import Actor, Awaiting, Deal, DealState, Dispute, PartyKind
from ..errors import CreatorkitError, NotFound, Problem, ValidationError
from ..money import Money
from ..parties._access import represented_creators
from ._deadlines import DEADLINE_ACTOR, time_out
from ._disputes import DisputeOutcome, close_dispute, record_dispute
from ._machine import apply, load_deal
from ._states import FINAL_STATES, STATES, TABS, Tab, timeout_action

if TYPE_CHECKING:
    from .._change import Change, View

__all__ = ["BoardRow", "DeadlineRun", "DealService"]


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
    needs_action_by: Awaiting | None
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
    # -- reading -----------------------------------------------------------------------------------------------

    def get(self, actor: Actor, deal_id: str) -> Deal:
        return self._read(actor, lambda view: load_deal(view, actor, deal_id)[0])

    def visible_deals(self, actor: Actor, *, states: Sequence[DealState] | None = None) -> list[Deal]:
        """Every deal ``actor`` may see: a brand's own, a creator's own, a manager's roster creators'."""
        return self._read(actor, lambda view: _visible_deals(view, actor, states))

    def board(self, actor: Actor, *, tab: Tab | None = None) -> list[BoardRow]:
        """The campaign board: every visible deal with campaign, brand, creator, price and what needs doing."""

        def work(view: View) -> list[BoardRow]:
            deals = _visible_deals(view, actor, sorted(TABS[tab]) if tab else None)
            names = _Names(view)
            return [
                BoardRow(
                    deal_id=deal.id,
                    campaign=names.of("brief", deal.brief_id, "name"),
                    brand=names.of("brand", deal.brand_id, "name"),
                    creator=names.of("creator", deal.creator_id, "display_name"),
                    platform=deal.platform,
                    price=deal.price,
                    state=deal.state,
                    tab=STATES[deal.state].tab,
                    needs_action_by=deal.awaiting,
                    next_step=STATES[deal.state].next_step,
                    deadline=deal.deadline,
                )
                for deal in deals
            ]

        return self._read(actor, work)

    def history(self, actor: Actor, deal_id: str) -> list[dict[str, Any]]:
        """The deal's audit events in order: who did what, on whose behalf, when."""

        def work(view: View) -> list[dict[str, Any]]:
            deal, _ = load_deal(view, actor, deal_id)
            related = [deal.id, *(r.id for kind in _DEAL_CHILDREN for r in view.records(kind, parent=deal.id))]
            for thread in view.records("thread", parent=deal.id):
                related.extend(message.id for message in view.records("message", parent=thread.id))
            return [
                {
                    "sequence": e.sequence,
                    "at": e.occurred_at,
                    "actor": e.actor_id,
                    "on_behalf_of": e.on_behalf_of,
                    "action": e.action,
                    "entity": f"{e.entity_kind} {e.entity_id}",
                }
                for e in view.audit_for(related)
            ]

        return self._read(actor, work)

    # -- side exits --------------------------------------------------------------------------------------------

    def cancel(self, actor: Actor, deal_id: str, *, reason: str) -> Deal:
        """Cancel a deal before it is published: the deal moves to CANCELLED and the reason is audited.

        No money moves here: the payments flow applies the contract's cancellation terms to what escrow holds.
        """
        if not reason.strip():
            raise ValidationError([Problem("reason", "say why the deal is cancelled")], "cancellation")
        return self._move(actor, deal_id, "cancel", {"reason": reason})

    def withdraw_invitation(self, actor: Actor, deal_id: str) -> Deal:
        return self._move(actor, deal_id, "withdraw", None)

    def walk_away(self, actor: Actor, deal_id: str, *, reason: str = "") -> Deal:
        """End a negotiation without agreement."""
        return self._move(actor, deal_id, "walk_away", {"reason": reason})

    def open_dispute(self, actor: Actor, deal_id: str, *, reason: str) -> Dispute:
        """Freeze a deal in DISPUTED; the evidence bundle (``creatorkit audit export``) documents it."""
        if not reason.strip():
            raise ValidationError([Problem("reason", "a dispute needs a reason")], "dispute")

        def work(change: Change) -> Dispute:
            deal, _ = load_deal(change, actor, deal_id)
            apply(change, deal, "dispute", payload={"reason": reason})
            return record_dispute(change, deal, reason)

        return self._write(actor, "dispute", work)

    def resolve_dispute(self, actor: Actor, dispute_id: str, *, outcome: DisputeOutcome | str, resolution: str) -> Deal:
        """The arbiter's decision: ``resume`` the deal where it stood, ``cancel`` it, or ``complete`` it."""
        if outcome not in set(DisputeOutcome):
            allowed = ", ".join(DisputeOutcome)
            raise ValidationError([Problem("outcome", f"must be one of {allowed}")], "resolution")
        decided = DisputeOutcome(outcome)

        def work(change: Change) -> Deal:
            record = change.require("dispute", dispute_id)
            dispute = change.entity(record, Dispute)
            try:
                deal, _ = load_deal(change, actor, dispute.deal_id)
            except NotFound:  # another workspace's dispute does not exist, and its deal id stays unsaid
                raise NotFound("dispute", dispute_id) from None
            moved = apply(change, deal, decided.action, payload={"dispute_id": dispute_id})
            close_dispute(change, dispute, record.version, deal, decided, resolution)
            return moved

        return self._write(actor, "resolve_dispute", work)

    # -- deadlines ---------------------------------------------------------------------------------------------

    def process_deadlines(self, *, now: datetime | None = None) -> DeadlineRun:
        """Apply each overdue deal's timeout rule (expire, auto-approve, complete, ...), one transaction per deal.

        Run it from a scheduler; it is idempotent. A deal whose rule cannot be applied (another writer moved it,
        or it no longer allows the move) is listed in ``failed`` and the run goes on with the others; the next
        run tries it again. A dispute left unresolved past its deadline is closed in the brand's favour, with
        the deal cancelled. ``now`` (timezone-aware) picks which deals are overdue; it defaults to the kit's clock.
        """
        moment = self._now() if now is None else aware_datetime(now, "now", "deadline run")
        waiting = [state for state in DealState if state not in FINAL_STATES]
        overdue = [
            deal
            for deal in self.visible_deals(DEADLINE_ACTOR, states=waiting)
            if deal.deadline and deal.deadline <= moment
        ]
        run = DeadlineRun()
        for deal in overdue:
            action = timeout_action(deal.state, self._flow)
            if action is None:
                continue
            try:
                work = functools.partial(time_out, deal_id=deal.id, action=action)
                run.moved.append(self._write(DEADLINE_ACTOR, f"timeout.{action}", work))
            except CreatorkitError as exc:  # a conflict, a move the deal no longer allows, ...: the others go on
                run.failed[deal.id] = str(exc)
        return run

    def _move(self, actor: Actor, deal_id: str, action: str, payload: dict[str, Any] | None) -> Deal:
        def work(change: Change) -> Deal:
            deal, _ = load_deal(change, actor, deal_id)
            return apply(change, deal, action, payload=payload)

        return self._write(actor, action, work)


def _visible_deals(view: View, actor: Actor, states: Sequence[DealState] | None) -> list[Deal]:
    state_filter = [str(s) for s in states] if states else None
    if actor.kind is PartyKind.BRAND:
        records = view.records("deal", workspace=actor.id, state=state_filter)
    elif actor.kind is PartyKind.CREATOR:
        records = view.records("deal", parent=actor.id, state=state_filter)
    elif actor.kind is PartyKind.SYSTEM:
        records = view.records("deal", state=state_filter)
    else:
        creators = represented_creators(view, actor)
        records = [r for c in creators for r in view.records("deal", parent=c, state=state_filter)]
    deals = []
    for record in records:
        deal = view.entity(record, Deal)
        deals.append(deal if deal.version == record.version else attrs.evolve(deal, version=record.version))
    return sorted(deals, key=lambda d: (d.created_at, d.id))


class _Names:
    """Display names for the board, each record read once."""

    def __init__(self, view: View) -> None:
        self._view = view
        self._known: dict[tuple[str, str], str] = {}

    def of(self, kind: str, id: str, field: str) -> str:
        key = (kind, id)
        if key not in self._known:
            record = self._view.get(kind, id)
            self._known[key] = record.doc.get(field, id) if record else id
        return self._known[key]


#: Store kinds whose records hang off a deal (``parent`` = deal id).
_DEAL_CHILDREN = (
    "invitation",
    "platform_invitation",
    "thread",
    "offer",
    "order_intent",
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
