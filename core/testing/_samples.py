"""The entities the platform kit sends plugins: an invitation, a message, a post, an order request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..entities import (
    Channel,
    DeliverableType,
    Direction,
    Invitation,
    Message,
    OrderDeliverable,
    PlatformAccount,
    PlatformOrderRequest,
    PublishedPost,
)

_NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _dummy_account(platform: str) -> PlatformAccount:
    return PlatformAccount(platform=platform, account_id="conformance", handle="conformance")


def _invitation(platform: str) -> Invitation:
    return Invitation(
        id="inv_conformance",
        deal_id="deal_conformance",
        brief_id="brief_conformance",
        creator_id="creator_conformance",
        sent_by="brand_conformance",
        channel=Channel.PLATFORM,
        body="We would like to work with you.",
        sent_at=_NOW,
        respond_by=_NOW + timedelta(days=7),
        platform=platform,
    )


def _message() -> Message:
    return Message(
        id="msg_conformance",
        thread_id="thread_conformance",
        sender_id="brand_conformance",
        direction=Direction.OUTBOUND,
        channel=Channel.PLATFORM,
        body="Hello!",
        sent_at=_NOW,
    )


def _post(platform: str, post_id: str) -> PublishedPost:
    return PublishedPost(
        id="post_conformance",
        deal_id="deal_conformance",
        submission_id="sub_conformance",
        platform=platform,
        platform_post_id=post_id,
        url=f"https://example.invalid/{post_id}",
        published_at=_NOW,
    )


def _order_request(key: str, handles: tuple[str, ...]) -> PlatformOrderRequest:
    return PlatformOrderRequest(
        idempotency_key=key,
        deal_id="deal_conformance",
        brand_name="Conformance",
        description="contract test",
        creator_handles=handles,
        deliverables=(OrderDeliverable(kind=DeliverableType.SHORT_VIDEO, count=1, ad_authorization_days=30),),
    )
