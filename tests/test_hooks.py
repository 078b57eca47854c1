"""Each stage hook is written once, as its declaration in creatorkit.hookspecs; the host reads the rest from it."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from types import ModuleType
from typing import Any, cast

import pluggy
import pytest

from creatorkit import CreatorkitError, PluginContractError, PluginHost, hookimpl, hookspecs
from creatorkit.entities import (
    Capability,
    CreatorMetrics,
    CurrencySupport,
    DiscoveryPage,
    PaymentCapabilities,
    PlatformAccount,
    PluginKind,
    PluginMetadata,
)
from creatorkit.hookspecs import declared_signature, stage
from creatorkit.host import CAPABILITY_HOOKS, CallContext, PaymentClient, PlatformClient
from creatorkit.host._clients import calls
from creatorkit.host._stages import STAGES, capability_hooks, declared_stages


def module_of(*specs: Callable[..., Any]) -> ModuleType:
    """A hookspecs module holding ``specs``, in that order."""
    module = ModuleType("more_hookspecs")
    for spec in specs:
        setattr(module, spec.__name__, spec)
    return module


class TestDeclaration:
    def test_a_stage_hook_stays_a_plain_firstresult_hookspec(self) -> None:
        spec = hookspecs.creatorkit_discover_creators
        assert inspect.isfunction(spec)
        assert getattr(spec, f"{hookspecs.PROJECT}_spec")["firstresult"] is True
        assert hookspecs.capability_of(spec) is Capability.DISCOVERY

    def test_hooks_of_no_capability_have_none(self) -> None:
        for spec in (
            hookspecs.creatorkit_plugin_metadata,
            hookspecs.creatorkit_configure,
            hookspecs.creatorkit_on_event,
        ):
            assert hookspecs.capability_of(spec) is None
            assert spec.__name__ not in STAGES

    def test_the_answer_class_is_the_return_annotation(self) -> None:
        assert STAGES["creatorkit_discover_creators"].returns is DiscoveryPage
        assert STAGES["creatorkit_fetch_creator_metrics"].returns is CreatorMetrics

    def test_a_stage_hook_must_offer_the_call_context(self) -> None:
        with pytest.raises(TypeError, match="must take context"):

            @stage(Capability.METRICS)
            def creatorkit_no_context(account: PlatformAccount) -> CreatorMetrics:  # type: ignore[empty-body]
                """A declaration that forgot the context."""

    def test_pluggy_reads_the_context_as_an_argument_implementations_may_ask_for(self) -> None:
        spec = hookspecs.creatorkit_lookup_creator
        assert inspect.signature(spec).parameters["context"].default is inspect.Parameter.empty
        assert pluggy._hooks.varnames(spec) == (("handle", "context"), ())
        assert declared_signature(spec).parameters["context"].default is None

    def test_a_stage_hook_must_answer_with_one_entity_class(self) -> None:
        @stage(Capability.METRICS)
        def creatorkit_maybe_metrics(
            account: PlatformAccount, context: CallContext | None = None
        ) -> CreatorMetrics | None:
            """Not a stage hook: the host could not check what it answers."""

        with pytest.raises(TypeError, match="creatorkit_maybe_metrics must return one entity class"):
            declared_stages(module_of(creatorkit_maybe_metrics))


class TestCapabilityTable:
    def test_it_is_read_from_the_declarations(self) -> None:
        assert capability_hooks(declared_stages(hookspecs).values()) == CAPABILITY_HOOKS
        for name, declared in STAGES.items():
            assert name in CAPABILITY_HOOKS[declared.capability]

    def test_a_new_declaration_joins_its_capability(self) -> None:
        @stage(Capability.METRICS)
        def creatorkit_fetch_batch_metrics(  # type: ignore[empty-body]
            accounts: tuple[PlatformAccount, ...], context: CallContext | None = None
        ) -> CreatorMetrics:
            """Read several accounts' metrics at once."""

        @stage(Capability.CREATOR_LOOKUP)
        def creatorkit_lookup_creators(  # type: ignore[empty-body]
            handles: tuple[str, ...], context: CallContext | None = None
        ) -> DiscoveryPage:
            """Look several creators up at once."""

        existing = hookspecs.creatorkit_fetch_creator_metrics
        module = module_of(existing, creatorkit_fetch_batch_metrics, creatorkit_lookup_creators)
        assert capability_hooks(declared_stages(module).values()) == {
            Capability.METRICS: ("creatorkit_fetch_creator_metrics", "creatorkit_fetch_batch_metrics"),
            Capability.CREATOR_LOOKUP: ("creatorkit_lookup_creators",),
        }


