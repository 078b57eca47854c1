"""A TikTok brand's whole path on the sandbox, through a kit's public API.

Connect the brand's TikTok for Business account, discover creators with its token, invite one (a one-creator
TikTok One campaign), agree and sign a contract allowing 30 days of paid ads, place the campaign, watch the
creator join and link a video that TikTok approves, read the campaign's report, bind the creator's Spark Ads code
and revoke it once the contract's allowance ends.

One test per stage; each builds the stages before it on a fresh kit (:class:`Journey`), on SQLite and, with
``CREATORKIT_TEST_POSTGRES_URL`` set, on PostgreSQL (the ``store`` fixture of ``tests/world.py``). The plugin is
the installed ``creatorkit_tiktok`` in sandbox mode, and every TikTok state asserted is its own sandbox's.

Time: the kit's clock starts at the sandbox population's date, which is also where the plugin's clock stands
(``TikTokBase._now`` answers the population's ``as_of`` in sandbox mode, and TikTok's Spark Ads authorisations
start then). Moving the kit's clock does not move TikTok's: after 31 kit days TikTok still honours a 365-day
code, which is the case ``kit.usage_rights.enforce`` exists for.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar, cast
from urllib.parse import parse_qs, urlsplit

import attrs
import httpx
import pytest
from creatorkit_tiktok import TikTokPlatform
from creatorkit_tiktok import _api as api
from creatorkit_tiktok._campaigns import NO_LINKED_VIDEO
from creatorkit_tiktok._usage import NOT_BOUND
from creatorkit_tiktok.sandbox import SANDBOX_ACCOUNT, SANDBOX_ADVERTISER, TikTokSandbox, _campaigns
from creatorkit_tiktok.sandbox._oauth import approve, grant_token

from creatorkit import Actor, Creatorkit, Money, discover
from creatorkit import toolkit as tk
from creatorkit.config import Config
from creatorkit.entities import (
    AuthorizationStatus,
    Budget,
    CampaignBrief,
    Channel,
    Connection,
    ContentRules,
    CountRange,
    CreatorProfile,
    Deal,
    DealState,
    Deliverable,
    DeliverableType,
    Denominator,
    DiscoveryQuery,
    FilterStatus,
    InvitationStatus,
    MilestoneTrigger,
    OrderPlacement,
    OrderStatus,
    PaymentMilestone,
    PaymentSchedule,
    PlatformAccount,
    PostMetricsRequest,
    Product,
    PublishedPost,
    RateRange,
    ScheduleKind,
    Terms,
    Timeline,
    UsageRightRecord,
    UsageRights,
    UsageRightStatus,
    VerificationStatus,
)
from creatorkit.parties._tokens import SEALED_KIND
from creatorkit.signing import generate_keypair, sign_contract_hash
from creatorkit.testing import network_disabled
from creatorkit.testing._fixtures import sandboxed_host
from creatorkit.tokens import TOKEN_KEY_ENV, generate_token_key
from world import Clock

T = TypeVar("T")
DAY = timedelta(days=1)
PREFIX = "/open_api/v1.3/"
DISCOVER = PREFIX + "tto/tcm/creator/discover/"
CREATE = PREFIX + "tto/tcm/campaign/create/"
REPORT = PREFIX + "tto/tcm/report/"
UNBIND = PREFIX + "tt_video/unbind/"
SECOND_ADVERTISER = "7100000000000000002"


@attrs.define
class Sent:
    """One request that reached the sandbox: what a TikTok request log would keep."""

    method: str
    path: str
    token: str | None
    params: dict[str, str]


class Journey:
    """The brand's path, one stage at a time; each stage runs the ones before it once."""

    def __init__(self, kit: Creatorkit, clock: Clock, database: Any) -> None:
        self.kit, self.clock, self.database = kit, clock, database
        plugin = kit.plugins.pm.get_plugin("tiktok")
        assert isinstance(plugin, TikTokPlatform) and plugin.sandbox is not None
        self.plugin: TikTokPlatform = plugin
        self.sandbox: TikTokSandbox = plugin.sandbox
        self.sent: list[Sent] = []
        self._log_requests()
        self.system = Actor.system()
        self.brand = Actor.brand("brand_trail")
        self.keys: dict[str, str] = {}
        self.done: dict[str, Any] = {}
        self._parties()

    def _log_requests(self) -> None:
        """Keep every request the sandbox answers, with the token it carried (the sandbox keeps only the path)."""
        answer = self.sandbox.handle_request

        def logged(request: httpx.Request) -> httpx.Response:
            token = request.headers.get("Access-Token") or request.headers.get("Authorization", "").removeprefix(
                "Bearer "
            )
            params = dict(request.url.params)
            self.sent.append(Sent(request.method, request.url.path, token or None, params))
            return answer(request)

        self.sandbox.handle_request = logged  # type: ignore[method-assign]

    def _parties(self) -> None:
        parties = self.kit.parties
        parties.register_brand(self.system, name="Trailhead Gear", country="US", id=self.brand.id)
        parties.set_brand_verification(self.system, self.brand.id, VerificationStatus.VERIFIED)
        self._key(self.brand)

    def _key(self, actor: Actor) -> None:
        private, public = generate_keypair()
        self.kit.parties.set_signing_key(actor, public)
        self.keys[actor.id] = private

    def _once(self, stage: str, run: Callable[[], T]) -> T:
        if stage not in self.done:
            self.done[stage] = run()
        return cast(T, self.done[stage])

    def sent_to(self, path: str, method: str | None = None) -> list[Sent]:
        return [s for s in self.sent if s.path == path and (method is None or s.method == method)]

    def context(self) -> Any:
        return self.kit.connections.context(self.brand, platform="tiktok")

    def token(self) -> str:
        """The connection's access token, opened from the store."""
        tokens = self.context().tokens
        assert tokens is not None
        return str(tokens.access_token())

    # -- 1. connect ---------------------------------------------------------------------------------------------

    def connect(self) -> Connection:
        return self._once("connect", self._connect)

    def _connect(self) -> Connection:
        started = self.kit.connections.start(self.brand, platform="tiktok")
        self.done["authorize_url"] = started
        redirect = approve(started.url, sandbox=self.sandbox)  # the owner approves the app in TikTok's portal
        connection: Connection = self.kit.connections.finish(self.brand, redirect_url=redirect)
        return connection

    # -- 2. discover --------------------------------------------------------------------------------------------

    def discover(self) -> Any:
        return self._once("discover", self._discover)

    def _discover(self) -> Any:
        self.connect()
        query = DiscoveryQuery(
            countries=("US",),
            followers=CountRange(min=10_000, max=2_000_000),
            follower_growth=RateRange(min=0.0, denominator=Denominator.FOLLOWERS),
            limit=20,
        )
        return discover(self.kit.plugins, query, contexts={"tiktok": self.context()})

    def creator_account(self) -> tk.Account:
        """The discovered creator the brand invites: the first with videos to link, as the population has them."""

        def pick() -> tk.Account:
            for candidate in self.discover().candidates:
                found = self.sandbox.population.find("tiktok", candidate.profile.accounts[0].handle)
                if found is not None and found.post_count > 0:
                    self.done["candidate"] = candidate
                    return found
            raise AssertionError("discovery found no creator with videos")

        return self._once("creator_account", pick)

    # -- 3. invite ----------------------------------------------------------------------------------------------

    def creator(self) -> Actor:
        return self._once("creator", self._register_creator)

    def _register_creator(self) -> Actor:
        account = self.creator_account()
        candidate = self.done["candidate"]
        found = candidate.profile
        profile = CreatorProfile(
            id=f"creator_{account.handle}",
            display_name=found.display_name,
            country=found.country,
            categories=found.categories,
            accounts=(
                PlatformAccount(
                    platform="tiktok",
                    account_id=account.account_id,
                    handle=account.handle,
                    display_name=found.display_name,
                ),
            ),
            rate_card=found.rate_card,
        )
        registered = self.kit.parties.register_creator(self.system, profile)
        actor = Actor.creator(registered.id)
        self._key(actor)
        return actor

    def brief(self) -> CampaignBrief:
        return self._once("brief", self._brief)

    def _brief(self) -> CampaignBrief:
        start = self.clock.now
        brief = self.kit.briefs.create(
            self.brand,
            name="Ridge Pack launch",
            product=Product(name="Ridge 30L", description="A 30-litre hiking pack", category="sports_outdoors"),
            budget=Budget(total=Money(2_000_000, "USD")),
            timeline=Timeline(publish_from=start + 7 * DAY, publish_until=start + 45 * DAY),
            deliverables=(Deliverable(type=DeliverableType.SHORT_VIDEO, quantity=1, platform="tiktok"),),
            content_rules=ContentRules(key_selling_points=("30 litres",), disclosure_tags=("#ad",)),
        )
        return self.kit.briefs.publish(self.brand, brief.id)

    def invite(self) -> Deal:
        return self._once("invite", self._invite)

    def _invite(self) -> Deal:
        self.connect()
        creator, brief = self.creator(), self.brief()
        return self.kit.outreach.invite(
            self.brand,
            brief_id=brief.id,
            creator_id=creator.id,
            platform="tiktok",
            channel=Channel.PLATFORM,
            body="Hi {{ creator.display_name }}, we would love a video for {{ brief.name }}.",
        )

    # -- 4. campaign --------------------------------------------------------------------------------------------

    def terms(self) -> Terms:
        price = Money(180_000, "USD")
        return Terms(
            price=price,
            deliverables=(Deliverable(type=DeliverableType.SHORT_VIDEO, quantity=1, platform="tiktok"),),
            payment=PaymentSchedule(
                kind=ScheduleKind.POSTPAY,
                milestones=(PaymentMilestone(label="fee", amount=price, trigger=MilestoneTrigger.ON_PUBLICATION),),
            ),
            publish_by=self.clock.now + 40 * DAY,
            revision_limit=2,
        )

    def executed(self) -> tuple[Deal, Any]:
        return self._once("executed", self._executed)

    def _executed(self) -> tuple[Deal, Any]:
        deal, creator = self.invite(), self.creator()
        self.kit.outreach.respond(creator, deal.id, accept=True)
        offer = self.kit.negotiation.propose(self.brand, deal.id, self.terms())
        self.kit.negotiation.accept(creator, offer.id)
        template = self.kit.contracts.create_template(self.brand, name="Standard", body="{{ brand.name }} agreement")
        contract = self.kit.contracts.draft(
            self.brand,
            deal.id,
            template_id=template.id,
            draft_due=self.clock.now + 20 * DAY,
            usage_rights=UsageRights(paid_ads=True, duration_days=30),
        )
        for actor in (self.brand, creator):
            signature = sign_contract_hash(self.keys[actor.id], contract.content_hash)
            contract = self.kit.contracts.sign(
                actor, contract.id, signature=signature, contract_hash=contract.content_hash
            )
        return deal, contract

    def placement(self) -> OrderPlacement:
        return self._once("placement", self._place)

    def _place(self) -> OrderPlacement:
        deal, _ = self.executed()
        return self.kit.contracts.place_platform_order(self.brand, deal.id)

    def order_campaign(self) -> dict[str, Any]:
        [order] = self.placement().orders
        assert order.campaign_ref is not None
        return self.sandbox.campaigns[order.campaign_ref]

    # -- 5. content -------------------------------------------------------------------------------------------

    def creator_call(self, path: str, body: dict[str, Any]) -> Any:
        """A call on TikTok One's creator side, through the plugin's client, with the creator's own grant."""
        account = self.creator_account()
        issued = grant_token(self.sandbox, account.account_id)
        client = self.plugin._business_client(tk.StaticToken(issued.access_token, platform="tiktok"))
        with client:
            return api.BUSINESS.data_of(tk.body_of(client.post(path, json=body)))

    def video_id(self) -> str:
        return next(self.sandbox.population.posts(self.creator_account(), limit=1)).post_id

    def linked(self) -> str:
        """The creator joins the order's campaign by its invite link and links their video; the video's id."""

        def link() -> str:
            account, campaign = self.creator_account(), self.order_campaign()
            invite = {"creator_id": account.account_id, "tto_invite_link": campaign["invite_link"]}
            self.creator_call("tto/creator/campaign/join/", invite)
            self.creator_call("tto/creator/campaign/video/link/", {**invite, "video_id": self.video_id()})
            return self.video_id()

        return self._once("linked", link)

    def approved(self) -> str:
        """TikTok's review passes the linked video (TikTok's side: no API call)."""

        def review() -> str:
            video_id = self.linked()
            _campaigns.review(self.sandbox, self.order_campaign()["campaign_id"], video_id)
            return video_id

        return self._once("approved", review)

    def published_post(self) -> PublishedPost:
        video_id, account = self.approved(), self.creator_account()
        deal, _ = self.executed()
        [order] = self.placement().orders
        post = self.sandbox.population.post(video_id)
        assert post is not None
        return PublishedPost(
            id=f"post_{video_id}",
            deal_id=deal.id,
            submission_id="submission_1",
            platform="tiktok",
            platform_post_id=video_id,
            url=f"https://www.tiktok.com/@{account.handle}/video/{video_id}",
            published_at=post.published_at,
            platform_order_id=order.order_id,
            account=PlatformAccount(platform="tiktok", account_id=account.account_id, handle=account.handle),
        )

    # -- 6. usage rights ----------------------------------------------------------------------------------------

    def authorize(self, days: int) -> tuple[str, UsageRightRecord]:
        video_id = self.approved()
        deal, _ = self.executed()
        code = self.sandbox.spark_code(video_id, days)  # the creator makes the code in the TikTok app
        return code, self.kit.usage_rights.authorize(self.brand, deal.id, code, post_id=video_id)


