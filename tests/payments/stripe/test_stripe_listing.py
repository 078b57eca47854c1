"""What the Stripe plugin lists for reconciliation: charges, transfers with their reversals, refunds, by
``created[gte]`` and ``starting_after``, each mapped back to the operation id in its metadata."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from creatorkit_payments.stripe_connect import StripeConnectPayments
from creatorkit_payments.stripe_connect._listing import PHASES

from creatorkit import InvalidRequest, Money, PaymentError
from creatorkit.entities import Capability, OperationKind, OperationStatus, ProviderOperation
from creatorkit.host import PaymentClient
from creatorkit.toolkit import Fault

from .conftest import AGENCY, CREATOR, Deal, objects, sandbox_of, start


def a_whole_deal(provider: PaymentClient) -> dict[str, str]:
    """Fund, release to the creator, the agency and the platform, reverse the agency's leg, refund the rest: the
    operation ids by kind."""
    deal = Deal()
    fund_request = deal.fund()
    fund = provider.execute(fund_request)
    release = deal.release(fund, deal.legs(60_000, 10_000, 5_000))
    done = provider.execute(release)
    reverse = deal.reverse(release, done, legs=deal.legs(0, 10_000))
    provider.execute(reverse)
    refund = deal.refund(fund, Money(20_000, "USD"), released=Money(60_000, "USD"))
    provider.execute(refund)
    return {
        "fund": fund_request.operation_id,
        "release": release.operation_id,
        "reverse": reverse.operation_id,
        "refund": refund.operation_id,
    }


def listed(provider: PaymentClient, since: datetime | None = None) -> list[ProviderOperation]:
    return list(provider.movements(since=since))


def test_it_declares_the_listing() -> None:
    provider, _ = start()
    assert Capability.PAYMENT_LISTING in provider.metadata.capabilities


def test_every_object_that_moved_the_platforms_money_is_listed_under_its_operation() -> None:
    provider, plugin = start()
    made = a_whole_deal(provider)

    entries = listed(provider)

    found = sorted((str(e.kind), e.operation_id, e.amount.amount) for e in entries)
    assert found == sorted(
        [
            ("fund", made["fund"], 100_000),
            ("release", made["release"], 60_000),  # the creator's transfer
            ("release", made["release"], 10_000),  # the agency's; the platform's leg stays on its balance
            ("reverse", made["reverse"], 10_000),
            ("refund", made["refund"], 20_000),
        ]
    )
    (charge,) = [e for e in entries if e.kind is OperationKind.FUND]
    (intent,) = objects(plugin, "payment_intent")
    assert charge.provider_ref == intent["id"], "a fund is known by its PaymentIntent, as the core holds it"
    transfers = {e.legs[0].account_ref: e for e in entries if e.kind is OperationKind.RELEASE}
    assert set(transfers) == {CREATOR, AGENCY}
    assert transfers[AGENCY].reversed_amount == Money(10_000, "USD")
    assert all(e.status is OperationStatus.SUCCEEDED for e in entries if e.kind is not OperationKind.RELEASE)


def made_refs(plugin: StripeConnectPayments) -> list[str]:
    """The ids of what moved money in the sandbox: intents (for their charges), transfers, reversals, refunds."""
    kinds = ("payment_intent", "transfer", "transfer_reversal", "refund")
    return sorted(str(obj["id"]) for kind in kinds for obj in objects(plugin, kind))


def test_small_pages_list_every_object_once() -> None:
    provider, plugin = start(list_limit=1)
    a_whole_deal(provider)
    pages, cursor = 0, None
    refs: list[str] = []
    while True:
        page = provider.list_movements(cursor=cursor)
        pages += 1
        refs.extend(e.provider_ref or "" for e in page.operations)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(refs) == made_refs(plugin) and len(refs) == 5
    assert pages > len(PHASES), "one Stripe page at a time (limit 1), paged on with starting_after"


def test_since_asks_stripe_for_what_was_created_from_then_on() -> None:
    provider, plugin = start()
    deal = Deal()
    provider.execute(deal.fund())
    later = datetime.fromtimestamp(sandbox_of(plugin).books.now() + 1, UTC)
    second = deal.fund(Money(50_000, "USD"))
    provider.execute(second)

    entries = listed(provider, since=later)

    assert [(e.kind, e.operation_id) for e in entries] == [(OperationKind.FUND, second.operation_id)]
    assert listed(provider, since=datetime(2100, 1, 1, tzinfo=UTC)) == []


def raw_post(plugin: StripeConnectPayments, path: str, data: dict[str, str]) -> dict[str, object]:
    """A call to the sandbox made with the platform's key by another program, not through the plugin."""
    client = httpx.Client(transport=sandbox_of(plugin), base_url="https://api.stripe.com")
    answer = client.post(path, data=data, headers={"Authorization": "Bearer sk_test_elsewhere"})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_objects_made_outside_the_plugin_are_listed_as_they_are() -> None:
    provider, plugin = start()
    intent = raw_post(
        plugin,
        "/v1/payment_intents",
        {"amount": "7700", "currency": "usd", "payment_method": "pm_card_bypassPending", "confirm": "true"},
    )
    charge = str(intent["latest_charge"])
    raw_post(
        plugin,
        "/v1/transfers",
        {
            "amount": "1000",
            "currency": "usd",
            "destination": CREATOR,
            "source_transaction": charge,
            "metadata[operation_id]": "op_someone_elses",
        },
    )

    by_kind = {e.kind: e for e in listed(provider)}

    fund = by_kind[OperationKind.FUND]
    assert fund.provider_ref == fund.operation_id == intent["id"], "no operation of ours: its own id stands in"
    assert fund.amount == Money(7_700, "USD") and fund.status is OperationStatus.SUCCEEDED
    assert by_kind[OperationKind.RELEASE].operation_id == "op_someone_elses", "read from its metadata as it is"


def test_a_cursor_the_plugin_did_not_hand_out_is_refused() -> None:
    _, plugin = start()
    for cursor in ("payouts:", "tr_123", ""):
        with pytest.raises(InvalidRequest) as refused:
            plugin.creatorkit_payment_list(None, cursor)
        assert refused.value.field == "cursor"


def test_a_stripe_error_while_listing_is_a_payment_error_that_names_the_list() -> None:
    provider, plugin = start()
    sandbox_of(plugin).fail(Fault.SERVER_ERROR, times=1)
    with pytest.raises(PaymentError) as caught:
        provider.list_movements()
    assert "list the charges" in str(caught.value) and "request req_" in str(caught.value)
