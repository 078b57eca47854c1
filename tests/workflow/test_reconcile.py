"""``kit.payments.reconcile``: every stored movement held against echo_pay's books and the ledger.

Real deals are funded, released, cancelled and settled through echo_pay (the helpers of test_escrow); then either
nothing is touched and the reconciliation finds nothing, or one side is tampered with (echo_pay's books in memory,
the store's documents and ledger rows through the raw path underneath the store) and the reconciliation names
exactly that difference.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest

from creatorkit import Money, hookimpl
from creatorkit.audit import payload_hash
from creatorkit.entities import (
    CancellationTerms,
    Capability,
    OperationKind,
    PaymentOperation,
    PaymentPurpose,
    PluginMetadata,
    Posting,
    ProviderRequest,
)
from creatorkit.errors import PaymentError, PluginError
from creatorkit.workflow._reconcile import DifferenceKind, ReconciliationReport
from creatorkit_echo import AS_OF, EchoPayments
from world import World

from .test_escrow import executed, fees, kit, staged, submit  # noqa: F401  (fees, kit: the fixtures with echo_pay)


def provider(world: World) -> EchoPayments:
    found = world.kit.plugins.pm.get_plugin("echo_pay")
    assert isinstance(found, EchoPayments)
    return found


def completed(world: World) -> Any:
    """A staged deal funded on signing and released on signing and approval: three movements."""
    deal = executed(world, staged(100_001))
    submit(world, deal)
    world.kit.content.review(world.brand, deal.id, approve=True)
    return deal


def operation(world: World, deal: Any, purpose: PaymentPurpose, index: int = 0) -> PaymentOperation:
    found = [op for op in world.kit.payments.operations(world.brand, deal.id) if op.purpose is purpose]
    return found[index]


def reconcile(world: World, **kwargs: Any) -> ReconciliationReport:
    return world.kit.payments.reconcile(world.system, **kwargs)


def kinds(report: ReconciliationReport) -> list[DifferenceKind]:
    return [difference.kind for difference in report.differences]


def test_untouched_books_reconcile_with_no_difference_and_the_run_is_audited(world: World) -> None:
    cancelled = executed(world, staged(), CancellationTerms(kill_fee_bp=4_000))
    world.kit.deals.cancel(world.brand, cancelled.id, reason="campaign dropped")
    done = completed(world)  # the creator's next deal on the brief, once the first one ended

    report = reconcile(world)

    assert report.ok, report.differences
    assert report.operations_checked == 3 + 4  # fund, 2 releases; fund, release, kill fee, refund
    assert report.entries_checked > report.operations_checked  # funds and refunds write two entries each
    assert report.provider == "echo_pay" and report.listed_by_provider and report.not_listed_because is None
    assert report.movements_listed == 7, "echo_pay lists every movement it made, each one the core's"
    (event,) = [e for e in world.kit.store.iter_audit() if e.action == "payments.reconcile"]
    assert event.actor_id == str(world.system) and event.entity_id == "echo_pay"
    summary: dict[str, object] = {
        "provider": "echo_pay",
        "since": None,
        "operations_checked": 7,
        "movements_listed": 7,
        "differences": {},
    }
    assert event.payload_hash == payload_hash({**summary, "entries_checked": report.entries_checked})
    assert world.kit.payments.money(world.brand, done.id).held == Money.zero("USD"), "nothing moved"


def test_a_movement_the_provider_does_not_know_is_missing_there(world: World) -> None:
    deal = completed(world)
    release = operation(world, deal, PaymentPurpose.RELEASE, 1)
    del provider(world).records[release.id]

    report = reconcile(world)

    assert kinds(report) == [DifferenceKind.MISSING_AT_PROVIDER]
    (difference,) = report.differences
    assert (difference.operation_id, difference.deal_id, difference.ours) == (release.id, deal.id, "succeeded")


def test_a_status_that_differs_is_found_whichever_side_says_succeeded(world: World, database: Any) -> None:
    deal = completed(world)
    echo = provider(world)
    fund = operation(world, deal, PaymentPurpose.FUND)
    record = echo.records[fund.id]
    record.operation = echo._with_status(record.operation, "failed")  # the provider's side failed it
    release = operation(world, deal, PaymentPurpose.RELEASE)
    # The core's side says failed, the provider's succeeded: money moved that the core does not count.
    database.rewrite_document("payment_operation", release.id, lambda doc: doc.update(status="failed"), state="failed")

    report = reconcile(world)

    found = {(d.kind, d.operation_id, d.ours, d.theirs) for d in report.differences}
    assert found == {
        (DifferenceKind.STATUS_MISMATCH, fund.id, "succeeded", "failed"),
        (DifferenceKind.STATUS_MISMATCH, release.id, "failed", "succeeded"),
        (DifferenceKind.LEDGER_MISMATCH, release.id, "failed", None),  # and its ledger entries moved money
    }


def test_a_movement_the_core_still_waits_on_is_a_status_difference(world: World) -> None:
    echo = provider(world)
    echo.pending_retrieves = 5  # every movement stays pending for five retrieves
    deal = executed(world)
    (fund,) = world.kit.payments.operations(world.brand, deal.id)
    assert str(fund.status) == "pending"
    assert reconcile(world).ok, "pending on both sides agrees"
    record = echo.records[fund.id]
    record.operation = echo._with_status(record.operation, "succeeded")

    report = reconcile(world)

    assert kinds(report) == [DifferenceKind.STATUS_MISMATCH]
    assert "kit.payments.sync" in report.differences[0].detail


def test_other_amounts_and_legs_at_the_provider_are_named(world: World) -> None:
    deal = completed(world)
    echo = provider(world)
    fund = operation(world, deal, PaymentPurpose.FUND)
    record = echo.records[fund.id]
    record.operation = attrs.evolve(record.operation, amount=Money(99_999, "USD"))
    release = operation(world, deal, PaymentPurpose.RELEASE)
    paid = echo.records[release.id]
    (leg,) = paid.operation.legs
    paid.operation = attrs.evolve(paid.operation, legs=(attrs.evolve(leg, amount=leg.amount - Money(1, "USD")),))

    report = reconcile(world)

    found = {(d.kind, d.operation_id, d.ours, d.theirs) for d in report.differences}
    asked = release.request.legs[0].amount
    assert found == {
        (DifferenceKind.AMOUNT_MISMATCH, fund.id, "1000.01 USD", "999.99 USD"),
        (DifferenceKind.LEG_MISMATCH, release.id, str(asked), str(asked - Money(1, "USD"))),
    }


def test_a_provider_holding_another_request_under_the_id_is_an_amount_difference(world: World) -> None:
    deal = completed(world)
    echo = provider(world)
    fund = operation(world, deal, PaymentPurpose.FUND)
    record = echo.records[fund.id]
    record.request = attrs.evolve(record.request, amount=Money(1, "USD"))

    report = reconcile(world)

    assert kinds(report) == [DifferenceKind.AMOUNT_MISMATCH]
    assert "amount" in report.differences[0].detail


def test_a_succeeded_movement_without_its_ledger_entries_is_found(world: World, database: Any) -> None:
    echo = provider(world)
    echo.raw_status = "failed"  # echo_pay refuses the fund: nothing moves, nothing is written to the ledger
    deal = executed(world)
    (fund,) = world.kit.payments.operations(world.brand, deal.id)
    assert str(fund.status) == "failed" and reconcile(world).ok
    # The store is changed underneath the core to say the fund succeeded.
    database.rewrite_document(
        "payment_operation", fund.id, lambda doc: doc.update(status="succeeded"), state="succeeded"
    )

    report = reconcile(world)

    found = {(d.kind, d.operation_id) for d in report.differences}
    assert found == {(DifferenceKind.LEDGER_MISSING, fund.id), (DifferenceKind.STATUS_MISMATCH, fund.id)}


def test_ledger_entries_that_move_other_amounts_are_found(world: World, database: Any) -> None:
    deal = completed(world)
    release = operation(world, deal, PaymentPurpose.RELEASE)
    split = release.fees
    assert split is not None

    def one_cent_more_commission(doc: dict[str, Any]) -> None:
        # The operation now says one cent more went to the platform than its ledger entries moved.
        doc["fees"]["platform_fee"]["amount"] += 1
        doc["fees"]["creator_net"]["amount"] -= 1

    database.rewrite_document("payment_operation", release.id, one_cent_more_commission)

    report = reconcile(world)

    (difference,) = report.differences
    assert (difference.kind, difference.operation_id) == (DifferenceKind.LEDGER_MISMATCH, release.id)
    assert f"creator_payable {-split.creator_net + Money(1, 'USD')}" in (difference.ours or "")
    assert f"creator_payable {-split.creator_net}" in (difference.theirs or "")


def test_a_ledger_entry_naming_no_movement_is_extra(world: World) -> None:
    deal = executed(world)  # 1,050.00 still held in escrow
    escrow, payable = f"deal_escrow:{deal.id}:USD", f"creator_payable:{world.creator.id}:USD"
    world.kit.ledger.transfer(
        world.system,
        f"pay-{deal.id}-r7-1",
        [Posting(account=escrow, amount=Money(1_000, "USD")), Posting(account=payable, amount=Money(-1_000, "USD"))],
        deal_id=deal.id,
        memo="a release nobody asked the provider for",
    )

    report = reconcile(world)

    (difference,) = report.differences
    assert difference.kind is DifferenceKind.EXTRA_IN_LEDGER
    assert (difference.entry_id, difference.deal_id) == (f"le_pay-{deal.id}-r7-1", deal.id)
    assert "nobody asked" in difference.detail


def test_a_provider_that_cannot_say_now_is_unreadable_not_agreeing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    completed(world)

    def lagging(self: EchoPayments, record: Any, request: Any) -> None:
        raise PaymentError("search lags behind writes", provider="echo_pay", outcome_unknown=True)

    monkeypatch.setattr(EchoPayments, "_same_request", lagging)
    report = reconcile(world)

    assert kinds(report) == [DifferenceKind.UNREADABLE] * 3
    assert not report.ok


def test_since_leaves_out_what_did_not_change_after_it(world: World) -> None:
    completed(world)
    later = world.clock.now + timedelta(days=1)
    report = reconcile(world, since=later)
    assert report.operations_checked == 0
    # echo_pay's clock stands at AS_OF, after the kit's: it still lists all three, each one the core holds.
    assert report.movements_listed == 3 and report.ok
    assert reconcile(world, since=date(2020, 1, 1)).operations_checked == 3
    assert reconcile(world, since=datetime(2020, 1, 1, tzinfo=UTC)).operations_checked == 3


def test_each_party_reconciles_only_its_own_deals(world: World) -> None:
    deal = completed(world)
    for actor in (world.brand, world.creator, world.manager, world.agency):
        report = world.kit.payments.reconcile(actor)
        assert report.ok and report.operations_checked == 3, actor
        assert not report.listed_by_provider and "only the system" in (report.not_listed_because or ""), actor
        assert {d.deal_id for d in report.differences} <= {deal.id}
    assert world.kit.payments.reconcile(world.unverified_brand).operations_checked == 0
    assert world.kit.payments.reconcile(world.other_agency).operations_checked == 0


def test_a_provider_that_is_not_loaded_is_an_error_not_a_clean_report(world: World) -> None:
    completed(world)
    with pytest.raises(PluginError):
        reconcile(world, provider="no_such_pay")


# --- what the provider lists ------------------------------------------------------------------------------------


def by_hand(deal_id: str, amount: int = 25_000, operation_id: str = "op_made_by_hand_1") -> ProviderRequest:
    """A fund made at the provider itself, with an id the core never stored (its dashboard, another program)."""
    return ProviderRequest(
        operation_id=operation_id,
        kind=OperationKind.FUND,
        amount=Money(amount, "USD"),
        deal_id=deal_id,
        reason="charged at the provider's desk",
    )


def test_a_movement_made_at_the_provider_behind_the_cores_back_is_extra_there(world: World) -> None:
    deal = completed(world)
    made = provider(world).creatorkit_payment_operation(by_hand(deal.id))

    report = reconcile(world)

    assert report.listed_by_provider and report.movements_listed == 4
    (difference,) = report.differences
    assert difference.kind is DifferenceKind.EXTRA_AT_PROVIDER
    assert (difference.operation_id, difference.provider_ref) == ("op_made_by_hand_1", made.provider_ref)
    assert difference.theirs == "250.00 USD succeeded" and difference.deal_id is None
    assert "which the core does not hold" in difference.detail
    (event,) = [e for e in world.kit.store.iter_audit() if e.action == "payments.reconcile"]
    summary = {"provider": "echo_pay", "since": None, "operations_checked": 3, "movements_listed": 4}
    assert event.payload_hash == payload_hash(
        {**summary, "entries_checked": report.entries_checked, "differences": {"extra_at_provider": 1}}
    )


def test_what_the_provider_lists_since_a_moment_is_all_it_holds_against(world: World) -> None:
    deal = completed(world)
    provider(world).creatorkit_payment_operation(by_hand(deal.id))
    after_echos_clock = AS_OF + timedelta(seconds=1)

    assert kinds(reconcile(world, since=AS_OF)) == [DifferenceKind.EXTRA_AT_PROVIDER]
    report = reconcile(world, since=after_echos_clock)
    assert report.movements_listed == 0 and report.ok, "nothing echo_pay holds changed after its AS_OF"


def test_a_movement_that_failed_at_the_provider_moved_nothing_and_is_no_difference(world: World) -> None:
    deal = completed(world)
    echo = provider(world)
    echo.raw_status = "failed"
    echo.creatorkit_payment_operation(by_hand(deal.id))

    report = reconcile(world)

    assert report.movements_listed == 4 and report.ok, report.differences


def test_only_the_system_looks_for_what_the_provider_holds_beyond_the_deals(world: World) -> None:
    deal = completed(world)
    provider(world).creatorkit_payment_operation(by_hand(deal.id))

    report = world.kit.payments.reconcile(world.brand)

    assert report.ok and not report.listed_by_provider and report.movements_listed == 0
    assert "belongs to no party's deals" in (report.not_listed_because or "")


class UnlistedEcho(EchoPayments):
    """echo_pay as a provider whose API has no list of its movements."""

    creatorkit_payment_list = None  # type: ignore[assignment]

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        meta = super().creatorkit_plugin_metadata()
        return attrs.evolve(
            meta,
            capabilities=meta.capabilities - {Capability.PAYMENT_LISTING},
            missing={Capability.PAYMENT_LISTING: "its API lists nothing; download the daily statement instead"},
        )


def test_a_provider_that_cannot_list_is_reconciled_as_before_and_the_report_says_so(world: World) -> None:
    world.kit.plugins.unregister("echo_pay")
    world.kit.plugins.register(UnlistedEcho(), name="echo_pay", group="creatorkit.payments")
    deal = completed(world)
    provider(world).creatorkit_payment_operation(by_hand(deal.id))

    report = reconcile(world)

    assert report.ok and report.operations_checked == 3, "what the provider alone holds is not seen"
    assert not report.listed_by_provider and report.movements_listed == 0
    assert report.not_listed_because == (
        "echo_pay cannot list its movements: its API lists nothing; download the daily statement instead"
    )


class ListingDown:
    """A wrapper around echo_pay's listing that finds its list endpoint down."""

    @hookimpl(wrapper=True)
    def creatorkit_payment_list(self) -> Any:
        raise PaymentError("the list endpoint answered 503", provider="echo_pay")
        yield  # a wrapper is a generator; this one never lets the call through


def test_a_provider_that_cannot_list_now_is_unreadable_not_agreeing(world: World) -> None:
    completed(world)
    world.kit.plugins.add_wrapper(ListingDown(), name="listing_down")

    report = reconcile(world)

    assert kinds(report) == [DifferenceKind.UNREADABLE] and not report.ok
    assert not report.listed_by_provider and "503" in (report.not_listed_because or "")
