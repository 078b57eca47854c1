"""creatorkit-echo: the smallest complete platform plugin and payment provider, shipped as their own distribution.

It shows a plugin author the whole shape: an entry point in ``creatorkit.platforms``, metadata whose
capabilities match the hooks implemented, a ``missing`` explanation for the stage it cannot do, settings
checked by a JSON Schema, typed errors, and outputs built as creatorkit entities. Its "platform" is a small
deterministic roster generated in memory, so it never touches the network.

Settings (``[platforms.echo]`` in creatorkit.toml):

* ``latency_ms`` (int, default 0): wait this long in every stage call, to simulate a slow platform.
* ``fail_discovery`` (bool, default false): make discovery raise a transient platform error.
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
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from creatorkit import AuthExpired, CallContext, Money, NotFound, PaymentError, SignatureError, Transient, hookimpl
from creatorkit.entities import (
    AudienceBreakdown,
    AudienceDimension,
    AudienceProfile,
    AudienceShare,
    AuthorizationRequest,
    AuthorizationUrl,
    Capability,
    Connection,
    Count,
    CreatorCandidate,
    CreatorMetrics,
    CreatorProfile,
    DeliverableType,
    Denominator,
    DiscoveryPage,
    DiscoveryQuery,
    Grant,
    Invitation,
    IssuedTokens,
    Message,
    MetricSource,
    OperationKind,
    OperationStatus,
    OutreachReceipt,
    PlatformAccount,
    PluginKind,
    PluginMetadata,
    PriceTier,
    ProviderOperation,
    ProviderRequest,
    Rate,
    RateCard,
    Revocation,
    Statistic,
    WebhookNotice,
    Window,
)
from creatorkit.tokens import TokenPair

from ._oauth import DEFAULT_REDIRECT_URI, EchoOAuth, consent

__all__ = ["AS_OF", "DEFAULT_REDIRECT_URI", "EchoOAuth", "EchoPayments", "EchoPlatform", "consent", "sign_webhook"]

__version__ = "0.1.0"

# The instant the synthetic data set describes; fixed so every run returns the same figures.
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
CATEGORIES = ("beauty", "gaming", "food", "travel", "fitness", "tech")
COUNTRIES = ("US", "GB", "KR", "IT", "ES", "PL")
SETTINGS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "latency_ms": {"type": "integer", "minimum": 0, "maximum": 60000},
        "fail_discovery": {"type": "boolean"},
        "access_token_lifetime_s": {"type": "integer", "minimum": 1},
        "refresh_token_lifetime_s": {"type": "integer", "minimum": 1},
        "rotate_refresh_tokens": {"type": "boolean"},
        "redirect_uri": {"type": "string", "minLength": 1},
    },
}


def _number(seed: str, low: int, high: int) -> int:
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    return low + digest % (high - low + 1)


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
    profile = CreatorProfile(
        id=f"echo:{handle}",
        display_name=account.display_name,
        accounts=(account,),
        categories=(CATEGORIES[index % len(CATEGORIES)],),
        country=COUNTRIES[index % len(COUNTRIES)],
        languages=("en",),
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
    metrics = CreatorMetrics(
        platform=platform,
        account_id=account.account_id,
        as_of=AS_OF,
        followers=account.followers,
        average_views=Count(
            value=average_views, window=window, source=MetricSource.PLATFORM, as_of=AS_OF, statistic=Statistic.MEAN
        ),
        engagement_rate=Rate(
            value=_number(handle + ":er", 10, 120) / 1000,
            denominator=Denominator.VIEWS,
            window=window,
            source=MetricSource.PLATFORM,
            as_of=AS_OF,
        ),
    )
    female = _number(handle + ":female", 20, 80) / 100
    audience = AudienceProfile(
        platform=platform,
        account_id=account.account_id,
        breakdowns=(
            AudienceBreakdown(
                dimension=AudienceDimension.GENDER,
                shares=(
                    AudienceShare(key="female", share=female),
                    AudienceShare(key="male", share=round(1 - female, 2)),
                ),
                source=MetricSource.PLATFORM,
                as_of=AS_OF,
                sample_size=followers,
            ),
        ),
    )
    return CreatorCandidate(platform=platform, profile=profile, metrics=metrics, audience=audience)


class EchoPlatform:
    """A platform plugin answering from 24 synthetic creators. ``name`` lets tests register several."""

    def __init__(self, name: str = "echo", size: int = 24) -> None:
        self.name = name
        self.latency = 0.0
        self.fail_discovery = False
        self.creators = [_creator(i, name) for i in range(size)]
        self.sent: list[str] = []
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
                    Capability.OUTREACH,
                    Capability.METRICS,
                    Capability.AUTHORIZATION,
                }
            ),
            missing={
                Capability.CONTRACTING: "echo has no marketplace to place orders on; record the contract only",
                Capability.AUDIENCE: "audience comes with discovery and lookup results",
                Capability.POST_METRICS: "echo publishes nothing, so it has no posts to measure",
            },
            settings_schema=SETTINGS_SCHEMA,
        )

    @hookimpl
    def creatorkit_configure(self, settings: Mapping[str, Any]) -> None:
        self.latency = settings.get("latency_ms", 0) / 1000
        self.fail_discovery = settings.get("fail_discovery", False)
        self.oauth.access_lifetime = settings.get("access_token_lifetime_s", self.oauth.access_lifetime)
        self.oauth.refresh_lifetime = settings.get("refresh_token_lifetime_s", self.oauth.refresh_lifetime)
        self.oauth.rotate = settings.get("rotate_refresh_tokens", self.oauth.rotate)
        self.oauth.redirect_uri = settings.get("redirect_uri", DEFAULT_REDIRECT_URI)

    def _authorized(self, context: CallContext) -> None:
        """With a token source, check its token as echo's API would; a refused one is renewed once."""
        if context.tokens is None:
            return
        token = context.tokens.access_token()
        try:
            self.oauth.check(token, context.now())
        except AuthExpired:
            # The source renews it for every caller at once, or raises AuthExpired naming the authorisation.
            self.oauth.check(context.tokens.refreshed(token), context.now())

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
        start = int(query.cursor or 0)
        page = found[start : start + query.limit]
        after = start + len(page)
        return DiscoveryPage(
            platform=self.name,
            candidates=tuple(page),
            next_cursor=str(after) if after < len(found) else None,
            total=len(found),
        )

    @hookimpl
    def creatorkit_lookup_creator(self, handle: str) -> CreatorCandidate:
        self._wait()
        for candidate in self.creators:
            if candidate.profile.accounts[0].handle == handle.lstrip("@"):
                return candidate
        raise NotFound("creator", handle)

    @hookimpl
    def creatorkit_fetch_creator_metrics(self, account: PlatformAccount, context: CallContext) -> CreatorMetrics:
        self._authorized(context)
        metrics = self.creatorkit_lookup_creator(account.handle).metrics
        if metrics is None:
            raise NotFound("metrics", account.handle)
        return metrics

    @hookimpl
    def creatorkit_send_invitation(self, invitation: Invitation, account: PlatformAccount) -> OutreachReceipt:
        self.creatorkit_lookup_creator(account.handle)
        return self._receipt(invitation.id)

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


