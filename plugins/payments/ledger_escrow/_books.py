"""The escrow's books on a creatorkit ledger: the accounts each movement posts to, and movements read back.

Every movement is one ledger ``Transfer`` whose operation id is the request's and whose memo is the request
itself (:mod:`._recorded`), applied by ``kit.ledger.apply`` together with the accounts it needs, in one
transaction, as the system actor ``system:<provider>``. The ledger's own rules do the rest: an operation id is
applied once (the same request again returns the first entry; another request under it is an
``IdempotencyConflict``), an escrow or a receiver's balance never goes below zero (``InsufficientFunds``), and a
refusal writes nothing. The accounts, in each currency:

=====================  ================================================  ===========================================
account                what it is                                         posted to by
=====================  ================================================  ===========================================
``provider_clearing``  the operator's bank account (holder: provider)    fund (in), refund and payout (out)
``fund_escrow``        one fund, held (holder: the fund's provider_ref)  fund, release, reverse, refund
``creator_payable``    owed to a creator leg's ``account_ref``            release, reverse, payout
``agency_share``       owed to an agency leg's ``account_ref``            release, reverse, payout
``platform_fees``      the operator's own (legs with role ``platform``)  release, reverse, payout
=====================  ================================================  ===========================================

One rule is the escrow's own: a reversal takes back from each receiver no more than the release paid it and
earlier reversals did not take back. It is checked by reading the fund's entries before writing, so two processes
reversing the same release at the same instant are not held to it against each other (each receiver's balance
still never goes below zero).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import attrs

from creatorkit import Actor, Creatorkit
from creatorkit.entities import (
    LedgerAccountKind,
    LedgerEntry,
    LegRole,
    OperationKind,
    Posting,
    ProviderRequest,
    ReceiverLeg,
)
from creatorkit.errors import NotFound
from creatorkit.ledger import LedgerOperation, OpenAccount, Transfer, account_id, entry_id
from creatorkit.money import Money

from ._recorded import memo_for, request_in

__all__ = ["EscrowBooks", "Movement", "Refused"]

#: The account a leg's money goes to, by the leg's role.
RECEIVER_KINDS = {
    LegRole.CREATOR: LedgerAccountKind.CREATOR_PAYABLE,
    LegRole.AGENCY: LedgerAccountKind.AGENCY_SHARE,
    LegRole.PLATFORM: LedgerAccountKind.PLATFORM_FEES,
}
#: The document the workspace's ``kit.payments`` records each movement as, under its operation id, before it
#: asks the provider: found in the escrow's store, that store is the workspace's own.
WORKSPACE_OPERATION_KIND = "payment_operation"

Plan = tuple[list[OpenAccount], list[Posting]]


class Refused(Exception):
    """The books cannot take a request: ``reason`` in words, ``code`` as the refusal's ``provider_code``."""

    def __init__(self, reason: str, code: str = "refused") -> None:
        self.reason = reason
        self.code = code
        super().__init__(reason)


@attrs.frozen(kw_only=True)
class Movement:
    """One movement the escrow made: the request as first submitted, and the entry that moved its money."""

    request: ProviderRequest
    entry: LedgerEntry


def _opened(kind: LedgerAccountKind, currency: str, holder: str | None = None) -> tuple[OpenAccount, str]:
    return OpenAccount(kind=kind, currency=currency, holder=holder), account_id(kind, currency, holder=holder)


def receiver_account(leg: ReceiverLeg, currency: str) -> tuple[OpenAccount, str]:
    """The account a leg is paid into (the operator's own one, for role ``platform``), and its id."""
    kind = RECEIVER_KINDS[leg.role]
    return _opened(kind, currency, None if kind is LedgerAccountKind.PLATFORM_FEES else leg.account_ref)


def _merged(postings: Sequence[Posting]) -> tuple[Posting, ...]:
    """One posting per account (two platform legs both go to the operator's own account), in first-seen order."""
    totals: dict[str, Money] = {}
    for posting in postings:
        before = totals.get(posting.account)
        totals[posting.account] = posting.amount if before is None else before + posting.amount
    return tuple(Posting(account=account, amount=amount) for account, amount in totals.items() if amount.amount)


def _check_shares(request: ProviderRequest, base: Money) -> None:
    """Each leg given as a share (``share_bp``) of the source is that share of ``base``, rounded either way."""
    for index, leg in enumerate(request.legs):
        if leg.share_bp is None:
            continue
        exact = base.amount * leg.share_bp
        low, high = exact // 10_000, -(-exact // 10_000)
        if leg.amount.amount not in (low, high):
            share = Money(low, base.currency)
            raise Refused(f"legs[{index}]: {leg.share_bp} bp of {base} is {share}, not {leg.amount}", "share_mismatch")


