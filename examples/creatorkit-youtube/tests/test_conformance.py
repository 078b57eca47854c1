"""The YouTube example proves it keeps the creatorkit contract by running the conformance kit."""

from creatorkit_youtube.conformance import YouTubeConformance


class TestYouTubeConformance(YouTubeConformance):
    pass
