"""Against WeChat Pay itself, only when a merchant's credentials are in the environment (skipped otherwise).

WeChat Pay has no APIv3 sandbox, so this reads only: it asks for an order that does not exist, which WeChat can
answer only if it accepted the request's signature, and whose answer the plugin accepts only if WeChat's
signature verifies with the configured public key. Set ``WECHATPAY_MCHID``, ``WECHATPAY_APPID``,
``WECHATPAY_SERIAL_NO``, ``WECHATPAY_PRIVATE_KEY`` (PEM), ``WECHATPAY_APIV3_KEY``, ``WECHATPAY_PUBLIC_KEY_ID``
and ``WECHATPAY_PUBLIC_KEY`` (PEM).
"""

from __future__ import annotations

import os

import pytest
from creatorkit_payments.wechatpay import WeChatPayProfitSharing

from creatorkit.config import Mode, PluginSettings
from creatorkit.entities import OperationKind, ProviderRequest, new_id
from creatorkit.errors import NotFound
from creatorkit.host import PluginHost
from creatorkit.money import Money

REACHES_WECHAT_PAY = True
NAMES = ("MCHID", "APPID", "SERIAL_NO", "PRIVATE_KEY", "APIV3_KEY", "PUBLIC_KEY_ID", "PUBLIC_KEY")
ENV = {name: os.environ.get(f"WECHATPAY_{name}", "") for name in NAMES}

pytestmark = pytest.mark.skipif(not all(ENV.values()), reason="no WeChat Pay merchant credentials in WECHATPAY_*")


def test_wechat_pay_accepts_the_signature_and_its_answer_verifies() -> None:
    settings = {
        "mchid": ENV["MCHID"],
        "appid": ENV["APPID"],
        "merchant_serial_no": ENV["SERIAL_NO"],
        "private_key": ENV["PRIVATE_KEY"],
        "apiv3_key": ENV["APIV3_KEY"],
        "platform_keys": {ENV["PUBLIC_KEY_ID"]: ENV["PUBLIC_KEY"]},
        "notify_url": "https://merchant.example/wechatpay/notify",
    }
    host = PluginHost()
    configured = PluginSettings(name="wechatpay", section="payments", mode=Mode.LIVE, settings=settings)
    host.register(WeChatPayProfitSharing(), name="wechatpay", group="creatorkit.payments", settings=configured)
    never_placed = ProviderRequest(
        operation_id=new_id("op"), kind=OperationKind.FUND, amount=Money(1, "CNY"), deal_id="deal_probe", reason="probe"
    )
    with pytest.raises(NotFound):
        host.payments("wechatpay").retrieve(never_placed)