@functools.cache
def _people(seed: int, size: int) -> tk.Population:
    return tk.Population(seed=seed, size=size)


def _share_people(sandbox: TikTokSandbox) -> None:
    """Let the sandbox read its people from one population of the same seed kept across tests.

    A population's people are immutable and generated from the seed alone, and each sandbox caches the ones it
    generated; the first discovery walks all 2,000 of them (over a second). Sharing that cache changes no answer,
    only that each test pays for it again; every other piece of the sandbox's state stays its own.
    """
    population = sandbox.population
    shared = _people(population.seed, population.size)
    assert shared.as_of == population.as_of and shared.platforms == population.platforms
    population._person = shared._person


@pytest.fixture
def journey(store: Any, database: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Journey]:
    monkeypatch.setenv(TOKEN_KEY_ENV, generate_token_key())
    with network_disabled():
        plugins = sandboxed_host("tiktok", "creatorkit.platforms", {}, plugin=TikTokPlatform())
        plugin = plugins.pm.get_plugin("tiktok")
        assert isinstance(plugin, TikTokPlatform) and plugin.sandbox is not None
        _share_people(plugin.sandbox)
        # The kit's day is TikTok's: the sandbox population's date (see the module's docstring).
        clock = Clock(plugin.sandbox.population.as_of + timedelta(hours=9))
        kit = Creatorkit(store=store, plugins=plugins, config=Config(), clock=clock)
        yield Journey(kit, clock, database)


