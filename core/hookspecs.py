"""Hook specifications: the contract between creatorkit and its plugins.

A plugin implements the hooks of the stages it supports, marks each with :data:`hookimpl`, and declares those
stages as capabilities in :func:`creatorkit_plugin_metadata`. The core never calls ``pm.hook`` directly: the
facade in :mod:`creatorkit.host` routes a call aimed at one platform to that platform's implementation only
(plus cross-cutting wrappers), checks what comes back, and turns stray exceptions into typed errors.

Rules that keep the contract growable (see docs/plugins.md):

* arguments are passed by keyword; an implementation may accept fewer arguments than the spec names;
* new arguments are only ever added as optional, so existing plugins keep working;
* a stage hook is declared once, with ``@stage(capability)``: that is all the core needs to check and call it;
* stage hooks are ``firstresult``: exactly one plugin answers a targeted call;
* a plugin raises the SDK's typed errors (:class:`~creatorkit.errors.PlatformError` and its subclasses,
  :class:`~creatorkit.errors.PaymentError`); anything else is reported as a contract breach.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

# Imported for real, not only for the type checker: the host resolves each stage hook's return annotation to
# the entity class it checks answers against.
from .entities import (
    AudienceProfile,
    Capability,
    CreatorCandidate,
    CreatorMetrics,
    DiscoveryPage,
    DiscoveryQuery,
    Event,
    Invitation,
    Message,
    OutreachReceipt,
    PlatformAccount,
    PlatformOrder,
    PlatformOrderRequest,
    PluginMetadata,
    PostMetrics,
    ProviderOperation,
    ProviderRequest,
    PublishedPost,
    WebhookNotice,
)

if TYPE_CHECKING:
    from .host._host import PluginContext

__all__ = ["PROJECT", "capability_of", "hookimpl", "hookspec", "stage"]

#: The pluggy project name; every hook is called ``creatorkit_<name>``.
PROJECT = "creatorkit"

#: Decorator for the hooks that belong to no capability (stage hooks are declared with :func:`stage`).
hookspec = pluggy.HookspecMarker(PROJECT)
#: Decorator for plugin hook implementations: ``@creatorkit.hookimpl``.
hookimpl = pluggy.HookimplMarker(PROJECT)

_Spec = TypeVar("_Spec", bound=Callable[..., Any])
# Set on a stage hook's spec, next to the ``creatorkit_spec`` attribute pluggy's marker sets.
_CAPABILITY_ATTRIBUTE = f"{PROJECT}_capability"


def stage(capability: Capability) -> Callable[[_Spec], _Spec]:
    """Declare a stage hook: a ``firstresult`` hookspec that belongs to ``capability``.

    The declaration is the only place a stage hook is written down. From it the host takes the hook's place in
    ``creatorkit.host.CAPABILITY_HOOKS``, the entity class every answer is checked against (the return
    annotation), and the parameters of the typed client method that calls it.
    """

    def declare(spec: _Spec) -> _Spec:
        setattr(spec, _CAPABILITY_ATTRIBUTE, capability)
        return hookspec(firstresult=True)(spec)

    return declare


def capability_of(spec: Callable[..., Any]) -> Capability | None:
    """The capability a hook was declared with by :func:`stage`; ``None`` for a hook that belongs to none."""
    capability = getattr(spec, _CAPABILITY_ATTRIBUTE, None)
    return capability if isinstance(capability, Capability) else None


# -- metadata and configuration ------------------------------------------------------------------------------


@hookspec(firstresult=True)
def creatorkit_plugin_metadata() -> PluginMetadata:  # type: ignore[empty-body]
    """Describe the plugin: its name, kind, capabilities and the settings it accepts.

    Every plugin implements this hook. ``name`` must equal the entry-point name the plugin is registered
    under, ``kind`` must match its entry-point group (``platform`` for ``creatorkit.platforms``, ``payment``
    for ``creatorkit.payments``), and ``capabilities`` must list exactly the stages whose hooks it
    implements. ``missing`` explains, per stage the platform cannot do, what to use instead.

    :return: a :class:`~creatorkit.entities.PluginMetadata`.

    .. versionadded:: 0.1
    """


@hookspec
def creatorkit_configure(settings: Mapping[str, Any], context: PluginContext) -> None:
    """Receive the plugin's own settings once, after loading and before any stage hook is called.

    :param settings: the plugin's table from ``creatorkit.toml`` with environment variables substituted,
        already validated against ``settings_schema`` from the metadata. ``enabled`` and ``mode`` are removed.
    :param context: the plugin's name and mode (``live`` or ``sandbox``); in ``sandbox`` mode a platform plugin
        must answer from its sandbox transport and never open a network connection.
    :raises ConfigError: when the settings are unusable (name the key).

    .. versionadded:: 0.1
    """


# -- discovery -------------------------------------------------------------------------------------------------


@stage(Capability.DISCOVERY)
def creatorkit_discover_creators(query: DiscoveryQuery) -> DiscoveryPage:  # type: ignore[empty-body]
    """Search the platform's creator marketplace.

    The facade fans a discovery out to every enabled platform concurrently; each answers for itself.

    :param query: filters; ignore those the platform cannot apply, honour ``limit`` and ``cursor``.
    :return: one :class:`~creatorkit.entities.DiscoveryPage` whose ``platform`` is the plugin's name.

    .. versionadded:: 0.1
    """


@stage(Capability.CREATOR_LOOKUP)
def creatorkit_lookup_creator(handle: str) -> CreatorCandidate:  # type: ignore[empty-body]
    """Fetch one creator's page by handle: profile, rate card, metrics, audience.

    :param handle: the creator's handle on this platform, without ``@``.
    :return: a :class:`~creatorkit.entities.CreatorCandidate`.
    :raises NotFound: when the platform knows no such creator.

    .. versionadded:: 0.1
    """


# -- outreach --------------------------------------------------------------------------------------------------


@stage(Capability.OUTREACH)
def creatorkit_send_invitation(invitation: Invitation, account: PlatformAccount) -> OutreachReceipt:  # type: ignore[empty-body]
    """Send a collaboration invitation through the platform.

    :param invitation: the rendered invitation (body, subject, deadline).
    :param account: the creator's account on this platform.
    :return: an :class:`~creatorkit.entities.OutreachReceipt` with the platform's reference.

    .. versionadded:: 0.1
    """


@stage(Capability.OUTREACH)
def creatorkit_send_message(message: Message, account: PlatformAccount) -> OutreachReceipt:  # type: ignore[empty-body]
    """Send a message in a deal's thread through the platform.

    :param message: the outbound message.
    :param account: the creator's account on this platform.
    :return: an :class:`~creatorkit.entities.OutreachReceipt`.

    .. versionadded:: 0.1
    """


# -- contracting -----------------------------------------------------------------------------------------------


@stage(Capability.CONTRACTING)
def creatorkit_place_order(request: PlatformOrderRequest) -> PlatformOrder:  # type: ignore[empty-body]
    """Place an agreed collaboration on the platform's marketplace as an order or campaign.

    :param request: the deal, brand, creator handles and deliverables that were agreed.
    :return: the :class:`~creatorkit.entities.PlatformOrder` the platform created.

    .. versionadded:: 0.1
    """


@stage(Capability.CONTRACTING)
def creatorkit_get_order(order_id: str) -> PlatformOrder:  # type: ignore[empty-body]
    """Read an order's current state back from the platform.

    :param order_id: the platform's order id.
    :return: a :class:`~creatorkit.entities.PlatformOrder`.

    .. versionadded:: 0.1
    """


# -- metrics ---------------------------------------------------------------------------------------------------


@stage(Capability.METRICS)
def creatorkit_fetch_creator_metrics(account: PlatformAccount) -> CreatorMetrics:  # type: ignore[empty-body]
    """Read an account's core performance metrics.

    Every rate states its denominator, window, source and ``as_of``.

    :param account: the creator's account on this platform.
    :return: :class:`~creatorkit.entities.CreatorMetrics`.

    .. versionadded:: 0.1
    """


@stage(Capability.AUDIENCE)
def creatorkit_fetch_audience(account: PlatformAccount) -> AudienceProfile:  # type: ignore[empty-body]
    """Read an account's audience demographics.

    :param account: the creator's account on this platform.
    :return: :class:`~creatorkit.entities.AudienceProfile` with source, sample size and ``as_of`` per dimension.

    .. versionadded:: 0.1
    """


@stage(Capability.POST_METRICS)
def creatorkit_fetch_post_metrics(post: PublishedPost) -> PostMetrics:  # type: ignore[empty-body]
    """Read what a published post did so far.

    :param post: the published post (its platform id).
    :return: :class:`~creatorkit.entities.PostMetrics`.

    .. versionadded:: 0.1
    """


# -- payments --------------------------------------------------------------------------------------------------


@stage(Capability.PAYMENTS)
def creatorkit_payment_operation(request: ProviderRequest) -> ProviderOperation:  # type: ignore[empty-body]
    """Ask a payment provider to move money: fund, release, reverse, refund or pay out.

    ``request.operation_id`` is stored by the core before this call and must be sent to the provider as its
    idempotency key, so that a retried call never moves money twice. The same id with other parameters is an
    :class:`~creatorkit.errors.IdempotencyConflict` naming the fields that differ. Before the call the host has
    checked the request against the plugin's ``PluginMetadata.payments`` flags; the provider checks everything
    else (balances, receivers, its own limits).

    :param request: the movement: ``kind``, ``amount``, receiver ``legs``, the ``source`` the money comes from,
        a ``reason``; amounts are ISO minor units (convert with :func:`creatorkit.payments.to_provider_units`).
    :return: the provider's :class:`~creatorkit.entities.ProviderOperation`, possibly ``pending`` or
        ``requires_action``, with the provider's ``raw_status`` (unknown ones map to ``pending``).
    :raises PaymentError: when the provider refuses; with ``outcome_unknown=True`` when the request may have
        moved money without the plugin learning so (a timeout, a lost connection): the core then calls
        :func:`creatorkit_payment_retrieve` or retries with the same id, never a new one.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 receiver legs, a source, a reason; raw status, fees, next action, per-leg results.
    """


@stage(Capability.PAYMENTS)
def creatorkit_payment_retrieve(  # type: ignore[empty-body]
    request: ProviderRequest, known: ProviderOperation | None = None
) -> ProviderOperation:
    """Re-read a money movement's state from the provider, from the request that was submitted.

    The whole request is given because not every provider can be asked by idempotency key: Stripe finds a
    transfer by its id (``known.provider_ref``) or by listing the ``transfer_group`` and matching the
    operation id kept in its metadata; WeChat Pay queries a split by ``out_order_no`` together with the
    order's ``transaction_id`` (``request.source.ref``).

    :param request: the request as it was submitted with ``request.operation_id``.
    :param known: the last :class:`~creatorkit.entities.ProviderOperation` the core holds for it, if any
        (none after a call that ended with ``outcome_unknown``).
    :return: the provider's current :class:`~creatorkit.entities.ProviderOperation`.
    :raises NotFound: when the provider can say for certain that no such operation exists (then retrying
        with the same id is safe).
    :raises PaymentError: with ``outcome_unknown=True`` when it cannot tell yet (a search that lags behind
        writes); :class:`~creatorkit.errors.IdempotencyConflict` when the provider's record differs from
        ``request``.

    .. versionadded:: 0.2
    """


@hookspec(
    warn_on_impl=DeprecationWarning(
        "creatorkit_payment_status(operation_id) is replaced by creatorkit_payment_retrieve(request, known) in "
        "plugin contract v2; see 'Payment providers (contract v2)' in docs/plugins.md"
    )
)
def creatorkit_payment_status(operation_id: str) -> ProviderOperation:  # type: ignore[empty-body]
    """Deprecated: never called. A plugin that still implements it is warned at registration.

    Contract v1 re-read an operation by its id alone, which Stripe cannot answer (it finds objects by their own
    id or by metadata, not by idempotency key). Implement :func:`creatorkit_payment_retrieve` instead.

    .. versionadded:: 0.1
    .. deprecated:: 0.2 replaced by :func:`creatorkit_payment_retrieve`.
    """


# -- webhooks and events ---------------------------------------------------------------------------------------


@stage(Capability.WEBHOOKS)
def creatorkit_parse_webhook(headers: Mapping[str, str], body: bytes) -> WebhookNotice:  # type: ignore[empty-body]
    """Verify a webhook from raw bytes and reduce it to a notice.

    :param headers: the HTTP headers as received (case-insensitive lookups are the plugin's job).
    :param body: the raw request body, exactly as received; verify the signature over these bytes.
    :return: a :class:`~creatorkit.entities.WebhookNotice`; the core de-duplicates by ``event_id`` and
        re-fetches state instead of trusting the payload.
    :raises SignatureError: when the signature is missing, malformed or wrong.

    .. versionadded:: 0.1
    """


@hookspec
def creatorkit_on_event(event: Event) -> None:
    """Hear about a change (a deal changed state, a contract was signed, ...). Every plugin may implement it.

    Called after the change is committed. An exception here is reported as a warning and never undoes the
    change or stops other listeners.

    :param event: the :class:`~creatorkit.entities.Event`.

    .. versionadded:: 0.1
    """
