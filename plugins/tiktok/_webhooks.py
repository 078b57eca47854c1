"""Webhook deliveries: TikTok's signature checked over the raw body, events turned into notices.

TikTok signs a delivery with ``TikTok-Signature: t=<unix seconds>,s=<hex>``, ``s`` being the hex HMAC-SHA256 of
``f"{t}."`` followed by the raw body, keyed with the app's secret (developers.tiktok.com "webhooks
verification"). A delivery signed further than ``webhook_tolerance_seconds`` from when it was received, either
way, is refused as stale; the core's record of accepted event ids refuses replays within it.

Two bodies arrive:

- the Subscription API's (``TCM_VIDEOS``: a video linked to a TikTok One campaign), ``{request_id, object: 10,
  time, entry: [...]}``, several events per delivery; each entry becomes an ``order`` notice naming the order
  (``f"{campaign_id}:{handle}"``, as :mod:`._campaigns` names orders) and the video;
- TikTok for Developers' and the Accounts API's, ``{client_key, event, create_time, user_openid, content}`` with
  the event's details as a JSON string in ``content``, one event per delivery.

Unverified: whether Subscription API deliveries are signed the same way (TikTok documents the signature for
developers.tiktok.com webhooks; the Go SDK verifies none). The plugin refuses any delivery that is not, rather
than accept unsigned ones. Neither body carries an event id that is documented as stable, so an event's id is a
digest of what identifies it: the video, the campaign, the event type and its time; or the event, the user, its
time and its content.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from creatorkit import CallContext, hookimpl
from creatorkit import webhooks as wh
from creatorkit.entities import Capability, NoticeKind, WebhookNotice, WebhookRequest, WebhookResult
from creatorkit.errors import SignatureError

from . import _api as api
from ._base import TikTokBase

__all__ = ["SIGNATURE_HEADER", "WebhookHooks", "sandbox_delivery", "sign_delivery"]

SIGNATURE_HEADER = "TikTok-Signature"
#: The Subscription API's ``object`` for TikTok One campaign video events (TCM_VIDEOS).
TCM_VIDEOS_OBJECT = 10
#: TikTok for Developers' events by what they are about.
_EVENT_KINDS: Mapping[str, NoticeKind] = {
    "authorization.removed": NoticeKind.AUTHORIZATION_REVOKED,
    "video.upload.failed": NoticeKind.POST,
    "video.publish.completed": NoticeKind.POST,
}


def sign_delivery(body: bytes, secret: str, timestamp: int) -> dict[str, str]:
    """The headers TikTok sends with ``body`` signed at ``timestamp`` (Unix seconds) with the app's ``secret``."""
    return {
        SIGNATURE_HEADER: f"t={timestamp},s={_mac(secret, str(timestamp), body)}",
        "Content-Type": "application/json",
    }


def sandbox_delivery(platform: WebhookHooks, received_at: datetime) -> WebhookRequest:
    """A genuine TCM_VIDEOS delivery from ``platform``'s sandbox, signed at ``received_at`` and received then."""
    sandbox = platform._sandbox()
    sent_at = int(received_at.timestamp())
    body = sandbox.webhook_body(sent_at)
    headers = sign_delivery(body, platform.app_secret, sent_at)
    return WebhookRequest(method="POST", path="/hooks/tiktok", headers=headers, body=body, received_at=received_at)


def _mac(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]


