"""The books outlive the provider: another provider on the same store, later or at the same time, sees them.

On a SQLite file and on a PostgreSQL schema. A crash after the escrow committed a movement and before the core
recorded the answer (the sandbox's lost answer, then the process gone) is recovered by retrieving from a new
provider: the movement is there, once.
"""

from __future__ import annotations

import threading

import pytest

from creatorkit import Money
from creatorkit.config import Mode
from creatorkit.entities import LedgerAccountKind, OperationStatus, ProviderOperation
from creatorkit.errors import IdempotencyConflict, PaymentError
from creatorkit.ledger import account_id
from databases import Database

from .conftest import CREATOR, Deal, Providers

CREATOR_PAYABLE = account_id(LedgerAccountKind.CREATOR_PAYABLE, "USD", holder=CREATOR)


def test_a_second_provider_on_the_same_store_sees_the_first_ones_movements(
    providers: Providers, books_database: Database
) -> None:
    first, first_plugin = providers.start(Mode.LIVE, store=books_database.url)
    deal = Deal()
    fund_request = deal.fund()
    fund = first.execute(fund_request)
    release_request = deal.release(fund, deal.legs(60_000))
    release = first.execute(release_request)
    first_plugin.close()  # that process is gone

    second, second_plugin = providers.start(Mode.LIVE, store=books_database.url)
    assert second.retrieve(fund_request, known=None) == fund
    assert second.retrieve(release_request, known=None) == release
    assert second.execute(release_request) == release, "the retry in another process moves nothing again"
    books = second_plugin.books
    assert books.kit.ledger.balance(books.actor, CREATOR_PAYABLE).posted == Money(60_000, "USD")
    with pytest.raises(IdempotencyConflict) as caught:
        second.execute(deal.release(fund, deal.legs(59_999), operation_id=release_request.operation_id))
    assert "amount" in caught.value.fields and "legs" in caught.value.fields
    second.execute(deal.reverse(release, deal.legs(10_000)))  # it reads the first process's release to check it
    assert second.retrieve(release_request, known=release).reversed_amount == Money(10_000, "USD")
    assert books.kit.ledger.verify(books.actor) == []


def test_a_crash_between_the_escrows_commit_and_the_cores_recovers_through_retrieve(
    providers: Providers, books_database: Database
) -> None:
    crashing, crashing_plugin = providers.start(store=books_database.url, sandbox={"timeout_after_success": True})
    deal = Deal()
    request = deal.fund()
    with pytest.raises(PaymentError) as caught:
        crashing.execute(request)
    assert caught.value.outcome_unknown
    crashing_plugin.close()

    provider, plugin = providers.start(store=books_database.url)
    found = provider.retrieve(request, known=None)
    assert found.status is OperationStatus.SUCCEEDED
    assert provider.execute(request) == found, "asked again with the same id, the same movement"
    books = plugin.books
    clearing = account_id(LedgerAccountKind.PROVIDER_CLEARING, "USD", holder="ledger_escrow")
    assert books.kit.ledger.balance(books.actor, clearing).posted == deal.amount, "the money came in once"


def test_two_providers_racing_with_one_request_move_money_once(providers: Providers, books_database: Database) -> None:
    setup, _ = providers.start(store=books_database.url)
    deal = Deal()
    fund = setup.execute(deal.fund())
    release = deal.release(fund, deal.legs(70_000))
    racers = [providers.start(store=books_database.url) for _ in range(2)]
    start = threading.Barrier(len(racers))
    answers: list[ProviderOperation | BaseException] = []

    def race(provider_index: int) -> None:
        start.wait()
        try:
            answers.append(racers[provider_index][0].execute(release))
        except BaseException as exc:  # reported below, not lost in the thread
            answers.append(exc)

    threads = [threading.Thread(target=race, args=(index,)) for index in range(len(racers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(answer, ProviderOperation) for answer in answers), answers
    assert len({answer.provider_ref for answer in answers if isinstance(answer, ProviderOperation)}) == 1
    books = racers[0][1].books
    assert books.kit.ledger.balance(books.actor, CREATOR_PAYABLE).posted == Money(70_000, "USD")
