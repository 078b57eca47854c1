"""The host checks a payment request against the provider's capability flags before any call reaches it.

The flags are shaped after the providers the ledger is built on: a WeChat Pay profit-sharing provider (CNY
only, splits and reversals but no funding through the plugin, 50 receivers, 30 % of the order net of its fee,
a 30-day freeze, a split returned before a refund), a Stripe Connect provider (ISK counted in hundredths,
three-decimal currencies in tens), and a strict one (one receiver, percentages only, one final release).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from creatorkit import IdempotencyConflict, Money, PaymentError, PaymentNotSupported, PluginContractError, hookimpl
from creatorkit.entities import (
    Capability,
    CurrencySupport,
    LegRole,
    OperationKind,
    OperationStatus,
    PaymentCapabilities,
    PluginKind,
    PluginMetadata,
    ProviderOperation,
    ProviderRequest,
    ReceiverLeg,
    SourceReference,
    SplitMode,
    utcnow,
)
from creatorkit.host import PaymentClient, PluginHost

WECHAT = PaymentCapabilities(
    currencies=(CurrencySupport(currency="CNY", exponent=2),),
    kinds=frozenset({OperationKind.RELEASE, OperationKind.REVERSE, OperationKind.REFUND}),
    max_hold_days=30,
    partial_release=True,
    max_receivers=50,
    max_split_bp=3_000,
    refund_requires_reversal=True,
)
STRIPE = PaymentCapabilities(
    currencies=(
        CurrencySupport(currency="USD", exponent=2),
        CurrencySupport(currency="JPY", exponent=0),
        CurrencySupport(currency="ISK", exponent=2, multiple_of=100),
        CurrencySupport(currency="KWD", exponent=3, multiple_of=10),
    ),
    max_hold_days=90,
    partial_release=True,
    max_receivers=10,
)
STRICT = PaymentCapabilities(
    currencies=(CurrencySupport(currency="EUR", exponent=2),),
    split_modes=frozenset({SplitMode.PERCENTAGE}),
)


class FlaggedProvider:
    """A payment provider that answers every request it receives with success, and notes each one."""

    def __init__(self, capabilities: PaymentCapabilities | None) -> None:
        self.capabilities = capabilities
        self.seen: list[ProviderRequest] = []

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name="flagged",
            kind=PluginKind.PAYMENT,
            display_name="Flagged",
            capabilities=frozenset({Capability.PAYMENTS}),
            payments=self.capabilities,
        )

    @hookimpl
    def creatorkit_payment_operation(self, request: ProviderRequest) -> ProviderOperation:
        self.seen.append(request)
        return self.creatorkit_payment_retrieve(request)

    @hookimpl
    def creatorkit_payment_retrieve(self, request: ProviderRequest) -> ProviderOperation:
        return ProviderOperation(
            provider="flagged",
            operation_id=request.operation_id,
            kind=request.kind,
            status=OperationStatus.SUCCEEDED,
            raw_status="SUCCESS",
            amount=request.amount,
            provider_ref=f"ref_{request.operation_id}",
            updated_at=utcnow(),
        )


class SeesEveryCall:
    """A wrapper: it sees every targeted call, so it must not see a refused one either."""

    def __init__(self) -> None:
        self.seen: list[ProviderRequest] = []

    @hookimpl(wrapper=True)
    def creatorkit_payment_operation(
        self, request: ProviderRequest
    ) -> Generator[None, ProviderOperation, ProviderOperation]:
        self.seen.append(request)
        return (yield)


def client_for(capabilities: PaymentCapabilities) -> tuple[PaymentClient, FlaggedProvider, SeesEveryCall]:
    host = PluginHost(validate_outputs=True)
    plugin = FlaggedProvider(capabilities)
    host.register(plugin, name="flagged", group="creatorkit.payments")
    wrapper = SeesEveryCall()
    host.add_wrapper(wrapper, name="sees_every_call")
    return host.payments("flagged"), plugin, wrapper


def leg(amount: Money, account: str = "acct_creator", role: LegRole = LegRole.CREATOR, **more: Any) -> ReceiverLeg:
    return ReceiverLeg(party_id=f"party_{account}", account_ref=account, amount=amount, role=role, **more)


def request(
    kind: OperationKind, amount: Money, *legs: ReceiverLeg, source: SourceReference | None = None, **more: Any
) -> ProviderRequest:
    return ProviderRequest(
        operation_id=f"op_{kind}_{amount.amount}",
        kind=kind,
        amount=amount,
        deal_id="deal_flags",
        reason="milestone",
        legs=legs,
        source=source,
        **more,
    )


def cny(major: str) -> Money:
    return Money.of(major, "CNY")


# A WeChat order of 100.00 CNY on which WeChat kept 0.60: 30 % of the rest is 29.82.
ORDER = SourceReference(ref="4208450740201411110007820472", amount=cny("100.00"), fee=cny("0.60"), released=cny("0"))
RELEASED_10 = SourceReference(ref=ORDER.ref, amount=ORDER.amount, fee=ORDER.fee, released=cny("10.00"))


def split(major: str, source: SourceReference = ORDER, **more: Any) -> ProviderRequest:
    return request(OperationKind.RELEASE, cny(major), leg(cny(major), "o_creator_openid"), source=source, **more)


def refund(major: str, source: SourceReference | None) -> ProviderRequest:
    return request(OperationKind.REFUND, cny(major), source=source)


def eleven_legs() -> ProviderRequest:
    legs = [leg(Money(100, "USD"), f"acct_{i}", LegRole.AGENCY if i else LegRole.CREATOR) for i in range(11)]
    return request(OperationKind.RELEASE, Money(1_100, "USD"), *legs)


REFUSED = [
    pytest.param(
        WECHAT, request(OperationKind.FUND, cny("10.00")), "kinds", ["refund", "release", "reverse"], "fund", id="kind"
    ),
    pytest.param(WECHAT, request(OperationKind.REFUND, Money(100, "USD")), "currencies", ["CNY"], "USD", id="currency"),
    pytest.param(
        STRIPE,
        request(OperationKind.FUND, Money(1_250_505, "KWD")),
        "currencies",
        "KWD with 3 decimals, in multiples of 10",
        "1250.505 KWD exactly",
        id="kwd-fils",
    ),
    pytest.param(
        STRIPE,
        request(
            OperationKind.RELEASE,
            Money(1_250_500, "KWD"),
            leg(Money(1_250_495, "KWD")),
            leg(Money(5, "KWD"), "acct_agency", LegRole.AGENCY),
        ),
        "currencies",
        "KWD with 3 decimals, in multiples of 10",
        "1250.495 KWD exactly",
        id="kwd-leg",
    ),
    pytest.param(STRIPE, eleven_legs(), "max_receivers", 10, "11 receivers", id="receivers"),
    pytest.param(
        STRICT,
        request(OperationKind.RELEASE, Money(500, "EUR"), leg(Money(500, "EUR")), final=True),
        "split_modes",
        ["percentage"],
        "no share_bp",
        id="percentages-only",
    ),
    pytest.param(
        STRIPE, request(OperationKind.FUND, Money(500, "USD"), hold_days=91), "max_hold_days", 90, "91 days", id="hold"
    ),
    pytest.param(
        STRICT, request(OperationKind.FUND, Money(500, "EUR"), hold_days=1), "max_hold_days", None, "1 days", id="none"
    ),
    pytest.param(
        STRICT,
        request(OperationKind.RELEASE, Money(500, "EUR"), leg(Money(500, "EUR"), share_bp=500)),
        "partial_release",
        False,
        "not final",
        id="not-final",
    ),
    pytest.param(
        STRICT,
        request(
            OperationKind.RELEASE,
            Money(500, "EUR"),
            leg(Money(500, "EUR"), share_bp=500),
            source=SourceReference(ref="ch_1", amount=Money(10_000, "EUR"), released=Money(500, "EUR")),
            final=True,
        ),
        "partial_release",
        False,
        "a second release from ch_1",
        id="second-release",
    ),
    pytest.param(WECHAT, split("29.83"), "max_split_bp", 3_000, "29.83 CNY split off, more than 29.82", id="ratio"),
    pytest.param(
        WECHAT, split("19.83", RELEASED_10), "max_split_bp", 3_000, "29.83 CNY split off", id="ratio-with-earlier"
    ),
    pytest.param(
        WECHAT,
        split("1.00", SourceReference(ref=ORDER.ref)),
        "max_split_bp",
        3_000,
        "source.amount is not given",
        id="ratio-unknown-source",
    ),
    pytest.param(
        WECHAT, refund("100.00", None), "refund_requires_reversal", True, "source.released", id="refund-blind"
    ),
    pytest.param(
        WECHAT, refund("90.01", RELEASED_10), "refund_requires_reversal", True, "10.00 CNY", id="refund-released"
    ),
    pytest.param(
        WECHAT,
        refund("1.00", SourceReference(ref=ORDER.ref, released=cny("10.00"))),
        "refund_requires_reversal",
        True,
        "source.amount is not given",
        id="refund-unknown-source",
    ),
]


@pytest.mark.parametrize(("capabilities", "asked", "flag", "limit", "requested"), REFUSED)
def test_a_request_beyond_a_flag_is_refused_before_any_call(
    capabilities: PaymentCapabilities, asked: ProviderRequest, flag: str, limit: object, requested: str
) -> None:
    client, plugin, wrapper = client_for(capabilities)
    with pytest.raises(PaymentNotSupported) as caught:
        client.execute(asked)
    error = caught.value
    assert (error.flag, error.limit) == (flag, limit)
    assert requested in str(error.requested)
    assert (error.provider, error.operation_id, error.outcome_unknown) == ("flagged", asked.operation_id, False)
    assert f"{flag} = {limit!r}" in str(error)
    assert isinstance(error, PaymentError), "a caller catching PaymentError catches this too"
    assert plugin.seen == [] and wrapper.seen == []


ACCEPTED = [
    pytest.param(WECHAT, split("29.82"), id="ratio-exactly"),
    pytest.param(WECHAT, split("19.82", RELEASED_10), id="ratio-with-earlier"),
    pytest.param(
        WECHAT,
        request(
            OperationKind.RELEASE,
            cny("70.00"),
            leg(cny("20.00"), "o_creator_openid"),
            leg(cny("50.00"), "1900000109", LegRole.PLATFORM),
            source=ORDER,
        ),
        id="the-merchants-own-share-is-no-split",
    ),
    pytest.param(WECHAT, request(OperationKind.RELEASE, cny("70.18"), source=RELEASED_10, final=True), id="unfreeze"),
    pytest.param(WECHAT, refund("100.00", ORDER), id="refund-nothing-released"),
    pytest.param(WECHAT, refund("90.00", RELEASED_10), id="refund-what-is-kept"),
    pytest.param(STRIPE, request(OperationKind.FUND, Money(1_234, "ISK"), hold_days=90), id="isk-hold"),
    pytest.param(STRIPE, request(OperationKind.FUND, Money(1_250_500, "KWD")), id="kwd-tens"),
    pytest.param(
        STRIPE,
        request(
            OperationKind.RELEASE,
            Money(190_000, "JPY"),
            leg(Money(161_500, "JPY")),
            leg(Money(28_500, "JPY"), "acct_agency", LegRole.AGENCY),
        ),
        id="creator-and-agency",
    ),
    pytest.param(
        STRICT,
        request(OperationKind.RELEASE, Money(500, "EUR"), leg(Money(500, "EUR"), share_bp=500), final=True),
        id="final-by-percentage",
    ),
]


@pytest.mark.parametrize(("capabilities", "asked"), ACCEPTED)
def test_a_request_within_the_flags_reaches_the_provider(
    capabilities: PaymentCapabilities, asked: ProviderRequest
) -> None:
    client, plugin, wrapper = client_for(capabilities)
    assert client.execute(asked).status is OperationStatus.SUCCEEDED
    assert plugin.seen == [asked] and wrapper.seen == [asked]


def test_the_host_call_path_checks_as_the_client_does() -> None:
    client, plugin, _ = client_for(WECHAT)
    with pytest.raises(PaymentNotSupported, match="max_split_bp"):
        client.host.call("flagged", "creatorkit_payment_operation", request=split("50.00"))
    assert plugin.seen == []


def test_retrieving_is_not_checked_against_todays_flags() -> None:
    # A movement made before the provider lowered a limit must still be readable.
    client, _, _ = client_for(WECHAT)
    assert client.retrieve(split("50.00")).status is OperationStatus.SUCCEEDED


# -- registration: a payment provider says what it can do ---------------------------------------------------------


def test_offering_payments_without_flags_is_refused_at_registration() -> None:
    with pytest.raises(PluginContractError) as caught:
        PluginHost().register(FlaggedProvider(None), name="flagged", group="creatorkit.payments")
    assert [p.path for p in caught.value.problems] == ["payments"]
    assert "PaymentCapabilities" in str(caught.value)


def test_flags_without_the_payments_capability_are_refused_at_registration() -> None:
    class Platform:
        @hookimpl
        def creatorkit_plugin_metadata(self) -> PluginMetadata:
            return PluginMetadata(name="plat", kind=PluginKind.PLATFORM, display_name="Plat", payments=STRICT)

    with pytest.raises(PluginContractError, match="does not declare payments"):
        PluginHost().register(Platform(), name="plat")


class VersionOneProvider(FlaggedProvider):
    """A provider written for contract v1: it re-reads by operation id and has no retrieve."""

    creatorkit_payment_retrieve = None  # type: ignore[assignment]

    @hookimpl
    def creatorkit_payment_status(self, operation_id: str) -> ProviderOperation:
        raise NotImplementedError


def test_a_version_one_provider_is_told_what_replaced_its_hook() -> None:
    with (
        pytest.warns(DeprecationWarning, match="replaced by creatorkit_payment_retrieve"),
        pytest.raises(PluginContractError, match="does not implement creatorkit_payment_retrieve"),
    ):
        PluginHost().register(VersionOneProvider(WECHAT), name="flagged", group="creatorkit.payments")


def test_an_idempotency_conflict_names_the_id_and_the_fields() -> None:
    error = IdempotencyConflict("op_release_1", ("amount", "legs"), provider="wechat_pay")
    assert isinstance(error, PaymentError)
    assert (error.operation_id, error.fields, error.provider, error.outcome_unknown) == (
        "op_release_1",
        ("amount", "legs"),
        "wechat_pay",
        False,
    )
    assert (
        str(error)
        == "wechat_pay: operation 'op_release_1' was already submitted with other parameters: amount, legs differ"
    )
