"""Typed clients: the stage hooks of one plugin as methods, for the workflow code to call.

A client method is one line, ``discover_creators = calls(hookspecs.creatorkit_discover_creators)``: it names the
method and the hook it calls, nothing more. The rest comes from the hook's declaration in
:mod:`creatorkit.hookspecs`: the method takes the spec's parameters and returns the spec's return type (mypy
sees both, through ``ParamSpec``), the host checks the plugin's answer against that type, and a call to a
plugin without the hook's capability is refused with :class:`~creatorkit.errors.CapabilityMissing`.

Why the line has to exist: a type checker knows only the attributes a class body states, so methods made from
the declarations at runtime (a loop of ``setattr``, a ``__getattr__``) would be ``Any`` to mypy; and a method's
public name is not always its hook's (``PaymentClient.execute`` calls ``creatorkit_payment_operation``).
tests/test_hooks.py names any declared stage hook that no client calls.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from .. import hookspecs
from .._call_context import CallContext
from ..entities import (
    Capability,
    Period,
    PluginMetadata,
    PostMetrics,
    PostMetricsBatch,
    PostMetricsRequest,
    ProviderOperation,
    PublishedPost,
)
from ..errors import PluginContractError
from ._stages import STAGES

if TYPE_CHECKING:
    from ._host import PluginHost

__all__ = ["PaymentClient", "PlatformClient"]

P = ParamSpec("P")
R = TypeVar("R")


class _Client:
    """One plugin, reached through its host."""

    def __init__(self, host: PluginHost, name: str) -> None:
        self.host = host
        self.name = name

    @property
    def metadata(self) -> PluginMetadata:
        return self.host.metadata(self.name)

    def supports(self, capability: Capability) -> bool:
        return capability in self.metadata.capabilities


def calls(spec: Callable[P, R]) -> Callable[Concatenate[_Client, P], R]:
    """The client method that calls the stage hook ``spec`` on the client's own plugin, with ``spec``'s parameters.

    The method is written out as source and compiled, the way ``dataclasses`` writes ``__init__``: so it takes
    exactly the spec's parameters (Python itself refuses a missing or unexpected argument, and ``help()`` shows
    them), and a call costs what a hand-written method costs. A ``*args`` wrapper that maps positions to names
    costs about a microsecond more per call: more than the facade's whole overhead over a raw pluggy call.
    """
    stage = STAGES.get(spec.__name__)
    if stage is None:
        raise TypeError(f"{spec.__name__} is not a stage hook declared with @stage in creatorkit.hookspecs")
    parameters = hookspecs.declared_signature(spec).parameters.values()
    passed = ", ".join(f"{p.name}={p.name}" for p in parameters)
    source = (
        f"def {stage.hook}({_parameter_list(stage.hook, parameters)}):\n"
        f"    return self.host.call(self.name, {stage.hook!r}, {passed})\n"
    )
    namespace: dict[str, Any] = {
        "__name__": __name__,
        "defaults": {p.name: p.default for p in parameters if p.default is not p.empty},
    }
    exec(compile(source, f"<client method for {stage.hook}>", "exec"), namespace)
    function = namespace[stage.hook]
    function.__annotations__ = typing.get_type_hints(spec)
    function.__doc__ = f"Call ``{stage.hook}`` on this client's plugin only (capability ``{stage.capability}``)."
    method: Callable[Concatenate[_Client, P], R] = function
    return method


def _parameter_list(hook: str, parameters: Iterable[inspect.Parameter]) -> str:
    """``self`` and the spec's parameters, each default taken from the spec."""
    words = ["self"]
    for p in parameters:
        if p.kind is not p.POSITIONAL_OR_KEYWORD:
            # pluggy sees only these: it calls every hook by keyword, and ignores *args, **kwargs and keyword-only.
            raise TypeError(f"{hook}: a hookspec's parameters are plain named ones, so {p} cannot be one")
        words.append(p.name if p.default is p.empty else f"{p.name}=defaults[{p.name!r}]")
    return ", ".join(words)


class PlatformClient(_Client):
    """Typed calls to one platform plugin; each raises CapabilityMissing if the platform lacks the stage."""

    discover_creators = calls(hookspecs.creatorkit_discover_creators)
    lookup_creator = calls(hookspecs.creatorkit_lookup_creator)
    send_invitation = calls(hookspecs.creatorkit_send_invitation)
    get_invitation = calls(hookspecs.creatorkit_get_invitation)
    send_message = calls(hookspecs.creatorkit_send_message)
    place_order = calls(hookspecs.creatorkit_place_order)
    get_order = calls(hookspecs.creatorkit_get_order)
    authorize_usage = calls(hookspecs.creatorkit_authorize_usage)
    get_usage_right = calls(hookspecs.creatorkit_get_usage_right)
    revoke_usage_right = calls(hookspecs.creatorkit_revoke_usage_right)
    import_records = calls(hookspecs.creatorkit_import_records)
    fetch_creator_metrics = calls(hookspecs.creatorkit_fetch_creator_metrics)
    fetch_audience = calls(hookspecs.creatorkit_fetch_audience)
    fetch_post_metrics_batch = calls(hookspecs.creatorkit_fetch_post_metrics_batch)
    receive_webhook = calls(hookspecs.creatorkit_receive_webhook)

    def fetch_post_metrics(
        self, post: PublishedPost, context: CallContext | None = None, period: Period | None = None
    ) -> PostMetrics:
        """One post's metrics, as contract v1's ``fetch_post_metrics`` gave them: a batch of one.

        The platform's error for the post (an unknown post is :class:`~creatorkit.errors.NotFound`) is raised.
        """
        request = PostMetricsRequest(posts=(post,), period=period)
        batch: PostMetricsBatch = self.host.call(
            self.name, "creatorkit_fetch_post_metrics_batch", request=request, context=context
        )
        result = batch.result_for(post.platform_post_id)
        assert result is not None  # the host refuses a batch that leaves an asked-for post out
        if result.metrics is None:
            assert result.error is not None
            raise result.error.to_exception(self.name, post.platform_post_id, what="post")
        return result.metrics

    authorization_url = calls(hookspecs.creatorkit_authorization_url)
    exchange_code = calls(hookspecs.creatorkit_exchange_code)
    refresh_tokens = calls(hookspecs.creatorkit_refresh_tokens)
    revoke_tokens = calls(hookspecs.creatorkit_revoke_tokens)


class PaymentClient(_Client):
    """Typed calls to one payment provider plugin; ``execute`` refuses a request beyond the provider's flags.

    ``list_movements`` (capability ``payment_listing``, which not every provider has) pages through what the
    provider holds; :meth:`movements` reads every page.
    """

    execute = calls(hookspecs.creatorkit_payment_operation)
    retrieve = calls(hookspecs.creatorkit_payment_retrieve)
    list_movements = calls(hookspecs.creatorkit_payment_list)
    receive_webhook = calls(hookspecs.creatorkit_receive_webhook)

    def movements(
        self, since: datetime | None = None, context: CallContext | None = None
    ) -> Iterator[ProviderOperation]:
        """Every movement the provider lists since ``since``, page after page.

        A cursor handed out twice would page forever: that breaks the contract, and is raised as
        :class:`~creatorkit.errors.PluginContractError`.
        """
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            page = self.list_movements(since=since, cursor=cursor, context=context)
            yield from page.operations
            cursor = page.next_cursor
            if cursor is None:
                return
            if cursor in seen:
                raise PluginContractError(
                    self.name, "creatorkit_payment_list", f"handed out the cursor {cursor!r} twice: it pages forever"
                )
            seen.add(cursor)
