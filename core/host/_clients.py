"""Typed clients: the stage hooks of one plugin as methods, for the workflow code to call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..entities import (
    AudienceProfile,
    Capability,
    CreatorCandidate,
    CreatorMetrics,
    DiscoveryPage,
    DiscoveryQuery,
    Invitation,
    Message,
    OutreachReceipt,
    PlatformAccount,
    PlatformOrder,
    PlatformOrderRequest,
    PluginMetadata,
    PostMetrics,
    ProviderOperation,
    ProviderRequest,
    PublishedPost,
    WebhookNotice,
)

if TYPE_CHECKING:
    from ._host import PluginHost

__all__ = ["PaymentClient", "PlatformClient"]


class PlatformClient:
    """Typed calls to one platform plugin; each raises CapabilityMissing if the platform lacks the stage."""

    def __init__(self, host: PluginHost, name: str) -> None:
        self.host = host
        self.name = name

    @property
    def metadata(self) -> PluginMetadata:
        return self.host.metadata(self.name)

    def supports(self, capability: Capability) -> bool:
        return capability in self.metadata.capabilities

    def discover_creators(self, query: DiscoveryQuery) -> DiscoveryPage:
        return self.host.call(self.name, "creatorkit_discover_creators", DiscoveryPage, query=query)

    def lookup_creator(self, handle: str) -> CreatorCandidate:
        return self.host.call(self.name, "creatorkit_lookup_creator", CreatorCandidate, handle=handle)

    def send_invitation(self, invitation: Invitation, account: PlatformAccount) -> OutreachReceipt:
        return self.host.call(
            self.name, "creatorkit_send_invitation", OutreachReceipt, invitation=invitation, account=account
        )

    def send_message(self, message: Message, account: PlatformAccount) -> OutreachReceipt:
        return self.host.call(self.name, "creatorkit_send_message", OutreachReceipt, message=message, account=account)

    def place_order(self, request: PlatformOrderRequest) -> PlatformOrder:
        return self.host.call(self.name, "creatorkit_place_order", PlatformOrder, request=request)

    def get_order(self, order_id: str) -> PlatformOrder:
        return self.host.call(self.name, "creatorkit_get_order", PlatformOrder, order_id=order_id)

    def fetch_creator_metrics(self, account: PlatformAccount) -> CreatorMetrics:
        return self.host.call(self.name, "creatorkit_fetch_creator_metrics", CreatorMetrics, account=account)

    def fetch_audience(self, account: PlatformAccount) -> AudienceProfile:
        return self.host.call(self.name, "creatorkit_fetch_audience", AudienceProfile, account=account)

    def fetch_post_metrics(self, post: PublishedPost) -> PostMetrics:
        return self.host.call(self.name, "creatorkit_fetch_post_metrics", PostMetrics, post=post)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
        return self.host.call(self.name, "creatorkit_parse_webhook", WebhookNotice, headers=headers, body=body)


class PaymentClient:
    """Typed calls to one payment provider plugin."""

    def __init__(self, host: PluginHost, name: str) -> None:
        self.host = host
        self.name = name

    @property
    def metadata(self) -> PluginMetadata:
        return self.host.metadata(self.name)

    def execute(self, request: ProviderRequest) -> ProviderOperation:
        return self.host.call(self.name, "creatorkit_payment_operation", ProviderOperation, request=request)

    def status(self, operation_id: str) -> ProviderOperation:
        return self.host.call(self.name, "creatorkit_payment_status", ProviderOperation, operation_id=operation_id)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
        return self.host.call(self.name, "creatorkit_parse_webhook", WebhookNotice, headers=headers, body=body)
