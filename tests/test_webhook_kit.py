"""The conformance kit's webhook tests fail for the plugins they are meant to catch.

Each broken plugin below is echo with one mistake an author could make; the kit's own test for that mistake is
run against it (the way pytest would, with the host and kit it builds) and must fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
import test_echo_conformance as platform_suite
import test_echo_payments_conformance as payments_suite

from creatorkit import Creatorkit, PluginHost, SignatureError, hookimpl
from creatorkit.audit import AuditKeys
from creatorkit.config import Mode, PluginSettings
from creatorkit.entities import WebhookRequest, WebhookResult, new_id
from creatorkit.store import open_store
from creatorkit.testing._webhooks import RECEIVED_AT
from creatorkit_echo import EchoPayments, EchoPlatform, webhooks

Failed = pytest.fail.Exception


def host_with(plugin: object, name: str, section: str, settings: dict[str, object]) -> PluginHost:
    host = PluginHost(validate_outputs=True)
    group = f"creatorkit.{section}"
    host.register(
        plugin,
        name=name,
        group=group,
        settings=PluginSettings(name=name, section=section, mode=Mode.SANDBOX, settings=settings),
    )
    return host


def kit_for(host: PluginHost) -> Creatorkit:
    return Creatorkit(store=open_store(":memory:", audit_keys=AuditKeys()), plugins=host, clock=lambda: RECEIVED_AT)


# -- broken payment providers --------------------------------------------------------------------------------


class ReadsItsOwnClock(EchoPayments):
    """Judges the signed time by the wall clock, not by when the delivery was received."""

    @hookimpl
    def creatorkit_receive_webhook(self, request: WebhookRequest) -> WebhookResult:
        return super().creatorkit_receive_webhook(attrs.evolve(request, received_at=datetime.now(UTC)))


class IgnoresTheTime(EchoPayments):
    """Accepts a signed time ten years old: a captured delivery could be replayed at will."""

    @hookimpl
    def creatorkit_configure(self, settings: Mapping[str, Any]) -> None:
        super().creatorkit_configure(settings)
        self.webhook_tolerance = timedelta(days=3650)


class NewIdEachTime(EchoPayments):
    """Makes up an event id on every delivery, so a replay looks new."""

    @hookimpl
    def creatorkit_receive_webhook(self, request: WebhookRequest) -> WebhookResult:
        result = super().creatorkit_receive_webhook(request)
        notices = tuple(attrs.evolve(notice, event_id=new_id("evt")) for notice in result.notices)
        return attrs.evolve(result, notices=notices)


class TrustsTheBody(EchoPayments):
    """Reads the event without checking its signature."""

    @hookimpl
    def creatorkit_receive_webhook(self, request: WebhookRequest) -> WebhookResult:
        try:
            return WebhookResult(notices=(webhooks.payment_notice(self.name, request),))
        except SignatureError:
            return WebhookResult()


@pytest.fixture
def payments() -> Iterator[Callable[[object], tuple[PluginHost, Creatorkit]]]:
    kits: list[Creatorkit] = []

    def make(plugin: object) -> tuple[PluginHost, Creatorkit]:
        host = host_with(plugin, "echo_pay", "payments", dict(payments_suite.TestEchoPaymentsConformance.settings))
        kits.append(kit_for(host))
        return host, kits[-1]

    yield make
    for kit in kits:
        kit.close()


SUITE = payments_suite.TestEchoPaymentsConformance()


def test_the_suite_passes_echo_pay_itself(payments: Callable[[object], tuple[PluginHost, Creatorkit]]) -> None:
    host, kit = payments(EchoPayments())
    SUITE.test_a_genuine_delivery_becomes_notices_and_an_acknowledgement(host)
    SUITE.test_a_stale_delivery_is_refused(host)
    SUITE.test_a_replayed_delivery_is_refused_by_the_core(host, kit)
    SUITE.test_a_changed_byte_is_refused(host)


def test_a_plugin_reading_its_own_clock_fails(payments: Callable[[object], tuple[PluginHost, Creatorkit]]) -> None:
    host, _ = payments(ReadsItsOwnClock())
    with pytest.raises(SignatureError):
        SUITE.test_a_genuine_delivery_becomes_notices_and_an_acknowledgement(host)


def test_a_plugin_ignoring_the_signed_time_fails(payments: Callable[[object], tuple[PluginHost, Creatorkit]]) -> None:
    host, _ = payments(IgnoresTheTime())
    with pytest.raises(Failed, match="DID NOT RAISE"):
        SUITE.test_a_stale_delivery_is_refused(host)


def test_a_plugin_making_up_event_ids_fails(payments: Callable[[object], tuple[PluginHost, Creatorkit]]) -> None:
    host, kit = payments(NewIdEachTime())
    with pytest.raises(AssertionError, match="accepted already"):
        SUITE.test_a_replayed_delivery_is_refused_by_the_core(host, kit)


def test_a_plugin_trusting_the_body_fails(payments: Callable[[object], tuple[PluginHost, Creatorkit]]) -> None:
    host, _ = payments(TrustsTheBody())
    with pytest.raises(Failed, match="DID NOT RAISE"):
        SUITE.test_a_changed_byte_is_refused(host)


# -- a broken platform ---------------------------------------------------------------------------------------


class WelcomesAnyone(EchoPlatform):
    """Answers any subscription handshake, whatever verify token it presents."""

    @hookimpl
    def creatorkit_receive_webhook(self, request: WebhookRequest) -> WebhookResult:
        self.verify_token = request.query.get("hub.verify_token", self.verify_token)
        return super().creatorkit_receive_webhook(request)


def test_a_platform_answering_a_forged_handshake_fails() -> None:
    suite = platform_suite.TestEchoConformance()
    host = host_with(WelcomesAnyone(), "echo", "platforms", dict(suite.settings))
    with kit_for(host) as kit, pytest.raises(Failed, match="DID NOT RAISE"):
        suite.test_a_handshake_gets_its_reply_and_no_notices(host, kit)
