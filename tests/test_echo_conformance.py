"""The reference echo plugin passes the conformance kit, run from the main suite as a plugin author would."""

from creatorkit.entities import DiscoveryQuery
from creatorkit.testing import PlatformPluginContract


class TestEchoConformance(PlatformPluginContract):
    plugin_name = "echo"
    known_handle = "echo_creator_03"
    discovery_query = DiscoveryQuery(categories=("beauty", "gaming"), limit=3)
    settings = {"latency_ms": 0}
