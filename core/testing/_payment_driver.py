"""What the payment conformance kit does to a provider's sandbox: start it, switch it, fund, release, see through.

The tests themselves are in ``_payments``; this is the part a plugin author overrides (``load_plugin``,
``fund``, ``webhook``) and the vocabulary of scenarios every payment sandbox can be switched to.
"""

from __future__ import annotations

import enum
from collections.abc import Generator, Iterator, Mapping, Sequence
from importlib import metadata as importlib_metadata
from typing import Any, ClassVar

import pytest

from ..entities import (
    LegRole,
    OperationKind,
    OperationStatus,
    PaymentCapabilities,
    ProviderOperation,
    ProviderRequest,
    ReceiverLeg,
    SourceReference,
    new_id,
)
from ..errors import PaymentError, PaymentNotSupported
from ..hookspecs import hookimpl
from ..host import PaymentClient, PluginHost
from ..money import Money, allocate
from ..payments import granularity, split_limit
from ._fixtures import network_disabled, sandboxed_host
from ._platform import assert_valid_entity

__all__ = ["STANDARD_SCENARIOS", "UNKNOWN_RAW_STATUS", "PaymentSandboxDriver", "PaymentScenario"]

#: The raw status the kit asks a sandbox to answer with in :attr:`PaymentScenario.UNKNOWN_RAW_STATUS`.
UNKNOWN_RAW_STATUS = "conformance_unheard_of"


class PaymentScenario(enum.StrEnum):
    """The misbehaviours of real providers every payment sandbox can be switched to, through its settings."""

    #: The first attempt of each money movement moves the money, then raises ``PaymentError(outcome_unknown=True)``.
    TIMEOUT_AFTER_SUCCESS = "timeout_after_success"
    #: Movements answer ``pending`` and resolve to ``succeeded`` after being retrieved a few times.
    PENDING_UNTIL_RETRIEVED = "pending_until_retrieved"
    #: Movements report :data:`UNKNOWN_RAW_STATUS` as their raw status.
    UNKNOWN_RAW_STATUS = "unknown_raw_status"


#: The settings that switch a sandbox to each scenario, merged into ``settings`` (a table one level deep is merged).
STANDARD_SCENARIOS: Mapping[PaymentScenario, Mapping[str, Any]] = {
    PaymentScenario.TIMEOUT_AFTER_SUCCESS: {"sandbox": {"timeout_after_success": True}},
    PaymentScenario.PENDING_UNTIL_RETRIEVED: {"sandbox": {"pending_retrieves": 2}},
    PaymentScenario.UNKNOWN_RAW_STATUS: {"sandbox": {"raw_status": UNKNOWN_RAW_STATUS}},
}

_RECORDER = "conformance_call_recorder"


class _CallRecorder:
    """A wrapper that notes every payment request that reaches the plugin (a refused one must not)."""

    def __init__(self) -> None:
        self.requests: list[ProviderRequest] = []

    @hookimpl(wrapper=True)
    def creatorkit_payment_operation(
        self, request: ProviderRequest
    ) -> Generator[None, ProviderOperation, ProviderOperation]:
        self.requests.append(request)
        return (yield)


