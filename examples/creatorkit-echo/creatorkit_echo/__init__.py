"""creatorkit-echo: the smallest complete platform plugin and payment provider, shipped as their own distribution.

It shows a plugin author the whole shape: an entry point in ``creatorkit.platforms``, metadata whose
capabilities match the hooks implemented, a ``missing`` explanation for the stage it cannot do, settings
checked by a JSON Schema, typed errors, and outputs built as creatorkit entities. Its "platform" is a small
deterministic roster generated in memory, so it never touches the network.

Settings (``[platforms.echo]`` in creatorkit.toml):

* ``latency_ms`` (int, default 0): wait this long in every stage call, to simulate a slow platform.
* ``fail_discovery`` (bool, default false): make discovery raise a transient platform error.

Settings of the payment provider (``[payments.echo_pay]``):

* ``webhook_secret`` (string, at least 8 characters): the HMAC key webhooks are signed with. Its schema marks it
  ``"writeOnly": true``, so creatorkit never shows it, not even in the error that says it is too short.
* ``sandbox.timeout_after_success`` (bool): the first attempt of every money movement moves the money, then
  raises ``PaymentError(outcome_unknown=True)`` as a read timeout would; the retry with the same id answers.
* ``sandbox.pending_retrieves`` (int, 0-10): movements answer ``pending`` until retrieved that many times.
* ``sandbox.raw_status`` (string): movements report this raw status, mapped as echo_pay maps any (unknown: pending).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from creatorkit import IdempotencyConflict, Money, NotFound, PaymentError, SignatureError, Transient, hookimpl
from creatorkit.entities import (
    AudienceBreakdown,
    AudienceDimension,
    AudienceProfile,
    AudienceShare,
    Capability,
    Count,
    CreatorCandidate,
    CreatorMetrics,
    CreatorProfile,
    CurrencySupport,
    DeliverableType,
    Denominator,
    DiscoveryPage,
    DiscoveryQuery,
    Invitation,
    LegResult,
    Message,
    MetricSource,
    OperationKind,
    OperationStatus,
    OutreachReceipt,
    PaymentCapabilities,
    PlatformAccount,
    PluginKind,
    PluginMetadata,
    PriceTier,
    ProviderOperation,
    ProviderRequest,
    Rate,
    RateCard,
    Statistic,
    WebhookNotice,
    Window,
)
from creatorkit.payments import differing_fields, from_provider_units, status_from_raw, to_provider_units

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
                {Capability.DISCOVERY, Capability.CREATOR_LOOKUP, Capability.OUTREACH, Capability.METRICS}
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
    def creatorkit_fetch_creator_metrics(self, account: PlatformAccount) -> CreatorMetrics:
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
    """A payment provider that keeps its books in memory: the smallest provider that keeps the v2 contract.

    It moves no real money. It shows what a real provider must do: treat ``operation_id`` as the idempotency
    key (a retry returns the first result; the same id with other parameters is an ``IdempotencyConflict``
    naming the fields), keep its books in its own units (``to_provider_units``; ISK goes in hundredths, KWD in
    tens of fils), refuse to release more than a source holds or its split ratio allows, refuse a refund while
    released money is not reversed, map its raw statuses with ``status_from_raw`` (an unknown one is pending),
    and verify webhooks from the raw bytes (HMAC-SHA256 with ``webhook_secret``, header ``Echo-Signature``).

    Its ``[payments.echo_pay.sandbox]`` switches make it misbehave the way real providers do, for the conformance
    kit: ``timeout_after_success`` (the first attempt of every movement moves the money and then reports a
    timeout), ``pending_retrieves`` (movements stay pending until retrieved that many times) and ``raw_status``
    (movements report that raw status, whatever it is).
    """

    SIGNATURE_HEADER = "echo-signature"
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
        self.webhook_secret = b"echo-webhook-secret"
        self.timeout_after_success = False
        self.pending_retrieves = 0
        self.raw_status: str | None = None
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
            capabilities=frozenset({Capability.PAYMENTS, Capability.WEBHOOKS}),
            settings_schema={
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    # writeOnly: a secret, given to the plugin and never shown back (reprs, errors, the CLI).
                    "webhook_secret": {"type": "string", "minLength": 8, "writeOnly": True},
                    "sandbox": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "timeout_after_success": {"type": "boolean"},
                            "pending_retrieves": {"type": "integer", "minimum": 0, "maximum": 10},
                            "raw_status": {"type": "string", "minLength": 1},
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
        sandbox = settings.get("sandbox", {})
        self.timeout_after_success = bool(sandbox.get("timeout_after_success", False))
        self.pending_retrieves = int(sandbox.get("pending_retrieves", 0))
        self.raw_status = sandbox.get("raw_status")

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
        self, request: ProviderRequest, known: ProviderOperation | None = None
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


def sign_webhook(secret: bytes, body: bytes) -> dict[str, str]:
    """The headers echo_pay's sandbox sends with ``body``: what a test needs to make a genuine webhook."""
    return {"Echo-Signature": hmac.new(secret, body, hashlib.sha256).hexdigest()}
