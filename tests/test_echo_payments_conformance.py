"""The reference payment provider runs the payment conformance kit in the main suite too."""

from creatorkit import Money
from creatorkit.testing import PaymentProviderContract
from creatorkit_echo import sign_webhook


class TestEchoPaymentsConformance(PaymentProviderContract):
    plugin_name = "echo_pay"
    settings = {"webhook_secret": "conformance-secret"}

    def webhook(self) -> tuple[dict[str, str], bytes]:
        body = b'{"id": "evt_1", "type": "operation.succeeded", "operation_id": "op_1"}'
        return sign_webhook(b"conformance-secret", body), body


class TestEchoPaymentsInKuwaitiDinars(TestEchoPaymentsConformance):
    """The whole kit again with three-decimal amounts echo_pay takes only in tens of fils."""

    amount = Money(1_250_500, "KWD")