class PaymentSandboxDriver:
    """The plugin under test in a sandbox, and the requests the kit builds for it; subclassed by the contract."""

    #: The entry-point name in ``creatorkit.payments``.
    plugin_name: ClassVar[str]
    #: The plugin's table as it would appear in creatorkit.toml.
    settings: ClassVar[Mapping[str, Any]] = {}
    #: The settings that switch your sandbox to each scenario (merged into ``settings``).
    scenarios: ClassVar[Mapping[PaymentScenario, Mapping[str, Any]]] = STANDARD_SCENARIOS
    #: An amount the sandbox accepts, in a currency it takes, that the kit funds and releases.
    amount: ClassVar[Money] = Money(10_000, "USD")
    #: Receivers the sandbox knows, as (party id, account at the provider): the creator first, then the agency.
    receivers: ClassVar[Sequence[tuple[str, str]]] = (
        ("creator_conformance", "acct_creator_conformance"),
        ("agency_conformance", "acct_agency_conformance"),
    )
    #: How many retrieves a pending movement may take to resolve in the pending scenario.
    max_retrieves: ClassVar[int] = 5

    # -- setting the plugin up ---------------------------------------------------------------------------------

    def load_plugin(self) -> object:
        """The plugin object, from its installed entry point (override to test an object not installed)."""
        entry_points = list(importlib_metadata.entry_points(group="creatorkit.payments", name=self.plugin_name))
        assert entry_points, f"no entry point named {self.plugin_name!r} in creatorkit.payments; is it installed?"
        return entry_points[0].load()

    def start(self, scenario: PaymentScenario | None = None) -> PaymentClient:
        """A fresh host with the plugin in sandbox mode (switched to ``scenario``) and a call recorder."""
        settings = dict(self.settings)
        if scenario is not None:
            assert scenario in self.scenarios, (
                f"the kit needs the settings that switch the sandbox to {scenario}: add them to `scenarios`"
            )
            for key, value in self.scenarios[scenario].items():
                given = settings.get(key)
                settings[key] = (
                    {**given, **value} if isinstance(given, Mapping) and isinstance(value, Mapping) else value
                )
        host = sandboxed_host(self.plugin_name, "creatorkit.payments", settings, plugin=self.load_plugin())
        host.add_wrapper(_CallRecorder(), name=_RECORDER)
        return host.payments(self.plugin_name)

    @pytest.fixture(autouse=True)
    def _offline(self) -> Iterator[None]:
        with network_disabled():
            yield

    @pytest.fixture
    def provider(self) -> PaymentClient:
        return self.start()

    @pytest.fixture
    def host(self, provider: PaymentClient) -> PluginHost:
        return provider.host

    def webhook(self) -> tuple[Mapping[str, str], bytes] | None:
        """Override to return a correctly signed (headers, body) from your sandbox, if you offer webhooks."""
        return None

    # -- building requests -------------------------------------------------------------------------------------

    @staticmethod
    def capabilities(provider: PaymentClient) -> PaymentCapabilities:
        flags = provider.metadata.payments
        assert flags is not None, "a payment provider states its PaymentCapabilities in PluginMetadata.payments"
        return flags

    def step(self, provider: PaymentClient, currency: str | None = None) -> int:
        """The smallest amount, in ISO minor units, the provider represents in ``currency``."""
        return granularity(currency or self.amount.currency, self.capabilities(provider), provider=self.plugin_name)

    @staticmethod
    def calls(provider: PaymentClient) -> list[ProviderRequest]:
        """The payment requests that reached the plugin through ``provider``'s host."""
        recorder = provider.host.pm.get_plugin(_RECORDER)
        assert isinstance(recorder, _CallRecorder)
        return recorder.requests

    def fund_request(self, amount: Money | None = None, **changes: Any) -> ProviderRequest:
        return ProviderRequest(
            operation_id=new_id("op"),
            kind=OperationKind.FUND,
            amount=amount or self.amount,
            deal_id=changes.pop("deal_id", new_id("deal")),
            reason="conformance: fund a deal",
            **changes,
        )

    def fund(self, provider: PaymentClient, amount: Money | None = None) -> tuple[ProviderRequest, ProviderOperation]:
        """A funded source to release from: the request and its resolved operation.

        Override if your provider takes its funds some other way (a paid order made outside the plugin).
        """
        assert OperationKind.FUND in self.capabilities(provider).kinds, "override fund() for a provider without fund"
        request = self.fund_request(amount)
        return request, self.resolved(provider, request)

    def resolved(self, provider: PaymentClient, request: ProviderRequest) -> ProviderOperation:
        """Execute ``request`` and see it through: retry an unknown outcome with the same id, retrieve a pending one."""
        try:
            operation = provider.execute(request)
        except PaymentError as exc:
            if not exc.outcome_unknown:
                raise
            try:
                operation = provider.execute(request)
            except PaymentError as again:
                if again.outcome_unknown:
                    pytest.fail(f"retrying {request.operation_id} after an unknown outcome was unknown again: {again}")
                raise
        for _ in range(self.max_retrieves):
            if operation.status.resolved:
                break
            operation = provider.retrieve(request, known=operation)
        self.check_operation(provider, request, operation)
        assert operation.status is OperationStatus.SUCCEEDED, (
            f"{request.kind} {request.operation_id} is {operation.status} ({operation.raw_status}) "
            f"after {self.max_retrieves} retrieves"
        )
        return operation

    def check_operation(self, provider: PaymentClient, request: ProviderRequest, operation: ProviderOperation) -> None:
        """What holds for every operation a provider answers with."""
        assert operation.provider == self.plugin_name
        assert operation.operation_id == request.operation_id
        assert operation.kind is request.kind
        assert operation.amount == request.amount, f"asked {request.amount}, answered {operation.amount}"
        assert operation.provider_ref, "the provider's id of what it made"
        assert operation.raw_status, "the provider's own status word is kept"
        assert_valid_entity(operation)

    def releasable(self, provider: PaymentClient, fund: ProviderOperation) -> Money:
        """What may be released from a fresh ``fund`` in all: its net, within the split ratio, in whole steps."""
        source = self.source_of(fund)
        net = fund.net if fund.net is not None and fund.net.currency == fund.amount.currency else fund.amount
        limit = split_limit(source, self.capabilities(provider))
        most = min(net.amount, limit.amount) if limit is not None else net.amount
        step = self.step(provider, fund.amount.currency)
        return Money(most - most % step, fund.amount.currency)

    def source_of(self, fund: ProviderOperation, released: Money | None = None) -> SourceReference:
        fee = fund.fee if fund.fee is not None and fund.fee.currency == fund.amount.currency else None
        return SourceReference(
            ref=fund.provider_ref, operation_id=fund.operation_id, amount=fund.amount, fee=fee, released=released
        )

    def legs(self, provider: PaymentClient, amount: Money, receivers: int | None = None) -> tuple[ReceiverLeg, ...]:
        """``amount`` split among the known receivers (85 to the creator, 15 to each other), each in whole steps."""
        count = receivers or min(len(self.receivers), self.capabilities(provider).max_receivers)
        step = self.step(provider, amount.currency)
        steps = amount.amount // step
        assert steps * step == amount.amount and steps >= count, f"{amount} does not split into {count} legs"
        weights = [85, *[15] * (count - 1)]
        parts = allocate(steps, weights)
        roles = [LegRole.CREATOR, *([LegRole.AGENCY] * (count - 1))]
        known = list(self.receivers) + [
            (f"party_{i}", f"acct_conformance_{i}") for i in range(len(self.receivers), count)
        ]
        return tuple(
            ReceiverLeg(party_id=party, account_ref=account, amount=Money(part * step, amount.currency), role=role)
            for (party, account), part, role in zip(known, parts, roles, strict=False)
        )

    def release_request(
        self,
        provider: PaymentClient,
        fund: ProviderOperation,
        amount: Money,
        *,
        released: Money | None,
        final: bool = False,
        **changes: Any,
    ) -> ProviderRequest:
        """A release of ``amount`` from ``fund``; ``released`` is what the host is told went out (``None``: nothing)."""
        if not self.capabilities(provider).partial_release:
            final = True  # without partial releases every release is the last
        return ProviderRequest(
            operation_id=changes.pop("operation_id", new_id("op")),
            kind=OperationKind.RELEASE,
            amount=amount,
            deal_id=changes.pop("deal_id", new_id("deal")),
            reason=changes.pop("reason", "conformance: release a milestone"),
            legs=changes.pop("legs", None) or self.legs(provider, amount),
            source=self.source_of(fund, released),
            final=final,
            **changes,
        )

    def parts(self, provider: PaymentClient, total: Money) -> list[Money]:
        """``total`` as the releases the kit makes: two halves where partial releases are allowed, else one."""
        if not self.capabilities(provider).partial_release:
            return [total]
        step = self.step(provider, total.currency)
        first = total.amount // step // 2 * step
        return [Money(first, total.currency), Money(total.amount - first, total.currency)]

    def assert_nothing_left(self, provider: PaymentClient, fund: ProviderOperation) -> None:
        """One step more from ``fund`` is refused by the provider itself (the host is not told what went out)."""
        step = Money(self.step(provider, fund.amount.currency), fund.amount.currency)
        request = self.release_request(
            provider, fund, step, released=None, final=True, legs=self.legs(provider, step, 1)
        )
        with pytest.raises(PaymentError) as caught:
            provider.execute(request)
        assert not isinstance(caught.value, PaymentNotSupported), (
            f"the host refused ({caught.value}); the provider's own books must refuse a release beyond the source"
        )
        assert not caught.value.outcome_unknown, "a refusal is an outcome: nothing moved"
        assert caught.value.provider == self.plugin_name
