"""The payment conformance kit, run against the plugin in sandbox mode: ``creatorkit plugins check stripe_connect``.

``load_plugin`` hands the kit the plugin object itself, so the suite runs whether or not the entry point is
installed. Deliveries are signed with the sandbox's signer (the ``stripe`` library's own) under this suite's
secret; the receivers the kit pays are the sandbox's connected accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from creatorkit.entities import ProviderOperation, WebhookRequest
from creatorkit.testing import PaymentProviderContract

from . import StripeConnectPayments
from .sandbox import event, event_body, signed_delivery

__all__ = ["StripeConnectConformance"]

WEBHOOK_SECRET = "whsec_conformance_secret"
#: When the events happened: fixed, so that a delivery signed again later holds the same events.
HAPPENED = int(datetime.fromisoformat("2031-05-06T07:00:00+00:00").timestamp())


class StripeConnectConformance(PaymentProviderContract):
    plugin_name = "stripe_connect"
    settings = {
        "webhook_secret": WEBHOOK_SECRET,
        "sandbox": {"accounts": [account for _, account in PaymentProviderContract.receivers]},
    }

    def load_plugin(self) -> object:
        return StripeConnectPayments(self.plugin_name)

    def webhook_delivery(self, received_at: datetime) -> WebhookRequest:
        intent = {"id": "pi_conformance", "object": "payment_intent", "metadata": {"operation_id": "op_1"}}
        body = event_body(event("evt_conformance_1", "payment_intent.succeeded", intent, created=HAPPENED))
        return signed_delivery(body, WEBHOOK_SECRET, signed_at=received_at)

    def webhook_deliveries_for(self, operation: ProviderOperation, received_at: datetime) -> Sequence[WebhookRequest]:
        intent = {
            "id": operation.provider_ref,
            "object": "payment_intent",
            "amount": operation.amount.amount,
            "currency": operation.amount.currency.lower(),
            "metadata": {"operation_id": operation.operation_id},
        }
        return [
            signed_delivery(
                event_body(
                    event(
                        f"evt_{operation.operation_id}_{status}",
                        f"payment_intent.{status}",
                        {**intent, "status": status},
                        created=HAPPENED,
                    )
                ),
                WEBHOOK_SECRET,
                signed_at=received_at,
            )
            for status in ("processing", "succeeded")
        ]
