"""Webhooks v2: requests in, notices and a reply out; each event accepted once, on SQLite and PostgreSQL alike.

The service tests use the ``kit`` fixture (tests/world.py: a kit on each store dialect, echo registered, a
listener collecting events) and echo's sandbox signers, so every delivery is genuine unless a test spoils it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from creatorkit import (
    Creatorkit,
    PluginContractError,
    PluginHost,
    SignatureError,
    ValidationError,
    hookimpl,
)
from creatorkit.entities import (
    Capability,
    NoticeKind,
    PluginKind,
    PluginMetadata,
    WebhookNotice,
    WebhookReply,
    WebhookRequest,
    WebhookResult,
)
from creatorkit.errors import CapabilityMissing
from creatorkit.webhooks import ACCEPTED, check_freshness, signature_fields, signed_time
from creatorkit_echo import SANDBOX_VERIFY_TOKEN, SANDBOX_WEBHOOK_SECRET, EchoPayments, EchoPlatform, webhooks
from world import Clock

HAPPENED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def batch(*changes: tuple[str, dict[str, Any]], account: str = "echo-0003") -> bytes:
    return webhooks.platform_batch(account, list(changes), HAPPENED)


POST = ("post", {"id": "video_1", "verb": "published", "reference": "deal_1"})
ORDER = ("order", {"id": "ord_1", "verb": "accepted"})
MESSAGE = ("messages", {"id": "msg_1"})


@pytest.fixture
def deliver(kit: Creatorkit, clock: Clock) -> Callable[..., WebhookRequest]:
    """``deliver(body)``: a genuine echo delivery of ``body``, signed and received now on the kit's clock."""

    def make(body: bytes, *, signed_at: datetime | None = None) -> WebhookRequest:
        return webhooks.platform_request(
            SANDBOX_WEBHOOK_SECRET, body, signed_at=signed_at or clock(), received_at=clock()
        )

    return make


def accepted_actions(kit: Creatorkit) -> list[str]:
    return [event.entity_id for event in kit.store.iter_audit() if event.action == ACCEPTED]


# -- the request ---------------------------------------------------------------------------------------------


class TestRequest:
    def test_headers_are_case_insensitive_and_query_is_parsed(self) -> None:
        request = WebhookRequest(
            method="post",
            headers=[("Stripe-Signature", "t=1,v1=a"), ("X-Many", "1"), ("x-many", "2")],
            query="hub.mode=subscribe&hub.challenge=9",
            body=b"{}",
            received_at=HAPPENED,
        )
        assert request.method == "POST"
        assert request.header("stripe-signature") == request.header("STRIPE-SIGNATURE") == "t=1,v1=a"
        assert request.headers.get_list("x-many") == ["1", "2"]
        assert request.query.get("hub.challenge") == "9"
        assert request.header("absent") is None

    def test_the_callers_headers_stay_its_own(self) -> None:
        given = {"A": "1"}
        request = WebhookRequest(method="POST", headers=given, received_at=HAPPENED)
        given["A"] = "2"
        assert request.header("a") == "1"

    def test_text_for_the_body_is_refused_naming_it(self) -> None:
        with pytest.raises(ValidationError) as caught:
            WebhookRequest(method="POST", body="{}", received_at=HAPPENED)  # type: ignore[arg-type]
        assert caught.value.paths == ["body"]
        assert WebhookRequest(method="POST", body=bytearray(b"x"), received_at=HAPPENED).body == b"x"

    @pytest.mark.parametrize("when", [datetime(2026, 3, 2, 8, 0), "2026-03-02T08:00:00Z"], ids=["naive", "text"])
    def test_received_at_must_be_an_aware_datetime(self, when: Any) -> None:
        with pytest.raises(ValidationError) as caught:
            WebhookRequest(method="POST", received_at=when)
        assert caught.value.paths == ["received_at"]

    def test_a_method_is_required(self) -> None:
        with pytest.raises(ValidationError) as caught:
            WebhookRequest(method=" ", received_at=HAPPENED)
        assert caught.value.paths == ["method"]


class TestReplies:
    def test_a_reply_is_an_acknowledgement(self) -> None:
        with pytest.raises(ValueError, match="must be a success status") as caught:
            WebhookReply(status=403)
        assert getattr(caught.value, "field", None) == "status"

    def test_the_builders(self) -> None:
        assert WebhookReply.text("42") == WebhookReply(headers={"content-type": "text/plain; charset=utf-8"}, body="42")
        reply = WebhookReply.json({"code": "SUCCESS", "message": "成功"}, status=204)
        assert json.loads(reply.body) == {"code": "SUCCESS", "message": "成功"}
        assert reply.status == 204 and reply.headers == {"content-type": "application/json"}


