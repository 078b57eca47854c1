"""RELEASE and REVERSE: splits (``/v3/profitsharing/orders``), the unfreezing of what is left, and returns
(分账回退, ``/v3/profitsharing/return-orders``), one per receiver, from merchant receivers only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from creatorkit.entities import (
    LegResult,
    OperationKind,
    OperationStatus,
    ProviderOperation,
    ProviderRequest,
    ReceiverLeg,
)
from creatorkit.errors import (
    CreatorkitError,
    IdempotencyConflict,
    InvalidRequest,
    NotFound,
    PlatformError,
    RateLimited,
    Transient,
)
from creatorkit.money import Money
from creatorkit.payments import status_from_raw

from . import _api as api
from ._base import (
    UNFREEZE_DESCRIPTION,
    WeChatPayBase,
    error_code,
    overall,
    said,
    text_or_none,
)

__all__ = ["SplitMoves"]


class SplitMoves(WeChatPayBase):
    """The release and reverse part of the plugin."""

    # -- release: a split, or the unfreezing of what is left -------------------------------------------------------

    def _receiver(self, request: ProviderRequest, leg: ReceiverLeg) -> dict[str, Any]:
        return {
            "type": api.receiver_type(leg.account_ref, leg.account_kind),
            "account": leg.account_ref,
            "amount": self._units(leg.amount),
            "description": self._description(request, leg),
        }

    def _release(self, request: ProviderRequest, deadline: datetime | None) -> ProviderOperation:
        transaction_id = self._transaction_of(request)
        if not request.legs:
            return self._unfreeze(request, transaction_id, deadline)
        body = {
            "appid": self.appid,
            "transaction_id": transaction_id,
            "out_order_no": request.operation_id,
            "receivers": [self._receiver(request, leg) for leg in request.legs],
            "unfreeze_unsplit": request.final,
        }
        try:
            order = self._call("POST", api.SPLITS, body=body, deadline=deadline)
        except InvalidRequest as exc:
            raise self._reused_split(request, transaction_id, exc, deadline) from exc
        return self._split_operation(request, order, deadline)

    def _reused_split(
        self, request: ProviderRequest, transaction_id: str, exc: InvalidRequest, deadline: datetime | None
    ) -> CreatorkitError:
        """A refused split: if its ``out_order_no`` has a split already, the id was reused with other parameters."""
        try:
            order = self._split(request.operation_id, transaction_id, deadline)
        except (NotFound, PlatformError):
            return exc
        return self._conflict(request, self._split_differences(request, order) or ("final",), exc)

    def _split(self, out_order_no: str, transaction_id: str, deadline: datetime | None) -> Mapping[str, Any]:
        path = api.SPLIT.format(out_order_no=out_order_no)
        answer: Mapping[str, Any] = self._call(
            "GET", path, params={"transaction_id": transaction_id}, deadline=deadline
        )
        return answer

    def _unfreeze(self, request: ProviderRequest, transaction_id: str, deadline: datetime | None) -> ProviderOperation:
        if not request.final:
            raise self._refuse(
                request, "a release without legs unfreezes what is left, which ends the splitting: it must be final"
            )
        try:  # a retry: the unfreeze was made, and nothing is left frozen now
            return self._split_operation(request, self._split(request.operation_id, transaction_id, deadline), deadline)
        except NotFound:
            pass
        answer = self._call("GET", api.UNSPLIT.format(transaction_id=transaction_id), deadline=deadline)
        frozen = self._money(int(answer["unsplit_amount"]))
        if frozen != request.amount:
            raise self._refuse(
                request, f"{frozen} is still frozen, so unfreezing gives back {frozen}, not {request.amount}"
            )
        body = {
            "transaction_id": transaction_id,
            "out_order_no": request.operation_id,
            "description": self._description(request),
        }
        try:
            order = self._call("POST", api.UNFREEZE, body=body, deadline=deadline)
        except InvalidRequest as exc:
            raise self._reused_split(request, transaction_id, exc, deadline) from exc
        return self._split_operation(request, order, deadline)

    def _split_differences(self, request: ProviderRequest, order: Mapping[str, Any]) -> tuple[str, ...]:
        lines = {
            str(r.get("account")): int(r.get("amount", 0))
            for r in order.get("receivers", ())
            if r.get("description") != UNFREEZE_DESCRIPTION
        }
        wanted = {leg.account_ref: self._units(leg.amount) for leg in request.legs}
        fields = []
        if sum(lines.values()) != self._units(request.amount) and request.legs:
            fields.append("amount")
        if lines != wanted:
            fields.append("legs")
        return tuple(fields)

    def _read_release(
        self, request: ProviderRequest, known: ProviderOperation | None, deadline: datetime | None
    ) -> ProviderOperation:
        order = self._split(request.operation_id, self._transaction_of(request), deadline)
        if request.legs:
            differences = self._split_differences(request, order)
            if differences:
                raise IdempotencyConflict(request.operation_id, differences, provider=self.name)
        return self._split_operation(request, order, deadline)

    def _split_operation(
        self, request: ProviderRequest, order: Mapping[str, Any], deadline: datetime | None
    ) -> ProviderOperation:
        parties = {leg.account_ref: leg for leg in request.legs}
        legs = []
        times: list[datetime] = []
        for line in order.get("receivers", ()):
            account = str(line.get("account"))
            leg = parties.get(account)
            if leg is None or line.get("description") == UNFREEZE_DESCRIPTION:
                continue  # the merchant's own line for what unfreezing gave back
            raw = str(line.get("result") or "")
            legs.append(
                LegResult(
                    account_ref=account,
                    amount=self._money(int(line["amount"])),
                    status=status_from_raw(raw, api.RECEIVER_RESULTS),
                    raw_status=raw or "(none)",
                    party_id=leg.party_id,
                    provider_ref=text_or_none(line.get("detail_id")),
                    failure_reason=text_or_none(line.get("fail_reason")),
                )
            )
            times.extend(
                t for t in (api.parse_time(line.get("finish_time")), api.parse_time(line.get("create_time"))) if t
            )
        raw = str(order.get("state") or "")
        status = overall(status_from_raw(raw, api.ORDER_STATES), [leg.status for leg in legs])
        reversed_amount = self._reversed(request, deadline) if status is not OperationStatus.PENDING else None
        if reversed_amount is not None and reversed_amount == request.amount:
            status = OperationStatus.REVERSED
        failed = next((leg for leg in legs if leg.status is OperationStatus.FAILED), None)
        return ProviderOperation(
            provider=self.name,
            operation_id=request.operation_id,
            kind=OperationKind.RELEASE,
            status=status,
            raw_status=raw or "(none)",
            amount=request.amount,
            provider_ref=str(order.get("order_id") or request.operation_id),
            updated_at=max(times) if times else self.wall(),
            legs=tuple(legs),
            reversed_amount=reversed_amount,
            failure_code=failed.raw_status if failed else None,
            failure_reason=failed.failure_reason if failed else None,
        )

    def _reversed(self, request: ProviderRequest, deadline: datetime | None) -> Money | None:
        """What the returns this process made from a release have taken back, or None if it made none."""
        made = self._returns.get(request.operation_id)
        if not made:
            return None
        total = 0
        for out_return_no, out_order_no in made:
            record = self._return_record(out_return_no, out_order_no, deadline)
            if status_from_raw(str(record.get("result") or ""), api.RETURN_RESULTS) is OperationStatus.SUCCEEDED:
                total += int(record["amount"])
        return self._money(total) if total else None

    # -- reverse: 分账回退, one return per receiver ------------------------------------------------------------------

    def _release_numbers(self, request: ProviderRequest) -> tuple[str | None, str]:
        """The split's ``out_order_no`` (``source.operation_id``) and ``order_id`` (``source.ref``)."""
        if request.source is None:
            raise self._refuse(request, "needs source: the release (its provider_ref and operation_id) to return from")
        return request.source.operation_id, request.source.ref

    def _reverse(self, request: ProviderRequest, deadline: datetime | None) -> ProviderOperation:
        out_order_no, order_id = self._release_numbers(request)
        if not request.legs:
            raise self._refuse(request, "a reversal names the receivers it takes money back from")
        for leg in request.legs:
            kind = api.receiver_type(leg.account_ref, leg.account_kind)
            if kind != "MERCHANT_ID":
                raise self._refuse(
                    request, f"WeChat Pay returns splits from merchant receivers only; {leg.account_ref!r} is {kind}"
                )
        records: list[Mapping[str, Any]] = []
        for index, leg in enumerate(request.legs):
            number = api.return_number(request.operation_id, index)
            body: dict[str, Any] = {"out_order_no": out_order_no} if out_order_no else {"order_id": order_id}
            body.update(
                out_return_no=number,
                return_mchid=leg.account_ref,
                amount=self._units(leg.amount),
                description=self._description(request, leg),
            )
            try:
                records.append(self._call("POST", api.RETURNS, body=body, deadline=deadline))
            except (PlatformError, NotFound) as exc:
                if isinstance(exc, Transient | RateLimited) or not records:
                    raise
                records.append(
                    {
                        "return_mchid": leg.account_ref,
                        "amount": body["amount"],
                        "result": error_code(exc) or "FAILED",
                        "fail_reason": said(exc),
                    }
                )
        if out_order_no:
            made = self._returns.setdefault(out_order_no, [])
            for index in range(len(request.legs)):
                made_here = (api.return_number(request.operation_id, index), out_order_no)
                if made_here not in made:
                    made.append(made_here)
        return self._return_operation(request, records)

    def _return_record(self, out_return_no: str, out_order_no: str, deadline: datetime | None) -> Mapping[str, Any]:
        path = api.RETURN.format(out_return_no=out_return_no)
        answer: Mapping[str, Any] = self._call("GET", path, params={"out_order_no": out_order_no}, deadline=deadline)
        return answer

    def _read_reverse(
        self, request: ProviderRequest, known: ProviderOperation | None, deadline: datetime | None
    ) -> ProviderOperation:
        out_order_no, _ = self._release_numbers(request)
        if not out_order_no:
            raise self._refuse(request, "reading a return back needs source.operation_id (the split's out_order_no)")
        records = [
            self._return_record(api.return_number(request.operation_id, index), out_order_no, deadline)
            for index in range(len(request.legs))
        ]
        for leg, record in zip(request.legs, records, strict=True):
            if str(record.get("return_mchid")) != leg.account_ref or int(record.get("amount", 0)) != self._units(
                leg.amount
            ):
                raise IdempotencyConflict(request.operation_id, ("legs",), provider=self.name)
        return self._return_operation(request, records)

    def _return_operation(self, request: ProviderRequest, records: list[Mapping[str, Any]]) -> ProviderOperation:
        parties = {leg.account_ref: leg.party_id for leg in request.legs}
        legs = []
        for record in records:
            raw = str(record.get("result") or "")
            legs.append(
                LegResult(
                    account_ref=str(record.get("return_mchid")),
                    amount=self._money(int(record["amount"])),
                    status=status_from_raw(raw, api.RETURN_RESULTS),
                    raw_status=raw or "(none)",
                    party_id=parties.get(str(record.get("return_mchid"))),
                    provider_ref=text_or_none(record.get("return_id")),
                    failure_reason=text_or_none(record.get("fail_reason")),
                )
            )
        raws = sorted({leg.raw_status for leg in legs})
        times = [
            t
            for r in records
            for t in (api.parse_time(r.get("finish_time")), api.parse_time(r.get("create_time")))
            if t
        ]
        failed = next((leg for leg in legs if leg.status is OperationStatus.FAILED), None)
        references = [leg.provider_ref for leg in legs if leg.provider_ref]
        return ProviderOperation(
            provider=self.name,
            operation_id=request.operation_id,
            kind=OperationKind.REVERSE,
            status=overall(None, [leg.status for leg in legs]),
            raw_status=",".join(raws),
            amount=request.amount,
            provider_ref=",".join(references) or request.operation_id,
            updated_at=max(times) if times else self.wall(),
            legs=tuple(legs),
            failure_code=failed.raw_status if failed else None,
            failure_reason=failed.failure_reason if failed else None,
        )
