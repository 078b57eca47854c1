"""The WeChat Pay profit-sharing provider: the provider model's verbs as WeChat Pay APIv3 calls.

========  ===================================================================================================
FUND      a Native order (``POST /v3/pay/transactions/native``) with ``settle_info.profit_sharing``; it stays
          ``requires_action`` (a redirect to its ``code_url``, the QR code the brand scans) until paid, then
          ``succeeded`` with the ``transaction_id`` as its reference. The order's ``out_trade_no`` is the
          operation id when it fits WeChat's 32 characters, else a digest of it; ``attach`` carries the id.
RELEASE   a split (``POST /v3/profitsharing/orders``), ``out_order_no`` = the operation id, one receiver per leg,
          ``unfreeze_unsplit`` when the release is final; a final release without legs is an unfreeze
          (``POST /v3/profitsharing/orders/unfreeze``) of exactly what is still frozen.
REVERSE   one return (分账回退, ``POST /v3/profitsharing/return-orders``) per leg, from merchant receivers only.
REFUND    ``POST /v3/refund/domestic/refunds``, ``out_refund_no`` = the operation id; WeChat refuses it while
          money split to others is not returned, and so does the host first (``refund_requires_reversal``).
========  ===================================================================================================

Retrieve reads each back (by ``out_trade_no``; ``out_order_no`` with the ``transaction_id``; ``out_return_no``
with the split's ``out_order_no``; ``out_refund_no``). WeChat's split query does not show returns, so a
release's ``reversed_amount`` comes from the returns this process made from it.

The operation id is WeChat's idempotency key for each kind, but the kinds have separate numbers: WeChat would
take a release's id again as a refund's. So the plugin keeps what it sent under each id and refuses the same id
with other parameters itself (:func:`~creatorkit.payments.differing_fields`), before any call; WeChat refuses
a reused number on its own too, and the plugin then names what differs from WeChat's record.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from creatorkit import CallContext, PluginContext, hookimpl
from creatorkit import toolkit as tk
from creatorkit.config import Mode
from creatorkit.entities import (
    Capability,
    CurrencySupport,
    LegResult,
    NextAction,
    NextActionKind,
    OperationKind,
    OperationStatus,
    PaymentCapabilities,
    PluginKind,
    PluginMetadata,
    ProviderOperation,
    ProviderRequest,
    ReceiverLeg,
    SplitMode,
    WebhookRequest,
    WebhookResult,
)
from creatorkit.errors import (
    ConfigError,
    CreatorkitError,
    IdempotencyConflict,
    InvalidRequest,
    NotFound,
    PaymentError,
    PlatformError,
    Problem,
    RateLimited,
    SignatureError,
    Transient,
)
from creatorkit.money import Money
from creatorkit.payments import check_request, differing_fields, from_provider_units, status_from_raw, to_provider_units

from . import _api as api
from ._crypto import MerchantSigner, PlatformKeys, SecretBytes, load_private_key, load_public_key
from ._notifications import read_notification
from ._transport import SigningTransport
from .sandbox import WeChatPaySandbox, sandbox_identity

__all__ = ["SETTINGS_SCHEMA", "WeChatPayProfitSharing"]

_SECRET = {"type": "string", "minLength": 1, "writeOnly": True}
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "mchid": {"type": "string", "pattern": r"^\d{6,32}$", "description": "The merchant number (商户号)."},
        "appid": {"type": "string", "minLength": 1, "description": "The appid bound to the merchant."},
        "merchant_serial_no": {"type": "string", "minLength": 1, "description": "The API certificate's serial."},
        "private_key": {**_SECRET, "description": "The merchant's RSA private key, PEM (apiclient_key.pem)."},
        "apiv3_key": {**_SECRET, "description": "The APIv3 key: 32 characters."},
        "platform_keys": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {"type": "string", "minLength": 1},
            "description": "WeChat Pay's public keys (PEM key or platform certificate) by key id or serial.",
        },
        "encrypt_with": {"type": "string", "description": "Which platform key seals sensitive fields."},
        "notify_url": {"type": "string", "pattern": "^https://", "description": "Where WeChat Pay notifies."},
        "base_url": {"type": "string", "pattern": "^https?://"},
        "max_split_bp": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 3000},
        "merchant_type": {"enum": ["ordinary", "ecommerce"], "default": "ordinary"},
        "fee_rate_bp": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 60},
        "webhook_tolerance_s": {"type": "integer", "minimum": 1, "maximum": 3600, "default": 300},
        "timeout_s": {"type": "number", "exclusiveMinimum": 0, "default": 10},
        "sandbox": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "payer_pays": {"type": "boolean"},
                "receivers": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["type", "account"],
                        "properties": {
                            "type": {"enum": ["MERCHANT_ID", "PERSONAL_OPENID"]},
                            "account": {"type": "string", "minLength": 1},
                        },
                    },
                },
                "timeout_after_success": {"type": "boolean"},
                "pending_retrieves": {"type": "integer", "minimum": 0, "maximum": 10},
                "raw_status": {"type": "string", "minLength": 1},
            },
        },
    },
}
_LIVE_REQUIRED = ("mchid", "appid", "merchant_serial_no", "private_key", "apiv3_key", "platform_keys", "notify_url")
_SANDBOX_NOTIFY_URL = "https://merchant.example/wechatpay/notify"
_CNY = CurrencySupport(currency="CNY", exponent=2)
_UNFREEZE_DESCRIPTION = "解冻给分账方"
_JOURNAL_SIZE = 100_000
_DESCRIPTION_CHARS = 80


class WeChatPayProfitSharing:
    """WeChat Pay APIv3 profit sharing (分账) for a direct merchant (普通商户), in CNY (see the module's docstring).

    Besides the provider hooks: :meth:`add_receiver`, :meth:`delete_receiver` and :meth:`unsplit_amount`.
    ``sandbox`` is the in-memory WeChat Pay in sandbox mode, ``None`` live.
    """

    def __init__(self, name: str = "wechatpay") -> None:
        self.name = name
        self._configure({}, Mode.SANDBOX)

    def __repr__(self) -> str:
        mode = "sandbox" if self.sandbox is not None else "live"
        return f"<WeChatPayProfitSharing {self.name!r} ({mode}) merchant {self.mchid!r}>"

    # -- metadata and settings -------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name=self.name,
            kind=PluginKind.PAYMENT,
            display_name="WeChat Pay profit sharing (微信支付分账)",
            description="Native orders frozen for profit sharing, split by amount among registered receivers, "
            "returned before refunds; WeChat Pay APIv3, CNY only.",
            homepage="https://pay.weixin.qq.com/doc/v3/merchant/4012068676",
            capabilities=frozenset({Capability.PAYMENTS, Capability.WEBHOOKS}),
            settings_schema=SETTINGS_SCHEMA,
            payments=self.capabilities,
        )

    @hookimpl
    def creatorkit_configure(self, settings: Mapping[str, Any], context: PluginContext) -> None:
        self._configure(settings, context.mode)

    def _configure(self, settings: Mapping[str, Any], mode: Mode) -> None:
        live = mode is Mode.LIVE
        fake = tk.FakeClock()  # the sandbox's time: both sides sign and check timestamps on it
        clock, sleep, wall = (time.monotonic, time.sleep, _utc_now) if live else (fake.monotonic, fake.sleep, fake.now)
        self.wall: Callable[[], datetime] = wall
        self.capabilities = PaymentCapabilities(
            currencies=(_CNY,),
            kinds=frozenset({OperationKind.FUND, OperationKind.RELEASE, OperationKind.REVERSE, OperationKind.REFUND}),
            max_hold_days=180 if settings.get("merchant_type") == "ecommerce" else 30,
            partial_release=True,
            split_modes=frozenset({SplitMode.AMOUNT}),
            max_receivers=50,
            max_split_bp=int(settings.get("max_split_bp", 3000)),
            refund_requires_reversal=True,
        )
        self.fee_rate_bp = int(settings.get("fee_rate_bp", 60))
        self.webhook_tolerance = timedelta(seconds=int(settings.get("webhook_tolerance_s", 300)))
        if live:
            signer, keys, apiv3_key, self.appid = self._live_keys(settings)
            self.notify_url = str(settings["notify_url"])
            self.sandbox: WeChatPaySandbox | None = None
        else:
            identity = sandbox_identity()
            signer = MerchantSigner(identity.mchid, identity.merchant_serial, identity.merchant_key)
            keys = PlatformKeys({identity.platform_serial: identity.platform_key.public_key()}, signer=self.name)
            apiv3_key, self.appid = identity.apiv3_key, identity.appid
            self.notify_url = _SANDBOX_NOTIFY_URL
            options = settings.get("sandbox", {})
            self.sandbox = WeChatPaySandbox(
                identity=identity,
                wall=wall,
                clock=clock,
                sleep=sleep,
                fee_rate_bp=self.fee_rate_bp,
                max_ratio_bp=self.capabilities.max_split_bp or 3000,
                receivers=[(r["type"], r["account"]) for r in options.get("receivers", ())],
                payer_pays=bool(options.get("payer_pays", True)),
                timeout_after_success=bool(options.get("timeout_after_success", False)),
                pending_retrieves=int(options.get("pending_retrieves", 0)),
                raw_status=options.get("raw_status"),
            )
        self.mchid = signer.mchid
        self.keys = keys
        self._apiv3_key = SecretBytes(apiv3_key)
        self.encrypt_with: str | None = settings.get("encrypt_with")
        secrets = [str(settings[k]) for k in ("private_key", "apiv3_key") if settings.get(k)]
        config = tk.ApiConfig(
            platform=self.name,
            base_url=str(settings.get("base_url", api.BASE_URL)),
            timeout=float(settings.get("timeout_s", 10)),
            envelope=api.ENVELOPE,
            errors=api.ERRORS,
            headers={"User-Agent": "creatorkit-wechatpay/0.1", "Content-Type": "application/json"},
        )
        inner: httpx.BaseTransport = self.sandbox if self.sandbox is not None else httpx.HTTPTransport()
        transport = SigningTransport(inner, signer, keys, wall=wall)
        self.client = tk.build_client(config, transport=transport, secrets=secrets, clock=clock, sleep=sleep, wall=wall)
        # What this process sent under each operation id, and the returns made from each release.
        self._sent: collections.OrderedDict[str, ProviderRequest] = collections.OrderedDict()
        self._returns: dict[str, list[tuple[str, str]]] = {}
        self._code_urls: dict[str, str] = {}

    def _live_keys(self, settings: Mapping[str, Any]) -> tuple[MerchantSigner, PlatformKeys, bytes, str]:
        where = f"payments.{self.name}"
        problems = [
            Problem(f"{where}.{key}", "required in live mode") for key in _LIVE_REQUIRED if not settings.get(key)
        ]
        if problems:
            raise ConfigError(problems)
        try:
            private_key = load_private_key(str(settings["private_key"]))
        except ValueError as exc:
            problems.append(Problem(f"{where}.private_key", str(exc)))
        apiv3_key = str(settings["apiv3_key"]).encode()
        if len(apiv3_key) != 32:
            problems.append(Problem(f"{where}.apiv3_key", f"must be 32 bytes, got {len(apiv3_key)}"))
        public_keys = {}
        for serial, pem in dict(settings["platform_keys"]).items():
            try:
                public_keys[str(serial)] = load_public_key(str(pem))
            except ValueError as exc:
                problems.append(Problem(f"{where}.platform_keys.{serial}", str(exc)))
        chosen = settings.get("encrypt_with")
        if chosen is not None and chosen not in settings["platform_keys"]:
            problems.append(Problem(f"{where}.encrypt_with", f"names {chosen!r}, which platform_keys does not have"))
        if problems:
            raise ConfigError(problems)
        signer = MerchantSigner(str(settings["mchid"]), str(settings["merchant_serial_no"]), private_key)
        return signer, PlatformKeys(public_keys, signer=self.name), apiv3_key, str(settings["appid"])

    # -- the provider hooks ----------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_payment_operation(
        self, request: ProviderRequest, context: CallContext | None = None
    ) -> ProviderOperation:
        # The host checked the flags its metadata gave before configuration; these are the configured ones.
        check_request(self.name, self.capabilities, request)
        fresh = self._remember(request)
        deadline = context.deadline if context is not None else None
        movers = {
            OperationKind.FUND: self._fund,
            OperationKind.RELEASE: self._release,
            OperationKind.REVERSE: self._reverse,
            OperationKind.REFUND: self._refund,
        }
        try:
            try:
                return movers[request.kind](request, deadline)
            except (PlatformError, NotFound, SignatureError) as exc:
                raise self._failure(request, exc) from exc
        except CreatorkitError as exc:
            # Refused outright: nothing is kept under the id, so a corrected request may use it (as WeChat allows).
            definite = isinstance(exc, RateLimited) or (isinstance(exc, PaymentError) and not exc.outcome_unknown)
            if fresh and definite and not isinstance(exc, IdempotencyConflict):
                self._sent.pop(request.operation_id, None)
            raise

    @hookimpl
    def creatorkit_payment_retrieve(
        self, request: ProviderRequest, known: ProviderOperation | None = None, context: CallContext | None = None
    ) -> ProviderOperation:
        sent = self._sent.get(request.operation_id)
        if sent is not None:
            self._same(sent, request)
        deadline = context.deadline if context is not None else None
        readers = {
            OperationKind.FUND: self._read_fund,
            OperationKind.RELEASE: self._read_release,
            OperationKind.REVERSE: self._read_reverse,
            OperationKind.REFUND: self._read_refund,
        }
        reader = readers.get(request.kind)
        if reader is None:
            raise NotFound(f"{self.name} {request.kind}", request.operation_id, platform=self.name)
        try:
            return reader(request, known, deadline)
        except NotFound as exc:
            raise NotFound(
                f"{self.name} {request.kind}",
                request.operation_id,
                platform=self.name,
                code=exc.code,
                request_id=exc.request_id,
            ) from exc
        except (PlatformError, SignatureError) as exc:
            raise self._failure(request, exc) from exc

    @hookimpl
    def creatorkit_receive_webhook(self, request: WebhookRequest) -> WebhookResult:
        return read_notification(
            request, self.keys, self._apiv3_key.value, tolerance=self.webhook_tolerance, source=self.name
        )

    # -- public calls beyond the hooks -----------------------------------------------------------------------------

    def add_receiver(
        self,
        account: str,
        *,
        relation_type: str,
        kind: str | None = None,
        name: str | None = None,
        custom_relation: str | None = None,
    ) -> dict[str, Any]:
        """Register a receiver (``POST /v3/profitsharing/receivers/add``); splits may name only registered ones.

        ``kind`` is ``MERCHANT_ID`` or ``PERSONAL_OPENID`` (default: by the account's shape); ``relation_type``
        WeChat's word for the relation (``PARTNER``, ``SERVICE_PROVIDER``, ``DISTRIBUTOR``, ``CUSTOM`` …,
        ``custom_relation`` naming it for ``CUSTOM``). ``name`` (required for a merchant) travels encrypted
        with WeChat Pay's key, whose id goes in ``Wechatpay-Serial``.
        """
        body: dict[str, Any] = {"appid": self.appid, "type": api.receiver_type(account, kind), "account": account}
        body["relation_type"] = relation_type
        headers = {}
        if name:
            serial, body["name"] = self.keys.encrypt(name, self.encrypt_with)
            headers["Wechatpay-Serial"] = serial
        if custom_relation:
            body["custom_relation"] = custom_relation
        return self._answer_of(
            lambda: self._call("POST", api.RECEIVER_ADD, body=body, headers=headers), "add a receiver"
        )

    def delete_receiver(self, account: str, *, kind: str | None = None) -> dict[str, Any]:
        """Remove a receiver (``POST /v3/profitsharing/receivers/delete``)."""
        body = {"appid": self.appid, "type": api.receiver_type(account, kind), "account": account}
        return self._answer_of(lambda: self._call("POST", api.RECEIVER_DELETE, body=body), "delete a receiver")

    def unsplit_amount(self, transaction_id: str) -> Money:
        """What of a paid order is still frozen for splitting (``GET …/transactions/{id}/amounts``)."""
        path = api.UNSPLIT.format(transaction_id=transaction_id)
        answer = self._answer_of(lambda: self._call("GET", path), "read the unsplit amount")
        return self._money(int(answer["unsplit_amount"]))

    def _answer_of(self, call: Callable[[], Any], what: str) -> dict[str, Any]:
        try:
            answer = call()
        except (PlatformError, SignatureError) as exc:
            if isinstance(exc, RateLimited):
                raise
            raise PaymentError(
                f"{self.name}: could not {what}: {_said(exc)}", provider=self.name, provider_code=_code(exc)
            ) from exc
        if not isinstance(answer, dict):
            raise PaymentError(f"{self.name}: could not {what}: WeChat Pay answered no object", provider=self.name)
        return answer

    # -- calls, the journal, errors --------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        deadline: datetime | None = None,
    ) -> Any:
        """One signed call; WeChat's answer as data, or the toolkit's typed error. Money-moving POSTs are not
        retried by the client: a lost answer is the core's to resolve, by retrieving or resending the same id."""
        response = self.client.request(
            method, path, json=body, params=params, headers=headers, extensions=tk.call_options(deadline=deadline)
        )
        return tk.body_of(response)

    def _remember(self, request: ProviderRequest) -> bool:
        """Keep ``request`` under its id (True when it is new), or refuse it if the id carried another request."""
        sent = self._sent.get(request.operation_id)
        if sent is not None:
            self._same(sent, request)
            return False
        self._sent[request.operation_id] = request
        while len(self._sent) > _JOURNAL_SIZE:
            self._sent.popitem(last=False)
        return True

    def _same(self, sent: ProviderRequest, request: ProviderRequest) -> None:
        fields = differing_fields(sent, request)
        if fields:
            raise IdempotencyConflict(request.operation_id, fields, provider=self.name)

    def _failure(self, request: ProviderRequest, exc: CreatorkitError) -> CreatorkitError:
        """A call's error as what the hook raises: throttling as it is, an answer that may have moved money as an
        unknown outcome, any other refusal as a ``PaymentError`` with WeChat's code and Request-ID."""
        if isinstance(exc, RateLimited):
            return exc
        unknown = isinstance(exc, Transient | SignatureError)
        reason = "no trustworthy answer, the money may have moved" if unknown else "WeChat Pay refused it"
        return PaymentError(
            f"{self.name}: {request.kind} {request.operation_id}: {reason}: {_said(exc)}",
            provider=self.name,
            operation_id=request.operation_id,
            outcome_unknown=unknown,
            provider_code=_code(exc),
        )

    def _refuse(self, request: ProviderRequest, reason: str) -> PaymentError:
        return PaymentError(
            f"{self.name}: {request.kind} {request.operation_id}: {reason}",
            provider=self.name,
            operation_id=request.operation_id,
        )

    def _conflict(self, request: ProviderRequest, fields: tuple[str, ...], exc: PlatformError) -> IdempotencyConflict:
        return IdempotencyConflict(request.operation_id, fields, provider=self.name, provider_code=_code(exc))

    def _units(self, amount: Money) -> int:
        return to_provider_units(amount, self.capabilities, provider=self.name)

    def _money(self, units: int) -> Money:
        return from_provider_units(units, "CNY", self.capabilities, provider=self.name)

    def _fee(self, total: int) -> int:
        """WeChat's fee on a payment: the merchant's rate, rounded half up to the 分 (no API reports it per order)."""
        return (total * self.fee_rate_bp + 5_000) // 10_000

    def _transaction_of(self, request: ProviderRequest) -> str:
        if request.source is None or not request.source.ref.isdigit():
            raise self._refuse(request, "needs source.ref: the transaction_id of a paid order (a succeeded fund)")
        return request.source.ref

    def _description(self, request: ProviderRequest, leg: ReceiverLeg | None = None) -> str:
        text = f"{leg.role.value}: {request.reason}" if leg is not None else request.reason
        return text[:_DESCRIPTION_CHARS]

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
            if r.get("description") != _UNFREEZE_DESCRIPTION
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
            if leg is None or line.get("description") == _UNFREEZE_DESCRIPTION:
                continue  # the merchant's own line for what unfreezing gave back
            raw = str(line.get("result") or "")
            legs.append(
                LegResult(
                    account_ref=account,
                    amount=self._money(int(line["amount"])),
                    status=status_from_raw(raw, api.RECEIVER_RESULTS),
                    raw_status=raw or "(none)",
                    party_id=leg.party_id,
                    provider_ref=_text(line.get("detail_id")),
                    failure_reason=_text(line.get("fail_reason")),
                )
            )
            times.extend(
                t for t in (api.parse_time(line.get("finish_time")), api.parse_time(line.get("create_time"))) if t
            )
        raw = str(order.get("state") or "")
        status = _overall(status_from_raw(raw, api.ORDER_STATES), [leg.status for leg in legs])
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
                        "result": _code(exc) or "FAILED",
                        "fail_reason": _said(exc),
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
                    provider_ref=_text(record.get("return_id")),
                    failure_reason=_text(record.get("fail_reason")),
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
            status=_overall(None, [leg.status for leg in legs]),
            raw_status=",".join(raws),
            amount=request.amount,
            provider_ref=",".join(references) or request.operation_id,
            updated_at=max(times) if times else self.wall(),
            legs=tuple(legs),
            failure_code=failed.raw_status if failed else None,
            failure_reason=failed.failure_reason if failed else None,
        )

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
            "reason": request.reason[:_DESCRIPTION_CHARS],
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