# -- the signature helpers -----------------------------------------------------------------------------------


class TestSignatureHelpers:
    def test_fields_keep_every_value_of_a_key(self) -> None:
        assert signature_fields("t=12, v1=aa,v1=bb,v0=cc", signer="x", name="H") == {
            "t": ["12"],
            "v1": ["aa", "bb"],
            "v0": ["cc"],
        }

    @pytest.mark.parametrize("header", [None, "", "t=1,v1", "t=1,,v1=a", "=a"])
    def test_a_missing_or_malformed_header_is_a_signature_error(self, header: str | None) -> None:
        with pytest.raises(SignatureError, match="Stripe-Signature") as caught:
            signature_fields(header, signer="stripe", name="Stripe-Signature")
        assert caught.value.signer == "stripe"

    def test_signed_time_is_whole_unix_seconds(self) -> None:
        assert signed_time("1772438400", signer="x", name="H") == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
        for bad in (None, "", "-5", "1.5", "１２", "9" * 13):
            with pytest.raises(SignatureError):
                signed_time(bad, signer="x", name="H")

    def test_freshness_is_judged_against_received_at(self) -> None:
        tolerance = timedelta(seconds=300)
        check_freshness(HAPPENED, HAPPENED + tolerance, tolerance=tolerance, ahead=None, signer="x")
        with pytest.raises(SignatureError, match="stale delivery: signed 301 s before"):
            check_freshness(HAPPENED, HAPPENED + timedelta(seconds=301), tolerance=tolerance, ahead=None, signer="x")
        # Stripe refuses only the old; WeChat Pay's five minutes hold both ways.
        check_freshness(HAPPENED + timedelta(hours=1), HAPPENED, tolerance=tolerance, ahead=None, signer="x")
        with pytest.raises(SignatureError, match="after it was received"):
            check_freshness(
                HAPPENED + timedelta(seconds=301), HAPPENED, tolerance=tolerance, ahead=tolerance, signer="x"
            )


# -- the service ---------------------------------------------------------------------------------------------