# -- the typed clients ---------------------------------------------------------------------------------------

CLIENTS = (PlatformClient, PaymentClient)
KIND = {PlatformClient: PluginKind.PLATFORM, PaymentClient: PluginKind.PAYMENT}
GROUP = {PlatformClient: "creatorkit.platforms", PaymentClient: "creatorkit.payments"}


def client_methods(client: type) -> dict[str, str]:
    """Each stage hook ``client`` calls, with the method that calls it (``calls()`` names a method for its hook)."""
    return {
        value.__name__: attribute
        for attribute, value in vars(client).items()
        if inspect.isfunction(value) and value.__name__ in STAGES
    }


CLIENT_METHODS = [(client, attribute, hook) for client in CLIENTS for hook, attribute in client_methods(client).items()]


class Answered(CreatorkitError):
    """Raised by every hook of :func:`client_of` naming itself; the SDK's errors reach the caller unchanged."""

    def __init__(self, hook: str) -> None:
        super().__init__(hook)
        self.hook = hook


def client_of(client: type[Any], answer: Callable[[str], object]) -> Any:
    """A ``client`` of a plugin that implements every stage hook, each answering ``answer(hook)``."""

    def implementation(hook: str) -> Callable[..., object]:
        def answer_as(self: object) -> object:
            return answer(hook)

        return hookimpl(answer_as)

    def metadata(self: object) -> PluginMetadata:
        capabilities = frozenset(CAPABILITY_HOOKS)
        # Offering payments means saying what it can do (the host checks every payment request against it).
        payments = PaymentCapabilities(currencies=(CurrencySupport(currency="USD", exponent=2),))
        return PluginMetadata(
            name="every", kind=KIND[client], display_name="every", capabilities=capabilities, payments=payments
        )

    namespace = {hook: implementation(hook) for hook in STAGES}
    host = PluginHost()
    host.register(
        type("Every", (), {**namespace, "creatorkit_plugin_metadata": hookimpl(metadata)}),
        name="every",
        group=GROUP[client],
    )
    return host.platform("every") if client is PlatformClient else host.payments("every")


def arguments_for(method: Callable[..., Any]) -> dict[str, object]:
    """A placeholder for each of the method's required arguments, by name; the host fills in the context, and an
    optional argument (one a later version added, after the context) keeps its default."""
    return {
        name: object()
        for name, parameter in inspect.signature(method).parameters.items()
        if name != "context" and parameter.default is parameter.empty
    }


