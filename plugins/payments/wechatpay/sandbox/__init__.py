"""WeChat Pay APIv3 in memory: Native payments with profit sharing, splits, returns, unfreezing, refunds.

Built from WeChat Pay's published behaviour, as a stateful fake behind the toolkit's
:class:`~creatorkit.toolkit.SandboxTransport`:

* every request must carry the merchant's ``WECHATPAY2-SHA256-RSA2048`` signature, checked with the merchant's
  public key (``401 SIGN_ERROR`` otherwise); every answer is signed with the sandbox's WeChat Pay key and carries a
  ``Request-ID``;
* a Native order made with ``settle_info.profit_sharing`` is paid by the sandbox's payer (at once, or only when
  :meth:`WeChatPaySandbox.pay` is called, with ``payer_pays=False``); its money, less WeChat's fee
  (``fee_rate_bp``, rounded half up to the 分), is frozen for splitting;
* a split names registered receivers only (``PARAM_ERROR`` "分账接收方关系不存在…" otherwise; the merchant itself
  needs no registration), at most 50, each once; what goes to others stays within ``max_ratio_bp`` of the order
  net of the fee and within what is still frozen (``NOT_ENOUGH``); at most 50 split requests per order; with
  ``unfreeze_unsplit`` the rest goes back to the merchant and the order takes no more splits;
* ``out_trade_no``, ``out_order_no``, ``out_return_no`` and ``out_refund_no`` are idempotent: the same request
  again answers the first one's record, another request under the same number is refused
  (``OUT_TRADE_NO_USED``, ``INVALID_REQUEST``);
* a return (分账回退) takes money back from a merchant receiver of a finished split; a refund is refused while
  money split to others is not returned (``NOT_ENOUGH``);
* notifications (``TRANSACTION.SUCCESS``, ``REFUND.SUCCESS``) are kept in :attr:`WeChatPaySandbox.outbox` and
  delivered encrypted with the APIv3 key and signed (:meth:`WeChatPaySandbox.delivery`).

The conformance kit's switches: ``timeout_after_success`` (the first attempt that makes an object makes it, then
times out), ``pending_retrieves`` (payments, splits, returns and refunds stay in their processing state until
queried that many times) and ``raw_status`` (the state every object reports).

Why this is long: it is one merchant's books, and WeChat's rules cross them (a split draws on the payment's
frozen money and ratio, a return gives back what a split paid, a refund waits on the returns); kept in one class,
each rule reads the state it checks in one place.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from creatorkit import toolkit as tk

from .. import _api as api
from .._crypto import (
    decrypt_sensitive,
    encrypt_resource,
    parse_authorization,
    sign_with,
    signed_message,
)
from ._keys import SandboxIdentity, sandbox_identity

__all__ = ["CST", "SandboxIdentity", "SandboxNotification", "WeChatPaySandbox", "deliver", "sandbox_identity"]

#: WeChat Pay writes its times in China Standard Time.
CST = timezone(timedelta(hours=8))
_TOLERANCE = timedelta(minutes=5)
_MAX_RECEIVERS = 50
_MAX_SPLITS = 50
_UNFREEZE_DESCRIPTION = "解冻给分账方"
_NOT_REGISTERED = "分账接收方关系不存在，请检查参数中每个接收方的关系。"

_FAULT_REPLIES: dict[tk.Fault, tuple[int, str, str]] = {
    tk.Fault.SERVER_ERROR: (500, "SYSTEM_ERROR", "系统错误"),
    tk.Fault.THROTTLED: (429, "FREQUENCY_LIMITED", "频率超限"),
    tk.Fault.NOT_FOUND: (404, "RESOURCE_NOT_EXISTS", "记录不存在"),
    tk.Fault.INVALID_REQUEST: (400, "INVALID_REQUEST", "请求参数不符合规则"),
    tk.Fault.INVALID_TOKEN: (401, "SIGN_ERROR", "签名错误"),
    tk.Fault.EXPIRED_TOKEN: (401, "SIGN_ERROR", "签名错误"),
    tk.Fault.REVOKED_TOKEN: (401, "SIGN_ERROR", "签名错误"),
}


class _Refused(Exception):
    """A handler's refusal in WeChat's shape: HTTP status, ``code``, ``message``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(f"{status} {code}: {message}")


