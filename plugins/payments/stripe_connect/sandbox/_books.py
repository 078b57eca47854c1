"""The fake Stripe's books: the objects it made, the balances they moved, and Stripe's refusals.

Balances are kept per account (``None``: the platform) and currency, in Stripe's units, in two buckets as
Stripe keeps them: ``pending`` and ``available``. A charge's net lands in the platform's ``pending`` bucket, or
``available`` when paid with the test method ``pm_card_bypassPending`` (as Stripe's test mode does). A transfer
with ``source_transaction`` draws on that charge's bucket, is capped by what of the charge is not yet
transferred, and lands in the same bucket on the connected account; without one it needs the platform's
``available`` funds. A reversal needs the connected account to still hold what it takes back; a payout needs
the account's ``available`` funds; a refund may take the platform below zero, as Stripe lets it (it debits the
platform's bank account later).

Statuses: a movement starts ``succeeded`` (a transfer's or reversal's balance transaction ``available``) unless
the sandbox is switched to answer ``pending`` until read ``pending_retrieves`` times, or to report a raw status
of the test's choosing. Payouts go ``pending`` → ``in_transit`` → ``paid``, one step per read.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from .._currencies import THREE_DECIMAL, TWO_DECIMAL, ZERO_DECIMAL

__all__ = ["SANDBOX_EPOCH", "Books", "Refusal", "Switches"]

#: When the sandbox's first object is made; each later one a second after the one before.
SANDBOX_EPOCH = int(datetime(2031, 5, 6, 6, 0, tzinfo=UTC).timestamp())

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Stripe's currencies by decimals, in its lowercase codes (ISK and HUF keep two decimals at Stripe).
_ZERO_DECIMAL = frozenset(code.lower() for code in ZERO_DECIMAL)
_THREE_DECIMAL = frozenset(code.lower() for code in THREE_DECIMAL)
_TWO_DECIMAL = frozenset(code.lower() for code in (*TWO_DECIMAL, "ISK", "HUF"))
#: The test payment methods the sandbox knows: how each one's charge ends.
_TEST_METHODS = {
    "pm_card_visa": "succeeds",
    "pm_card_bypassPending": "succeeds_available",
    "pm_card_chargeDeclined": "generic_decline",
    "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
    "pm_card_authenticationRequired": "requires_action",
}


class Refusal(Exception):
    """Stripe saying no: the HTTP status and the ``error`` object of its body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        **extra: Any,
    ) -> None:
        self.status = status
        self.error: dict[str, Any] = {"type": type, "message": message}
        if code is not None:
            self.error["code"] = code
        if param is not None:
            self.error["param"] = param
        self.error.update(extra)
        super().__init__(message)


@attrs.define
class Switches:
    """What the sandbox is told to do besides behaving (see the package docstring)."""

    timeout_after_success: bool = False
    pending_retrieves: int = 0
    raw_status: str | None = None
    search_lag: int = 0
    fee_bp: int = 290


def _integer(params: Mapping[str, Any], name: str, *, required: bool = True) -> int | None:
    value = params.get(name)
    if value is None:
        if required:
            raise Refusal(400, f"Missing required param: {name}.", code="parameter_missing", param=name)
        return None
    if not isinstance(value, str) or not value.isdigit() or int(value) < 1:
        raise Refusal(400, f"Invalid positive integer: {value!r}", code="parameter_invalid_integer", param=name)
    return int(value)


def _metadata(params: Mapping[str, Any]) -> dict[str, str]:
    metadata = params.get("metadata") or {}
    if not isinstance(metadata, dict) or len(metadata) > 50:
        raise Refusal(400, "metadata holds at most 50 keys", param="metadata")
    for key, value in metadata.items():
        if len(key) > 40 or not isinstance(value, str) or len(value) > 500:
            raise Refusal(400, f"metadata[{key}]: keys take 40 characters, values 500", param=f"metadata[{key}]")
    return dict(metadata)


