"""The conformance suite for payment providers (plugin contract v2)."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from ..entities import (
    Capability,
    LegRole,
    OperationKind,
    OperationStatus,
    PluginKind,
    ProviderOperation,
    ProviderRequest,
    ReceiverLeg,
    SourceReference,
    SplitMode,
    new_id,
)
from ..errors import CreatorkitError, IdempotencyConflict, NotFound, PaymentError, PaymentNotSupported
from ..host import PaymentClient, PluginHost
from ..money import Money, currency_exponent
from ..payments import granularity, split_limit
from ._payment_driver import UNKNOWN_RAW_STATUS, PaymentScenario
from ._payment_listing import PaymentListingContract
from ._platform import assert_capabilities_match_hooks, assert_valid_entity
from ._webhooks import PaymentWebhookContract

__all__ = ["UNKNOWN_RAW_STATUS", "PaymentProviderContract", "PaymentScenario"]

#: Currencies to try when the kit needs one a provider does not take.
_OTHER_CURRENCIES = ("CHF", "SEK", "NOK", "THB", "BHD", "XOF", "GBP", "EUR", "USD", "CNY")


class PaymentProviderContract(PaymentListingContract, PaymentWebhookContract):
    """Subclass with ``plugin_name`` (and what your sandbox needs) to run the payment provider contract suite.

    Besides the shapes of outputs it checks the promises the ledger rests on: the operation id is the idempotency
    key (a retry moves nothing; the same id with other parameters is refused, naming what differs); an outcome
    the provider could not report is recovered by retrying or retrieving, and the money moved once; pending
    resolves through retrieve; an unknown raw status is pending; a source releases in parts where the provider
    allows, never beyond what it holds; released money is reversed before a refund where the provider says so;
    the capability flags are honoured before any call reaches the provider; JPY and KWD amounts come back exactly.
    A provider that offers webhooks also overrides ``webhook_delivery`` and ``webhook_deliveries_for``: see
    :class:`~creatorkit.testing.PaymentWebhookContract`. A provider that lists its movements (``payment_listing``)
    shows that the list holds what it moved: see :class:`~creatorkit.testing.PaymentListingContract`.
    """

    # -- metadata ----------------------------------------------------------------------------------------------

    def test_metadata_names_the_provider(self, provider: PaymentClient) -> None:
        meta = provider.metadata
        assert meta.name == self.plugin_name
        assert meta.kind is PluginKind.PAYMENT
        assert Capability.PAYMENTS in meta.capabilities, "a payment provider offers the payments stage"
        assert meta.payments is not None, "and says what it can do (PluginMetadata.payments)"
        assert_valid_entity(meta)

    def test_capabilities_match_hooks(self, host: PluginHost) -> None:
        assert_capabilities_match_hooks(host, self.plugin_name)

    def test_the_kits_amount_is_one_the_provider_takes(self, provider: PaymentClient) -> None:
        flags = self.capabilities(provider)
        assert flags.currency(self.amount.currency) is not None, f"set `amount` in one of {flags.currencies}"
        assert self.amount.amount % self.step(provider) == 0, "set `amount` to one the provider represents exactly"

    # -- money movements ---------------------------------------------------------------------------------------

    def test_fund_returns_a_valid_operation(self, provider: PaymentClient) -> None:
        request = self.fund_request()
        operation = provider.execute(request)
        self.check_operation(provider, request, operation)
        assert operation.status is not OperationStatus.FAILED, operation.failure_reason

    def test_a_retried_request_moves_money_once(self, provider: PaymentClient) -> None:
        _, fund = self.fund(provider)
        first_part, *rest = self.parts(provider, self.releasable(provider, fund))
        release = self.release_request(provider, fund, first_part, released=Money.zero(first_part.currency))
        first = provider.execute(release)
        again = provider.execute(release)
        assert again.provider_ref == first.provider_ref, "the operation_id is the idempotency key"
        self._release_the_rest(provider, fund, first_part, rest)

    def _release_the_rest(
        self, provider: PaymentClient, fund: ProviderOperation, out: Money, rest: list[Money]
    ) -> None:
        """Release ``rest`` after ``out`` went out (each must still be there), then nothing more."""
        for index, part in enumerate(rest, start=1):
            request = self.release_request(provider, fund, part, released=out, final=index == len(rest))
            try:
                self.resolved(provider, request)
            except PaymentError as exc:
                pytest.fail(f"{part} should still be there to release, after {out} went out; refused: {exc}")
            out = out + part
        self.assert_nothing_left(provider, fund)

    def test_the_same_id_with_other_parameters_is_refused(self, provider: PaymentClient) -> None:
        _, fund = self.fund(provider)
        first_part, *rest = self.parts(provider, self.releasable(provider, fund))
        release = self.release_request(provider, fund, first_part, released=Money.zero(first_part.currency))
        self.resolved(provider, release)
        step = self.step(provider, first_part.currency)
        smaller = Money(first_part.amount - step, first_part.currency) if first_part.amount > step else None
        if smaller is not None:
            other = self.release_request(
                provider, fund, smaller, released=Money.zero(smaller.currency), operation_id=release.operation_id
            )
            self._assert_conflict(provider, other, "amount")
        as_refund = ProviderRequest(
            operation_id=release.operation_id,
            kind=OperationKind.REFUND,
            amount=first_part,
            deal_id=release.deal_id,
            reason=release.reason,
            source=self.source_of(fund, first_part),
        )
        if OperationKind.REFUND in self.capabilities(provider).kinds:
            self._assert_conflict(provider, as_refund, "kind")
        self._release_the_rest(provider, fund, first_part, rest)

    def _assert_conflict(self, provider: PaymentClient, request: ProviderRequest, field: str) -> None:
        with pytest.raises(PaymentError) as caught:
            provider.execute(request)
        error = caught.value
        assert isinstance(error, IdempotencyConflict), f"expected IdempotencyConflict, got {type(error).__name__}"
        assert error.operation_id == request.operation_id and request.operation_id in str(error)
        assert field in error.fields, f"the error names the differing fields; {field!r} is not in {error.fields}"
        assert not error.outcome_unknown

    def test_releasing_more_than_is_left_is_refused(self, provider: PaymentClient) -> None:
        _, fund = self.fund(provider)
        total = self.releasable(provider, fund)
        first_part = self.parts(provider, total)[0]
        self.resolved(provider, self.release_request(provider, fund, first_part, released=Money.zero(total.currency)))
        step = Money(self.step(provider, total.currency), total.currency)
        too_much = total - first_part + step
        # The host is not told what went out, so only the provider's own books can refuse it.
        request = self.release_request(provider, fund, too_much, released=None, final=True)
        with pytest.raises(PaymentError) as caught:
            provider.execute(request)
        assert not isinstance(caught.value, PaymentNotSupported), "the provider's own books must refuse it"
        assert caught.value.provider == self.plugin_name
        assert not caught.value.outcome_unknown

    def test_retrieve_reads_an_operation_back(self, provider: PaymentClient) -> None:
        request, done = self.fund(provider)
        for known in (done, None):
            read = provider.retrieve(request, known=known)
            self.check_operation(provider, request, read)
            assert read.provider_ref == done.provider_ref
            assert read.status is done.status

    def test_retrieving_an_unknown_operation_is_a_typed_error(self, provider: PaymentClient) -> None:
        with pytest.raises(CreatorkitError) as caught:
            provider.retrieve(self.fund_request())
        assert isinstance(caught.value, PaymentError | NotFound)

    # -- what real providers do: lost answers, pending, statuses nobody told the plugin about ------------------

    def test_a_timeout_after_success_moves_money_once(self) -> None:
        provider = self.start(PaymentScenario.TIMEOUT_AFTER_SUCCESS)
        _, fund = self.fund(provider)
        first_part, *rest = self.parts(provider, self.releasable(provider, fund))
        release = self.release_request(provider, fund, first_part, released=Money.zero(first_part.currency))
        with pytest.raises(PaymentError) as caught:
            provider.execute(release)
        assert caught.value.outcome_unknown, "the scenario's timeout must be reported as an unknown outcome"
        found = provider.retrieve(release, known=None)
        self.check_operation(provider, release, found)
        assert found.status is OperationStatus.SUCCEEDED, "the money moved before the answer was lost"
        again = provider.execute(release)
        assert again.provider_ref == found.provider_ref, "the retry with the same id returns the first movement"
        assert again.status is OperationStatus.SUCCEEDED
        self._release_the_rest(provider, fund, first_part, rest)

    def test_pending_resolves_through_retrieve(self) -> None:
        provider = self.start(PaymentScenario.PENDING_UNTIL_RETRIEVED)
        _, fund = self.fund(provider)
        first_part, *rest = self.parts(provider, self.releasable(provider, fund))
        release = self.release_request(provider, fund, first_part, released=Money.zero(first_part.currency))
        operation = provider.execute(release)
        self.check_operation(provider, release, operation)
        assert operation.status is OperationStatus.PENDING, "the scenario must make the sandbox answer pending"
        reads = 0
        while operation.status is OperationStatus.PENDING:
            reads += 1
            assert reads <= self.max_retrieves, f"still pending after {self.max_retrieves} retrieves"
            operation = provider.retrieve(release, known=operation)
            self.check_operation(provider, release, operation)
        assert operation.status is OperationStatus.SUCCEEDED
        assert provider.execute(release).provider_ref == operation.provider_ref
        self._release_the_rest(provider, fund, first_part, rest)

    def test_an_unknown_raw_status_counts_as_pending(self) -> None:
        provider = self.start(PaymentScenario.UNKNOWN_RAW_STATUS)
        request = self.fund_request()
        if OperationKind.FUND not in self.capabilities(provider).kinds:
            pytest.skip("the kit makes its first movement with fund; this provider offers none")
        for operation in (provider.execute(request), provider.retrieve(request)):
            self.check_operation(provider, request, operation)
            assert operation.raw_status == UNKNOWN_RAW_STATUS, "the scenario must make the sandbox report it"
            assert operation.status is OperationStatus.PENDING, (
                f"raw status {UNKNOWN_RAW_STATUS!r} is unknown to the plugin, so it is pending, not {operation.status}"
            )

    # -- partial releases, reversals, refunds ------------------------------------------------------------------

    def test_a_source_is_released_in_parts(self, provider: PaymentClient) -> None:
        if not self.capabilities(provider).partial_release:
            pytest.skip(f"{self.plugin_name} releases a source once (partial_release is false)")
        _, fund = self.fund(provider)
        total = self.releasable(provider, fund)
        step = self.step(provider, total.currency)
        thirds = [Money(total.amount // step // 3 * step, total.currency)] * 2
        thirds.append(total - thirds[0] - thirds[1])
        out = Money.zero(total.currency)
        for index, part in enumerate(thirds):
            request = self.release_request(provider, fund, part, released=out, final=index == 2)
            operation = self.resolved(provider, request)
            if operation.legs:
                assert sum(leg.amount.amount for leg in operation.legs) == part.amount
            out = out + part
        self.assert_nothing_left(provider, fund)

    def test_reverse_before_refund(self, provider: PaymentClient) -> None:
        flags = self.capabilities(provider)
        if not flags.refund_requires_reversal:
            pytest.skip(f"{self.plugin_name} refunds without reversing releases first")
        if not {OperationKind.REVERSE, OperationKind.REFUND} <= flags.kinds:
            pytest.skip(f"{self.plugin_name} offers no reverse or no refund")
        fund_request, fund = self.fund(provider)
        part = self.parts(provider, self.releasable(provider, fund))[0]
        release = self.release_request(provider, fund, part, released=Money.zero(part.currency))
        released = self.resolved(provider, release)

        refund = self._refund(fund_request, fund, released=part)
        self._assert_refused_before_any_call(provider, refund, "refund_requires_reversal")
        understated = self._refund(fund_request, fund, released=Money.zero(part.currency))
        with pytest.raises(PaymentError) as caught:
            provider.execute(understated)
        assert not isinstance(caught.value, PaymentNotSupported), "the provider itself knows what it released"

        reverse = ProviderRequest(
            operation_id=new_id("op"),
            kind=OperationKind.REVERSE,
            amount=part,
            deal_id=release.deal_id,
            reason="conformance: reverse a release",
            legs=release.legs,
            source=SourceReference(ref=released.provider_ref, operation_id=release.operation_id, amount=part),
        )
        self.resolved(provider, reverse)
        after = provider.retrieve(release, known=released)
        assert after.status is OperationStatus.REVERSED or after.reversed_amount == part, (
            "the reversed release says so (status reversed, or reversed_amount)"
        )
        self.resolved(provider, self._refund(fund_request, fund, released=Money.zero(part.currency)))

    def _refund(self, fund_request: ProviderRequest, fund: ProviderOperation, *, released: Money) -> ProviderRequest:
        return ProviderRequest(
            operation_id=new_id("op"),
            kind=OperationKind.REFUND,
            amount=fund.amount,
            deal_id=fund_request.deal_id,
            reason="conformance: refund the brand",
            source=self.source_of(fund, released),
        )

    # -- capability flags, honoured before any call -----------------------------------------------------------

    def _assert_refused_before_any_call(self, provider: PaymentClient, request: ProviderRequest, flag: str) -> None:
        before = len(self.calls(provider))
        with pytest.raises(PaymentError) as caught:
            provider.execute(request)
        error = caught.value
        assert isinstance(error, PaymentNotSupported), f"the host must refuse it for {flag} before any call: {error}"
        assert error.flag == flag, f"refused for {error.flag}, expected {flag}"
        if flag != "currencies":  # its limit describes the currency; every other one is the flag's value
            value = getattr(self.capabilities(provider), flag)
            expected = sorted(str(v) for v in value) if isinstance(value, frozenset) else value
            assert error.limit == expected, f"the error names {flag} = {error.limit!r}, the flag is {expected!r}"
        assert len(self.calls(provider)) == before, f"a request beyond {flag} must not reach the provider"
        assert error.provider == self.plugin_name, f"the refusal names the provider, not {error.provider!r}"
        assert error.operation_id == request.operation_id, "the refusal names the operation"
        assert not error.outcome_unknown, "a refusal before any call is an outcome: nothing moved"

    def _stand_in_source(self, amount: Money) -> SourceReference:
        # Nothing reaches the provider in these tests, so the source need not exist there.
        return SourceReference(ref="src_conformance_never_sent", amount=amount, released=Money.zero(amount.currency))

    def _release(self, provider: PaymentClient, legs: tuple[ReceiverLeg, ...], **changes: Any) -> ProviderRequest:
        amount = Money(sum(leg.amount.amount for leg in legs), legs[0].amount.currency)
        return ProviderRequest(
            operation_id=new_id("op"),
            kind=OperationKind.RELEASE,
            amount=amount,
            deal_id=new_id("deal"),
            reason="conformance: beyond the flags",
            legs=legs,
            source=changes.pop("source", self._stand_in_source(Money(amount.amount * 100, amount.currency))),
            final=changes.pop("final", True),
            **changes,
        )

    def _any_request(self, provider: PaymentClient, amount: Money) -> ProviderRequest:
        """A fund of ``amount`` where the provider funds, else a release of it to one receiver."""
        if OperationKind.FUND in self.capabilities(provider).kinds:
            return self.fund_request(amount)
        party, account = self.receivers[0]
        return self._release(
            provider, (ReceiverLeg(party_id=party, account_ref=account, amount=amount, role=LegRole.CREATOR),)
        )

    def test_a_kind_not_offered_is_refused_before_any_call(self, provider: PaymentClient) -> None:
        missing = [kind for kind in OperationKind if kind not in self.capabilities(provider).kinds]
        if not missing:
            pytest.skip(f"{self.plugin_name} offers every kind of operation")
        request = attrs.evolve(self.fund_request(), kind=missing[0])
        self._assert_refused_before_any_call(provider, request, "kinds")

    def test_a_currency_not_taken_is_refused_before_any_call(self, provider: PaymentClient) -> None:
        flags = self.capabilities(provider)
        other = next((code for code in _OTHER_CURRENCIES if flags.currency(code) is None), None)
        if other is None:
            pytest.skip(f"{self.plugin_name} takes every currency the kit would try")
        request = self._any_request(provider, Money(10 ** currency_exponent(other) * 100, other))
        self._assert_refused_before_any_call(provider, request, "currencies")

    def test_an_amount_the_provider_cannot_represent_is_refused_before_any_call(self, provider: PaymentClient) -> None:
        flags = self.capabilities(provider)
        coarse = [s for s in flags.currencies if granularity(s.currency, flags, provider=self.plugin_name) > 1]
        if not coarse:
            pytest.skip(f"{self.plugin_name} represents every amount of minor units of every currency it takes")
        currency = coarse[0].currency
        step = self.step(provider, currency)
        request = self._any_request(provider, Money(step * 1_000 + 1, currency))
        self._assert_refused_before_any_call(provider, request, "currencies")

    def test_too_many_receivers_are_refused_before_any_call(self, provider: PaymentClient) -> None:
        count = self.capabilities(provider).max_receivers + 1
        step = self.step(provider)
        legs = tuple(
            ReceiverLeg(
                party_id=f"party_{i}",
                account_ref=f"acct_conformance_{i}",
                amount=Money(step, self.amount.currency),
                role=LegRole.AGENCY if i else LegRole.CREATOR,
            )
            for i in range(count)
        )
        self._assert_refused_before_any_call(provider, self._release(provider, legs), "max_receivers")

    def test_a_hold_beyond_max_hold_days_is_refused_before_any_call(self, provider: PaymentClient) -> None:
        flags = self.capabilities(provider)
        if OperationKind.FUND not in flags.kinds:
            pytest.skip(f"{self.plugin_name} funds nothing, so it holds nothing")
        request = self.fund_request(hold_days=(flags.max_hold_days or 0) + 1)
        self._assert_refused_before_any_call(provider, request, "max_hold_days")

    def test_a_split_beyond_max_split_bp_is_refused_before_any_call(self, provider: PaymentClient) -> None:
        flags = self.capabilities(provider)
        if flags.max_split_bp is None:
            pytest.skip(f"{self.plugin_name} sets no maximum split ratio")
        step = self.step(provider)
        source_amount = Money(self.amount.amount, self.amount.currency)
        limit = split_limit(self._stand_in_source(source_amount), flags)
        assert limit is not None
        over = Money(limit.amount - limit.amount % step + step, self.amount.currency)
        legs = self.legs(provider, over, 1)
        request = self._release(provider, legs, source=self._stand_in_source(source_amount))
        self._assert_refused_before_any_call(provider, request, "max_split_bp")

    def test_a_second_release_is_refused_before_any_call_without_partial_release(self, provider: PaymentClient) -> None:
        if self.capabilities(provider).partial_release:
            pytest.skip(f"{self.plugin_name} releases sources in parts")
        step = Money(self.step(provider), self.amount.currency)
        request = self._release(provider, self.legs(provider, step, 1), final=False)
        self._assert_refused_before_any_call(provider, request, "partial_release")

    def test_splits_by_amount_are_refused_before_any_call_without_amount_splits(self, provider: PaymentClient) -> None:
        if SplitMode.AMOUNT in self.capabilities(provider).split_modes:
            pytest.skip(f"{self.plugin_name} takes splits by amount")
        step = Money(self.step(provider), self.amount.currency)
        request = self._release(provider, self.legs(provider, step, 1))
        self._assert_refused_before_any_call(provider, request, "split_modes")

    # -- currencies whose minor unit is not the cent ----------------------------------------------------------

    @pytest.mark.parametrize(("currency", "major"), [("JPY", "12345"), ("KWD", "1250.505")])
    def test_amounts_round_trip_exactly(self, provider: PaymentClient, currency: str, major: str) -> None:
        flags = self.capabilities(provider)
        if flags.currency(currency) is None:
            pytest.skip(f"{self.plugin_name} does not take {currency}")
        wanted = Money.of(major, currency)
        step = self.step(provider, currency)
        amount = Money(wanted.amount - wanted.amount % step, currency)
        request, fund = self.fund(provider, amount)
        assert fund.amount == amount and provider.retrieve(request, known=fund).amount == amount
        if fund.fee is not None and fund.net is not None and fund.fee.currency == fund.net.currency == currency:
            assert fund.fee + fund.net == amount, "fee and net add up to the amount, to the minor unit"
        part = self.parts(provider, self.releasable(provider, fund))[0]
        release = self.release_request(provider, fund, part, released=Money.zero(currency))
        operation = self.resolved(provider, release)
        if operation.legs:
            assert [leg.amount for leg in operation.legs] == [leg.amount for leg in release.legs]
