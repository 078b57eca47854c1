"""Payout accounts: where each creator and agency is paid, at each payment provider (``kit.payments``).

A release names its receivers by their account at the provider (``ReceiverLeg.account_ref``). A provider that
pays only accounts it knows (``PaymentCapabilities.requires_payout_account``: a Stripe connected account, a WeChat
Pay receiver) is paid a party's share only into the :class:`~creatorkit.entities.PayoutAccount` the party
registered there; without one the movement is refused before it is recorded, so it is made by the next sync
after the party registers. A provider that takes the core's party ids is paid into a registered account when
there is one, else under the party id.

Who says where money goes: the party itself (a creator for itself, an agency for itself) or the system (an
onboarding flow that verified the account with the provider). Nobody else, not the creator's manager and not a
brand, may register, replace or deactivate one, nor read one: a refusal is recorded and nothing is written. A
party has one active account per provider; registering another makes the one before inactive and keeps it,
naming its replacement, so where a party's money went stays on record. Every change is audited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from .._service import Service
from ..entities import Actor, LegRole, PartyKind, PayeeKind, PaymentCapabilities, PayoutAccount, ReceiverLeg, new_id
from ..errors import NotFound, PayoutAccountMissing, PermissionDenied, Problem, ValidationError
from ..money import is_currency

if TYPE_CHECKING:
    from .._change import Change, View
    from ..money import Money

__all__ = ["PayoutAccountService", "receiver_leg"]

_KIND = "payout_account"
_ACTIVE = "active"
_INACTIVE = "inactive"

#: The store kind of each payee's party record.
_PARTY_RECORDS = {PayeeKind.CREATOR: "creator", PayeeKind.AGENCY: "agency"}
_PAYEE_OF_ACTOR = {PartyKind.CREATOR: PayeeKind.CREATOR, PartyKind.AGENCY: PayeeKind.AGENCY}
_PAYEE_OF_LEG = {LegRole.CREATOR: PayeeKind.CREATOR, LegRole.AGENCY: PayeeKind.AGENCY}


class _Unchanged(Exception):
    """The call asked for what is already so: its answer, with the transaction rolled back (nothing to audit)."""

    def __init__(self, account: PayoutAccount) -> None:
        self.account = account


class PayoutAccountService(Service):
    """Register, list and deactivate the accounts creators and agencies are paid into (see the module)."""

    def register(
        self,
        actor: Actor,
        *,
        provider: str,
        account_ref: str,
        party_id: str | None = None,
        label: str | None = None,
        currency: str | None = None,
        account_kind: str | None = None,
    ) -> PayoutAccount:
        """Make ``account_ref`` the party's active account at ``provider``; the one before it is kept, inactive.

        The same account registered again (same reference, kind, label and currency) changes nothing.
        """
        _check_input(account_ref=account_ref, label=label, currency=currency, account_kind=account_kind)
        loaded = self._kit.plugins.payment_providers()
        if provider not in loaded:
            listed = ", ".join(loaded) or "none is loaded"
            problem = Problem("provider", f"{provider!r} is not a loaded payment provider ({listed})")
            raise ValidationError([problem], "payout account")

        def work(change: Change) -> PayoutAccount:
            kind, payee = _payee(change, actor, party_id, "register_payout_account")
            # Registrations for one party wait for each other here: one active account per provider, whoever asks.
            change.lock(_PARTY_RECORDS[kind], payee)
            current = active_payout_account(change, payee, kind, provider)
            wanted = (account_ref, account_kind, label, currency)
            if current is not None and (current.account_ref, current.account_kind, current.label, current.currency) == (
                wanted
            ):
                raise _Unchanged(current)
            account = PayoutAccount(
                id=new_id("payout"),
                party_id=payee,
                party_kind=kind,
                provider=provider,
                account_ref=account_ref,
                registered_by=str(actor),
                registered_at=change.now,
                label=label,
                currency=currency,
                account_kind=account_kind,
            )
            if current is not None:
                _retire(change, current, "payout_account.replaced", replaced_by=account.id)
            change.record(_KIND, account, "payout_account.registered", workspace=payee, parent=payee, state=_ACTIVE)
            return account

        try:
            return self._write(actor, "register_payout_account", work)
        except _Unchanged as unchanged:
            return unchanged.account

    def accounts(self, actor: Actor, party_id: str) -> list[PayoutAccount]:
        """Every payout account of ``party_id``, active and inactive, oldest first; the party or the system reads."""

        def work(view: View) -> list[PayoutAccount]:
            kind, payee = _payee(view, actor, party_id, "read_payout_accounts")
            return [account for account in view.find(_KIND, PayoutAccount, parent=payee) if account.party_kind is kind]

        return self._read(actor, work, "read_payout_accounts")

    def deactivate(self, actor: Actor, account_id: str) -> PayoutAccount:
        """Stop paying into the account (the party then has none at its provider); asked again, it changes nothing."""

        def work(change: Change) -> PayoutAccount:
            record = change.get(_KIND, account_id)
            if record is None:
                raise NotFound(_KIND, account_id)
            stored = change.entity(record, PayoutAccount)
            kind, payee = _payee(change, actor, stored.party_id, "deactivate_payout_account", known=stored.party_kind)
            change.lock(_PARTY_RECORDS[kind], payee)
            record = change.require(_KIND, account_id)  # read again under the lock: a registration may have won
            account = change.entity(record, PayoutAccount)
            if not account.active:
                raise _Unchanged(account)
            return _retire(change, account, "payout_account.deactivated")

        try:
            return self._write(actor, "deactivate_payout_account", work)
        except _Unchanged as unchanged:
            return unchanged.account


def active_payout_account(view: View, party_id: str, kind: PayeeKind, provider: str) -> PayoutAccount | None:
    """The account ``party_id`` is paid into at ``provider`` now, if it registered one."""
    for account in view.find(_KIND, PayoutAccount, parent=party_id, state=_ACTIVE):
        if account.provider == provider and account.party_kind is kind:
            return account
    return None


def receiver_leg(
    view: View,
    party_id: str,
    role: LegRole,
    amount: Money,
    provider: str,
    capabilities: PaymentCapabilities | None,
    operation_id: str,
) -> ReceiverLeg:
    """The leg paying ``party_id`` its ``amount`` at ``provider``: into its active payout account there, else under
    its party id where the provider takes those; :class:`PayoutAccountMissing` where it does not."""
    kind = _PAYEE_OF_LEG[role]
    account = active_payout_account(view, party_id, kind, provider)
    if account is not None:
        reference, what = account.account_ref, account.account_kind
        return ReceiverLeg(party_id=party_id, account_ref=reference, amount=amount, role=role, account_kind=what)
    if capabilities is not None and capabilities.requires_payout_account:
        raise PayoutAccountMissing(party_id, str(kind), provider, operation_id=operation_id)
    return ReceiverLeg(party_id=party_id, account_ref=party_id, amount=amount, role=role)


def _payee(
    view: View, actor: Actor, party_id: str | None, action: str, known: PayeeKind | None = None
) -> tuple[PayeeKind, str]:
    """The party whose payout accounts ``actor`` may see and change: itself, or (the system) any creator or agency.

    ``known`` is the party's kind when a stored account already says it.
    """
    own = _PAYEE_OF_ACTOR.get(actor.kind)
    if own is not None and party_id in (None, actor.id) and known in (None, own):
        return own, actor.id
    if actor.kind is PartyKind.SYSTEM:
        if party_id is None:
            raise ValidationError([Problem("party_id", "the system names the creator or agency")], "payout account")
        return (known or _kind_of(view, party_id)), party_id
    target = party_id or actor.id
    kind = known or _registered_kind(view, target)
    entity = f"{_PARTY_RECORDS[kind]} {target}" if kind is not None else None
    raise PermissionDenied(
        str(actor),
        action,
        "only the creator or agency itself, or the system, says where its money is paid",
        entity=entity,
    )


def _registered_kind(view: View, party_id: str) -> PayeeKind | None:
    for kind, record_kind in _PARTY_RECORDS.items():
        if view.get(record_kind, party_id) is not None:
            return kind
    return None


def _kind_of(view: View, party_id: str) -> PayeeKind:
    kinds = [kind for kind, record_kind in _PARTY_RECORDS.items() if view.get(record_kind, party_id) is not None]
    if not kinds:
        raise ValidationError(
            [Problem("party_id", f"{party_id!r} is no registered creator or agency")], "payout account"
        )
    if len(kinds) > 1:
        problem = Problem("party_id", f"{party_id!r} names both a creator and an agency: which is paid is no guess")
        raise ValidationError([problem], "payout account")
    return kinds[0]


def _retire(change: Change, account: PayoutAccount, action: str, replaced_by: str | None = None) -> PayoutAccount:
    """``account`` stops being active now; its record stays, saying who ended it, when, and for what."""
    record = change.require(_KIND, account.id)
    retired = attrs.evolve(
        account, active=False, deactivated_at=change.now, deactivated_by=str(change.actor), replaced_by=replaced_by
    )
    change.replace(_KIND, retired, expected_version=record.version, state=_INACTIVE)
    change.audit(action, _KIND, retired.id, change.document(retired), workspace=retired.party_id)
    return retired


def _check_input(*, account_ref: object, label: object, currency: object, account_kind: object) -> None:
    """Every problem with the caller's fields at once, each named."""
    problems = []
    if not isinstance(account_ref, str) or not account_ref.strip():
        problems.append(Problem("account_ref", f"must be the account's reference at the provider, got {account_ref!r}"))
    elif account_ref != account_ref.strip():
        problems.append(Problem("account_ref", f"has spaces around it: {account_ref!r}"))
    for name, value in (("label", label), ("account_kind", account_kind)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append(Problem(name, f"must be text or None, got {value!r}"))
    if currency is not None and (not isinstance(currency, str) or not is_currency(currency)):
        problems.append(Problem("currency", f"must be an ISO 4217 code such as 'USD', got {currency!r}"))
    if problems:
        raise ValidationError(problems, "payout account")
