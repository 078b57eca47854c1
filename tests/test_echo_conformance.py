"""The reference echo plugin passes the conformance kit, run from the main suite as a plugin author would."""

from creatorkit.entities import DiscoveryQuery, ImportFormat
from creatorkit.testing import ImportSample, PlatformPluginContract
from creatorkit_echo.partner_export import SAMPLE_EXPORT, SAMPLE_REJECTED


class TestEchoConformance(PlatformPluginContract):
    plugin_name = "echo"
    known_handle = "echo_creator_03"
    discovery_query = DiscoveryQuery(categories=("beauty", "gaming"), limit=3)
    settings = {"latency_ms": 0}
    import_sample = ImportSample(data=SAMPLE_EXPORT, format=ImportFormat.CSV, rejected=SAMPLE_REJECTED, accepted=3)
