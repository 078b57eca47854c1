"""The payment-provider model: what the core asks a provider to do, what the provider answers, what it can do.

Shaped by the two providers the ledger is built on. Stripe Connect (separate charges and transfers) moves a
charge's money to connected accounts with one transfer per receiver, cannot be queried by idempotency key and
keeps its idempotency keys for 24 hours; WeChat Pay v3 profit sharing splits a frozen order among up to 50
registered receivers per call, asynchronously, by amount only, up to a maximum ratio of the order net of
WeChat's fee, and needs a split returned (分账回退) before the order is refunded. So a request carries receiver
legs and the source the money comes from; an operation carries the provider's raw status next to the
normalised one, per-leg results, fees, the next action and when a hold ends; and a provider's limits are flags
the host checks before it calls the provider.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import Any

import attrs

from ..money import Money, is_currency
from ._common import FieldValueError, aware, non_negative, platform_name, positive, positive_amount, typed_fields

__all__ = [
    "CurrencySupport",
    "LegResult",
    "LegRole",
    "NextAction",
    "NextActionKind",
    "OperationKind",
    "OperationStatus",
    "PaymentCapabilities",
    "ProviderOperation",
    "ProviderRequest",
    "ReceiverLeg",
    "SourceReference",
    "SplitMode",
]

# What every provider accepts as its idempotency key: WeChat's out_order_no takes at most 64 characters of
# [0-9A-Za-z_-|*@], Stripe's Idempotency-Key 255 of anything. The core's own ids (op_ and 32 hex digits) fit.
_OPERATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _operation_id(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not _OPERATION_ID.match(value):
        raise FieldValueError(attribute.name, f"must be 1 to 64 letters, digits, '_' or '-', got {value!r}")


def _not_blank(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not value.strip():
        raise FieldValueError(attribute.name, "must not be empty")


def _iso_currency(instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and not is_currency(value):
        raise FieldValueError(attribute.name, f"{value!r} is not an ISO 4217 currency code with a minor unit")


def _not_empty(instance: Any, attribute: attrs.Attribute[Any], value: tuple[Any, ...] | frozenset[Any]) -> None:
    if not value:
        raise FieldValueError(attribute.name, "must name at least one")


def _optional_basis_points(instance: Any, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and not 0 <= value <= 10_000:
        raise FieldValueError(attribute.name, f"must be between 0 and 10000 basis points, got {value}")


class OperationKind(enum.StrEnum):
    """The verbs of a payment provider."""

    FUND = "fund"  # the brand's money comes in (a charge, a paid order) and is held for the deal
    RELEASE = "release"  # held money goes to receivers (a transfer, a profit-sharing split)
    REVERSE = "reverse"  # released money comes back from receivers (a transfer reversal, a 分账回退)
    REFUND = "refund"  # funded money goes back to the brand
    PAYOUT = "payout"  # a receiver's balance goes to their bank account


class OperationStatus(enum.StrEnum):
    """Where a money movement stands. A raw status the plugin does not know maps to ``pending``, never further."""

    PENDING = "pending"  # accepted, not finished (Stripe processing, WeChat PROCESSING), or not known yet
    REQUIRES_ACTION = "requires_action"  # someone must act first; ``next_action`` says who and how
    SUCCEEDED = "succeeded"  # all the money asked for moved
    PARTIALLY_SUCCEEDED = "partially_succeeded"  # some legs moved, others were closed (see ``legs``)
    FAILED = "failed"  # nothing moved
    CANCELED = "canceled"  # stopped before any money moved (a canceled intent or refund, a closed order)
    REVERSED = "reversed"  # it moved, and all of it has since come back

    @property
    def resolved(self) -> bool:
        """No longer waiting on the provider or on someone's action (a succeeded release may still be reversed)."""
        return self not in (OperationStatus.PENDING, OperationStatus.REQUIRES_ACTION)


