"""The conformance suites of echo's two plugins, with what their sandboxes know.

Registered in the ``creatorkit.conformance`` entry-point group, so that ``creatorkit plugins check echo`` (and
``echo_pay``) runs these rather than the kit's defaults; the distribution's own tests run them too.
"""

from __future__ import annotations

from creatorkit.entities import DiscoveryQuery
from creatorkit.testing import PaymentProviderContract, PlatformPluginContract

from . import sign_webhook

__all__ = ["EchoConformance", "EchoPaymentsConformance"]


class EchoConformance(PlatformPluginContract):
    plugin_name = "echo"
    known_handle = "echo_creator_03"
    discovery_query = DiscoveryQuery(categories=("beauty", "gaming"), limit=3)
    settings = {"latency_ms": 0}


class EchoPaymentsConformance(PaymentProviderContract):
    plugin_name = "echo_pay"
    settings = {"webhook_secret": "conformance-secret"}

    def webhook(self) -> tuple[dict[str, str], bytes]:
        body = b'{"id": "evt_1", "type": "operation.succeeded", "operation_id": "op_1"}'
        return sign_webhook(b"conformance-secret", body), body