class EscrowBooks:
    """The ledger of one provider's own :class:`~creatorkit.Creatorkit`, as escrow books."""

    def __init__(self, kit: Creatorkit, provider: str, *, max_hold_days: int) -> None:
        self.kit = kit
        self.provider = provider
        self.max_hold_days = max_hold_days
        self.actor = Actor.system(provider)

    # -- writing -------------------------------------------------------------------------------------------------

    def move(self, request: ProviderRequest) -> LedgerEntry:
        """Write ``request``'s movement, or find the one it made before (the ledger decides which).

        :raises Refused: when the books cannot take it (an unknown source, a receiver the release did not pay).
        :raises PaymentError: the ledger's ``IdempotencyConflict`` or ``InsufficientFunds``.
        :raises ValidationError: for what the ledger refuses on its face (an ``account_ref`` holding ``:``).
        """
        planners: dict[OperationKind, Callable[[ProviderRequest], Plan]] = {
            OperationKind.FUND: self._fund,
            OperationKind.RELEASE: self._release,
            OperationKind.REVERSE: self._reverse,
            OperationKind.REFUND: self._refund,
            OperationKind.PAYOUT: self._payout,
        }
        opened, postings = planners[request.kind](request)
        transfer = Transfer(operation_id=request.operation_id, postings=_merged(postings), memo=memo_for(request))
        operations: list[LedgerOperation] = [*opened, transfer]
        entry = self.kit.ledger.apply(self.actor, operations)[-1]
        assert isinstance(entry, LedgerEntry)
        return entry

    def _clearing(self, currency: str) -> tuple[OpenAccount, str]:
        return _opened(LedgerAccountKind.PROVIDER_CLEARING, currency, self.provider)

    def _fund(self, request: ProviderRequest) -> Plan:
        if request.legs:
            raise Refused("a fund takes the brand's money into escrow; its receivers are named when it is released")
        if request.hold_days is not None and request.hold_days > self.max_hold_days:
            raise Refused(f"a hold of {request.hold_days} days exceeds max_hold_days ({self.max_hold_days})", "hold")
        currency = request.amount.currency
        open_clearing, clearing = self._clearing(currency)
        open_escrow, escrow = _opened(LedgerAccountKind.FUND_ESCROW, currency, entry_id(request.operation_id))
        postings = [Posting(account=clearing, amount=request.amount), Posting(account=escrow, amount=-request.amount)]
        return [open_clearing, open_escrow], postings

    def _release(self, request: ProviderRequest) -> Plan:
        fund = self._source(request, OperationKind.FUND)
        currency = request.amount.currency
        escrow = account_id(LedgerAccountKind.FUND_ESCROW, currency, holder=fund.entry.id)
        postings = [Posting(account=escrow, amount=request.amount)]
        if not request.legs:
            if not request.final:
                raise Refused("a release names its receivers; only a final one hands the rest to the operator")
            opened, own = _opened(LedgerAccountKind.PLATFORM_FEES, currency)
            return [opened], [*postings, Posting(account=own, amount=-request.amount)]
        _check_shares(request, fund.request.amount)
        accounts = [receiver_account(leg, currency) for leg in request.legs]
        for (_, receiver), leg in zip(accounts, request.legs, strict=True):
            postings.append(Posting(account=receiver, amount=-leg.amount))
        return [opened for opened, _ in accounts], postings

    def _reverse(self, request: ProviderRequest) -> Plan:
        release = self._source(request, OperationKind.RELEASE)
        if not request.legs:
            raise Refused("a reversal names the receivers it takes the money back from")
        left = self.unreversed(release)
        roles = {leg.account_ref: leg.role for leg in release.request.legs}
        for index, leg in enumerate(request.legs):
            if roles.get(leg.account_ref) is not leg.role:
                raise Refused(f"legs[{index}]: {release.entry.id} paid {leg.account_ref} nothing as {leg.role}")
            if leg.amount > left[leg.account_ref]:
                remains = left[leg.account_ref]
                raise Refused(
                    f"legs[{index}]: {remains} of {release.entry.id} is left to take back from "
                    f"{leg.account_ref}, not {leg.amount}",
                    "exceeds_release",
                )
        _check_shares(request, release.request.amount)
        currency = request.amount.currency
        fund_ref = release.request.source.ref if release.request.source is not None else ""
        escrow = account_id(LedgerAccountKind.FUND_ESCROW, currency, holder=fund_ref)
        postings = [Posting(account=receiver_account(leg, currency)[1], amount=leg.amount) for leg in request.legs]
        return [], [*postings, Posting(account=escrow, amount=-request.amount)]

    def _refund(self, request: ProviderRequest) -> Plan:
        fund = self._source(request, OperationKind.FUND)
        if request.legs:
            raise Refused("a refund goes back to the brand: it names no receivers")
        currency = request.amount.currency
        escrow = account_id(LedgerAccountKind.FUND_ESCROW, currency, holder=fund.entry.id)
        opened, clearing = self._clearing(currency)
        back = [Posting(account=escrow, amount=request.amount), Posting(account=clearing, amount=-request.amount)]
        return [opened], back

    def _payout(self, request: ProviderRequest) -> Plan:
        if not request.legs:
            raise Refused("a payout names the receivers whose balances go to their banks")
        if any(leg.share_bp is not None for leg in request.legs):
            raise Refused("a payout has no source to take a share (share_bp) of", "share_mismatch")
        currency = request.amount.currency
        accounts = [receiver_account(leg, currency) for leg in request.legs]
        pairs = zip(request.legs, accounts, strict=True)
        postings = [Posting(account=account, amount=leg.amount) for leg, (_, account) in pairs]
        opened, clearing = self._clearing(currency)
        postings.append(Posting(account=clearing, amount=-request.amount))
        return [*(account for account, _ in accounts), opened], postings

    def _source(self, request: ProviderRequest, kind: OperationKind) -> Movement:
        """The movement ``request.source`` names, which must be a ``kind`` the escrow made, in the same currency."""
        ref = request.source.ref if request.source is not None else None
        source = self.movement(ref) if ref is not None else None
        if source is None or source.request.kind is not kind:
            named = f"{ref!r} is not" if ref is not None else "none is given:"
            made = f"a {kind} {self.provider} made"
            raise Refused(f"a {request.kind} draws on {made}; {named} its provider_ref", "source")
        held = source.request.amount.currency
        if held != request.amount.currency:
            raise Refused(f"source {ref} is in {held}, not {request.amount.currency}", "source")
        return source

    # -- reading -------------------------------------------------------------------------------------------------

    def movement(self, ref: str) -> Movement | None:
        """The movement whose entry is ``ref`` (its provider_ref), or None if the escrow made none."""
        try:
            entry = self.kit.ledger.entry(self.actor, ref)
        except NotFound:
            return None
        request = request_in(entry)
        return None if request is None else Movement(request=request, entry=entry)

    def entry_of(self, operation_id: str) -> LedgerEntry | None:
        """The entry written under ``operation_id``, whoever wrote it."""
        try:
            return self.kit.ledger.entry(self.actor, entry_id(operation_id))
        except NotFound:
            return None

    def reversals(self, release: Movement) -> list[Movement]:
        """The reversals of ``release``, in the order they were written (read from its fund's entries)."""
        source = release.request.source
        if source is None:
            return []
        escrow = account_id(LedgerAccountKind.FUND_ESCROW, release.request.amount.currency, holder=source.ref)
        found = []
        for entry in self.kit.ledger.entries(self.actor, account_id=escrow):
            request = request_in(entry)
            if request is None or request.kind is not OperationKind.REVERSE or request.source is None:
                continue
            if request.source.ref == release.entry.id:
                found.append(Movement(request=request, entry=entry))
        return found

    def unreversed(self, release: Movement) -> dict[str, Money]:
        """What each receiver ``release`` paid still holds of it: its leg less what reversals took back."""
        left = {leg.account_ref: leg.amount for leg in release.request.legs}
        for reversal in self.reversals(release):
            for leg in reversal.request.legs:
                left[leg.account_ref] = left[leg.account_ref] - leg.amount
        return left

    def reversed_since(self, release: Movement) -> tuple[Money, datetime]:
        """How much of ``release`` has come back, and when it last changed."""
        reversals = self.reversals(release)
        total = sum((r.request.amount for r in reversals), Money.zero(release.request.amount.currency))
        changed = max([release.entry.created_at, *(r.entry.created_at for r in reversals)])
        return total, changed

    def is_the_workspace_store(self, operation_id: str) -> bool:
        """Whether the store holds the workspace's own record of ``operation_id``: then it is the workspace's."""
        with self.kit.store.read() as tx:
            return tx.get(WORKSPACE_OPERATION_KIND, operation_id) is not None