def _stored_text(database: Any) -> str:
    """Every stored document and audit event, as text: what someone reading the database sees."""
    rows = database.execute("SELECT * FROM documents") + database.execute("SELECT * FROM audit_events")
    return repr(rows)


# -- 1. connect -------------------------------------------------------------------------------------------------


def test_the_brand_connects_its_tiktok_for_business_account(journey: Journey) -> None:
    connection = journey.connect()

    started = journey.done["authorize_url"]
    parts = urlsplit(started.url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "business-api.tiktok.com", "/portal/auth")
    assert query["app_id"] == journey.plugin.app_id and query["state"] == started.state
    assert (connection.platform, connection.account_id, connection.status) == (
        "tiktok",
        SANDBOX_ADVERTISER,
        AuthorizationStatus.ACTIVE,
    )
    assert connection.account_name == "creatorkit sandbox brand (TTO)"
    assert connection.details == {
        "advertiser_ids": f"{SANDBOX_ADVERTISER},{SECOND_ADVERTISER}",
        "tto_tcm_account_ids": SANDBOX_ACCOUNT,
    }
    assert connection.expires_at is None and connection.refresh_expires_at is None, "TikTok's never expire"
    assert journey.kit.connections.list(journey.brand) == [connection]

    token = journey.token()
    state, subject = journey.sandbox.issuer.check(token)
    assert state is tk.TokenState.VALID and subject is not None
    assert subject.startswith(f"advertiser:{SANDBOX_ADVERTISER}:"), "the token TikTok issued for this consent"
    assert token != journey.sandbox.brand_token.access_token()
    with journey.kit.store.read() as tx:
        sealed = [r for r in tx.find(SEALED_KIND) if r.doc["owner_kind"] == "connection"]
    assert [r.id for r in sealed] == [connection.id]
    assert token not in _stored_text(journey.database), "the token is sealed at rest"