class TestReceiving:
    def test_a_batch_is_accepted_audited_and_announced(
        self, kit: Creatorkit, deliver: Callable[..., WebhookRequest], events: list[Any]
    ) -> None:
        request = deliver(batch(POST, ORDER))
        received = kit.webhooks.receive("echo", request)
        assert [(n.kind, n.provider_ref, n.operation_id) for n in received.notices] == [
            (NoticeKind.POST, "video_1", "deal_1"),
            (NoticeKind.ORDER, "ord_1", None),
        ]
        assert received.duplicates == ()
        assert received.reply == WebhookReply()
        ids = [notice.event_id for notice in received.notices]
        assert accepted_actions(kit) == [f"echo/{event_id}" for event_id in ids]
        announced = [event for event in events if event.name == ACCEPTED]
        assert [event.entity_id for event in announced] == [f"echo/{event_id}" for event_id in ids]
        assert announced[0].data["kind"] == "post" and announced[0].data["account_ref"] == "echo-0003"
        rows = {row.event_id: row for row in kit.webhooks.accepted("echo", ids)}
        assert set(rows) == set(ids)
        assert rows[ids[0]].received_at == request.received_at
        assert rows[ids[0]].occurred_at == HAPPENED
        assert rows[ids[0]].kind == "post" and rows[ids[0]].provider_ref == "video_1"

    def test_a_replay_is_dropped_writing_nothing(self, kit: Creatorkit, deliver: Callable[..., WebhookRequest]) -> None:
        request = deliver(batch(POST, ORDER))
        first = kit.webhooks.receive("echo", request)
        head = kit.store.audit_head()
        again = kit.webhooks.receive("echo", request)
        assert again.notices == ()
        assert [n.event_id for n in again.duplicates] == [n.event_id for n in first.notices]
        assert again.reply == first.reply
        assert kit.store.audit_head() == head

    def test_only_the_new_events_of_a_delivery_are_accepted(
        self, kit: Creatorkit, deliver: Callable[..., WebhookRequest], clock: Clock
    ) -> None:
        kit.webhooks.receive("echo", deliver(batch(POST)))
        clock.advance(seconds=5)
        received = kit.webhooks.receive("echo", deliver(batch(POST, MESSAGE)))
        assert [n.kind for n in received.notices] == [NoticeKind.MESSAGE]
        assert [n.kind for n in received.duplicates] == [NoticeKind.POST]
        assert len(accepted_actions(kit)) == 2

    def test_an_event_twice_in_one_delivery_is_accepted_once(
        self, kit: Creatorkit, deliver: Callable[..., WebhookRequest]
    ) -> None:
        received = kit.webhooks.receive("echo", deliver(batch(POST, ORDER, POST)))
        assert [n.kind for n in received.notices] == [NoticeKind.POST, NoticeKind.ORDER]
        assert [n.kind for n in received.duplicates] == [NoticeKind.POST]

    def test_event_ids_are_unique_per_source_only(
        self, kit: Creatorkit, deliver: Callable[..., WebhookRequest]
    ) -> None:
        kit.plugins.register(EchoPlatform(name="echo_two"), name="echo_two")
        request = deliver(batch(POST))
        assert len(kit.webhooks.receive("echo", request).notices) == 1
        assert len(kit.webhooks.receive("echo_two", request).notices) == 1

    def test_a_forged_delivery_writes_nothing(self, kit: Creatorkit, deliver: Callable[..., WebhookRequest]) -> None:
        request = deliver(batch(POST))
        head = kit.store.audit_head()
        for forged in (
            attrs.evolve(request, body=request.body.replace(b"video_1", b"video_2")),
            webhooks.platform_request(b"not-the-secret", request.body, signed_at=request.received_at),
        ):
            with pytest.raises(SignatureError, match="does not match") as caught:
                kit.webhooks.receive("echo", forged)
            assert caught.value.signer == "echo"
        assert kit.store.audit_head() == head

    def test_a_stale_delivery_is_refused_saying_so_and_writes_nothing(
        self, kit: Creatorkit, deliver: Callable[..., WebhookRequest], clock: Clock
    ) -> None:
        request = deliver(batch(POST), signed_at=clock() - timedelta(seconds=301))
        head = kit.store.audit_head()
        with pytest.raises(SignatureError, match="stale delivery"):
            kit.webhooks.receive("echo", request)
        assert kit.store.audit_head() == head
        assert kit.webhooks.accepted("echo", ["anything"]) == []
        # Within the tolerance the same signature is good: the plugin judged it by received_at, not its own clock.
        fresh = deliver(batch(POST), signed_at=clock() - timedelta(seconds=299))
        assert kit.webhooks.receive("echo", fresh).notices

    def test_the_handshake_is_answered_and_writes_nothing(self, kit: Creatorkit, clock: Clock) -> None:
        head = kit.store.audit_head()
        received = kit.webhooks.receive(
            "echo", webhooks.handshake_request(SANDBOX_VERIFY_TOKEN, "1158201444", received_at=clock())
        )
        assert received.reply == WebhookReply.text("1158201444")
        assert received.notices == received.duplicates == ()
        with pytest.raises(SignatureError, match="verify_token"):
            kit.webhooks.receive("echo", webhooks.handshake_request("guess", "1", received_at=clock()))
        assert kit.store.audit_head() == head

    def test_a_payment_provider_acknowledges_as_its_sender_expects(self, kit: Creatorkit, clock: Clock) -> None:
        kit.plugins.register(EchoPayments(), name="echo_pay", group="creatorkit.payments")
        body = webhooks.payment_event(
            "evt_9", "refund.succeeded", operation_id="op_9", provider_ref=None, created=clock()
        )
        received = kit.webhooks.receive(
            "echo_pay", webhooks.payment_request(SANDBOX_WEBHOOK_SECRET, body, signed_at=clock())
        )
        [notice] = received.notices
        assert (notice.kind, notice.event_type, notice.operation_id) == (NoticeKind.REFUND, "refund.succeeded", "op_9")
        assert json.loads(received.reply.body) == {"code": "SUCCESS", "message": "OK"}
        assert received.reply.headers == {"content-type": "application/json"}

    def test_a_plugin_without_webhooks_is_told_so(
        self, kit: Creatorkit, deliver: Callable[..., WebhookRequest]
    ) -> None:
        kit.plugins.register(QuietPlatform(), name="quiet")
        with pytest.raises(CapabilityMissing):
            kit.webhooks.receive("quiet", deliver(batch(POST)))

    def test_what_is_not_a_request_is_refused(self, kit: Creatorkit) -> None:
        with pytest.raises(ValidationError) as caught:
            kit.webhooks.receive("echo", {"body": b""})  # type: ignore[arg-type]
        assert caught.value.paths == ["request"]