def _overall(state: OperationStatus | None, legs: list[OperationStatus]) -> OperationStatus:
    """One movement's status from its order's state (``None``: none given) and its receivers' results."""
    if state is OperationStatus.PENDING or any(leg is OperationStatus.PENDING for leg in legs):
        return OperationStatus.PENDING
    if not legs:
        return state or OperationStatus.PENDING
    if all(leg is OperationStatus.SUCCEEDED for leg in legs):
        return OperationStatus.SUCCEEDED
    if any(leg is OperationStatus.SUCCEEDED for leg in legs):
        return OperationStatus.PARTIALLY_SUCCEEDED
    return OperationStatus.FAILED


def _code(exc: CreatorkitError) -> str | None:
    code = getattr(exc, "code", None)
    return None if code is None else str(code)


def _said(exc: CreatorkitError) -> str:
    """What WeChat said, with the HTTP status and the Request-ID its support asks for."""
    text = str(exc)
    request_id = getattr(exc, "request_id", None)
    details = getattr(exc, "details", {}) or {}
    status = details.get("status") if isinstance(details, Mapping) else None
    extra = [f"HTTP {status}"] if status else []
    if request_id:
        extra.append(f"Request-ID {request_id}")
    return text + (f" [{', '.join(extra)}]" if extra else "")


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _utc_now() -> datetime:
    return datetime.now(UTC)
