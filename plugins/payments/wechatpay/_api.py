"""WeChat Pay APIv3 as the plugin calls it: hosts, paths, the error envelope, status words, and the merchant keys
(``out_trade_no`` …) an operation id becomes.

Facts from WeChat Pay's merchant documentation (pay.weixin.qq.com, "分账" and "Native支付"): errors are
``{"code", "message", "detail"}`` with a real HTTP status and a ``Request-ID`` header; a split order is
``PROCESSING`` then ``FINISHED``, each receiver ``PENDING``, ``SUCCESS`` or ``CLOSED``; a return (分账回退) is
``PROCESSING``, ``SUCCESS`` or ``FAILED``; a refund ``PROCESSING``, ``SUCCESS``, ``CLOSED`` or ``ABNORMAL``; a
payment's ``trade_state`` one of ``NOTPAY``, ``USERPAYING``, ``SUCCESS``, ``CLOSED``, ``REVOKED``, ``PAYERROR``,
``REFUND``. Amounts are integers in 分 (CNY's minor unit).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from creatorkit import toolkit as tk
from creatorkit.entities import OperationStatus
from creatorkit.errors import InvalidRequest, NotFound, PlatformPermissionDenied, RateLimited, Transient

__all__ = [
    "BASE_URL",
    "ENVELOPE",
    "ERRORS",
    "ORDER_STATES",
    "RECEIVER_RESULTS",
    "REFUND_STATES",
    "RETURN_RESULTS",
    "TRADE_STATES",
    "parse_time",
    "receiver_type",
    "refund_number",
    "return_number",
    "trade_number",
]

#: The main API domain; ``api2.mch.weixin.qq.com`` is the documented backup.
BASE_URL = "https://api.mch.weixin.qq.com"

NATIVE_ORDER = "/v3/pay/transactions/native"
ORDER_BY_OUT_TRADE_NO = "/v3/pay/transactions/out-trade-no/{out_trade_no}"
ORDER_BY_ID = "/v3/pay/transactions/id/{transaction_id}"
SPLITS = "/v3/profitsharing/orders"
SPLIT = "/v3/profitsharing/orders/{out_order_no}"
UNFREEZE = "/v3/profitsharing/orders/unfreeze"
RETURNS = "/v3/profitsharing/return-orders"
RETURN = "/v3/profitsharing/return-orders/{out_return_no}"
UNSPLIT = "/v3/profitsharing/transactions/{transaction_id}/amounts"
RECEIVER_ADD = "/v3/profitsharing/receivers/add"
RECEIVER_DELETE = "/v3/profitsharing/receivers/delete"
MERCHANT_CONFIG = "/v3/profitsharing/merchant-configs/{sub_mchid}"
REFUNDS = "/v3/refund/domestic/refunds"
REFUND = "/v3/refund/domestic/refunds/{out_refund_no}"

#: Errors carry ``code`` and ``message``; a success has no ``code``. The request id is a header only.
ENVELOPE = tk.Envelope(
    code="code", message="message", code_required=False, success_codes=(), request_id_header="Request-ID"
)
ERRORS = (
    tk.ErrorTable(
        (
            tk.ErrorRule(RateLimited, codes=("FREQUENCY_LIMITED", "RATELIMIT_EXCEEDED"), scope="merchant"),
            tk.ErrorRule(Transient, codes=("SYSTEM_ERROR", "SYSTEMERROR", "BANK_ERROR", "BANKERROR")),
            tk.ErrorRule(NotFound, codes=("ORDER_NOT_EXIST", "ORDERNOTEXIST", "RESOURCE_NOT_EXISTS", "NOT_FOUND")),
            tk.ErrorRule(PlatformPermissionDenied, codes=("NO_AUTH", "SIGN_ERROR", "APPID_MCHID_NOT_MATCH")),
            tk.ErrorRule(InvalidRequest, codes=("PARAM_ERROR", "INVALID_REQUEST")),
        )
    )
    + tk.HTTP_STATUS_ERRORS
)

#: A payment's trade_state. REFUND: it was paid, and a refund (a movement of its own) has been made since.
TRADE_STATES = {
    "NOTPAY": OperationStatus.REQUIRES_ACTION,
    "USERPAYING": OperationStatus.PENDING,
    "SUCCESS": OperationStatus.SUCCEEDED,
    "REFUND": OperationStatus.SUCCEEDED,
    "CLOSED": OperationStatus.CANCELED,
    "REVOKED": OperationStatus.CANCELED,
    "PAYERROR": OperationStatus.FAILED,
}
#: A split order's state; the outcome of a FINISHED one is in its receivers' results.
ORDER_STATES = {"PROCESSING": OperationStatus.PENDING, "FINISHED": OperationStatus.SUCCEEDED}
RECEIVER_RESULTS = {
    "PENDING": OperationStatus.PENDING,
    "SUCCESS": OperationStatus.SUCCEEDED,
    "CLOSED": OperationStatus.FAILED,
}
RETURN_RESULTS = {
    "PROCESSING": OperationStatus.PENDING,
    "SUCCESS": OperationStatus.SUCCEEDED,
    "FAILED": OperationStatus.FAILED,
}
#: ABNORMAL: the money could not reach the payer's card or balance; the merchant must handle it by hand.
REFUND_STATES = {
    "PROCESSING": OperationStatus.PENDING,
    "SUCCESS": OperationStatus.SUCCEEDED,
    "CLOSED": OperationStatus.CANCELED,
    "ABNORMAL": OperationStatus.REQUIRES_ACTION,
}

# out_trade_no: 6 to 32 of [0-9A-Za-z_-|*]; out_order_no, out_return_no, out_refund_no: up to 64 of those and @.
_TRADE_NO = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
_MERCHANT_ID = re.compile(r"^\d{6,32}$")


def _digest(operation_id: str, size: int) -> str:
    return hashlib.sha256(operation_id.encode()).hexdigest()[:size]


def trade_number(operation_id: str) -> str:
    """The ``out_trade_no`` of a fund: the operation id where it fits WeChat's 6 to 32 characters, else the first
    32 hex digits of its SHA-256 (the core's ids, ``op_`` and 32 hex digits, are 35 long). The operation id itself
    travels in ``attach``, which notifications and queries echo."""
    return operation_id if _TRADE_NO.match(operation_id) else _digest(operation_id, 32)


def return_number(operation_id: str, index: int) -> str:
    """The ``out_return_no`` of a reversal's ``index``-th leg (one return order per receiver), within 64 characters."""
    suffix = f"-{index}"
    if len(operation_id) + len(suffix) <= 64:
        return operation_id + suffix
    return _digest(operation_id, 64 - len(suffix)) + suffix


def refund_number(operation_id: str) -> str:
    """The ``out_refund_no`` of a refund: the operation id (the core's ids fit WeChat's 64 characters)."""
    return operation_id


def receiver_type(account: str, kind: str | None) -> str:
    """WeChat's receiver ``type`` for an account: the leg's ``account_kind`` when given, else ``MERCHANT_ID`` for a
    merchant number and ``PERSONAL_OPENID`` for anything else (an openid of the merchant's appid)."""
    if kind:
        return kind.upper()
    return "MERCHANT_ID" if _MERCHANT_ID.match(account) else "PERSONAL_OPENID"


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 time as WeChat writes it (``2018-06-08T10:34:56+08:00``); None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
