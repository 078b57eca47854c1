"""What the host holds a provider's listing of its movements to (``payment_listing``), for every provider alike.

A listing's cursors are bound to its ``since``, as discovery's are to their query; ``since`` must be aware; a page
that hands back the cursor it was asked with, or names another provider's operations, breaks the contract; the
capability comes with ``payments`` or not at all. The provider is echo_pay (two records a page), or a scripted
one that lists what a test gives it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from creatorkit import InvalidRequest, Money, PluginContractError, ValidationError, hookimpl
from creatorkit.entities import (
    Capability,
    OperationKind,
    OperationStatus,
    PluginKind,
    PluginMetadata,
    ProviderOperation,
    ProviderOperationPage,
    ProviderRequest,
)
from creatorkit.host import PaymentClient, PluginHost
from creatorkit.host._stage_rules import CURSOR_PREFIX, listing_digest
from creatorkit_echo import AS_OF, EchoPayments


def echo_pay(records: int = 5) -> tuple[PaymentClient, EchoPayments]:
    """echo_pay holding ``records`` funds, listing two a page."""
    echo = EchoPayments()
    host = PluginHost()
    host.register(echo, name="echo_pay", group="creatorkit.payments")
    echo.list_page_size = 2
    for index in range(records):
        echo.creatorkit_payment_operation(
            ProviderRequest(
                operation_id=f"op_fund_{index}",
                kind=OperationKind.FUND,
                amount=Money(10_000 + index, "USD"),
                deal_id=f"deal_{index}",
                reason="listing test",
            )
        )
    return host.payments("echo_pay"), echo


def test_every_page_is_read_and_each_movement_comes_once() -> None:
    client, _ = echo_pay(5)
    first = client.list_movements()
    assert [op.operation_id for op in first.operations] == ["op_fund_0", "op_fund_1"]
    assert first.next_cursor is not None and first.next_cursor.startswith(f"{CURSOR_PREFIX}.")
    assert listing_digest("echo_pay", None) in first.next_cursor, "the host's cursor, bound to the listing"
    second = client.list_movements(cursor=first.next_cursor)
    assert [op.operation_id for op in second.operations] == ["op_fund_2", "op_fund_3"]
    assert [op.operation_id for op in client.movements()] == [f"op_fund_{i}" for i in range(5)]


def test_since_is_the_providers_own_time() -> None:
    client, _ = echo_pay(3)
    assert len(list(client.movements(since=AS_OF))) == 3
    assert list(client.movements(since=datetime(2027, 1, 1, tzinfo=UTC))) == []


def test_a_cursor_reused_with_another_since_is_refused() -> None:
    client, _ = echo_pay(5)
    cursor = client.list_movements().next_cursor
    with pytest.raises(InvalidRequest) as refused:
        client.list_movements(since=AS_OF, cursor=cursor)
    assert refused.value.field == "cursor" and "another listing" in str(refused.value)
    with pytest.raises(InvalidRequest, match="not one a page of this SDK handed out"):
        client.list_movements(cursor="2")  # the plugin's own cursor, not the host's


def test_a_naive_since_is_refused_before_the_provider_is_asked() -> None:
    client, _ = echo_pay(1)
    with pytest.raises(ValidationError) as refused:
        client.list_movements(since=datetime(2026, 11, 1))
    assert refused.value.paths == ["since"]


class ScriptedProvider:
    """Lists the pages it is given, one per call, whatever cursor it is asked with."""

    name = "scripted_pay"

    def __init__(self, pages: list[dict[str, Any]], capabilities: frozenset[Capability] | None = None) -> None:
        self.pages = pages
        self.capabilities = capabilities or frozenset({Capability.PAYMENTS, Capability.PAYMENT_LISTING})
        self.asked: list[str | None] = []

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        meta = EchoPayments().creatorkit_plugin_metadata()
        return attrs.evolve(
            meta, name=self.name, kind=PluginKind.PAYMENT, capabilities=self.capabilities, settings_schema=None
        )

    @hookimpl
    def creatorkit_payment_operation(self, request: ProviderRequest) -> ProviderOperation:
        raise AssertionError("never called here")

    @hookimpl
    def creatorkit_payment_retrieve(self, request: ProviderRequest) -> ProviderOperation:
        raise AssertionError("never called here")

    @hookimpl
    def creatorkit_payment_list(self, cursor: str | None) -> dict[str, Any]:
        self.asked.append(cursor)
        return self.pages[len(self.asked) - 1]


def movement(provider: str = "scripted_pay", ref: str = "ch_1") -> dict[str, Any]:
    return {
        "provider": provider,
        "operation_id": ref,
        "kind": "fund",
        "status": "succeeded",
        "raw_status": "succeeded",
        "amount": {"amount": 500, "currency": "USD"},
        "provider_ref": ref,
        "updated_at": "2026-11-01T00:00:00+00:00",
    }


def scripted(*pages: dict[str, Any]) -> tuple[PaymentClient, ScriptedProvider]:
    plugin = ScriptedProvider(list(pages))
    host = PluginHost()
    host.register(plugin, name=plugin.name, group="creatorkit.payments")
    return host.payments(plugin.name), plugin


def test_a_page_that_points_at_itself_breaks_the_contract() -> None:
    client, plugin = scripted(
        {"provider": "scripted_pay", "operations": [movement()], "next_cursor": "p2"},
        {"provider": "scripted_pay", "operations": [], "next_cursor": "p2"},
    )
    with pytest.raises(PluginContractError, match="the listing would never end"):
        list(client.movements())
    assert plugin.asked == [None, "p2"], "the plugin was given its own cursor back, unwrapped"


def test_a_cursor_handed_out_twice_is_caught_by_movements() -> None:
    client, _ = scripted(
        {"provider": "scripted_pay", "operations": [], "next_cursor": "p2"},
        {"provider": "scripted_pay", "operations": [], "next_cursor": "p3"},
        {"provider": "scripted_pay", "operations": [], "next_cursor": "p2"},
    )
    with pytest.raises(PluginContractError, match="twice"):
        list(client.movements())


def test_a_listed_operation_of_another_provider_breaks_the_contract() -> None:
    client, _ = scripted({"provider": "scripted_pay", "operations": [movement("stripe_connect")]})
    with pytest.raises(PluginContractError) as breach:
        client.list_movements()
    assert [p.path for p in breach.value.problems] == ["operations[0].provider"]


def test_a_page_is_the_promised_entity() -> None:
    client, _ = scripted({"provider": "scripted_pay", "operations": [movement()]})
    page = client.list_movements()
    assert isinstance(page, ProviderOperationPage) and page.next_cursor is None
    assert page.operations[0].status is OperationStatus.SUCCEEDED


def test_listing_comes_with_payments_or_not_at_all() -> None:
    plugin = ScriptedProvider([], capabilities=frozenset({Capability.PAYMENT_LISTING}))
    with pytest.raises(PluginContractError) as refused:
        PluginHost().register(plugin, name=plugin.name, group="creatorkit.payments")
    assert "payment_listing without payments" in str(refused.value)
