"""The conformance suite of the YouTube plugin, with what its sandbox knows (seed 0).

Registered in the ``creatorkit.conformance`` entry-point group, so that ``creatorkit plugins check youtube`` runs
it; the distribution's own tests run it too.
"""

from __future__ import annotations

from creatorkit.entities import DiscoveryQuery
from creatorkit.testing import PlatformPluginContract

__all__ = ["YouTubeConformance"]


class YouTubeConformance(PlatformPluginContract):
    plugin_name = "youtube"
    known_handle = "sofiapark-0"
    discovery_query = DiscoveryQuery(limit=5)
    # A small quota, so that the kit's budget check (the sandbox throttling at it) takes a hundred calls.
    settings = {"quota_units_per_day": 100}
    known_post_id = "4000000000000000001"
    # Video 0 hides its likes; the Data API reports no shares or saves for any video: all None, never 0.
    post_missing_figures = {
        "4000000000000000000": ("likes", "shares", "saves"),
        "4000000000000000001": ("shares", "saves"),
    }
