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

from collections.abc import Callable, Mapping
from typing import Any

from creatorkit import CallContext, PluginContext, hookimpl
from creatorkit.config import Mode
from creatorkit.entities import (
    Capability,
    OperationKind,
    PluginKind,
    PluginMetadata,
    ProviderOperation,
    ProviderRequest,
    WebhookRequest,
    WebhookResult,
)
from creatorkit.errors import (
    CreatorkitError,
    IdempotencyConflict,
    NotFound,
    PaymentError,
    PlatformError,
    RateLimited,
    SignatureError,
)
from creatorkit.money import Money
from creatorkit.payments import check_request

from . import _api as api
from ._base import SETTINGS_SCHEMA, error_code, said
from ._funds import FundMoves
from ._notifications import read_notification
from ._refunds import RefundMoves
from ._splits import SplitMoves

__all__ = ["NO_LISTING", "SETTINGS_SCHEMA", "WeChatPayProfitSharing"]

#: Why the plugin lists no movements for reconciliation, and what to use instead.
NO_LISTING = (
    "WeChat Pay APIv3 has no endpoint that lists profit-sharing orders, returns or refunds: each is queried by its "
    "own number (out_order_no, out_return_no, out_refund_no), as reconciliation does for every movement the core "
    "holds. What WeChat holds beyond them is in the daily profit-sharing bill (GET /v3/profitsharing/bills?bill_date"
    "=YYYY-MM-DD, the last three months, successful splits and returns only, amounts in yuan): a file to download "
    "from the returned download_url and compare with the ledger, not a list the plugin pages through"
)


class WeChatPayProfitSharing(FundMoves, SplitMoves, RefundMoves):
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
            missing={Capability.PAYMENT_LISTING: NO_LISTING},
            settings_schema=SETTINGS_SCHEMA,
            payments=self.capabilities,
        )

    @hookimpl
    def creatorkit_configure(self, settings: Mapping[str, Any], context: PluginContext) -> None:
        self._configure(settings, context.mode)

    # -- the provider hooks ----------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_payment_operation(self, request: ProviderRequest, context: CallContext | None) -> ProviderOperation:
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
        self, request: ProviderRequest, known: ProviderOperation | None, context: CallContext | None
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
                f"{self.name}: could not {what}: {said(exc)}", provider=self.name, provider_code=error_code(exc)
            ) from exc
        if not isinstance(answer, dict):
            raise PaymentError(f"{self.name}: could not {what}: WeChat Pay answered no object", provider=self.name)
        return answer