class TestClients:
    def test_every_stage_hook_has_a_client_method(self) -> None:
        called = {hook for client in CLIENTS for hook in client_methods(client)}
        uncalled = [hook for hook in STAGES if hook not in called]
        assert not uncalled, (
            f"stage hooks no client calls: {uncalled}; "
            "add `<method> = calls(hookspecs.<hook>)` to PlatformClient or PaymentClient"
        )

    @pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.__name__)
    def test_a_client_calls_all_hooks_of_a_capability_or_none(self, client: type) -> None:
        methods = client_methods(client)
        for capability, hooks in CAPABILITY_HOOKS.items():
            lacking = [hook for hook in hooks if hook not in methods]
            assert len(lacking) in (0, len(hooks)), f"{client.__name__} calls {capability} hooks but not {lacking}"

    def test_the_methods_keep_their_public_names(self) -> None:
        platform = {
            "creatorkit_discover_creators": "discover_creators",
            "creatorkit_lookup_creator": "lookup_creator",
            "creatorkit_send_invitation": "send_invitation",
            "creatorkit_send_message": "send_message",
            "creatorkit_place_order": "place_order",
            "creatorkit_get_order": "get_order",
            "creatorkit_fetch_creator_metrics": "fetch_creator_metrics",
            "creatorkit_fetch_audience": "fetch_audience",
            "creatorkit_fetch_post_metrics_batch": "fetch_post_metrics_batch",
            "creatorkit_receive_webhook": "receive_webhook",
        }
        payments = {
            "creatorkit_payment_operation": "execute",
            "creatorkit_payment_retrieve": "retrieve",
            "creatorkit_receive_webhook": "receive_webhook",
        }
        assert platform.items() <= client_methods(PlatformClient).items()
        assert payments.items() <= client_methods(PaymentClient).items()
        # Contract v1's one-post call stays, answered by the batch hook (there is no one-post hook any more).
        assert "fetch_post_metrics" in vars(PlatformClient)

    @pytest.mark.parametrize(("client", "attribute", "hook"), CLIENT_METHODS)
    def test_a_method_has_its_hooks_parameters_and_declared_return_type(
        self, client: type, attribute: str, hook: str
    ) -> None:
        method, spec = getattr(client, attribute), getattr(hookspecs, hook)
        assert list(inspect.signature(method).parameters) == ["self", *inspect.signature(spec).parameters]
        assert typing.get_type_hints(method) == typing.get_type_hints(spec)
        assert typing.get_type_hints(spec)["context"] == CallContext | None  # a caller may leave it to the host
        assert typing.get_type_hints(method)["return"] is STAGES[hook].returns
        assert inspect.signature(method).parameters["context"].default is None
        assert list(inspect.signature(method).parameters) == ["self", *declared_signature(spec).parameters]

    @pytest.mark.parametrize(("client", "attribute", "hook"), CLIENT_METHODS)
    def test_a_method_calls_exactly_its_hook(self, client: type, attribute: str, hook: str) -> None:
        def raise_answered(hook: str) -> object:
            raise Answered(hook)

        method = getattr(client_of(client, raise_answered), attribute)
        with pytest.raises(Answered) as caught:
            method(**arguments_for(method))
        assert caught.value.hook == hook

    @pytest.mark.parametrize(("client", "attribute", "hook"), CLIENT_METHODS)
    def test_the_answer_must_be_the_declared_entity(self, client: type, attribute: str, hook: str) -> None:
        method = getattr(client_of(client, lambda hook: object()), attribute)
        expected = STAGES[hook].returns.__name__
        with pytest.raises(PluginContractError, match=f"returned object; expected {expected}") as caught:
            method(**arguments_for(method))
        assert caught.value.hook == hook

    def test_arguments_are_checked_as_for_any_method(self) -> None:
        client = client_of(PlatformClient, lambda hook: object())
        with pytest.raises(TypeError, match="missing 1 required positional argument: 'account'"):
            client.send_message(object())
        with pytest.raises(TypeError, match="unexpected keyword argument 'limit'"):
            client.lookup_creator("someone", limit=3)

    def test_a_call_to_a_hook_that_is_not_a_stage_is_refused(self) -> None:
        client = client_of(PlatformClient, lambda hook: object())
        with pytest.raises(ValueError, match="creatorkit_configure is not a stage hook"):
            client.host.call("every", "creatorkit_configure", settings={})

    def test_an_optional_argument_is_passed_with_its_default(self) -> None:
        calls_made: list[tuple[str, str, dict[str, object]]] = []

        class RecordingHost:
            def call(self, name: str, hook: str, /, **kwargs: object) -> object:
                calls_made.append((name, hook, kwargs))
                return None

        @stage(Capability.METRICS)
        def creatorkit_fetch_creator_metrics(  # type: ignore[empty-body]
            account: PlatformAccount, days: int = 30, context: CallContext | None = None
        ) -> CreatorMetrics:
            """The metrics hook as a later version might declare it."""

        method = calls(creatorkit_fetch_creator_metrics)
        client = PlatformClient(RecordingHost(), "echo")  # type: ignore[arg-type]
        account = cast(PlatformAccount, object())
        method(client, account)
        method(client, account, days=7)
        assert calls_made == [
            ("echo", "creatorkit_fetch_creator_metrics", {"account": account, "days": 30, "context": None}),
            ("echo", "creatorkit_fetch_creator_metrics", {"account": account, "days": 7, "context": None}),
        ]

    def test_a_keyword_only_parameter_is_refused(self) -> None:
        @stage(Capability.METRICS)
        def creatorkit_fetch_creator_metrics(  # type: ignore[empty-body]
            account: PlatformAccount, context: CallContext | None = None, *, days: int = 30
        ) -> CreatorMetrics:
            """pluggy would never pass ``days``."""

        with pytest.raises(TypeError, match=r"creatorkit_fetch_creator_metrics: .* days"):
            calls(creatorkit_fetch_creator_metrics)

    def test_only_a_declared_stage_hook_gets_a_method(self) -> None:
        with pytest.raises(TypeError, match="creatorkit_configure is not a stage hook"):
            calls(hookspecs.creatorkit_configure)
