"""The reference echo plugin passes the conformance kit, run from the main suite as a plugin author would."""

from datetime import datetime

from creatorkit.entities import DiscoveryQuery, WebhookRequest
from creatorkit.testing import PlatformPluginContract
from creatorkit_echo import webhooks

SECRET = b"conformance-platform-secret"
VERIFY_TOKEN = "conformance-verify-token"
HAPPENED = datetime.fromisoformat("2031-05-06T07:00:00+00:00")


class TestEchoConformance(PlatformPluginContract):
    plugin_name = "echo"
    known_handle = "echo_creator_03"
    discovery_query = DiscoveryQuery(categories=("beauty", "gaming"), limit=3)
    settings = {"latency_ms": 0, "webhook_secret": SECRET.decode(), "verify_token": VERIFY_TOKEN}
    webhook_batches = True

    def webhook_delivery(self, received_at: datetime) -> WebhookRequest:
        changes = [("post", {"id": "video_881", "verb": "published"}), ("messages", {"id": "msg_5"})]
        body = webhooks.platform_batch("echo-0003", changes, HAPPENED)
        return webhooks.platform_request(SECRET, body, signed_at=received_at)

    def webhook_handshake(self, received_at: datetime, *, genuine: bool) -> tuple[WebhookRequest, str]:
        token = VERIFY_TOKEN if genuine else VERIFY_TOKEN + "x"
        return webhooks.handshake_request(token, "challenge-42", received_at=received_at), "challenge-42"
