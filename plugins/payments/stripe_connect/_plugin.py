"""The plugin: creatorkit's payment verbs as Stripe Connect calls, separate charges and transfers.

Each verb is one or more calls through the ``stripe`` library, each with an ``Idempotency-Key`` derived from
the operation id: ``<operation_id>`` for the PaymentIntent of a fund and the refund of a refund, and
``<operation_id>-<account>`` for the transfer, reversal or payout of each receiver leg. Before it sends a leg
the plugin reads what Stripe already holds for the operation (the deal's transfers, the transfer's reversals,
the intent's refunds, the account's payouts, found by ``metadata[operation_id]``), so a retry after Stripe has
forgotten a key (24 hours) still moves nothing twice, and an id reused with other parameters is named as such.

The plugin keeps the escrow's books honest where Stripe would not: a release may take no more than the fund's
net (its charge less Stripe's fee and refunds) less what other operations transferred from it and did not
reverse; a refund may take no more than the charge less what is transferred and not reversed, because under
separate charges and transfers a refund never pulls a transfer back (``refund_requires_reversal``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import stripe
from stripe.params import (
    PaymentIntentCreateParams,
    PayoutCreateParams,
    RefundCreateParams,
    RefundListParams,
    TransferCreateParams,
    TransferReversalCreateParams,
)

from creatorkit import PluginContext, hookimpl
from creatorkit.config import Mode
from creatorkit.entities import (
    Capability,
    LegRole,
    OperationKind,
    PaymentCapabilities,
    PluginKind,
    PluginMetadata,
    ProviderOperation,
    ProviderOperationPage,
    ProviderRequest,
    ReceiverLeg,
    SplitMode,
    WebhookRequest,
    WebhookResult,
)
from creatorkit.errors import ConfigError, IdempotencyConflict, NotFound, PaymentError, Problem
from creatorkit.money import Money
from creatorkit.payments import to_provider_units
from creatorkit.tokens import Secret

from . import _webhooks
from ._currencies import STRIPE_CURRENCIES, hold_days_for
from ._errors import payment_error, scrubbed
from ._http import API_BASE, STRIPE_API_VERSION, stripe_client
from ._listing import Lister
from ._metadata import differing_from, metadata_for, operation_of
from ._parse import BALANCE_STATUSES, PAYOUT_STATUSES, Reader, transfer_raw_status
from .sandbox import SANDBOX_API_KEY, SANDBOX_WEBHOOK_SECRET, StripeSandbox, Switches

__all__ = ["SETTINGS_SCHEMA", "StripeConnectPayments"]

T = TypeVar("T")

#: The most receivers one operation pays: one transfer each, sent one after the other.
MAX_RECEIVERS = 10
#: What a fund is charged with in sandbox mode unless the request or the settings say otherwise: Stripe's test
#: card whose funds are available at once, so that payouts can follow.
SANDBOX_PAYMENT_METHOD = "pm_card_bypassPending"
_INTENT_EXPAND = ["latest_charge.balance_transaction"]

_SECRET = {"type": "string", "minLength": 8, "writeOnly": True}
SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "api_key": {
            **_SECRET,
            "pattern": "^(sk|rk)_(test|live)_",
            "description": "The platform's secret (sk_) or restricted (rk_) key, from the environment: "
            'api_key = "${STRIPE_API_KEY}". Required in live mode.',
        },
        "webhook_secret": {**_SECRET, "description": "The endpoint's signing secret (whsec_…)."},
        "platform_country": {
            "type": "string",
            "pattern": "^[A-Z]{2}$",
            "description": "The platform account's country (ISO 3166): how long funds may be held (US 730 days, "
            "TH 10, elsewhere 90).",
        },
        "api_version": {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$",
            "default": STRIPE_API_VERSION,
            "description": "The Stripe API version pinned on every request; the plugin reads objects as this "
            "version shapes them.",
        },
        "payment_method": {
            "type": "string",
            "minLength": 1,
            "description": "The PaymentMethod a fund is confirmed with when the request names none (metadata "
            "stripe_payment_method). Without either a fund waits for the brand (requires_action).",
        },
        "api_base": {"type": "string", "format": "uri", "default": API_BASE},
        "timeout_s": {"type": "number", "exclusiveMinimum": 0, "default": 30},
        "list_limit": {
            "type": "integer",
            "minimum": 1,
            "maximum": 100,
            "default": 100,
            "description": "How many objects one page of a listing (reconciliation) asks Stripe for; 100 at most.",
        },
        "sandbox": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "timeout_after_success": {"type": "boolean"},
                "pending_retrieves": {"type": "integer", "minimum": 0, "maximum": 10},
                "raw_status": {"type": "string", "minLength": 1},
                "search_lag": {"type": "integer", "minimum": 0},
                "fee_bp": {"type": "integer", "minimum": 0, "maximum": 10_000},
                "accounts": {"type": "array", "items": {"type": "string", "pattern": "^acct_"}},
                "seed": {"type": "integer"},
            },
        },
    },
}


class StripeConnectPayments:
    """Stripe Connect with separate charges and transfers, as a creatorkit payment provider.

    A fund is a PaymentIntent on the platform (``transfer_group`` the deal id); a release is a transfer per
    receiver leg to the leg's connected account (``source_transaction`` the fund's charge), the platform's own
    leg staying on its balance; a reverse is a transfer reversal per leg; a refund refunds the PaymentIntent,
    once released money is reversed; a payout pays a connected account's balance to its bank (manual payouts).
    In sandbox mode every call goes to :attr:`sandbox`, a :class:`~.sandbox.StripeSandbox`.
    """

    def __init__(self, name: str = "stripe_connect") -> None:
        self.name = name
        self._configure({}, Mode.SANDBOX)

    def __repr__(self) -> str:
        mode = "sandbox" if self.sandbox is not None else "live"
        return f"<StripeConnectPayments {self.name!r} ({mode}, API {self.api_version})>"

    # -- setting up ---------------------------------------------------------------------------------------------

    def _configure(self, settings: Mapping[str, Any], mode: Mode) -> None:
        live = mode is Mode.LIVE
        where = f"[payments.{self.name}]"
        if live and not settings.get("api_key"):
            problem = Problem("api_key", 'is required in live mode; set it from the environment: "${STRIPE_API_KEY}"')
            raise ConfigError([problem], where)
        switches = dict(settings.get("sandbox") or {})
        self.sandbox = (
            None
            if live
            else StripeSandbox(
                seed=int(switches.get("seed", 0)),
                accounts=switches.get("accounts", ()),
                switches=Switches(
                    timeout_after_success=bool(switches.get("timeout_after_success", False)),
                    pending_retrieves=int(switches.get("pending_retrieves", 0)),
                    raw_status=switches.get("raw_status"),
                    search_lag=int(switches.get("search_lag", 0)),
                    fee_bp=int(switches.get("fee_bp", 290)),
                ),
            )
        )
        self._api_key = Secret(str(settings.get("api_key") or SANDBOX_API_KEY))
        given_secret = settings.get("webhook_secret") or (None if live else SANDBOX_WEBHOOK_SECRET)
        self._webhook_secret = Secret(str(given_secret)) if given_secret else None
        self.platform_country: str | None = settings.get("platform_country")
        self.hold_days = hold_days_for(self.platform_country)
        self.capabilities = PaymentCapabilities(
            currencies=STRIPE_CURRENCIES,
            kinds=frozenset(OperationKind),
            max_hold_days=self.hold_days,
            partial_release=True,
            split_modes=frozenset({SplitMode.AMOUNT}),
            max_receivers=MAX_RECEIVERS,
            max_split_bp=None,
            refund_requires_reversal=True,
            # Transfers go to connected accounts (acct_...), never to a creatorkit party id.
            requires_payout_account=True,
        )
        self.reader = Reader(self.name, self.capabilities, self.hold_days)
        self.payment_method: str | None = settings.get("payment_method") or (None if live else SANDBOX_PAYMENT_METHOD)
        self.api_version = str(settings.get("api_version", STRIPE_API_VERSION))
        self._stripe = stripe_client(
            self._api_key.reveal(),
            self.sandbox,
            api_version=self.api_version,
            timeout=float(settings.get("timeout_s", 30)),
            api_base=str(settings.get("api_base", API_BASE)),
        )
        self.lister = Lister(self.name, self._stripe, self.reader, int(settings.get("list_limit", 100)), self._secrets)

    def _secrets(self) -> list[str]:
        return [secret.reveal() for secret in (self._api_key, self._webhook_secret) if secret is not None]

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name=self.name,
            kind=PluginKind.PAYMENT,
            display_name="Stripe Connect (separate charges and transfers)",
            description="Funds deals with PaymentIntents on the platform, releases them by transfers to the "
            "receivers' connected accounts, reverses, refunds and pays out; verifies Stripe's webhooks.",
            homepage="https://docs.stripe.com/connect/separate-charges-and-transfers",
            capabilities=frozenset({Capability.PAYMENTS, Capability.PAYMENT_LISTING, Capability.WEBHOOKS}),
            settings_schema=SETTINGS_SCHEMA,
            payments=self.capabilities,
        )

    @hookimpl
    def creatorkit_configure(self, settings: Mapping[str, Any], context: PluginContext) -> None:
        self._configure(settings, context.mode)

    # -- the hooks ----------------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_payment_operation(self, request: ProviderRequest) -> ProviderOperation:
        movers: dict[OperationKind, Callable[[ProviderRequest], ProviderOperation]] = {
            OperationKind.FUND: self._fund,
            OperationKind.RELEASE: self._release,
            OperationKind.REVERSE: self._reverse,
            OperationKind.REFUND: self._refund,
            OperationKind.PAYOUT: self._payout,
        }
        return movers[request.kind](request)

    @hookimpl
    def creatorkit_payment_retrieve(
        self, request: ProviderRequest, known: ProviderOperation | None
    ) -> ProviderOperation:
        readers: dict[OperationKind, Callable[[ProviderRequest, ProviderOperation | None], ProviderOperation]] = {
            OperationKind.FUND: self._retrieve_fund,
            OperationKind.RELEASE: self._retrieve_release,
            OperationKind.REVERSE: self._retrieve_reverse,
            OperationKind.REFUND: self._retrieve_refund,
            OperationKind.PAYOUT: self._retrieve_payout,
        }
        return readers[request.kind](request, known)

    @hookimpl
    def creatorkit_payment_list(self, since: datetime | None, cursor: str | None) -> ProviderOperationPage:
        # No defaults: pluggy passes an implementation only the arguments it names without one.
        return self.lister.page(since, cursor)

    @hookimpl
    def creatorkit_receive_webhook(self, request: WebhookRequest) -> WebhookResult:
        secret = self._webhook_secret.reveal() if self._webhook_secret is not None else None
        return _webhooks.receive(self.name, request, secret)

    # -- calling Stripe -----------------------------------------------------------------------------------------

    def _call(self, request: ProviderRequest, doing: str, call: Callable[[], T]) -> T:
        """``call()``, with Stripe's errors as creatorkit's (an idempotency error names the fields that differ)."""
        try:
            return call()
        except stripe.IdempotencyError:
            raise self._conflict(request) from None
        except stripe.StripeError as exc:
            raise payment_error(
                exc, provider=self.name, operation_id=request.operation_id, doing=doing, secrets=self._secrets()
            ) from None

    def _conflict(self, request: ProviderRequest, made: Mapping[str, Any] | None = None) -> IdempotencyConflict:
        """The operation id was used before with other parameters: name them from what Stripe holds, if found."""
        if made is None:
            made = self._made_before(request)
        fields = differing_from(made, request) if made is not None else ()
        return IdempotencyConflict(request.operation_id, fields, provider=self.name, provider_code="idempotency_error")

    def _made_before(self, request: ProviderRequest) -> Mapping[str, Any] | None:
        """An object Stripe holds for ``request.operation_id``, found without its key: search, then the source's."""
        try:
            found = self._search_intents(request.operation_id)
            if found:
                return found[0]
            if request.source is not None and request.source.ref.startswith("pi_"):
                listing: RefundListParams = {"payment_intent": request.source.ref, "limit": 100}
                refunds = self._list(partial(self._stripe.v1.refunds.list, listing))
                return next((r for r in refunds if operation_of(r) == request.operation_id), None)
        except stripe.StripeError:
            return None  # naming the fields is a courtesy: the conflict stands without them
        return None

    @staticmethod
    def _leg_key(request: ProviderRequest, leg: ReceiverLeg) -> str:
        """The idempotency key of one leg's call: the operation id and the receiver's account."""
        return f"{request.operation_id}-{leg.account_ref}"

    def _refuse(self, request: ProviderRequest, reason: str, code: str | None = None) -> PaymentError:
        return PaymentError(
            scrubbed(f"{self.name}: {request.kind} {request.operation_id}: {reason}", self._secrets()),
            provider=self.name,
            operation_id=request.operation_id,
            provider_code=code,
        )

    def _units(self, amount: Money) -> int:
        return to_provider_units(amount, self.capabilities, provider=self.name)

    @staticmethod
    def _list(page: Callable[[], Any]) -> list[dict[str, Any]]:
        """Every object of a list call, page after page (``starting_after``), as plain data."""
        return [obj.to_dict() for obj in page().auto_paging_iter()]

    def _search_intents(self, operation_id: str) -> list[dict[str, Any]]:
        query = f"metadata['operation_id']:'{operation_id}'"
        result = self._stripe.v1.payment_intents.search({"query": query, "limit": 10})
        return [obj.to_dict() for obj in result.data]

    def _intent(self, request: ProviderRequest, intent_id: str) -> dict[str, Any]:
        return self._call(
            request,
            f"read the PaymentIntent {intent_id} of",
            lambda: self._stripe.v1.payment_intents.retrieve(intent_id, {"expand": _INTENT_EXPAND}),
        ).to_dict()

    def _source_intent(self, request: ProviderRequest) -> dict[str, Any]:
        """The fund a release or refund takes from: its PaymentIntent, with the charge and balance transaction."""
        if request.source is None or not request.source.ref.startswith("pi_"):
            raise self._refuse(request, "needs the provider_ref of a fund (a PaymentIntent, pi_…) as its source")
        intent = self._intent(request, request.source.ref)
        if operation_of(intent) == request.operation_id:  # the fund's own id, reused for another operation
            raise self._conflict(request, intent)
        return intent

    def _charge_of(self, request: ProviderRequest, intent: Mapping[str, Any]) -> dict[str, Any]:
        charge = intent.get("latest_charge")
        if intent.get("status") != "succeeded" or not isinstance(charge, dict):
            raise self._refuse(
                request, f"the source {intent['id']} is {intent.get('status')}: money moves once it has succeeded"
            )
        return charge

    def _transfers(self, request: ProviderRequest, group: str) -> list[dict[str, Any]]:
        return self._call(
            request,
            f"list the transfers of group {group} for",
            lambda: self._list(
                lambda: self._stripe.v1.transfers.list(
                    {"transfer_group": group, "limit": 100, "expand": ["data.balance_transaction"]}
                )
            ),
        )

    def _mine(self, request: ProviderRequest, objects: Iterable[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
        """The objects made for this operation, by ``key`` (their receiver account); one made by another request
        with the same id is a conflict."""
        found: dict[str, dict[str, Any]] = {}
        for obj in objects:
            if operation_of(obj) != request.operation_id:
                continue
            if differing_from(obj, request):
                raise self._conflict(request, obj)
            found[str(obj[key])] = obj
        return found

    # -- fund ---------------------------------------------------------------------------------------------------

    def _fund(self, request: ProviderRequest) -> ProviderOperation:
        if request.legs:
            raise self._refuse(request, "a fund is charged to the platform; release it to receivers afterwards")
        method = request.metadata.get("stripe_payment_method") or self.payment_method
        params: PaymentIntentCreateParams = {
            "amount": self._units(request.amount),
            "currency": request.amount.currency.lower(),
            "transfer_group": request.deal_id,
            "description": request.reason,
            "metadata": metadata_for(request),
            "expand": _INTENT_EXPAND,
        }
        if "stripe_customer" in request.metadata:
            params["customer"] = request.metadata["stripe_customer"]
        if method:
            # Confirmed here, server-side: no redirect-based methods, which would need the brand at a browser.
            params["payment_method"] = method
            params["confirm"] = True
            params["automatic_payment_methods"] = {"enabled": True, "allow_redirects": "never"}
        intent = self._call(
            request,
            "create the PaymentIntent of",
            lambda: self._stripe.v1.payment_intents.create(params, {"idempotency_key": request.operation_id}),
        )
        return self.reader.fund(request, intent.to_dict())

    def _retrieve_fund(self, request: ProviderRequest, known: ProviderOperation | None) -> ProviderOperation:
        if known is not None:
            intent = self._intent(request, known.provider_ref)
        else:
            found = self._call(
                request, "search the PaymentIntent of", lambda: self._search_intents(request.operation_id)
            )
            if not found:
                raise PaymentError(
                    f"{self.name}: no PaymentIntent found for {request.operation_id} yet: Stripe's search lags "
                    "behind writes (up to a minute), so whether it exists is not known; retrieve again later",
                    provider=self.name,
                    operation_id=request.operation_id,
                    outcome_unknown=True,
                )
            intent = self._intent(request, str(found[0]["id"]))
        if operation_of(intent) != request.operation_id:
            raise NotFound("payment operation", request.operation_id, platform=self.name)
        if differing_from(intent, request):
            raise self._conflict(request, intent)
        return self.reader.fund(request, intent)

    # -- release: a transfer per receiver leg -------------------------------------------------------------------

    def _release(self, request: ProviderRequest) -> ProviderOperation:
        if not request.legs:
            raise self._refuse(request, "a release names its receivers (legs)")
        intent = self._source_intent(request)
        charge = self._charge_of(request, intent)
        group = str(intent.get("transfer_group") or request.deal_id)
        transfers = self._transfers(request, group)
        mine = self._mine(request, transfers, "destination")
        self._check_release_fits(request, intent, charge, transfers)
        refused: dict[str, str] = {}
        unknown: list[PaymentError] = []
        for leg in self._receivers(request):
            if leg.account_ref in mine:
                continue  # moved by an earlier attempt: never twice, even once Stripe has forgotten the key
            params: TransferCreateParams = {
                "amount": self._units(leg.amount),
                "currency": leg.amount.currency.lower(),
                "destination": leg.account_ref,
                "transfer_group": group,
                "source_transaction": str(charge["id"]),
                "description": request.reason,
                "metadata": metadata_for(request, party_id=leg.party_id, role=leg.role.value),
                "expand": ["balance_transaction"],
            }
            self._send_leg(
                request,
                leg,
                f"transfer to {leg.account_ref} for",
                partial(self._stripe.v1.transfers.create, params, {"idempotency_key": self._leg_key(request, leg)}),
                mine,
                refused,
                unknown,
            )
        return self._legged(request, mine, refused, unknown, raw_of=transfer_raw_status, intent=intent)

    def _receivers(self, request: ProviderRequest) -> list[ReceiverLeg]:
        """The legs that leave the platform: a platform leg stays on its balance, so no call is made for it."""
        return [leg for leg in request.legs if leg.role is not LegRole.PLATFORM]

    def _check_release_fits(
        self,
        request: ProviderRequest,
        intent: Mapping[str, Any],
        charge: Mapping[str, Any],
        transfers: Iterable[Mapping[str, Any]],
    ) -> None:
        """Refuse a release beyond the fund's net less what other operations transferred from it."""
        currency = str(charge["currency"])
        balance = charge.get("balance_transaction")
        same_currency = isinstance(balance, dict) and balance.get("currency") == currency
        net = int(balance["net"]) if same_currency and isinstance(balance, dict) else int(charge["amount"])
        out = self._outstanding(charge, transfers, besides=request.operation_id)
        left = net - int(charge.get("amount_refunded") or 0) - out
        wanted = sum(self._units(leg.amount) for leg in self._receivers(request))
        if wanted > left:
            available = self.reader.money(max(left, 0), currency)
            raise self._refuse(
                request,
                f"{self.reader.money(wanted, currency)} exceeds the {available} left to release from {intent['id']}",
            )

    @staticmethod
    def _outstanding(charge: Mapping[str, Any], transfers: Iterable[Mapping[str, Any]], besides: str = "") -> int:
        """What the transfers from ``charge`` (other than operation ``besides``'s) moved and did not reverse."""
        return sum(
            int(t["amount"]) - int(t.get("amount_reversed") or 0)
            for t in transfers
            if t.get("source_transaction") == charge["id"] and operation_of(t) != besides
        )

    def _send_leg(
        self,
        request: ProviderRequest,
        leg: ReceiverLeg,
        doing: str,
        call: Callable[[], Any],
        made: dict[str, dict[str, Any]],
        refused: dict[str, str],
        unknown: list[PaymentError],
    ) -> None:
        """Send one leg's call; note what it made, why Stripe refused it, or that its outcome is unknown.

        The other legs are sent whatever one leg's outcome: each is idempotent by its own key, and a leg whose
        answer was lost is found by the retry or the retrieve that follows.
        """
        try:
            made[leg.account_ref] = self._call(request, doing, call).to_dict()
        except IdempotencyConflict:
            raise
        except PaymentError as error:
            if error.outcome_unknown:
                unknown.append(error)
            else:
                refused[leg.account_ref] = str(error)

    def _legged(
        self,
        request: ProviderRequest,
        made: Mapping[str, Mapping[str, Any]],
        refused: Mapping[str, str],
        unknown: list[PaymentError],
        *,
        raw_of: Callable[[Mapping[str, Any]], str],
        intent: Mapping[str, Any] | None = None,
        table: Mapping[str, Any] = BALANCE_STATUSES,
        fallback_ref: str = "",
    ) -> ProviderOperation:
        if unknown:
            first = unknown[0]
            raise PaymentError(
                f"{first} ({len(unknown)} of {len(self._receivers(request))} legs unanswered)",
                provider=self.name,
                operation_id=request.operation_id,
                outcome_unknown=True,
                provider_code=first.provider_code,
            )
        if refused and not made:
            raise self._refuse(request, "; ".join(refused.values()))
        created = int(intent["created"]) if intent is not None else None
        return self.reader.legs(
            request,
            made,
            raw_of=raw_of,
            table=table,
            refused=refused,
            fallback_ref=fallback_ref or (str(intent["id"]) if intent is not None else request.operation_id),
            fallback_time=datetime.fromtimestamp(created, UTC) if created is not None else datetime.now(UTC),
        )

    def _retrieve_release(self, request: ProviderRequest, known: ProviderOperation | None) -> ProviderOperation:
        intent = self._source_intent(request)
        group = str(intent.get("transfer_group") or request.deal_id)
        mine = self._mine(request, self._transfers(request, group), "destination")
        if not mine and self._receivers(request):
            raise NotFound("payment operation", request.operation_id, platform=self.name)
        return self._legged(request, mine, {}, [], raw_of=transfer_raw_status, intent=intent)

    # -- reverse: a transfer reversal per leg -------------------------------------------------------------------

    def _release_transfers(self, request: ProviderRequest) -> dict[str, dict[str, Any]]:
        """The transfers of the release a reversal takes back from, by destination account."""
        source = request.source
        if source is None or not source.ref.startswith("tr_"):
            raise self._refuse(request, "needs the provider_ref of a release (a transfer, tr_…) as its source")
        first = self._call(
            request, f"read the transfer {source.ref} of", lambda: self._stripe.v1.transfers.retrieve(source.ref)
        ).to_dict()
        release_id = operation_of(first) or source.operation_id
        if release_id == request.operation_id:
            raise self._conflict(request, first)
        group = first.get("transfer_group")
        if not release_id or not group:
            return {str(first["destination"]): first}
        return {str(t["destination"]): t for t in self._transfers(request, str(group)) if operation_of(t) == release_id}

    def _reversals(
        self, request: ProviderRequest, transfers: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """The reversals made for this operation, by the account they took money back from."""
        found: list[dict[str, Any]] = []
        for account, transfer in transfers.items():
            reversals = self._call(
                request,
                f"list the reversals of {transfer['id']} for",
                partial(
                    self._list,
                    partial(
                        self._stripe.v1.transfers.reversals.list,
                        str(transfer["id"]),
                        {"limit": 100, "expand": ["data.balance_transaction"]},
                    ),
                ),
            )
            found.extend({**reversal, "destination": account} for reversal in reversals)
        return {
            account: _without_destination(obj) for account, obj in self._mine(request, found, "destination").items()
        }

    def _reverse(self, request: ProviderRequest) -> ProviderOperation:
        receivers = self._receivers(request)
        if not receivers:
            raise self._refuse(request, "a reversal names the receivers (legs) it takes money back from")
        transfers = self._release_transfers(request)
        missing = [leg.account_ref for leg in receivers if leg.account_ref not in transfers]
        if missing:
            raise self._refuse(
                request,
                f"the release {request.source.ref if request.source else ''} paid nothing to {', '.join(missing)}",
            )
        mine = self._reversals(request, {leg.account_ref: transfers[leg.account_ref] for leg in receivers})
        refused: dict[str, str] = {}
        unknown: list[PaymentError] = []
        for leg in receivers:
            if leg.account_ref in mine:
                continue
            transfer_id = str(transfers[leg.account_ref]["id"])
            params: TransferReversalCreateParams = {
                "amount": self._units(leg.amount),
                "description": request.reason,
                "metadata": metadata_for(request, party_id=leg.party_id, role=leg.role.value),
                "expand": ["balance_transaction"],
            }
            self._send_leg(
                request,
                leg,
                f"reverse {transfer_id} for",
                partial(
                    self._stripe.v1.transfers.reversals.create,
                    transfer_id,
                    params,
                    {"idempotency_key": self._leg_key(request, leg)},
                ),
                mine,
                refused,
                unknown,
            )
        return self._legged(
            request,
            mine,
            refused,
            unknown,
            raw_of=transfer_raw_status,
            fallback_ref=request.source.ref if request.source else "",
        )

    def _retrieve_reverse(self, request: ProviderRequest, known: ProviderOperation | None) -> ProviderOperation:
        receivers = self._receivers(request)
        transfers = self._release_transfers(request)
        mine = self._reversals(
            request, {leg.account_ref: transfers[leg.account_ref] for leg in receivers if leg.account_ref in transfers}
        )
        if not mine:
            raise NotFound("payment operation", request.operation_id, platform=self.name)
        return self._legged(
            request, mine, {}, [], raw_of=transfer_raw_status, fallback_ref=request.source.ref if request.source else ""
        )

    # -- refund -------------------------------------------------------------------------------------------------

    def _refunds_of(self, request: ProviderRequest, intent: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        refunds = self._call(
            request,
            f"list the refunds of {intent['id']} for",
            lambda: self._list(
                lambda: self._stripe.v1.refunds.list(
                    {"payment_intent": str(intent["id"]), "limit": 100, "expand": ["data.balance_transaction"]}
                )
            ),
        )
        return self._mine(request, refunds, "id")

    def _refund(self, request: ProviderRequest) -> ProviderOperation:
        intent = self._source_intent(request)
        charge = self._charge_of(request, intent)
        group = intent.get("transfer_group")
        transfers = self._transfers(request, str(group)) if group else []
        self._mine(request, transfers, "destination")  # the id of a release, reused for a refund, is a conflict
        done = self._refunds_of(request, intent)
        if done:
            return self.reader.refund(request, next(iter(done.values())))
        out = self._outstanding(charge, transfers)
        currency = str(charge["currency"])
        refundable = int(charge["amount"]) - int(charge.get("amount_refunded") or 0) - out
        if self._units(request.amount) > refundable:
            if out:
                raise self._refuse(
                    request,
                    f"{self.reader.money(out, currency)} of {intent['id']} is transferred and not reversed: reverse "
                    "the transfers before refunding (a refund never pulls transfers back)",
                )
            raise self._refuse(request, f"exceeds the {self.reader.money(max(refundable, 0), currency)} left to refund")
        params: RefundCreateParams = {
            "payment_intent": str(intent["id"]),
            "amount": self._units(request.amount),
            "metadata": metadata_for(request),
            "expand": ["balance_transaction"],
        }
        refund = self._call(
            request,
            f"refund {intent['id']} for",
            lambda: self._stripe.v1.refunds.create(params, {"idempotency_key": request.operation_id}),
        )
        return self.reader.refund(request, refund.to_dict())

    def _retrieve_refund(self, request: ProviderRequest, known: ProviderOperation | None) -> ProviderOperation:
        intent = self._source_intent(request)
        done = self._refunds_of(request, intent)
        if not done:
            raise NotFound("payment operation", request.operation_id, platform=self.name)
        return self.reader.refund(request, next(iter(done.values())))

    # -- payout: a connected account's balance to its bank ------------------------------------------------------

    def _payouts(self, request: ProviderRequest) -> dict[str, dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for leg in self._receivers(request):
            payouts = self._call(
                request,
                f"list the payouts of {leg.account_ref} for",
                partial(
                    self._list,
                    partial(self._stripe.v1.payouts.list, {"limit": 100}, {"stripe_account": leg.account_ref}),
                ),
            )
            found.extend({**payout, "account": leg.account_ref} for payout in payouts)
        return {account: _without_account(obj) for account, obj in self._mine(request, found, "account").items()}

    def _payout(self, request: ProviderRequest) -> ProviderOperation:
        receivers = self._receivers(request)
        if not receivers or len(receivers) != len(request.legs):
            raise self._refuse(request, "a payout names the connected accounts (legs) whose balance goes to the bank")
        mine = self._payouts(request)
        refused: dict[str, str] = {}
        unknown: list[PaymentError] = []
        for leg in receivers:
            if leg.account_ref in mine:
                continue
            params: PayoutCreateParams = {
                "amount": self._units(leg.amount),
                "currency": leg.amount.currency.lower(),
                "description": request.reason,
                "metadata": metadata_for(request, party_id=leg.party_id, role=leg.role.value),
            }
            self._send_leg(
                request,
                leg,
                f"pay out {leg.account_ref} for",
                partial(
                    self._stripe.v1.payouts.create,
                    params,
                    {"idempotency_key": self._leg_key(request, leg), "stripe_account": leg.account_ref},
                ),
                mine,
                refused,
                unknown,
            )
        return self._legged(
            request,
            mine,
            refused,
            unknown,
            raw_of=lambda payout: str(payout.get("status") or ""),
            table=PAYOUT_STATUSES,
            fallback_ref=request.operation_id,
        )

    def _retrieve_payout(self, request: ProviderRequest, known: ProviderOperation | None) -> ProviderOperation:
        mine = self._payouts(request)
        if not mine:
            raise NotFound("payment operation", request.operation_id, platform=self.name)
        return self._legged(
            request,
            mine,
            {},
            [],
            raw_of=lambda payout: str(payout.get("status") or ""),
            table=PAYOUT_STATUSES,
            fallback_ref=request.operation_id,
        )


def _without_destination(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in obj.items() if key != "destination"}


def _without_account(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in obj.items() if key != "account"}
