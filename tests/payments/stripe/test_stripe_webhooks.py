"""Stripe's webhooks: verified by the stripe library on creatorkit's clock, read into notices."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from creatorkit_payments.stripe_connect.sandbox import event, event_body, signed_delivery

from creatorkit.entities import NoticeKind, WebhookRequest
from creatorkit.errors import SignatureError

from .conftest import FIXTURES, Deal, sandbox_of, start

SECRET = "whsec_test_webhooks"
AT = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


def _delivery(received_after: timedelta = timedelta(0)) -> WebhookRequest:
    body = (FIXTURES / "event_transfer_reversed.json").read_bytes()
    return signed_delivery(body, SECRET, signed_at=AT, received_at=AT + received_after)


def test_a_genuine_delivery_becomes_a_notice_naming_the_operation() -> None:
    provider, _ = start(webhook_secret=SECRET)
    notice = provider.receive_webhook(_delivery(timedelta(seconds=299))).notices[0]
    assert notice.kind is NoticeKind.REVERSAL and notice.event_type == "transfer.reversed"
    assert notice.event_id == "evt_1QxT9dLkdIwHu7ixV6d5e4F3"
    assert (notice.operation_id, notice.provider_ref) == ("op_kwd_release", "tr_1QxT4bLkdIwHu7ixq3V9s2Kd")


def test_a_stale_delivery_is_refused_on_the_kits_clock_not_the_machines() -> None:
    provider, _ = start(webhook_secret=SECRET)
    with pytest.raises(SignatureError, match="stale"):
        provider.receive_webhook(_delivery(timedelta(seconds=301)))


def test_a_bad_signature_a_missing_one_and_another_secrets_are_refused() -> None:
    provider, _ = start(webhook_secret=SECRET)
    good = _delivery()
    forged = signed_delivery(good.body, "whsec_someone_else", signed_at=AT)
    for request in (
        forged,
        attrs.evolve(good, headers={}),
        attrs.evolve(good, body=good.body.replace(b"250000", b"250001")),
    ):
        with pytest.raises(SignatureError):
            provider.receive_webhook(request)


def test_a_body_that_is_not_utf8_is_a_signature_error_not_a_crash() -> None:
    provider, _ = start(webhook_secret=SECRET)
    good = _delivery()
    with pytest.raises(SignatureError, match="UTF-8"):
        provider.receive_webhook(attrs.evolve(good, body=b"\xff\xfe" + good.body))


def test_a_signed_body_that_is_not_an_event_is_refused() -> None:
    provider, _ = start(webhook_secret=SECRET)
    with pytest.raises(SignatureError):
        provider.receive_webhook(signed_delivery(b"[1, 2]", SECRET, signed_at=AT))


def test_the_sandboxs_own_events_are_deliveries_the_plugin_accepts() -> None:
    provider, plugin = start(webhook_secret=SECRET)
    fund = provider.execute(Deal().fund())
    made = sandbox_of(plugin).events_about(fund.provider_ref)
    assert [e["type"] for e in made] == ["payment_intent.succeeded", "payment_intent.created"]
    notices = [provider.receive_webhook(signed_delivery(event_body(e), SECRET, signed_at=AT)).notices[0] for e in made]
    assert {n.operation_id for n in notices} == {fund.operation_id} and {n.kind for n in notices} == {
        NoticeKind.PAYMENT
    }


def test_a_connect_event_names_the_account() -> None:
    provider, _ = start(webhook_secret=SECRET)
    body = event_body(event("evt_acct", "payout.paid", {"id": "po_1", "object": "payout"}, created=1, account="acct_9"))
    notice = provider.receive_webhook(signed_delivery(body, SECRET, signed_at=AT)).notices[0]
    assert (notice.kind, notice.account_ref) == (NoticeKind.PAYOUT, "acct_9")
    assert json.loads(body)["account"] == "acct_9"
