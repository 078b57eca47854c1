"""The echo plugin proves it keeps the creatorkit contract by running the conformance kit."""

from creatorkit.entities import DiscoveryQuery
from creatorkit.testing import PlatformPluginContract


class TestEchoConformance(PlatformPluginContract):
    plugin_name = "echo"
    known_handle = "echo_creator_03"
    discovery_query = DiscoveryQuery(categories=("beauty", "gaming"), limit=3)
    settings = {"latency_ms": 0}
