"""The TikTok plugin passes the conformance kit, run as `creatorkit plugins check tiktok` runs it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import creatorkit_tiktok
from creatorkit_tiktok import _webhooks
from creatorkit_tiktok.conformance import HAPPENED, TikTokConformance, campaign_events
from creatorkit_tiktok.sandbox import TikTokSandbox

FIXTURES = Path(creatorkit_tiktok.__file__).parent / "fixtures"
RECEIVED = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


class TestTikTokConformance(TikTokConformance):
    """The suite the plugin registers for ``creatorkit plugins check tiktok``, with what its sandbox knows."""


def test_the_known_creator_and_post_are_the_sandboxs() -> None:
    population = TikTokSandbox().population
    account = population.find("tiktok", TikTokConformance.known_handle or "")
    assert account is not None
    post = population.post(TikTokConformance.known_post_id or "")
    assert post is not None and post.account_id == account.account_id


def test_the_kits_delivery_is_a_batch_in_the_recorded_shape() -> None:
    recorded = json.loads((FIXTURES / "webhook_tto_video_published.json").read_text())
    delivered = json.loads(campaign_events("summit.sam.demo", "7440123987654321098", HAPPENED))
    assert delivered.keys() == recorded.keys() and delivered["object"] == recorded["object"] == 10
    assert len(delivered["entry"]) == 2
    for entry in delivered["entry"]:
        assert entry.keys() == recorded["entry"][0].keys()
    assert [entry["tto_campaign_event_type"] for entry in delivered["entry"]] == [
        "tto_video_uploaded",
        "tto_video_published",
    ]
    assert len({entry["log_id"] for entry in delivered["entry"]}) == 2, "each event has a log id of its own"
    assert campaign_events("a", "1", HAPPENED) == campaign_events("a", "1", HAPPENED), "the same events each time"


def test_the_kits_delivery_is_signed_by_the_plugins_signer() -> None:
    request = TestTikTokConformance().webhook_delivery(RECEIVED)
    expected = _webhooks.sign_delivery(request.body, TikTokSandbox().app_secret, int(RECEIVED.timestamp()))
    assert request.header("tiktok-signature") == expected["TikTok-Signature"]
    assert request.method == "POST" and request.received_at == RECEIVED
    later = TestTikTokConformance().webhook_delivery(RECEIVED + timedelta(seconds=30))
    assert later.body == request.body, "a delivery signed anew holds the same events"
    assert later.header("tiktok-signature") != request.header("tiktok-signature"), "signed at its own time"