class WebhookHooks(TikTokBase):
    """Webhook deliveries (see the module's docstring)."""

    #: The capabilities this part implements, and what it says of the stages it leaves out.
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset({Capability.WEBHOOKS})
    MISSING: ClassVar[dict[str, str]] = {}

    @hookimpl
    def creatorkit_receive_webhook(self, request: WebhookRequest, context: CallContext | None) -> WebhookResult:
        if request.method != "POST":
            raise SignatureError(f"TikTok delivers webhooks by POST and makes no handshake, not {request.method}")
        self._verify(request)
        try:
            body = json.loads(request.body)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the decoder goes
            raise SignatureError("the signed body is not JSON", signer=self.name) from None
        if isinstance(body, dict) and isinstance(body.get("entry"), list):
            notices = tuple(self._subscription_notice(body, entry, request) for entry in body["entry"])
        elif isinstance(body, dict) and isinstance(body.get("event"), str) and "content" in body:
            notices = (self._event_notice(body, request),)
        else:
            raise SignatureError(
                "the signed body is neither a Subscription API nor an event delivery", signer=self.name
            )
        return WebhookResult(notices=notices)  # TikTok wants a 200 at once, whatever the body

    def _verify(self, request: WebhookRequest) -> None:
        """The signature over ``t.`` + the raw body, and its time against ``received_at`` (either way)."""
        if not self.app_secret:
            raise SignatureError("no app_secret is configured to verify TikTok's signature with", signer=self.name)
        fields = wh.signature_fields(request.header(SIGNATURE_HEADER), signer=self.name, name=SIGNATURE_HEADER)
        stamps, macs = fields.get("t", []), fields.get("s", [])
        if len(stamps) != 1 or not macs:
            raise SignatureError(f"the {SIGNATURE_HEADER} header needs one t= and an s=", signer=self.name)
        signed_at = wh.signed_time(stamps[0], signer=self.name, name=SIGNATURE_HEADER)
        expected = _mac(self.app_secret, stamps[0], request.body)
        # Bytes, not text: compare_digest raises TypeError on a str with non-ASCII characters, which anyone can send.
        if not any(hmac.compare_digest(expected.encode(), mac.lower().encode()) for mac in macs):
            raise SignatureError("TikTok's signature does not match the body", signer=self.name)
        tolerance = timedelta(seconds=self.webhook_tolerance)
        wh.check_freshness(signed_at, request.received_at, tolerance=tolerance, ahead=None, signer=self.name)
        if signed_at - request.received_at > tolerance:  # a clock far ahead: as unusable as one far behind
            raise SignatureError(
                f"stale delivery: signed {(signed_at - request.received_at).total_seconds():g} s after it was "
                f"received, more than the {self.webhook_tolerance} s allowed",
                signer=self.name,
            )

    def _subscription_notice(self, body: Mapping[str, Any], entry: Any, request: WebhookRequest) -> WebhookNotice:
        if not isinstance(entry, dict):
            raise SignatureError("an entry of the signed body is not an object", signer=self.name)
        if body.get("object") != TCM_VIDEOS_OBJECT:  # another subscription: kept as an event of its own kind
            event_type = f"object_{body.get('object')}:{entry.get('event_type', '')}"
            return WebhookNotice(
                source=self.name,
                event_id=_digest(body.get("object"), json.dumps(entry, sort_keys=True)),
                kind=NoticeKind.OTHER,
                event_type=event_type,
                received_at=request.received_at,
            )
        campaign_id, handle, video_id = (str(entry.get(k) or "") for k in ("campaign_id", "handle_name", "video_id"))
        event_type = str(entry.get("tto_campaign_event_type") or entry.get("event_type") or "tto_campaign_webhook")
        details = {
            "campaign_id": campaign_id,
            "video_id": video_id,
            "handle_name": handle,
            "log_id": str(entry.get("log_id") or ""),
        }
        return WebhookNotice(
            source=self.name,
            event_id=_digest(campaign_id, video_id, event_type, entry.get("event_time")),
            kind=NoticeKind.ORDER,
            event_type=event_type,
            received_at=request.received_at,
            occurred_at=api.instant(entry.get("event_time")),
            # The order the event is about, as get_order reads it; without a handle, only the campaign is known.
            provider_ref=f"{campaign_id}:{handle}" if handle else campaign_id or None,
            account_ref=str(entry.get("tto_tcm_account_id") or "") or None,
            details={k: v for k, v in details.items() if v},
        )

    def _event_notice(self, body: Mapping[str, Any], request: WebhookRequest) -> WebhookNotice:
        raw = body.get("content")
        try:
            content = json.loads(raw) if isinstance(raw, str) and raw.strip() else (raw or {})
        except (ValueError, RecursionError):
            raise SignatureError("the event's content is not JSON", signer=self.name) from None
        if not isinstance(content, dict):
            raise SignatureError("the event's content is not a JSON object", signer=self.name)
        event = str(body["event"])
        kind = _EVENT_KINDS.get(event) or (
            NoticeKind.POST if event.startswith(("video.", "post.")) else NoticeKind.OTHER
        )
        ref = next((str(content[k]) for k in ("video_id", "post_id", "publish_id", "share_id") if content.get(k)), None)
        details = {k: str(v) for k, v in content.items() if isinstance(v, str | int) and not isinstance(v, bool)}
        return WebhookNotice(
            source=self.name,
            event_id=_digest(event, body.get("user_openid"), body.get("create_time"), raw),
            kind=kind,
            event_type=event,
            received_at=request.received_at,
            occurred_at=api.instant(body.get("create_time")),
            provider_ref=ref,
            account_ref=str(body.get("user_openid") or "") or None,
            details=dict(list(details.items())[:8]),  # a few small facts for routing, never the payload
        )
