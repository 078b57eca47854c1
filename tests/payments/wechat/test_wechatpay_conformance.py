"""The WeChat Pay plugin passes the payment conformance kit, in CNY, on its sandbox."""

from creatorkit_payments.wechatpay.conformance import WeChatPayConformance


class TestWeChatPayConformance(WeChatPayConformance):
    """The suite as ``creatorkit plugins check wechatpay`` would run it."""
