"""Notifications: the signature over the raw bytes first, then the resource decrypted; one notice per id."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import attrs
import httpx
import pytest
from creatorkit_payments.wechatpay._crypto import encrypt_resource, sign_with, signed_message
from creatorkit_payments.wechatpay.conformance import notification_request, sample_notification
from creatorkit_payments.wechatpay.sandbox import deliver, sandbox_identity

from creatorkit.entities import NoticeKind, OperationStatus, WebhookRequest
from creatorkit.errors import SignatureError

from .conftest import fund_request, sandbox_of, start

RECEIVED = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


def _resigned(request: WebhookRequest, body: bytes, serial: str | None = None) -> WebhookRequest:
    """``body`` with a genuine signature: what only a holder of WeChat Pay's key could send."""
    headers = httpx.Headers(request.headers)
    timestamp, nonce = headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"]
    headers["Wechatpay-Signature"] = sign_with(sandbox_identity().platform_key, signed_message(timestamp, nonce, body))
    if serial is not None:
        headers["Wechatpay-Serial"] = serial
    return attrs.evolve(request, body=body, headers=headers)


def test_a_payment_notification_names_our_operation_and_the_transaction() -> None:
    provider, _ = start()
    result = provider.receive_webhook(notification_request(sample_notification(), RECEIVED))
    (notice,) = result.notices
    assert notice.event_id == sample_notification().id
    assert notice.kind is NoticeKind.PAYMENT and notice.event_type == "TRANSACTION.SUCCESS"
    assert notice.operation_id == "op_1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d", "attach carries the operation id"
    assert notice.provider_ref == "4200000000203105060000000001"
    assert notice.details["trade_state"] == "SUCCESS"
    assert notice.occurred_at == datetime.fromisoformat("2031-05-06T15:00:00+08:00")
    assert result.reply.status == 204 and result.reply.body == ""


def test_the_sandbox_notifies_a_payment_and_a_refund_of_it() -> None:
    provider, plugin = start()
    request = fund_request()
    fund = provider.execute(request)
    assert fund.status is OperationStatus.SUCCEEDED and len(request.operation_id) > 32
    sandbox = sandbox_of(plugin)
    sandbox.refund_from_merchant_platform(fund.provider_ref, 500, "R-merchant-platform-1")
    paid, refunded = (
        provider.receive_webhook(notification_request(n, RECEIVED)).notices[0]
        for n in sandbox.notifications_about(fund.provider_ref)
    )
    assert paid.operation_id == request.operation_id, "the fund's out_trade_no is a digest; attach has the id"
    assert paid.details["out_trade_no"] != request.operation_id
    assert (refunded.kind, refunded.event_type) == (NoticeKind.REFUND, "REFUND.SUCCESS")
    assert refunded.operation_id == "R-merchant-platform-1" and refunded.provider_ref == fund.provider_ref
    assert refunded.details["refund_status"] == "SUCCESS" and refunded.details["refund_id"]


def test_decryption_matches_the_wechatpayv3_library() -> None:
    utils = pytest.importorskip("wechatpayv3.utils")
    identity = sandbox_identity()
    plaintext = json.dumps({"out_trade_no": "1217752501201407033233368018"}).encode()
    sealed = encrypt_resource(identity.apiv3_key, "fdasflkja484", "transaction", plaintext)
    assert utils.aes_decrypt("fdasflkja484", sealed, "transaction", identity.apiv3_key.decode()) == plaintext.decode()


def test_a_resource_tampered_under_a_genuine_signature_is_refused() -> None:
    provider, _ = start()
    request = notification_request(sample_notification(), RECEIVED)
    envelope = json.loads(request.body)
    envelope["resource"]["associated_data"] = "refund"  # authenticated data changed: the tag no longer matches
    forged = _resigned(request, json.dumps(envelope).encode())
    with pytest.raises(SignatureError, match="does not decrypt"):
        provider.receive_webhook(forged)


def test_a_changed_byte_fails_the_signature_before_anything_is_decrypted() -> None:
    provider, _ = start()
    request = notification_request(sample_notification(), RECEIVED)
    with pytest.raises(SignatureError, match="does not verify"):
        provider.receive_webhook(attrs.evolve(request, body=request.body.replace(b'"id":"1', b'"id":"2')))


def test_an_unknown_serial_is_named_and_nothing_is_fetched() -> None:
    provider, _ = start()
    request = notification_request(sample_notification(), RECEIVED)
    with pytest.raises(SignatureError, match="PUB_KEY_ID_0000000000000000000000000000000099"):
        provider.receive_webhook(
            _resigned(request, request.body, serial="PUB_KEY_ID_0000000000000000000000000000000099")
        )


def test_a_notification_older_or_newer_than_five_minutes_is_stale() -> None:
    provider, _ = start()
    request = notification_request(sample_notification(), RECEIVED)
    provider.receive_webhook(attrs.evolve(request, received_at=RECEIVED + timedelta(minutes=4, seconds=59)))
    for skew in (timedelta(minutes=5, seconds=2), -timedelta(minutes=6)):
        with pytest.raises(SignatureError, match="stale"):
            provider.receive_webhook(attrs.evolve(request, received_at=RECEIVED + skew))


def test_the_tolerance_is_a_setting() -> None:
    provider, _ = start({"webhook_tolerance_s": 60})
    request = notification_request(sample_notification(), RECEIVED)
    with pytest.raises(SignatureError, match="stale"):
        provider.receive_webhook(attrs.evolve(request, received_at=RECEIVED + timedelta(seconds=61)))


def test_a_resend_keeps_the_notification_id() -> None:
    provider, _ = start()
    first = deliver(sandbox_identity(), sample_notification(), RECEIVED)
    again = deliver(sandbox_identity(), sample_notification(), RECEIVED + timedelta(seconds=15))
    assert first[1] == again[1] and first[0]["Wechatpay-Signature"] != again[0]["Wechatpay-Signature"]
    ids = {
        provider.receive_webhook(notification_request(sample_notification(), at)).notices[0].event_id
        for at in (RECEIVED, RECEIVED + timedelta(seconds=15))
    }
    assert ids == {sample_notification().id}
