"""What every part of the WeChat Pay plugin shares: its settings, its signed client, the record of what it sent
under each operation id, and how WeChat's refusals become the SDK's errors.

The plugin is one class (:class:`~creatorkit_payments.wechatpay.WeChatPayProfitSharing`) made of a part per kind of
movement, each a mixin in its own module (``_funds``, ``_splits``, ``_refunds``); this base holds what they use.
Live and sandbox share every line: in sandbox mode the transport under the signing layer is a
:class:`~creatorkit_payments.wechatpay.sandbox.WeChatPaySandbox` and the clock a fake one, nothing else changes.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from creatorkit import toolkit as tk
from creatorkit.config import Mode
from creatorkit.entities import (
    CurrencySupport,
    OperationKind,
    OperationStatus,
    PaymentCapabilities,
    ProviderRequest,
    ReceiverLeg,
    SplitMode,
)
from creatorkit.errors import (
    ConfigError,
    CreatorkitError,
    IdempotencyConflict,
    PaymentError,
    PlatformError,
    Problem,
    RateLimited,
    SignatureError,
    Transient,
)
from creatorkit.money import Money
from creatorkit.payments import differing_fields, from_provider_units, to_provider_units

from . import _api as api
from ._crypto import MerchantSigner, PlatformKeys, SecretBytes, load_private_key, load_public_key
from ._transport import SigningTransport
from .sandbox import WeChatPaySandbox, sandbox_identity

__all__ = ["SETTINGS_SCHEMA", "WeChatPayBase"]

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
UNFREEZE_DESCRIPTION = "解冻给分账方"
_JOURNAL_SIZE = 100_000
DESCRIPTION_CHARS = 80


class WeChatPayBase:
    """Settings, the client and the journal, and the helpers every movement uses (see the module's docstring)."""

    name: str

    def _configure(self, settings: Mapping[str, Any], mode: Mode) -> None:
        live = mode is Mode.LIVE
        fake = tk.FakeClock()  # the sandbox's time: both sides sign and check timestamps on it
        clock, sleep, wall = (time.monotonic, time.sleep, utc_now) if live else (fake.monotonic, fake.sleep, fake.now)
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
            # Splits go to receivers added to the merchant (an openid or a merchant number), never to a party id.
            requires_payout_account=True,
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
            self.sandbox = self._sandbox_for(settings, wall=wall, clock=clock, sleep=sleep)
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

    def _sandbox_for(
        self, settings: Mapping[str, Any], *, wall: Callable[[], datetime], clock: tk.Clock, sleep: tk.Sleep
    ) -> WeChatPaySandbox:
        """The in-memory WeChat Pay, with the plugin's fee rate and ratio and its ``sandbox`` switches."""
        options = settings.get("sandbox", {})
        return WeChatPaySandbox(
            identity=sandbox_identity(),
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
            f"{self.name}: {request.kind} {request.operation_id}: {reason}: {said(exc)}",
            provider=self.name,
            operation_id=request.operation_id,
            outcome_unknown=unknown,
            provider_code=error_code(exc),
        )

    def _refuse(self, request: ProviderRequest, reason: str) -> PaymentError:
        return PaymentError(
            f"{self.name}: {request.kind} {request.operation_id}: {reason}",
            provider=self.name,
            operation_id=request.operation_id,
        )

    def _conflict(self, request: ProviderRequest, fields: tuple[str, ...], exc: PlatformError) -> IdempotencyConflict:
        return IdempotencyConflict(request.operation_id, fields, provider=self.name, provider_code=error_code(exc))

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
        return text[:DESCRIPTION_CHARS]


def overall(state: OperationStatus | None, legs: list[OperationStatus]) -> OperationStatus:
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


def error_code(exc: CreatorkitError) -> str | None:
    code = getattr(exc, "code", None)
    return None if code is None else str(code)


def said(exc: CreatorkitError) -> str:
    """What WeChat said, with the HTTP status and the Request-ID its support asks for."""
    text = str(exc)
    request_id = getattr(exc, "request_id", None)
    details = getattr(exc, "details", {}) or {}
    status = details.get("status") if isinstance(details, Mapping) else None
    extra = [f"HTTP {status}"] if status else []
    if request_id:
        extra.append(f"Request-ID {request_id}")
    return text + (f" [{', '.join(extra)}]" if extra else "")


def text_or_none(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def utc_now() -> datetime:
    return datetime.now(UTC)
