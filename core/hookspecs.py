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
* every stage hook is offered ``context``, a :class:`~creatorkit.host.CallContext`: the target plugin and stage,
  the workspace, the connection or grant and its token source, the caller's deadline and the clock. A plugin
  asks for it by naming it; one that does not (every v1 plugin) is called without it;
* a plugin raises the SDK's typed errors (:class:`~creatorkit.errors.PlatformError` and its subclasses,
  :class:`~creatorkit.errors.PaymentError`); anything else is reported as a contract breach.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

# Imported for real, not only for the type checker: the host resolves each stage hook's return annotation to
# the entity class it checks answers against.
from ._call_context import CallContext
from .entities import (
    AudienceProfile,
    AuthorizationRequest,
    AuthorizationUrl,
    Capability,
    Connection,
    CreatorCandidate,
    CreatorMetrics,
    DiscoveryPage,
    DiscoveryQuery,
    Event,
    Grant,
    Invitation,
    IssuedTokens,
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
    Revocation,
    WebhookNotice,
)
from .tokens import TokenPair

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
def creatorkit_discover_creators(query: DiscoveryQuery, context: CallContext) -> DiscoveryPage:  # type: ignore[empty-body]
    """Search the platform's creator marketplace.

    The facade fans a discovery out to every enabled platform concurrently; each answers for itself.

    :param query: filters; ignore those the platform cannot apply, honour ``limit`` and ``cursor``.
    :return: one :class:`~creatorkit.entities.DiscoveryPage` whose ``platform`` is the plugin's name.

    .. versionadded:: 0.1
    """


@stage(Capability.CREATOR_LOOKUP)
def creatorkit_lookup_creator(handle: str, context: CallContext) -> CreatorCandidate:  # type: ignore[empty-body]
    """Fetch one creator's page by handle: profile, rate card, metrics, audience.

    :param handle: the creator's handle on this platform, without ``@``.
    :return: a :class:`~creatorkit.entities.CreatorCandidate`.
    :raises NotFound: when the platform knows no such creator.

    .. versionadded:: 0.1
    """


# -- outreach --------------------------------------------------------------------------------------------------


@stage(Capability.OUTREACH)
def creatorkit_send_invitation(  # type: ignore[empty-body]
    invitation: Invitation, account: PlatformAccount, context: CallContext
) -> OutreachReceipt:
    """Send a collaboration invitation through the platform.

    :param invitation: the rendered invitation (body, subject, deadline).
    :param account: the creator's account on this platform.
    :return: an :class:`~creatorkit.entities.OutreachReceipt` with the platform's reference.

    .. versionadded:: 0.1
    """


@stage(Capability.OUTREACH)
def creatorkit_send_message(message: Message, account: PlatformAccount, context: CallContext) -> OutreachReceipt:  # type: ignore[empty-body]
    """Send a message in a deal's thread through the platform.

    :param message: the outbound message.
    :param account: the creator's account on this platform.
    :return: an :class:`~creatorkit.entities.OutreachReceipt`.

    .. versionadded:: 0.1
    """


# -- contracting -----------------------------------------------------------------------------------------------


@stage(Capability.CONTRACTING)
def creatorkit_place_order(request: PlatformOrderRequest, context: CallContext) -> PlatformOrder:  # type: ignore[empty-body]
    """Place an agreed collaboration on the platform's marketplace as an order or campaign.

    :param request: the deal, brand, creator handles and deliverables that were agreed.
    :return: the :class:`~creatorkit.entities.PlatformOrder` the platform created.

    .. versionadded:: 0.1
    """


@stage(Capability.CONTRACTING)
def creatorkit_get_order(order_id: str, context: CallContext) -> PlatformOrder:  # type: ignore[empty-body]
    """Read an order's current state back from the platform.

    :param order_id: the platform's order id.
    :return: a :class:`~creatorkit.entities.PlatformOrder`.

    .. versionadded:: 0.1
    """


# -- metrics ---------------------------------------------------------------------------------------------------


@stage(Capability.METRICS)
def creatorkit_fetch_creator_metrics(account: PlatformAccount, context: CallContext) -> CreatorMetrics:  # type: ignore[empty-body]
    """Read an account's core performance metrics.

    Every rate states its denominator, window, source and ``as_of``.

    :param account: the creator's account on this platform.
    :return: :class:`~creatorkit.entities.CreatorMetrics`.

    .. versionadded:: 0.1
    """


@stage(Capability.AUDIENCE)
def creatorkit_fetch_audience(account: PlatformAccount, context: CallContext) -> AudienceProfile:  # type: ignore[empty-body]
    """Read an account's audience demographics.

    :param account: the creator's account on this platform.
    :return: :class:`~creatorkit.entities.AudienceProfile` with source, sample size and ``as_of`` per dimension.

    .. versionadded:: 0.1
    """


@stage(Capability.POST_METRICS)
def creatorkit_fetch_post_metrics(post: PublishedPost, context: CallContext) -> PostMetrics:  # type: ignore[empty-body]
    """Read what a published post did so far.

    :param post: the published post (its platform id).
    :return: :class:`~creatorkit.entities.PostMetrics`.

    .. versionadded:: 0.1
    """


# -- payments --------------------------------------------------------------------------------------------------


