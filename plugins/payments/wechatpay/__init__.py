"""creatorkit_payments.wechatpay: WeChat Pay APIv3 profit sharing (微信支付分账) as a payment provider, in CNY.

A brand pays a Native order frozen for profit sharing (FUND), the deal's milestones are split by amount among
receivers the merchant registered (RELEASE), splits are returned (分账回退, REVERSE) before the order is refunded
(REFUND). Calls go over the toolkit's httpx client, signed with the merchant's key; answers and notifications are
verified with WeChat Pay's configured keys. ``docs/payments/wechatpay.md`` says what it covers and what it does
not.

Settings (``[payments.wechatpay]``, see :data:`SETTINGS_SCHEMA`): ``mchid``, ``appid``, ``merchant_serial_no``,
``private_key`` and ``apiv3_key`` (secrets, from the environment), ``platform_keys`` (WeChat Pay public keys or
platform certificates by id), ``notify_url``, ``max_split_bp`` (default 3000), ``merchant_type``
(``ordinary``: 30 days of freezing; ``ecommerce``: 180), ``fee_rate_bp`` (default 60), ``webhook_tolerance_s``;
``sandbox.*`` for the in-memory WeChat Pay (:mod:`creatorkit_payments.wechatpay.sandbox`).
"""

from ._plugin import SETTINGS_SCHEMA, WeChatPayProfitSharing

__all__ = ["SETTINGS_SCHEMA", "WeChatPayProfitSharing"]
__version__ = "0.1.0"
