"""The conformance suites of echo's two plugins, with what their sandboxes know.

Registered in the ``creatorkit.conformance`` entry-point group, so that ``creatorkit plugins check echo`` (and
``echo_pay``) runs these rather than the kit's defaults; the distribution's own tests run them too.
"""

from __future__ import annotations

from creatorkit.entities import DiscoveryQuery, ImportFormat
from creatorkit.testing import ImportSample, PaymentProviderContract, PlatformPluginContract

from . import sign_webhook
from .partner_export import SAMPLE_EXPORT, SAMPLE_REJECTED

__all__ = ["EchoConformance", "EchoPaymentsConformance"]


class EchoConformance(PlatformPluginContract):
    plugin_name = "echo"
    known_handle = "echo_creator_03"
    discovery_query = DiscoveryQuery(categories=("beauty", "gaming"), limit=3)
    settings = {"latency_ms": 0}
    import_sample = ImportSample(data=SAMPLE_EXPORT, format=ImportFormat.CSV, rejected=SAMPLE_REJECTED, accepted=3)


class EchoPaymentsConformance(PaymentProviderContract):
    plugin_name = "echo_pay"
    settings = {"webhook_secret": "conformance-secret"}

    def webhook(self) -> tuple[dict[str, str], bytes]:
        body = b'{"id": "evt_1", "type": "operation.succeeded", "operation_id": "op_1"}'
        return sign_webhook(b"conformance-secret", body), body
