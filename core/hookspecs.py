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

Why this is long: the module is the contract's single written form. Each hook's docstring is what a plugin
author reads (and what docs/plugins.md's hook reference mirrors); splitting the specs over modules would split
the one place a plugin author looks.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from datetime import datetime
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
    ImportFormat,
    ImportResult,
    Invitation,
    IssuedTokens,
    Message,
    OrderPlacement,
    OutreachReceipt,
    Period,
    PlatformAccount,
    PlatformInvitation,
    PlatformOrder,
    PlatformOrderRequest,
    PluginMetadata,
    PostMetricsBatch,
    PostMetricsRequest,
    ProviderOperation,
    ProviderOperationPage,
    ProviderRequest,
    Revocation,
    UsageAuthorizationRequest,
    UsageRight,
    WebhookRequest,
    WebhookResult,
)
from .tokens import TokenPair

if TYPE_CHECKING:
    from .host._host import PluginContext

__all__ = ["PROJECT", "capability_of", "declared_signature", "hookimpl", "hookspec", "stage"]

#: The pluggy project name; every hook is called ``creatorkit_<name>``.
PROJECT = "creatorkit"

#: Decorator for the hooks that belong to no capability (stage hooks are declared with :func:`stage`).
hookspec = pluggy.HookspecMarker(PROJECT)
#: Decorator for plugin hook implementations: ``@creatorkit.hookimpl``.
hookimpl = pluggy.HookimplMarker(PROJECT)

_Spec = TypeVar("_Spec", bound=Callable[..., Any])
# Set on a stage hook's spec, next to the ``creatorkit_spec`` attribute pluggy's marker sets.
_CAPABILITY_ATTRIBUTE = f"{PROJECT}_capability"
_SIGNATURE_ATTRIBUTE = f"{PROJECT}_signature"


def stage(capability: Capability) -> Callable[[_Spec], _Spec]:
    """Declare a stage hook: a ``firstresult`` hookspec that belongs to ``capability``.

    The declaration is the only place a stage hook is written down. From it the host takes the hook's place in
    ``creatorkit.host.CAPABILITY_HOOKS``, the entity class every answer is checked against (the return
    annotation), and the parameters of the typed client method that calls it.
    """

    def declare(spec: _Spec) -> _Spec:
        setattr(spec, _CAPABILITY_ATTRIBUTE, capability)
        _defaults_for_callers_only(spec)
        return hookspec(firstresult=True)(spec)

    return declare


def _defaults_for_callers_only(spec: Callable[..., Any]) -> None:
    """Keep a stage hook's defaults (``context: CallContext | None = None``, any optional argument) for its
    callers, and hide them from pluggy.

    The type checker reads the defaults from the source, so a caller may leave those arguments out; the client
    method passes the declared default (:func:`declared_signature`). pluggy, though, reads an argument with a
    default (from ``__defaults__``) as one no implementation may ask for. Dropped from ``__defaults__``, every
    argument is one an implementation may name, and every call passes them all.
    """
    signature = inspect.signature(spec)
    context = signature.parameters.get("context")
    if context is None or context.default is not None:
        raise TypeError(f"the stage hook {spec.__name__} must take context: CallContext | None = None")
    setattr(spec, _SIGNATURE_ATTRIBUTE, signature)
    spec.__defaults__ = None


