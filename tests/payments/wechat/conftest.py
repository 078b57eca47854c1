"""What the WeChat Pay plugin's tests share: the plugin on its sandbox behind a host, with the network off; a
transport that answers recorded responses signed as WeChat Pay signs them; requests the tests make."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from creatorkit_payments.wechatpay import WeChatPayProfitSharing
from creatorkit_payments.wechatpay._crypto import sign_with, signed_message
from creatorkit_payments.wechatpay.conformance import RECEIVERS
from creatorkit_payments.wechatpay.sandbox import WeChatPaySandbox, sandbox_identity

from creatorkit import toolkit as tk
from creatorkit.entities import (
    LegRole,
    OperationKind,
    ProviderOperation,
    ProviderRequest,
    ReceiverLeg,
    SourceReference,
    new_id,
)
from creatorkit.host import PaymentClient
from creatorkit.money import Money
from creatorkit.testing import network_disabled
from creatorkit.testing._fixtures import sandboxed_host

FIXTURES = Path(__file__).resolve().parents[3] / "plugins" / "payments" / "wechatpay" / "fixtures"
REGISTERED = {"receivers": [{"type": "MERCHANT_ID", "account": account} for _, account in RECEIVERS]}
CREATOR, AGENCY = RECEIVERS


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def start(settings: Mapping[str, Any] | None = None) -> tuple[PaymentClient, WeChatPayProfitSharing]:
    """The plugin in sandbox mode behind a host; the sandbox knows the two conformance receivers."""
    plugin = WeChatPayProfitSharing()
    chosen = dict(settings or {})
    chosen["sandbox"] = {**REGISTERED, **chosen.get("sandbox", {})}
    host = sandboxed_host("wechatpay", "creatorkit.payments", chosen, plugin=plugin)
    return host.payments("wechatpay"), plugin


def sandbox_of(plugin: WeChatPayProfitSharing) -> WeChatPaySandbox:
    assert plugin.sandbox is not None
    return plugin.sandbox


@pytest.fixture(autouse=True)
def _offline(request: pytest.FixtureRequest) -> Iterator[None]:
    """No test reaches the network, but for the opt-in one against WeChat Pay itself (``REACHES_WECHAT_PAY``)."""
    if getattr(request.module, "REACHES_WECHAT_PAY", False):
        yield
        return
    with network_disabled():
        yield


@pytest.fixture
def wechat() -> tuple[PaymentClient, WeChatPayProfitSharing]:
    return start()


def fund_request(amount: int = 10_000) -> ProviderRequest:
    return ProviderRequest(
        operation_id=new_id("op"),
        kind=OperationKind.FUND,
        amount=Money(amount, "CNY"),
        deal_id="deal_wechat",
        reason="fund the deal",
    )


def legs(*parts: tuple[tuple[str, str], int], role: LegRole = LegRole.CREATOR) -> tuple[ReceiverLeg, ...]:
    return tuple(
        ReceiverLeg(party_id=party, account_ref=account, amount=Money(amount, "CNY"), role=role)
        for (party, account), amount in parts
    )


def release_request(
    fund: ProviderOperation,
    shares: tuple[ReceiverLeg, ...],
    *,
    final: bool = False,
    released: int = 0,
    operation_id: str | None = None,
) -> ProviderRequest:
    total = sum(leg.amount.amount for leg in shares)
    return ProviderRequest(
        operation_id=operation_id or new_id("op"),
        kind=OperationKind.RELEASE,
        amount=Money(total, "CNY"),
        deal_id="deal_wechat",
        reason="milestone 1",
        legs=shares,
        source=SourceReference(
            ref=fund.provider_ref,
            operation_id=fund.operation_id,
            amount=fund.amount,
            fee=fund.fee,
            released=Money(released, "CNY"),
        ),
        final=final,
    )


class RecordedWeChat(httpx.BaseTransport):
    """Answers every request with one recorded body and status, signed with the sandbox's WeChat Pay key."""

    def __init__(self, body: Any, status: int = 200, *, serial: str | None = None) -> None:
        self.body, self.status = body, status
        self.serial = serial or sandbox_identity().platform_serial
        self.requests: list[httpx.Request] = []
        self.wall = tk.FakeClock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        content = json.dumps(self.body, ensure_ascii=False).encode()
        timestamp = str(int(self.wall.now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "Request-ID": "08DE8EB3B90610A0D5A1E1C30118A9AE0B",
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": "F3A9A1B2C3D4E5F6A7B8C9D0E1F2A3B4",
            "Wechatpay-Serial": self.serial,
            "Wechatpay-Signature": sign_with(
                sandbox_identity().platform_key,
                signed_message(timestamp, "F3A9A1B2C3D4E5F6A7B8C9D0E1F2A3B4", content),
            ),
        }
        return httpx.Response(self.status, headers=headers, content=content)


def answering(plugin: WeChatPayProfitSharing, transport: httpx.BaseTransport) -> None:
    """Point ``plugin``'s client at ``transport`` (inside the signing layer), on the transport's clock."""
    from creatorkit_payments.wechatpay import _api
    from creatorkit_payments.wechatpay._crypto import MerchantSigner
    from creatorkit_payments.wechatpay._transport import SigningTransport

    identity = sandbox_identity()
    signer = MerchantSigner(identity.mchid, identity.merchant_serial, identity.merchant_key)
    wall = transport.wall.now if isinstance(transport, RecordedWeChat) else plugin.wall
    plugin.wall = wall
    config = tk.ApiConfig(platform="wechatpay", base_url=_api.BASE_URL, envelope=_api.ENVELOPE, errors=_api.ERRORS)
    plugin.client = tk.build_client(
        config, transport=SigningTransport(transport, signer, plugin.keys, wall=wall), wall=wall
    )
