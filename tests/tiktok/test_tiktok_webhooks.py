"""TikTok's webhook deliveries: the signature over ``t.`` and the raw body, its time either way of receipt, both
body shapes (the Subscription API's ``entry[]`` and the event with its ``content`` as a JSON string), and event
ids that stay the same when an event is delivered again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from creatorkit_tiktok import TikTokPlatform
from creatorkit_tiktok._webhooks import SIGNATURE_HEADER, sandbox_delivery, sign_delivery

from creatorkit import entities as ent
from creatorkit._kit import Creatorkit
from creatorkit.audit import AuditKeys
from creatorkit.config import Mode
from creatorkit.errors import SignatureError
from creatorkit.store import open_store
from creatorkit.testing import assert_valid_entity
from creatorkit.testing._fixtures import sandboxed_host

FIXTURE = Path(__file__).resolve().parents[2] / "plugins" / "tiktok" / "fixtures" / "webhook_tto_video_published.json"
RECEIVED_AT = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


def _signed(platform: TikTokPlatform, body: bytes, *, at: datetime = RECEIVED_AT, **extra: Any) -> ent.WebhookRequest:
    headers = sign_delivery(body, platform.app_secret, int(at.timestamp()))
    return ent.WebhookRequest(method="POST", headers=headers, body=body, received_at=extra.get("received", at))


def test_a_sandbox_delivery_is_a_batch_of_campaign_video_events(tiktok: TikTokPlatform) -> None:
    result = tiktok.creatorkit_receive_webhook(sandbox_delivery(tiktok, RECEIVED_AT), None)
    assert_valid_entity(result)
    assert result.reply.status == 200 and len(result.notices) >= 2
    assert len({n.event_id for n in result.notices}) == len(result.notices)
    assert {n.event_type for n in result.notices} == {"tto_video_uploaded", "tto_video_published"}
    assert tiktok.sandbox is not None
    campaigns = tiktok.sandbox.campaigns
    for notice in result.notices:
        assert notice.kind is ent.NoticeKind.ORDER and notice.source == "tiktok"
        campaign = campaigns[notice.details["campaign_id"]]
        assert notice.provider_ref == f"{campaign['campaign_id']}:{notice.details['handle_name']}"
        assert notice.details["handle_name"] in campaign["handle_names"] and notice.details["video_id"]


def test_tiktoks_recorded_delivery_becomes_one_notice(tiktok: TikTokPlatform) -> None:
    body = FIXTURE.read_bytes()
    [notice] = tiktok.creatorkit_receive_webhook(_signed(tiktok, body), None).notices
    assert (notice.kind, notice.event_type) == (ent.NoticeKind.ORDER, "tto_video_published")
    assert notice.provider_ref == "7442100000000000101:summit.sam.demo"
    assert notice.account_ref == "7301234567890123456"
    assert notice.occurred_at == datetime(2026, 11, 18, 10, 56, 58, 270431, tzinfo=UTC)
    assert notice.details == {
        "campaign_id": "7442100000000000101",
        "video_id": "7440123987654321098",
        "handle_name": "summit.sam.demo",
        "log_id": "20261118105658A1B2C3D4E5F6A7B8C9D0",
    }


def test_an_event_delivered_again_keeps_its_id_even_signed_anew(tiktok: TikTokPlatform) -> None:
    first = tiktok.creatorkit_receive_webhook(sandbox_delivery(tiktok, RECEIVED_AT), None)
    later = RECEIVED_AT + timedelta(minutes=3)
    again = tiktok.creatorkit_receive_webhook(sandbox_delivery(TikTokPlatform(), later), None)
    assert [n.event_id for n in again.notices] == [n.event_id for n in first.notices]
    # A retried delivery is a new log entry on TikTok's side; the event it carries is the same.
    entry = json.loads(FIXTURE.read_bytes())
    retried = entry | {"request_id": "another", "time": entry["time"] + 60}
    retried["entry"] = [entry["entry"][0] | {"log_id": "20261118110000FFFFFFFFFFFFFFFFFFFF"}]
    ids = [
        tiktok.creatorkit_receive_webhook(_signed(tiktok, json.dumps(body).encode()), None).notices[0].event_id
        for body in (entry, retried)
    ]
    assert ids[0] == ids[1]


def test_the_core_refuses_the_replayed_events(tiktok: TikTokPlatform) -> None:
    host = sandboxed_host("tiktok", "creatorkit.platforms", {}, plugin=TikTokPlatform)
    kit = Creatorkit(store=open_store(":memory:", audit_keys=AuditKeys()), plugins=host, clock=lambda: RECEIVED_AT)
    try:
        first = kit.webhooks.receive("tiktok", sandbox_delivery(TikTokPlatform(), RECEIVED_AT))
        again = kit.webhooks.receive("tiktok", sandbox_delivery(TikTokPlatform(), RECEIVED_AT + timedelta(seconds=30)))
    finally:
        kit.close()
    assert first.notices and not first.duplicates
    assert not again.notices and len(again.duplicates) == len(first.notices)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "t=1935817689",
        "s=00",
        "t=soon,s=00",
        "t=1935817689;s=00",
        "t=1935817689,t=1935817690,s=00",
        "t=1935817689,s=" + "0" * 64,
    ],
)
def test_a_missing_malformed_or_wrong_signature_is_refused(tiktok: TikTokPlatform, header: str | None) -> None:
    request = sandbox_delivery(tiktok, RECEIVED_AT)
    headers = {} if header is None else {SIGNATURE_HEADER: header}
    with pytest.raises(SignatureError):
        tiktok.creatorkit_receive_webhook(attrs.evolve(request, headers=headers), None)


def test_a_body_changed_or_signed_with_another_secret_is_refused(tiktok: TikTokPlatform) -> None:
    request = sandbox_delivery(tiktok, RECEIVED_AT)
    with pytest.raises(SignatureError, match="does not match"):
        tiktok.creatorkit_receive_webhook(attrs.evolve(request, body=request.body.replace(b"10", b"11", 1)), None)
    forged = sign_delivery(request.body, "not-the-app-secret", int(RECEIVED_AT.timestamp()))
    with pytest.raises(SignatureError, match="does not match"):
        tiktok.creatorkit_receive_webhook(attrs.evolve(request, headers=forged), None)


@pytest.mark.parametrize("offset", [timedelta(seconds=301), timedelta(days=1), -timedelta(seconds=301)])
def test_a_delivery_signed_too_far_from_its_receipt_is_stale(tiktok: TikTokPlatform, offset: timedelta) -> None:
    request = sandbox_delivery(tiktok, RECEIVED_AT)
    with pytest.raises(SignatureError, match="stale"):
        tiktok.creatorkit_receive_webhook(attrs.evolve(request, received_at=RECEIVED_AT + offset), None)
    within = attrs.evolve(request, received_at=RECEIVED_AT + timedelta(seconds=299))
    assert tiktok.creatorkit_receive_webhook(within, None).notices


def test_the_tolerance_is_the_configured_one(tiktok: TikTokPlatform) -> None:
    tiktok._configure({"webhook_tolerance_seconds": 10}, Mode.SANDBOX)
    request = sandbox_delivery(tiktok, RECEIVED_AT)
    with pytest.raises(SignatureError, match="stale"):
        tiktok.creatorkit_receive_webhook(attrs.evolve(request, received_at=RECEIVED_AT + timedelta(seconds=11)), None)


def test_without_an_app_secret_nothing_is_accepted() -> None:
    live = TikTokPlatform()
    live._configure({}, Mode.LIVE)
    body = FIXTURE.read_bytes()
    request = ent.WebhookRequest(method="POST", headers=sign_delivery(body, "", 1), body=body, received_at=RECEIVED_AT)
    with pytest.raises(SignatureError, match="app_secret"):
        live.creatorkit_receive_webhook(request, None)


# -- the event shape: details as a JSON string in ``content`` ----------------------------------------------------


def _event(event: str, content: Any, *, create_time: int = 1615338610) -> bytes:
    text = content if isinstance(content, str) else json.dumps(content)
    body = {
        "client_key": "sandbox-app",
        "event": event,
        "create_time": create_time,
        "user_openid": "act.example12345",
        "content": text,
    }
    return json.dumps(body).encode()


def test_an_event_with_its_content_as_a_json_string_becomes_a_notice(tiktok: TikTokPlatform) -> None:
    published = _event("video.publish.completed", {"publish_id": "v_pub_123", "publish_type": "DIRECT_PUBLISH"})
    [notice] = tiktok.creatorkit_receive_webhook(_signed(tiktok, published), None).notices
    assert (notice.kind, notice.event_type, notice.provider_ref) == (
        ent.NoticeKind.POST,
        "video.publish.completed",
        "v_pub_123",
    )
    assert notice.account_ref == "act.example12345" and notice.details["publish_type"] == "DIRECT_PUBLISH"
    assert notice.occurred_at == datetime.fromtimestamp(1615338610, UTC)
    removed = _event("authorization.removed", '{"reason": 1 }')
    [revoked] = tiktok.creatorkit_receive_webhook(_signed(tiktok, removed), None).notices
    assert revoked.kind is ent.NoticeKind.AUTHORIZATION_REVOKED and revoked.details == {"reason": "1"}
    assert revoked.event_id != notice.event_id
    again = tiktok.creatorkit_receive_webhook(_signed(tiktok, removed, at=RECEIVED_AT + timedelta(seconds=5)), None)
    assert again.notices[0].event_id == revoked.event_id, "the same event signed anew keeps its id"
    other = _event("portability.download.ready", {"request_id": 7})
    assert tiktok.creatorkit_receive_webhook(_signed(tiktok, other), None).notices[0].kind is ent.NoticeKind.OTHER


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"hello": "world"}',
        _event("video.upload.failed", "{not json"),
        _event("video.upload.failed", "[1, 2]"),
        json.dumps({"request_id": "r", "object": 10, "time": 1, "entry": ["not an object"]}).encode(),
    ],
)
def test_a_signed_body_that_cannot_be_read_is_refused(tiktok: TikTokPlatform, body: bytes) -> None:
    with pytest.raises(SignatureError):
        tiktok.creatorkit_receive_webhook(_signed(tiktok, body), None)


def test_a_get_is_no_handshake_tiktok_makes(tiktok: TikTokPlatform) -> None:
    with pytest.raises(SignatureError, match="POST"):
        tiktok.creatorkit_receive_webhook(ent.WebhookRequest(method="GET", received_at=RECEIVED_AT), None)


def test_another_subscriptions_entries_are_kept_as_other_events(tiktok: TikTokPlatform) -> None:
    body = {"request_id": "r", "object": 9, "time": 1, "entry": [{"event_type": "tcm_spark_ads_auth", "id": "1"}]}
    [notice] = tiktok.creatorkit_receive_webhook(_signed(tiktok, json.dumps(body).encode()), None).notices
    assert notice.kind is ent.NoticeKind.OTHER and notice.event_type == "object_9:tcm_spark_ads_auth"
