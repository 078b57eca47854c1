"""What payment-provider plugins and the core share besides the entities: the rules of the provider model.

* :func:`status_from_raw` maps a provider's own status word to an :class:`~creatorkit.entities.OperationStatus`;
  a word the table does not know is ``pending``, never success. A new status a provider ships tomorrow leaves
  an operation waiting to be re-read, not counted as money that moved.
* :func:`to_provider_units` and :func:`from_provider_units` convert between ISO 4217 minor units (what
  :class:`~creatorkit.money.Money` holds) and the provider's units, from the provider's
  :class:`~creatorkit.entities.CurrencySupport`: ``units = amount × 10^(provider exponent − ISO exponent)``.
  Stripe's ISK (ISO exponent 0, Stripe's 2) goes out ×100; a gateway that counts KWD in two decimals (ISO: 3)
  takes only whole tens of fils; ``multiple_of`` adds the provider's own granularity (Stripe wants three-decimal
  currencies in tens). An amount that does not convert exactly is refused, never rounded.
* :func:`differing_fields` names what differs between two requests with the same operation id: the provider's
  idempotency key, so the same id with other parameters is an
  :class:`~creatorkit.errors.IdempotencyConflict`, never a second movement.
* :func:`check_request` is what the host runs before it calls a provider: the request against the provider's
  :class:`~creatorkit.entities.PaymentCapabilities`, refused with a
  :class:`~creatorkit.errors.PaymentNotSupported` naming the flag, its value and what was asked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import attrs

from .entities import (
    CurrencySupport,
    LegRole,
    OperationKind,
    OperationStatus,
    PaymentCapabilities,
    ProviderRequest,
    SourceReference,
    SplitMode,
)
from .errors import PaymentNotSupported, Problem, ValidationError
from .money import Money, currency_exponent

__all__ = [
    "check_request",
    "differing_fields",
    "from_provider_units",
    "granularity",
    "split_limit",
    "status_from_raw",
    "to_provider_units",
]


def status_from_raw(raw: str | None, table: Mapping[str, OperationStatus]) -> OperationStatus:
    """The status ``table`` gives the provider's ``raw`` status; ``pending`` for one it does not list (or none)."""
    if not raw:
        return OperationStatus.PENDING
    return table.get(raw, OperationStatus.PENDING)


def _ten_to(power: int) -> int:
    """10 to a power that is never negative (an int, where ``10**n`` of an unknown ``n`` may be a float)."""
    return int(10**power)


def _units(amount: Money, support: CurrencySupport) -> int | None:
    """``amount`` in the provider's units, or ``None`` when the provider cannot represent it exactly."""
    shift = support.exponent - currency_exponent(amount.currency)
    if shift >= 0:
        units = amount.amount * _ten_to(shift)
    else:
        scale = _ten_to(-shift)
        if amount.amount % scale:
            return None
        units = amount.amount // scale
    return units if units % support.multiple_of == 0 else None


def _describe(support: CurrencySupport) -> str:
    unit = f", in multiples of {support.multiple_of}" if support.multiple_of != 1 else ""
    return f"{support.currency} with {support.exponent} decimals{unit}"


def granularity(currency: str, capabilities: PaymentCapabilities, *, provider: str) -> int:
    """The smallest amount of ``currency``, in ISO minor units, the provider represents exactly.

    Every amount the provider takes is a multiple of it: 1 where provider and ISO agree, 10 for KWD where the
    provider wants tens of fils. Splitting a sum in steps of it keeps every part representable.

    :raises PaymentNotSupported: (flag ``currencies``) for a currency the provider does not take.
    """
    support = capabilities.currency(currency)
    if support is None:
        raise PaymentNotSupported(provider, "currencies", _codes(capabilities), currency)
    shift = support.exponent - currency_exponent(currency)
    if shift < 0:
        return _ten_to(-shift) * support.multiple_of
    return support.multiple_of // math.gcd(support.multiple_of, _ten_to(shift))


def to_provider_units(amount: Money, capabilities: PaymentCapabilities, *, provider: str) -> int:
    """``amount`` as the integer the provider's API takes; refused when the provider cannot represent it exactly.

    :raises PaymentNotSupported: (flag ``currencies``) for a currency the provider does not take, or an amount
        that would need rounding.
    """
    support = capabilities.currency(amount.currency)
    if support is None:
        raise PaymentNotSupported(provider, "currencies", _codes(capabilities), amount.currency)
    units = _units(amount, support)
    if units is None:
        raise PaymentNotSupported(provider, "currencies", _describe(support), f"{amount} exactly")
    return units


