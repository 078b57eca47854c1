"""The platform order: an executed collaboration placed on the deal's platform marketplace as an order.

The platform is called outside any store transaction (a slow platform must not hold the database), and the
order is stored after it answers; a second call returns the stored order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...entities import (
    Actor,
    Brand,
    CampaignBrief,
    CreatorProfile,
    Deal,
    PartyKind,
    PlatformOrder,
    PlatformOrderRequest,
)
from ...errors import PermissionDenied, StateError
from .._machine import load_deal
from .._states import FINAL_STATES
from ._drafting import in_force

if TYPE_CHECKING:
    from ..._change import Change, View

__all__ = ["order_request", "record_order"]


def order_request(view: View, actor: Actor, deal_id: str) -> tuple[Deal, PlatformOrderRequest | PlatformOrder]:
    """The request to send (or the order already placed), after checking the actor and the contract."""
    deal, _ = load_deal(view, actor, deal_id)
    if actor.kind is not PartyKind.BRAND or actor.id != deal.brand_id:
        raise PermissionDenied(
            str(actor), "place_platform_order", "only the deal's brand places platform orders", f"deal {deal.id}"
        )
    contract = in_force(view, deal)
    if contract is None or deal.state in FINAL_STATES:
        raise StateError(
            f"deal {deal.id}",
            str(deal.state),
            "place_platform_order",
            [],
            "the deal needs an executed contract and must still be open",
        )
    placed = view.records("platform_order", parent=deal.id)
    if placed:
        return deal, view.entity(placed[0], PlatformOrder)
    brief = view.load("brief", deal.brief_id, CampaignBrief)
    account = view.load("creator", deal.creator_id, CreatorProfile).account_on(deal.platform)
    brand = view.load("brand", deal.brand_id, Brand)
    return deal, PlatformOrderRequest(
        deal_id=deal.id,
        brand_name=brand.name,
        description=f"{brief.name}: {brief.product.name}",
        creator_handles=(account.handle,) if account else (),
        deliverable_count=sum(d.quantity for d in contract.clauses.deliverables),
        price=contract.price,
        publish_by=contract.clauses.timeline.publish_by,
    )


def record_order(change: Change, deal: Deal, order: PlatformOrder) -> PlatformOrder:
    """Keep the order the platform placed, under ``<platform>:<order id>``."""
    key = f"{order.platform}:{order.order_id}"
    change.record(
        "platform_order",
        order,
        "platform_order.place",
        key=key,
        workspace=deal.brand_id,
        parent=deal.id,
        state=order.status,
    )
    change.event("platform_order.placed", "deal", deal.id, platform=order.platform, order_id=order.order_id)
    return order
