"""The signing transport: every request signed as the merchant, every answer's signature checked, under the
toolkit's client.

It sits inside :func:`~creatorkit.toolkit.build_client`'s transport (the client's limiter, deadline, retries and
error mapping wrap it), so each attempt is signed anew with its own timestamp and nonce, and the header never
appears on the request httpx logs. An answer that should be signed and is not, or whose signature fails, raises
:class:`~creatorkit.errors.SignatureError`: its content cannot be trusted, so the caller treats the outcome as
unknown and re-reads it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx

from creatorkit.errors import SignatureError

from ._crypto import MerchantSigner, PlatformKeys, signed_message

__all__ = ["SigningTransport", "check_signed"]


def check_signed(
    headers: httpx.Headers,
    body: bytes,
    keys: PlatformKeys,
    *,
    now: datetime,
    tolerance: timedelta,
    what: str,
) -> None:
    """Verify WeChat Pay's signature headers over ``body``, and that they were made within ``tolerance`` of ``now``.

    :raises SignatureError: a header missing, a timestamp outside the tolerance (*stale*), an unknown serial, or a
        signature that does not verify.
    """
    timestamp = headers.get("Wechatpay-Timestamp")
    nonce = headers.get("Wechatpay-Nonce")
    signature = headers.get("Wechatpay-Signature")
    serial = headers.get("Wechatpay-Serial")
    missing = [
        name
        for name, value in (
            ("Wechatpay-Timestamp", timestamp),
            ("Wechatpay-Nonce", nonce),
            ("Wechatpay-Signature", signature),
            ("Wechatpay-Serial", serial),
        )
        if not value
    ]
    if missing:
        raise SignatureError(f"{what} is not signed: {', '.join(missing)} missing", signer=keys.signer)
    assert timestamp is not None and nonce is not None and signature is not None and serial is not None
    if not timestamp.isdigit():
        raise SignatureError(f"{what}: Wechatpay-Timestamp {timestamp!r} is not a Unix time", signer=keys.signer)
    skew = abs(now.timestamp() - int(timestamp))
    if skew > tolerance.total_seconds():
        raise SignatureError(
            f"{what} is stale: signed {int(skew)} s from when it was received (at most "
            f"{int(tolerance.total_seconds())} s allowed)",
            signer=keys.signer,
        )
    keys.verify(serial, signed_message(timestamp, nonce, body), signature)


class SigningTransport(httpx.BaseTransport):
    """Signs each request with ``signer`` and verifies each answer with ``keys`` (see the module's docstring).

    An error answer (4xx, 5xx) that carries no signature is let through unverified: WeChat's gateway can answer
    so, and an error moves no money; one that carries a signature must verify.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        signer: MerchantSigner,
        keys: PlatformKeys,
        *,
        wall: Callable[[], datetime],
        tolerance: timedelta = timedelta(minutes=5),
        nonce: Callable[[], str] | None = None,
    ) -> None:
        self.inner = inner
        self.signer = signer
        self.keys = keys
        self.wall = wall
        self.tolerance = tolerance
        self.nonce = nonce or (lambda: secrets.token_hex(16).upper())

    def __repr__(self) -> str:
        return f"<SigningTransport as {self.signer.mchid!r} over {type(self.inner).__name__}>"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        timestamp = str(int(self.wall().timestamp()))
        target = request.url.raw_path.decode("ascii")
        headers = httpx.Headers(request.headers)
        headers["Authorization"] = self.signer.authorization(request.method, target, timestamp, self.nonce(), body)
        headers.setdefault("Accept", "application/json")
        signed = httpx.Request(
            request.method, request.url, headers=headers, content=body, extensions=dict(request.extensions)
        )
        response = self.inner.handle_request(signed)
        response.read()
        if response.status_code < 400 or "Wechatpay-Signature" in response.headers:
            where = f"the answer to {request.method} {request.url.path}"
            check_signed(
                response.headers, response.content, self.keys, now=self.wall(), tolerance=self.tolerance, what=where
            )
        return response

    def close(self) -> None:
        self.inner.close()
