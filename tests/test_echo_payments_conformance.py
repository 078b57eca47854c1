"""The reference payment provider runs the payment conformance kit in the main suite too."""

from collections.abc import Sequence
from datetime import datetime

from creatorkit.entities import ProviderOperation, WebhookRequest
from creatorkit.testing import PaymentProviderContract
from creatorkit_echo import webhooks

SECRET = b"conformance-secret"
HAPPENED = datetime.fromisoformat("2031-05-06T07:00:00+00:00")


class TestEchoPaymentsConformance(PaymentProviderContract):
    plugin_name = "echo_pay"
    settings = {"webhook_secret": SECRET.decode()}

    def webhook_delivery(self, received_at: datetime) -> WebhookRequest:
        body = webhooks.payment_event(
            "evt_1", "fund.succeeded", operation_id="op_1", provider_ref=None, created=HAPPENED
        )
        return webhooks.payment_request(SECRET, body, signed_at=received_at)

    def webhook_deliveries_for(self, operation: ProviderOperation, received_at: datetime) -> Sequence[WebhookRequest]:
        return [
            webhooks.payment_request(
                SECRET,
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
