"""Platform orders (contract v2): the intent is stored before the platform is called, so no crash duplicates an order.

Each test places the order of an executed deal on echo, whose marketplace treats the idempotency key as the
platform would (the same key yields the same orders) and counts every call that reaches it.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import attrs
import pytest

from creatorkit import Actor, CallContext, hookimpl
from creatorkit.converter import structure
from creatorkit.entities import (
    Capability,
    Connection,
    Contract,
    DeliverableType,
    OrderIntent,
    OrderIntentStatus,
    OrderPlacement,
    OrderStatus,
    PlatformOrder,
    PlatformOrderRequest,
    UsageRights,
)
from creatorkit.errors import (
    CapabilityMissing,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    PluginContractError,
    StateError,
    Transient,
    ValidationError,
)
from creatorkit.signing import sign_contract_hash
from creatorkit.tokens import TOKEN_KEY_ENV, generate_token_key
from creatorkit.workflow.contracting import _contracts
from creatorkit_echo import EchoPlatform, consent
from world import START, World

DRAFT_DUE = START + timedelta(days=20)


def _executed(world: World, **draft: Any) -> tuple[Any, Contract]:
    deal = world.agree()
    template = world.kit.contracts.create_template(world.brand, name="Standard", body="{{ brand.name }} agreement")
    contract = world.kit.contracts.draft(world.brand, deal.id, template_id=template.id, draft_due=DRAFT_DUE, **draft)
    for actor in (world.brand, world.creator):
        signature = sign_contract_hash(world.keys[actor.id][0], contract.content_hash)
        contract = world.kit.contracts.sign(
            actor, contract.id, signature=signature, contract_hash=contract.content_hash
        )
    return deal, contract


def _echo(world: World) -> EchoPlatform:
    plugin = world.kit.plugins.pm.get_plugin("echo")
    assert isinstance(plugin, EchoPlatform)
    return plugin


def _connected(world: World, monkeypatch: pytest.MonkeyPatch) -> Connection:
    """The brand's echo connection, through echo's OAuth consent."""
    monkeypatch.setenv(TOKEN_KEY_ENV, generate_token_key())
    started = world.kit.connections.start(world.brand, platform="echo")
    connection: Connection = world.kit.connections.finish(world.brand, redirect_url=consent(started.url))
    return connection


class SeesContexts(EchoPlatform):
    """echo, keeping the call context each order was placed with."""

    def __init__(self) -> None:
        super().__init__()
        self.contexts: list[CallContext | None] = []

    @hookimpl
    def creatorkit_place_order(  # type: ignore[override]
        self, request: PlatformOrderRequest, context: CallContext | None
    ) -> OrderPlacement:
        self.contexts.append(context)
        return super().creatorkit_place_order(request)


def _swap(world: World, plugin: object) -> None:
    world.kit.plugins.unregister("echo")
    world.kit.plugins.register(plugin, name="echo")


def _intents(world: World, deal_id: str) -> list[OrderIntent]:
    with world.kit.store.read() as tx:
        return [structure(r.doc, OrderIntent) for r in tx.find("order_intent", parent=deal_id)]


def _stored_orders(world: World, deal_id: str) -> list[str]:
    with world.kit.store.read() as tx:
        return [r.id for r in tx.find("platform_order", parent=deal_id)]


def _actions(world: World) -> list[str]:
    return [event.action for event in world.kit.store.iter_audit()]


class Crash(BaseException):
    """The process dying: not an error any code path catches."""


# -- placing once ----------------------------------------------------------------------------------------------


def test_an_executed_deal_is_placed_once_one_order_per_creator(world, monkeypatch):
    deal, contract = _executed(world, usage_rights=UsageRights(paid_ads=True, duration_days=30))
    connection = _connected(world, monkeypatch)
    echo = SeesContexts()
    _swap(world, echo)

    placement = world.kit.contracts.place_platform_order(world.brand, deal.id, connection_id=connection.id)
    again = world.kit.contracts.place_platform_order(world.brand, deal.id)

    assert again == placement and len(echo.order_calls) == 1, "a recorded placement is returned, not placed again"
    [order] = placement.orders
    assert (order.creator_handle, order.status, order.raw_status) == (
        "echo_creator_03",
        OrderStatus.PENDING,
        "AWAITING_CREATOR",
    )
    assert placement.failed == ()
    [request] = echo.order_calls
    assert (request.deal_id, request.price, request.attempt) == (deal.id, contract.price, 1)
    assert request.connection_id == connection.id
    [context] = echo.contexts
    assert context is not None
    assert context.connection == connection and context.tokens is not None, "the order goes with the connection"
    assert context.tokens.access_token(), "its token source opens the connection's sealed token"
    assert request.brand_name == "Lumen Cosmetics" and request.creator_handles == ("echo_creator_03",)
    [deliverable] = request.deliverables
    assert (deliverable.kind, deliverable.count, deliverable.ad_authorization_days) == (
        DeliverableType.SHORT_VIDEO,
        1,
        30,
    )
    assert deliverable.due == contract.clauses.timeline.publish_by
    [intent] = _intents(world, deal.id)
    assert intent.status is OrderIntentStatus.PLACED and intent.request.idempotency_key == request.idempotency_key
    assert intent.placement == placement and intent.in_flight_until is None
    assert _stored_orders(world, deal.id) == [f"echo:{order.order_id}"]
    assert {"platform_order.intent", "platform_order.place", "platform_order.placed"} <= set(_actions(world))


def test_without_paid_ads_no_authorisation_is_asked(world):
    deal, _ = _executed(world)

    world.kit.contracts.place_platform_order(world.brand, deal.id)

    [request] = _echo(world).order_calls
    assert [d.ad_authorization_days for d in request.deliverables] == [None]


def test_paid_ads_without_an_end_cannot_be_asked_of_a_platform(world):
    deal, _ = _executed(world, usage_rights=UsageRights(paid_ads=True, duration_days=None))

    with pytest.raises(ValidationError) as refused:
        world.kit.contracts.place_platform_order(world.brand, deal.id)

    assert refused.value.paths == ["clauses.usage_rights.duration_days"]
    assert _intents(world, deal.id) == [] and _echo(world).order_calls == []


def test_the_intent_is_stored_before_the_platform_is_called(world):
    deal, _ = _executed(world)
    seen: list[tuple[str | None, str]] = []

    class Witness:
        @hookimpl(wrapper=True)
        def creatorkit_place_order(self, request: PlatformOrderRequest) -> Generator[None, Any, Any]:
            # What another process would read while the platform works: the intent, committed, with the key.
            [intent] = _intents(world, deal.id)
            seen.append((intent.request.idempotency_key, str(intent.status)))
            assert intent.request.idempotency_key == request.idempotency_key
            return (yield)

    world.kit.plugins.add_wrapper(Witness(), name="witness")
    world.kit.contracts.place_platform_order(world.brand, deal.id)

    [request] = _echo(world).order_calls
    assert seen == [(request.idempotency_key, "pending")]


def test_a_crash_between_the_platform_and_the_record_never_duplicates_the_order(world, monkeypatch):
    deal, _ = _executed(world)
    echo = _echo(world)

    def crash(*args: Any) -> Any:
        raise Crash("the process died after the platform answered")

    with monkeypatch.context() as patched:
        patched.setattr(_contracts, "record_placement", crash)
        with pytest.raises(Crash):
            world.kit.contracts.place_platform_order(world.brand, deal.id, timeout=30)
    [pending] = _intents(world, deal.id)
    assert pending.status is OrderIntentStatus.PENDING and pending.placement is None
    assert _stored_orders(world, deal.id) == [], "the platform holds an order the store does not know yet"

    # Until the dead call's deadline, another call might still be running: none overlaps it.
    with pytest.raises(StateError, match="another call is placing it until"):
        world.kit.contracts.place_platform_order(world.brand, deal.id)
    world.clock.advance(seconds=31)
    placement = world.kit.contracts.place_platform_order(world.brand, deal.id)

    first, second = echo.order_calls
    assert second.idempotency_key == first.idempotency_key, "the retry reuses the stored key"
    assert (first.attempt, second.attempt) == (1, 2)
    assert attrs.evolve(second, attempt=1) == first, "the retry sends the stored request, not a rebuilt one"
    assert len(echo.placements) == 1 and len(echo.orders) == 1, "one order on the platform"
    assert _stored_orders(world, deal.id) == [f"echo:{placement.orders[0].order_id}"]
    [intent] = _intents(world, deal.id)
    assert (intent.status, intent.attempts) == (OrderIntentStatus.PLACED, 2)
    assert "platform_order.retry" in _actions(world)
    assert world.kit.audit.verify().ok, "the intent's every write, the crashed call's included, is in the trail"


class LosesReplies:
    """Between the platform and the core: the platform placed the order, the reply never arrived."""

    def __init__(self, times: int = 1) -> None:
        self.times = times

    @hookimpl(wrapper=True)
    def creatorkit_place_order(self, request: PlatformOrderRequest) -> Generator[None, Any, Any]:
        placement = yield
        if self.times:
            self.times -= 1
            raise Transient("echo", "the connection dropped after the request was sent")
        return placement


def test_a_lost_reply_leaves_the_intent_pending_and_the_retry_finds_the_same_orders(world):
    deal, _ = _executed(world)
    echo = _echo(world)
    world.kit.plugins.add_wrapper(LosesReplies(), name="lossy")

    with pytest.raises(Transient):
        world.kit.contracts.place_platform_order(world.brand, deal.id)
    [pending] = _intents(world, deal.id)
    assert pending.status is OrderIntentStatus.PENDING
    assert pending.in_flight_until is None, "a call that ended frees the intent at once"
    assert "connection dropped" in (pending.last_error or "")

    placement = world.kit.contracts.place_platform_order(world.brand, deal.id)

    assert [r.attempt for r in echo.order_calls] == [1, 2]
    assert len(echo.orders) == 1 and placement.orders[0].order_id in echo.orders
    assert "platform_order.attempt_failed" in _actions(world)


def test_two_first_attempts_never_both_reach_the_platform(world):
    deal, _ = _executed(world)
    echo = _echo(world)
    outcomes: list[str] = []

    class Overlap:
        """While the first call is at the platform, a second call for the same deal is made."""

        @hookimpl(wrapper=True)
        def creatorkit_place_order(self, request: PlatformOrderRequest) -> Generator[None, Any, Any]:
            if not outcomes:
                outcomes.append("first")
                try:
                    world.kit.contracts.place_platform_order(world.brand, deal.id)
                except StateError as refused:
                    outcomes.append(str(refused))
            return (yield)

    world.kit.plugins.add_wrapper(Overlap(), name="overlap")
    world.kit.contracts.place_platform_order(world.brand, deal.id)

    assert len(echo.order_calls) == 1
    assert "another call is placing it" in outcomes[1]


# -- refusals ----------------------------------------------------------------------------------------------------


class RefusesOnce(EchoPlatform):
    """Echo whose marketplace refuses the first request outright (it placed nothing)."""

    def __init__(self) -> None:
        super().__init__()
        self.refusals = 1

    @hookimpl
    def creatorkit_place_order(self, request: PlatformOrderRequest) -> OrderPlacement:
        if self.refusals:
            self.refusals -= 1
            self.order_calls.append(request)
            raise InvalidRequest("echo", "description too long", field="description")
        return super().creatorkit_place_order(request)


def test_a_refusal_closes_the_intent_and_the_next_call_starts_afresh(world):
    deal, _ = _executed(world)
    platform = RefusesOnce()
    _swap(world, platform)

    with pytest.raises(InvalidRequest):
        world.kit.contracts.place_platform_order(world.brand, deal.id)
    [refused] = _intents(world, deal.id)
    assert refused.status is OrderIntentStatus.REFUSED and "description too long" in (refused.last_error or "")

    placement = world.kit.contracts.place_platform_order(world.brand, deal.id)

    first, second = platform.order_calls
    assert first.idempotency_key != second.idempotency_key, "nothing was placed, so a new key is safe"
    assert second.attempt == 1 and placement.orders
    assert [i.status for i in _intents(world, deal.id)] == [OrderIntentStatus.REFUSED, OrderIntentStatus.PLACED]
    assert "platform_order.refused" in _actions(world)


def test_every_handle_failing_is_reported_and_places_nothing(world):
    deal, _ = _executed(world)
    platform = EchoPlatform(size=0)  # a marketplace that knows none of the creators
    _swap(world, platform)

    placement = world.kit.contracts.place_platform_order(world.brand, deal.id)

    assert placement.orders == ()
    [failure] = placement.failed
    assert failure.handle == "echo_creator_03" and failure.reason
    [intent] = _intents(world, deal.id)
    assert intent.status is OrderIntentStatus.REFUSED and intent.placement == placement
    assert _stored_orders(world, deal.id) == []
    # Nothing exists on the platform: the next call tries again, with a new key.
    world.kit.contracts.place_platform_order(world.brand, deal.id)
    assert len({r.idempotency_key for r in platform.order_calls}) == 2


class AnswersForSomeoneElse(EchoPlatform):
    @hookimpl
    def creatorkit_place_order(self, request: PlatformOrderRequest) -> OrderPlacement:
        placement = super().creatorkit_place_order(request)
        order = attrs.evolve(placement.orders[0], creator_handle="someone_else")
        return attrs.evolve(placement, orders=(order,))


def test_a_reply_that_does_not_answer_the_request_is_a_contract_breach_and_stays_pending(world):
    deal, _ = _executed(world)
    _swap(world, AnswersForSomeoneElse())

    with pytest.raises(PluginContractError, match="someone_else"):
        world.kit.contracts.place_platform_order(world.brand, deal.id)

    [intent] = _intents(world, deal.id)
    assert intent.status is OrderIntentStatus.PENDING, "the platform may hold an order: the outcome is unknown"
    assert _stored_orders(world, deal.id) == []


# -- who, when, where ---------------------------------------------------------------------------------------------


def test_placing_an_order_on_a_platform_without_contracting_says_what_to_do_instead(world):
    deal, _ = _executed(world)

    class NoMarketplace(EchoPlatform):
        # Not hook implementations: a platform without a marketplace has no order hooks at all.
        creatorkit_place_order = None  # type: ignore[assignment]
        creatorkit_get_order = None  # type: ignore[assignment]

        @hookimpl
        def creatorkit_plugin_metadata(self) -> Any:
            meta = super().creatorkit_plugin_metadata()
            missing = {**meta.missing, Capability.CONTRACTING: "no marketplace here; record the contract only"}
            return attrs.evolve(meta, capabilities=meta.capabilities - {Capability.CONTRACTING}, missing=missing)

    _swap(world, NoMarketplace())

    with pytest.raises(CapabilityMissing) as missing:
        world.kit.contracts.place_platform_order(world.brand, deal.id)

    assert (missing.value.plugin, missing.value.capability) == ("echo", Capability.CONTRACTING)
    assert "no marketplace" in (missing.value.alternative or "")
    assert _intents(world, deal.id) == [], "nothing is stored for a call that cannot be made"


def test_only_the_deals_brand_places_its_order(world):
    deal, _ = _executed(world)

    with pytest.raises(PermissionDenied):
        world.kit.contracts.place_platform_order(world.creator, deal.id)
    with pytest.raises(NotFound):  # another brand's deal is not there for it
        world.kit.contracts.place_platform_order(Actor.brand("brand_fresh"), deal.id)
    assert _echo(world).order_calls == []


@pytest.mark.parametrize("timeout", [0, -1, True, "60"])
def test_the_timeout_must_be_a_positive_number_of_seconds(world, timeout):
    deal, _ = _executed(world)

    with pytest.raises(ValidationError, match="timeout"):
        world.kit.contracts.place_platform_order(world.brand, deal.id, timeout=timeout)


def test_the_platform_is_given_the_deadline_and_the_brand(world):
    deal, _ = _executed(world)
    contexts: list[Any] = []

    class Seen:
        @hookimpl(wrapper=True)
        def creatorkit_place_order(self, context: Any) -> Generator[None, Any, Any]:
            contexts.append(context)
            return (yield)

    world.kit.plugins.add_wrapper(Seen(), name="seen")
    world.kit.contracts.place_platform_order(world.brand, deal.id, timeout=45)

    [context] = contexts
    assert context.workspace_id == world.brand.id
    assert context.deadline == world.clock.now + timedelta(seconds=45)
    assert context.capability == Capability.CONTRACTING


def test_a_stored_order_is_read_back_from_the_platform(world):
    deal, _ = _executed(world)
    placement = world.kit.contracts.place_platform_order(world.brand, deal.id)

    order = world.kit.plugins.platform("echo").get_order(placement.orders[0].order_id)

    assert isinstance(order, PlatformOrder) and order == placement.orders[0]


def test_the_deals_evidence_holds_its_intents_and_orders(world):
    deal, _ = _executed(world)
    placement = world.kit.contracts.place_platform_order(world.brand, deal.id)

    evidence = world.kit.audit.evidence(world.brand, deal.id)

    kinds = [(part["kind"], part["id"]) for part in evidence["orders.json"]]
    assert kinds == [("order_intent", f"{deal.id}:order:1"), ("platform_order", f"echo:{placement.orders[0].order_id}")]
    actions = {event["action"] for event in evidence["events.json"]}
    assert {"platform_order.intent", "platform_order.placed", "platform_order.place"} <= actions
