"""The payment conformance suite of the WeChat Pay plugin, with what its sandbox knows.

The kit funds in CNY through the plugin's own FUND (a Native order the sandbox's payer pays as soon as its code
is shown, the sandbox's default), releases to two merchant receivers the sandbox has registered (merchant
receivers, because WeChat Pay returns splits from merchants only, and the kit reverses a release), and receives
the notifications the sandbox sent about a payment: ``TRANSACTION.SUCCESS`` when it was paid and
``REFUND.SUCCESS`` after the merchant refunds it on the merchant platform, encrypted with the APIv3 key and signed
with the sandbox's WeChat Pay key.

``load_plugin`` returns the plugin object, so the suite runs without the entry point installed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import httpx

from creatorkit.entities import OperationKind, ProviderOperation, WebhookRequest
from creatorkit.money import Money
from creatorkit.testing import PaymentProviderContract

from . import WeChatPayProfitSharing
from .sandbox import SandboxNotification, WeChatPaySandbox, deliver, sandbox_identity

__all__ = ["RECEIVERS", "WeChatPayConformance", "sample_notification"]

#: The merchants the sandbox has as registered receivers: the creator's studio, then the agency.
RECEIVERS = (("creator_conformance", "1900000201"), ("agency_conformance", "1900000202"))
#: When the sample payment was paid: fixed, so that a notification sent again holds the same event.
HAPPENED = "2031-05-06T15:00:00+08:00"


def sample_notification() -> SandboxNotification:
    """A payment-success notification about one fixed paid order, as the sandbox would send it."""
    identity = sandbox_identity()
    resource = {
        "appid": identity.appid,
        "mchid": identity.mchid,
        "out_trade_no": "op1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6",
        "transaction_id": "4200000000203105060000000001",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": "op_1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
        "success_time": HAPPENED,
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 10000, "payer_total": 10000, "currency": "CNY", "payer_currency": "CNY"},
    }
    return SandboxNotification(
        id="1f8a9c3e-5b2d-5e47-9a61-0c3d4e5f6a7b",
        event_type="TRANSACTION.SUCCESS",
        summary="支付成功",
        original_type="transaction",
        transaction_id=str(resource["transaction_id"]),
        create_time=HAPPENED,
        resource=resource,
    )


def notification_request(notification: SandboxNotification, received_at: datetime) -> WebhookRequest:
    """``notification`` delivered to the merchant's notify_url, signed when it is received."""
    headers, body = deliver(sandbox_identity(), notification, received_at)
    return WebhookRequest(
        method="POST", path="/wechatpay/notify", headers=httpx.Headers(headers), body=body, received_at=received_at
    )


class WeChatPayConformance(PaymentProviderContract):
    plugin_name = "wechatpay"
    amount = Money(10_000, "CNY")  # ¥100.00
    receivers = RECEIVERS
    settings: ClassVar[Mapping[str, Any]] = {
        "sandbox": {"receivers": [{"type": "MERCHANT_ID", "account": account} for _, account in RECEIVERS]}
    }

    def load_plugin(self) -> object:
        self.plugin = WeChatPayProfitSharing()
        return self.plugin

    def _sandbox(self) -> WeChatPaySandbox:
        assert self.plugin.sandbox is not None, "the kit runs the plugin in sandbox mode"
        return self.plugin.sandbox

    def webhook_delivery(self, received_at: datetime) -> WebhookRequest:
        return notification_request(sample_notification(), received_at)

    def webhook_deliveries_for(self, operation: ProviderOperation, received_at: datetime) -> Sequence[WebhookRequest]:
        assert operation.kind is OperationKind.FUND
        sandbox = self._sandbox()
        # The merchant refunds part of the payment on the merchant platform: WeChat Pay notifies that too.
        sandbox.refund_from_merchant_platform(operation.provider_ref, 100, f"refund-{operation.operation_id}")
        return [notification_request(n, received_at) for n in sandbox.notifications_about(operation.provider_ref)]