def notice(source: str, event_id: str = "evt_1", **fields: Any) -> WebhookNotice:
    return WebhookNotice(
        source=source, event_id=event_id, kind=NoticeKind.OTHER, event_type="x", received_at=HAPPENED, **fields
    )


class Answering:
    """A platform whose webhook hook answers ``result`` whatever it is sent."""

    def __init__(
        self, result: WebhookResult | None, *, name: str = "liar", capabilities: frozenset[Capability] | None = None
    ) -> None:
        self.result = result
        self.name = name
        self.capabilities = frozenset({Capability.WEBHOOKS}) if capabilities is None else capabilities

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name=self.name, kind=PluginKind.PLATFORM, display_name="x", capabilities=self.capabilities
        )

    @hookimpl
    def creatorkit_receive_webhook(self, request: WebhookRequest) -> WebhookResult | None:
        return self.result


class QuietPlatform:
    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(name="quiet", kind=PluginKind.PLATFORM, display_name="no webhooks")


class TestTheContract:
    def test_a_notice_naming_another_source_is_a_contract_breach(self, kit: Creatorkit, clock: Clock) -> None:
        kit.plugins.register(Answering(WebhookResult(notices=(notice("liar"), notice("stripe", "evt_2")))), name="liar")
        head = kit.store.audit_head()
        with pytest.raises(PluginContractError) as caught:
            kit.webhooks.receive("liar", WebhookRequest(method="POST", received_at=clock()))
        assert caught.value.hook == "creatorkit_receive_webhook"
        assert [(p.path, p.message) for p in caught.value.problems] == [
            ("notices[1].source", "says 'stripe', not 'liar'")
        ]
        assert kit.store.audit_head() == head

    @pytest.mark.parametrize("bad", ["evt\x00", "evt\udc80"], ids=["nul", "surrogate"])
    def test_an_event_id_no_store_can_keep_is_refused_naming_it(self, kit: Creatorkit, clock: Clock, bad: str) -> None:
        result = WebhookResult(notices=(notice("liar", "evt_ok"), notice("liar", bad)))
        kit.plugins.register(Answering(result), name="liar")
        head = kit.store.audit_head()
        with pytest.raises(ValidationError) as caught:
            kit.webhooks.receive("liar", WebhookRequest(method="POST", received_at=clock()))
        assert caught.value.paths == ["event_id"]
        assert kit.store.audit_head() == head
        assert kit.webhooks.accepted("liar", ["evt_ok"]) == []

    def test_a_v1_plugin_is_told_what_replaced_its_webhook_hook(self) -> None:
        class V1Payments:
            @hookimpl
            def creatorkit_plugin_metadata(self) -> PluginMetadata:
                return PluginMetadata(name="old", kind=PluginKind.PAYMENT, display_name="v1")

            @hookimpl
            def creatorkit_parse_webhook(self, headers: Any, body: bytes) -> None:
                return None

        with pytest.raises(PluginContractError) as caught:
            PluginHost().register(V1Payments(), name="old", group="creatorkit.payments")
        assert caught.value.hook == "registration"
        assert "creatorkit_parse_webhook" in [problem.path for problem in caught.value.problems]
        assert "creatorkit_receive_webhook(request: WebhookRequest) -> WebhookResult" in str(caught.value)


# -- racing deliveries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("round", range(4))
def test_racing_deliveries_accept_each_event_once(kit: Creatorkit, clock: Clock, round: int) -> None:
    """Threads with connections of their own deliver overlapping batches in opposite orders at once: every event
    is accepted exactly once, and (rows inserted in the order of their ids) no delivery fails on a deadlock."""
    changes = [("post", {"id": f"video_{round}_{i}"}) for i in range(6)]
    bodies = [batch(*changes), batch(*reversed(changes)), batch(*changes[::2]), batch(*changes[1::2])]
    start = threading.Barrier(len(bodies) * 2)
    accepted: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def deliver(body: bytes) -> None:
        request = webhooks.platform_request(SANDBOX_WEBHOOK_SECRET, body, signed_at=clock())
        start.wait()
        try:
            received = kit.webhooks.receive("echo", request)
        except BaseException as exc:  # a failure in a thread is reported by the test, not lost
            with lock:
                failures.append(exc)
            return
        with lock:
            accepted.extend(notice.event_id for notice in received.notices)

    threads = [threading.Thread(target=deliver, args=(body,)) for body in bodies * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(accepted) == len(set(accepted)) == len(changes)