class LegRole(enum.StrEnum):
    """Whom a leg pays: the creator, the agency or manager, or the platform's own account."""

    CREATOR = "creator"
    AGENCY = "agency"
    PLATFORM = "platform"  # e.g. WeChat's paying merchant named as a receiver of its own commission


class SplitMode(enum.StrEnum):
    """How a provider takes a split: in amounts (Stripe, WeChat) or in percentages of the source (Alipay)."""

    AMOUNT = "amount"
    PERCENTAGE = "percentage"


class NextActionKind(enum.StrEnum):
    """What has to happen before a ``requires_action`` operation can go on."""

    REDIRECT = "redirect"  # a person opens ``url`` (a hosted payment page, a QR code's link)
    AUTHENTICATE = "authenticate"  # the payer confirms in the provider's own client (3-D Secure, SCA)
    ONBOARD_ACCOUNT = "onboard_account"  # the receiver completes the provider's onboarding or verification
    REGISTER_RECEIVER = "register_receiver"  # the receiver must be added to the merchant's receivers first
    OTHER = "other"  # see ``raw_kind`` and ``instructions``


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ReceiverLeg:
    """One receiver's part of a request: whom (our party, their account at the provider), how much, and why."""

    party_id: str
    account_ref: str = attrs.field(validator=_not_blank)
    amount: Money = attrs.field(validator=positive_amount)
    role: LegRole
    account_kind: str | None = None
    share_bp: int | None = attrs.field(default=None, validator=_optional_basis_points)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class SourceReference:
    """The money a request moves from: a charge, payment intent or paid order (a transfer, for a reversal).

    ``amount``, ``fee`` and ``released`` are what the core's ledger knows of it; the host checks a release's
    split ratio and a refund's need for reversal against them before it calls the provider. ``released`` is what
    went to receivers other than the merchant's own account and has not been reversed.
    """

    ref: str = attrs.field(validator=_not_blank)
    operation_id: str | None = None
    amount: Money | None = attrs.field(default=None, validator=positive_amount)
    fee: Money | None = None
    released: Money | None = None

    def __attrs_post_init__(self) -> None:
        currencies = {money.currency for money in (self.amount, self.fee, self.released) if money is not None}
        if len(currencies) > 1:
            raise FieldValueError("fee", f"amount, fee and released must share one currency, got {sorted(currencies)}")
        for name in ("fee", "released"):
            money = getattr(self, name)
            if money is not None and money.amount < 0:
                raise FieldValueError(name, f"must not be negative, got {money}")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ProviderRequest:
    """One money movement asked of a payment provider.

    ``operation_id`` is stored by the core before the provider is called and is also the provider's idempotency
    key: the same id with other parameters is an error, never a second movement. When ``legs`` are given they
    add up to ``amount`` exactly, in its currency.
    """

    operation_id: str = attrs.field(validator=_operation_id)
    kind: OperationKind
    amount: Money = attrs.field(validator=positive_amount)
    deal_id: str
    reason: str = attrs.field(validator=_not_blank)
    legs: tuple[ReceiverLeg, ...] = ()
    source: SourceReference | None = None
    hold_days: int | None = attrs.field(default=None, validator=positive)
    final: bool = False
    metadata: dict[str, str] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if self.legs:
            currencies = {leg.amount.currency for leg in self.legs}
            if currencies != {self.amount.currency}:
                raise FieldValueError("legs", f"must all be in {self.amount.currency}, got {sorted(currencies)}")
            total = sum(leg.amount.amount for leg in self.legs)
            if total != self.amount.amount:
                raise FieldValueError("legs", f"add up to {Money(total, self.amount.currency)}, not {self.amount}")
            accounts = [leg.account_ref for leg in self.legs]
            if len(set(accounts)) != len(accounts):
                raise FieldValueError("legs", "name a receiver account more than once")
        source = self.source
        if source is not None:
            for money in (source.amount, source.fee, source.released):
                if money is not None and money.currency != self.amount.currency:
                    raise FieldValueError("source", f"is in {money.currency}, the request in {self.amount.currency}")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class NextAction:
    """What has to happen before an operation that ``requires_action`` goes on, as the provider describes it."""

    kind: NextActionKind
    raw_kind: str | None = None
    url: str | None = None
    instructions: str | None = None
    expires_at: datetime | None = attrs.field(default=None, validator=aware)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class LegResult:
    """One receiver's outcome, where the provider reports receivers separately (WeChat does, per split)."""

    account_ref: str
    amount: Money
    status: OperationStatus
    raw_status: str
    party_id: str | None = None
    provider_ref: str | None = None
    failure_reason: str | None = None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ProviderOperation:
    """The provider's record of one money movement.

    ``status`` is the provider's ``raw_status`` mapped to the SDK's statuses; a raw status the plugin does not
    know is ``pending``. ``fee`` and ``net`` are ``None`` while the provider has not said; they may be in the
    currency the provider settles in rather than ``amount``'s.
    """

    provider: str = attrs.field(validator=platform_name)
    operation_id: str
    kind: OperationKind
    status: OperationStatus
    raw_status: str
    amount: Money
    provider_ref: str
    updated_at: datetime = attrs.field(validator=aware)
    legs: tuple[LegResult, ...] = ()
    fee: Money | None = None
    net: Money | None = None
    reversed_amount: Money | None = None
    next_action: NextAction | None = None
    hold_expires_at: datetime | None = attrs.field(default=None, validator=aware)
    failure_code: str | None = None
    failure_reason: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.status is OperationStatus.REQUIRES_ACTION and self.next_action is None:
            raise FieldValueError("next_action", "an operation that requires action must say which")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CurrencySupport:
    """A currency a provider takes, in its own units: ``exponent`` digits, amounts a multiple of ``multiple_of``.

    The exponent may differ from ISO 4217's: Stripe counts ISK in hundredths (ISO: none). A request's amount,
    in ISO minor units, is multiplied by 10^(exponent − ISO exponent) for the provider; where the provider's
    exponent is smaller, only amounts divisible by 10^(ISO exponent − exponent) are representable.
    """

    currency: str = attrs.field(validator=_iso_currency)
    exponent: int = attrs.field(validator=non_negative)
    multiple_of: int = attrs.field(default=1, validator=positive)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PaymentCapabilities:
    """What a payment provider can do; the host refuses a request beyond it before calling the provider.

    ``max_hold_days`` ``None`` means the provider holds nothing for a term. ``max_split_bp`` is the most of a
    source, net of the provider's fee, that may go to receivers (WeChat: 3000 unless the merchant set another).
    ``requires_payout_account`` is true where a receiver leg's ``account_ref`` must be the receiver's account at the
    provider (a Stripe connected account, a WeChat receiver): the core then pays only a party that registered a
    :class:`~creatorkit.entities.PayoutAccount` there. False (the default), a provider takes the core's party id.
    """

    currencies: tuple[CurrencySupport, ...] = attrs.field(validator=_not_empty)
    kinds: frozenset[OperationKind] = frozenset(OperationKind)
    max_hold_days: int | None = attrs.field(default=None, validator=positive)
    partial_release: bool = False
    split_modes: frozenset[SplitMode] = attrs.field(default=frozenset({SplitMode.AMOUNT}), validator=_not_empty)
    max_receivers: int = attrs.field(default=1, validator=positive)
    max_split_bp: int | None = attrs.field(default=None, validator=_optional_basis_points)
    refund_requires_reversal: bool = False
    requires_payout_account: bool = False

    def __attrs_post_init__(self) -> None:
        codes = [support.currency for support in self.currencies]
        if len(set(codes)) != len(codes):
            raise FieldValueError("currencies", "list a currency more than once")

    def currency(self, code: str) -> CurrencySupport | None:
        """How the provider takes ``code``, or ``None`` if it does not."""
        for support in self.currencies:
            if support.currency == code:
                return support
        return None