@dataclasses.dataclass
class _Payment:
    out_trade_no: str
    body: dict[str, Any]
    total: int
    code_url: str
    transaction_id: str | None = None
    state: str = "NOTPAY"
    success_time: str | None = None
    fee: int = 0
    unsplit: int = 0  # frozen, still to split or unfreeze
    to_others: int = 0  # split to receivers other than the merchant, not returned
    refunded: int = 0
    splits: int = 0
    unfrozen: bool = False
    queries_left: int = 0


@dataclasses.dataclass
class _Split:
    out_order_no: str
    transaction_id: str
    order_id: str
    body: dict[str, Any]
    receivers: list[dict[str, Any]]
    state: str
    queries_left: int = 0


@dataclasses.dataclass
class _Record:
    """A return or a refund: the request that made it and WeChat's record of it."""

    body: dict[str, Any]
    record: dict[str, Any]
    queries_left: int = 0


@dataclasses.dataclass(frozen=True)
class SandboxNotification:
    """One notification the sandbox sent: its id, type, the payment it is about and the resource before
    encryption."""

    id: str
    event_type: str
    summary: str
    original_type: str
    transaction_id: str
    create_time: str
    resource: Mapping[str, Any]


class WeChatPaySandbox(tk.SandboxTransport):
    """The merchant's WeChat Pay in memory (see the module's docstring)."""

    def __init__(
        self,
        *,
        identity: SandboxIdentity | None = None,
        wall: Callable[[], datetime] | None = None,
        seed: int = 0,
        fee_rate_bp: int = 60,
        max_ratio_bp: int = 3000,
        receivers: Iterable[tuple[str, str]] = (),
        payer_pays: bool = True,
        timeout_after_success: bool = False,
        pending_retrieves: int = 0,
        raw_status: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(platform="wechatpay", seed=seed, **options)
        self.identity = identity or sandbox_identity()
        self.wall = wall or (lambda: datetime.now(CST))
        self.fee_rate_bp, self.max_ratio_bp = fee_rate_bp, max_ratio_bp
        self.payer_pays = payer_pays
        self.timeout_after_success = timeout_after_success
        self.pending_retrieves = pending_retrieves
        self.raw_status = raw_status
        #: Registered receivers, (type, account) -> what was registered (name decrypted, relation type).
        self.receivers: dict[tuple[str, str], dict[str, Any]] = {
            (kind, account): {"type": kind, "account": account, "relation_type": "PARTNER"}
            for kind, account in receivers
        }
        self.payments: dict[str, _Payment] = {}
        self.by_transaction: dict[str, str] = {}
        self.splits: dict[str, _Split] = {}
        self.returns: dict[str, _Record] = {}
        self.refunds: dict[str, _Record] = {}
        self.outbox: list[SandboxNotification] = []
        self._timed_out: set[str] = set()
        self._serial = 0
        self._state_lock = threading.RLock()
        self._install()

    def __repr__(self) -> str:
        return f"<WeChatPaySandbox merchant {self.identity.mchid}: {len(self.payments)} payments>"

    # -- routes ----------------------------------------------------------------------------------------------------

    def _install(self) -> None:
        routes: list[tuple[str, str, Callable[[tk.SandboxRequest], Any]]] = [
            ("POST", api.NATIVE_ORDER, self._native_order),
            ("GET", api.ORDER_BY_OUT_TRADE_NO, self._payment_by_out_trade_no),
            ("GET", api.ORDER_BY_ID, self._payment_by_id),
            ("POST", api.UNFREEZE, self._unfreeze),
            ("POST", api.SPLITS, self._split),
            ("GET", api.SPLIT, self._split_query),
            ("POST", api.RETURNS, self._return),
            ("GET", api.RETURN, self._return_query),
            ("GET", api.UNSPLIT, self._unsplit),
            ("POST", api.RECEIVER_ADD, self._receiver_add),
            ("POST", api.RECEIVER_DELETE, self._receiver_delete),
            ("POST", api.REFUNDS, self._refund),
            ("GET", api.REFUND, self._refund_query),
        ]
        for method, template, handler in routes:
            self.route(method, template, self._guarded(handler))

    def _guarded(self, handler: Callable[[tk.SandboxRequest], Any]) -> Callable[[tk.SandboxRequest], Any]:
        def answer(request: tk.SandboxRequest) -> Any:
            try:
                with self._state_lock:
                    return handler(request)
            except _Refused as refusal:
                return self._error(refusal.status, refusal.code, refusal.message)

        return answer

    # -- what the payer and the merchant do outside the API -------------------------------------------------------

    def pay(self, out_trade_no: str) -> str:
        """The payer scans the order's code and pays: its ``transaction_id``."""
        with self._state_lock:
            payment = self.payments.get(out_trade_no)
            if payment is None:
                raise KeyError(f"no order {out_trade_no!r} in the sandbox")
            if payment.transaction_id is None:
                self._settle(payment)
            assert payment.transaction_id is not None
            return payment.transaction_id

    def refund_from_merchant_platform(self, transaction_id: str, amount: int, out_refund_no: str) -> dict[str, Any]:
        """A refund the merchant makes on the merchant platform's web pages (same rules as the API's)."""
        with self._state_lock:
            payment = self._paid(transaction_id)
            body = {
                "transaction_id": transaction_id,
                "out_refund_no": out_refund_no,
                "amount": {"refund": amount, "total": payment.total, "currency": "CNY"},
            }
            return self._make_refund(payment, body)

    # -- signatures ------------------------------------------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        refusal = self._check_signature(request)
        response = refusal or super().handle_request(request)
        return self._signed(response)

    def _check_signature(self, request: httpx.Request) -> httpx.Response | None:
        fields = parse_authorization(request.headers.get("Authorization"))
        if fields is None:
            return self._error(401, "SIGN_ERROR", "缺少WECHATPAY2-SHA256-RSA2048签名")
        identity = self.identity
        if fields.get("mchid") != identity.mchid or fields.get("serial_no") != identity.merchant_serial:
            return self._error(401, "SIGN_ERROR", "商户号或证书序列号错误")
        timestamp = fields.get("timestamp", "")
        if not timestamp.isdigit() or abs(self.wall().timestamp() - int(timestamp)) > _TOLERANCE.total_seconds():
            return self._error(401, "SIGN_ERROR", "请求时间戳已过期")
        message = signed_message(
            request.method, request.url.raw_path.decode("ascii"), timestamp, fields.get("nonce_str", ""), request.read()
        )
        try:
            identity.merchant_key.public_key().verify(
                base64.b64decode(fields.get("signature", "")), message, padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, binascii.Error, ValueError):
            return self._error(401, "SIGN_ERROR", "签名错误")
        return None

    def _signed(self, response: httpx.Response) -> httpx.Response:
        body = response.read()
        timestamp = str(int(self.wall().timestamp()))
        nonce = hashlib.sha256(f"{self.seed}:{self.stats['requests']}:{timestamp}".encode()).hexdigest()[:32]
        headers = httpx.Headers(response.headers)
        headers["Request-ID"] = headers.get("Request-ID") or self.request_id()
        headers["Wechatpay-Timestamp"] = timestamp
        headers["Wechatpay-Nonce"] = nonce
        headers["Wechatpay-Serial"] = self.identity.platform_serial
        headers["Wechatpay-Signature"] = sign_with(self.identity.platform_key, signed_message(timestamp, nonce, body))
        return httpx.Response(response.status_code, headers=headers, content=body)

    # -- WeChat's shapes -------------------------------------------------------------------------------------------

    def request_id(self) -> str:
        return f"08{self.seed:02d}{self.stats['requests']:08d}-sandbox"

    def ok(self, request: tk.SandboxRequest, data: Any) -> httpx.Response:
        return httpx.Response(200, json=data, headers={"Request-ID": self.request_id()})

    def reply(
        self,
        fault: tk.Fault,
        request: httpx.Request,
        *,
        wait: float | None = None,
        status: int | None = None,
        message: str | None = None,
    ) -> httpx.Response:
        http_status, code, text = _FAULT_REPLIES[fault]
        response = self._error(status or http_status, code, message or text)
        if wait is not None:
            response.headers["Retry-After"] = str(max(1, round(wait)))
        return response

    def _error(self, status: int, code: str, message: str) -> httpx.Response:
        return httpx.Response(
            status, json={"code": code, "message": message}, headers={"Request-ID": self.request_id()}
        )

    # -- helpers ---------------------------------------------------------------------------------------------------

    def _next(self, prefix: str, width: int) -> str:
        self._serial += 1
        return f"{prefix}{self.wall():%Y%m%d}{self._serial:0{width}d}"

    def _now_text(self) -> str:
        return self.wall().astimezone(CST).isoformat(timespec="seconds")

    def _made(self, key: str) -> None:
        """An object was made: on the first attempt under the timeout switch, lose the answer."""
        if self.timeout_after_success and key not in self._timed_out:
            self._timed_out.add(key)
            raise httpx.ReadTimeout("the sandbox made it, then timed out, as asked")

    def _reported(self, state: str) -> str:
        return self.raw_status or state

    def _identity_fields(self, body: Mapping[str, Any], *, mchid: bool = True) -> None:
        if body.get("appid") != self.identity.appid:
            raise _Refused(400, "PARAM_ERROR", "appid和mch_id不匹配")
        if mchid and body.get("mchid") != self.identity.mchid:
            raise _Refused(400, "PARAM_ERROR", "appid和mch_id不匹配")

    def _paid(self, transaction_id: object) -> _Payment:
        out_trade_no = self.by_transaction.get(str(transaction_id))
        if out_trade_no is None:
            raise _Refused(404, "ORDER_NOT_EXIST", "订单不存在")
        return self.payments[out_trade_no]

    @staticmethod
    def _amount(value: object, what: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise _Refused(400, "PARAM_ERROR", f"{what}必须为正整数（单位：分）")
        return value

    def _notify(
        self, event_type: str, summary: str, original_type: str, transaction_id: str, resource: dict[str, Any]
    ) -> None:
        number = len(self.outbox) + 1
        notification_id = str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"wechatpay-sandbox/{self.seed}/{transaction_id}/{number}")
        )
        self.outbox.append(
            SandboxNotification(
                id=notification_id,
                event_type=event_type,
                summary=summary,
                original_type=original_type,
                transaction_id=transaction_id,
                create_time=self._now_text(),
                resource=resource,
            )
        )

    # -- payments --------------------------------------------------------------------------------------------------

    def _native_order(self, request: tk.SandboxRequest) -> Any:
        body = request.json() or {}
        self._identity_fields(body)
        out_trade_no = str(body.get("out_trade_no", ""))
        if not (6 <= len(out_trade_no) <= 32):
            raise _Refused(400, "PARAM_ERROR", "out_trade_no长度须为6-32个字符")
        amount = body.get("amount") or {}
        total = self._amount(amount.get("total"), "amount.total")
        if amount.get("currency", "CNY") != "CNY":
            raise _Refused(400, "PARAM_ERROR", "境内商户仅支持人民币CNY")
        known = self.payments.get(out_trade_no)
        if known is not None:
            if known.body != body:
                raise _Refused(400, "OUT_TRADE_NO_USED", "商户订单号重复")
            if known.transaction_id is not None:
                raise _Refused(400, "ORDERPAID", "该订单已支付")
            return {"code_url": known.code_url}
        token = hashlib.sha256(f"{self.seed}:{out_trade_no}".encode()).hexdigest()[:16]
        payment = _Payment(
            out_trade_no=out_trade_no, body=body, total=total, code_url=f"weixin://wxpay/bizpayurl?pr={token}"
        )
        self.payments[out_trade_no] = payment
        if self.payer_pays:
            if self.pending_retrieves:
                payment.state, payment.queries_left = "USERPAYING", self.pending_retrieves
            else:
                self._settle(payment)
        self._made(f"pay:{out_trade_no}")
        return {"code_url": payment.code_url}

    def _settle(self, payment: _Payment) -> None:
        payment.transaction_id = self._next("42000", 14)
        payment.state = "SUCCESS"
        payment.success_time = self._now_text()
        payment.fee = (payment.total * self.fee_rate_bp + 5_000) // 10_000  # WeChat rounds its fee half up
        settle = payment.body.get("settle_info") or {}
        payment.unsplit = payment.total - payment.fee if settle.get("profit_sharing") else 0
        self.by_transaction[payment.transaction_id] = payment.out_trade_no
        self._notify(
            "TRANSACTION.SUCCESS", "支付成功", "transaction", payment.transaction_id, self._payment_record(payment)
        )

    def _payment_record(self, payment: _Payment) -> dict[str, Any]:
        record: dict[str, Any] = {
            "appid": self.identity.appid,
            "mchid": self.identity.mchid,
            "out_trade_no": payment.out_trade_no,
            "trade_type": "NATIVE",
            "trade_state": self._reported(payment.state),
            "trade_state_desc": {
                "NOTPAY": "未支付",
                "USERPAYING": "用户支付中",
                "SUCCESS": "支付成功",
                "REFUND": "转入退款",
            }.get(payment.state, payment.state),
            "attach": payment.body.get("attach", ""),
            "amount": {"total": payment.total, "currency": "CNY"},
        }
        if payment.transaction_id is not None:
            record.update(
                transaction_id=payment.transaction_id,
                bank_type="OTHERS",
                success_time=payment.success_time,
                payer={"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            )
            record["amount"].update(payer_total=payment.total, payer_currency="CNY")
        return record

    def _queried(self, payment: _Payment) -> dict[str, Any]:
        if payment.queries_left:
            payment.queries_left -= 1
            if not payment.queries_left:
                self._settle(payment)
        return self._payment_record(payment)

    def _payment_by_out_trade_no(self, request: tk.SandboxRequest) -> Any:
        if request.params.get("mchid") != self.identity.mchid:
            raise _Refused(400, "PARAM_ERROR", "mchid不正确")
        payment = self.payments.get(request.path_params["out_trade_no"])
        if payment is None:
            raise _Refused(404, "ORDER_NOT_EXIST", "订单不存在")
        return self._queried(payment)

    def _payment_by_id(self, request: tk.SandboxRequest) -> Any:
        if request.params.get("mchid") != self.identity.mchid:
            raise _Refused(400, "PARAM_ERROR", "mchid不正确")
        return self._queried(self._paid(request.path_params["transaction_id"]))

    # -- profit sharing --------------------------------------------------------------------------------------------

    def _receivers_of(self, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        receivers = body.get("receivers")
        if not isinstance(receivers, list) or not receivers:
            raise _Refused(400, "PARAM_ERROR", "分账接收方列表不能为空")
        if len(receivers) > _MAX_RECEIVERS:
            raise _Refused(400, "PARAM_ERROR", "分账接收方列表不能超过50个")
        seen: set[tuple[str, str]] = set()
        parsed = []
        for receiver in receivers:
            key = (str(receiver.get("type")), str(receiver.get("account")))
            if key in seen:
                raise _Refused(400, "INVALID_REQUEST", "分账接收方列表中存在重复的接收方")
            seen.add(key)
            if not receiver.get("description"):
                raise _Refused(400, "PARAM_ERROR", "分账描述不能为空")
            own = key == ("MERCHANT_ID", self.identity.mchid)
            if not own and key not in self.receivers:
                raise _Refused(400, "PARAM_ERROR", _NOT_REGISTERED)
            parsed.append({**receiver, "amount": self._amount(receiver.get("amount"), "分账金额")})
        return parsed

    def _split(self, request: tk.SandboxRequest) -> Any:
        body = request.json() or {}
        self._identity_fields(body, mchid=False)
        out_order_no = str(body.get("out_order_no", ""))
        known = self.splits.get(out_order_no)
        if known is not None:
            if known.body != body:
                raise _Refused(400, "INVALID_REQUEST", "商户分账单号已使用，且与原请求参数不一致")
            return self._split_record(known)
        payment = self._paid(body.get("transaction_id"))
        if not (payment.body.get("settle_info") or {}).get("profit_sharing"):
            raise _Refused(400, "INVALID_REQUEST", "非分账订单不支持分账")
        receivers = self._receivers_of(body)
        if payment.unfrozen:
            raise _Refused(403, "NOT_ENOUGH", "订单已完结分账，剩余待分金额为0")
        if payment.splits >= _MAX_SPLITS:
            raise _Refused(400, "INVALID_REQUEST", "同一笔订单最多发起50次分账请求")
        total = sum(r["amount"] for r in receivers)
        to_others = sum(
            r["amount"] for r in receivers if (r["type"], r["account"]) != ("MERCHANT_ID", self.identity.mchid)
        )
        if total > payment.unsplit:
            raise _Refused(403, "NOT_ENOUGH", f"分账金额不足，订单剩余待分金额{payment.unsplit}分")
        limit = (payment.total - payment.fee) * self.max_ratio_bp // 10_000
        if payment.to_others + to_others > limit:
            raise _Refused(400, "INVALID_REQUEST", f"分账金额超出最大分账比例（最多{limit}分）")
        payment.splits += 1
        payment.unsplit -= total
        payment.to_others += to_others
        pending = bool(self.pending_retrieves)
        now = self._now_text()
        entries = [
            {
                "type": r["type"],
                "account": r["account"],
                "amount": r["amount"],
                "description": r["description"],
                "result": "PENDING" if pending else "SUCCESS",
                "detail_id": self._next("36000", 10),
                "create_time": now,
                **({} if pending else {"finish_time": now}),
            }
            for r in receivers
        ]
        if body.get("unfreeze_unsplit"):
            self._unfreeze_into(payment, entries, pending)
        split = _Split(
            out_order_no=out_order_no,
            transaction_id=payment.transaction_id or "",
            order_id=self._next("30000", 14),
            body=body,
            receivers=entries,
            state="PROCESSING" if pending else "FINISHED",
            queries_left=self.pending_retrieves,
        )
        self.splits[out_order_no] = split
        self._made(f"split:{out_order_no}")
        return self._split_record(split)

    def _unfreeze_into(self, payment: _Payment, entries: list[dict[str, Any]], pending: bool) -> None:
        """What is left frozen goes back to the merchant: a receiver line of its own, as WeChat reports it."""
        rest, payment.unsplit, payment.unfrozen = payment.unsplit, 0, True
        if rest:
            now = self._now_text()
            entries.append(
                {
                    "type": "MERCHANT_ID",
                    "account": self.identity.mchid,
                    "amount": rest,
                    "description": _UNFREEZE_DESCRIPTION,
                    "result": "PENDING" if pending else "SUCCESS",
                    "detail_id": self._next("36000", 10),
                    "create_time": now,
                    **({} if pending else {"finish_time": now}),
                }
            )

    def _split_record(self, split: _Split) -> dict[str, Any]:
        return {
            "transaction_id": split.transaction_id,
            "out_order_no": split.out_order_no,
            "order_id": split.order_id,
            "state": self._reported(split.state),
            "receivers": [
                {**r, "result": self._reported(r["result"]) if self.raw_status else r["result"]}
                for r in split.receivers
            ],
        }

    def _split_query(self, request: tk.SandboxRequest) -> Any:
        split = self.splits.get(request.path_params["out_order_no"])
        if split is None or split.transaction_id != request.params.get("transaction_id"):
            raise _Refused(404, "RESOURCE_NOT_EXISTS", "记录不存在")
        if split.queries_left:
            split.queries_left -= 1
            if not split.queries_left:
                split.state = "FINISHED"
                now = self._now_text()
                for receiver in split.receivers:
                    receiver.update(result="SUCCESS", finish_time=now)
        return self._split_record(split)

    def _unfreeze(self, request: tk.SandboxRequest) -> Any:
        body = request.json() or {}
        out_order_no = str(body.get("out_order_no", ""))
        known = self.splits.get(out_order_no)
        if known is not None:
            if known.body != body:
                raise _Refused(400, "INVALID_REQUEST", "商户分账单号已使用，且与原请求参数不一致")
            return self._split_record(known)
        payment = self._paid(body.get("transaction_id"))
        if payment.unfrozen or not payment.unsplit:
            raise _Refused(403, "NOT_ENOUGH", "订单剩余待分金额为0，无需解冻")
        entries: list[dict[str, Any]] = []
        self._unfreeze_into(payment, entries, pending=False)
        split = _Split(
            out_order_no=out_order_no,
            transaction_id=payment.transaction_id or "",
            order_id=self._next("30000", 14),
            body=body,
            receivers=entries,
            state="FINISHED",
        )
        self.splits[out_order_no] = split
        self._made(f"split:{out_order_no}")
        return self._split_record(split)

    def _unsplit(self, request: tk.SandboxRequest) -> Any:
        payment = self._paid(request.path_params["transaction_id"])
        return {"transaction_id": payment.transaction_id, "unsplit_amount": payment.unsplit}

    # -- returns (分账回退) -------------------------------------------------------------------------------------------

    def _split_of(self, body: Mapping[str, Any]) -> _Split:
        if body.get("out_order_no"):
            split = self.splits.get(str(body["out_order_no"]))
        else:
            split = next((s for s in self.splits.values() if s.order_id == body.get("order_id")), None)
        if split is None:
            raise _Refused(404, "RESOURCE_NOT_EXISTS", "分账单不存在")
        return split

    def _return(self, request: tk.SandboxRequest) -> Any:
        body = request.json() or {}
        out_return_no = str(body.get("out_return_no", ""))
        known = self.returns.get(out_return_no)
        if known is not None:
            if known.body != body:
                raise _Refused(400, "INVALID_REQUEST", "商户回退单号已使用，且与原请求参数不一致")
            return known.record
        split = self._split_of(body)
        amount = self._amount(body.get("amount"), "回退金额")
        mchid = str(body.get("return_mchid", ""))
        line = next(
            (
                r
                for r in split.receivers
                if r["type"] == "MERCHANT_ID" and r["account"] == mchid and r["description"] != _UNFREEZE_DESCRIPTION
            ),
            None,
        )
        if line is None:
            raise _Refused(400, "INVALID_REQUEST", "回退方不是该分账单的商户接收方")
        if line["result"] != "SUCCESS":
            raise _Refused(400, "INVALID_REQUEST", "分账处理中，暂不能回退")
        if amount > line["amount"] - line.get("returned", 0):
            raise _Refused(403, "NOT_ENOUGH", "回退金额超过该接收方可回退金额")
        line["returned"] = line.get("returned", 0) + amount
        if mchid != self.identity.mchid:
            self.payments[self.by_transaction[split.transaction_id]].to_others -= amount
        pending = bool(self.pending_retrieves)
        record = {
            "order_id": split.order_id,
            "out_order_no": split.out_order_no,
            "out_return_no": out_return_no,
            "return_id": self._next("30030", 14),
            "return_mchid": mchid,
            "amount": amount,
            "description": body.get("description", ""),
            "result": "PROCESSING" if pending else "SUCCESS",
            "create_time": self._now_text(),
            **({} if pending else {"finish_time": self._now_text()}),
        }
        self.returns[out_return_no] = _Record(body=body, record=record, queries_left=self.pending_retrieves)
        self._made(f"return:{out_return_no}")
        return {**record, "result": self._reported(record["result"])}

    def _return_query(self, request: tk.SandboxRequest) -> Any:
        known = self.returns.get(request.path_params["out_return_no"])
        if known is None or known.record["out_order_no"] != request.params.get("out_order_no"):
            raise _Refused(404, "RESOURCE_NOT_EXISTS", "记录不存在")
        if known.queries_left:
            known.queries_left -= 1
            if not known.queries_left:
                known.record.update(result="SUCCESS", finish_time=self._now_text())
        return {**known.record, "result": self._reported(known.record["result"])}

    # -- receivers -------------------------------------------------------------------------------------------------

    def _receiver_add(self, request: tk.SandboxRequest) -> Any:
        body = request.json() or {}
        self._identity_fields(body, mchid=False)
        kind, account = str(body.get("type")), str(body.get("account"))
        if kind not in ("MERCHANT_ID", "PERSONAL_OPENID"):
            raise _Refused(400, "PARAM_ERROR", "分账接收方类型错误")
        if not body.get("relation_type"):
            raise _Refused(400, "PARAM_ERROR", "与分账方的关系类型不能为空")
        entry = {"type": kind, "account": account, "relation_type": body["relation_type"]}
        if body.get("name"):
            if request.request.headers.get("Wechatpay-Serial") != self.identity.platform_serial:
                raise _Refused(400, "PARAM_ERROR", "Wechatpay-Serial与加密所用的微信支付公钥不一致")
            try:
                entry["name"] = decrypt_sensitive(self.identity.platform_key, str(body["name"]))
            except (ValueError, binascii.Error):
                raise _Refused(400, "PARAM_ERROR", "name解密失败") from None
        elif kind == "MERCHANT_ID":
            raise _Refused(400, "PARAM_ERROR", "分账接收方类型为MERCHANT_ID时，name必填")
        if body.get("custom_relation"):
            entry["custom_relation"] = body["custom_relation"]
        self.receivers[(kind, account)] = entry
        return {k: v for k, v in {**body}.items() if k in ("type", "account", "relation_type", "custom_relation")}

    def _receiver_delete(self, request: tk.SandboxRequest) -> Any:
        body = request.json() or {}
        self._identity_fields(body, mchid=False)
        key = (str(body.get("type")), str(body.get("account")))
        if self.receivers.pop(key, None) is None:
            raise _Refused(400, "INVALID_REQUEST", "分账接收方不存在")
        return {"type": key[0], "account": key[1]}

    # -- refunds ---------------------------------------------------------------------------------------------------

    def _refund(self, request: tk.SandboxRequest) -> Any:
        body = request.json() or {}
        out_refund_no = str(body.get("out_refund_no", ""))
        known = self.refunds.get(out_refund_no)
        if known is not None:
            if known.body != body:
                raise _Refused(400, "INVALID_REQUEST", "商户退款单号已使用，且与原请求参数不一致")
            return {**known.record, "status": self._reported(known.record["status"])}
        if body.get("transaction_id"):
            payment = self._paid(body["transaction_id"])
        else:
            found = self.payments.get(str(body.get("out_trade_no")))
            if found is None or found.transaction_id is None:
                raise _Refused(404, "ORDER_NOT_EXIST", "订单不存在")
            payment = found
        record = self._make_refund(payment, body)
        self._made(f"refund:{out_refund_no}")
        return {**record, "status": self._reported(record["status"])}

    def _make_refund(self, payment: _Payment, body: Mapping[str, Any]) -> dict[str, Any]:
        amount = body.get("amount") or {}
        refund = self._amount(amount.get("refund"), "amount.refund")
        if amount.get("total") != payment.total:
            raise _Refused(400, "PARAM_ERROR", "订单金额与原订单金额不一致")
        if refund > payment.total - payment.refunded:
            raise _Refused(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
        if refund > payment.total - payment.refunded - payment.to_others:
            raise _Refused(403, "NOT_ENOUGH", "订单已分账的资金未回退，可退金额不足，请先完成分账回退")
        payment.refunded += refund
        payment.unsplit -= min(payment.unsplit, refund)
        payment.state = "REFUND"
        pending = bool(self.pending_retrieves)
        record = {
            "refund_id": self._next("50300", 14),
            "out_refund_no": str(body.get("out_refund_no", "")),
            "transaction_id": payment.transaction_id,
            "out_trade_no": payment.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": self._now_text(),
            "status": "PROCESSING" if pending else "SUCCESS",
            "funds_account": "UNSETTLED",
            "amount": {
                "total": payment.total,
                "refund": refund,
                "payer_total": payment.total,
                "payer_refund": refund,
                "settlement_total": payment.total,
                "settlement_refund": refund,
                "discount_refund": 0,
                "currency": "CNY",
            },
            **({} if pending else {"success_time": self._now_text()}),
        }
        self.refunds[str(record["out_refund_no"])] = _Record(
            body=dict(body), record=record, queries_left=self.pending_retrieves
        )
        if not pending:
            self._refunded(record)
        return record

    def _refunded(self, record: Mapping[str, Any]) -> None:
        resource = {
            "mchid": self.identity.mchid,
            "out_trade_no": record["out_trade_no"],
            "transaction_id": record["transaction_id"],
            "out_refund_no": record["out_refund_no"],
            "refund_id": record["refund_id"],
            "refund_status": "SUCCESS",
            "success_time": record.get("success_time"),
            "user_received_account": record["user_received_account"],
            "amount": {k: record["amount"][k] for k in ("total", "refund", "payer_total", "payer_refund")},
        }
        self._notify("REFUND.SUCCESS", "退款成功", "refund", str(record["transaction_id"]), resource)

    def _refund_query(self, request: tk.SandboxRequest) -> Any:
        known = self.refunds.get(request.path_params["out_refund_no"])
        if known is None:
            raise _Refused(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        if known.queries_left:
            known.queries_left -= 1
            if not known.queries_left:
                known.record.update(status="SUCCESS", success_time=self._now_text())
                self._refunded(known.record)
        return {**known.record, "status": self._reported(known.record["status"])}

    # -- notifications ---------------------------------------------------------------------------------------------

    def notifications_about(self, transaction_id: str) -> list[SandboxNotification]:
        with self._state_lock:
            return [n for n in self.outbox if n.transaction_id == transaction_id]

    def delivery(self, notification: SandboxNotification, signed_at: datetime) -> tuple[dict[str, str], bytes]:
        """``notification`` as WeChat Pay posts it, signed at ``signed_at``: headers and body."""
        return deliver(self.identity, notification, signed_at)


def deliver(
    identity: SandboxIdentity, notification: SandboxNotification, signed_at: datetime
) -> tuple[dict[str, str], bytes]:
    """A notification encrypted with the APIv3 key and signed with the sandbox's WeChat Pay key, at ``signed_at``.

    The same notification always encrypts to the same body (its nonce comes from its id); only the signature
    headers change with ``signed_at``, as when WeChat Pay sends it again.
    """
    nonce = hashlib.sha256(notification.id.encode()).hexdigest()[:12]
    plaintext = json.dumps(dict(notification.resource), ensure_ascii=False, separators=(",", ":")).encode()
    body = {
        "id": notification.id,
        "create_time": notification.create_time,
        "resource_type": "encrypt-resource",
        "event_type": notification.event_type,
        "summary": notification.summary,
        "resource": {
            "original_type": notification.original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": encrypt_resource(identity.apiv3_key, nonce, notification.original_type, plaintext),
            "associated_data": notification.original_type,
            "nonce": nonce,
        },
    }
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(signed_at.timestamp()))
    header_nonce = hashlib.sha256(f"{notification.id}:{timestamp}".encode()).hexdigest()[:32]
    headers = {
        "Content-Type": "application/json",
        "Request-ID": f"notify-{notification.id}",
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": header_nonce,
        "Wechatpay-Serial": identity.platform_serial,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        "Wechatpay-Signature": sign_with(identity.platform_key, signed_message(timestamp, header_nonce, raw)),
    }
    return headers, raw