def declared_signature(spec: Callable[..., Any]) -> inspect.Signature:
    """A hook's signature as declared, defaults included (a stage hook's are hidden from pluggy)."""
    declared = getattr(spec, _SIGNATURE_ATTRIBUTE, None)
    return declared if isinstance(declared, inspect.Signature) else inspect.signature(spec)


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
def creatorkit_discover_creators(query: DiscoveryQuery, context: CallContext | None = None) -> DiscoveryPage:  # type: ignore[empty-body]
    """Search the platform's creator marketplace.

    The facade fans a discovery out to every enabled platform concurrently; each answers for itself.

    :param query: the filters (see :class:`~creatorkit.entities.DiscoveryQuery`), ``limit`` and ``cursor``.
        Translate what the platform can filter on; ``query.categories`` are the core's vocabulary, mapped to the
        platform's labels by the plugin (:class:`creatorkit.discovery.CategoryMap`). ``query.cursor`` is the
        plugin's own cursor from an earlier page of this same query: the host checks that, and unwraps it.
    :return: one :class:`~creatorkit.entities.DiscoveryPage` whose ``platform`` is the plugin's name, holding at
        most ``limit`` candidates (fewer, even none, is fine while ``next_cursor`` is set), never repeating a
        candidate of an earlier page, and whose ``filters`` report, for every filter ``query`` sets, whether the
        platform applied, approximated (how) or ignored (why) it: ``query.report(...)`` builds it. A filter the
        report leaves out is taken as ignored.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       Discovery v2: range, price, audience-share and similarity filters, sort; the filter report; cursors bound
       to their query.
    """


@stage(Capability.CREATOR_LOOKUP)
def creatorkit_lookup_creator(handle: str, context: CallContext | None = None) -> CreatorCandidate:  # type: ignore[empty-body]
    """Fetch one creator's page by handle: profile, rate card, metrics, audience.

    :param handle: the creator's handle on this platform, without ``@``.
    :return: a :class:`~creatorkit.entities.CreatorCandidate`.
    :raises NotFound: when the platform knows no such creator.

    .. versionadded:: 0.1
    """


# -- invitations and messaging --------------------------------------------------------------------------------


@stage(Capability.INVITATIONS)
def creatorkit_send_invitation(  # type: ignore[empty-body]
    invitation: Invitation, account: PlatformAccount, context: CallContext | None = None
) -> OutreachReceipt:
    """Send a collaboration invitation through the platform.

    :param invitation: the rendered invitation (body, subject, deadline).
    :param account: the creator's account on this platform.
    :return: an :class:`~creatorkit.entities.OutreachReceipt` whose ``platform_ref`` reads the invitation back
        through :func:`creatorkit_get_invitation`.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 capability ``invitations`` (was ``outreach``).
    """


@stage(Capability.INVITATIONS)
def creatorkit_get_invitation(  # type: ignore[empty-body]
    platform_ref: str, account: PlatformAccount, context: CallContext | None = None
) -> PlatformInvitation:
    """Read an invitation's status back from the platform.

    :param platform_ref: the reference :func:`creatorkit_send_invitation` returned.
    :param account: the creator's account on this platform (the invitation was sent to it).
    :return: a :class:`~creatorkit.entities.PlatformInvitation`: the normalised status and the platform's raw one;
        a raw status the plugin cannot map is ``sent``.
    :raises NotFound: when the platform knows no such invitation.

    .. versionadded:: 0.2
    """


@stage(Capability.MESSAGING)
def creatorkit_send_message(  # type: ignore[empty-body]
    message: Message, account: PlatformAccount, context: CallContext | None = None
) -> OutreachReceipt:
    """Send a message in a deal's thread through the platform.

    :param message: the outbound message.
    :param account: the creator's account on this platform.
    :return: an :class:`~creatorkit.entities.OutreachReceipt`.
    :raises NotSupported: when the platform cannot reach this creator (Instagram's creator messaging reaches only
        eligible creators who allow it).

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 capability ``messaging`` (was ``outreach``).
    """


# -- contracting -----------------------------------------------------------------------------------------------


@stage(Capability.CONTRACTING)
def creatorkit_place_order(request: PlatformOrderRequest, context: CallContext | None = None) -> OrderPlacement:  # type: ignore[empty-body]
    """Place an agreed collaboration on the platform's marketplace: one order per creator.

    The core has stored the request, with ``request.idempotency_key``, before this call. Make the call idempotent
    with that key: send it as the platform's idempotency key, or, where the platform has none, name the order or
    campaign with it and, when ``request.attempt`` is more than 1, look it up before placing again. The same
    key must always yield the same orders.

    :param request: the deal, brand connection, creator handles and typed deliverables that were agreed.
    :return: an :class:`~creatorkit.entities.OrderPlacement`: one order per creator placed, and every handle the
        platform refused in ``failed`` with the reason. A refused handle is not an error.
    :raises InvalidRequest: when the platform refuses the request itself (nothing was placed).
    :raises NotSupported: when it cannot place this request (a deliverable kind, an ad-authorisation length).

    .. versionadded:: 0.1
    .. versionchanged:: 0.2 answers with an ``OrderPlacement``; the request carries an idempotency key, the
        connection and typed deliverables.
    """


