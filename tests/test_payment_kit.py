"""The payment conformance kit fails a provider that breaks a promise, and passes echo_pay, which keeps them.

Each broken provider below is echo_pay with one thing wrong, the way real plugins go wrong: a status it does
not know counted as done, a retry that moves money again (always, or after a lost answer), an operation id
reused without a word, a refund that skips the reversal, dinars read as if they had two decimals, a pending
movement that never resolves, a list of movements that leaves some out or ignores its ``since``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import attrs
import pytest

from creatorkit import CreatorkitError, Money, PaymentError, hookimpl
from creatorkit.entities import (
    OperationKind,
    OperationStatus,
    ProviderOperation,
    ProviderOperationPage,
    ProviderRequest,
)
from creatorkit.testing import PaymentProviderContract, network_disabled
from creatorkit_echo import EchoPayments

#: What a kit test raises when the provider under test breaks the contract.
FAILURE = (AssertionError, pytest.fail.Exception, CreatorkitError)


class OptimisticEcho(EchoPayments):
    """Counts a raw status it has never heard of as success."""

    def _operation(self, request: ProviderRequest, moved: list[tuple[str, int]]) -> ProviderOperation:
        operation = super()._operation(request, moved)
        if operation.raw_status not in self.RAW_STATUSES:
            return attrs.evolve(operation, status=OperationStatus.SUCCEEDED)
        return operation


class ForgetfulEcho(EchoPayments):
    """Forgets what it did: every attempt with an operation id moves the money again."""

    @hookimpl
    def creatorkit_payment_operation(self, request: ProviderRequest) -> ProviderOperation:
        self.records.pop(request.operation_id, None)
        return super().creatorkit_payment_operation(request)


class AmnesiacEcho(EchoPayments):
    """Drops an operation whose answer was lost, so the retry after a timeout moves the money a second time."""

    def __init__(self) -> None:
        super().__init__()
        self.lost: set[str] = set()

    @hookimpl
    def creatorkit_payment_operation(self, request: ProviderRequest) -> ProviderOperation:
        if request.operation_id in self.lost:
            self.lost.discard(request.operation_id)
            del self.records[request.operation_id]
            timing_out, self.timeout_after_success = self.timeout_after_success, False
            try:
                return super().creatorkit_payment_operation(request)
            finally:
                self.timeout_after_success = timing_out
        try:
            return super().creatorkit_payment_operation(request)
        except PaymentError as exc:
            if exc.outcome_unknown:
                self.lost.add(request.operation_id)
            raise


class LaxEcho(EchoPayments):
    """Answers a reused operation id with the first result, whatever the new request asks."""

    def _same_request(self, record: Any, request: ProviderRequest) -> None:
        return None


class RefundingEcho(EchoPayments):
    """Refunds a source whatever was released from it (and says, in its flags, that it would not)."""

    def _refund(self, request: ProviderRequest) -> list[tuple[str, int]]:
        source = self._source(request)
        source.refunded += self._units(request.amount)
        return []


class CentsEcho(EchoPayments):
    """Reads its own units back as if every currency had two decimals."""

    def _operation(self, request: ProviderRequest, moved: list[tuple[str, int]]) -> ProviderOperation:
        operation = super()._operation(request, moved)
        units = self._units(request.amount)
        return attrs.evolve(operation, amount=Money.of(f"{units / 100:.2f}", request.amount.currency))


class StuckEcho(EchoPayments):
    """Leaves pending movements pending, however often they are retrieved."""

    @hookimpl
    def creatorkit_payment_retrieve(
        self, request: ProviderRequest, known: ProviderOperation | None = None
    ) -> ProviderOperation:
        return self.records[request.operation_id].operation


class ForgetfulListingEcho(EchoPayments):
    """Lists only its funds: the releases it made are missing from its list."""

    @hookimpl
    def creatorkit_payment_list(self, since: datetime | None, cursor: str | None) -> ProviderOperationPage:
        page = super().creatorkit_payment_list(since, cursor)
        funds = tuple(op for op in page.operations if op.kind is OperationKind.FUND)
        return attrs.evolve(page, operations=funds)


class TimelessListingEcho(EchoPayments):
    """Lists everything it holds whatever ``since`` says."""

    @hookimpl
    def creatorkit_payment_list(self, since: datetime | None, cursor: str | None) -> ProviderOperationPage:
        return super().creatorkit_payment_list(None, cursor)


def kit_for(plugin: type[EchoPayments], **attributes: Any) -> PaymentProviderContract:
    """The kit, as a plugin author subclasses it, run against ``plugin`` instead of the installed echo_pay."""
    namespace = {"plugin_name": "echo_pay", "load_plugin": lambda self: plugin(), **attributes}
    kit: PaymentProviderContract = type(f"Kit{plugin.__name__}", (PaymentProviderContract,), namespace)()
    return kit


def run(kit: PaymentProviderContract, test: str, **arguments: Any) -> None:
    """Call one of the kit's tests the way pytest would, with a fresh provider if it takes one."""
    method = getattr(kit, test)
    if "provider" in inspect.signature(method).parameters:
        arguments["provider"] = kit.start()
    with network_disabled():
        method(**arguments)


