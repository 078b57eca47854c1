"""creatorkit-echo: the smallest complete platform plugin and payment provider, shipped as their own distribution.

It shows a plugin author the whole shape: an entry point in ``creatorkit.platforms``, metadata whose
capabilities match the hooks implemented, a ``missing`` explanation for the stage it cannot do, settings
checked by a JSON Schema, typed errors, and outputs built as creatorkit entities. Its "platform" is a small
deterministic roster generated in memory, so it never touches the network. It places orders the way contract v2
asks (one per creator, refused handles reported, the same idempotency key always yielding the same orders),
reads invitations back, and imports its own small partner export (:mod:`creatorkit_echo.partner_export`).

It keeps contract v2 the way a real platform plugin would: its discovery reports, for every filter of a query,
whether echo applied, approximated or ignored it (echo filters median views as average views and has no
follower history, no age filter and no similarity search, so the core post-filters those); it maps the core's
categories to its own labels; its post metrics come in batches, one result or one typed error per post, with
a figure echo does not report (saves) left ``None``; its audiences are in canonical buckets (its age split
stops at ``35+``, its country split at the top three).

Settings (``[platforms.echo]`` in creatorkit.toml):

* ``latency_ms`` (int, default 0): wait this long in every stage call, to simulate a slow platform.
* ``creators`` (int, default 24): how many creators the sandbox marketplace has, each with three posts.
* ``fail_discovery`` (bool, default false): make discovery raise a transient platform error.
* ``webhook_secret`` (string, at least 8 characters, ``writeOnly``): the HMAC key its webhooks are signed with.
* ``verify_token`` (string, at least 8 characters, ``writeOnly``): what its subscription handshake must present.
* ``webhook_tolerance_s`` (int, default 300): how far a delivery's signed time may be from when it was received.
* ``access_token_lifetime_s`` (int, default 7200) and ``refresh_token_lifetime_s`` (int, default 15552000, 180
  days): the lifetimes echo's authorization server states in ``expires_in`` and ``refresh_expires_in``.
* ``rotate_refresh_tokens`` (bool, default true): answer each refresh with a new refresh token.
* ``redirect_uri`` (string, default ``http://localhost:8765/echo/callback``): where echo sends the owner back.

Authorization (connections and grants) runs against an in-memory authorization server (:mod:`._oauth`); in a
stage call given a token source (``context.tokens``), echo checks the token as a platform would and, when it
refuses it, asks the source for a renewed one once: the pattern a real plugin follows.

Settings of the payment provider (``[payments.echo_pay]``):

* ``webhook_secret`` (string, at least 8 characters): the HMAC key webhooks are signed with. Its schema marks it
  ``"writeOnly": true``, so creatorkit never shows it, not even in the error that says it is too short.
* ``webhook_tolerance_s`` (int, default 300): as for the platform.

How both verify webhooks, and the sandbox signers that make genuine deliveries, are in
:mod:`creatorkit_echo.webhooks`.
* ``sandbox.timeout_after_success`` (bool): the first attempt of every money movement moves the money, then
  raises ``PaymentError(outcome_unknown=True)`` as a read timeout would; the retry with the same id answers.
* ``sandbox.pending_retrieves`` (int, 0-10): movements answer ``pending`` until retrieved that many times.
* ``sandbox.raw_status`` (string): movements report this raw status, mapped as echo_pay maps any (unknown: pending).
* ``sandbox.list_page_size`` (int, 1-100, default 50): how many records one page of its listing holds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs

from creatorkit import (
    AuthExpired,
    CallContext,
    IdempotencyConflict,
    InvalidRequest,
    Money,
    NotFound,
    NotSupported,
    PaymentError,
    SignatureError,
    Transient,
    hookimpl,
)
from creatorkit.discovery import CategoryMap
from creatorkit.entities import (
    AudienceBreakdown,
    AudienceDimension,
    AudienceProfile,
    AuthorizationRequest,
    AuthorizationUrl,
    Capability,
    Category,
    Connection,
    Count,
    CreatorCandidate,
    CreatorMetrics,
    CreatorProfile,
    CurrencySupport,
    DailyFigures,
    DeliverableType,
    Denominator,
    DiscoveryPage,
    DiscoveryQuery,
    ErrorKind,
    FailedHandle,
    FilterOutcome,
    Grant,
    ImportFormat,
    ImportResult,
    Invitation,
    InvitationStatus,
    IssuedTokens,
    ItemError,
    LegResult,
    Message,
    MetricSource,
    OperationKind,
    OperationStatus,
    OrderPlacement,
    OrderStatus,
    OutreachReceipt,
    PaymentCapabilities,
    PerformanceSlice,
    Period,
    PlatformAccount,
    PlatformInvitation,
    PlatformOrder,
    PlatformOrderRequest,
    PluginKind,
    PluginMetadata,
    PostMetrics,
    PostMetricsBatch,
    PostMetricsRequest,
    PostMetricsResult,
    PriceTier,
    ProviderOperation,
    ProviderOperationPage,
    ProviderRequest,
    Rate,
    RateCard,
    Revocation,
    SortDirection,
    SortField,
    Statistic,
    WebhookReply,
    WebhookRequest,
    WebhookResult,
    Window,
    canonical_shares,
)
from creatorkit.payments import differing_fields, from_provider_units, status_from_raw, to_provider_units
from creatorkit.tokens import TokenPair

from . import webhooks
from ._oauth import DEFAULT_REDIRECT_URI, EchoOAuth, consent
from .partner_export import read_creator_list

__all__ = [
    "AS_OF",
    "DEFAULT_REDIRECT_URI",
    "EchoOAuth",
    "EchoPayments",
    "EchoPlatform",
    "consent",
    "read_creator_list",
    "webhooks",
]

__version__ = "0.1.0"

# The instant the synthetic data set describes; fixed so every run returns the same figures.
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
#: Echo's own category labels, as a real platform has its own: the core's vocabulary is mapped onto them.
LABELS = ("Beauty & Style", "Gaming", "Food & Drink", "Travel", "Fitness", "Tech & Gadgets")
CATEGORY_MAP = CategoryMap(
    platform="echo",
    labels={
        Category.BEAUTY: ("Beauty & Style",),
        Category.FASHION: ("Beauty & Style",),
        Category.GAMING: ("Gaming",),
        Category.FOOD: ("Food & Drink",),
        Category.TRAVEL: ("Travel",),
        Category.FITNESS: ("Fitness",),
        Category.TECH: ("Tech & Gadgets",),
    },
)
COUNTRIES = ("US", "GB", "KR", "IT", "ES", "PL")
#: A secret: given to the plugin and never shown back (reprs, errors, the CLI).
_SECRET = {"type": "string", "minLength": 8, "writeOnly": True}
_TOLERANCE = {"type": "integer", "minimum": 1, "maximum": 3600}
POSTS_PER_CREATOR = 3
SETTINGS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "latency_ms": {"type": "integer", "minimum": 0, "maximum": 60000},
        "creators": {"type": "integer", "minimum": 1, "maximum": 100000},
        "fail_discovery": {"type": "boolean"},
        "webhook_secret": _SECRET,
        "verify_token": _SECRET,
        "webhook_tolerance_s": _TOLERANCE,
        "access_token_lifetime_s": {"type": "integer", "minimum": 1},
        "refresh_token_lifetime_s": {"type": "integer", "minimum": 1},
        "rotate_refresh_tokens": {"type": "boolean"},
        "redirect_uri": {"type": "string", "minLength": 1},
    },
}
#: The paid-ads authorisation lengths echo's marketplace offers (TikTok's Spark Ads offers the same).
AD_AUTHORIZATION_DAYS = frozenset({7, 30, 60, 365})
#: What echo's marketplace calls each state, and what that is in the SDK's words.
ORDER_STATUSES = {
    "AWAITING_CREATOR": OrderStatus.PENDING,
    "IN_PROGRESS": OrderStatus.ACTIVE,
    "CREATOR_DECLINED": OrderStatus.DECLINED,
}
INVITATION_STATUSES = {
    "INVITED": InvitationStatus.SENT,
    "ACCEPTED": InvitationStatus.ACCEPTED,
    "DECLINED": InvitationStatus.DECLINED,
}
#: The sandbox's secrets when the settings name none.
SANDBOX_WEBHOOK_SECRET = b"echo-webhook-secret"
SANDBOX_VERIFY_TOKEN = "echo-verify-token"
#: What echo_pay answers every delivery it accepts (entities are immutable: one serves every reply).
PAYMENT_ACKNOWLEDGEMENT = WebhookReply.json({"code": "SUCCESS", "message": "OK"})
#: What echo's discovery does with each filter: applied natively, approximated (how), or ignored (why).
APPLIED = ("keywords", "countries", "languages", "followers", "average_views", "audience.gender", "sort")
APPROXIMATED = {"median_views": "median views filtered as average views (echo keeps no median)"}
IGNORED = {
    "follower_growth": "echo keeps no follower history",
    "audience.age": "echo filters on no age bucket",
    "audience.country": "echo filters on no audience country",
    "similar_to": "echo has no similarity search",
}


def _number(seed: str, low: int, high: int) -> int:
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    return low + digest % (high - low + 1)


def _audience(handle: str, platform: str, account_id: str, followers: int) -> AudienceProfile:
    female = _number(handle + ":female", 20, 80) / 100
    young = _number(handle + ":young", 10, 45) / 100
    adult = _number(handle + ":adult", 10, 40) / 100
    teen = round(_number(handle + ":teen", 0, 10) / 100, 2)
    home = COUNTRIES[_number(handle + ":home", 0, len(COUNTRIES) - 1)]
    others = [c for c in COUNTRIES if c != home][:2]

    def split(
        dimension: AudienceDimension, labels: list[tuple[str, float]], top_n: int | None = None
    ) -> AudienceBreakdown:
        # The labels are echo's own spellings; canonical_shares maps them to the core's buckets, or refuses them.
        return AudienceBreakdown(
            dimension=dimension,
            shares=canonical_shares(dimension, labels),
            source=MetricSource.PLATFORM,
            as_of=AS_OF,
            timeframe=Window.days(30),
            sample_size=followers,
            truncated=top_n is not None,
            top_n=top_n,
        )

    rest = round(1 - teen - young - adult, 2)
    return AudienceProfile(
        platform=platform,
        account_id=account_id,
        breakdowns=(
            split(AudienceDimension.GENDER, [("F", female), ("M", round(1 - female, 2))]),
            # Echo's age split, like TikTok's, ends in one bucket for 35 and older: kept as 35+, never split.
            split(AudienceDimension.AGE, [("13_17", teen), ("18_24", young), ("25_34", adult), ("35_plus", rest)]),
            # Only the top three countries are reported: the rest of the audience is somewhere else, unknown.
            split(AudienceDimension.COUNTRY, [(home.lower(), 0.55), (others[0], 0.12), (others[1], 0.08)], top_n=3),
        ),
    )


def _creator(index: int, platform: str) -> CreatorCandidate:
    handle = f"echo_creator_{index:02d}"
    followers = _number(handle + ":followers", 5_000, 2_500_000)
    window = Window.posts(30)
    account = PlatformAccount(
        platform=platform,
        account_id=f"{platform}-{index:04d}",
        handle=handle,
        display_name=f"Echo Creator {index:02d}",
        followers=Count(value=followers, window=Window.lifetime(), source=MetricSource.PLATFORM, as_of=AS_OF),
    )
    average_views = _number(handle + ":views", followers // 20 + 1, followers // 2 + 10)
    label = LABELS[index % len(LABELS)]
    profile = CreatorProfile(
        id=f"echo:{handle}",
        display_name=account.display_name,
        accounts=(account,),
        categories=tuple(category.value for category in CATEGORY_MAP.from_platform([label])),
        country=COUNTRIES[index % len(COUNTRIES)],
        languages=("en", "es") if index % 4 == 0 else ("en",),
        rate_card=RateCard(
            tiers=(
                PriceTier(
                    deliverable=DeliverableType.SHORT_VIDEO,
                    price=Money(_number(handle + ":price", 200, 5_000) * 100, "USD"),
                    label="21-60 s video",
                ),
            ),
            negotiable=index % 3 != 0,
            updated_at=AS_OF,
        ),
    )
    engagement = _number(handle + ":er", 10, 120) / 1000

    def mean(value: int) -> Count:
        return Count(value=value, window=window, source=MetricSource.PLATFORM, as_of=AS_OF, statistic=Statistic.MEAN)

    def lifetime(value: int, rounded_to: int | None = None) -> Count:
        return Count(
            value=value, window=Window.lifetime(), source=MetricSource.PLATFORM, as_of=AS_OF, rounded_to=rounded_to
        )

    metrics = CreatorMetrics(
        platform=platform,
        account_id=account.account_id,
        as_of=AS_OF,
        followers=account.followers,
        average_views=mean(average_views),
        engagement_rate=Rate(
            value=engagement, denominator=Denominator.VIEWS, window=window, source=MetricSource.PLATFORM, as_of=AS_OF
        ),
        # Echo shows lifetime views rounded to thousands, and says so.
        total_views=lifetime(average_views * 180 // 1000 * 1000, rounded_to=1000),
        post_count=lifetime(_number(handle + ":posts", 40, 900)),
        sponsored=PerformanceSlice(
            views=mean(average_views * 3 // 4),
            posts=Count(value=index % 7 + 1, window=Window.lifetime(), source=MetricSource.PLATFORM, as_of=AS_OF),
        )
        if index % 2 == 0
        else None,
        extensions={f"{platform}.creator_score": float(_number(handle + ":score", 1, 100))},
    )
    audience = _audience(handle, platform, account.account_id, followers)
    return CreatorCandidate(platform=platform, profile=profile, metrics=metrics, audience=audience)


_SORT_KEYS = {
    SortField.FOLLOWERS: lambda c: c.metrics.followers.value,
    SortField.AVERAGE_VIEWS: lambda c: c.metrics.average_views.value,
    SortField.ENGAGEMENT_RATE: lambda c: c.metrics.engagement_rate.value,
    SortField.PRICE: lambda c: c.profile.rate_card.tiers[0].price.amount,
}


class EchoPlatform:
    """A platform plugin answering from 24 synthetic creators. ``name`` lets tests register several."""

    def __init__(self, name: str = "echo", size: int = 24) -> None:
        self.name = name
        self.latency = 0.0
        self.fail_discovery = False
        self.creators = [_creator(i, name) for i in range(size)]
        self.sent: list[str] = []
        #: Invitation reference -> (the creator's handle, echo's raw status).
        self.invitations: dict[str, tuple[str, str]] = {}
        #: Idempotency key -> (the request it was first given, the placement made for it).
        self.placements: dict[str, tuple[PlatformOrderRequest, OrderPlacement]] = {}
        self.orders: dict[str, PlatformOrder] = {}
        #: Every place_order call, repeats included (what a test counts to see a retry reach the platform).
        self.order_calls: list[PlatformOrderRequest] = []
        self.webhook_secret = SANDBOX_WEBHOOK_SECRET
        self.verify_token = SANDBOX_VERIFY_TOKEN
        self.webhook_tolerance = timedelta(seconds=300)
        #: The platform's authorization server: issues, rotates and revokes tokens; counts refreshes.
        self.oauth = EchoOAuth(name)

    def _wait(self) -> None:
        if self.latency:
            time.sleep(self.latency)

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name=self.name,
            kind=PluginKind.PLATFORM,
            display_name="Echo (reference plugin)",
            description="Answers from a deterministic in-memory roster; for tests and as an example.",
            capabilities=frozenset(
                {
                    Capability.DISCOVERY,
                    Capability.CREATOR_LOOKUP,
                    Capability.INVITATIONS,
                    Capability.MESSAGING,
                    Capability.CONTRACTING,
                    Capability.METRICS,
                    Capability.IMPORT,
                    Capability.WEBHOOKS,
                    Capability.AUDIENCE,
                    Capability.POST_METRICS,
                    Capability.AUTHORIZATION,
                }
            ),
            settings_schema=SETTINGS_SCHEMA,
        )

    @hookimpl
    def creatorkit_configure(self, settings: Mapping[str, Any]) -> None:
        self.latency = settings.get("latency_ms", 0) / 1000
        if "creators" in settings:  # a bigger marketplace: POSTS_PER_CREATOR posts each, for tests at scale
            self.creators = [_creator(i, self.name) for i in range(settings["creators"])]
        self.fail_discovery = settings.get("fail_discovery", False)
        self.webhook_secret = str(settings.get("webhook_secret", SANDBOX_WEBHOOK_SECRET.decode())).encode()
        self.verify_token = str(settings.get("verify_token", SANDBOX_VERIFY_TOKEN))
        self.webhook_tolerance = timedelta(seconds=settings.get("webhook_tolerance_s", 300))
        self.oauth.access_lifetime = settings.get("access_token_lifetime_s", self.oauth.access_lifetime)
        self.oauth.refresh_lifetime = settings.get("refresh_token_lifetime_s", self.oauth.refresh_lifetime)
        self.oauth.rotate = settings.get("rotate_refresh_tokens", self.oauth.rotate)
        self.oauth.redirect_uri = settings.get("redirect_uri", DEFAULT_REDIRECT_URI)

    @hookimpl
    def creatorkit_receive_webhook(self, request: WebhookRequest) -> WebhookResult:
        """A GET is Meta's subscription handshake; a POST a signed batch of changes, one notice per change."""
        if request.method == "GET":
            challenge = webhooks.verify_handshake(request, verify_token=self.verify_token, signer=self.name)
            return WebhookResult(reply=WebhookReply.text(challenge))
        if request.method != "POST":
            raise SignatureError(f"a {request.method} is neither a handshake nor a delivery", signer=self.name)
        webhooks.verify_signed(
            request,
            header=webhooks.PLATFORM_SIGNATURE_HEADER,
            mac_key="s",
            secret=self.webhook_secret,
            tolerance=self.webhook_tolerance,
            signer=self.name,
        )
        return WebhookResult(notices=webhooks.platform_notices(self.name, request))

    def _authorized(self, context: CallContext) -> None:
        """With a token source, check its token as echo's API would; a refused one is renewed once."""
        if context.tokens is None:
            return
        token = context.tokens.access_token()
        try:
            self.oauth.check(token, context.now())
        except AuthExpired:
            # The source renews it for every caller at once, or raises AuthExpired naming the authorisation.
            self.oauth.check(context.tokens.refresh(token), context.now())

    # -- authorization -----------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_authorization_url(self, request: AuthorizationRequest, code_verifier: str) -> AuthorizationUrl:
        return self.oauth.authorization_url(request, code_verifier)

    @hookimpl
    def creatorkit_exchange_code(
        self, request: AuthorizationRequest, code: str, code_verifier: str | None, context: CallContext
    ) -> IssuedTokens:
        return self.oauth.exchange(request, code, code_verifier, context.now())

    @hookimpl
    def creatorkit_refresh_tokens(
        self, authorization: Connection | Grant, tokens: TokenPair, context: CallContext
    ) -> IssuedTokens:
        return self.oauth.refresh(authorization, tokens, context.now())

    @hookimpl
    def creatorkit_revoke_tokens(self, tokens: TokenPair) -> Revocation:
        return self.oauth.revoke(tokens)

    @hookimpl
    def creatorkit_discover_creators(self, query: DiscoveryQuery) -> DiscoveryPage:
        self._wait()
        if self.fail_discovery:
            raise Transient(self.name, "discovery is failing (fail_discovery = true)", code="ECHO_FAIL")
        found = [c for c in self.creators if _matches(c, query)]
        if query.sort is not None and query.sort.field in _SORT_KEYS:
            descending = query.sort.direction is SortDirection.DESCENDING
            found.sort(key=_SORT_KEYS[query.sort.field], reverse=descending)
        start = int(query.cursor or 0)
        page = found[start : start + query.limit]
        after = start + len(page)
        return DiscoveryPage(
            platform=self.name,
            candidates=tuple(page),
            next_cursor=str(after) if after < len(found) else None,
            total=len(found),
            filters=_report(query),
        )

    @hookimpl
    def creatorkit_lookup_creator(self, handle: str) -> CreatorCandidate:
        self._wait()
        for candidate in self.creators:
            if candidate.profile.accounts[0].handle == handle.lstrip("@"):
                return candidate
        raise NotFound("creator", handle)

    # -- metrics and audience --------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_fetch_creator_metrics(
        self, account: PlatformAccount, period: Period | None, context: CallContext
    ) -> CreatorMetrics:
        self._authorized(context)
        metrics = self.creatorkit_lookup_creator(account.handle).metrics
        if metrics is None:
            raise NotFound("metrics", account.handle)
        if period is None:
            return metrics
        days = [day for day in period.days() if day <= AS_OF.date()]
        daily = tuple(_day(account.handle, day) for day in days)
        return CreatorMetrics(
            platform=metrics.platform,
            account_id=metrics.account_id,
            as_of=AS_OF,
            followers=metrics.followers,
            total_views=metrics.total_views,
            post_count=metrics.post_count,
            period=period,
            daily=daily,
            extensions=metrics.extensions,
        )

    @hookimpl
    def creatorkit_fetch_audience(self, account: PlatformAccount) -> AudienceProfile:
        audience = self.creatorkit_lookup_creator(account.handle).audience
        if audience is None:
            raise NotFound("audience", account.handle)
        return audience

    @hookimpl
    def creatorkit_fetch_post_metrics_batch(self, request: PostMetricsRequest) -> PostMetricsBatch:
        self._wait()
        results = []
        for post_id in request.post_ids:
            metrics = self._post(post_id, request)
            if metrics is None:
                error = ItemError(kind=ErrorKind.NOT_FOUND, message=f"echo has no post {post_id}")
                results.append(PostMetricsResult(platform_post_id=post_id, error=error))
            else:
                results.append(PostMetricsResult(platform_post_id=post_id, metrics=metrics))
        return PostMetricsBatch(platform=self.name, results=tuple(results))

    def post_ids(self, handle: str) -> list[str]:
        """The ids of the posts echo knows for ``handle``: what a test records as published."""
        candidate = self.creatorkit_lookup_creator(handle)
        return [f"{candidate.profile.accounts[0].account_id}-p{n}" for n in range(1, POSTS_PER_CREATOR + 1)]

    def _post(self, post_id: str, request: PostMetricsRequest) -> PostMetrics | None:
        account_id, _, number = post_id.rpartition("-p")
        owner = next((c for c in self.creators if c.profile.accounts[0].account_id == account_id), None)
        if owner is None or number not in {str(n) for n in range(1, POSTS_PER_CREATOR + 1)}:
            return None
        window = Window.lifetime()

        def count(figure: str, low: int, high: int) -> Count:
            value = _number(f"{post_id}:{figure}", low, high)
            return Count(value=value, window=window, source=MetricSource.PLATFORM, as_of=AS_OF)

        views = count("views", 1_000, 900_000)
        daily: tuple[DailyFigures, ...] = ()
        if request.daily:
            days = request.period.days() if request.period else [AS_OF.date() - timedelta(days=n) for n in (2, 1, 0)]
            daily = tuple(_day(post_id, day) for day in sorted(days) if day <= AS_OF.date())
        return PostMetrics(
            platform=self.name,
            platform_post_id=post_id,
            as_of=AS_OF,
            views=views,
            likes=count("likes", 10, max(11, views.value // 10)),
            comments=count("comments", 0, 2_000),
            shares=count("shares", 0, 5_000),
            # Echo reports no saves: missing, so None (a 0 would claim nobody saved the post).
            saves=None,
            account_id=account_id,
            period=request.period,
            daily=daily,
            extensions={f"{self.name}.watch_time_s": float(_number(f"{post_id}:watch", 3, 60))},
        )

    # -- outreach --------------------------------------------------------------------------------------------

    # -- invitations and messaging -------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_send_invitation(self, invitation: Invitation, account: PlatformAccount) -> OutreachReceipt:
        self.creatorkit_lookup_creator(account.handle)
        receipt = self._receipt(invitation.id)
        self.invitations[receipt.platform_ref] = (account.handle, "INVITED")
        return receipt

    @hookimpl
    def creatorkit_get_invitation(self, platform_ref: str, account: PlatformAccount) -> PlatformInvitation:
        try:
            handle, raw = self.invitations[platform_ref]
        except KeyError:
            raise NotFound("invitation", platform_ref) from None
        if handle != account.handle:
            raise NotFound("invitation", f"{platform_ref} for {account.handle}")
        return PlatformInvitation(
            platform=self.name,
            platform_ref=platform_ref,
            status=INVITATION_STATUSES.get(raw, InvitationStatus.SENT),  # an unknown word is still waiting
            raw_status=raw,
            checked_at=AS_OF,
        )

    def answer_invitation(self, platform_ref: str, *, accept: bool) -> None:
        """The creator answers on echo's own app (what a test does to see the answer read back)."""
        handle, _ = self.invitations[platform_ref]
        self.invitations[platform_ref] = (handle, "ACCEPTED" if accept else "DECLINED")

    @hookimpl
    def creatorkit_send_message(self, message: Message, account: PlatformAccount) -> OutreachReceipt:
        self.creatorkit_lookup_creator(account.handle)
        return self._receipt(message.id)

    def _receipt(self, ref: str) -> OutreachReceipt:
        self.sent.append(ref)
        return OutreachReceipt(
            platform=self.name,
            platform_ref=f"echo-{hashlib.sha256(ref.encode()).hexdigest()[:16]}",
            accepted_at=AS_OF,
        )

    # -- orders ----------------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_place_order(self, request: PlatformOrderRequest) -> OrderPlacement:
        self.order_calls.append(request)
        known = self.placements.get(request.idempotency_key)
        if known is not None:
            first, placement = known
            if attrs.evolve(first, attempt=1) != attrs.evolve(request, attempt=1):
                # As Stripe does: a key names one request; reusing it for another is a caller's bug, not a retry.
                raise InvalidRequest(
                    self.name, "this idempotency key was used for a different order", field="idempotency_key"
                )
            return placement
        for deliverable in request.deliverables:
            days = deliverable.ad_authorization_days
            if days is not None and days not in AD_AUTHORIZATION_DAYS:
                allowed = ", ".join(map(str, sorted(AD_AUTHORIZATION_DAYS)))
                raise NotSupported(
                    self.name, f"paid-ads authorisation of {days} days (echo offers {allowed})", feature="ad_days"
                )
        orders, failed = [], []
        for handle in request.creator_handles:
            if any(c.profile.accounts[0].handle == handle for c in self.creators):
                orders.append(self._order(request, handle))
            else:
                failed.append(FailedHandle(handle=handle, reason="no creator with this handle on echo", code="E404"))
        placement = OrderPlacement(
            platform=self.name,
            idempotency_key=request.idempotency_key,
            deal_id=request.deal_id,
            orders=tuple(orders),
            failed=tuple(failed),
            placed_at=AS_OF,
        )
        self.placements[request.idempotency_key] = (request, placement)
        return placement

    def _order(self, request: PlatformOrderRequest, handle: str) -> PlatformOrder:
        digest = hashlib.sha256(f"{request.idempotency_key}:{handle}".encode()).hexdigest()
        order = PlatformOrder(
            platform=self.name,
            order_id=f"echo-order-{digest[:12]}",
            deal_id=request.deal_id,
            creator_handle=handle,
            status=ORDER_STATUSES["AWAITING_CREATOR"],
            raw_status="AWAITING_CREATOR",
            created_at=AS_OF,
            campaign_ref=f"echo-campaign-{digest[12:20]}",
            invite_link=f"https://echo.invalid/orders/{digest[:12]}",
        )
        self.orders[order.order_id] = order
        return order

    @hookimpl
    def creatorkit_get_order(self, order_id: str) -> PlatformOrder:
        try:
            return self.orders[order_id]
        except KeyError:
            raise NotFound("order", order_id) from None

    # -- partner exports -------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_import_records(self, data: bytes, format: ImportFormat, context: CallContext) -> ImportResult:
        return read_creator_list(self.name, data, format, context.now())


def _day(seed: str, day: date) -> DailyFigures:
    views = _number(f"{seed}:{day}:views", 100, 90_000)
    return DailyFigures(
        day=day,
        views=views,
        likes=_number(f"{seed}:{day}:likes", 0, views // 8),
        comments=_number(f"{seed}:{day}:comments", 0, 300),
        shares=_number(f"{seed}:{day}:shares", 0, 500),
        saves=None,  # echo does not report saves
    )


def _report(query: DiscoveryQuery) -> tuple[FilterOutcome, ...]:
    """The filter report for ``query``: what echo's 'platform' did with each filter it sets."""
    ignored = dict(IGNORED)
    applied = list(APPLIED)
    if query.price is not None:
        if query.price.currency == "USD":
            applied.append("price")
        else:
            ignored["price"] = f"echo prices only in USD, not {query.price.currency}"
    if query.engagement_rate is not None:
        if query.engagement_rate.denominator is Denominator.VIEWS and query.engagement_rate.window is None:
            applied.append("engagement_rate")
        else:
            ignored["engagement_rate"] = "echo's engagement rate is per view over its last 30 posts only"
    if query.sort is not None and query.sort.field not in _SORT_KEYS:
        applied.remove("sort")
        ignored["sort"] = f"echo cannot sort by {query.sort.field}"
    outcomes = (CATEGORY_MAP.outcome(query.categories),) if query.categories else ()
    return query.report(applied=applied, approximated=APPROXIMATED, ignored=ignored, outcomes=outcomes)


def _matches(candidate: CreatorCandidate, query: DiscoveryQuery) -> bool:
    """Echo's own search: the filters it reports applied or approximated, nothing else."""
    profile, metrics = candidate.profile, candidate.metrics
    assert metrics is not None and metrics.followers is not None and metrics.average_views is not None
    labels = CATEGORY_MAP.to_platform(query.categories)
    if (
        query.categories
        and labels
        and not set(labels) & set(CATEGORY_MAP.to_platform(map(Category, profile.categories)))
    ):
        return False
    if query.countries and profile.country not in query.countries:
        return False
    if query.languages and not set(query.languages) & set(profile.languages):
        return False
    if query.followers is not None and not query.followers.holds(metrics.followers.value):
        return False
    views = metrics.average_views.value
    for bounds in (query.average_views, query.median_views):  # median views approximated by the average
        if bounds is not None and not bounds.holds(views):
            return False
    if query.price is not None and query.price.currency == "USD":
        assert profile.rate_card is not None
        if not any(query.price.holds(tier.price) for tier in profile.rate_card.tiers):
            return False
    rate = query.engagement_rate
    if rate is not None and rate.denominator is Denominator.VIEWS and rate.window is None:
        assert metrics.engagement_rate is not None
        if not rate.holds(metrics.engagement_rate.value):
            return False
    for wanted in query.audience:
        if wanted.dimension is AudienceDimension.GENDER:
            assert candidate.audience is not None
            breakdown = candidate.audience.breakdown(AudienceDimension.GENDER)
            low = breakdown.share_bounds(wanted.keys)[0] if breakdown else 0.0
            if low < wanted.min_share:
                return False
    keywords = query.keywords.lower()
    return not keywords or keywords in profile.display_name.lower() or keywords in profile.accounts[0].handle


class EchoPayments:
    """A payment provider that keeps its books in memory: the smallest provider that keeps the v2 contract.

    It moves no real money. It shows what a real provider must do: treat ``operation_id`` as the idempotency
    key (a retry returns the first result; the same id with other parameters is an ``IdempotencyConflict``
    naming the fields), keep its books in its own units (``to_provider_units``; ISK goes in hundredths, KWD in
    tens of fils), refuse to release more than a source holds or its split ratio allows, refuse a refund while
    released money is not reversed, map its raw statuses with ``status_from_raw`` (an unknown one is pending),
    and verify webhooks from the raw bytes and a signed timestamp (HMAC-SHA256 with ``webhook_secret``, header
    ``Echo-Pay-Signature``), acknowledging each with the JSON reply its sender expects. It lists its records,
    oldest first, for reconciliation (``payment_listing``), each as it stands, by the time it last changed; its
    clock stands still at :data:`AS_OF`, as its data set does.

    Its ``[payments.echo_pay.sandbox]`` switches make it misbehave the way real providers do, for the conformance
    kit: ``timeout_after_success`` (the first attempt of every movement moves the money and then reports a
    timeout), ``pending_retrieves`` (movements stay pending until retrieved that many times) and ``raw_status``
    (movements report that raw status, whatever it is).
    """

    FEE_BP = 100  # echo_pay keeps 1 % of every fund, rounded down to what it can represent
    RAW_STATUSES = {
        "processing": OperationStatus.PENDING,
        "requires_action": OperationStatus.REQUIRES_ACTION,
        "succeeded": OperationStatus.SUCCEEDED,
        "failed": OperationStatus.FAILED,
        "canceled": OperationStatus.CANCELED,
        "reversed": OperationStatus.REVERSED,
    }
    CAPABILITIES = PaymentCapabilities(
        currencies=(
            CurrencySupport(currency="USD", exponent=2),
            CurrencySupport(currency="EUR", exponent=2),
            CurrencySupport(currency="CNY", exponent=2),
            CurrencySupport(currency="JPY", exponent=0),
            CurrencySupport(currency="KRW", exponent=0),
            CurrencySupport(currency="ISK", exponent=2, multiple_of=100),  # hundredths, whole krónur only
            CurrencySupport(currency="KWD", exponent=3, multiple_of=10),  # tens of fils only
        ),
        max_hold_days=90,
        partial_release=True,
        max_receivers=5,
        max_split_bp=8_000,  # at most 80 % of a fund, net of the fee, goes to receivers
        refund_requires_reversal=True,
    )

    def __init__(self, name: str = "echo_pay") -> None:
        self.name = name
        self.webhook_secret = SANDBOX_WEBHOOK_SECRET
        self.webhook_tolerance = timedelta(seconds=300)
        self.timeout_after_success = False
        self.pending_retrieves = 0
        self.raw_status: str | None = None
        self.list_page_size = 50
        self.records: dict[str, _Record] = {}  # by operation id: what was asked, what it became
        self.sources: dict[str, _Source] = {}  # funds, by provider_ref
        self.paid: dict[str, dict[str, int]] = {}  # release provider_ref -> account -> units still paid out by it
        self.balances: dict[tuple[str, str], int] = {}  # (account, currency) -> units the receiver holds

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name=self.name,
            kind=PluginKind.PAYMENT,
            display_name="Echo payments (reference plugin)",
            description="In-memory escrow for tests and as an example; moves no real money.",
            capabilities=frozenset({Capability.PAYMENTS, Capability.PAYMENT_LISTING, Capability.WEBHOOKS}),
            settings_schema={
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    # writeOnly: a secret, given to the plugin and never shown back (reprs, errors, the CLI).
                    "webhook_secret": _SECRET,
                    "webhook_tolerance_s": _TOLERANCE,
                    "sandbox": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "timeout_after_success": {"type": "boolean"},
                            "pending_retrieves": {"type": "integer", "minimum": 0, "maximum": 10},
                            "raw_status": {"type": "string", "minLength": 1},
                            "list_page_size": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                    },
                },
            },
            payments=self.CAPABILITIES,
        )

    @hookimpl
    def creatorkit_configure(self, settings: Mapping[str, Any]) -> None:
        if "webhook_secret" in settings:
            self.webhook_secret = str(settings["webhook_secret"]).encode()
        self.webhook_tolerance = timedelta(seconds=settings.get("webhook_tolerance_s", 300))
        sandbox = settings.get("sandbox", {})
        self.timeout_after_success = bool(sandbox.get("timeout_after_success", False))
        self.pending_retrieves = int(sandbox.get("pending_retrieves", 0))
        self.raw_status = sandbox.get("raw_status")
        self.list_page_size = int(sandbox.get("list_page_size", 50))

    @hookimpl
    def creatorkit_payment_operation(self, request: ProviderRequest) -> ProviderOperation:
        record = self.records.get(request.operation_id)
        if record is not None:
            self._same_request(record, request)
            return record.operation  # the operation id is the idempotency key: a retry moves nothing
        legs = self._move(request)
        record = _Record(request=request, operation=self._operation(request, legs), retrieves_left=0)
        if record.operation.status is OperationStatus.PENDING and self.raw_status is None:
            record.retrieves_left = self.pending_retrieves
        self.records[request.operation_id] = record
        if self.timeout_after_success:
            # The money moved; the answer is lost on its way back, as a read timeout loses it.
            raise PaymentError(
                f"{request.kind} {request.operation_id}: timed out waiting for the answer",
                provider=self.name,
                operation_id=request.operation_id,
                outcome_unknown=True,
                provider_code="timeout",
            )
        return record.operation

    @hookimpl
    def creatorkit_payment_retrieve(
        self, request: ProviderRequest, known: ProviderOperation | None
    ) -> ProviderOperation:
        # echo_pay can look an operation up by its id; Stripe would use known.provider_ref or list by metadata.
        record = self.records.get(request.operation_id)
        if record is None:
            raise NotFound("payment operation", request.operation_id)
        self._same_request(record, request)
        if record.retrieves_left:
            record.retrieves_left -= 1
            if not record.retrieves_left:
                record.operation = self._with_status(record.operation, "succeeded")
        return record.operation

    @hookimpl
    def creatorkit_payment_list(self, since: datetime | None, cursor: str | None) -> ProviderOperationPage:
        # No defaults here: pluggy passes an implementation only the arguments it names without one.
        listed = [r.operation for r in self.records.values() if since is None or r.operation.updated_at >= since]
        start = 0
        if cursor is not None:
            if not cursor.isdigit() or int(cursor) > len(listed):
                raise InvalidRequest(self.name, f"{cursor!r} is not a cursor of this listing", field="cursor")
            start = int(cursor)
        end = start + self.list_page_size
        return ProviderOperationPage(
            provider=self.name,
            operations=tuple(listed[start:end]),
            next_cursor=str(end) if end < len(listed) else None,
        )

    # -- the books, in echo_pay's own units -------------------------------------------------------------------

    def _same_request(self, record: _Record, request: ProviderRequest) -> None:
        fields = differing_fields(record.request, request)
        if fields:
            raise IdempotencyConflict(request.operation_id, fields, provider=self.name)

    def _units(self, amount: Money) -> int:
        return to_provider_units(amount, self.CAPABILITIES, provider=self.name)

    def _money(self, units: int, currency: str) -> Money:
        return from_provider_units(units, currency, self.CAPABILITIES, provider=self.name)

    def _refuse(self, request: ProviderRequest, reason: str) -> PaymentError:
        return PaymentError(
            f"{request.kind} {request.operation_id}: {reason}", provider=self.name, operation_id=request.operation_id
        )

    def _move(self, request: ProviderRequest) -> list[tuple[str, int]]:
        """Change the books for ``request`` or refuse it; the (account, units) each leg moved."""
        mover = {
            OperationKind.FUND: self._fund,
            OperationKind.RELEASE: self._release,
            OperationKind.REVERSE: self._reverse,
            OperationKind.REFUND: self._refund,
            OperationKind.PAYOUT: self._payout,
        }[request.kind]
        return mover(request)

    def _fund(self, request: ProviderRequest) -> list[tuple[str, int]]:
        if request.legs:
            raise self._refuse(request, "echo_pay funds into escrow only; release to receivers afterwards")
        units = self._units(request.amount)
        support = self.CAPABILITIES.currency(request.amount.currency)
        multiple = support.multiple_of if support is not None else 1
        fee = units * self.FEE_BP // 10_000
        self.sources[_reference(request)] = _Source(
            currency=request.amount.currency, gross=units, fee=fee - fee % multiple
        )
        return []

    def _source(self, request: ProviderRequest) -> _Source:
        source = self.sources.get(request.source.ref) if request.source is not None else None
        if source is None:
            raise self._refuse(request, "needs the provider_ref of a fund echo_pay made as its source")
        return source

    def _release(self, request: ProviderRequest) -> list[tuple[str, int]]:
        source = self._source(request)
        if not request.legs:
            raise self._refuse(request, "a release names its receivers")
        total = self._units(request.amount)
        left = min(source.split_limit(self.CAPABILITIES.max_split_bp), source.gross - source.fee - source.refunded)
        if total > left - source.released:
            available = self._money(max(left - source.released, 0), source.currency)
            raise self._refuse(request, f"{request.amount} exceeds the {available} left to release from the source")
        source.released += total
        moved = [(leg.account_ref, self._units(leg.amount)) for leg in request.legs]
        self.paid[_reference(request)] = dict(moved)
        for account, units in moved:
            self.balances[(account, source.currency)] = self.balances.get((account, source.currency), 0) + units
        return moved

    def _reverse(self, request: ProviderRequest) -> list[tuple[str, int]]:
        ref = request.source.ref if request.source is not None else ""
        paid = self.paid.get(ref)
        release = next((r for r in self.records.values() if _reference(r.request) == ref), None)
        if paid is None or release is None or release.request.source is None:
            raise self._refuse(request, "needs the provider_ref of a release echo_pay made as its source")
        if not request.legs:
            raise self._refuse(request, "a reversal names the receivers it takes the money back from")
        currency = request.amount.currency
        moved = [(leg.account_ref, self._units(leg.amount)) for leg in request.legs]
        for account, units in moved:
            if units > paid.get(account, 0):
                raise self._refuse(request, f"{account} was not paid that much by {ref}")
            if units > self.balances.get((account, currency), 0):
                raise self._refuse(request, f"{account}'s balance does not cover the reversal (paid out already)")
        for account, units in moved:
            paid[account] -= units
            self.balances[(account, currency)] -= units
        self.sources[release.request.source.ref].released -= sum(units for _, units in moved)
        reversed_units = self._units(release.request.amount) - sum(paid.values())
        reversed_amount = self._money(reversed_units, currency)
        status = "reversed" if not any(paid.values()) else release.operation.raw_status
        release.operation = attrs.evolve(self._with_status(release.operation, status), reversed_amount=reversed_amount)
        return moved

    def _refund(self, request: ProviderRequest) -> list[tuple[str, int]]:
        source = self._source(request)
        units = self._units(request.amount)
        if units > source.gross - source.refunded - source.released:
            if source.released:
                raise self._refuse(request, "money released from the source must be reversed before it is refunded")
            raise self._refuse(request, f"{request.amount} exceeds what is left to refund")
        source.refunded += units
        return []

    def _payout(self, request: ProviderRequest) -> list[tuple[str, int]]:
        moved = [(leg.account_ref, self._units(leg.amount)) for leg in request.legs]
        if not moved:
            raise self._refuse(request, "a payout names the receiver whose balance is paid out")
        currency = request.amount.currency
        for account, units in moved:
            if units > self.balances.get((account, currency), 0):
                raise self._refuse(request, f"{account} holds less than {request.amount}")
        for account, units in moved:
            self.balances[(account, currency)] -= units
        return moved

    def _operation(self, request: ProviderRequest, moved: list[tuple[str, int]]) -> ProviderOperation:
        raw = self.raw_status or ("processing" if self.pending_retrieves else "succeeded")
        status = status_from_raw(raw, self.RAW_STATUSES)
        reference = _reference(request)
        fee = net = None
        hold_expires_at = None
        if request.kind is OperationKind.FUND:
            source = self.sources[reference]
            fee = self._money(source.fee, source.currency)
            net = request.amount - fee
            hold_expires_at = AS_OF + timedelta(days=self.CAPABILITIES.max_hold_days or 0)
        parties = {leg.account_ref: leg.party_id for leg in request.legs}
        return ProviderOperation(
            provider=self.name,
            operation_id=request.operation_id,
            kind=request.kind,
            status=status,
            raw_status=raw,
            amount=request.amount,
            provider_ref=reference,
            updated_at=AS_OF,
            legs=tuple(
                LegResult(
                    account_ref=account,
                    amount=self._money(units, request.amount.currency),
                    status=status,
                    raw_status=raw,
                    party_id=parties.get(account),
                    provider_ref=f"{reference}-{index}",
                )
                for index, (account, units) in enumerate(moved)
            ),
            fee=fee,
            net=net,
            hold_expires_at=hold_expires_at,
        )

    def _with_status(self, operation: ProviderOperation, raw: str) -> ProviderOperation:
        status = status_from_raw(raw, self.RAW_STATUSES)
        legs = tuple(attrs.evolve(leg, status=status, raw_status=raw) for leg in operation.legs)
        return attrs.evolve(operation, status=status, raw_status=raw, legs=legs)

    @hookimpl
    def creatorkit_receive_webhook(self, request: WebhookRequest) -> WebhookResult:
        """One signed event per delivery, acknowledged with ``{"code": "SUCCESS"}`` (as WeChat Pay's docs show)."""
        if request.method != "POST":
            raise SignatureError(f"echo_pay delivers by POST, not {request.method}", signer=self.name)
        webhooks.verify_signed(
            request,
            header=webhooks.PAYMENT_SIGNATURE_HEADER,
            mac_key="v1",
            secret=self.webhook_secret,
            tolerance=self.webhook_tolerance,
            signer=self.name,
        )
        return WebhookResult(notices=(webhooks.payment_notice(self.name, request),), reply=PAYMENT_ACKNOWLEDGEMENT)


@dataclasses.dataclass
class _Record:
    """One operation echo_pay accepted: the request as first submitted and what became of it."""

    request: ProviderRequest
    operation: ProviderOperation
    retrieves_left: int


@dataclasses.dataclass
class _Source:
    """A fund, in echo_pay's units: what came in, the fee kept, and what went out since."""

    currency: str
    gross: int
    fee: int
    released: int = 0
    refunded: int = 0

    def split_limit(self, max_split_bp: int | None) -> int:
        base = self.gross - self.fee
        return base if max_split_bp is None else base * max_split_bp // 10_000


def _reference(request: ProviderRequest) -> str:
    """echo_pay's id for the object an operation made (a Stripe charge or transfer id, a WeChat order_id)."""
    return f"echo_{request.kind}_{hashlib.sha256(request.operation_id.encode()).hexdigest()[:16]}"
