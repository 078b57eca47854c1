"""Stripe's objects, as its API returns them, read into creatorkit's :class:`~creatorkit.entities.ProviderOperation`.

Every function takes plain mappings (``StripeObject.to_dict()``, or a recorded response from ``fixtures/``), so
the same code reads a live answer, the sandbox's and a fixture's.

What each kind of operation is made of at Stripe, and where its raw status comes from:

============  ====================================  ==================================================================
kind          Stripe objects                        raw status
============  ====================================  ==================================================================
fund          a PaymentIntent (its latest charge    the PaymentIntent's ``status``
              and balance transaction expanded)
release       one transfer per receiver leg; a      transfers have no status word: the status of each one's balance
              platform leg makes none (the money    transaction (``pending``/``available``), or ``reversed`` once
              stays on the platform's balance)      ``reversed`` is true; a platform leg is ``retained``
reverse       one transfer reversal per leg         the status of each reversal's balance transaction
refund        a refund of the PaymentIntent         the refund's ``status``
payout        one payout per leg, on the connected  the payout's ``status``
              account (``Stripe-Account``)
============  ====================================  ==================================================================

A word the tables do not know is ``pending`` (``creatorkit.payments.status_from_raw``), never success.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from creatorkit.entities import (
    LegResult,
    LegRole,
    NextAction,
    NextActionKind,
    OperationKind,
    OperationStatus,
    PaymentCapabilities,
    ProviderOperation,
    ProviderRequest,
)
from creatorkit.money import Money
from creatorkit.payments import from_provider_units, status_from_raw

__all__ = [
    "BALANCE_STATUSES",
    "INTENT_STATUSES",
    "PAYOUT_STATUSES",
    "REFUND_STATUSES",
    "RETAINED",
    "Reader",
    "transfer_raw_status",
]

S = OperationStatus
INTENT_STATUSES = {
    "requires_payment_method": S.REQUIRES_ACTION,
    "requires_confirmation": S.REQUIRES_ACTION,
    "requires_action": S.REQUIRES_ACTION,
    "processing": S.PENDING,
    "requires_capture": S.PENDING,  # the plugin captures automatically; a manual capture is someone else's
    "succeeded": S.SUCCEEDED,
    "canceled": S.CANCELED,
}
#: Transfers and reversals: their balance transaction's status, and the plugin's words for the rest.
BALANCE_STATUSES = {"available": S.SUCCEEDED, "pending": S.PENDING, "reversed": S.REVERSED, "retained": S.SUCCEEDED}
REFUND_STATUSES = {
    "pending": S.PENDING,
    "requires_action": S.REQUIRES_ACTION,
    "succeeded": S.SUCCEEDED,
    "failed": S.FAILED,
    "canceled": S.CANCELED,
}
PAYOUT_STATUSES = {
    "pending": S.PENDING,
    "in_transit": S.PENDING,
    "paid": S.SUCCEEDED,
    "failed": S.FAILED,
    "canceled": S.CANCELED,
}
#: The raw status of a platform leg: nothing was sent, the money stays on the platform's balance.
RETAINED = "retained"
#: The raw status of a leg Stripe refused (its failure reason says why).
NOT_CREATED = "not_created"


def _when(unix: Any) -> datetime:
    return datetime.fromtimestamp(int(unix), UTC)


def _expanded(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def transfer_raw_status(obj: Mapping[str, Any]) -> str:
    """A transfer's or reversal's status word (see the module's table); ``created`` when nothing says more."""
    if obj.get("reversed"):
        return "reversed"
    balance = _expanded(obj.get("balance_transaction"))
    return str(balance["status"]) if balance is not None and balance.get("status") else "created"


def _latest(objects: Sequence[Mapping[str, Any]], fallback: datetime) -> datetime:
    times = [int(obj["created"]) for obj in objects if obj.get("created") is not None]
    for obj in objects:
        reversals = _expanded(obj.get("reversals"))
        for reversal in (reversals or {}).get("data", ()):
            if isinstance(reversal, Mapping) and reversal.get("created") is not None:
                times.append(int(reversal["created"]))
    return _when(max(times)) if times else fallback


@attrs.frozen
class Reader:
    """Reads Stripe's objects for one provider: its name, its currency table and the hold it allows."""

    provider: str
    capabilities: PaymentCapabilities
    hold_days: int

    def money(self, units: Any, currency: Any) -> Money:
        return from_provider_units(int(units), str(currency).upper(), self.capabilities, provider=self.provider)

    # -- fund ---------------------------------------------------------------------------------------------------

    def fund(self, request: ProviderRequest, intent: Mapping[str, Any]) -> ProviderOperation:
        raw = str(intent.get("status") or "")
        status = status_from_raw(raw, INTENT_STATUSES)
        charge = _expanded(intent.get("latest_charge"))
        fee = net = None
        balance = _expanded(charge.get("balance_transaction")) if charge is not None else None
        if balance is not None and self.capabilities.currency(str(balance["currency"]).upper()) is not None:
            fee, net = self.money(balance["fee"], balance["currency"]), self.money(balance["net"], balance["currency"])
        created = _when(intent["created"])
        failure = _expanded(intent.get("last_payment_error")) or {}
        held = status in (S.SUCCEEDED, S.PENDING)
        return ProviderOperation(
            provider=self.provider,
            operation_id=request.operation_id,
            kind=OperationKind.FUND,
            status=status,
            raw_status=raw,
            amount=self.money(intent["amount"], intent["currency"]),
            provider_ref=str(intent["id"]),
            updated_at=_latest([intent, *([charge] if charge else [])], created),
            fee=fee,
            net=net,
            next_action=_next_action(intent) if status is S.REQUIRES_ACTION else None,
            hold_expires_at=created + timedelta(days=self.hold_days) if held else None,
            failure_code=_text(failure.get("decline_code") or failure.get("code")),
            failure_reason=_text(failure.get("message")),
        )

    # -- operations made of one Stripe object per leg -----------------------------------------------------------

    def legs(
        self,
        request: ProviderRequest,
        made: Mapping[str, Mapping[str, Any]],
        *,
        raw_of: Any,
        table: Mapping[str, OperationStatus],
        refused: Mapping[str, str] | None = None,
        fallback_ref: str,
        fallback_time: datetime,
    ) -> ProviderOperation:
        """An operation of one object per leg (``made``: by receiver account); ``refused``: why Stripe made none.

        ``raw_of`` reads an object's status word. A platform leg (role ``platform``) has no object: it is
        ``retained``. The operation is ``succeeded`` when every leg is, ``reversed`` when every leg is,
        ``pending`` while any leg is, ``partially_succeeded`` when some legs moved and others were refused.
        """
        refused = refused or {}
        results: list[LegResult] = []
        reversed_units = 0
        for leg in request.legs:
            obj = made.get(leg.account_ref)
            if leg.role is LegRole.PLATFORM:
                raw, ref, amount = RETAINED, None, leg.amount
            elif obj is None:
                raw, ref, amount = NOT_CREATED, None, leg.amount
            else:
                raw, ref, amount = str(raw_of(obj)), str(obj["id"]), self.money(obj["amount"], obj["currency"])
                reversed_units += int(obj.get("amount_reversed") or 0)
            status = S.FAILED if raw == NOT_CREATED else status_from_raw(raw, table)
            results.append(
                LegResult(
                    account_ref=leg.account_ref,
                    amount=amount,
                    status=status,
                    raw_status=raw,
                    party_id=leg.party_id,
                    provider_ref=ref,
                    failure_reason=refused.get(leg.account_ref) if obj is None and raw == NOT_CREATED else None,
                )
            )
        status, raw = _overall(results)
        objects = [made[leg.account_ref] for leg in request.legs if leg.account_ref in made]
        currency = request.amount.currency
        return ProviderOperation(
            provider=self.provider,
            operation_id=request.operation_id,
            kind=request.kind,
            status=status,
            raw_status=raw,
            amount=request.amount,
            provider_ref=str(objects[0]["id"]) if objects else fallback_ref,
            updated_at=_latest(objects, fallback_time),
            legs=tuple(results),
            reversed_amount=self.money(reversed_units, currency.lower()) if reversed_units else None,
            failure_reason="; ".join(f"{account}: {why}" for account, why in refused.items()) or None,
        )

    def refund(self, request: ProviderRequest, refund: Mapping[str, Any]) -> ProviderOperation:
        raw = str(refund.get("status") or "")
        status = status_from_raw(raw, REFUND_STATUSES)
        action = _expanded(refund.get("next_action"))
        next_action = None
        if status is S.REQUIRES_ACTION:
            kind = str((action or {}).get("type") or "refund_requires_action")
            next_action = NextAction(
                kind=NextActionKind.OTHER,
                raw_kind=kind,
                instructions="the refund needs the customer's details before Stripe can send it (see the Dashboard)",
            )
        return ProviderOperation(
            provider=self.provider,
            operation_id=request.operation_id,
            kind=OperationKind.REFUND,
            status=status,
            raw_status=raw,
            amount=self.money(refund["amount"], refund["currency"]),
            provider_ref=str(refund["id"]),
            updated_at=_when(refund["created"]),
            next_action=next_action,
            failure_reason=_text(refund.get("failure_reason")),
        )


def _overall(results: Sequence[LegResult]) -> tuple[OperationStatus, str]:
    """The operation's status and raw status from its legs' (see :meth:`Reader.legs`)."""
    statuses = [leg.status for leg in results]

    def first(*wanted: OperationStatus) -> str:
        return next(leg.raw_status for leg in results if leg.status in wanted)

    if not results:
        return S.SUCCEEDED, RETAINED
    if any(s in (S.PENDING, S.REQUIRES_ACTION) for s in statuses):
        return S.PENDING, first(S.PENDING, S.REQUIRES_ACTION)
    if all(s is S.FAILED for s in statuses):
        return S.FAILED, first(S.FAILED)
    if any(s is S.FAILED for s in statuses):
        return S.PARTIALLY_SUCCEEDED, first(S.FAILED)
    moved = [leg for leg in results if leg.raw_status != RETAINED]
    if moved and all(leg.status is S.REVERSED for leg in moved):
        return S.REVERSED, first(S.REVERSED)
    return S.SUCCEEDED, first(S.SUCCEEDED)


def _next_action(intent: Mapping[str, Any]) -> NextAction:
    """What the brand must do before a PaymentIntent can go on."""
    action = _expanded(intent.get("next_action")) or {}
    kind = action.get("type")
    if kind == "redirect_to_url":
        target = _expanded(action.get("redirect_to_url")) or {}
        return NextAction(kind=NextActionKind.REDIRECT, raw_kind=str(kind), url=_text(target.get("url")))
    if kind == "use_stripe_sdk":
        return NextAction(
            kind=NextActionKind.AUTHENTICATE,
            raw_kind=str(kind),
            instructions="the brand authenticates the payment in Stripe.js (handleNextAction with the "
            "PaymentIntent's client secret)",
        )
    if kind:
        return NextAction(kind=NextActionKind.OTHER, raw_kind=str(kind))
    status = str(intent.get("status"))
    return NextAction(
        kind=NextActionKind.OTHER,
        raw_kind=status,
        instructions=f"PaymentIntent {intent['id']} needs a payment method from the brand, confirmed client-side "
        "(Stripe.js confirmPayment) or given to the plugin as request metadata stripe_payment_method",
    )


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