# -- 2. discover ------------------------------------------------------------------------------------------------


def test_discovery_finds_us_creators_with_the_brands_token_and_reports_each_filter(journey: Journey) -> None:
    results = journey.discover()

    assert results.errors == {} and results.skipped == {}
    outcome = results.outcomes["tiktok"]
    assert outcome.page is not None and outcome.candidates
    report = {line.filter: line.status for line in outcome.page.filters}
    assert report == {
        "countries": FilterStatus.APPLIED,
        "followers": FilterStatus.APPLIED,
        "follower_growth": FilterStatus.IGNORED,
    }
    ignored = outcome.page.outcome_of("follower_growth")
    assert ignored is not None and "no follower-growth filter" in ignored.note
    assert [check.filter for check in outcome.checks] == ["follower_growth"], "the core checks what TikTok cannot"
    for candidate in outcome.candidates:
        [account] = candidate.profile.accounts
        known = journey.sandbox.population.find("tiktok", account.handle)
        assert known is not None and known.account_id == account.account_id, "a creator of the sandbox"
        assert candidate.profile.country == "US" and 10_000 <= known.followers <= 2_000_000

    [call] = journey.sent_to(DISCOVER)
    assert call.token == journey.token(), "the call carried the connection's token"
    state, subject = journey.sandbox.issuer.check(call.token)
    assert state is tk.TokenState.VALID and subject is not None and subject.startswith("advertiser:")
    assert call.params["tto_tcm_account_id"] == SANDBOX_ACCOUNT, "as the connection's TikTok One account"
    assert call.params["country_codes"] == '["US"]'