@stage(Capability.CONTRACTING)
def creatorkit_get_order(order_id: str, context: CallContext | None = None) -> PlatformOrder:  # type: ignore[empty-body]
    """Read one creator's order back from the platform.

    :param order_id: the platform's order id, from an :class:`~creatorkit.entities.OrderPlacement`.
    :return: a :class:`~creatorkit.entities.PlatformOrder` with its normalised and raw status.
    :raises NotFound: when the platform knows no such order.

    .. versionadded:: 0.1
    """


# -- usage rights ----------------------------------------------------------------------------------------------


@stage(Capability.USAGE_RIGHTS)
def creatorkit_authorize_usage(  # type: ignore[empty-body]
    request: UsageAuthorizationRequest, context: CallContext | None = None
) -> UsageRight:
    """Bind a creator's paid-usage authorisation for one post to the brand's ad account (TikTok Spark Ads).

    The core calls this only for a deal whose contract in force allows paid ads, and records the answer beside
    the deal with the end of the contract's allowance. Binding a code the platform already bound to this ad
    account answers the existing right: the call is safe to repeat.

    :param request: the deal, the code the creator made, the brand's connection, the post if known, and the days
        the contract allows (the platform's own days come from the code).
    :return: a :class:`~creatorkit.entities.UsageRight` with the platform's status, start and end.
    :raises InvalidRequest: when the platform refuses the code (malformed, expired, for another account).
    :raises PlatformPermissionDenied: when the connection's ad account may not use it.

    .. versionadded:: 0.2
    """


@stage(Capability.USAGE_RIGHTS)
def creatorkit_get_usage_right(platform_ref: str, context: CallContext | None = None) -> UsageRight:  # type: ignore[empty-body]
    """Read a usage right back: whether the platform still honours it, and until when.

    :param platform_ref: the right's ``platform_ref`` from :func:`creatorkit_authorize_usage`.
    :return: the :class:`~creatorkit.entities.UsageRight` as the platform has it now (``expired`` once its days
        ran out, ``revoked`` once unbound or withdrawn by the creator).
    :raises NotFound: when the platform knows no such right for the connection's ad account.

    .. versionadded:: 0.2
    """


@stage(Capability.USAGE_RIGHTS)
def creatorkit_revoke_usage_right(platform_ref: str, context: CallContext | None = None) -> UsageRight:  # type: ignore[empty-body]
    """Unbind a usage right from the brand's ad account, so the post can no longer run as an ad.

    :param platform_ref: the right's ``platform_ref``.
    :return: the :class:`~creatorkit.entities.UsageRight` with status ``revoked``. Revoking a right already
        revoked or expired answers it as it stands.
    :raises NotFound: when the platform knows no such right.

    .. versionadded:: 0.2
    """


# -- import ----------------------------------------------------------------------------------------------------


@stage(Capability.IMPORT)
def creatorkit_import_records(data: bytes, format: ImportFormat, context: CallContext | None = None) -> ImportResult:  # type: ignore[empty-body]
    """Read a partner export: a file the platform's partner tools hand out where it has no API for the data.

    :param data: the file's bytes, exactly as exported.
    :param format: what the file is (``csv``, ``json``, ``jsonl``).
    :return: an :class:`~creatorkit.entities.ImportResult`: the records read, and every row that became none in
        ``rejected``, with its line, field and reason. ``rows`` counts the data rows read; each is one record or
        one rejected row, never dropped silently.
    :raises NotSupported: for a format or kind of export the plugin does not read.
    :raises InvalidRequest: when the file as a whole is unreadable (not UTF-8, no header); ``field`` names where.

    .. versionadded:: 0.2
    """


