"""The echo plugin proves it keeps the creatorkit contract by running the conformance kit."""

from creatorkit.entities import DiscoveryQuery
from creatorkit.testing import PaymentProviderContract, PlatformPluginContract
from creatorkit_echo import sign_webhook


class TestEchoConformance(PlatformPluginContract):
    plugin_name = "echo"
    known_handle = "echo_creator_03"
    discovery_query = DiscoveryQuery(categories=("beauty", "gaming"), limit=3)
    settings = {"latency_ms": 0}
    known_post_id = "echo-0003-p1"
    # Echo reports no saves: the kit checks they come back as None, never as 0.
    post_missing_figures = {"echo-0003-p1": ("saves",)}


class TestEchoPaymentsConformance(PaymentProviderContract):
    plugin_name = "echo_pay"
    settings = {"webhook_secret": "conformance-secret"}

    def webhook(self) -> tuple[dict[str, str], bytes]:
        body = b'{"id": "evt_1", "type": "operation.succeeded", "operation_id": "op_1"}'
        return sign_webhook(b"conformance-secret", body), body