# -- 3. invite --------------------------------------------------------------------------------------------------


def test_the_invitation_is_a_one_creator_tiktok_one_campaign_read_back(journey: Journey) -> None:
    deal = journey.invite()
    account = journey.creator_account()
    invitation = journey.kit.outreach.invitation(journey.brand, deal.id)

    assert (deal.state, deal.platform) == (DealState.INVITED, "tiktok")
    creator = journey.kit.parties.get(journey.system, "creator", deal.creator_id)
    [registered] = creator.accounts
    assert (registered.platform, registered.account_id, registered.handle) == (
        "tiktok",
        account.account_id,
        account.handle,
    )
    assert account in journey.sandbox.population.on("tiktok"), "a real account of the sandbox population"
    [campaign] = journey.sandbox.campaigns.values()
    assert invitation.platform_ref == f"{campaign['campaign_id']}:{account.handle}"
    assert campaign["handle_names"] == [account.handle] and campaign["failed_handle_names"] == []
    assert campaign["campaign_name"].endswith(f"[invitation:{invitation.id}]")
    assert campaign["campaign_description"] == invitation.body and account.handle not in invitation.body
    assert campaign["send_notification"] and campaign["tto_tcm_account_id"] == SANDBOX_ACCOUNT
    [created] = journey.sent_to(CREATE)
    assert created.token == journey.token()

    status = journey.kit.outreach.refresh_invitation(journey.brand, deal.id)
    assert (status.platform_ref, status.status, status.raw_status) == (
        invitation.platform_ref,
        InvitationStatus.SENT,
        "IN",  # TikTok One: the creator is in the marketplace, and has linked nothing yet
    )
    assert status.invite_link == campaign["invite_link"]
    with journey.kit.store.read() as tx:
        kept = tx.require("platform_invitation", invitation.id)
    assert kept.doc["raw_status"] == "IN"
    actions = [e.action for e in journey.kit.store.iter_audit() if e.entity_id == invitation.id]
    assert "invitation.platform_status" in actions


# -- 4. campaign ------------------------------------------------------------------------------------------------


def test_the_signed_deal_is_placed_once_as_a_campaign_asking_30_spark_ads_days(journey: Journey) -> None:
    deal, contract = journey.executed()
    assert contract.clauses.usage_rights.paid_ads and contract.clauses.usage_rights.duration_days == 30
    before = len(journey.sandbox.campaigns)  # the invitation's

    placement = journey.placement()

    account = journey.creator_account()
    assert len(journey.sandbox.campaigns) == before + 1
    [order] = placement.orders
    campaign = journey.order_campaign()
    assert order.order_id == f"{campaign['campaign_id']}:{account.handle}" and placement.failed == ()
    assert (order.status, order.raw_status, order.deal_id) == (OrderStatus.PENDING, NO_LINKED_VIDEO, deal.id)
    assert campaign["spark_ads_requested_authorization_days"] == 30
    assert campaign["handle_names"] == [account.handle]
    assert campaign["advertiser_ids"] == [SANDBOX_ADVERTISER] and f"[deal:{deal.id} key:" in campaign["campaign_name"]
    assert journey.sent_to(CREATE)[-1].token == journey.token()

    creates = len(journey.sent_to(CREATE))
    again = journey.kit.contracts.place_platform_order(journey.brand, deal.id)
    assert again == placement, "the stored placement"
    assert len(journey.sandbox.campaigns) == before + 1 and len(journey.sent_to(CREATE)) == creates


