"""The plugin: creatorkit's payment verbs kept as entries of a ledger in a store of the provider's own.

It opens a :class:`~creatorkit.Creatorkit` of its own on the ``store`` setting, with no plugins, and moves money
only through that kit's ``kit.ledger`` (:mod:`._books`). What it answers is read back from the ledger entry
(:meth:`LedgerEscrow.creatorkit_payment_retrieve` works in any process on the same store), so a crash between
the provider's commit and the core's is recovered by retrieving: the entry is there, or nothing moved.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from creatorkit import Creatorkit, PluginContext, hookimpl
from creatorkit.entities import (
    Capability,
    CurrencySupport,
    LegResult,
    OperationKind,
    OperationStatus,
    PaymentCapabilities,
    PluginKind,
    PluginMetadata,
    ProviderOperation,
    ProviderRequest,
    SplitMode,
)
from creatorkit.errors import (
    ConfigError,
    IdempotencyConflict,
    InsufficientFunds,
    NotFound,
    PaymentError,
    Problem,
    StoreError,
    ValidationError,
)
from creatorkit.ledger import entry_id
from creatorkit.money import Money, currencies
from creatorkit.payments import differing_fields, status_from_raw
from creatorkit.store import open_store

from ._books import EscrowBooks, Movement, Refused, receiver_account
from ._settings import SETTINGS_SCHEMA, EscrowSettings, read_settings

__all__ = ["MAX_RECEIVERS", "RAW_STATUSES", "LedgerEscrow"]

#: The most legs one movement pays: one posting each, in one entry; the limit only keeps entries readable.
MAX_RECEIVERS = 100
#: The escrow's own status words: its entries are posted when written; ``pending`` is only the sandbox's answer.
RAW_STATUSES = {
    "posted": OperationStatus.SUCCEEDED,
    "reversed": OperationStatus.REVERSED,
    "pending": OperationStatus.PENDING,
}
NO_WEBHOOKS = (
    "no outside party: every movement is a ledger entry written during the call, so there is nothing to be told later"
)


@functools.cache
def _every_currency() -> tuple[CurrencySupport, ...]:
    """Every currency of the core's ISO 4217 table, at its ISO exponent: the books count in minor units as it does."""
    return tuple(CurrencySupport(currency=code, exponent=digits) for code, digits in sorted(currencies().items()))


def _now() -> datetime:
    return datetime.now(UTC)


