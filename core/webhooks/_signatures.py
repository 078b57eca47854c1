"""What every timestamped webhook signature needs, whatever the sender: its header read, its time judged.

Stripe (``Stripe-Signature: t=…,v1=…``), TikTok (``TikTok-Signature: t=…,s=…``) and echo sign a Unix timestamp
with the body; WeChat Pay sends ``Wechatpay-Timestamp`` beside its signature. A plugin checks its own MAC or
signature (that is the sender's quirk), and these helpers do the rest alike for all of them: parse the
comma-separated header, read the timestamp, and refuse a delivery signed too long before ``received_at`` — the
kit's clock, never the plugin's own — as *stale*.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..errors import SignatureError

__all__ = ["check_freshness", "signature_fields", "signed_time"]


def signature_fields(header: str | None, *, signer: str, name: str) -> dict[str, list[str]]:
    """The ``key=value`` pairs of a comma-separated signature header, each key with every value it was given.

    ``t=1700000000,v1=ab…,v1=cd…`` gives ``{"t": ["1700000000"], "v1": ["ab…", "cd…"]}`` (Stripe sends one
    ``v1`` per secret while one is being rolled). A missing header, or a part without ``=``, is a
    :class:`SignatureError` naming the header (``name``) and the plugin (``signer``).
    """
    if not header:
        raise SignatureError(f"the {name} header is missing", signer=signer)
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, equals, value = part.strip().partition("=")
        if not equals or not key or not value:
            raise SignatureError(f"the {name} header is malformed: expected key=value pairs", signer=signer)
        fields.setdefault(key, []).append(value)
    return fields


def signed_time(unix_seconds: str | None, *, signer: str, name: str) -> datetime:
    """The instant a sender's Unix timestamp (whole seconds, as text) names, in UTC; malformed is a SignatureError."""
    if unix_seconds is None or not unix_seconds.isascii() or not unix_seconds.isdigit() or len(unix_seconds) > 12:
        raise SignatureError(f"the {name} timestamp is missing or not whole Unix seconds", signer=signer)
    try:
        return datetime.fromtimestamp(int(unix_seconds), UTC)
    except (ValueError, OverflowError, OSError):  # twelve digits reach past year 9999
        raise SignatureError(f"the {name} timestamp names no date", signer=signer) from None


def check_freshness(
    signed_at: datetime,
    received_at: datetime,
    *,
    tolerance: timedelta,
    ahead: timedelta | None,
    signer: str,
) -> None:
    """Refuse a delivery signed more than ``tolerance`` before it was received, as stale.

    ``ahead`` bounds how far the signing time may be *after* ``received_at`` (the two clocks disagree by that
    much at most): WeChat Pay's five minutes hold both ways; Stripe's library refuses only the old, which is
    ``ahead=None``. A signature is valid forever, so a captured request could be sent again at will; the
    tolerance is what limits a replay to minutes, and the core's record of accepted event ids refuses it within
    them.
    """
    age = received_at - signed_at
    if age > tolerance:
        raise SignatureError(
            f"stale delivery: signed {_seconds(age)} before it was received, more than the "
            f"{_seconds(tolerance)} allowed",
            signer=signer,
        )
    if ahead is not None and -age > ahead:
        raise SignatureError(
            f"a delivery signed {_seconds(-age)} after it was received, more than the {_seconds(ahead)} the clocks "
            "may disagree by",
            signer=signer,
        )


def _seconds(span: timedelta) -> str:
    return f"{span.total_seconds():g} s"
