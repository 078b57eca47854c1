"""The reference echo plugin passes the conformance kit, run from the main suite as a plugin author would."""

from creatorkit.entities import DiscoveryQuery
from creatorkit.testing import PlatformPluginContract


class TestEchoConformance(PlatformPluginContract):
    plugin_name = "echo"
    known_handle = "echo_creator_03"
    discovery_query = DiscoveryQuery(categories=("beauty", "gaming"), limit=3)
    settings = {"latency_ms": 0}
    known_post_id = "echo-0003-p1"
    # Echo reports no saves: the kit checks they come back as None, never as 0.
    post_missing_figures = {"echo-0003-p1": ("saves",)}