class LedgerEscrow:
    """Built-in escrow whose books are a creatorkit double-entry ledger; it moves no real money.

    For an operator that holds its clients' money in its own bank account and keeps the books here: a fund is
    money that reached that account and is held for one fund, a release owes it to the receivers, a payout is
    money the operator sent on to a receiver's bank, a refund money sent back to the brand. The provider takes no
    fee. ``clock`` stamps the entries (the system's clock by default).
    """

    def __init__(self, name: str = "ledger_escrow", *, clock: Callable[[], datetime] = _now) -> None:
        self.name = name
        self.clock = clock
        self.settings = EscrowSettings()
        self._books: EscrowBooks | None = None
        self._lock = threading.Lock()
        # The sandbox's memory of what it did to answers (never to the books): lost once, pending for so long.
        self._lost_answers: set[str] = set()
        self._pending_reads: dict[str, int] = {}

    def __repr__(self) -> str:
        store = self._books.kit.store if self._books is not None else "not opened"
        return f"<LedgerEscrow {self.name!r} on {store}>"

    # -- setting up ---------------------------------------------------------------------------------------------

    @property
    def capabilities(self) -> PaymentCapabilities:
        return PaymentCapabilities(
            currencies=_every_currency(),
            kinds=frozenset(OperationKind),
            max_hold_days=self.settings.max_hold_days,
            partial_release=True,
            split_modes=frozenset(SplitMode),
            max_receivers=MAX_RECEIVERS,
            max_split_bp=None,
            refund_requires_reversal=True,
        )

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name=self.name,
            kind=PluginKind.PAYMENT,
            display_name="Ledger escrow (built in)",
            description="Keeps escrow books on a creatorkit ledger in a store of its own, for an operator holding "
            "its clients' money in its own bank account: funds, releases, reversals, refunds and payouts become "
            "ledger entries. Moves no real money; takes no fee; sends no webhooks.",
            capabilities=frozenset({Capability.PAYMENTS}),
            missing={Capability.WEBHOOKS: NO_WEBHOOKS},
            settings_schema=SETTINGS_SCHEMA,
            payments=self.capabilities,
        )

    @hookimpl
    def creatorkit_configure(self, settings: Mapping[str, Any], context: PluginContext) -> None:
        chosen = read_settings(self.name, settings, context.mode)
        books = self._open(chosen)
        with self._lock:
            previous, self._books, self.settings = self._books, books, chosen
            self._lost_answers.clear()
            self._pending_reads.clear()
        if previous is not None:
            previous.kit.close()

    def _open(self, settings: EscrowSettings) -> EscrowBooks:
        try:
            store = open_store(settings.store)
        except StoreError as exc:
            raise ConfigError([Problem(f"payments.{self.name}.store", str(exc))]) from None
        kit = Creatorkit(store=store, clock=self.clock)
        return EscrowBooks(kit, self.name, max_hold_days=settings.max_hold_days)

    @property
    def books(self) -> EscrowBooks:
        """The books; never configured, those of sandbox mode's default (an in-memory store)."""
        with self._lock:
            if self._books is None:
                self._books = self._open(EscrowSettings())
            return self._books

    def close(self) -> None:
        """Close the provider's store (the plugin contract has no hook for it: an app that ends calls this)."""
        with self._lock:
            books, self._books = self._books, None
        if books is not None:
            books.kit.close()

    # -- the hooks ----------------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_payment_operation(self, request: ProviderRequest) -> ProviderOperation:
        movement = self._stored(request, self._move)
        switches = self.settings.switches
        with self._lock:  # the sandbox's switches only: live mode remembers nothing of its answers
            if switches.pending_retrieves:
                self._pending_reads.setdefault(request.operation_id, switches.pending_retrieves)
            lose = switches.timeout_after_success and request.operation_id not in self._lost_answers
            if lose:
                self._lost_answers.add(request.operation_id)
        if lose:
            raise PaymentError(
                f"{request.kind} {request.operation_id}: the sandbox lost the answer (the movement was written)",
                provider=self.name,
                operation_id=request.operation_id,
                outcome_unknown=True,
                provider_code="sandbox_timeout",
            )
        return self._answer(movement)

    @hookimpl
    def creatorkit_payment_retrieve(
        self, request: ProviderRequest, known: ProviderOperation | None
    ) -> ProviderOperation:
        movement = self._stored(request, self._recorded)
        with self._lock:
            left = self._pending_reads.get(request.operation_id, 0)
            if left:
                self._pending_reads[request.operation_id] = left - 1
        return self._answer(movement)

    # -- the books, and what they answer ------------------------------------------------------------------------

    def _stored(self, request: ProviderRequest, step: Callable[[ProviderRequest], Movement]) -> Movement:
        """``step(request)``, with the store's failures as an unknown outcome: the ledger may or may not hold it."""
        try:
            return step(request)
        except StoreError as exc:
            raise PaymentError(
                f"{request.kind} {request.operation_id}: the escrow's store failed ({exc}); retrieve to learn more",
                provider=self.name,
                operation_id=request.operation_id,
                outcome_unknown=True,
                provider_code="store",
            ) from exc

    def _move(self, request: ProviderRequest) -> Movement:
        books = self.books
        if books.is_the_workspace_store(request.operation_id):
            raise self._refusal(
                request,
                f"payments.{self.name}.store is the workspace's own store (it holds the workspace's record of this "
                "operation): the escrow's entries take the operation ids the workspace's ledger takes, so it keeps "
                "its books in a store of its own",
                "shared_store",
            )
        try:
            entry = books.move(request)
        except IdempotencyConflict:
            return self._recorded(request)  # names the fields that differ from the request first made
        except (Refused, InsufficientFunds, ValidationError, NotFound) as refused:
            # A refused request may be a retry the books took before: a reversal retried counts itself as taken.
            if books.entry_of(request.operation_id) is not None:
                return self._recorded(request)
            raise self._refused(request, refused) from None
        return Movement(request=request, entry=entry)

    def _recorded(self, request: ProviderRequest) -> Movement:
        """The movement made under ``request.operation_id``, if it was made by this very request."""
        books = self.books
        entry = books.entry_of(request.operation_id)
        if entry is None:
            raise NotFound("payment operation", request.operation_id, platform=self.name)
        movement = books.movement(entry.id)
        if movement is None:
            raise self._refusal(
                request,
                f"ledger entry {entry.id} was not written by {self.name}: the store holds another ledger's entries",
                "foreign_entry",
            )
        fields = differing_fields(movement.request, request)
        if fields:
            raise IdempotencyConflict(request.operation_id, fields, provider=self.name)
        return movement

    def _refusal(self, request: ProviderRequest, reason: str, code: str) -> PaymentError:
        return PaymentError(
            f"{request.kind} {request.operation_id}: {reason}",
            provider=self.name,
            operation_id=request.operation_id,
            provider_code=code,
        )

    def _refused(self, request: ProviderRequest, refused: Exception) -> PaymentError:
        if isinstance(refused, Refused):
            return self._refusal(request, refused.reason, refused.code)
        if isinstance(refused, InsufficientFunds):
            held = Money(refused.available, refused.currency)
            reason = f"{refused.account} holds {held}, less than the {Money(refused.requested, refused.currency)} asked"
            return self._refusal(request, reason, "insufficient_funds")
        return self._refusal(request, str(refused), "invalid")

    def _answer(self, movement: Movement) -> ProviderOperation:
        """The operation as the ledger holds it (as the sandbox's switches distort it, in sandbox mode)."""
        request, entry = movement.request, movement.entry
        currency = request.amount.currency
        raw, updated_at, reversed_amount = "posted", entry.created_at, None
        if request.kind is OperationKind.RELEASE:
            back, updated_at = self.books.reversed_since(movement)
            reversed_amount = back if back.amount else None
            raw = "reversed" if back == request.amount else raw
        raw = self._sandbox_status(request.operation_id) or raw
        status = status_from_raw(raw, RAW_STATUSES)
        funded = request.kind is OperationKind.FUND
        held_until = entry.created_at + timedelta(days=request.hold_days) if funded and request.hold_days else None
        return ProviderOperation(
            provider=self.name,
            operation_id=request.operation_id,
            kind=request.kind,
            status=status,
            raw_status=raw,
            amount=request.amount,
            provider_ref=entry_id(request.operation_id),
            updated_at=updated_at,
            legs=tuple(
                LegResult(
                    account_ref=leg.account_ref,
                    amount=leg.amount,
                    status=status,
                    raw_status=raw,
                    party_id=leg.party_id,
                    provider_ref=receiver_account(leg, currency)[1],
                )
                for leg in request.legs
            ),
            fee=Money.zero(currency) if funded else None,
            net=request.amount if funded else None,
            reversed_amount=reversed_amount,
            hold_expires_at=held_until,
        )

    def _sandbox_status(self, operation_id: str) -> str | None:
        switches = self.settings.switches
        if switches.raw_status is not None:
            return switches.raw_status
        with self._lock:
            return "pending" if self._pending_reads.get(operation_id, 0) else None
