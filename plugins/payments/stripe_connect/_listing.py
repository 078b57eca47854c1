"""The platform's movements as Stripe's list endpoints give them, read into pages of ``creatorkit_payment_list``.

Reconciliation asks what Stripe holds that the core does not (a charge made in the Dashboard, a transfer another
program sent with the platform's key). Three kinds of object move the platform's money, and each is listed in
turn, newest first, with ``created[gte]`` for ``since`` and ``starting_after`` for the next page:

=========  ===================================  ===========================  =====================================
phase      endpoint                             entry per                    ``provider_ref``
=========  ===================================  ===========================  =====================================
charges    ``GET /v1/charges``, the             charge (kind ``fund``)       its PaymentIntent (``pi_…``), which is
           PaymentIntent expanded                                            what a fund is answered with; a charge
                                                                             without one: the charge itself
transfers  ``GET /v1/transfers``, the balance   transfer (``release``), and  the transfer or the reversal
           transaction expanded; the reversals  each of its reversals
           of one that has some:                (``reverse``) made since
           ``GET /v1/transfers/{id}/reversals``
refunds    ``GET /v1/refunds``                  refund (``refund``)          the refund
=========  ===================================  ===========================  =====================================

Each entry's operation id is the one the plugin wrote in the object's ``metadata`` (for a charge, in its
PaymentIntent's, where the plugin writes it); an object without one names no operation of ours and carries its
``provider_ref`` instead. A reversal is found through its transfer, so one made since ``since`` of a transfer
made before it is not listed. Payouts are not listed: each moves a connected account's own balance and is listed
only on that account (``Stripe-Account``), which the platform would have to name one by one.

The plugin's cursor is ``<phase>:<id of the last object listed>`` (``transfers:`` starts a phase afresh).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
import stripe
from stripe.params import ChargeListParams, RefundListParams, TransferListParams

from creatorkit.entities import (
    LegResult,
    OperationKind,
    OperationStatus,
    ProviderOperation,
    ProviderOperationPage,
)
from creatorkit.errors import InvalidRequest, PaymentError
from creatorkit.payments import status_from_raw

from ._errors import scrubbed
from ._metadata import operation_of
from ._parse import BALANCE_STATUSES, REFUND_STATUSES, Reader, transfer_raw_status

__all__ = ["PHASES", "Lister"]

#: The object kinds listed, in the order a listing goes through them.
PHASES = ("charges", "transfers", "refunds")
#: A charge's own status word (``succeeded``, ``pending``, ``failed``), and the plugin's for one refunded in full.
CHARGE_STATUSES = {
    "succeeded": OperationStatus.SUCCEEDED,
    "pending": OperationStatus.PENDING,
    "failed": OperationStatus.FAILED,
    "refunded": OperationStatus.REVERSED,
}


@attrs.frozen
class _Cursor:
    phase: str
    after: str | None = None

    @classmethod
    def read(cls, provider: str, text: str | None) -> _Cursor:
        if text is None:
            return cls(PHASES[0])
        phase, colon, after = text.partition(":")
        if not colon or phase not in PHASES:
            raise InvalidRequest(provider, f"{text!r} is not a cursor of this listing", field="cursor")
        return cls(phase, after or None)

    def __str__(self) -> str:
        return f"{self.phase}:{self.after or ''}"


@attrs.frozen
class _Listed:
    """One Stripe list page, read: its entries, the id to list after, and whether Stripe has more."""

    operations: list[ProviderOperation]
    last_id: str | None
    more: bool

    @classmethod
    def of(cls, operations: list[ProviderOperation], objects: list[dict[str, Any]], more: Any) -> _Listed:
        return cls(operations, str(objects[-1]["id"]) if objects else None, bool(more))


@attrs.frozen
class Lister:
    """Lists one Stripe account's movements: ``stripe`` the client, ``reader`` its objects' reader."""

    provider: str
    stripe: stripe.StripeClient
    reader: Reader
    limit: int
    secrets: Callable[[], list[str]]

    def page(self, since: datetime | None, cursor: str | None) -> ProviderOperationPage:
        """One page: one Stripe list page of the cursor's phase (see the module)."""
        at = _Cursor.read(self.provider, cursor)
        params: dict[str, Any] = {"limit": self.limit}
        if since is not None:
            params["created"] = {"gte": math.ceil(since.timestamp())}  # Stripe counts whole seconds
        if at.after is not None:
            params["starting_after"] = at.after
        phases = {"charges": self._charges, "transfers": self._transfers, "refunds": self._refunds}
        listed = phases[at.phase](params)
        if listed.more and listed.last_id is not None:
            following: _Cursor | None = _Cursor(at.phase, listed.last_id)
        else:
            index = PHASES.index(at.phase) + 1
            following = _Cursor(PHASES[index]) if index < len(PHASES) else None
        return ProviderOperationPage(
            provider=self.provider,
            operations=tuple(listed.operations),
            next_cursor=None if following is None else str(following),
        )

    def _call(self, doing: str, call: Callable[[], Any]) -> Any:
        """``call()``, with Stripe's errors as ``PaymentError`` (a listing moves nothing, so none is unknown)."""
        try:
            return call()
        except stripe.StripeError as exc:
            where = f", request {exc.request_id}" if exc.request_id else ""
            said = exc.user_message or type(exc).__name__
            message = scrubbed(
                f"{self.provider}: {doing}: {said} (HTTP {exc.http_status or '-'}{where})", self.secrets()
            )
            raise PaymentError(message, provider=self.provider, provider_code=exc.code) from None

    # -- the phases ---------------------------------------------------------------------------------------------

    def _charges(self, params: dict[str, Any]) -> _Listed:
        query: ChargeListParams = {**params, "expand": ["data.payment_intent"]}  # type: ignore[typeddict-item]
        listed = self._call("list the charges", lambda: self.stripe.v1.charges.list(query))
        objects = [obj.to_dict() for obj in listed.data]
        return _Listed.of([self._charge(charge) for charge in objects], objects, listed.has_more)

    def _transfers(self, params: dict[str, Any]) -> _Listed:
        query: TransferListParams = {**params, "expand": ["data.balance_transaction"]}  # type: ignore[typeddict-item]
        listed = self._call("list the transfers", lambda: self.stripe.v1.transfers.list(query))
        objects = [obj.to_dict() for obj in listed.data]
        since = params.get("created", {}).get("gte")
        operations: list[ProviderOperation] = []
        for transfer in objects:
            operations.append(self._transfer(transfer))
            if int(transfer.get("amount_reversed") or 0):
                operations.extend(self._reversal(transfer, r) for r in self._reversals_of(transfer, since))
        return _Listed.of(operations, objects, listed.has_more)

    def _refunds(self, params: dict[str, Any]) -> _Listed:
        query: RefundListParams = {**params}  # type: ignore[typeddict-item]
        listed = self._call("list the refunds", lambda: self.stripe.v1.refunds.list(query))
        objects = [obj.to_dict() for obj in listed.data]
        return _Listed.of([self._refund(refund) for refund in objects], objects, listed.has_more)

    def _reversals_of(self, transfer: Mapping[str, Any], since: int | None) -> Iterable[dict[str, Any]]:
        transfer_id = str(transfer["id"])
        listed = self._call(
            f"list the reversals of {transfer_id}",
            lambda: [
                obj.to_dict()
                for obj in self.stripe.v1.transfers.reversals.list(
                    transfer_id, {"limit": 100, "expand": ["data.balance_transaction"]}
                ).auto_paging_iter()
            ],
        )
        return [reversal for reversal in listed if since is None or int(reversal["created"]) >= since]

    # -- one object, one entry ----------------------------------------------------------------------------------

    def _entry(
        self, obj: Mapping[str, Any], kind: OperationKind, raw: str, status: OperationStatus, **more: Any
    ) -> ProviderOperation:
        ref = str(more.pop("provider_ref", obj["id"]))
        return ProviderOperation(
            provider=self.provider,
            operation_id=more.pop("operation_id", None) or operation_of(obj) or ref,
            kind=kind,
            status=status,
            raw_status=raw,
            amount=self.reader.money(obj["amount"], obj["currency"]),
            provider_ref=ref,
            updated_at=datetime.fromtimestamp(int(obj["created"]), tz=UTC),
            **more,
        )

    def _charge(self, charge: Mapping[str, Any]) -> ProviderOperation:
        intent = charge.get("payment_intent")
        intent_id = intent.get("id") if isinstance(intent, Mapping) else intent
        raw = "refunded" if charge.get("refunded") else str(charge.get("status") or "")
        return self._entry(
            charge,
            OperationKind.FUND,
            raw,
            status_from_raw(raw, CHARGE_STATUSES),
            provider_ref=intent_id or charge["id"],
            operation_id=operation_of(charge) or (operation_of(intent) if isinstance(intent, Mapping) else None),
            failure_code=charge.get("failure_code") or None,
            failure_reason=charge.get("failure_message") or None,
        )

    def _transfer(self, transfer: Mapping[str, Any]) -> ProviderOperation:
        raw = transfer_raw_status(transfer)
        status = status_from_raw(raw, BALANCE_STATUSES)
        amount = self.reader.money(transfer["amount"], transfer["currency"])
        reversed_units = int(transfer.get("amount_reversed") or 0)
        leg = LegResult(
            account_ref=str(transfer["destination"]),
            amount=amount,
            status=status,
            raw_status=raw,
            party_id=(transfer.get("metadata") or {}).get("party_id"),
            provider_ref=str(transfer["id"]),
        )
        reversed_amount = self.reader.money(reversed_units, transfer["currency"]) if reversed_units else None
        return self._entry(transfer, OperationKind.RELEASE, raw, status, legs=(leg,), reversed_amount=reversed_amount)

    def _reversal(self, transfer: Mapping[str, Any], reversal: Mapping[str, Any]) -> ProviderOperation:
        raw = transfer_raw_status(reversal)
        return self._entry(reversal, OperationKind.REVERSE, raw, status_from_raw(raw, BALANCE_STATUSES))

    def _refund(self, refund: Mapping[str, Any]) -> ProviderOperation:
        raw = str(refund.get("status") or "")
        return self._entry(
            refund,
            OperationKind.REFUND,
            raw,
            status_from_raw(raw, REFUND_STATUSES),
            failure_reason=refund.get("failure_reason") or None,
        )
