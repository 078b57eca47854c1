"""kit.ledger through its public API: accounts, transfers, pending → post/void, corrections, retries, errors, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import attrs
import pytest

from creatorkit import Actor, Creatorkit, Money
from creatorkit.audit import payload_hash
from creatorkit.converter import unstructure
from creatorkit.entities import LedgerAccountKind as Kind
from creatorkit.entities import LedgerEntry, LedgerEntryKind, LedgerEntryStatus, NormalBalance, Posting
from creatorkit.errors import (
    IdempotencyConflict,
    InsufficientFunds,
    NotFound,
    PermissionDenied,
    StateError,
    ValidationError,
)
from creatorkit.ledger import ACCOUNT_RULES, OpenAccount, Pending, Transfer, account_id, legs
from creatorkit.ledger._journal import Journal, entry_document

from .conftest import SYSTEM, add_deal, open_accounts


@pytest.fixture
def jpy(ledger_kit: Creatorkit) -> dict[Kind, str]:
    return {kind: account.id for kind, account in open_accounts(ledger_kit, "JPY", "deal_1").items()}


def funded(kit: Creatorkit, accounts: dict[Kind, str], amount: int = 100_000) -> None:
    """The brand's money taken by the provider and held in the deal's escrow."""
    kit.ledger.transfer(
        SYSTEM, "op_fund", legs(accounts[Kind.PROVIDER_CLEARING], accounts[Kind.BRAND_FUNDING], Money(amount, "JPY"))
    )
    kit.ledger.transfer(
        SYSTEM,
        "op_hold",
        legs(accounts[Kind.BRAND_FUNDING], accounts[Kind.DEAL_ESCROW], Money(amount, "JPY")),
        deal_id="deal_1",
    )


def available(kit: Creatorkit, account: str) -> int:
    return kit.ledger.balance(SYSTEM, account).available.amount


# --- accounts ----------------------------------------------------------------------------------------------------


def test_accounts_follow_their_kind(ledger_kit: Creatorkit) -> None:
    escrow = ledger_kit.ledger.open_account(SYSTEM, Kind.DEAL_ESCROW, "KWD", deal_id="deal_1")
    assert escrow.id == "deal_escrow:deal_1:KWD" == account_id(Kind.DEAL_ESCROW, "KWD", deal_id="deal_1")
    assert (escrow.normal_balance, escrow.may_go_negative) == (NormalBalance.CREDIT, False)
    fees = ledger_kit.ledger.open_account(SYSTEM, "platform_fees", "KWD")
    assert fees.id == "platform_fees:KWD" and not fees.may_go_negative
    clearing = ledger_kit.ledger.open_account(SYSTEM, Kind.PROVIDER_CLEARING, "KWD", holder="stripe")
    assert clearing.normal_balance is NormalBalance.DEBIT and clearing.may_go_negative
    assert not [kind for kind in Kind if kind not in ACCOUNT_RULES]


def test_opening_an_open_account_finds_it_and_writes_nothing(ledger_kit: Creatorkit) -> None:
    first = ledger_kit.ledger.open_account(SYSTEM, Kind.CREATOR_PAYABLE, "USD", holder="creator_ana")
    head = ledger_kit.store.audit_head()
    assert ledger_kit.ledger.open_account(SYSTEM, Kind.CREATOR_PAYABLE, "USD", holder="creator_ana") == first
    assert ledger_kit.store.audit_head() == head


def test_an_account_needs_what_its_kind_is_scoped_to(ledger_kit: Creatorkit) -> None:
    with pytest.raises(ValidationError) as caught:
        ledger_kit.ledger.apply(SYSTEM, [OpenAccount(kind=Kind.DEAL_ESCROW, currency="XAU", holder="someone")])
    assert caught.value.paths == ["operations[0].currency", "operations[0].holder", "operations[0].deal_id"]
    with pytest.raises(NotFound):
        ledger_kit.ledger.open_account(SYSTEM, Kind.DEAL_ESCROW, "USD", deal_id="deal_unknown")


# --- transfers, pending, post, void, corrections -----------------------------------------------------------------


def test_a_transfer_moves_posted_balances_on_each_normal_side(ledger_kit: Creatorkit, jpy: dict[Kind, str]) -> None:
    funded(ledger_kit, jpy)
    balance = ledger_kit.ledger.balance(SYSTEM, jpy[Kind.DEAL_ESCROW])
    assert (balance.posted, balance.available) == (Money(100_000, "JPY"), Money(100_000, "JPY"))
    assert ledger_kit.ledger.balance(SYSTEM, jpy[Kind.PROVIDER_CLEARING]).posted == Money(100_000, "JPY")
    assert ledger_kit.ledger.balance(SYSTEM, jpy[Kind.BRAND_FUNDING]).posted == Money(0, "JPY")


def test_a_release_splits_escrow_into_fee_agency_and_creator(ledger_kit: Creatorkit, jpy: dict[Kind, str]) -> None:
    funded(ledger_kit, jpy)
    fee, agency, creator = Money(100_001, "JPY").allocate([1_500, 1_000, 7_500])
    ledger_kit.ledger.transfer(
        SYSTEM, "op_fund_1", legs(jpy[Kind.PROVIDER_CLEARING], jpy[Kind.DEAL_ESCROW], Money(1, "JPY"))
    )
    entry = ledger_kit.ledger.transfer(
        SYSTEM,
        "op_release",
        (
            Posting(account=jpy[Kind.DEAL_ESCROW], amount=Money(100_001, "JPY")),
            Posting(account=jpy[Kind.PLATFORM_FEES], amount=-fee),
            Posting(account=jpy[Kind.AGENCY_SHARE], amount=-agency),
            Posting(account=jpy[Kind.CREATOR_PAYABLE], amount=-creator),
        ),
        deal_id="deal_1",
    )
    assert entry.kind is LedgerEntryKind.TRANSFER and entry.sequence is not None
    assert available(ledger_kit, jpy[Kind.DEAL_ESCROW]) == 0
    assert [available(ledger_kit, jpy[k]) for k in (Kind.PLATFORM_FEES, Kind.AGENCY_SHARE, Kind.CREATOR_PAYABLE)] == [
        15_000,
        10_000,
        75_001,
    ]
    assert ledger_kit.ledger.verify(SYSTEM) == []


def test_pending_reserves_then_a_partial_post_releases_the_rest(ledger_kit: Creatorkit, jpy: dict[Kind, str]) -> None:
    funded(ledger_kit, jpy)
    escrow, creator = jpy[Kind.DEAL_ESCROW], jpy[Kind.CREATOR_PAYABLE]
    hold = ledger_kit.ledger.pending(SYSTEM, "op_p", debit=escrow, credit=creator, amount=Money(60_000, "JPY"))
    balance = ledger_kit.ledger.balance(SYSTEM, escrow)
    assert (balance.posted.amount, balance.pending_out.amount, balance.available.amount) == (100_000, 60_000, 40_000)
    assert ledger_kit.ledger.balance(SYSTEM, creator).pending_in == Money(60_000, "JPY")
    assert ledger_kit.ledger.status(SYSTEM, hold.id) is LedgerEntryStatus.PENDING
    posted = ledger_kit.ledger.post(SYSTEM, "op_post", hold.id, Money(45_000, "JPY"))
    assert (posted.kind, posted.resolves, posted.deal_id) == (LedgerEntryKind.POST, hold.id, None)
    assert ledger_kit.ledger.status(SYSTEM, hold.id) is LedgerEntryStatus.POSTED
    assert available(ledger_kit, escrow) == 55_000 and available(ledger_kit, creator) == 45_000
    assert ledger_kit.ledger.balance(SYSTEM, escrow).pending_out == Money(0, "JPY")


def test_a_void_releases_everything_and_a_resolved_entry_takes_no_second_move(
    ledger_kit: Creatorkit, jpy: dict[Kind, str]
) -> None:
    funded(ledger_kit, jpy)
    hold = ledger_kit.ledger.pending(
        SYSTEM, "op_p", debit=jpy[Kind.DEAL_ESCROW], credit=jpy[Kind.CREATOR_PAYABLE], amount=Money(10, "JPY")
    )
    voided = ledger_kit.ledger.void(SYSTEM, "op_void", hold.id)
    assert voided.resolves == hold.id and ledger_kit.ledger.status(SYSTEM, hold.id) is LedgerEntryStatus.VOIDED
    assert available(ledger_kit, jpy[Kind.DEAL_ESCROW]) == 100_000
    for move in (
        lambda: ledger_kit.ledger.post(SYSTEM, "op_late", hold.id),
        lambda: ledger_kit.ledger.void(SYSTEM, "op_again", hold.id),
    ):
        with pytest.raises(StateError) as caught:
            move()
        assert caught.value.state == "voided" and caught.value.allowed == []
    with pytest.raises(StateError) as caught:
        ledger_kit.ledger.post(SYSTEM, "op_post_transfer", ledger_kit.ledger.entries(SYSTEM, deal_id="deal_1")[0].id)
    assert caught.value.state == "transfer" and caught.value.allowed == ["correct"]


def test_a_post_is_at_most_the_pending_amount_in_its_currency(ledger_kit: Creatorkit, jpy: dict[Kind, str]) -> None:
    funded(ledger_kit, jpy)
    hold = ledger_kit.ledger.pending(
        SYSTEM, "op_p", debit=jpy[Kind.DEAL_ESCROW], credit=jpy[Kind.CREATOR_PAYABLE], amount=Money(10, "JPY")
    )
    for amount in (Money(11, "JPY"), Money(5, "USD")):
        with pytest.raises(ValidationError) as caught:
            ledger_kit.ledger.post(SYSTEM, "op_post", hold.id, amount)
        assert caught.value.paths == ["amount"]
    with pytest.raises(ValidationError):
        ledger_kit.ledger.post(SYSTEM, "op_post", hold.id, Money(0, "JPY"))
    assert ledger_kit.ledger.status(SYSTEM, hold.id) is LedgerEntryStatus.PENDING


def test_a_correction_reverses_once_and_never_below_zero(ledger_kit: Creatorkit, jpy: dict[Kind, str]) -> None:
    funded(ledger_kit, jpy)
    escrow, creator, clearing = jpy[Kind.DEAL_ESCROW], jpy[Kind.CREATOR_PAYABLE], jpy[Kind.PROVIDER_CLEARING]
    release = ledger_kit.ledger.transfer(SYSTEM, "op_rel", legs(escrow, creator, Money(30_000, "JPY")))
    correction = ledger_kit.ledger.correct(SYSTEM, "op_fix", release.id, memo="released twice by mistake")
    assert correction.corrects == release.id
    assert [p.amount.amount for p in correction.postings] == [-30_000, 30_000]
    assert available(ledger_kit, creator) == 0
    with pytest.raises(StateError) as caught:
        ledger_kit.ledger.correct(SYSTEM, "op_fix_again", release.id)
    assert caught.value.state == "corrected"
    with pytest.raises(StateError):
        ledger_kit.ledger.correct(SYSTEM, "op_fix_fix", correction.id)
    paid = ledger_kit.ledger.transfer(SYSTEM, "op_rel_2", legs(escrow, creator, Money(5, "JPY")))
    ledger_kit.ledger.transfer(SYSTEM, "op_payout", legs(creator, clearing, Money(5, "JPY")))
    with pytest.raises(InsufficientFunds) as refused:
        ledger_kit.ledger.correct(SYSTEM, "op_fix_paid", paid.id)  # the creator was paid: the payable cannot owe
    assert (refused.value.account, refused.value.available, refused.value.requested) == (creator, 0, 5)


def test_accounts_that_cannot_owe_refuse_and_nothing_is_written(ledger_kit: Creatorkit, jpy: dict[Kind, str]) -> None:
    funded(ledger_kit, jpy, amount=100)
    head = ledger_kit.store.audit_head()
    escrow, creator = jpy[Kind.DEAL_ESCROW], jpy[Kind.CREATOR_PAYABLE]
    with pytest.raises(InsufficientFunds) as caught:
        ledger_kit.ledger.transfer(SYSTEM, "op_over", legs(escrow, creator, Money(101, "JPY")))
    assert (caught.value.account, caught.value.available, caught.value.requested) == (escrow, 100, 101)
    ledger_kit.ledger.pending(SYSTEM, "op_hold_most", debit=escrow, credit=creator, amount=Money(90, "JPY"))
    with pytest.raises(InsufficientFunds):  # what is reserved cannot be spent twice
        ledger_kit.ledger.transfer(SYSTEM, "op_rest", legs(escrow, creator, Money(11, "JPY")))
    assert available(ledger_kit, escrow) == 10
    assert len(ledger_kit.ledger.entries(SYSTEM, account_id=escrow)) == 2
    assert ledger_kit.store.audit_head()[0] == head[0] + 1  # the pending entry's event, nothing of the refusals


def test_a_batch_applies_whole_or_not_at_all(ledger_kit: Creatorkit, jpy: dict[Kind, str]) -> None:
    clearing, funding, escrow = jpy[Kind.PROVIDER_CLEARING], jpy[Kind.BRAND_FUNDING], jpy[Kind.DEAL_ESCROW]
    good = Transfer(operation_id="op_good", postings=legs(clearing, funding, Money(50, "JPY")))
    bad = Transfer(operation_id="op_bad", postings=legs(funding, escrow, Money(-50, "JPY")))
    with pytest.raises(InsufficientFunds):
        ledger_kit.ledger.apply(SYSTEM, [good, bad])
    assert available(ledger_kit, clearing) == 0 and ledger_kit.ledger.entries(SYSTEM, account_id=clearing) == []
    with pytest.raises(ValidationError) as caught:
        ledger_kit.ledger.apply(
            SYSTEM, [good, Pending(operation_id="bad id", debit=escrow, credit=escrow, amount=Money(0, "JPY"))]
        )
    assert caught.value.paths == ["operations[1].operation_id", "operations[1].credit", "operations[1].amount"]
    first, again = ledger_kit.ledger.apply(SYSTEM, [good, good])  # the op id of a failed batch is still free
    assert first == again and available(ledger_kit, clearing) == 50


def test_postings_must_balance_and_name_each_account_once(ledger_kit: Creatorkit, jpy: dict[Kind, str]) -> None:
    escrow, creator = jpy[Kind.DEAL_ESCROW], jpy[Kind.CREATOR_PAYABLE]
    unbalanced = (Posting(account=escrow, amount=Money(5, "JPY")), Posting(account=creator, amount=Money(-4, "JPY")))
    twice = (Posting(account=escrow, amount=Money(5, "JPY")), Posting(account=escrow, amount=Money(-5, "JPY")))
    with pytest.raises(ValidationError) as caught:
        ledger_kit.ledger.transfer(SYSTEM, "op_x", unbalanced)
    assert caught.value.paths == ["postings"]
    with pytest.raises(ValidationError) as caught:
        ledger_kit.ledger.transfer(SYSTEM, "op_x", twice)
    assert caught.value.paths == ["postings[1].account"]
    with pytest.raises(ValidationError) as caught:
        ledger_kit.ledger.transfer(SYSTEM, "op_x", legs(escrow, creator, Money(5, "USD")))
    assert caught.value.paths == ["postings[1].amount.currency"]
    with pytest.raises(NotFound):
        ledger_kit.ledger.transfer(SYSTEM, "op_x", legs(escrow, "creator_payable:nobody:JPY", Money(5, "JPY")))


# --- idempotency -------------------------------------------------------------------------------------------------


def test_the_same_operation_id_is_applied_once(ledger_kit: Creatorkit, jpy: dict[Kind, str]) -> None:
    funded(ledger_kit, jpy)
    escrow, creator = jpy[Kind.DEAL_ESCROW], jpy[Kind.CREATOR_PAYABLE]
    hold = ledger_kit.ledger.pending(SYSTEM, "op_p", debit=escrow, credit=creator, amount=Money(7, "JPY"))
    post = ledger_kit.ledger.post(SYSTEM, "op_post", hold.id, Money(3, "JPY"))
    head = ledger_kit.store.audit_head()
    assert ledger_kit.ledger.pending(SYSTEM, "op_p", debit=escrow, credit=creator, amount=Money(7, "JPY")) == hold
    assert ledger_kit.ledger.post(SYSTEM, "op_post", hold.id, Money(3, "JPY")) == post  # resolved, yet a retry
    assert ledger_kit.store.audit_head() == head and available(ledger_kit, creator) == 3
    with pytest.raises(IdempotencyConflict) as caught:
        ledger_kit.ledger.post(SYSTEM, "op_post", hold.id, Money(4, "JPY"))
    assert caught.value.fields == ("amount",)
    with pytest.raises(IdempotencyConflict) as caught:
        ledger_kit.ledger.transfer(SYSTEM, "op_post", legs(escrow, creator, Money(3, "JPY")), memo="other")
    assert "kind" in caught.value.fields and caught.value.operation_id == "op_post"


def test_a_batch_of_retries_alone_writes_nothing(ledger_kit: Creatorkit, jpy: dict[Kind, str]) -> None:
    funded(ledger_kit, jpy)
    hold = Pending(
        operation_id="op_p", debit=jpy[Kind.DEAL_ESCROW], credit=jpy[Kind.CREATOR_PAYABLE], amount=Money(7, "JPY")
    )
    [entry] = ledger_kit.ledger.apply(SYSTEM, [hold])
    head = ledger_kit.store.audit_head()
    assert ledger_kit.ledger.apply(SYSTEM, [hold, hold]) == [entry, entry]
    assert ledger_kit.store.audit_head() == head


# --- the audit trail and who may act -----------------------------------------------------------------------------


def test_every_entry_is_in_the_audit_trail_as_written(ledger_kit: Creatorkit, jpy: dict[Kind, str]) -> None:
    funded(ledger_kit, jpy)
    hold = ledger_kit.ledger.pending(
        SYSTEM, "op_p", debit=jpy[Kind.DEAL_ESCROW], credit=jpy[Kind.CREATOR_PAYABLE], amount=Money(7, "JPY")
    )
    ledger_kit.ledger.void(SYSTEM, "op_v", hold.id)
    entries = ledger_kit.ledger.entries(SYSTEM, account_id=jpy[Kind.DEAL_ESCROW])
    events = {event.entity_id: event for event in ledger_kit.store.iter_audit() if event.entity_kind == "ledger_entry"}
    assert [e.kind for e in entries] == [LedgerEntryKind.TRANSFER, LedgerEntryKind.PENDING, LedgerEntryKind.VOID]
    for entry in entries:
        assert events[entry.id].action == f"ledger.{entry.kind}"
        assert events[entry.id].payload_hash == payload_hash(unstructure(entry))
    opened = [e for e in ledger_kit.store.iter_audit() if e.action == "ledger.account_opened"]
    assert len(opened) == len(jpy)


def test_only_the_system_writes_and_refusals_are_recorded(ledger_kit: Creatorkit, jpy: dict[Kind, str]) -> None:
    brand = Actor.brand("brand_lumen")
    ledger_kit.parties.register_brand(SYSTEM, name="Lumen", id="brand_lumen")
    with pytest.raises(PermissionDenied):
        ledger_kit.ledger.transfer(
            brand, "op_x", legs(jpy[Kind.DEAL_ESCROW], jpy[Kind.CREATOR_PAYABLE], Money(1, "JPY"))
        )
    assert [e.action for e in ledger_kit.store.iter_audit()][-1] == "denied.write_ledger"


def test_a_brand_reads_its_own_deals_money_and_nothing_else(ledger_kit: Creatorkit, jpy: dict[Kind, str]) -> None:
    ledger_kit.parties.register_brand(SYSTEM, name="Lumen", id="brand_lumen")
    ledger_kit.parties.register_brand(SYSTEM, name="Rival", id="brand_rival")
    add_deal(ledger_kit, "deal_rival", brand_id="brand_rival")
    rival_escrow = ledger_kit.ledger.open_account(SYSTEM, Kind.DEAL_ESCROW, "JPY", deal_id="deal_rival")
    funded(ledger_kit, jpy)
    lumen, rival = Actor.brand("brand_lumen"), Actor.brand("brand_rival")
    assert ledger_kit.ledger.balance(lumen, jpy[Kind.DEAL_ESCROW]).available.amount == 100_000
    assert len(ledger_kit.ledger.entries(lumen, deal_id="deal_1")) == 1
    for read in (
        lambda: ledger_kit.ledger.balance(rival, jpy[Kind.DEAL_ESCROW]),
        lambda: ledger_kit.ledger.balance(lumen, rival_escrow.id),
        lambda: ledger_kit.ledger.balance(lumen, jpy[Kind.CREATOR_PAYABLE]),
        lambda: ledger_kit.ledger.entries(rival, deal_id="deal_1"),
        lambda: ledger_kit.ledger.verify(lumen),
    ):
        with pytest.raises(PermissionDenied):
            read()


def _entries_of_every_kind() -> list[LedgerEntry]:
    when = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
    two = (Posting(account="a:USD", amount=Money(-5, "USD")), Posting(account="b:USD", amount=Money(5, "USD")))
    links = {LedgerEntryKind.POST: "resolves", LedgerEntryKind.VOID: "resolves", LedgerEntryKind.CORRECTION: "corrects"}
    return [
        LedgerEntry(
            id=f"le_op_{kind}",
            operation_id=f"op_{kind}",
            kind=kind,
            postings=two,
            created_at=when,
            deal_id=None if kind is LedgerEntryKind.CORRECTION else "deal_1",
            memo="" if kind is LedgerEntryKind.PENDING else f"the {kind} ✓",
            sequence=7,
            **({links[kind]: "le_op_pending"} if kind in links else {}),
        )
        for kind in LedgerEntryKind
    ]


def test_an_entrys_audit_document_is_what_the_converter_makes() -> None:
    """entry_document is unstructure(entry) built directly: for every kind and every field of an entry."""
    assert {field.name for field in attrs.fields(LedgerEntry)} == set(
        entry_document(_entries_of_every_kind()[0], "")
    ), "a new field of LedgerEntry: add it to entry_document"
    for entry in _entries_of_every_kind():
        assert entry_document(entry, entry.created_at.isoformat()) == unstructure(entry)


def test_a_journal_writes_each_entrys_own_time_into_its_document() -> None:
    """The journal keeps the last time's text; an entry at another moment gets its own (the cache's invalidation)."""
    journal = Journal(SimpleNamespace(ledger=None))  # type: ignore[arg-type]
    first, second = _entries_of_every_kind()[:2]
    later = attrs.evolve(second, created_at=first.created_at + timedelta(microseconds=1))
    assert journal._document(first) == unstructure(first)
    assert journal._document(later) == unstructure(later)
    assert journal._document(first)["created_at"] == first.created_at.isoformat()