def _matches(candidate: CreatorCandidate, query: DiscoveryQuery) -> bool:
    profile = candidate.profile
    followers = profile.accounts[0].followers.value if profile.accounts[0].followers else 0
    if query.categories and not set(query.categories) & set(profile.categories):
        return False
    if query.countries and profile.country not in query.countries:
        return False
    if query.min_followers is not None and followers < query.min_followers:
        return False
    if query.max_followers is not None and followers > query.max_followers:
        return False
    return not (query.keywords and query.keywords.lower() not in profile.display_name.lower())


class EchoPayments:
    """A payment provider that keeps its books in memory: the smallest provider that keeps the contract.

    It moves no real money. It shows what a real provider must do: treat ``operation_id`` as the idempotency
    key (a retry returns the first result), refuse to release, pay out or refund more than a deal holds, and
    verify webhooks from the raw bytes (HMAC-SHA256 with ``webhook_secret``, header ``Echo-Signature``).
    """

    SIGNATURE_HEADER = "echo-signature"

    def __init__(self, name: str = "echo_pay") -> None:
        self.name = name
        self.webhook_secret = b"echo-webhook-secret"
        self.operations: dict[str, ProviderOperation] = {}
        self.held: dict[tuple[str, str], int] = {}  # (deal, currency) -> minor units held

    @hookimpl
    def creatorkit_plugin_metadata(self) -> PluginMetadata:
        return PluginMetadata(
            name=self.name,
            kind=PluginKind.PAYMENT,
            display_name="Echo payments (reference plugin)",
            description="In-memory escrow for tests and as an example; moves no real money.",
            capabilities=frozenset({Capability.PAYMENTS, Capability.WEBHOOKS}),
            settings_schema={
                "type": "object",
                "additionalProperties": False,
                # writeOnly: a secret, given to the plugin and never shown back (reprs, errors, the CLI).
                "properties": {"webhook_secret": {"type": "string", "minLength": 8, "writeOnly": True}},
            },
        )

    @hookimpl
    def creatorkit_configure(self, settings: Mapping[str, Any]) -> None:
        if "webhook_secret" in settings:
            self.webhook_secret = str(settings["webhook_secret"]).encode()

    @hookimpl
    def creatorkit_payment_operation(self, request: ProviderRequest) -> ProviderOperation:
        done = self.operations.get(request.operation_id)
        if done is not None:
            return done  # the operation id is the idempotency key: a retry moves nothing
        key = (request.deal_id, request.amount.currency)
        held = self.held.get(key, 0)
        if request.kind is OperationKind.FUND:
            self.held[key] = held + request.amount.amount
        elif request.amount.amount > held:
            raise PaymentError(
                f"{request.kind} of {request.amount} exceeds the {held} minor units held for {request.deal_id}",
                provider=self.name,
                operation_id=request.operation_id,
            )
        else:
            self.held[key] = held - request.amount.amount
        operation = ProviderOperation(
            provider=self.name,
            operation_id=request.operation_id,
            kind=request.kind,
            status=OperationStatus.SUCCEEDED,
            amount=request.amount,
            provider_ref=f"echo_pay-{hashlib.sha256(request.operation_id.encode()).hexdigest()[:16]}",
            updated_at=AS_OF,
        )
        self.operations[request.operation_id] = operation
        return operation

    @hookimpl
    def creatorkit_payment_status(self, operation_id: str) -> ProviderOperation:
        try:
            return self.operations[operation_id]
        except KeyError:
            raise PaymentError(
                f"no operation {operation_id!r}", provider=self.name, operation_id=operation_id
            ) from None

    @hookimpl
    def creatorkit_parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookNotice:
        given = {k.lower(): v for k, v in headers.items()}.get(self.SIGNATURE_HEADER, "")
        expected = hmac.new(self.webhook_secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given, expected):
            raise SignatureError("Echo-Signature does not match the body", signer=self.name)
        try:
            event = json.loads(body)
            return WebhookNotice(
                source=self.name,
                event_id=str(event["id"]),
                event_type=str(event["type"]),
                object_ref=str(event["operation_id"]),
                received_at=AS_OF,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SignatureError(f"a signed but unreadable webhook body: {exc}", signer=self.name) from None


def sign_webhook(secret: bytes, body: bytes) -> dict[str, str]:
    """The headers echo_pay's sandbox sends with ``body``: what a test needs to make a genuine webhook."""
    return {"Echo-Signature": hmac.new(secret, body, hashlib.sha256).hexdigest()}
