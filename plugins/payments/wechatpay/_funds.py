"""FUND: a Native order (``POST /v3/pay/transactions/native``) made with ``settle_info.profit_sharing``, read back by
``out_trade_no``; ``requires_action`` with its ``code_url`` until the brand pays, then the paid ``transaction_id``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
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
)
from creatorkit.payments import status_from_raw

from . import _api as api
from ._base import (
    WeChatPayBase,
)

__all__ = ["FundMoves"]


class FundMoves(WeChatPayBase):
    """The fund part of the plugin."""

    # -- fund: a Native order frozen for profit sharing ------------------------------------------------------------

    def _fund_body(self, request: ProviderRequest) -> dict[str, Any]:
        return {
            "appid": self.appid,
            "mchid": self.mchid,
            "description": request.reason[:127],
            "out_trade_no": api.trade_number(request.operation_id),
            "attach": request.operation_id,
            "notify_url": self.notify_url,
            "amount": {"total": self._units(request.amount), "currency": "CNY"},
            "settle_info": {"profit_sharing": True},
        }

    def _fund(self, request: ProviderRequest, deadline: datetime | None) -> ProviderOperation:
        if request.legs:
            raise self._refuse(request, "a fund pays the merchant; name receivers in the releases that follow")
        body = self._fund_body(request)
        code_url = self._order_code(request, body, deadline)
        return self._read_fund(request, None, deadline, code_url=code_url)

    def _order_code(self, request: ProviderRequest, body: Mapping[str, Any], deadline: datetime | None) -> str | None:
        """Place the Native order (again, for a retry): its ``code_url``, or None when it is paid already."""
        try:
            created = self._call("POST", api.NATIVE_ORDER, body=body, deadline=deadline)
        except InvalidRequest as exc:
            if exc.code == "ORDERPAID":
                return None  # placed and paid before: this is a retry whose first answer was lost
            if exc.code == "OUT_TRADE_NO_USED":
                payment = self._payment(body["out_trade_no"], deadline)
                raise self._conflict(request, self._fund_differences(request, payment), exc) from exc
            raise
        code_url = str(created.get("code_url") or "") or None
        if code_url:
            self._code_urls[str(body["out_trade_no"])] = code_url
        return code_url

    def _payment(self, out_trade_no: str, deadline: datetime | None) -> Mapping[str, Any]:
        path = api.ORDER_BY_OUT_TRADE_NO.format(out_trade_no=out_trade_no)
        answer: Mapping[str, Any] = self._call("GET", path, params={"mchid": self.mchid}, deadline=deadline)
        return answer

    def _fund_differences(self, request: ProviderRequest, payment: Mapping[str, Any]) -> tuple[str, ...]:
        fields = []
        if (payment.get("amount") or {}).get("total") != self._units(request.amount):
            fields.append("amount")
        if payment.get("attach") not in (None, "", request.operation_id):
            fields.append("operation_id")
        return tuple(fields) or ("reason",)  # WeChat compares the description too, which the query does not show

    def _read_fund(
        self,
        request: ProviderRequest,
        known: ProviderOperation | None,
        deadline: datetime | None,
        *,
        code_url: str | None = None,
    ) -> ProviderOperation:
        out_trade_no = api.trade_number(request.operation_id)
        payment = self._payment(out_trade_no, deadline)
        differences = self._fund_differences(request, payment)
        if "amount" in differences:
            raise IdempotencyConflict(request.operation_id, ("amount",), provider=self.name)
        raw = str(payment.get("trade_state") or "")
        status = status_from_raw(raw, api.TRADE_STATES)
        next_action = None
        if status is OperationStatus.REQUIRES_ACTION:
            url = code_url or self._code_urls.get(out_trade_no)
            if url is None and known is not None and known.next_action is not None:
                url = known.next_action.url
            if url is None:  # placing the same order again answers its code_url
                url = self._order_code(request, self._fund_body(request), deadline)
            next_action = NextAction(
                kind=NextActionKind.REDIRECT if url else NextActionKind.OTHER,
                raw_kind="code_url" if url else raw,
                url=url,
                instructions="the brand scans this link's QR code with WeChat and pays",
            )
        paid_at = api.parse_time(payment.get("success_time"))
        transaction_id = payment.get("transaction_id")
        fee = net = None
        if transaction_id and status is OperationStatus.SUCCEEDED:
            fee = self._money(self._fee(self._units(request.amount)))
            net = request.amount - fee
        failed = status in (OperationStatus.FAILED, OperationStatus.CANCELED)
        return ProviderOperation(
            provider=self.name,
            operation_id=request.operation_id,
            kind=OperationKind.FUND,
            status=status,
            raw_status=raw or "(none)",
            amount=request.amount,
            provider_ref=str(transaction_id or out_trade_no),
            updated_at=paid_at or self.wall(),
            fee=fee,
            net=net,
            next_action=next_action,
            hold_expires_at=paid_at + timedelta(days=self.capabilities.max_hold_days or 30) if paid_at else None,
            failure_code=raw if failed else None,
            failure_reason=str(payment.get("trade_state_desc") or raw) if failed else None,
        )
