"""REFUND: ``POST /v3/refund/domestic/refunds`` under ``out_refund_no`` = the operation id, read back by it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from creatorkit.entities import (
    NextAction,
    NextActionKind,
    OperationKind,
    OperationStatus,
    ProviderOperation,
    ProviderRequest,
)
from creatorkit.errors import (
    IdempotencyConflict,
    InvalidRequest,
    NotFound,
    PlatformError,
)
from creatorkit.payments import status_from_raw

from . import _api as api
from ._base import (
    DESCRIPTION_CHARS,
    WeChatPayBase,
)

__all__ = ["RefundMoves"]


class RefundMoves(WeChatPayBase):
    """The refund part of the plugin."""

    # -- refund ----------------------------------------------------------------------------------------------------

    def _refund(self, request: ProviderRequest, deadline: datetime | None) -> ProviderOperation:
        transaction_id = self._transaction_of(request)
        source = request.source
        if source is not None and source.amount is not None:
            total = self._units(source.amount)
        else:
            path = api.ORDER_BY_ID.format(transaction_id=transaction_id)
            total = int(self._call("GET", path, params={"mchid": self.mchid}, deadline=deadline)["amount"]["total"])
        body = {
            "transaction_id": transaction_id,
            "out_refund_no": api.refund_number(request.operation_id),
            "reason": request.reason[:DESCRIPTION_CHARS],
            "notify_url": self.notify_url,
            "amount": {"refund": self._units(request.amount), "total": total, "currency": "CNY"},
        }
        try:
            record = self._call("POST", api.REFUNDS, body=body, deadline=deadline)
        except InvalidRequest as exc:
            try:
                known = self._refund_record(request, deadline)
            except (NotFound, PlatformError):
                raise exc from None
            raise self._conflict(request, self._refund_differences(request, known) or ("reason",), exc) from exc
        return self._refund_operation(request, record)

    def _refund_record(self, request: ProviderRequest, deadline: datetime | None) -> Mapping[str, Any]:
        path = api.REFUND.format(out_refund_no=api.refund_number(request.operation_id))
        answer: Mapping[str, Any] = self._call("GET", path, deadline=deadline)
        return answer

    def _refund_differences(self, request: ProviderRequest, record: Mapping[str, Any]) -> tuple[str, ...]:
        fields = []
        if (record.get("amount") or {}).get("refund") != self._units(request.amount):
            fields.append("amount")
        if request.source is not None and record.get("transaction_id") != request.source.ref:
            fields.append("source")
        return tuple(fields)

    def _read_refund(
        self, request: ProviderRequest, known: ProviderOperation | None, deadline: datetime | None
    ) -> ProviderOperation:
        record = self._refund_record(request, deadline)
        differences = self._refund_differences(request, record)
        if differences:
            raise IdempotencyConflict(request.operation_id, differences, provider=self.name)
        return self._refund_operation(request, record)

    def _refund_operation(self, request: ProviderRequest, record: Mapping[str, Any]) -> ProviderOperation:
        raw = str(record.get("status") or "")
        status = status_from_raw(raw, api.REFUND_STATES)
        next_action = None
        if status is OperationStatus.REQUIRES_ACTION:
            next_action = NextAction(
                kind=NextActionKind.OTHER,
                raw_kind=raw,
                instructions="the refund could not reach the payer's account: handle it as an abnormal refund "
                "(异常退款) on the merchant platform",
            )
        when = api.parse_time(record.get("success_time")) or api.parse_time(record.get("create_time"))
        return ProviderOperation(
            provider=self.name,
            operation_id=request.operation_id,
            kind=OperationKind.REFUND,
            status=status,
            raw_status=raw or "(none)",
            amount=request.amount,
            provider_ref=str(record.get("refund_id") or request.operation_id),
            updated_at=when or self.wall(),
            next_action=next_action,
            failure_code=raw if status is OperationStatus.CANCELED else None,
        )