def _text(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Refusal(400, f"Invalid string: {name}", param=name)
    return value


class Books:
    """Every object the fake Stripe made, by id, and the balances; each method is one API call's effect."""

    def __init__(self, *, seed: int, switches: Switches, accounts: tuple[str, ...]) -> None:
        self.seed = seed
        self.switches = switches
        self.objects: dict[str, dict[str, Any]] = {}
        self.accounts: set[str] = set(accounts)
        self.balances: dict[tuple[str | None, str], dict[str, int]] = {}
        self.events: list[dict[str, Any]] = []
        self.requests_served = 0
        self._made = 0
        self._reads_left: dict[str, int] = {}  # object id -> reads until its pending status resolves
        self._bucket: dict[str, str] = {}  # charge or transfer id -> the balance bucket its funds are in
        self._searchable_at: dict[str, int] = {}  # object id -> requests_served from which search finds it
        self.payout_account: dict[str, str | None] = {}  # payout id -> the connected account it pays out
        self.on_change: Callable[[str, dict[str, Any], str | None], None] = self._record_event

    # -- ids, times, balances -----------------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        self._made += 1
        digest = int(hashlib.sha256(f"{self.seed}:{prefix}:{self._made}".encode()).hexdigest(), 16)
        chars = []
        for _ in range(24):
            digest, index = divmod(digest, len(_ALPHABET))
            chars.append(_ALPHABET[index])
        return f"{prefix}_{''.join(chars)}"

    def now(self) -> int:
        return SANDBOX_EPOCH + self._made

    def balance(self, account: str | None, currency: str) -> dict[str, int]:
        return self.balances.setdefault((account, currency), {"available": 0, "pending": 0})

    def _currency(self, params: Mapping[str, Any]) -> str:
        currency = _text(params, "currency")
        if currency is None:
            raise Refusal(400, "Missing required param: currency.", code="parameter_missing", param="currency")
        if currency not in _ZERO_DECIMAL | _TWO_DECIMAL | _THREE_DECIMAL:
            raise Refusal(400, f"Invalid currency: {currency}.", param="currency")
        return currency

    def _check_amount(self, amount: int, currency: str, *, payout: bool = False) -> None:
        if currency == "isk" and amount % 100:
            raise Refusal(400, "ISK amounts must be whole krónur (a multiple of 100)", param="amount")
        if currency in _THREE_DECIMAL and amount % 10:
            raise Refusal(400, f"{currency.upper()} amounts must end in 0", param="amount")
        if payout and currency == "huf" and amount % 100:
            raise Refusal(400, "HUF payouts must be whole forints (a multiple of 100)", param="amount")

    def _fee(self, amount: int, currency: str) -> int:
        fee = amount * self.switches.fee_bp // 10_000
        step = 100 if currency == "isk" else 10 if currency in _THREE_DECIMAL else 1
        return fee - fee % step

    def _movement_status(self, succeeded: str, pending: str, object_id: str) -> str:
        """The status a new movement starts in, as the switches have it."""
        if self.switches.raw_status is not None:
            return self.switches.raw_status
        if self.switches.pending_retrieves:
            self._reads_left[object_id] = self.switches.pending_retrieves
            return pending
        return succeeded

    def _balance_transaction(
        self, *, account: str | None, amount: int, currency: str, kind: str, source: str, fee: int = 0, status: str
    ) -> str:
        txn = self.new_id("txn")
        self.objects[txn] = {
            "id": txn,
            "object": "balance_transaction",
            "amount": amount,
            "available_on": self.now() + (0 if status == "available" else 2 * 86_400),
            "created": self.now(),
            "currency": currency,
            "description": None,
            "fee": fee,
            "fee_details": [
                {"amount": fee, "currency": currency, "description": "Stripe processing fees", "type": "stripe_fee"}
            ]
            if fee
            else [],
            "net": amount - fee,
            "reporting_category": kind,
            "source": source,
            "status": status,
            "type": kind,
        }
        return txn

    def _made_now(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        self._searchable_at[obj["id"]] = self.requests_served + self.switches.search_lag
        return obj

    def get(self, object_id: str, kind: str, param: str = "id") -> dict[str, Any]:
        obj = self.objects.get(object_id)
        if obj is None or obj["object"] != kind:
            raise Refusal(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)
        return obj

    # -- reading: pending movements resolve as they are read ----------------------------------------------------

    def read(self, obj: dict[str, Any]) -> None:
        """Count one read of ``obj``: a pending movement read often enough resolves; a payout moves on."""
        if obj.get("object") == "payout" and obj["status"] in ("pending", "in_transit") and not self._fixed():
            obj["status"] = {"pending": "in_transit", "in_transit": "paid"}[obj["status"]]
            if obj["status"] == "paid":
                self.on_change("payout.paid", obj, self.payout_account.get(obj["id"]))
            return
        left = self._reads_left.get(obj["id"])
        if left is None:
            return
        if left > 1:
            self._reads_left[obj["id"]] = left - 1
            return
        del self._reads_left[obj["id"]]
        self._resolve(obj)

    def _fixed(self) -> bool:
        return self.switches.raw_status is not None

    def _resolve(self, obj: dict[str, Any]) -> None:
        kind = obj["object"]
        if kind == "payment_intent":
            obj["status"] = "succeeded"
            obj["amount_received"] = obj["amount"]
            charge = self.objects[obj["latest_charge"]]
            charge["status"] = "succeeded"
            self.on_change("payment_intent.succeeded", obj, None)
        elif kind == "refund":
            obj["status"] = "succeeded"
            self.on_change("refund.updated", obj, None)
        elif kind in ("transfer", "transfer_reversal"):
            # Stripe keeps no status on transfers and reversals: their balance transaction's is what moves.
            self.objects[obj["balance_transaction"]]["status"] = "available"

    def searchable(self, obj: Mapping[str, Any]) -> bool:
        return self.requests_served >= self._searchable_at.get(str(obj["id"]), 0)

    # -- payment intents ----------------------------------------------------------------------------------------

    def create_payment_intent(self, params: Mapping[str, Any]) -> dict[str, Any]:
        amount = _integer(params, "amount")
        assert amount is not None
        currency = self._currency(params)
        self._check_amount(amount, currency)
        metadata = _metadata(params)
        method = _text(params, "payment_method")
        if method is not None and method not in _TEST_METHODS:
            raise Refusal(404, f"No such PaymentMethod: '{method}'", code="resource_missing", param="payment_method")
        confirm = params.get("confirm") == "true"
        if confirm and method is None:
            raise Refusal(
                400, "You cannot confirm this PaymentIntent without a payment method.", param="payment_method"
            )
        automatic = params.get("automatic_payment_methods") or {}
        redirects = automatic.get("enabled") == "true" and automatic.get("allow_redirects") != "never"
        if confirm and redirects and _text(params, "return_url") is None:
            raise Refusal(400, "A return_url is needed to confirm with redirect-based methods.", param="return_url")
        intent_id = self.new_id("pi")
        intent: dict[str, Any] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "application_fee_amount": None,
            "capture_method": "automatic",
            "client_secret": f"{intent_id}_secret_{self.new_id('s')[2:]}",
            "confirmation_method": "automatic",
            "created": self.now(),
            "currency": currency,
            "customer": _text(params, "customer"),
            "description": _text(params, "description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": metadata,
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": method,
            "payment_method_types": ["card"],
            "status": "requires_confirmation" if method else "requires_payment_method",
            "transfer_data": None,
            "transfer_group": _text(params, "transfer_group"),
        }
        self._made_now(intent)
        if confirm and method is not None:
            self._confirm(intent, _TEST_METHODS[method])
        self.on_change("payment_intent.created", intent, None)
        return intent

    def _confirm(self, intent: dict[str, Any], behaviour: str) -> None:
        if behaviour == "requires_action":
            intent["status"] = "requires_action"
            intent["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}}
            return
        charge = self._charge(intent, behaviour)
        intent["latest_charge"] = charge["id"]
        if charge["status"] == "failed":
            decline = charge["failure_code"]
            intent["status"] = "requires_payment_method"
            message = "Your card was declined."
            intent["last_payment_error"] = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": decline,
                "message": message,
                "charge": charge["id"],
            }
            self.on_change("payment_intent.payment_failed", intent, None)
            raise Refusal(
                402,
                message,
                type="card_error",
                code="card_declined",
                decline_code=decline,
                charge=charge["id"],
                payment_intent=copy.deepcopy(intent),
            )
        intent["status"] = self._movement_status("succeeded", "processing", intent["id"])
        if intent["status"] == "processing":
            charge["status"] = "pending"  # an asynchronous payment: the charge succeeds when the intent does
        if intent["status"] == "succeeded":
            intent["amount_received"] = intent["amount"]
            self.on_change("payment_intent.succeeded", intent, None)
        elif intent["status"] == "processing":
            self.on_change("payment_intent.processing", intent, None)

    def _charge(self, intent: dict[str, Any], behaviour: str) -> dict[str, Any]:
        amount, currency = intent["amount"], intent["currency"]
        charge_id = self.new_id("ch")
        declined = behaviour in ("generic_decline", "insufficient_funds")
        charge: dict[str, Any] = {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_captured": 0 if declined else amount,
            "amount_refunded": 0,
            "balance_transaction": None,
            "captured": not declined,
            "created": self.now(),
            "currency": currency,
            "failure_code": behaviour if declined else None,
            "failure_message": "Your card was declined." if declined else None,
            "livemode": False,
            "metadata": {},
            "paid": not declined,
            "payment_intent": intent["id"],
            "refunded": False,
            "status": "failed" if declined else "succeeded",
            "transfer_group": intent["transfer_group"],
        }
        self._made_now(charge)
        if declined:
            return charge
        bucket = "available" if behaviour == "succeeds_available" else "pending"
        fee = self._fee(amount, currency)
        charge["balance_transaction"] = self._balance_transaction(
            account=None, amount=amount, currency=currency, kind="charge", source=charge_id, fee=fee, status=bucket
        )
        self._bucket[charge_id] = bucket
        self.balance(None, currency)[bucket] += amount - fee
        self.on_change("charge.succeeded", charge, None)
        return charge

    # -- transfers and their reversals --------------------------------------------------------------------------

    def create_transfer(self, params: Mapping[str, Any]) -> dict[str, Any]:
        amount = _integer(params, "amount")
        assert amount is not None
        currency = self._currency(params)
        self._check_amount(amount, currency)
        destination = _text(params, "destination")
        if destination is None:
            raise Refusal(400, "Missing required param: destination.", code="parameter_missing", param="destination")
        if destination not in self.accounts:
            raise Refusal(400, f"No such destination: '{destination}'", code="resource_missing", param="destination")
        source_id = _text(params, "source_transaction")
        platform = self.balance(None, currency)
        bucket = self._draw_on_charge(source_id, amount, currency) if source_id is not None else "available"
        if platform[bucket] < amount:
            raise Refusal(
                400,
                f"The platform's {bucket} {currency.upper()} balance ({platform[bucket]}) does not cover {amount}.",
                code="balance_insufficient",
            )
        transfer_id = self.new_id("tr")
        status = self._movement_status("available", "pending", transfer_id)
        txn = self._balance_transaction(
            account=None, amount=-amount, currency=currency, kind="transfer", source=transfer_id, status=status
        )
        platform[bucket] -= amount
        self.balance(destination, currency)[bucket] += amount
        self._bucket[transfer_id] = bucket
        transfer: dict[str, Any] = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "balance_transaction": txn,
            "created": self.now(),
            "currency": currency,
            "description": _text(params, "description"),
            "destination": destination,
            "destination_payment": self.new_id("py"),
            "livemode": False,
            "metadata": _metadata(params),
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "reversed": False,
            "source_transaction": source_id,
            "source_type": "card",
            "transfer_group": _text(params, "transfer_group"),
        }
        self._made_now(transfer)
        self.on_change("transfer.created", transfer, None)
        return transfer

    def _draw_on_charge(self, charge_id: str, amount: int, currency: str) -> str:
        charge = self.objects.get(charge_id)
        if charge is None or charge["object"] != "charge" or charge["status"] != "succeeded":
            raise Refusal(400, f"No such charge, or not a succeeded one: '{charge_id}'", param="source_transaction")
        if charge["currency"] != currency:
            raise Refusal(400, "The transfer's currency must be the source transaction's.", param="currency")
        transferred = sum(
            obj["amount"] - obj["amount_reversed"]
            for obj in self.objects.values()
            if obj["object"] == "transfer" and obj["source_transaction"] == charge_id
        )
        if amount > charge["amount"] - charge["amount_refunded"] - transferred:
            raise Refusal(
                400,
                f"The transfer amount exceeds what is left of the source transaction {charge_id}.",
                param="amount",
            )
        return self._bucket[charge_id]

    def create_reversal(self, transfer_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        transfer = self.get(transfer_id, "transfer")
        left = transfer["amount"] - transfer["amount_reversed"]
        if left == 0:
            raise Refusal(400, f"Transfer {transfer_id} is already fully reversed.", param="amount")
        amount = _integer(params, "amount", required=False) or left
        if amount > left:
            raise Refusal(400, f"Reversal amount ({amount}) exceeds the transfer's unreversed {left}.", param="amount")
        currency = transfer["currency"]
        bucket = self._bucket.get(transfer_id, "available")
        held = self.balance(transfer["destination"], currency)
        if held[bucket] < amount:
            raise Refusal(
                400,
                f"The connected account {transfer['destination']} no longer holds {amount} {currency.upper()} "
                "to reverse (paid out or spent).",
                code="balance_insufficient",
                param="amount",
            )
        reversal_id = self.new_id("trr")
        status = self._movement_status("available", "pending", reversal_id)
        txn = self._balance_transaction(
            account=None, amount=amount, currency=currency, kind="transfer_refund", source=reversal_id, status=status
        )
        held[bucket] -= amount
        self.balance(None, currency)[bucket] += amount
        reversal = {
            "id": reversal_id,
            "object": "transfer_reversal",
            "amount": amount,
            "balance_transaction": txn,
            "created": self.now(),
            "currency": currency,
            "destination_payment_refund": self.new_id("pyr"),
            "metadata": _metadata(params),
            "source_refund": None,
            "transfer": transfer_id,
        }
        self._made_now(reversal)
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        sublist = transfer["reversals"]
        sublist["data"].insert(0, reversal_id)
        sublist["total_count"] += 1
        self.on_change("transfer.reversed", transfer, None)
        return reversal

    # -- refunds and payouts ------------------------------------------------------------------------------------

    def create_refund(self, params: Mapping[str, Any]) -> dict[str, Any]:
        intent_id, charge_id = _text(params, "payment_intent"), _text(params, "charge")
        if intent_id is not None:
            charge_id = self.get(intent_id, "payment_intent", "payment_intent").get("latest_charge")
        if charge_id is None:
            raise Refusal(400, "Give the payment_intent or the charge to refund.", param="payment_intent")
        charge = self.get(charge_id, "charge", "charge")
        if charge["status"] != "succeeded":
            raise Refusal(400, f"Charge {charge_id} has not succeeded: nothing to refund.", param="charge")
        left = charge["amount"] - charge["amount_refunded"]
        if left == 0:
            raise Refusal(
                400, f"Charge {charge_id} has already been refunded.", code="charge_already_refunded", param="charge"
            )
        amount = _integer(params, "amount", required=False) or left
        if amount > left:
            raise Refusal(
                400, f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})", param="amount"
            )
        currency = charge["currency"]
        refund_id = self.new_id("re")
        status = self._movement_status("succeeded", "pending", refund_id)
        txn = self._balance_transaction(
            account=None, amount=-amount, currency=currency, kind="refund", source=refund_id, status="available"
        )
        self.balance(None, currency)[self._bucket.get(charge_id, "available")] -= amount
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": txn,
            "charge": charge_id,
            "created": self.now(),
            "currency": currency,
            "metadata": _metadata(params),
            "payment_intent": charge["payment_intent"],
            "reason": _text(params, "reason"),
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": status,
            "transfer_reversal": None,
        }
        self._made_now(refund)
        self.on_change("refund.created", refund, None)
        self.on_change("charge.refunded", charge, None)
        return refund

    def create_payout(self, account: str | None, params: Mapping[str, Any]) -> dict[str, Any]:
        amount = _integer(params, "amount")
        assert amount is not None
        currency = self._currency(params)
        self._check_amount(amount, currency, payout=True)
        if account is not None and account not in self.accounts:
            raise Refusal(403, f"No such connected account: '{account}'", type="invalid_request_error")
        held = self.balance(account, currency)
        if held["available"] < amount:
            raise Refusal(
                400,
                f"The available {currency.upper()} balance ({held['available']}) does not cover {amount}.",
                code="balance_insufficient",
                param="amount",
            )
        held["available"] -= amount
        payout_id = self.new_id("po")
        status = self.switches.raw_status or "pending"
        payout = {
            "id": payout_id,
            "object": "payout",
            "amount": amount,
            "arrival_date": self.now() + 2 * 86_400,
            "automatic": False,
            "balance_transaction": self._balance_transaction(
                account=account, amount=-amount, currency=currency, kind="payout", source=payout_id, status="available"
            ),
            "created": self.now(),
            "currency": currency,
            "description": _text(params, "description"),
            "destination": f"ba_{(account or 'platform')[-12:]}",
            "failure_code": None,
            "failure_message": None,
            "livemode": False,
            "metadata": _metadata(params),
            "method": "standard",
            "source_type": "card",
            "statement_descriptor": None,
            "status": status,
            "type": "bank_account",
        }
        self.payout_account[payout_id] = account
        self._made_now(payout)
        self.on_change("payout.created", payout, account)
        return payout

    # -- events -------------------------------------------------------------------------------------------------

    def _record_event(self, event_type: str, obj: dict[str, Any], account: str | None) -> None:
        from ._events import event  # the events module builds on these books' objects

        self.events.append(event(self.new_id("evt"), event_type, obj, created=self.now(), account=account))