def from_provider_units(units: int, currency: str, capabilities: PaymentCapabilities, *, provider: str) -> Money:
    """The provider's ``units`` of ``currency`` as :class:`Money` in ISO minor units, exactly.

    :raises PaymentNotSupported: for a currency the provider's capabilities do not list.
    :raises ValidationError: when ``units`` hold a fraction of the ISO minor unit (a provider answer that no
        request of ours could have produced).
    """
    support = capabilities.currency(currency)
    if support is None:
        raise PaymentNotSupported(provider, "currencies", _codes(capabilities), currency)
    shift = support.exponent - currency_exponent(currency)
    if shift <= 0:
        return Money(units * _ten_to(-shift), currency)
    scale = _ten_to(shift)
    if units % scale:
        raise ValidationError(
            [Problem("amount", f"{units} is not a whole number of {currency} minor units ({_describe(support)})")],
            f"{provider} amount",
        )
    return Money(units // scale, currency)


def differing_fields(first: ProviderRequest, second: ProviderRequest) -> tuple[str, ...]:
    """The names of the fields in which two requests differ, in the order the entity declares them."""
    return tuple(
        field.name
        for field in attrs.fields(ProviderRequest)
        if getattr(first, field.name) != getattr(second, field.name)
    )


def split_limit(source: SourceReference, capabilities: PaymentCapabilities) -> Money | None:
    """The most of ``source`` receivers may get in all (``max_split_bp`` of its amount net of the provider's fee).

    Legs to the merchant's own account (role ``platform``) do not count against it, nor does ``source.released``
    need to include them.

    ``None`` when the provider sets no ratio or the source's amount is not known. WeChat Pay: the split total
    stays within (order amount − WeChat's fee) × the merchant's maximum ratio (30 % unless configured).
    """
    if capabilities.max_split_bp is None or source.amount is None:
        return None
    base = source.amount.amount - (source.fee.amount if source.fee is not None else 0)
    return Money(max(base, 0) * capabilities.max_split_bp // 10_000, source.amount.currency)


def check_request(provider: str, capabilities: PaymentCapabilities, request: ProviderRequest) -> None:
    """Refuse ``request`` if ``capabilities`` rule it out, naming the first flag it breaks.

    The flags are checked in this order: ``kinds``, ``currencies``, ``max_receivers``, ``split_modes``,
    ``max_hold_days``, ``partial_release``, ``max_split_bp``, ``refund_requires_reversal``.

    :raises PaymentNotSupported: with ``flag``, ``limit`` (the flag's value) and ``requested``.
    """
    refuse = _Refusal(provider, request.operation_id)
    if request.kind not in capabilities.kinds:
        raise refuse("kinds", sorted(kind.value for kind in capabilities.kinds), request.kind.value)
    _check_currencies(refuse, capabilities, request)
    if len(request.legs) > capabilities.max_receivers:
        raise refuse("max_receivers", capabilities.max_receivers, f"{len(request.legs)} receivers")
    if SplitMode.AMOUNT not in capabilities.split_modes and any(leg.share_bp is None for leg in request.legs):
        raise refuse(
            "split_modes", sorted(mode.value for mode in capabilities.split_modes), "legs by amount only (no share_bp)"
        )
    if request.hold_days is not None and (
        capabilities.max_hold_days is None or request.hold_days > capabilities.max_hold_days
    ):
        raise refuse("max_hold_days", capabilities.max_hold_days, f"a hold of {request.hold_days} days")
    if request.kind is OperationKind.RELEASE:
        _check_release(refuse, capabilities, request)
    if request.kind is OperationKind.REFUND and capabilities.refund_requires_reversal:
        _check_refund(refuse, request)


class _Refusal:
    """Builds the error for one request, so that each check names only its flag."""

    def __init__(self, provider: str, operation_id: str) -> None:
        self.provider = provider
        self.operation_id = operation_id

    def __call__(self, flag: str, limit: object, requested: object) -> PaymentNotSupported:
        return PaymentNotSupported(self.provider, flag, limit, requested, operation_id=self.operation_id)


def _codes(capabilities: PaymentCapabilities) -> list[str]:
    return [support.currency for support in capabilities.currencies]


def _check_currencies(refuse: _Refusal, capabilities: PaymentCapabilities, request: ProviderRequest) -> None:
    support = capabilities.currency(request.amount.currency)
    if support is None:
        raise refuse("currencies", _codes(capabilities), request.amount.currency)
    for amount in (request.amount, *(leg.amount for leg in request.legs)):
        if _units(amount, support) is None:
            raise refuse("currencies", _describe(support), f"{amount} exactly")


def _check_release(refuse: _Refusal, capabilities: PaymentCapabilities, request: ProviderRequest) -> None:
    source = request.source
    released = source.released.amount if source is not None and source.released is not None else 0
    if not capabilities.partial_release:
        if not request.final:
            raise refuse("partial_release", False, "a release that is not final (more would follow from the source)")
        if released:
            raise refuse("partial_release", False, f"a second release from {source.ref if source else 'the source'}")
    # The ratio bounds what goes to others: the merchant's own account, or the rest handed back to it with no
    # receivers at all (WeChat's unfreeze), splits nothing off.
    to_others = sum(leg.amount.amount for leg in request.legs if leg.role is not LegRole.PLATFORM)
    if capabilities.max_split_bp is not None and to_others:
        limit = split_limit(source, capabilities) if source is not None else None
        if limit is None:
            raise refuse("max_split_bp", capabilities.max_split_bp, "a release whose source.amount is not given")
        total = Money(to_others + released, request.amount.currency)
        if total > limit:
            raise refuse("max_split_bp", capabilities.max_split_bp, f"{total} split off, more than {limit}")


def _check_refund(refuse: _Refusal, request: ProviderRequest) -> None:
    source = request.source
    if source is None or source.released is None:
        raise refuse("refund_requires_reversal", True, "a refund that does not say what was released (source.released)")
    if source.released.amount == 0:
        return
    if source.amount is None:
        raise refuse("refund_requires_reversal", True, "a refund after a release whose source.amount is not given")
    keeps = source.amount - source.released
    if request.amount > keeps:
        raise refuse(
            "refund_requires_reversal",
            True,
            f"a refund of {request.amount} while {source.released} of the source is released and not reversed",
        )
