"""What the escrow says it can do, and the settings it takes (and refuses, naming the key)."""

from __future__ import annotations

import pytest
from creatorkit_payments.ledger_escrow import DEFAULT_MAX_HOLD_DAYS, MAX_RECEIVERS, LedgerEscrow

from creatorkit import PluginContext
from creatorkit.config import Mode
from creatorkit.entities import Capability, OperationKind, SplitMode
from creatorkit.errors import ConfigError
from creatorkit.money import currencies

from .conftest import Deal, Providers


def test_metadata_says_what_the_ledger_can_hold() -> None:
    meta = LedgerEscrow().creatorkit_plugin_metadata()
    flags = meta.payments
    assert flags is not None
    assert {(s.currency, s.exponent, s.multiple_of) for s in flags.currencies} == {
        (code, digits, 1) for code, digits in currencies().items()
    }, "every currency of the core's ISO table, at its ISO exponent"
    assert flags.kinds == frozenset(OperationKind) and flags.split_modes == frozenset(SplitMode)
    assert flags.partial_release and flags.refund_requires_reversal and flags.max_split_bp is None
    assert (flags.max_receivers, flags.max_hold_days) == (MAX_RECEIVERS, DEFAULT_MAX_HOLD_DAYS)
    assert meta.capabilities == {Capability.PAYMENTS}
    assert "no outside party" in meta.missing[Capability.WEBHOOKS], "it says why it sends no webhooks"


def test_max_hold_days_comes_from_the_settings(providers: Providers) -> None:
    _, plugin = providers.start(max_hold_days=90)
    flags = plugin.creatorkit_plugin_metadata().payments
    assert flags is not None and flags.max_hold_days == 90


def test_live_mode_needs_a_store(providers: Providers) -> None:
    with pytest.raises(ConfigError) as caught:
        providers.start(Mode.LIVE)
    assert [p.path for p in caught.value.problems] == ["payments.ledger_escrow.store"]


def test_live_mode_refuses_the_sandbox_switches(providers: Providers) -> None:
    with pytest.raises(ConfigError) as caught:
        providers.start(Mode.LIVE, store=":memory:", sandbox={"raw_status": "posted"})
    assert [p.path for p in caught.value.problems] == ["payments.ledger_escrow.sandbox"]


def test_a_store_that_cannot_be_opened_is_a_config_error_naming_the_setting(providers: Providers) -> None:
    with pytest.raises(ConfigError) as caught:
        providers.start(store="mysql://db/escrow")
    assert [p.path for p in caught.value.problems] == ["payments.ledger_escrow.store"]
    assert "mysql" in caught.value.problems[0].message


def test_an_unknown_setting_is_refused_by_the_schema(providers: Providers) -> None:
    with pytest.raises(ConfigError) as caught:
        providers.start(fee_bp=100)
    assert "fee_bp" in str(caught.value)


def test_configuring_again_closes_the_books_it_had(providers: Providers) -> None:
    provider, plugin = providers.start()
    books = plugin.books
    provider.execute(Deal().fund())
    plugin.creatorkit_configure({}, context=PluginContext(name="ledger_escrow", mode=Mode.SANDBOX))
    assert books.kit.store._closed and plugin.books is not books, "the new settings' books replace the old ones"