@pytest.fixture(autouse=True)
def _quiet_network() -> Iterator[None]:
    with network_disabled():
        yield


BROKEN = [
    pytest.param(OptimisticEcho, "test_an_unknown_raw_status_counts_as_pending", {}, id="unknown-status-as-success"),
    pytest.param(ForgetfulEcho, "test_a_retried_request_moves_money_once", {}, id="retry-moves-again"),
    pytest.param(AmnesiacEcho, "test_a_timeout_after_success_moves_money_once", {}, id="timeout-retry-moves-again"),
    pytest.param(LaxEcho, "test_the_same_id_with_other_parameters_is_refused", {}, id="reused-id-accepted"),
    pytest.param(RefundingEcho, "test_reverse_before_refund", {}, id="refund-without-reversal"),
    pytest.param(
        CentsEcho, "test_amounts_round_trip_exactly", {"currency": "KWD", "major": "1250.505"}, id="kwd-as-cents"
    ),
    pytest.param(StuckEcho, "test_pending_resolves_through_retrieve", {}, id="pending-forever"),
    pytest.param(ForgetfulListingEcho, "test_the_listing_shows_every_movement_made", {}, id="listing-leaves-out"),
    pytest.param(TimelessListingEcho, "test_a_listing_since_after_every_movement_lists_none", {}, id="no-since"),
]


@pytest.mark.parametrize(("plugin", "test", "arguments"), BROKEN)
def test_the_kit_fails_a_provider_that_breaks_the_promise(
    plugin: type[EchoPayments], test: str, arguments: dict[str, Any]
) -> None:
    with pytest.raises(FAILURE):
        run(kit_for(plugin), test, **arguments)


@pytest.mark.parametrize(("plugin", "test", "arguments"), BROKEN)
def test_the_same_test_passes_echo_pay(plugin: type[EchoPayments], test: str, arguments: dict[str, Any]) -> None:
    run(kit_for(EchoPayments), test, **arguments)


FLAG_TESTS = [
    "test_a_currency_not_taken_is_refused_before_any_call",
    "test_an_amount_the_provider_cannot_represent_is_refused_before_any_call",
    "test_too_many_receivers_are_refused_before_any_call",
    "test_a_hold_beyond_max_hold_days_is_refused_before_any_call",
    "test_a_split_beyond_max_split_bp_is_refused_before_any_call",
]


@pytest.mark.parametrize("test", FLAG_TESTS)
def test_the_flag_tests_fail_when_the_host_lets_a_request_through(test: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("creatorkit.host._host.REQUEST_CHECKS", {})
    with pytest.raises(FAILURE):
        run(kit_for(EchoPayments), test)


def test_a_scenario_the_subclass_left_out_is_a_failure_not_a_skip() -> None:
    with pytest.raises(AssertionError, match="add them to `scenarios`"):
        run(kit_for(EchoPayments, scenarios={}), "test_pending_resolves_through_retrieve")


def test_a_sandbox_that_ignores_the_scenario_fails_it() -> None:
    ignored: dict[str, dict[str, object]] = {"sandbox": {}}
    kit = kit_for(EchoPayments, scenarios=dict.fromkeys(PaymentProviderContract.scenarios, ignored))
    for test in (
        "test_a_timeout_after_success_moves_money_once",
        "test_pending_resolves_through_retrieve",
        "test_an_unknown_raw_status_counts_as_pending",
    ):
        with pytest.raises(FAILURE):
            run(kit, test)
