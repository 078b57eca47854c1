"""The conformance suite for payment providers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import metadata as importlib_metadata
from typing import ClassVar

import pytest

from ..config import Mode, PluginSettings
from ..entities import Capability, OperationKind, OperationStatus, PluginKind, ProviderRequest, new_id
from ..errors import CreatorkitError, NotFound, PaymentError
from ..host import PaymentClient, PluginHost
from ..money import Money
from ._fixtures import network_disabled
from ._platform import assert_capabilities_match_hooks, assert_valid_entity
from ._webhooks import PaymentWebhookContract

__all__ = ["PaymentProviderContract"]


class PaymentProviderContract(PaymentWebhookContract):
    """Subclass with ``plugin_name`` (and what your sandbox needs) to run the payment provider contract suite.

    Besides the shapes of outputs it checks the two promises money movement rests on: a retried request with the
    same ``operation_id`` never moves money twice, and a release beyond what is held is refused with a
    :class:`~creatorkit.errors.PaymentError`, not silently clipped. A provider that offers webhooks also overrides
    ``webhook_delivery`` and ``webhook_deliveries_for``: see :class:`~creatorkit.testing.PaymentWebhookContract`.
    """

    #: The entry-point name in ``creatorkit.payments``.
    plugin_name: ClassVar[str]
    settings: ClassVar[Mapping[str, object]] = {}
    #: An amount the sandbox accepts, in a currency it supports.
    amount: ClassVar[Money] = Money(10_000, "USD")
    payee_id: ClassVar[str] = "creator_conformance"

    @pytest.fixture
    def host(self) -> Iterator[PluginHost]:
        entry_points = list(importlib_metadata.entry_points(group="creatorkit.payments", name=self.plugin_name))
        assert entry_points, f"no entry point named {self.plugin_name!r} in creatorkit.payments; is it installed?"
        host = PluginHost(validate_outputs=True)
        settings = PluginSettings(
            name=self.plugin_name, section="payments", mode=Mode.SANDBOX, settings=dict(self.settings)
        )
        with network_disabled():
            host.register(entry_points[0].load(), name=self.plugin_name, group="creatorkit.payments", settings=settings)
            yield host

    @pytest.fixture
    def provider(self, host: PluginHost) -> PaymentClient:
        return host.payments(self.plugin_name)

    def request(self, kind: OperationKind, deal_id: str, amount: Money | None = None) -> ProviderRequest:
        return ProviderRequest(
            operation_id=new_id("op"),
            kind=kind,
            amount=amount or self.amount,
            deal_id=deal_id,
            payee_id=self.payee_id if kind in (OperationKind.RELEASE, OperationKind.PAYOUT) else None,
        )

    # -- metadata ----------------------------------------------------------------------------------------------

    def test_metadata_names_the_provider(self, provider: PaymentClient) -> None:
        meta = provider.metadata
        assert meta.name == self.plugin_name
        assert meta.kind is PluginKind.PAYMENT
        assert Capability.PAYMENTS in meta.capabilities, "a payment provider offers the payments stage"
        assert_valid_entity(meta)

    def test_capabilities_match_hooks(self, host: PluginHost) -> None:
        assert_capabilities_match_hooks(host, self.plugin_name)

    # -- money movements ---------------------------------------------------------------------------------------

    def test_fund_returns_a_valid_operation(self, provider: PaymentClient) -> None:
        request = self.request(OperationKind.FUND, new_id("deal"))
        operation = provider.execute(request)
        assert operation.provider == self.plugin_name
        assert operation.operation_id == request.operation_id
        assert operation.kind is OperationKind.FUND
        assert operation.amount == request.amount
        assert operation.provider_ref
        assert_valid_entity(operation)

    def test_a_retried_request_moves_money_once(self, provider: PaymentClient) -> None:
        deal = new_id("deal")
        provider.execute(self.request(OperationKind.FUND, deal))
        release = self.request(OperationKind.RELEASE, deal)
        first = provider.execute(release)
        again = provider.execute(release)
        assert again.provider_ref == first.provider_ref, "the operation_id is the idempotency key"
        # Had the retry moved money again, nothing would be left to release now.
        with pytest.raises(PaymentError):
            provider.execute(self.request(OperationKind.RELEASE, deal, Money(1, self.amount.currency)))

    def test_releasing_more_than_is_held_is_refused(self, provider: PaymentClient) -> None:
        deal = new_id("deal")
        provider.execute(self.request(OperationKind.FUND, deal))
        too_much = Money(self.amount.amount + 1, self.amount.currency)
        with pytest.raises(PaymentError) as caught:
            provider.execute(self.request(OperationKind.RELEASE, deal, too_much))
        assert caught.value.provider == self.plugin_name

    def test_status_reads_an_operation_back(self, provider: PaymentClient) -> None:
        request = self.request(OperationKind.FUND, new_id("deal"))
        done = provider.execute(request)
        read = provider.status(request.operation_id)
        assert read.provider_ref == done.provider_ref
        assert read.status in (OperationStatus.PENDING, OperationStatus.SUCCEEDED, OperationStatus.FAILED)
        assert_valid_entity(read)

    def test_an_unknown_operation_is_a_typed_error(self, provider: PaymentClient) -> None:
        with pytest.raises(CreatorkitError) as caught:
            provider.status("op_that_was_never_submitted")
        assert isinstance(caught.value, PaymentError | NotFound)