# -- metrics ---------------------------------------------------------------------------------------------------


@stage(Capability.METRICS)
def creatorkit_fetch_creator_metrics(  # type: ignore[empty-body]
    account: PlatformAccount, context: CallContext | None = None, period: Period | None = None
) -> CreatorMetrics:
    """Read an account's core performance metrics.

    Every figure states its window, source and ``as_of``, every rate its denominator; a figure the platform does
    not give is ``None``, never 0 (see :mod:`creatorkit.entities` metrics rules).

    :param account: the creator's account on this platform.
    :param period: the stretch of time to compute the windowed figures over, where the platform takes one
        (Instagram's ``since``/``until``); ``None`` for the platform's own windows. Say which you used in the
        answer's ``period``: a plugin that cannot honour it answers ``period=None``.
    :return: :class:`~creatorkit.entities.CreatorMetrics`, with lifetime totals, sponsored and organic slices, a
        daily series and platform-specific ``extensions`` where the platform has them.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       ``period``; lifetime totals, sponsored and organic slices, daily series and extensions in the answer.
    """


@stage(Capability.AUDIENCE)
def creatorkit_fetch_audience(account: PlatformAccount, context: CallContext | None = None) -> AudienceProfile:  # type: ignore[empty-body]
    """Read an account's audience demographics, in the core's canonical buckets.

    Map the platform's buckets with :func:`creatorkit.entities.canonical_shares` (a coarser bucket such as
    ``35+`` stays ``35+``; one that does not fit the canonical boundaries is refused, never split). Say which
    audience each breakdown describes (followers, engaged, viewers), over which timeframe, and whether the
    platform reported only its top buckets.

    :param account: the creator's account on this platform.
    :return: :class:`~creatorkit.entities.AudienceProfile` with source, sample size and ``as_of`` per breakdown.

    .. versionadded:: 0.1
    """


@stage(Capability.POST_METRICS)
def creatorkit_fetch_post_metrics_batch(  # type: ignore[empty-body]
    request: PostMetricsRequest, context: CallContext | None = None
) -> PostMetricsBatch:
    """Read what many published posts did, in as few platform calls as the platform allows.

    :param request: the posts (all on this platform, each once), the ``period`` to read them over (since
        publication when ``None``) and whether to include ``daily`` series where the platform has them.
    :return: a :class:`~creatorkit.entities.PostMetricsBatch` with exactly one result per post asked about: its
        :class:`~creatorkit.entities.PostMetrics`, or an :class:`~creatorkit.entities.ItemError` saying what
        the platform said about that post (unknown, not yet measurable, throttled …). Raise only for what fails
        the whole batch (an expired token, the platform being down).

    .. versionadded:: 0.2
       Replaces ``creatorkit_fetch_post_metrics`` (one post per call) of contract v1; ``PlatformClient`` still
       offers ``fetch_post_metrics(post)``, over this hook.
    """


# -- payments --------------------------------------------------------------------------------------------------


@stage(Capability.PAYMENTS)
def creatorkit_payment_operation(request: ProviderRequest, context: CallContext | None = None) -> ProviderOperation:  # type: ignore[empty-body]
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
    request: ProviderRequest, known: ProviderOperation | None = None, context: CallContext | None = None
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


