"""Hook specifications: the contract between creatorkit and its plugins.

A plugin implements the hooks of the stages it supports, marks each with :data:`hookimpl`, and declares those
stages as capabilities in :func:`creatorkit_plugin_metadata`. The core never calls ``pm.hook`` directly: the
facade in :mod:`creatorkit.host` routes a call aimed at one platform to that platform's implementation only
(plus cross-cutting wrappers), checks what comes back, and turns stray exceptions into typed errors.

Rules that keep the contract growable (see docs/plugins.md):

* arguments are passed by keyword; an implementation may accept fewer arguments than the spec names;
* new arguments are only ever added as optional, so existing plugins keep working;
* stage hooks are ``firstresult``: exactly one plugin answers a targeted call;
* a plugin raises the SDK's typed errors (:class:`~creatorkit.errors.PlatformError` and its subclasses,
  :class:`~creatorkit.errors.PaymentError`); anything else is reported as a contract breach.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .entities import (
        AudienceProfile,
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
    from .host._host import PluginContext

__all__ = ["PROJECT", "hookimpl", "hookspec"]

#: The pluggy project name; every hook is called ``creatorkit_<name>``.
PROJECT = "creatorkit"

hookspec = pluggy.HookspecMarker(PROJECT)
#: Decorator for plugin hook implementations: ``@creatorkit.hookimpl``.
hookimpl = pluggy.HookimplMarker(PROJECT)


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


@hookspec(firstresult=True)
def creatorkit_discover_creators(query: DiscoveryQuery) -> DiscoveryPage:  # type: ignore[empty-body]
    """Search the platform's creator marketplace. Capability: ``discovery``.

    The facade fans a discovery out to every enabled platform concurrently; each answers for itself.

    :param query: filters; ignore those the platform cannot apply, honour ``limit`` and ``cursor``.
    :return: one :class:`~creatorkit.entities.DiscoveryPage` whose ``platform`` is the plugin's name.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def creatorkit_lookup_creator(handle: str) -> CreatorCandidate:  # type: ignore[empty-body]
    """Fetch one creator's page by handle: profile, rate card, metrics, audience. Capability: ``creator_lookup``.

    :param handle: the creator's handle on this platform, without ``@``.
    :return: a :class:`~creatorkit.entities.CreatorCandidate`.
    :raises NotFound: when the platform knows no such creator.

    .. versionadded:: 0.1
    """


# -- outreach --------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def creatorkit_send_invitation(invitation: Invitation, account: PlatformAccount) -> OutreachReceipt:  # type: ignore[empty-body]
    """Send a collaboration invitation through the platform. Capability: ``outreach``.

    :param invitation: the rendered invitation (body, subject, deadline).
    :param account: the creator's account on this platform.
    :return: an :class:`~creatorkit.entities.OutreachReceipt` with the platform's reference.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def creatorkit_send_message(message: Message, account: PlatformAccount) -> OutreachReceipt:  # type: ignore[empty-body]
    """Send a message in a deal's thread through the platform. Capability: ``outreach``.

    :param message: the outbound message.
    :param account: the creator's account on this platform.
    :return: an :class:`~creatorkit.entities.OutreachReceipt`.

    .. versionadded:: 0.1
    """


# -- contracting -----------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def creatorkit_place_order(request: PlatformOrderRequest) -> PlatformOrder:  # type: ignore[empty-body]
    """Place an agreed collaboration on the platform's marketplace as an order or campaign.

    Capability: ``contracting``.

    :param request: the deal, brand, creator handles and deliverables that were agreed.
    :return: the :class:`~creatorkit.entities.PlatformOrder` the platform created.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def creatorkit_get_order(order_id: str) -> PlatformOrder:  # type: ignore[empty-body]
    """Read an order's current state back from the platform. Capability: ``contracting``.

    :param order_id: the platform's order id.
    :return: a :class:`~creatorkit.entities.PlatformOrder`.

    .. versionadded:: 0.1
    """


# -- metrics ---------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def creatorkit_fetch_creator_metrics(account: PlatformAccount) -> CreatorMetrics:  # type: ignore[empty-body]
    """Read an account's core performance metrics. Capability: ``metrics``.

    Every rate states its denominator, window, source and ``as_of``.

    :param account: the creator's account on this platform.
    :return: :class:`~creatorkit.entities.CreatorMetrics`.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def creatorkit_fetch_audience(account: PlatformAccount) -> AudienceProfile:  # type: ignore[empty-body]
    """Read an account's audience demographics. Capability: ``audience``.

    :param account: the creator's account on this platform.
    :return: :class:`~creatorkit.entities.AudienceProfile` with source, sample size and ``as_of`` per dimension.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def creatorkit_fetch_post_metrics(post: PublishedPost) -> PostMetrics:  # type: ignore[empty-body]
    """Read what a published post did so far. Capability: ``post_metrics``.

    :param post: the published post (its platform id).
    :return: :class:`~creatorkit.entities.PostMetrics`.

    .. versionadded:: 0.1
    """


# -- payments --------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def creatorkit_payment_operation(request: ProviderRequest) -> ProviderOperation:  # type: ignore[empty-body]
    """Ask a payment provider to move money: fund, release, reverse, refund or pay out. Capability: ``payments``.

    ``request.operation_id`` is stored by the core before this call and must be sent to the provider as its
    idempotency key, so that a retried call never moves money twice.

    :param request: the movement; ``request.kind`` says which verb.
    :return: the provider's :class:`~creatorkit.entities.ProviderOperation` (possibly still ``pending``).
    :raises PaymentError: when the provider refuses.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def creatorkit_payment_status(operation_id: str) -> ProviderOperation:  # type: ignore[empty-body]
    """Re-read a money movement's state from the provider. Capability: ``payments``.

    :param operation_id: the id the operation was submitted with.
    :return: the provider's current :class:`~creatorkit.entities.ProviderOperation`.

    .. versionadded:: 0.1
    """


# -- webhooks and events ---------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def creatorkit_parse_webhook(headers: Mapping[str, str], body: bytes) -> WebhookNotice:  # type: ignore[empty-body]
    """Verify a webhook from raw bytes and reduce it to a notice. Capability: ``webhooks``.

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
