"""The conformance suites of echo's two plugins, with what their sandboxes know.

Registered in the ``creatorkit.conformance`` entry-point group, so that ``creatorkit plugins check echo`` (and
``echo_pay``) runs these rather than the kit's defaults; the distribution's own tests run them too, and a test
subclass needs nothing else. Their webhook deliveries come from echo's sandbox signers
(:mod:`creatorkit_echo.webhooks`), with secrets of their own given in ``settings``; the owner approving an
authorize URL is echo's :func:`~creatorkit_echo.consent`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from creatorkit.entities import AuthorizationKind, DiscoveryQuery, ImportFormat, ProviderOperation, WebhookRequest
from creatorkit.testing import ImportSample, PaymentProviderContract, PlatformPluginContract

from . import consent, webhooks
from .partner_export import SAMPLE_EXPORT, SAMPLE_REJECTED

__all__ = ["EchoConformance", "EchoPaymentsConformance"]

PLATFORM_SECRET = b"conformance-platform-secret"
PAYMENT_SECRET = b"conformance-secret"
VERIFY_TOKEN = "conformance-verify-token"
#: When the events happened: fixed, so that a delivery signed again later holds the same events.
HAPPENED = datetime.fromisoformat("2031-05-06T07:00:00+00:00")


class EchoConformance(PlatformPluginContract):
    plugin_name = "echo"
    kinds = (AuthorizationKind.CONNECTION, AuthorizationKind.GRANT)
    known_handle = "echo_creator_03"
    discovery_query = DiscoveryQuery(categories=("beauty", "gaming"), limit=3)
    settings = {"latency_ms": 0, "webhook_secret": PLATFORM_SECRET.decode(), "verify_token": VERIFY_TOKEN}
    webhook_batches = True
    known_post_id = "echo-0003-p1"
    # Echo reports no saves: the kit checks they come back as None, never as 0.
    post_missing_figures = {"echo-0003-p1": ("saves",)}
    import_sample = ImportSample(data=SAMPLE_EXPORT, format=ImportFormat.CSV, rejected=SAMPLE_REJECTED, accepted=3)

    def webhook_delivery(self, received_at: datetime) -> WebhookRequest:
        changes = [
            ("post", {"id": "video_881", "verb": "published", "reference": "deal_1"}),
            ("order", {"id": "ord_17", "verb": "accepted", "reference": "orderreq_1"}),
        ]
        body = webhooks.platform_batch("echo-0003", changes, HAPPENED)
        return webhooks.platform_request(PLATFORM_SECRET, body, signed_at=received_at)

    def approve(self, url: str, kind: AuthorizationKind) -> str:
        return consent(url)

    def webhook_handshake(self, received_at: datetime, *, genuine: bool) -> tuple[WebhookRequest, str]:
        token = VERIFY_TOKEN if genuine else "not-the-token"
        return webhooks.handshake_request(token, "1158201444", received_at=received_at), "1158201444"


class EchoPaymentsConformance(PaymentProviderContract):
    plugin_name = "echo_pay"
    # Two records a page, so that the listing tests read several pages.
    settings = {"webhook_secret": PAYMENT_SECRET.decode(), "sandbox": {"list_page_size": 2}}

    def webhook_delivery(self, received_at: datetime) -> WebhookRequest:
        body = webhooks.payment_event(
            "evt_1", "fund.succeeded", operation_id="op_1", provider_ref="echo_pay-1", created=HAPPENED
        )
        return webhooks.payment_request(PAYMENT_SECRET, body, signed_at=received_at)

    def webhook_deliveries_for(self, operation: ProviderOperation, received_at: datetime) -> Sequence[WebhookRequest]:
        return [
            webhooks.payment_request(
                PAYMENT_SECRET,
                webhooks.payment_event(
                    f"evt_{operation.operation_id}_{status}",
                    f"fund.{status}",
                    operation_id=operation.operation_id,
                    provider_ref=operation.provider_ref,
                    created=HAPPENED,
                ),
                signed_at=received_at,
            )
            for status in ("pending", "succeeded")
        ]