@stage(Capability.PAYMENT_LISTING)
def creatorkit_payment_list(  # type: ignore[empty-body]
    since: datetime | None = None, cursor: str | None = None, context: CallContext | None = None
) -> ProviderOperationPage:
    """List the money movements the provider holds, one page at a time, so that reconciliation finds what the core
    never asked for (a charge made in the provider's dashboard, a transfer sent by another program).

    Optional: a provider whose API cannot list its movements leaves the ``payment_listing`` capability out and
    says so in ``missing``; reconciliation then retrieves what the core holds and nothing more.

    :param since: list what was made at or after this moment (timezone-aware); ``None`` lists everything.
    :param cursor: the plugin's own ``next_cursor`` from the previous page of this same listing (the host binds
        it to ``since`` and unwraps it); ``None`` for the first page.
    :return: a :class:`~creatorkit.entities.ProviderOperationPage`: one
        :class:`~creatorkit.entities.ProviderOperation` per object the provider keeps (a movement of several legs
        may show as several entries sharing its ``operation_id``), our operation id read back from what the
        plugin stored with the object (its metadata) or, for an object that names none, its ``provider_ref``.
        ``next_cursor`` is ``None`` only on the last page; a page may be empty and still have one.
    :raises PaymentError: when the provider cannot list now (``outcome_unknown`` plays no part: nothing moves).

    .. versionadded:: 0.2
    """


@hookspec(
    warn_on_impl=DeprecationWarning(
        "creatorkit_payment_status(operation_id) is replaced by creatorkit_payment_retrieve(request, known) in "
        "plugin contract v2; see 'Moving from contract v1' in docs/plugins.md"
    )
)
def creatorkit_payment_status(operation_id: str) -> ProviderOperation:  # type: ignore[empty-body]
    """Deprecated: never called. A plugin that still implements it is warned at registration.

    Contract v1 re-read an operation by its id alone, which Stripe cannot answer (it finds objects by their own
    id or by metadata, not by idempotency key). Implement :func:`creatorkit_payment_retrieve` instead.

    .. versionadded:: 0.1
    .. deprecated:: 0.2 replaced by :func:`creatorkit_payment_retrieve`.
    """


# -- authorization ---------------------------------------------------------------------------------------------


@stage(Capability.AUTHORIZATION)
def creatorkit_authorization_url(  # type: ignore[empty-body]
    request: AuthorizationRequest, code_verifier: str, context: CallContext | None = None
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
    request: AuthorizationRequest, code: str, code_verifier: str | None, context: CallContext | None = None
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
    authorization: Connection | Grant, tokens: TokenPair, context: CallContext | None = None
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
def creatorkit_revoke_tokens(  # type: ignore[empty-body]
    authorization: Connection | Grant, tokens: TokenPair, context: CallContext | None = None
) -> Revocation:
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
def creatorkit_receive_webhook(  # type: ignore[empty-body]
    request: WebhookRequest, context: CallContext | None = None
) -> WebhookResult:
    """Verify one webhook delivery and say what it holds and what to answer.

    Verify the signature over ``request.body``, the raw bytes, and any signed timestamp against
    ``request.received_at`` with the sender's tolerance (Stripe 300 s, WeChat Pay 5 minutes): a stale delivery is
    refused like a forged one. Never read the time yourself: ``received_at`` is the kit's clock. A handshake
    (Meta's ``hub.challenge`` GET) is answered with its reply and no notices.

    :param request: the :class:`~creatorkit.entities.WebhookRequest` as received (method, path, query,
        case-insensitive headers, raw body, received-at).
    :return: a :class:`~creatorkit.entities.WebhookResult`: one :class:`~creatorkit.entities.WebhookNotice` per
        event in the delivery, each with ``source`` the plugin's name and an ``event_id`` that is the same
        whenever the same event is delivered again, and the :class:`~creatorkit.entities.WebhookReply` the sender
        expects. The core refuses events it has already accepted and re-reads state instead of trusting a notice.
    :raises SignatureError: when the signature (or a handshake's verify token) is missing, malformed or wrong,
        when the signed timestamp is outside the tolerance (the message says *stale*), or when a signed body
        cannot be read.

    .. versionadded:: 0.2
       Replaces ``creatorkit_parse_webhook(headers, body) -> WebhookNotice`` of contract v1.
    """


@hookspec
def creatorkit_on_event(event: Event) -> None:
    """Hear about a change (a deal changed state, a contract was signed, ...). Every plugin may implement it.

    Called after the change is committed. An exception here is reported as a warning and never undoes the
    change or stops other listeners.

    :param event: the :class:`~creatorkit.entities.Event`.

    .. versionadded:: 0.1
    """
