"""The platform order: an executed collaboration placed on the deal's platform marketplace, one order per creator.

Placing an order is a call to another system that may succeed while its reply is lost. So the order's *intent*
(an :class:`~creatorkit.entities.OrderIntent`: the request with its idempotency key) is stored in a transaction of
its own before the platform is called, and the reply is recorded in another one after. A later call that finds
the intent still pending (a timeout, a crash between the two) sends the same request again, with the same key and
a higher ``attempt``, which the plugin makes idempotent: however often the core retries, the platform holds one
order per creator. Each call holds the intent until its deadline, so two calls never overlap; the platform is
called outside any store transaction, so a slow platform never holds the database.

The functions here are the steps; :meth:`ContractService.place_platform_order` runs them in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from ...entities import (
    Actor,
    Brand,
    CampaignBrief,
    Contract,
    CreatorProfile,
    Deal,
    OrderDeliverable,
    OrderIntent,
    OrderIntentStatus,
    OrderPlacement,
    PartyKind,
    PlatformOrderRequest,
    new_id,
)
from ...errors import (
    CreatorkitError,
    InvalidRequest,
    NotFound,
    NotSupported,
    PermissionDenied,
    PlatformPermissionDenied,
    PluginContractError,
    Problem,
    StateError,
    ValidationError,
)
from .._machine import load_deal
from .._states import FINAL_STATES
from ._drafting import in_force

if TYPE_CHECKING:
    from ..._change import Change, View

__all__ = ["REFUSALS", "begin_attempt", "check_placement", "end_attempt", "order_plan", "record_placement"]

#: Errors by which the platform says it placed nothing and that the same request will never succeed: the intent
#: is closed, and a later call starts afresh with a new key. Any other failure may have placed the order.
REFUSALS = (InvalidRequest, NotSupported, PlatformPermissionDenied, NotFound)

_ACTION = "place_platform_order"


def order_plan(
    view: View, actor: Actor, deal_id: str, connection_id: str | None
) -> tuple[Deal, OrderPlacement | OrderIntent | PlatformOrderRequest]:
    """What placing the deal's order means now: the placement already recorded, the pending intent to retry, or
    the request for a first attempt. The actor must be the deal's brand; a new or retried attempt needs an
    executed contract and an open deal."""
    deal, _ = load_deal(view, actor, deal_id)
    if actor.kind is not PartyKind.BRAND or actor.id != deal.brand_id:
        raise PermissionDenied(str(actor), _ACTION, "only the deal's brand places platform orders", f"deal {deal.id}")
    latest = _latest_intent(view, deal.id)
    if latest is not None and latest.status is OrderIntentStatus.PLACED and latest.placement is not None:
        return deal, latest.placement
    contract = in_force(view, deal)
    if contract is None or deal.state in FINAL_STATES:
        raise StateError(
            f"deal {deal.id}",
            str(deal.state),
            _ACTION,
            [],
            "the deal needs an executed contract and must still be open",
        )
    if latest is not None and latest.status is OrderIntentStatus.PENDING:
        return deal, latest
    return deal, _request(view, deal, contract, connection_id)


def _latest_intent(view: View, deal_id: str) -> OrderIntent | None:
    records = view.records("order_intent", parent=deal_id)
    return view.entity(records[-1], OrderIntent) if records else None


def _request(view: View, deal: Deal, contract: Contract, connection_id: str | None) -> PlatformOrderRequest:
    brief = view.load("brief", deal.brief_id, CampaignBrief)
    account = view.load("creator", deal.creator_id, CreatorProfile).account_on(deal.platform)
    if account is None:
        raise ValidationError(
            [Problem("platform", f"creator {deal.creator_id} has no {deal.platform} account to order from")],
            "platform order",
        )
    brand = view.load("brand", deal.brand_id, Brand)
    clauses = contract.clauses
    rights = clauses.usage_rights
    if rights.paid_ads and rights.duration_days is None:
        raise ValidationError(
            [
                Problem(
                    "clauses.usage_rights.duration_days",
                    "paid-ads use without an end cannot be asked of a platform: it authorises a number of days",
                )
            ],
            "platform order",
        )
    ad_days = rights.duration_days if rights.paid_ads else None
    return PlatformOrderRequest(
        idempotency_key=new_id("order"),
        deal_id=deal.id,
        brand_name=brand.name,
        description=f"{brief.name}: {brief.product.name}",
        creator_handles=(account.handle,),
        deliverables=tuple(
            OrderDeliverable(
                kind=d.type,
                count=d.quantity,
                due=d.due or clauses.timeline.publish_by,
                description=d.description,
                ad_authorization_days=ad_days or None,
            )
            for d in clauses.deliverables
        ),
        connection_id=connection_id,
        price=contract.price,
        publish_by=clauses.timeline.publish_by,
    )


def begin_attempt(
    change: Change, deal: Deal, found: OrderIntent | PlatformOrderRequest, deadline: datetime
) -> OrderIntent:
    """Store the intent of a first attempt, or take a pending one for another: in this call's own transaction,
    committed before the platform is called. The attempt holds the intent until ``deadline``."""
    if isinstance(found, PlatformOrderRequest):
        return _first_attempt(change, deal, found, deadline)
    record = change.require("order_intent", found.id)
    intent = change.entity(record, OrderIntent)
    if intent.status is not OrderIntentStatus.PENDING:
        raise StateError(f"platform order {intent.id}", str(intent.status), _ACTION, [], "another call finished it")
    if intent.in_flight_until is not None and intent.in_flight_until > change.now:
        raise StateError(
            f"platform order {intent.id}",
            str(intent.status),
            _ACTION,
            [],
            f"another call is placing it until {intent.in_flight_until.isoformat()}; try again after that",
        )
    retried = attrs.evolve(intent, attempts=intent.attempts + 1, in_flight_until=deadline, updated_at=change.now)
    change.replace("order_intent", retried, expected_version=record.version, state=str(retried.status))
    change.audit(
        "platform_order.retry",
        "order_intent",
        intent.id,
        {"attempt": retried.attempts, "idempotency_key": intent.request.idempotency_key},
        workspace=deal.brand_id,
    )
    return retried


def _first_attempt(change: Change, deal: Deal, request: PlatformOrderRequest, deadline: datetime) -> OrderIntent:
    earlier = change.records("order_intent", parent=deal.id)
    if earlier and change.entity(earlier[-1], OrderIntent).status is not OrderIntentStatus.REFUSED:
        raise StateError(f"deal {deal.id}", str(deal.state), _ACTION, [], "another call began placing its order")
    # Numbered per deal, so that two first attempts racing for one deal collide on the id (ConflictError).
    intent = OrderIntent(
        id=f"{deal.id}:order:{len(earlier) + 1}",
        deal_id=deal.id,
        platform=deal.platform,
        request=request,
        created_at=change.now,
        updated_at=change.now,
        in_flight_until=deadline,
    )
    change.record(
        "order_intent",
        intent,
        "platform_order.intent",
        workspace=deal.brand_id,
        parent=deal.id,
        state=str(intent.status),
    )
    return intent


def check_placement(platform: str, request: PlatformOrderRequest, placement: OrderPlacement) -> None:
    """The reply must answer this request: its key and deal, every handle asked for once, orders of this platform."""
    hook = "creatorkit_place_order"
    problems = []
    if placement.idempotency_key != request.idempotency_key:
        problems.append(Problem("idempotency_key", f"is {placement.idempotency_key!r}, not the request's"))
    if placement.deal_id != request.deal_id:
        problems.append(Problem("deal_id", f"is {placement.deal_id!r}, not {request.deal_id!r}"))
    asked = set(request.creator_handles)
    if placement.handles != asked:
        unasked = ", ".join(sorted(placement.handles - asked)) or "none"
        unanswered = ", ".join(sorted(asked - placement.handles)) or "none"
        problems.append(
            Problem("orders", f"must answer for every handle asked (unasked: {unasked}; unanswered: {unanswered})")
        )
    for i, order in enumerate(placement.orders):
        if order.platform != platform or order.deal_id != request.deal_id:
            problems.append(Problem(f"orders[{i}]", f"names {order.platform} deal {order.deal_id}"))
    if problems:
        raise PluginContractError(platform, hook, problems)


def record_placement(change: Change, deal: Deal, intent: OrderIntent, placement: OrderPlacement) -> OrderPlacement:
    """Keep the platform's reply: each creator's order, and the intent closed with the placement.

    A placement with no order at all (every handle refused) closes the intent as refused: nothing exists on the
    platform, so the next call may try again with a new key.
    """
    record = change.require("order_intent", intent.id)
    current = change.entity(record, OrderIntent)
    if current.status is OrderIntentStatus.PLACED and current.placement is not None:
        return current.placement  # a call that took over after this one's deadline recorded the same reply
    for order in placement.orders:
        change.record(
            "platform_order",
            order,
            "platform_order.place",
            key=f"{order.platform}:{order.order_id}",
            workspace=deal.brand_id,
            parent=deal.id,
            state=str(order.status),
        )
    status = OrderIntentStatus.PLACED if placement.orders else OrderIntentStatus.REFUSED
    closed = attrs.evolve(
        current, status=status, placement=placement, in_flight_until=None, last_error=None, updated_at=change.now
    )
    change.replace("order_intent", closed, expected_version=record.version, state=str(status))
    change.audit(
        f"platform_order.{status}",
        "order_intent",
        intent.id,
        {
            "attempt": current.attempts,
            "orders": [order.order_id for order in placement.orders],
            "failed": [{"handle": f.handle, "reason": f.reason} for f in placement.failed],
        },
        workspace=deal.brand_id,
    )
    change.event(
        "platform_order.placed" if placement.orders else "platform_order.refused",
        "deal",
        deal.id,
        platform=deal.platform,
        order_ids=[order.order_id for order in placement.orders],
        failed_handles=[failure.handle for failure in placement.failed],
    )
    return placement


def end_attempt(change: Change, deal: Deal, intent: OrderIntent, error: CreatorkitError, *, refused: bool) -> None:
    """Note a failed attempt. ``refused`` closes the intent (the platform placed nothing and never will for this
    request); otherwise it stays pending, free to be retried at once with the same key."""
    record = change.get("order_intent", intent.id)
    if record is None:
        return
    current = change.entity(record, OrderIntent)
    if current.status is not OrderIntentStatus.PENDING or current.attempts != intent.attempts:
        payload = {"attempt": intent.attempts, "error": str(error)}
        change.audit("platform_order.attempt_superseded", "order_intent", intent.id, payload, workspace=deal.brand_id)
        return  # another call took the intent over after this one's deadline: its outcome is the one to keep
    status = OrderIntentStatus.REFUSED if refused else OrderIntentStatus.PENDING
    noted = attrs.evolve(current, status=status, in_flight_until=None, last_error=str(error), updated_at=change.now)
    change.replace("order_intent", noted, expected_version=record.version, state=str(status))
    change.audit(
        "platform_order.refused" if refused else "platform_order.attempt_failed",
        "order_intent",
        intent.id,
        {"attempt": current.attempts, "error": str(error), "error_type": type(error).__name__},
        workspace=deal.brand_id,
    )
