"""Request signatures as WeChat Pay APIv3 defines them, and the answers' signatures checked before anything is read."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import httpx
import pytest
from creatorkit_payments.wechatpay._crypto import (
    MerchantSigner,
    PlatformKeys,
    parse_authorization,
    signed_message,
)
from creatorkit_payments.wechatpay._transport import SigningTransport, check_signed
from creatorkit_payments.wechatpay.sandbox import sandbox_identity
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from creatorkit import toolkit as tk
from creatorkit.errors import PaymentError, SignatureError

from .conftest import RecordedWeChat, answering, fund_request, start


class Recorder(httpx.BaseTransport):
    """Keeps the request as it would go on the wire; answers an unsigned error (which the transport lets through)."""

    def __init__(self) -> None:
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return httpx.Response(404)


def _signer() -> MerchantSigner:
    identity = sandbox_identity()
    return MerchantSigner(identity.mchid, identity.merchant_serial, identity.merchant_key)


def test_the_message_is_each_line_followed_by_a_newline() -> None:
    message = signed_message(
        "POST", "/v3/profitsharing/orders", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", b"{}"
    )
    assert message == b"POST\n/v3/profitsharing/orders\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{}\n"
    assert signed_message("GET", "/v3/x?a=1", "1", "n", b"") == b"GET\n/v3/x?a=1\n1\nn\n\n"


def test_the_signature_is_sha256_with_rsa_over_the_message() -> None:
    signer = _signer()
    header = signer.authorization("GET", "/v3/refund/domestic/refunds/R1", "1554208460", "NONCE1", b"")
    fields = parse_authorization(header)
    assert header.startswith("WECHATPAY2-SHA256-RSA2048 ")
    assert fields is not None and set(fields) == {"mchid", "nonce_str", "signature", "timestamp", "serial_no"}
    assert (fields["mchid"], fields["nonce_str"], fields["timestamp"]) == (signer.mchid, "NONCE1", "1554208460")
    assert fields["serial_no"] == signer.serial_no
    message = b"GET\n/v3/refund/domestic/refunds/R1\n1554208460\nNONCE1\n\n"
    sandbox_identity().merchant_key.public_key().verify(
        base64.b64decode(fields["signature"]), message, padding.PKCS1v15(), hashes.SHA256()
    )


def test_the_signature_matches_the_wechatpayv3_library() -> None:
    utils = pytest.importorskip("wechatpayv3.utils")
    signer = _signer()
    body = '{"transaction_id":"4208450740201411110007820472","out_order_no":"P20150806125346"}'
    text = f"POST\n/v3/profitsharing/orders\n1554208460\nNONCE2\n{body}\n"
    assert signer.signature(text.encode()) == utils.rsa_sign(sandbox_identity().merchant_key, text)


def test_each_request_is_signed_over_its_path_query_and_exact_body() -> None:
    recorder = Recorder()
    clock = tk.FakeClock()
    keys = PlatformKeys({})
    transport = SigningTransport(recorder, _signer(), keys, wall=clock.now, nonce=lambda: "ABC")
    client = httpx.Client(base_url="https://api.mch.weixin.qq.com", transport=transport)
    client.post("/v3/profitsharing/orders", json={"out_order_no": "P1", "description": "分给商户"})
    client.get("/v3/profitsharing/orders/P1", params={"transaction_id": "4208450740201411110007820472"})
    posted, got = recorder.sent
    for request in (posted, got):
        fields = parse_authorization(request.headers["Authorization"])
        assert fields is not None
        message = signed_message(
            request.method, request.url.raw_path.decode(), fields["timestamp"], "ABC", request.content
        )
        sandbox_identity().merchant_key.public_key().verify(
            base64.b64decode(fields["signature"]), message, padding.PKCS1v15(), hashes.SHA256()
        )
        assert fields["timestamp"] == str(int(clock.now().timestamp()))
    assert got.url.raw_path == b"/v3/profitsharing/orders/P1?transaction_id=4208450740201411110007820472"
    assert json.loads(posted.content) == {"out_order_no": "P1", "description": "分给商户"}


def test_the_sandbox_refuses_a_request_that_is_not_the_merchants() -> None:
    _, plugin = start()
    other = MerchantSigner(plugin.mchid, "ANOTHER-SERIAL", sandbox_identity().platform_key)
    transport = SigningTransport(plugin.sandbox, other, plugin.keys, wall=plugin.wall)  # type: ignore[arg-type]
    client = httpx.Client(base_url="https://api.mch.weixin.qq.com", transport=transport)
    answer = client.get("/v3/pay/transactions/out-trade-no/ORDER1", params={"mchid": plugin.mchid})
    assert answer.status_code == 401 and answer.json()["code"] == "SIGN_ERROR"


def test_an_answer_whose_body_changed_is_not_trusted() -> None:
    _, plugin = start()
    recorded = RecordedWeChat({"code_url": "weixin://wxpay/bizpayurl?pr=abc"})

    class Tampering(httpx.BaseTransport):
        wall = recorded.wall

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            genuine = recorded.handle_request(request)
            return httpx.Response(200, headers=genuine.headers, content=genuine.content.replace(b"abc", b"abd"))

    answering(plugin, Tampering())
    with pytest.raises(PaymentError) as caught:
        plugin.creatorkit_payment_operation(fund_request(), None)
    assert caught.value.outcome_unknown, "an answer that does not verify says nothing about what happened"
    assert isinstance(caught.value.__cause__, SignatureError)


def test_an_answer_signed_with_an_unknown_key_names_the_serial() -> None:
    _, plugin = start()
    answering(plugin, RecordedWeChat({"code_url": "weixin://x"}, serial="PUB_KEY_ID_NOT_CONFIGURED"))
    with pytest.raises(PaymentError) as caught:
        plugin.creatorkit_payment_operation(fund_request(), None)
    assert "PUB_KEY_ID_NOT_CONFIGURED" in str(caught.value)
    assert "never fetched" in str(caught.value), "no certificate download at answer time"


def test_a_stale_or_unsigned_answer_is_refused() -> None:
    identity = sandbox_identity()
    keys = PlatformKeys({identity.platform_serial: identity.platform_key.public_key()})
    recorded = RecordedWeChat({"ok": True})
    answer = recorded.handle_request(httpx.Request("GET", "https://api.mch.weixin.qq.com/v3/x"))
    now = recorded.wall.now()
    check_signed(answer.headers, answer.content, keys, now=now, tolerance=timedelta(minutes=5), what="it")
    with pytest.raises(SignatureError, match="stale"):
        check_signed(
            answer.headers,
            answer.content,
            keys,
            now=now + timedelta(minutes=6),
            tolerance=timedelta(minutes=5),
            what="it",
        )
    with pytest.raises(SignatureError, match=r"not signed: .*Wechatpay-Signature"):
        check_signed(httpx.Headers({}), b"", keys, now=now, tolerance=timedelta(minutes=5), what="it")
