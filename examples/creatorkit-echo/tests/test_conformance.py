"""The echo plugin proves it keeps the creatorkit contract by running the conformance kit."""

from creatorkit.entities import DiscoveryQuery, ImportFormat
from creatorkit.testing import ImportSample, PaymentProviderContract, PlatformPluginContract
from creatorkit_echo import sign_webhook
from creatorkit_echo.partner_export import SAMPLE_EXPORT, SAMPLE_REJECTED


class TestEchoConformance(PlatformPluginContract):
    plugin_name = "echo"
    known_handle = "echo_creator_03"
    discovery_query = DiscoveryQuery(categories=("beauty", "gaming"), limit=3)
    settings = {"latency_ms": 0}
    import_sample = ImportSample(data=SAMPLE_EXPORT, format=ImportFormat.CSV, rejected=SAMPLE_REJECTED, accepted=3)


class TestEchoPaymentsConformance(PaymentProviderContract):
    plugin_name = "echo_pay"
    settings = {"webhook_secret": "conformance-secret"}

    def webhook(self) -> tuple[dict[str, str], bytes]:
        body = b'{"id": "evt_1", "type": "operation.succeeded", "operation_id": "op_1"}'
        return sign_webhook(b"conformance-secret", body), body
