"""One realistic instance of every entity, built with the attrs constructors.

The story: Brightside Kitchen (a US cookware brand) runs a skillet campaign; Maya Chen (@mayacooks, a TikTok
food creator managed by Northstar Talent) negotiates, signs, drafts, publishes and is paid in USD. The
escrow and ledger samples come from a Japanese deal in JPY, the payout from a Kuwaiti creator's deal in KWD
(three decimals), so that every currency exponent appears.

``SAMPLES`` maps each schema name to its instance; ``EXTRA_SAMPLES`` adds the edge cases a single instance
cannot show (a lifetime window, each kind of KPI target, a dated milestone, defaults only).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from creatorkit.analytics import (
    PastPost,
    PlanCandidate,
    PostResult,
    SegmentReach,
    TargetSegment,
    plan_budget,
    post_kpis,
    predict,
)
from creatorkit.entities import (
    AccountSnapshot,
    AccountSyncFailure,
    Agency,
    AudienceBreakdown,
    AudienceDimension,
    AudienceFilter,
    AudienceKind,
    AudienceProfile,
    AudienceShare,
    AudienceTarget,
    AuditEvent,
    AuthorizationKind,
    AuthorizationRequest,
    AuthorizationStatus,
    AuthorizationUrl,
    AvailabilityWindow,
    Awaiting,
    Brand,
    BriefStatus,
    Budget,
    CampaignBrief,
    CancellationTerms,
    Capability,
    CatalogImport,
    Channel,
    CheckResult,
    Connection,
    ContentReview,
    ContentRules,
    ContentSubmission,
    Contract,
    ContractClauses,
    ContractStatus,
    ContractTemplate,
    ContractTimeline,
    Count,
    CountRange,
    CreatorCandidate,
    CreatorMetrics,
    CreatorProfile,
    CreatorRequirements,
    CurrencySupport,
    DailyFigures,
    Deal,
    DealState,
    Deliverable,
    DeliverableType,
    Denominator,
    Direction,
    DiscoveryPage,
    DiscoveryQuery,
    DiscoverySort,
    Dispute,
    DisputeStatus,
    ErrorKind,
    Escrow,
    EscrowMilestone,
    EscrowStatus,
    Event,
    Exclusivity,
    FailedHandle,
    FeeBreakdown,
    FeedbackItem,
    FilterOutcome,
    FilterStatus,
    Grant,
    ImportFormat,
    ImportResult,
    Invitation,
    InvitationStatus,
    IpOwner,
    IpOwnership,
    IssuedTokens,
    ItemError,
    Kpi,
    KpiMetric,
    LedgerAccount,
    LedgerAccountKind,
    LedgerBalance,
    LedgerEntry,
    LedgerEntryKind,
    LegResult,
    LegRole,
    Match,
    Message,
    MessageTemplate,
    MetricSource,
    MetricsSyncReport,
    MilestoneTrigger,
    Money,
    NextAction,
    NextActionKind,
    NormalBalance,
    NoticeKind,
    Offer,
    OfferStatus,
    OperationKind,
    OperationStatus,
    OrderDeliverable,
    OrderIntent,
    OrderIntentStatus,
    OrderPlacement,
    OrderStatus,
    OutreachReceipt,
    PartyKind,
    PastCollaboration,
    PayeeKind,
    PaymentCapabilities,
    PaymentMilestone,
    PaymentOperation,
    PaymentOperationStatus,
    PaymentPurpose,
    PaymentSchedule,
    Payout,
    PayoutAccount,
    PayoutStatus,
    PendingAuthorization,
    PerformanceSlice,
    Period,
    PlatformAccount,
    PlatformInvitation,
    PlatformOrder,
    PlatformOrderRequest,
    PluginKind,
    PluginMetadata,
    Posting,
    PostMetrics,
    PostMetricsBatch,
    PostMetricsRequest,
    PostMetricsResult,
    PostSnapshot,
    PriceRange,
    PriceTier,
    Product,
    ProviderOperation,
    ProviderOperationPage,
    ProviderRequest,
    PublishedPost,
    PublishSchedule,
    Rate,
    RateCard,
    RateRange,
    ReceiverLeg,
    RejectedRow,
    ReviewDecision,
    Revocation,
    RosterEntry,
    ScheduleKind,
    Scope,
    ScoreComponent,
    Settlement,
    Signature,
    SigningKey,
    SortDirection,
    SortField,
    SourceReference,
    Statistic,
    SyncFailure,
    TalentManager,
    Terms,
    TextSpan,
    Thread,
    Timeline,
    UsageAuthorizationRequest,
    UsageRight,
    UsageRightRecord,
    UsageRights,
    UsageRightStatus,
    VerificationStatus,
    WebhookNotice,
    WebhookReply,
    WebhookResult,
    Window,
)
from creatorkit.entities._aftercare import (
    Appreciation,
    AppreciationKind,
    BrandEvent,
    CollaborationFeedback,
    CollaborationSide,
    EventInvitation,
    RelationshipSummary,
    RsvpStatus,
)

__all__ = ["EXTRA_SAMPLES", "SAMPLES", "sample"]

NEW_YORK = timezone(timedelta(hours=-5))
TOKYO = timezone(timedelta(hours=9))
KUWAIT = timezone(timedelta(hours=3))
SHANGHAI = timezone(timedelta(hours=8))
START = datetime(2025, 3, 3, 14, 0, tzinfo=UTC)


def at(days: float, tz: timezone = UTC) -> datetime:
    """A moment ``days`` after the campaign started, shown in ``tz``."""
    return (START + timedelta(days=days)).astimezone(tz)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


BRAND_ID = "brand_brightside"
AGENCY_ID = "agency_northstar"
MANAGER_ID = "mgr_jordan_alvarez"
CREATOR_ID = "cr_maya_chen"
BRIEF_ID = "brief_skillet_spring25"
DEAL_ID = "deal_9c41e2b07a5d4f1e"
CONTRACT_ID = "contract_9c41e2b07a5d4f1e_v2"
TIKTOK_ACCOUNT = "6987312045518291974"
POST_ID = "7480193355120840982"
PRICE = Money(450_000, "USD")  # $4,500.00

# --- metrics and audience --------------------------------------------------------------------------------

window = Window.posts(20)
followers = Count(
    value=2_340_512, window=Window.lifetime(), source=MetricSource.PLATFORM, as_of=at(0), provider="tiktok"
)
average_views = Count(value=418_900, window=window, source=MetricSource.PLATFORM, as_of=at(0), statistic=Statistic.MEAN)
engagement_rate = Rate(
    value=0.087,
    denominator=Denominator.VIEWS,
    window=window,
    source=MetricSource.PLATFORM,
    as_of=at(0),
    denominator_value=8_378_000,
    provider="tiktok",
)
creator_metrics = CreatorMetrics(
    platform="tiktok",
    account_id=TIKTOK_ACCOUNT,
    as_of=at(0),
    followers=followers,
    average_views=average_views,
    median_views=Count(
        value=301_250, window=window, source=MetricSource.PLATFORM, as_of=at(0), statistic=Statistic.MEDIAN
    ),
    six_second_view_rate=Rate(
        value=0.41, denominator=Denominator.PLAYS, window=window, source=MetricSource.PLATFORM, as_of=at(0)
    ),
    completion_rate=Rate(
        value=0.23, denominator=Denominator.PLAYS, window=window, source=MetricSource.PLATFORM, as_of=at(0)
    ),
    engagement_rate=engagement_rate,
    average_likes=Count(
        value=31_400, window=window, source=MetricSource.PLATFORM, as_of=at(0), statistic=Statistic.MEAN
    ),
    average_comments=Count(
        value=612, window=window, source=MetricSource.PLATFORM, as_of=at(0), statistic=Statistic.MEAN
    ),
    average_shares=Count(
        value=1_870, window=window, source=MetricSource.PLATFORM, as_of=at(0), statistic=Statistic.MEAN
    ),
    average_saves=Count(
        value=2_530, window=window, source=MetricSource.PLATFORM, as_of=at(0), statistic=Statistic.MEAN
    ),
    reach=Count(
        value=5_120_000,
        window=Window.days(28),
        source=MetricSource.ESTIMATED,
        as_of=at(0),
        provider="hypeauditor",
    ),
    follower_growth_rate=Rate(
        value=0.012,
        denominator=Denominator.FOLLOWERS,
        window=Window.days(30),
        source=MetricSource.PLATFORM,
        as_of=at(0),
    ),
    period=Period(start=at(-30), end=at(0)),
    total_views=Count(
        value=412_000_000, window=Window.lifetime(), source=MetricSource.PLATFORM, as_of=at(0), rounded_to=1_000_000
    ),
    total_likes=Count(value=31_870_114, window=Window.lifetime(), source=MetricSource.PLATFORM, as_of=at(0)),
    post_count=Count(value=1_204, window=Window.lifetime(), source=MetricSource.PLATFORM, as_of=at(0)),
    sponsored=PerformanceSlice(
        views=Count(
            value=288_300, window=Window.posts(30), source=MetricSource.PLATFORM, as_of=at(0), statistic=Statistic.MEAN
        ),
        engagement_rate=Rate(
            value=0.061,
            denominator=Denominator.VIEWS,
            window=Window.posts(30),
            source=MetricSource.PLATFORM,
            as_of=at(0),
            rounded_to=0.001,
        ),
        posts=Count(value=30, window=Window.posts(30), source=MetricSource.PLATFORM, as_of=at(0)),
    ),
    daily=(
        DailyFigures(day=date(2025, 3, 1), views=1_204_100, likes=88_020, comments=1_530, shares=4_012, follows=2_210),
        DailyFigures(day=date(2025, 3, 2), views=987_330, likes=70_418, comments=None, shares=3_100, follows=1_804),
    ),
    extensions={"tiktok.average_watch_time_ms": 17_400.0, "tiktok.six_seconds_views_benchmark": 0.82},
)

age_share = AudienceShare(key="18-24", share=0.46)
age_breakdown = AudienceBreakdown(
    dimension=AudienceDimension.AGE,
    shares=(
        AudienceShare(key="13-17", share=0.12),
        age_share,
        AudienceShare(key="25-34", share=0.31),
        # TikTok reports 35 and older as one bucket: kept whole, never split into invented parts.
        AudienceShare(key="35+", share=0.11),
    ),
    source=MetricSource.PLATFORM,
    as_of=at(0),
    sample_size=2_340_512,
    timeframe=Window.days(30),
)
audience = AudienceProfile(
    platform="tiktok",
    account_id=TIKTOK_ACCOUNT,
    breakdowns=(
        age_breakdown,
        AudienceBreakdown(
            dimension=AudienceDimension.GENDER,
            shares=(AudienceShare(key="female", share=0.68), AudienceShare(key="male", share=0.30)),
            source=MetricSource.PLATFORM,
            as_of=at(0),
        ),
        AudienceBreakdown(
            dimension=AudienceDimension.COUNTRY,
            shares=(AudienceShare(key="US", share=0.71), AudienceShare(key="CA", share=0.08)),
            source=MetricSource.ESTIMATED,
            as_of=at(-2),
            provider="hypeauditor",
            truncated=True,
        ),
        AudienceBreakdown(
            dimension=AudienceDimension.COUNTRY,
            shares=(AudienceShare(key="US", share=0.64), AudienceShare(key="GB", share=0.06)),
            source=MetricSource.PLATFORM,
            as_of=at(-1),
            kind=AudienceKind.ENGAGED,
            timeframe=Window.days(30),
            truncated=True,
            top_n=45,
            sample_size=118_204,
        ),
        AudienceBreakdown(
            dimension=AudienceDimension.GENDER_AGE,
            shares=(
                AudienceShare(key="female|18-24", share=0.33),
                AudienceShare(key="female|25-34", share=0.22),
                AudienceShare(key="male|18-24", share=0.13),
                AudienceShare(key="male|25-34", share=0.09),
            ),
            source=MetricSource.PLATFORM,
            as_of=at(0),
            truncated=True,
        ),
    ),
)

# --- creators ----------------------------------------------------------------------------------------------

account = PlatformAccount(
    platform="tiktok",
    account_id=TIKTOK_ACCOUNT,
    handle="mayacooks",
    display_name="Maya Chen | 20-minute dinners",
    url="https://www.tiktok.com/@mayacooks",
    verified=True,
    followers=followers,
)
video_tier = PriceTier(deliverable=DeliverableType.SHORT_VIDEO, price=PRICE, label="21-60 s video")
rate_card = RateCard(
    tiers=(
        video_tier,
        PriceTier(deliverable=DeliverableType.LIVESTREAM, price=Money(1_200_000, "USD"), label="1 h shoppable live"),
        PriceTier(deliverable=DeliverableType.STORY, price=Money(80_000, "USD"), label="story set", min_quantity=3),
    ),
    negotiable=True,
    updated_at=at(-20, NEW_YORK),
)
availability = AvailabilityWindow(starts=date(2025, 3, 10), ends=date(2025, 4, 30), note="Travelling 4-6 April")
past_collaboration = PastCollaboration(
    brand_name="Olive & Ember",
    completed_on=date(2024, 11, 18),
    platform="tiktok",
    campaign_name="Holiday hosting",
    deliverable=DeliverableType.SHORT_VIDEO,
    post_url="https://www.tiktok.com/@mayacooks/video/7437718201112345678",
)
creator = CreatorProfile(
    id=CREATOR_ID,
    display_name="Maya Chen",
    accounts=(account,),
    categories=("food", "cooking"),
    tags=("weeknight dinners", "meal prep", "one-pan recipes"),
    country="US",
    languages=("en",),
    bio="Fast, honest home cooking from a tiny Brooklyn kitchen.",
    rate_card=rate_card,
    availability=(availability,),
    past_collaborations=(past_collaboration,),
    signing_key="MCowBQYDK2VwAyEAq6n8Yl1p8RZ4T2Tq7w5bO1dV0Ck3hH3mZpGJ0k2wJ7s=",
    email="maya@mayacooks.co",
)
candidate = CreatorCandidate(platform="tiktok", profile=creator, metrics=creator_metrics, audience=audience, rank=0)

# --- parties -----------------------------------------------------------------------------------------------

brand = Brand(
    id=BRAND_ID,
    name="Brightside Kitchen",
    verification=VerificationStatus.VERIFIED,
    verified_at=at(-60),
    legal_name="Brightside Kitchen, Inc.",
    country="US",
    industry="cookware",
)
agency = Agency(id=AGENCY_ID, name="Northstar Talent", country="US")
manager = TalentManager(id=MANAGER_ID, name="Jordan Alvarez", agency_id=AGENCY_ID, email="jordan@northstartalent.com")
roster_entry = RosterEntry(
    id="roster_31f0",
    agency_id=AGENCY_ID,
    manager_id=MANAGER_ID,
    creator_id=CREATOR_ID,
    scopes=frozenset({Scope.VIEW_STATS, Scope.EDIT_RATES, Scope.NEGOTIATE, Scope.MANAGE_CONTENT}),
    added_at=at(-400),
    accepted_at=at(-399),
)

# --- the brief ---------------------------------------------------------------------------------------------

product = Product(
    name='Brightside 10" Ceramic Skillet',
    description="PFAS-free ceramic nonstick skillet, oven-safe to 500 °F.",
    url="https://brightsidekitchen.com/products/ceramic-skillet-10",
    category="cookware",
)
budget = Budget(total=Money(2_500_000, "USD"), per_creator_max=Money(600_000, "USD"), includes_fees=True)
audience_target = AudienceTarget(dimension=AudienceDimension.AGE, keys=("18-24", "25-34"), min_share=0.6)
requirements = CreatorRequirements(
    platforms=("tiktok", "instagram"),
    categories=("food",),
    tags=("recipes",),
    countries=("US", "CA"),
    languages=("en",),
    min_followers=100_000,
    max_followers=5_000_000,
    min_engagement_rate=0.04,
)
deliverable = Deliverable(
    type=DeliverableType.SHORT_VIDEO,
    quantity=1,
    platform="tiktok",
    description="A 30-60 s one-pan recipe cooked in the skillet",
    min_duration_seconds=30,
    due=at(21),
)
timeline = Timeline(publish_from=at(14), publish_until=at(35), apply_by=at(5), draft_due=at(18))
views_kpi = Kpi(metric=KpiMetric.VIEWS, target_count=1_500_000)
content_rules = ContentRules(
    key_selling_points=("PFAS-free coating", "oven-safe to 500 °F"),
    banned_words=("non-toxic", "guaranteed"),
    required_elements=("product close-up", "food release shot"),
    disclosure_tags=("#ad", "#BrightsidePartner"),
    required_mentions=("@brightsidekitchen",),
)
brief = CampaignBrief(
    id=BRIEF_ID,
    brand_id=BRAND_ID,
    name="Spring skillet launch",
    product=product,
    budget=budget,
    timeline=timeline,
    deliverables=(deliverable,),
    requirements=requirements,
    target_audience=(audience_target,),
    kpis=(views_kpi, Kpi(metric=KpiMetric.CPM, target_cost=Money(1_150, "USD"))),
    content_rules=content_rules,
    status=BriefStatus.PUBLISHED,
    created_at=at(-3),
    published_at=at(-1),
)

# --- discovery and matching --------------------------------------------------------------------------------

score_component = ScoreComponent(
    name="audience_fit.age",
    score=0.82,
    weight=0.3,
    explanation="77 % of the audience is 18-34; the brief asks for at least 60 %.",
)
match = Match(
    brief_id=BRIEF_ID,
    creator_id=CREATOR_ID,
    platform="tiktok",
    score=0.74,
    components=(
        score_component,
        ScoreComponent(name="price", score=0.9, weight=0.2, explanation="$4,500 is under the $6,000 cap."),
        ScoreComponent(name="brand_safety", score=1.0, weight=0.0, explanation="No flagged posts.", veto=False),
    ),
    as_of=at(0),
)
audience_filter = AudienceFilter(dimension=AudienceDimension.GENDER, keys=("female",), min_share=0.4)
follower_range = CountRange(min=100_000, max=5_000_000)
price_range = PriceRange(min=Money(100_000, "USD"), max=PRICE, deliverable=DeliverableType.SHORT_VIDEO)
engagement_range = RateRange(min=0.04, denominator=Denominator.VIEWS, window=Window.posts(30))
discovery_sort = DiscoverySort(field=SortField.ENGAGEMENT_RATE, direction=SortDirection.DESCENDING)
discovery_query = DiscoveryQuery(
    keywords="easy dinner recipes",
    categories=("food",),
    countries=("US",),
    languages=("en",),
    followers=follower_range,
    average_views=CountRange(min=50_000),
    median_views=CountRange(min=30_000),
    price=price_range,
    engagement_rate=engagement_range,
    follower_growth=RateRange(min=0.0, denominator=Denominator.FOLLOWERS, window=Window.days(30)),
    audience=(
        audience_filter,
        AudienceFilter(dimension=AudienceDimension.AGE, keys=("18-24",), min_share=0.3),
        AudienceFilter(dimension=AudienceDimension.COUNTRY, keys=("US", "CA"), min_share=0.5),
    ),
    similar_to=(account,),
    sort=discovery_sort,
    limit=20,
)
filter_outcome = FilterOutcome(
    filter="median_views", status=FilterStatus.APPROXIMATED, note="median views filtered as average views"
)
discovery_page = DiscoveryPage(
    platform="tiktok",
    candidates=(candidate,),
    next_cursor="eyJvZmZzZXQiOjIwfQ",
    total=137,
    filters=discovery_query.report(
        applied=("keywords", "categories", "countries", "languages", "followers", "average_views", "price"),
        approximated={"median_views": "median views filtered as average views", "audience.age": "age 18-24 as 18-34"},
        ignored={"follower_growth": "TikTok One filters on no growth figure"},
        otherwise="TikTok One has no such filter",
    ),
)

# --- negotiation and contract ------------------------------------------------------------------------------

deposit = PaymentMilestone(label="Signing deposit", amount=Money(225_000, "USD"), trigger=MilestoneTrigger.ON_SIGNATURE)
schedule = PaymentSchedule(
    kind=ScheduleKind.MILESTONES,
    milestones=(
        deposit,
        PaymentMilestone(label="On publication", amount=Money(225_000, "USD"), trigger=MilestoneTrigger.ON_PUBLICATION),
    ),
)
terms = Terms(
    price=PRICE,
    deliverables=(deliverable,),
    payment=schedule,
    publish_by=at(28),
    revision_limit=2,
    usage_rights_days=90,
    exclusivity_days=60,
)
offer = Offer(
    id="offer_5b7d",
    deal_id=DEAL_ID,
    from_party=MANAGER_ID,
    to_party=BRAND_ID,
    terms=terms,
    created_at=at(2, NEW_YORK),
    respond_by=at(5, NEW_YORK),
    status=OfferStatus.ACCEPTED,
    counter_to="offer_1a20",
    note="Maya can do $4,500 with 90 days of Spark Ads usage.",
)
ip = IpOwnership(owner=IpOwner.CREATOR, notes="Creator keeps copyright and licenses use per the usage rights.")
usage_rights = UsageRights(channels=("organic", "spark_ads"), duration_days=90, territories=("US", "CA"), paid_ads=True)
exclusivity = Exclusivity(category="cookware", duration_days=60, competitors=("Olive & Ember", "Caraway"))
contract_timeline = ContractTimeline(draft_due=at(18), publish_by=at(28), review_days=3, auto_approve_after_days=14)
cancellation = CancellationTerms(
    notice_days=7, kill_fee_bp=2_500, refund_unreleased_escrow=True, kill_fee_after_draft_bp=5_000
)
clauses = ContractClauses(
    deliverables=(deliverable,),
    payment=schedule,
    timeline=contract_timeline,
    content_requirements=content_rules,
    revision_limit=2,
    ip=ip,
    usage_rights=usage_rights,
    exclusivity=exclusivity,
    cancellation=cancellation,
    governing_law="State of New York, USA",
)
template = ContractTemplate(
    id="tpl_standard_creator",
    name="Standard creator agreement",
    version=3,
    body="This agreement between {brand.legal_name} and {creator.display_name} covers {deliverables}.",
    default_revision_limit=2,
    default_ip=IpOwnership(),
    default_usage_rights=UsageRights(),
    default_cancellation=CancellationTerms(notice_days=3),
)
contract_text = "This agreement between Brightside Kitchen, Inc. and Maya Chen covers 1 short video on TikTok."
contract = Contract(
    id=CONTRACT_ID,
    deal_id=DEAL_ID,
    version=2,
    template_id=template.id,
    template_version=template.version,
    brand_id=BRAND_ID,
    creator_id=CREATOR_ID,
    price=PRICE,
    clauses=clauses,
    text=contract_text,
    created_at=at(6),
    content_hash=sha256(contract_text),
    status=ContractStatus.EXECUTED,
    supersedes="contract_9c41e2b07a5d4f1e_v1",
)
signature = Signature(
    id="sig_72aa",
    contract_id=CONTRACT_ID,
    contract_hash=contract.content_hash,
    signer_id=MANAGER_ID,
    party_id=CREATOR_ID,
    public_key="MCowBQYDK2VwAyEA3l5y0yXK1Xq0qL3mC9y0hLrK0qH0v8m6m6dJ8tYy0ZM=",
    signature="b1p0V9l7xJw5oQ0f4Gm2M1o8gZr3L6aN0yT5cJ8wq2Jp9t1s3u4v5w6x7y8z9A0BCDEFGHIJKLMNOPQRSTUVW==",
    signed_at=at(7, NEW_YORK),
)
signing_key = SigningKey(
    id="key_9c1e",
    party_kind=PartyKind.TALENT_MANAGER,
    party_id=MANAGER_ID,
    public_key="3l5y0yXK1Xq0qL3mC9y0hLrK0qH0v8m6m6dJ8tYy0ZM=",
    registered_by=f"talent_manager:{MANAGER_ID}",
    valid_from=at(1),
    replaced_at=at(9, NEW_YORK),
    proof="b1p0V9l7xJw5oQ0f4Gm2M1o8gZr3L6aN0yT5cJ8wq2Jp9t1s3u4v5w6x7y8z9A0BCDEFGHIJKLMNOPQRSTUVW==",
)
deal = Deal(
    id=DEAL_ID,
    brief_id=BRIEF_ID,
    brand_id=BRAND_ID,
    creator_id=CREATOR_ID,
    platform="tiktok",
    state=DealState.IN_REVIEW,
    created_at=at(1),
    updated_at=at(19),
    deadline=at(22),
    awaiting=Awaiting.BRAND,
    manager_id=MANAGER_ID,
    agency_id=AGENCY_ID,
    terms=terms,
    price=PRICE,
    contract_id=CONTRACT_ID,
    revisions_used=1,
    version=9,
)

# --- outreach ----------------------------------------------------------------------------------------------

message_template = MessageTemplate(
    id="tpl_msg_food_first",
    name="First contact: food creators",
    body="Hi {creator.display_name}! We loved your one-pan series and would like to send you our skillet.",
    subject="Paid partnership: Brightside Kitchen",
    version=2,
)
invitation = Invitation(
    id="inv_0d3e",
    deal_id=DEAL_ID,
    brief_id=BRIEF_ID,
    creator_id=CREATOR_ID,
    sent_by=BRAND_ID,
    channel=Channel.PLATFORM,
    body="Hi Maya Chen! We loved your one-pan series and would like to send you our new skillet.",
    sent_at=at(1),
    respond_by=at(4),
    subject="Paid partnership: Brightside Kitchen",
    platform="tiktok",
    template_id=message_template.id,
    status=InvitationStatus.ACCEPTED,
    platform_ref="TTCM-INV-88231",
)
thread = Thread(
    id="thread_c8e1",
    deal_id=DEAL_ID,
    participants=(BRAND_ID, MANAGER_ID, CREATOR_ID),
    created_at=at(1),
    subject="Spring skillet launch",
)
message = Message(
    id="msg_44b9",
    thread_id=thread.id,
    sender_id=MANAGER_ID,
    direction=Direction.INBOUND,
    channel=Channel.EMAIL,
    body="Attaching Maya's media kit; she is free from 10 March.",
    sent_at=at(1.5, NEW_YORK),
    attachments=("https://files.northstartalent.com/kits/maya-chen-2025.pdf",),
)
outreach_receipt = OutreachReceipt(
    platform="tiktok",
    platform_ref="TTCM-INV-88231",
    accepted_at=at(1),
    invite_link="https://creatormarketplace.tiktok.com/invitation/88231",
)

# --- content -----------------------------------------------------------------------------------------------

check = CheckResult(
    rule="disclosure", passed=True, detail="#ad in the caption", spans=(TextSpan(field="caption", start=41, end=44),)
)
submission = ContentSubmission(
    id="sub_e210",
    deal_id=DEAL_ID,
    version=2,
    submitted_by=CREATOR_ID,
    submitted_at=at(18.5, NEW_YORK),
    caption="Crispy lemon chicken thighs in one pan 🍋 #ad #BrightsidePartner @brightsidekitchen",
    script="Hook: the skin that never sticks. Sear, flip, into the oven, done in 25 minutes.",
    media_urls=("https://cdn.creatorkit.dev/drafts/sub_e210/v2.mp4",),
    elements=("product close-up", "food release shot"),
    checks=(check, CheckResult(rule="banned_word:non-toxic", passed=True)),
)
feedback = FeedbackItem(text="Please show the logo on the handle in the first 3 seconds.", at_seconds=2.5)
review = ContentReview(
    id="rev_8f02",
    deal_id=DEAL_ID,
    submission_id=submission.id,
    reviewer_id=BRAND_ID,
    decision=ReviewDecision.CHANGES_REQUESTED,
    reviewed_at=at(19.5, NEW_YORK),
    items=(
        feedback,
        FeedbackItem(text="Say 'PFAS-free' rather than 'chemical-free'.", rule="key_selling_points"),
    ),
    revisions_used=1,
)
published_post = PublishedPost(
    id="post_1c7a",
    deal_id=DEAL_ID,
    submission_id=submission.id,
    platform="tiktok",
    platform_post_id=POST_ID,
    url=f"https://www.tiktok.com/@mayacooks/video/{POST_ID}",
    published_at=at(24),
    platform_order_id="7391850012447",
    account=account,
)
publish_schedule = PublishSchedule(
    id="schedule_1c7a",
    deal_id=DEAL_ID,
    publish_at=at(24),
    scheduled_by="creator_maya",
    scheduled_at=at(20),
)
post_window = Window.lifetime()
post_metrics = PostMetrics(
    platform="tiktok",
    platform_post_id=POST_ID,
    as_of=at(31),
    views=Count(value=1_184_302, window=post_window, source=MetricSource.PLATFORM, as_of=at(31)),
    reach=Count(value=903_118, window=post_window, source=MetricSource.PLATFORM, as_of=at(31)),
    likes=Count(value=96_410, window=post_window, source=MetricSource.PLATFORM, as_of=at(31)),
    comments=Count(value=1_204, window=post_window, source=MetricSource.PLATFORM, as_of=at(31)),
    shares=Count(value=3_877, window=post_window, source=MetricSource.PLATFORM, as_of=at(31)),
    saves=Count(value=7_302, window=post_window, source=MetricSource.PLATFORM, as_of=at(31)),
    engagement_rate=Rate(
        value=0.0916,
        denominator=Denominator.VIEWS,
        window=post_window,
        source=MetricSource.PLATFORM,
        as_of=at(31),
        denominator_value=1_184_302,
    ),
    completion_rate=Rate(
        value=0.27,
        denominator=Denominator.PLAYS,
        window=post_window,
        source=MetricSource.PLATFORM,
        as_of=at(31),
    ),
    six_second_view_rate=Rate(
        value=0.44,
        denominator=Denominator.PLAYS,
        window=post_window,
        source=MetricSource.PLATFORM,
        as_of=at(31),
    ),
    account_id=TIKTOK_ACCOUNT,
    period=Period(start=at(24), end=at(31)),
    organic=PerformanceSlice(
        views=Count(value=1_001_950, window=post_window, source=MetricSource.PLATFORM, as_of=at(31)),
    ),
    paid=PerformanceSlice(
        views=Count(value=182_352, window=post_window, source=MetricSource.PLATFORM, as_of=at(31)),
        # The platform gives no paid reach for Spark Ads: missing, so None rather than 0.
        reach=None,
    ),
    daily=(
        DailyFigures(day=date(2025, 3, 27), views=640_118, likes=52_004, comments=702, shares=2_114, saves=4_001),
        DailyFigures(day=date(2025, 3, 28), views=301_877, likes=24_310, comments=None, shares=1_020, saves=2_015),
    ),
    extensions={"tiktok.total_play_time_ms": 20_132_400_000.0},
)
post_metrics_request = PostMetricsRequest(posts=(published_post,), period=Period(start=at(24), end=at(31)), daily=True)
item_error = ItemError(kind=ErrorKind.RATE_LIMITED, message="advertiser QPS exceeded", code="40133", wait=1.0)
post_metrics_result = PostMetricsResult(platform_post_id=POST_ID, metrics=post_metrics)
post_metrics_batch = PostMetricsBatch(
    platform="tiktok",
    results=(
        post_metrics_result,
        PostMetricsResult(platform_post_id="7480193355120840999", error=item_error),
    ),
)
post_snapshot = PostSnapshot(
    post_id=published_post.id,
    deal_id=DEAL_ID,
    platform="tiktok",
    slot=at(31).replace(hour=0, minute=0, second=0, microsecond=0),
    fetched_at=at(31),
    metrics=post_metrics,
    synced_by="worker-2/job 1187",
)
account_snapshot = AccountSnapshot(
    creator_id=CREATOR_ID,
    platform=creator_metrics.platform,
    slot=post_snapshot.slot,
    fetched_at=at(31),
    metrics=creator_metrics,
    synced_by="in-process",
)
metrics_sync_report = MetricsSyncReport(
    slot=post_snapshot.slot,
    synced=1,
    already_synced=3,
    failed=(SyncFailure(post_id="post_9d02", platform="tiktok", error=item_error),),
    queued=0,
    posts=5,
    accounts_synced=2,
    accounts_failed=(AccountSyncFailure(creator_id=CREATOR_ID, platform="tiktok", error=item_error),),
    accounts=3,
)

# --- payments: a JPY escrow and ledger, a KWD payout -------------------------------------------------------

JP_DEAL_ID = "deal_4e0a77c1d2b94b3a"
escrow_deposit = EscrowMilestone(
    label="着手金 (signing deposit)", amount=Money(190_000, "JPY"), released=True, released_at=at(8, TOKYO)
)
escrow = Escrow(
    id="escrow_6a19",
    deal_id=JP_DEAL_ID,
    provider="stripe_connect",
    amount=Money(380_000, "JPY"),  # ¥380,000
    status=EscrowStatus.PARTIALLY_RELEASED,
    operation_id="op_fund_6a19",
    created_at=at(7, TOKYO),
    milestones=(
        escrow_deposit,
        EscrowMilestone(label="公開後 (on publication)", amount=Money(190_000, "JPY")),
    ),
    released=Money(190_000, "JPY"),
    provider_ref="pi_3QxR7aL2eZvKYlo21Jc9Ab0T",
)
posting = Posting(account=f"deal_escrow:{JP_DEAL_ID}:JPY", amount=Money(190_000, "JPY"))
ledger_entry = LedgerEntry(
    id="le_000042",
    operation_id="op_release_6a19_1",
    kind=LedgerEntryKind.POST,
    postings=(posting, Posting(account="creator_payable:cr_haruka_sato:JPY", amount=Money(-190_000, "JPY"))),
    created_at=at(8, TOKYO),
    deal_id=JP_DEAL_ID,
    resolves="le_000041",
    memo="Release signing deposit",
    sequence=42,
)
escrow_account = LedgerAccount(
    id=f"deal_escrow:{JP_DEAL_ID}:JPY",
    kind=LedgerAccountKind.DEAL_ESCROW,
    currency="JPY",
    normal_balance=NormalBalance.CREDIT,
    may_go_negative=False,
    opened_at=at(7, TOKYO),
    holder=None,
    deal_id=JP_DEAL_ID,
)
escrow_balance = LedgerBalance(
    account_id=escrow_account.id,
    posted=Money(190_000, "JPY"),
    pending_in=Money(0, "JPY"),
    pending_out=Money(190_000, "JPY"),
    available=Money(0, "JPY"),
)
# 1,250.500 KWD gross: 10 % platform commission, 15 % agency cut, the rest to the creator.
fees = FeeBreakdown(
    gross=Money(1_250_500, "KWD"),
    platform_fee=Money(125_050, "KWD"),
    agency_cut=Money(187_575, "KWD"),
    creator_net=Money(937_875, "KWD"),
    platform_fee_bp=1_000,
    agency_cut_bp=1_500,
)
payout = Payout(
    id="payout_b51c",
    deal_id="deal_70f3aa9e01c64d28",
    payee_id="cr_fatima_alsabah",
    amount=fees.creator_net,
    fees=fees,
    provider="ledger",
    operation_id="op_payout_b51c",
    status=PayoutStatus.PAID,
    created_at=at(40, KUWAIT),
    provider_ref="ledger:je_000117",
)

# --- plugins -----------------------------------------------------------------------------------------------

plugin_metadata = PluginMetadata(
    name="kuaishou",
    kind=PluginKind.PLATFORM,
    display_name="Kuaishou",
    capabilities=frozenset({Capability.METRICS, Capability.POST_METRICS, Capability.AUDIENCE}),
    description="Kuaishou open platform: account and video metrics, audience portraits.",
    homepage="https://open.kuaishou.com",
    missing={"discovery": "No public creator marketplace API; import a partner export instead."},
    settings_schema={
        "type": "object",
        "properties": {"app_id": {"type": "string"}, "mode": {"enum": ["live", "sandbox"]}},
        "required": ["app_id"],
    },
)
order_deliverable = OrderDeliverable(
    kind=DeliverableType.SHORT_VIDEO,
    count=1,
    due=at(24),
    description="30-60 s one-pan recipe with the ceramic skillet",
    ad_authorization_days=30,
)
order_request = PlatformOrderRequest(
    idempotency_key="order_5f0e1c2a9b7d4e60a1b2c3d4e5f60718",
    deal_id=DEAL_ID,
    brand_name="Brightside Kitchen",
    description="Spring skillet launch: one-pan recipes",
    creator_handles=("mayacooks",),
    deliverables=(order_deliverable,),
    connection_id="conn_brightside_tiktok",
    price=PRICE,
    publish_by=at(28),
)
platform_order = PlatformOrder(
    platform="tiktok",
    order_id="7391028475610298",
    deal_id=DEAL_ID,
    creator_handle="mayacooks",
    status=OrderStatus.PENDING,
    raw_status="videos 0/1",
    created_at=at(8),
    campaign_ref="TCM-CAMP-2025-0381",
    invite_link="https://creatormarketplace.tiktok.com/order/TCM-CAMP-2025-0381",
)
failed_handle = FailedHandle(handle="not_on_tcm_yet", reason="the creator has not joined the marketplace", code="40121")
order_placement = OrderPlacement(
    platform="tiktok",
    idempotency_key=order_request.idempotency_key,
    deal_id=DEAL_ID,
    orders=(platform_order,),
    failed=(failed_handle,),
    placed_at=at(8),
)
order_intent = OrderIntent(
    id=f"{DEAL_ID}:order:1",
    deal_id=DEAL_ID,
    platform="tiktok",
    request=order_request,
    status=OrderIntentStatus.PLACED,
    attempts=2,
    created_at=at(8),
    updated_at=at(8.01),
    placement=order_placement,
    last_error="tiktok: the connection was lost after the request was sent",
)
usage_authorization = UsageAuthorizationRequest(
    deal_id="deal_01", authorization_code="#spark-8XqL2", connection_id="conn_01", allowed_days=30
)
usage_right = UsageRight(
    platform="tiktok",
    platform_ref="#spark-8XqL2",
    post_id="7350000000000000001",
    status=UsageRightStatus.ACTIVE,
    raw_status="AUTHORIZED",
    checked_at=at(30),
    creator_handle="mia.cooks",
    ad_account_id="7001234567890",
    starts_at=at(29),
    ends_at=at(89),
)
usage_right_record = UsageRightRecord(
    id="usage_01",
    deal_id="deal_01",
    contract_id="contract_01",
    brand_id="brand_01",
    platform="tiktok",
    right=usage_right,
    allowed_until=at(59),
    recorded_at=at(30),
    updated_at=at(30),
)

platform_invitation = PlatformInvitation(
    platform="tiktok",
    platform_ref="TTCM-INV-88231",
    status=InvitationStatus.ACCEPTED,
    raw_status="ACCEPTED",
    checked_at=at(2),
    responded_at=at(1.8),
    invite_link="https://creatormarketplace.tiktok.com/invitation/88231",
)
rejected_row = RejectedRow(
    line=4, row=3, field="followers", reason="must be a whole number of followers", value="12.5k"
)
import_result = ImportResult(
    platform="tiktok",
    format=ImportFormat.CSV,
    rows=2,
    creators=(candidate,),
    rejected=(
        RejectedRow(line=3, row=2, field="price", reason="must be a number with at most 2 decimals", value="¥abc"),
    ),
    description="creator list",
)
catalog_import = CatalogImport(
    id="catimp_4c1e",
    workspace_id="agency_northstar",
    file="creators.csv",
    sha256="9f2c1b0e8d7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6",
    format=ImportFormat.CSV,
    rows=3,
    created=2,
    updated=0,
    rejected_rows=1,
    problems=2,
    rejected=(
        RejectedRow(line=3, row=2, field="followers", reason="is not a whole number of followers", value="12.5k"),
        RejectedRow(line=3, row=2, field="country", reason="is not an ISO 3166 country code", value="Spain"),
    ),
    skip_bad_rows=True,
    imported_at=at(3),
    written=2,
)
# The Japanese deal's first milestone: the brand's charge is released to Haruka and her agency in one request.
fund_source = SourceReference(
    ref="ch_3QxR7aL2eZvKYlo21Jc9Ab0T",
    operation_id="op_fund_6a19",
    amount=Money(380_000, "JPY"),
    fee=Money(13_680, "JPY"),
    released=Money(0, "JPY"),
)
creator_leg = ReceiverLeg(
    party_id="cr_haruka_sato",
    account_ref="acct_1QxQ9bL2eZvKYlo2",
    amount=Money(161_500, "JPY"),
    role=LegRole.CREATOR,
)
provider_request = ProviderRequest(
    operation_id="op_release_6a19_1",
    kind=OperationKind.RELEASE,
    amount=Money(190_000, "JPY"),
    deal_id=JP_DEAL_ID,
    reason="Signing deposit for the matcha campaign",
    legs=(
        creator_leg,
        ReceiverLeg(
            party_id="agency_sakura",
            account_ref="acct_1QxQAcL2eZvKYlo2",
            amount=Money(28_500, "JPY"),
            role=LegRole.AGENCY,
        ),
    ),
    source=fund_source,
    metadata={"brief_id": "brief_matcha_jp", "milestone": "signing_deposit"},
)
# The release above as the payments flow recorded it: 10 % creator-side commission, 15 % agency cut.
payment_operation = PaymentOperation(
    id=provider_request.operation_id,
    deal_id=JP_DEAL_ID,
    brand_id="brand_matcha",
    creator_id="cr_haruka",
    provider="stripe_connect",
    purpose=PaymentPurpose.RELEASE,
    request=provider_request,
    status=PaymentOperationStatus.SUCCEEDED,
    created_at=at(8, TOKYO),
    updated_at=at(8, TOKYO),
    milestone=0,
    fees=FeeBreakdown(
        gross=Money(190_000, "JPY"),
        platform_fee=Money(0, "JPY"),
        agency_cut=Money(28_500, "JPY"),
        creator_net=Money(161_500, "JPY"),
        platform_fee_bp=0,
        agency_cut_bp=1_500,
        service_fee=Money(19_000, "JPY"),
        fee_policy="flat",
    ),
    provider_ref="tr_1QxR9dL2eZvKYlo2Xb3C",
    raw_status="paid",
)
settlement = Settlement(
    id="settle_6a19",
    deal_id=JP_DEAL_ID,
    dispute_id="dispute_6a19",
    creator_share=Money(95_000, "JPY"),
    decided_by="system:arbiter",
    decided_at=at(9, TOKYO),
    reason="Draft delivered late; half of the remaining escrow to the creator",
)
# A creator's Stripe connected account, replaced when she moved her payouts to another bank: kept, inactive.
payout_account = PayoutAccount(
    id="payout_3b81c0d2e4f5",
    party_id=CREATOR_ID,
    party_kind=PayeeKind.CREATOR,
    provider="stripe_connect",
    account_ref="acct_1QxR2aL2eZvKYlo2",
    registered_by=f"creator:{CREATOR_ID}",
    registered_at=at(1, NEW_YORK),
    active=False,
    label="Chase checking ••4417",
    currency="USD",
    deactivated_at=at(6, NEW_YORK),
    deactivated_by=f"creator:{CREATOR_ID}",
    replaced_by="payout_9d02f1a7b6c3",
)
# A WeChat Pay split that finished with one receiver closed: the creator was paid, the agency's account was not.
agency_closed = LegResult(
    account_ref="1900000110",
    amount=Money(15_000, "CNY"),
    status=OperationStatus.FAILED,
    raw_status="CLOSED",
    party_id="agency_hangzhou_star",
    provider_ref="36011111111111111111112",
    failure_reason="RECEIVER_REAL_NAME_NOT_VERIFIED",
)
provider_operation = ProviderOperation(
    provider="wechat_pay",
    operation_id="op_release_c2d9_1",
    kind=OperationKind.RELEASE,
    status=OperationStatus.PARTIALLY_SUCCEEDED,
    raw_status="FINISHED",
    amount=Money(45_000, "CNY"),
    provider_ref="3008450740201411110007820472",
    updated_at=at(9, SHANGHAI),
    legs=(
        LegResult(
            account_ref="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
            amount=Money(30_000, "CNY"),
            status=OperationStatus.SUCCEEDED,
            raw_status="SUCCESS",
            party_id="cr_lin_yue",
            provider_ref="36011111111111111111111",
        ),
        agency_closed,
    ),
    hold_expires_at=at(30, SHANGHAI),
)
# What Stripe lists for a reconciliation: a transfer the plugin made, and a charge made by hand in the Dashboard,
# which names no operation of ours (its own id stands in).
provider_operation_page = ProviderOperationPage(
    provider="stripe_connect",
    operations=(
        ProviderOperation(
            provider="stripe_connect",
            operation_id="op_release_6a19_1",
            kind=OperationKind.RELEASE,
            status=OperationStatus.SUCCEEDED,
            raw_status="available",
            amount=Money(190_000, "JPY"),
            provider_ref="tr_1QxR9dL2eZvKYlo2Xb3C",
            updated_at=at(8, TOKYO),
        ),
        ProviderOperation(
            provider="stripe_connect",
            operation_id="ch_3QxRBfL2eZvKYlo20Hq1",
            kind=OperationKind.FUND,
            status=OperationStatus.SUCCEEDED,
            raw_status="succeeded",
            amount=Money(50_000, "JPY"),
            provider_ref="ch_3QxRBfL2eZvKYlo20Hq1",
            updated_at=at(9, TOKYO),
        ),
    ),
    next_cursor="charges:ch_3QxRBfL2eZvKYlo20Hq1",
)
# How Stripe takes Icelandic krónur: in hundredths, where ISO 4217 has none, and only whole krónur.
isk_support = CurrencySupport(currency="ISK", exponent=2, multiple_of=100)
stripe_capabilities = PaymentCapabilities(
    currencies=(
        CurrencySupport(currency="USD", exponent=2),
        CurrencySupport(currency="JPY", exponent=0),
        isk_support,
        CurrencySupport(currency="KWD", exponent=3, multiple_of=10),
    ),
    kinds=frozenset(OperationKind),
    max_hold_days=90,
    partial_release=True,
    max_receivers=10,  # one transfer per leg, each with its own idempotency key
)
verify_account = NextAction(
    kind=NextActionKind.ONBOARD_ACCOUNT,
    raw_kind="account_link",
    url="https://connect.stripe.com/setup/e/acct_1QxQ9bL2eZvKYlo2/7sXRd3lPq9ZK",
    instructions="Haruka completes Stripe's identity verification before transfers to her account resume.",
    expires_at=at(8.2, TOKYO),
)
webhook_notice = WebhookNotice(
    source="stripe_connect",
    event_id="evt_3QxR7cL2eZvKYlo20mF1kZ8x",
    kind=NoticeKind.PAYMENT,
    event_type="payment_intent.succeeded",
    received_at=at(7.001),
    occurred_at=at(7.0005, TOKYO),
    operation_id="op_fund_6a19",
    provider_ref="pi_3QxR7aL2eZvKYlo21Jc9Ab0T",
    account_ref="acct_1QxQzZL2eZvKYlo2",
    details={"livemode": "false"},
)
#: What a Meta-style platform sends about two changes at once, as its plugin answers it.
webhook_result = WebhookResult(
    notices=(
        WebhookNotice(
            source="instagram",
            event_id="ig-4f1c09d2b7e35a6c",
            kind=NoticeKind.POST,
            event_type="mentions",
            received_at=at(40),
            occurred_at=at(39.999),
            provider_ref="17895695668004550",
            account_ref="17841405822304914",
            details={"field": "mentions"},
        ),
        WebhookNotice(
            source="instagram",
            event_id="ig-9a0e7713c2d84f55",
            kind=NoticeKind.METRICS,
            event_type="story_insights",
            received_at=at(40),
            provider_ref="17887498072083520",
            account_ref="17841405822304914",
        ),
    ),
    reply=WebhookReply(),
)
webhook_reply = WebhookReply.json({"code": "SUCCESS", "message": "成功"})

# --- audit -------------------------------------------------------------------------------------------------

audit_event = AuditEvent(
    sequence=1_042,
    actor_id=MANAGER_ID,
    action="offer.accepted",
    entity_kind="offer",
    entity_id=offer.id,
    payload_hash=sha256("offer_5b7d accepted"),
    occurred_at=at(3),
    prev_hash=sha256("event 1041"),
    hash=sha256("event 1042"),
    on_behalf_of=CREATOR_ID,
    workspace_id=AGENCY_ID,
    format=2,
    key_id="ak_3f1c9b27d04e8a65",
    mac=sha256("the HMAC of event 1042"),
    documents=f'[["offer","{offer.id}",2,"{sha256("offer_5b7d, version 2")}"]]',
)
dispute = Dispute(
    id="dispute_0f9e",
    deal_id=DEAL_ID,
    opened_by=BRAND_ID,
    reason="The video went live two days after publish_by.",
    opened_at=at(31),
    status=DisputeStatus.SETTLED,
    resolution="Creator accepted a 10 % reduction of the final milestone.",
    resolved_at=at(36),
)
event = Event(
    name="deal.state_changed",
    entity_kind="deal",
    entity_id=DEAL_ID,
    occurred_at=at(19),
    actor_id=BRAND_ID,
    data={"from": "in_review", "to": "changes_requested", "revision": 1},
)

# --- after the campaign -----------------------------------------------------------------------------------

appreciation = Appreciation(
    id="thanks_51d0",
    deal_id=DEAL_ID,
    brand_id=BRAND_ID,
    creator_id=CREATOR_ID,
    kind=AppreciationKind.GIFT,
    sent_by=f"brand:{BRAND_ID}",
    sent_at=at(62, NEW_YORK),
    message="Your skillet video sold out the first batch. Thank you, Maya!",
    gift_description="The new 12-inch carbon-steel skillet, engraved",
    gift_value=Money(12_900, "USD"),
)
collaboration_feedback = CollaborationFeedback(
    id="fb_0c3e",
    deal_id=DEAL_ID,
    from_side=CollaborationSide.CREATOR,
    from_party=CREATOR_ID,
    about_party=BRAND_ID,
    submitted_by=f"talent_manager:{MANAGER_ID}",
    rating=5,
    would_work_again=True,
    submitted_at=at(61),
    comments="Clear brief, one round of feedback, paid on time.",
)
brand_event = BrandEvent(
    id="evt_summer_cookout",
    brand_id=BRAND_ID,
    name="Brightside Summer Cookout",
    starts_at=at(90, NEW_YORK),
    ends_at=at(90.25, NEW_YORK),
    created_at=at(63),
    details="Live grilling with the new skillet line; VIP dinner from 8 pm.",
    location="Pier 57, New York",
    capacity=40,
    promotional_agreement="Post at least one story from the event tagged @brightsidekitchen #ad",
)
event_invitation = EventInvitation(
    id="evtinv_7d21",
    event_id=brand_event.id,
    brand_id=BRAND_ID,
    creator_id=CREATOR_ID,
    invited_by=f"brand:{BRAND_ID}",
    invited_at=at(63),
    message="We would love to have you cook with us.",
    status=RsvpStatus.ACCEPTED,
    responded_at=at(64, NEW_YORK),
    responded_by=f"talent_manager:{MANAGER_ID}",
    agreement_accepted=True,
)
relationship_summary = RelationshipSummary(
    brand_id=BRAND_ID,
    creator_id=CREATOR_ID,
    deals_total=3,
    deals_completed=2,
    deals_cancelled=1,
    disputes=1,
    first_deal_at=at(-200),
    last_completed_at=at(60),
    average_rating_from_brand=4.5,
    ratings_from_brand=2,
    average_rating_from_creator=5.0,
    ratings_from_creator=1,
    brand_would_work_again=True,
    creator_would_work_again=True,
    appreciations_sent=2,
    contracted_value=(Money(380_000, "JPY"), Money(900_000, "USD")),
)

connection = Connection(
    id="conn_5b1f",
    platform="tiktok",
    workspace_id=BRAND_ID,
    account_id="7301929482211",
    account_name="Brightside Skincare (TikTok One)",
    scopes=("tto.creator.discover", "tto.campaign.manage"),
    expires_at=at(1, NEW_YORK),
    refresh_expires_at=at(365),
    connected_at=at(0),
    refreshed_at=at(0.5),
    details={"advertiser_id": "7301929482211"},
)
grant = Grant(
    id="grant_c2d9",
    platform="tiktok",
    creator_id=CREATOR_ID,
    workspace_id=AGENCY_ID,
    account_id="-000Q5tXk8CdBL0ZjR2bZ",
    handle="mayamakes",
    scopes=("user.info.basic", "user.info.stats", "video.list"),
    status=AuthorizationStatus.REVOKED,
    expires_at=at(2),
    refresh_expires_at=at(366),
    granted_at=at(1),
    revoked_at=at(20, NEW_YORK),
)

authorization_request = AuthorizationRequest(
    platform="tiktok",
    kind=AuthorizationKind.GRANT,
    workspace_id=AGENCY_ID,
    creator_id=CREATOR_ID,
    redirect_uri="https://app.northstar.example/oauth/tiktok",
    scopes=("user.info.basic", "user.info.stats", "video.list"),
    state="kR2v0xG4m9bYQe5wJd3Lh7uZ1nPqSa8tCfE6iWoMjXk",
)
authorization_url = AuthorizationUrl(
    platform="tiktok",
    url=(
        "https://www.tiktok.com/v2/auth/authorize/?client_key=awk3example&response_type=code"
        "&scope=user.info.basic,user.info.stats,video.list&redirect_uri=https%3A%2F%2Fapp.northstar.example"
        "%2Foauth%2Ftiktok&state=kR2v0xG4m9bYQe5wJd3Lh7uZ1nPqSa8tCfE6iWoMjXk"
    ),
)
issued_tokens = IssuedTokens(
    platform="tiktok",
    access_token="act.sample0000000000000000000000000000000000000000000000000000!4321",
    refresh_token="rft.sample0000000000000000000000000000000000000000000000000000!4321",
    expires_in=86400,
    refresh_expires_in=31536000,
    scopes=("user.info.basic", "user.info.stats", "video.list"),
    account_id="-000Q5tXk8CdBL0ZjR2bZ",
    handle="mayamakes",
    details={"union_id": "u_7aa2"},
)
revocation = Revocation(platform="tiktok", revoked=True, detail="the token no longer works")
pending_authorization = PendingAuthorization(
    id="authreq_1f0c6b8f64b14c24a3b1f1a0e8c2d9e7",
    platform="tiktok",
    kind=AuthorizationKind.CONNECTION,
    workspace_id=BRAND_ID,
    redirect_uri="https://app.brightside.example/oauth/tiktok",
    scopes=("tto.creator.discover",),
    uses_pkce=True,
    started_by=f"brand:{BRAND_ID}",
    started_at=at(0),
    expires_at=at(0.04, NEW_YORK),
    finished_at=at(0.01),
    authorization_id="conn_5b1f",
)

#: One instance per schema name.
#: A post's KPIs against the brief's targets (views and CPM), computed by the analytics code itself.
kpi_summary = post_kpis(
    PostResult(
        post_id="post_sample",
        creator_id="creator_maya",
        metrics=post_metrics,
        cost=Money(1_200_000, "USD"),
        followers=2_340_512,
    ),
    (views_kpi, Kpi(metric=KpiMetric.CPM, target_cost=Money(1_150, "USD"))),
)
assert kpi_summary.cpm is not None
#: A sponsored post's prediction for Maya from twelve settled posts, two of them sponsored.
prediction = predict(
    [
        PastPost(
            post_id=f"video_{number}",
            published_at=at(-10 - 3 * number),
            as_of=at(0),
            views=views,
            engagements=views // 12,
            sponsored=number in (2, 7),
        )
        for number, views in enumerate(
            (41_000, 52_000, 30_500, 88_000, 47_000, 39_000, 61_000, 25_000, 45_500, 250_000, 50_000, 43_000)
        )
    ],
    key="-000Q5tXk8CdBL0ZjR2bZ",
    as_of=at(0),
    platform="tiktok",
)
assert prediction.adjustments

#: The budget planner's answer for two creators and one target segment, computed by the planner itself.
budget_plan = plan_budget(
    [
        PlanCandidate(
            creator_id="creator_maya",
            platform="tiktok",
            followers=2_340_512,
            price=Money(1_200_000, "USD"),
            reach=(SegmentReach(segment="women_18_24_us", people=400_000, low=300_000, high=520_000),),
        ),
        PlanCandidate(
            creator_id="creator_kenji",
            platform="echo",
            followers=180_000,
            price=Money(250_000, "USD"),
            reach=(SegmentReach(segment="women_18_24_us", people=90_000, low=60_000, high=120_000),),
        ),
    ],
    [TargetSegment(key="women_18_24_us", population=4_000_000)],
    Money(1_500_000, "USD"),
)

SAMPLES: dict[str, Any] = {
    type(value).__name__: value
    for value in (
        prediction,
        prediction.views,
        prediction.adjustments[0],
        kpi_summary,
        kpi_summary.attainment[1],
        kpi_summary.cpm,
        payment_operation,
        payout_account,
        settlement,
        publish_schedule,
        agency,
        age_breakdown,
        audience,
        age_share,
        audience_target,
        audit_event,
        availability,
        brand,
        budget,
        brief,
        cancellation,
        check,
        check.spans[0],
        review,
        content_rules,
        submission,
        contract,
        clauses,
        template,
        contract_timeline,
        followers,
        candidate,
        creator_metrics,
        creator,
        requirements,
        deal,
        deliverable,
        discovery_page,
        discovery_query,
        discovery_sort,
        audience_filter,
        follower_range,
        price_range,
        engagement_range,
        filter_outcome,
        dispute,
        escrow,
        escrow_deposit,
        event,
        exclusivity,
        fees,
        feedback,
        invitation,
        ip,
        views_kpi,
        ledger_entry,
        escrow_account,
        escrow_balance,
        match,
        message,
        message_template,
        PRICE,
        offer,
        outreach_receipt,
        past_collaboration,
        deposit,
        schedule,
        payout,
        account,
        platform_order,
        order_request,
        order_deliverable,
        order_placement,
        order_intent,
        failed_handle,
        platform_invitation,
        rejected_row,
        import_result,
        catalog_import,
        plugin_metadata,
        post_metrics,
        post_metrics_request,
        post_metrics_result,
        post_metrics_batch,
        post_snapshot,
        metrics_sync_report,
        metrics_sync_report.accounts_failed[0],
        account_snapshot,
        metrics_sync_report.failed[0],
        item_error,
        creator_metrics.period,
        creator_metrics.sponsored,
        creator_metrics.daily[0],
        posting,
        video_tier,
        product,
        provider_operation,
        provider_operation_page,
        provider_request,
        fund_source,
        creator_leg,
        agency_closed,
        isk_support,
        stripe_capabilities,
        verify_account,
        published_post,
        engagement_rate,
        rate_card,
        roster_entry,
        score_component,
        signature,
        signing_key,
        manager,
        terms,
        thread,
        timeline,
        usage_rights,
        usage_authorization,
        usage_right,
        usage_right_record,
        webhook_notice,
        webhook_reply,
        webhook_result,
        window,
        appreciation,
        collaboration_feedback,
        connection,
        grant,
        authorization_request,
        authorization_url,
        issued_tokens,
        revocation,
        pending_authorization,
        brand_event,
        event_invitation,
        relationship_summary,
        budget_plan,
        budget_plan.plan,
        budget_plan.plan.creators[0],
    )
}

#: Edge cases as (schema name, instance): each branch of a conditional rule, other currencies, defaults only.
EXTRA_SAMPLES: list[tuple[str, Any]] = [
    ("OrderDeliverable", OrderDeliverable(kind=DeliverableType.STORY)),
    (
        "OrderIntent",
        OrderIntent(
            id=f"{DEAL_ID}:order:2",
            deal_id=DEAL_ID,
            platform="tiktok",
            request=PlatformOrderRequest(
                idempotency_key="order_2",
                deal_id=DEAL_ID,
                brand_name="Brightside Kitchen",
                description="Spring skillet launch",
                creator_handles=("mayacooks", "chef_amara"),
                deliverables=(OrderDeliverable(kind=DeliverableType.SHORT_VIDEO, count=2),),
                attempt=3,
            ),
            attempts=3,
            created_at=at(9),
            updated_at=at(9.1),
            in_flight_until=at(9.2),
        ),
    ),
    ("ImportResult", ImportResult(platform="kuaishou", format=ImportFormat.JSONL, rows=0)),
    (
        "Appreciation",
        Appreciation(
            id="thanks_note",
            deal_id=DEAL_ID,
            brand_id=BRAND_ID,
            creator_id=CREATOR_ID,
            kind=AppreciationKind.THANK_YOU_NOTE,
            sent_by=f"brand:{BRAND_ID}",
            sent_at=at(61),
            message="Thank you!",
        ),
    ),
    (
        "EventInvitation",
        EventInvitation(
            id="evtinv_min",
            event_id="evt_min",
            brand_id=BRAND_ID,
            creator_id=CREATOR_ID,
            invited_by=f"brand:{BRAND_ID}",
            invited_at=at(63),
        ),
    ),
    (
        "RelationshipSummary",
        RelationshipSummary(brand_id=BRAND_ID, creator_id=CREATOR_ID, deals_total=0, deals_completed=0),
    ),
    ("Window", Window.lifetime()),
    (
        "WebhookNotice",
        WebhookNotice(
            source="kuaishou", event_id="ks-test-1", kind=NoticeKind.TEST, event_type="TEST", received_at=at(1)
        ),
    ),
    ("WebhookReply", WebhookReply()),
    ("WebhookReply", WebhookReply.text("1158201444")),
    ("WebhookResult", WebhookResult(reply=WebhookReply.text("1158201444"))),
    ("WebhookResult", WebhookResult()),
    ("DiscoveryQuery", DiscoveryQuery()),
    ("DiscoveryPage", DiscoveryPage(platform="instagram", next_cursor="QVFIUm1", filters=())),
    ("CountRange", CountRange(max=10_000)),
    ("PriceRange", PriceRange(max=Money(380_000, "JPY"))),
    ("RateRange", RateRange(max=0.2, denominator=Denominator.FOLLOWERS)),
    ("FilterOutcome", FilterOutcome(filter="followers", status=FilterStatus.APPLIED)),
    ("PostMetricsRequest", PostMetricsRequest(posts=(published_post,))),
    ("ItemError", ItemError(kind=ErrorKind.NOT_FOUND, message="no such video")),
    (
        "AudienceBreakdown",
        AudienceBreakdown(
            dimension=AudienceDimension.AGE,
            shares=(AudienceShare(key="18-34", share=0.7), AudienceShare(key="65+", share=0.02)),
            source=MetricSource.PLATFORM,
            as_of=at(0),
            kind=AudienceKind.VIEWERS,
            truncated=True,
        ),
    ),
    ("Window", Window.days(28)),
    ("Kpi", Kpi(metric=KpiMetric.ENGAGEMENT_RATE, target_rate=0.05)),
    ("Kpi", Kpi(metric=KpiMetric.CPV, target_cost=Money(2, "USD"))),
    ("Money", Money(380_000, "JPY")),
    ("Money", Money(1_250_500, "KWD")),
    ("Money", Money(-190_000, "JPY")),
    (
        "PaymentMilestone",
        PaymentMilestone(
            label="KPI bonus",
            amount=Money(50_000, "USD"),
            trigger=MilestoneTrigger.ON_DATE,
            due=at(45, NEW_YORK),
        ),
    ),
    (
        "PaymentSchedule",
        PaymentSchedule(
            kind=ScheduleKind.PREPAY,
            milestones=(PaymentMilestone(label="Full fee", amount=PRICE, trigger=MilestoneTrigger.ON_SIGNATURE),),
        ),
    ),
    (
        "Deal",
        Deal(
            id="deal_min",
            brief_id=BRIEF_ID,
            brand_id=BRAND_ID,
            creator_id=CREATOR_ID,
            platform="tiktok",
            state=DealState.DISPUTED,
            created_at=at(1),
            updated_at=at(2),
            state_before_dispute=DealState.PUBLISHED,
        ),
    ),
    (
        "CampaignBrief",
        CampaignBrief(
            id="brief_min",
            brand_id=BRAND_ID,
            name="Defaults only",
            product=Product(name="Skillet"),
            budget=Budget(total=Money(1_000_000, "JPY")),
            timeline=Timeline(publish_from=at(0), publish_until=at(0)),
        ),
    ),
    ("CreatorProfile", CreatorProfile(id="cr_min", display_name="Haruka Sato")),
    (
        "RosterEntry",
        RosterEntry(
            id="roster_min",
            agency_id=AGENCY_ID,
            manager_id=MANAGER_ID,
            creator_id=CREATOR_ID,
            added_at=at(0),
            accepted_at=at(2),
            removed_at=at(30),
        ),
    ),
    ("ContractTimeline", ContractTimeline(draft_due=at(3), publish_by=at(10), auto_approve_after_days=None)),
    ("UsageRights", UsageRights(duration_days=None)),
    (
        "PluginMetadata",
        PluginMetadata(name="payments_ledger", kind=PluginKind.PAYMENT, display_name="Ledger"),
    ),
    (
        "PluginMetadata",
        PluginMetadata(
            name="wechat_pay",
            kind=PluginKind.PAYMENT,
            display_name="WeChat Pay profit sharing",
            capabilities=frozenset({Capability.PAYMENTS}),
            payments=PaymentCapabilities(
                currencies=(CurrencySupport(currency="CNY", exponent=2),),
                kinds=frozenset({OperationKind.RELEASE, OperationKind.REVERSE, OperationKind.REFUND}),
                max_hold_days=30,
                partial_release=True,
                max_receivers=50,
                max_split_bp=3_000,
                refund_requires_reversal=True,
                requires_payout_account=True,
            ),
        ),
    ),
    ("PaymentCapabilities", PaymentCapabilities(currencies=(CurrencySupport(currency="EUR", exponent=2),))),
    ("ProviderOperationPage", ProviderOperationPage(provider="echo_pay")),
    (
        "ProviderRequest",
        ProviderRequest(
            operation_id="op_fund_6a19",
            kind=OperationKind.FUND,
            amount=Money(380_000, "JPY"),
            deal_id=JP_DEAL_ID,
            reason="Matcha campaign escrow",
            hold_days=60,
        ),
    ),
    (
        "ProviderOperation",
        ProviderOperation(
            provider="stripe_connect",
            operation_id="op_fund_6a19",
            kind=OperationKind.FUND,
            status=OperationStatus.REQUIRES_ACTION,
            raw_status="requires_action",
            amount=Money(380_000, "JPY"),
            provider_ref="pi_3QxR7aL2eZvKYlo21Jc9Ab0T",
            updated_at=at(7, TOKYO),
            next_action=NextAction(kind=NextActionKind.AUTHENTICATE, raw_kind="use_stripe_sdk"),
        ),
    ),
    (
        "ProviderOperation",
        ProviderOperation(
            provider="stripe_connect",
            operation_id="op_release_6a19_1",
            kind=OperationKind.RELEASE,
            status=OperationStatus.SUCCEEDED,
            raw_status="paid",
            amount=Money(190_000, "JPY"),
            provider_ref="tr_1QxR9dL2eZvKYlo2Xb3C",
            updated_at=at(8, TOKYO),
            fee=Money(0, "JPY"),
            net=Money(190_000, "JPY"),
            reversed_amount=Money(28_500, "JPY"),
        ),
    ),
]


def sample(name: str) -> Any:
    """The sample instance for schema ``name``."""
    return SAMPLES[name]