# -- 5. content and report --------------------------------------------------------------------------------------


def test_the_creator_links_a_video_tiktok_approves_it_and_the_report_reads_it(journey: Journey) -> None:
    [order] = journey.placement().orders
    client = journey.kit.plugins.platform("tiktok")
    video_id = journey.linked()

    campaign = journey.order_campaign()
    assert campaign["joined"] == [journey.creator_account().handle]
    in_review = client.get_order(order.order_id, context=journey.context())
    assert (in_review.status, in_review.raw_status, in_review.post_ids) == (OrderStatus.ACTIVE, "IN_REVIEW", ())

    journey.approved()
    delivered = client.get_order(order.order_id, context=journey.context())
    assert (delivered.status, delivered.raw_status, delivered.post_ids) == (
        OrderStatus.DELIVERED,
        "APPROVE",
        (video_id,),
    )
    assert delivered.deal_id == order.deal_id and campaign["video_ids"] == [video_id]

    post = journey.published_post()
    batch = client.fetch_post_metrics_batch(PostMetricsRequest(posts=(post,)), context=journey.context())
    assert batch.errors == {}
    metrics = batch.metrics[video_id]
    assert metrics.views is not None and metrics.views.value > 0
    assert metrics.likes is not None and metrics.comments is not None and metrics.shares is not None
    rate = metrics.engagement_rate
    assert rate is not None and rate.denominator is Denominator.VIEWS
    assert rate.denominator_value == metrics.views.value, "the rate says what it divides by"
    engaged = metrics.likes.value + metrics.comments.value + metrics.shares.value
    assert rate.value == pytest.approx(engaged / metrics.views.value, abs=1e-4)
    [report] = journey.sent_to(REPORT)
    assert report.params["campaign_id"] == campaign["campaign_id"] and report.token == journey.token()


# -- 6. usage rights --------------------------------------------------------------------------------------------


def test_a_30_day_spark_ads_code_is_bound_for_the_contracts_30_days(journey: Journey) -> None:
    code, record = journey.authorize(30)

    right = record.right
    assert (right.status, right.raw_status, right.platform_ref, right.post_id) == (
        UsageRightStatus.ACTIVE,
        "AUTHORIZED",
        code,
        journey.approved(),
    )
    assert right.ad_account_id == SANDBOX_ADVERTISER
    assert right.starts_at == journey.sandbox.population.as_of and right.ends_at == right.starts_at + 30 * DAY
    assert record.allowed_until == right.starts_at + 30 * DAY
    assert not record.outlives_contract()
    assert journey.sandbox.spark_codes[code]["bound"] == {SANDBOX_ADVERTISER}
    deal, _ = journey.executed()
    assert journey.kit.usage_rights.list(journey.brand, deal_id=deal.id) == [record]


def test_a_365_day_code_is_revoked_once_the_contracts_30_days_are_over(journey: Journey) -> None:
    code, record = journey.authorize(365)
    start = record.right.starts_at
    assert start is not None
    assert record.right.ends_at == start + 365 * DAY and record.allowed_until == start + 30 * DAY
    assert record.outlives_contract(), "TikTok would run the post as an ad 335 days longer than agreed"
    assert journey.kit.usage_rights.enforce() == [], "not before the contract's end"
    assert journey.sent_to(UNBIND) == []

    journey.clock.advance(days=31)
    [revoked] = journey.kit.usage_rights.enforce()

    assert revoked.id == record.id
    assert (revoked.right.status, revoked.right.raw_status) == (UsageRightStatus.REVOKED, NOT_BOUND)
    assert journey.sandbox.spark_codes[code]["bound"] == set(), "unbound from the ad account at TikTok"
    [unbind] = journey.sent_to(UNBIND)
    assert unbind.token == journey.token()
    assert journey.kit.usage_rights.list(journey.brand) == [revoked]
    actions = [e.action for e in journey.kit.store.iter_audit() if e.entity_id == record.id]
    assert actions == ["usage_right.authorize", "usage_right.revoke"]
    assert journey.kit.usage_rights.enforce() == [], "nothing left to revoke"
