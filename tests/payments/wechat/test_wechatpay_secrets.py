"""The merchant's private key and APIv3 key never show: not in reprs, not in configuration errors, not in errors."""

from __future__ import annotations

import pytest
from creatorkit_payments.wechatpay import WeChatPayProfitSharing
from creatorkit_payments.wechatpay.sandbox import sandbox_identity
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from creatorkit.config import Mode, PluginSettings
from creatorkit.errors import ConfigError
from creatorkit.host import PluginHost

APIV3_KEY = "a-live-apiv3-key-made-for-tests!"  # 32 characters, of no value anywhere


def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _live(**changes: object) -> tuple[PluginHost, WeChatPayProfitSharing, dict[str, object]]:
    settings: dict[str, object] = {
        "mchid": "1230000109",
        "appid": "wxd678efh567hg6787",
        "merchant_serial_no": "444F4864EA9B34415A1F8A3A1D3A5B3D00000000",
        "private_key": _pem(),
        "apiv3_key": APIV3_KEY,
        "platform_keys": {"PUB_KEY_ID_0112300001092026110100000000000001": sandbox_identity().platform_public_pem},
        "notify_url": "https://merchant.example/wechatpay/notify",
        **changes,
    }
    plugin = WeChatPayProfitSharing()
    host = PluginHost(validate_outputs=True)
    configured = PluginSettings(name="wechatpay", section="payments", mode=Mode.LIVE, settings=settings)
    host.register(plugin, name="wechatpay", group="creatorkit.payments", settings=configured)
    return host, plugin, settings


def _body(pem: object) -> str:
    return str(pem).splitlines()[1]


def test_nothing_the_plugin_shows_holds_a_key() -> None:
    host, plugin, settings = _live()
    shown = " ".join(
        repr(thing) for thing in (plugin, plugin.client, plugin.keys, vars(plugin), plugin.client._transport)
    )
    assert _body(settings["private_key"]) not in shown and APIV3_KEY not in shown
    assert plugin.sandbox is None and "live" in repr(plugin)
    assert host.marked_secrets()["wechatpay"] == {"private_key", "apiv3_key"}, "the schema marks both writeOnly"


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"apiv3_key": "too-short-" + APIV3_KEY[:10]}, "apiv3_key"),
        (
            {"private_key": "-----BEGIN PRIVATE KEY-----\nTHISISNOTAKEYSECRETTEXT\n-----END PRIVATE KEY-----"},
            "private_key",
        ),
        ({"platform_keys": {"PUB_KEY_ID_X": "garbage"}}, "platform_keys.PUB_KEY_ID_X"),
    ],
)
def test_a_bad_key_is_named_and_not_quoted(changes: dict[str, object], path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _live(**changes)
    text = str(caught.value)
    assert f"payments.wechatpay.{path}" in text
    for value in changes.values():
        if isinstance(value, str):
            assert value not in text and "THISISNOTAKEYSECRETTEXT" not in text


def test_live_mode_says_every_missing_setting_at_once() -> None:
    plugin = WeChatPayProfitSharing()
    configured = PluginSettings(name="wechatpay", section="payments", mode=Mode.LIVE, settings={"mchid": "1230000109"})
    with pytest.raises(ConfigError) as caught:
        PluginHost().register(plugin, name="wechatpay", group="creatorkit.payments", settings=configured)
    paths = {problem.path for problem in caught.value.problems}
    assert paths == {
        f"payments.wechatpay.{key}"
        for key in ("appid", "merchant_serial_no", "private_key", "apiv3_key", "platform_keys", "notify_url")
    }