@stage(Capability.PAYMENTS)
def creatorkit_payment_operation(request: ProviderRequest, context: CallContext) -> ProviderOperation:  # type: ignore[empty-body]
    """Ask a payment provider to move money: fund, release, reverse, refund or pay out.

    ``request.operation_id`` is stored by the core before this call and must be sent to the provider as its
    idempotency key, so that a retried call never moves money twice.

    :param request: the movement; ``request.kind`` says which verb.
    :return: the provider's :class:`~creatorkit.entities.ProviderOperation` (possibly still ``pending``).
    :raises PaymentError: when the provider refuses.

    .. versionadded:: 0.1
    """


@stage(Capability.PAYMENTS)
def creatorkit_payment_status(operation_id: str, context: CallContext) -> ProviderOperation:  # type: ignore[empty-body]
    """Re-read a money movement's state from the provider.

    :param operation_id: the id the operation was submitted with.
    :return: the provider's current :class:`~creatorkit.entities.ProviderOperation`.

    .. versionadded:: 0.1
    """


# -- authorization ---------------------------------------------------------------------------------------------


@stage(Capability.AUTHORIZATION)
def creatorkit_authorization_url(  # type: ignore[empty-body]
    request: AuthorizationRequest, code_verifier: str, context: CallContext
) -> AuthorizationUrl:
    """Build the URL where the account's owner authorises the SDK on the platform (OAuth's authorize step).

    The core calls it to start a connection (``request.kind`` ``connection``: a brand's or agency's account) or a
    grant (``grant``: a creator's own authorisation); a platform with separate flows for the two builds the one
    asked for, and one without raises ``NotSupported``.

    :param request: the platform, kind, workspace, redirect URI (``None``: the plugin's configured one), the
        scopes asked for (empty: the plugin's defaults) and ``state``, which the URL must carry unchanged.
    :param code_verifier: a fresh PKCE verifier (RFC 7636). A platform that uses PKCE puts its challenge in the
        URL (``creatorkit.tokens.pkce_challenge`` computes the standard ``S256`` one) and answers
        ``uses_pkce=True``; the core then keeps the verifier, sealed, for the exchange.
    :return: an :class:`~creatorkit.entities.AuthorizationUrl`.

    .. versionadded:: 0.2
    """


@stage(Capability.AUTHORIZATION)
def creatorkit_exchange_code(  # type: ignore[empty-body]
    request: AuthorizationRequest, code: str, code_verifier: str | None, context: CallContext
) -> IssuedTokens:
    """Exchange the code the platform sent back to the redirect URI for tokens.

    :param request: the request the authorize URL was built from (its ``state`` matched the redirect's).
    :param code: the authorization code, as the redirect carried it (``code``, or TikTok's ``auth_code``).
    :param code_verifier: the PKCE verifier the URL's challenge was made from; ``None`` when it used none.
    :return: :class:`~creatorkit.entities.IssuedTokens` naming the account (``account_id`` is required), with
        the lifetimes the response stated (never assumed ones) and the scopes it granted. A platform that needs
        a second call for a usable token (Meta's long-lived token exchange) makes it here.
    :raises AuthExpired: when the platform refuses the code (expired, used, or for another redirect).

    .. versionadded:: 0.2
    """


@stage(Capability.AUTHORIZATION)
def creatorkit_refresh_tokens(  # type: ignore[empty-body]
    authorization: Connection | Grant, tokens: TokenPair, context: CallContext
) -> IssuedTokens:
    """Renew a connection's or grant's access token, before it expires or after the platform refused it.

    The core calls this once however many callers need the new token (a row lock or a version check keeps
    every other process waiting for, then using, the answer), and stores what it returns in the same
    transaction as the record: a rotated refresh token is never lost or half-written.

    :param authorization: the :class:`~creatorkit.entities.Connection` or :class:`~creatorkit.entities.Grant`.
    :param tokens: its current tokens (refresh with ``tokens.refresh_token``, or with the access token itself
        on a platform that refreshes that way, as Instagram's ``ig_refresh_token`` does).
    :return: :class:`~creatorkit.entities.IssuedTokens`; leave ``refresh_token`` ``None`` when the platform
        did not rotate it.
    :raises AuthExpired: when the platform will not renew it: ``revoked=True`` when it says the owner withdrew
        it, otherwise it ran out. The core marks the record and tells the caller what to do.

    .. versionadded:: 0.2
    """


@stage(Capability.AUTHORIZATION)
def creatorkit_revoke_tokens(authorization: Connection | Grant, tokens: TokenPair, context: CallContext) -> Revocation:  # type: ignore[empty-body]
    """Withdraw a connection's or grant's tokens at the platform, as the workspace disconnects or the creator revokes.

    :param authorization: the :class:`~creatorkit.entities.Connection` or :class:`~creatorkit.entities.Grant`.
    :param tokens: its current tokens.
    :return: a :class:`~creatorkit.entities.Revocation`; ``revoked=False`` with a ``detail`` saying what the
        owner must do on a platform that has no revoke call.
    :raises Transient: when the platform could not be reached (the core then changes nothing).

    .. versionadded:: 0.2
    """


# -- webhooks and events ---------------------------------------------------------------------------------------


@stage(Capability.WEBHOOKS)
def creatorkit_parse_webhook(headers: Mapping[str, str], body: bytes, context: CallContext) -> WebhookNotice:  # type: ignore[empty-body]
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
