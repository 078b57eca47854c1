"""Campaign reports: the figures are the KPI functions' figures over the store's snapshots, the charts draw only
numbers the JSON holds, the CSV parses, user text is escaped, and only the campaign's brand may read it."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from markupsafe import escape

from creatorkit import Actor, Creatorkit, Money
from creatorkit.analytics import FollowerChange, PostResult, summarise
from creatorkit.analytics._report import build_report
from creatorkit.config import Config
from creatorkit.converter import structure, unstructure
from creatorkit.entities import (
    AccountSnapshot,
    AudienceDimension,
    AudienceProfile,
    CostMetric,
    CreatorMetrics,
    Kpi,
    KpiMetric,
    KpiScope,
    VerificationStatus,
)
from creatorkit.errors import NotFound, PermissionDenied, ValidationError
from creatorkit.host import PluginHost
from creatorkit.reports import CSV_COLUMNS, render_html, report_csv
from creatorkit.reports._html import CHART_IDS
from creatorkit.store import open_store
from world import Clock

from .report_world import LIVE, START, Campaign, GrowingEcho, build_campaign, register_creator

XSS_NAME = "<script>alert('name')</script> Ana"
XSS_CAPTION = "<img src=x onerror=alert('caption')> Glow #ad"


def make_kit(tmp_path: Path, clock: Clock, size: int = 24) -> tuple[Creatorkit, GrowingEcho]:
    plugins = PluginHost()
    echo = GrowingEcho(clock, size=size)
    plugins.register(echo, name="echo")
    kit = Creatorkit(
        store=open_store(f"sqlite:///{tmp_path / 'kit.db'}"), plugins=plugins, config=Config(), clock=clock
    )
    return kit, echo


@pytest.fixture
def campaign(tmp_path: Path) -> Iterator[Campaign]:
    clock = Clock(START)
    kit, echo = make_kit(tmp_path, clock)
    made = build_campaign(kit, clock, echo, creators=3, days=5, names={0: XSS_NAME}, captions={1: XSS_CAPTION})
    yield made
    kit.close()


def expected_results(campaign: Campaign, as_of: Any = None) -> list[PostResult]:
    """The campaign's posts as the KPI functions take them, read through the public services."""
    kit, brand, results = campaign.kit, campaign.brand, []
    for deal in campaign.deals:
        post = kit.content.post(brand, deal.id)
        assert post is not None
        history = [s for s in kit.metrics.post_history(brand, post.id) if as_of is None or s.fetched_at <= as_of]
        followers = account_history(kit, deal.creator_id)[0].followers  # read before the post went live
        assert followers is not None
        results.append(
            PostResult(
                post_id=post.id,
                creator_id=deal.creator_id,
                metrics=history[-1].metrics,
                cost=deal.price,
                followers=followers.value,
            )
        )
    return sorted(results, key=lambda r: r.post_id)  # the posts went live together: in id order, as the report


def account_history(kit: Creatorkit, creator_id: str) -> list[CreatorMetrics]:
    """The creator's account figures as the store keeps them, oldest first: the creator's own refreshes and the
    sync rounds' snapshots."""
    with kit.store.read() as tx:
        found = [structure(record.doc, CreatorMetrics) for record in tx.find("metrics_snapshot", parent=creator_id)]
        synced = [structure(record.doc, AccountSnapshot) for record in tx.find("account_snapshot", parent=creator_id)]
    return sorted([*found, *(s.metrics for s in synced)], key=lambda m: m.as_of)


def follower_changes(campaign: Campaign, as_of: Any = None) -> list[FollowerChange]:
    """From each account's reading before the campaign (the posts went live together) to its last by ``as_of``."""
    changes = []
    for creator in campaign.creators:
        history = [m for m in account_history(campaign.kit, creator.id) if as_of is None or m.as_of <= as_of]
        start, end = history[0], history[-1]
        assert start.as_of < LIVE < end.as_of and start.followers is not None and end.followers is not None
        changes.append(FollowerChange(creator_id=creator.id, platform="echo", start=start.followers, end=end.followers))
    return changes


def test_the_report_numbers_are_the_kpi_functions_numbers(campaign: Campaign) -> None:
    report = campaign.kit.reports.campaign(campaign.brand, campaign.brief_id)
    brief = campaign.kit.briefs.get(campaign.brand, campaign.brief_id)
    results, growth = expected_results(campaign), follower_changes(campaign)
    assert report.campaign == summarise(results, KpiScope.CAMPAIGN, brief.id, brief.kpis, growth)
    assert report.platforms == (summarise(results, KpiScope.PLATFORM, "echo", brief.kpis, growth),)
    rate_and_cost = tuple(k for k in brief.kpis if k.metric is not KpiMetric.VIEWS)
    for creator in report.creators:
        mine = [r for r in results if r.creator_id == creator.creator_id]
        assert creator.kpis == summarise(mine, KpiScope.CREATOR, creator.creator_id, rate_and_cost, growth)
        assert creator.result_cost == creator.kpis.cpm  # the brief's cost target is a CPM
        assert creator.result_cost is not None and creator.result_cost_amount == str(creator.result_cost.amount())
    assert {p.post_id: p.kpis.views for p in report.posts} == {r.post_id: r.metrics.views for r in results}
    assert report.campaign is not None and report.campaign.views is not None
    assert report.campaign.views.value == sum(r.metrics.views.value for r in results if r.metrics.views)
    assert [a.kpi.metric for a in report.campaign.attainment] == [
        KpiMetric.VIEWS,
        KpiMetric.ENGAGEMENT_RATE,
        KpiMetric.CPM,
    ]
    assert report.result_metric is CostMetric.CPM and report.unmeasured == ()
    # The accounts gained followers over the campaign: the growth is over the followers at its start.
    assert report.campaign.follower_change == sum(c.end.value - c.start.value for c in growth) > 0
    rate = report.campaign.follower_growth_rate
    assert rate is not None and rate.denominator == "followers"
    assert rate.denominator_value == sum(c.start.value for c in growth)


def test_views_over_time_follow_each_posts_snapshots_and_grow(campaign: Campaign) -> None:
    report = campaign.kit.reports.campaign(campaign.brand, campaign.brief_id)
    assert len(report.views_over_time) == 3
    for series in report.views_over_time:
        deal = next(d for d in campaign.deals if d.creator_id == series.creator_id)
        post = campaign.kit.content.post(campaign.brand, deal.id)
        assert post is not None
        history = campaign.kit.metrics.post_history(campaign.brand, post.id)
        assert [(p.slot, p.views) for p in series.points] == [
            (s.slot, s.metrics.views.value) for s in history if s.metrics.views
        ]
        views = [p.views for p in series.points]
        assert len(views) == 5 and views == sorted(views) and views[0] < views[-1]  # the sandbox's posts grow


def test_a_report_as_of_an_earlier_day_leaves_later_snapshots_out(campaign: Campaign) -> None:
    as_of = LIVE + timedelta(days=2, hours=2)
    report = campaign.kit.reports.campaign(campaign.brand, campaign.brief_id, as_of=as_of)
    brief = campaign.kit.briefs.get(campaign.brand, campaign.brief_id)
    results, growth = expected_results(campaign, as_of), follower_changes(campaign, as_of)
    assert report.campaign == summarise(results, KpiScope.CAMPAIGN, brief.id, brief.kpis, growth)
    assert report.campaign is not None and report.campaign.follower_change is not None
    everything = campaign.kit.reports.campaign(campaign.brand, campaign.brief_id).campaign
    assert everything is not None and everything.follower_change is not None
    assert 0 < report.campaign.follower_change < everything.follower_change  # the accounts kept growing
    assert all(len(series.points) == 3 for series in report.views_over_time)
    before = campaign.kit.reports.campaign(campaign.brand, campaign.brief_id, as_of=LIVE - timedelta(days=1))
    assert before.campaign is None and len(before.unmeasured) == 3
    assert all("no snapshot by" in line for line in before.unmeasured)
    with pytest.raises(ValidationError, match="as_of"):
        campaign.kit.reports.campaign(campaign.brand, campaign.brief_id, as_of=LIVE.replace(tzinfo=None))


def test_audience_match_is_the_share_of_each_audience_in_the_target(campaign: Campaign) -> None:
    report = campaign.kit.reports.campaign(campaign.brand, campaign.brief_id)
    by_creator = {m.creator_id: m for m in report.audience_match if m.dimension == "age" and m.creator_id}
    for creator in campaign.creators:
        audience: AudienceProfile = campaign.kit.creators.overview(campaign.brand, creator.id).audience[0]
        age = audience.breakdown(AudienceDimension.AGE)
        assert age is not None
        expected = sum(s.share for s in age.shares if s.key in ("18-24", "25-34"))
        match = by_creator[creator.id]
        assert match.share == pytest.approx(expected) and match.met == (expected >= 0.5)
        assert (match.source, match.as_of, match.denominator) == (age.source, age.as_of, "followers")
    campaign_row = next(m for m in report.audience_match if m.creator_id is None and m.dimension == "age")
    views = {c.creator_id: c.kpis.views.value for c in report.creators if c.kpis.views}
    weighted = sum((by_creator[k].share or 0) * v for k, v in views.items()) / sum(views.values())
    assert campaign_row.share == pytest.approx(weighted) and campaign_row.denominator == "views"


def test_a_deal_without_a_post_is_listed_as_unmeasured(campaign: Campaign) -> None:
    kit = campaign.kit
    late = register_creator(kit, campaign.platform, 7, "Late Lou")
    deal = kit.outreach.invite(
        campaign.brand, brief_id=campaign.brief_id, creator_id=late.id, platform="echo", body="Hi"
    )
    report = kit.reports.campaign(campaign.brand, campaign.brief_id)
    assert report.unmeasured == (f"deal {deal.id} ({late.id}): no published post (invited)",)
    assert report.campaign is not None and report.campaign.posts == 3


def test_cost_per_result_is_per_engagement_without_a_cost_target(tmp_path: Path) -> None:
    clock = Clock(START)
    kit, echo = make_kit(tmp_path, clock)
    made = build_campaign(kit, clock, echo, creators=2, days=2, kpis=(Kpi(metric=KpiMetric.VIEWS, target_count=10),))
    report = kit.reports.campaign(made.brand, made.brief_id)
    assert report.result_metric is CostMetric.CPE
    assert [c.result_cost for c in report.creators] == [c.kpis.cpe for c in report.creators]
    kit.close()


def test_only_the_campaigns_brand_reads_its_report(campaign: Campaign) -> None:
    kit = campaign.kit
    with pytest.raises(NotFound, match="brief_nope"):
        kit.reports.campaign(campaign.brand, "brief_nope")
    other = kit.parties.register_brand(Actor.system(), name="Rival Co", id="brand_rival")
    kit.parties.set_brand_verification(Actor.system(), other.id, VerificationStatus.VERIFIED)
    # The brief is published: other parties see it on the marketplace, but not the brand's results.
    with pytest.raises(PermissionDenied, match="only the brand that owns a campaign"):
        kit.reports.campaign(Actor.brand(other.id), campaign.brief_id)
    with pytest.raises(PermissionDenied):
        kit.reports.campaign(campaign.creators[0], campaign.brief_id)
    denied = [e for e in kit.store.iter_audit() if e.action == "denied.view_report"]
    assert [e.actor_id for e in denied] == ["brand:brand_rival", f"creator:{campaign.creators[0].id}"]
    assert denied[0].entity_id == campaign.brief_id
    assert kit.reports.campaign(Actor.system(), campaign.brief_id).campaign is not None


def test_a_draft_brief_of_another_brand_does_not_exist_for_the_reader(campaign: Campaign) -> None:
    from creatorkit.entities import Budget, Deliverable, DeliverableType, Product, Timeline
    from creatorkit.money import Money

    kit = campaign.kit
    draft = kit.briefs.create(
        campaign.brand,
        name="Secret",
        product=Product(name="x", description="x", category="beauty"),
        budget=Budget(total=Money(100, "USD")),
        timeline=Timeline(publish_from=LIVE + timedelta(days=30), publish_until=LIVE + timedelta(days=40)),
        deliverables=(Deliverable(type=DeliverableType.SHORT_VIDEO, platform="echo"),),
    )
    with pytest.raises(NotFound):
        kit.reports.campaign(campaign.creators[0], draft.id)
    empty = kit.reports.campaign(campaign.brand, draft.id)
    assert (empty.campaign, empty.creators, empty.views_over_time) == (None, (), ())
    assert "no post measured yet" in render_html(empty)


# --- the charts, the JSON, the CSV -----------------------------------------------------------------------------


def figures(page: str) -> dict[str, dict[str, Any]]:
    """The plotly figures the HTML page draws, by chart id, parsed from the page itself."""
    found = re.findall(
        r'<script type="application/json" class="figure" data-chart="([^"]+)">(.*?)</script>', page, re.S
    )
    return {chart: json.loads(text) for chart, text in found}


def test_every_charted_number_is_in_the_json(campaign: Campaign) -> None:
    report = campaign.kit.reports.campaign(campaign.brand, campaign.brief_id)
    data = json.loads(json.dumps(unstructure(report)))
    drawn = figures(render_html(report))
    assert list(drawn) == list(CHART_IDS)

    views = {s["creator_id"]: s for s in data["views_over_time"]}
    lines = drawn["views-over-time"]["data"]
    assert {line["meta"] for line in lines} == set(views)
    for line in lines:
        points = views[line["meta"]]["points"]
        assert line["y"] == [p["views"] for p in points]
        assert [x[:19] for x in line["x"]] == [p["slot"][:19] for p in points]

    (bars,) = drawn["kpi-attainment"]["data"]
    assert bars["y"] == [a["attainment_bp"] / 10_000 for a in data["campaign"]["attainment"]]

    (costs,) = drawn["cost-per-result"]["data"]
    by_id = {c["creator_id"]: c for c in data["creators"]}
    assert [float(by_id[c]["result_cost_amount"]) for c in costs["customdata"]] == costs["y"]
    for creator in report.creators:  # the amount is the exact cost per unit, rounded only for show
        assert creator.result_cost is not None
        exact = Decimal(creator.result_cost.minor_units.numerator) / creator.result_cost.minor_units.denominator / 100
        assert abs(Decimal(creator.result_cost_amount or "0") - exact) < Decimal("0.0001")

    rows = data["audience_match"]
    traces = drawn["audience-match"]["data"]
    bars = [t for t in traces if t["type"] == "bar"]
    marks = [t for t in traces if t["type"] == "scatter"]
    assert len(bars) == len(marks) == 3  # one per target of the brief
    for bar, mark, (dimension, keys) in zip(
        bars, marks, [("gender", ["female"]), ("age", ["18-24", "25-34"]), ("country", ["US"])], strict=True
    ):
        mine = [m for m in rows if m["dimension"] == dimension and m["target_keys"] == keys]
        assert bar["y"] == [m["share"] for m in mine] and bar["customdata"] == [m["creator_id"] for m in mine]
        assert mark["y"] == [m["min_share"] for m in mine]
        assert len(mine) == 4  # three creators and the campaign


def test_the_csv_has_one_row_per_scope_subject_and_kpi(campaign: Campaign) -> None:
    report = campaign.kit.reports.campaign(campaign.brand, campaign.brief_id)
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert tuple(rows[0]) == CSV_COLUMNS
    keys = [(r["scope"], r["subject"], r["kpi"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert report.campaign is not None and report.campaign.views is not None and report.campaign.cpm is not None
    views = next(r for r in rows if r["scope"] == "campaign" and r["kpi"] == "views")
    assert int(views["value"]) == report.campaign.views.value and views["source"] == "platform"
    cpm = next(r for r in rows if r["scope"] == "campaign" and r["kpi"] == "cpm")
    assert (cpm["value"], cpm["unit"], cpm["denominator"]) == (
        str(report.campaign.cpm.amount()),
        "USD per 1000",
        "views",
    )
    assert cpm["denominator_value"] == str(report.campaign.views.value) and cpm["as_of"]
    assert {r["scope"] for r in rows} == {"campaign", "platform", "creator", "post"}
    attained = {r["kpi"]: r for r in rows if r["scope"] == "campaign" and r["kpi"].startswith("attainment:")}
    assert [(a.kpi.metric, a.attainment_bp) for a in report.campaign.attainment] == [
        (KpiMetric(k.removeprefix("attainment:")), round(float(r["value"]) * 10_000)) for k, r in attained.items()
    ]
    shares = [r for r in rows if r["kpi"].startswith("audience_share:")]
    assert len(shares) == len(report.audience_match)
    age = next(r for r in shares if r["scope"] == "campaign" and r["kpi"] == "audience_share:age=18-24+25-34")
    assert (age["denominator"], age["source"]) == ("views", "estimated")
    assert sum(1 for r in rows if r["scope"] == "post" and r["kpi"] == "views") == 3


def test_user_text_is_escaped_in_the_page_and_in_the_charts(campaign: Campaign) -> None:
    page = render_html(campaign.kit.reports.campaign(campaign.brand, campaign.brief_id))
    assert "<script>alert(" not in page and "<img src=x" not in page
    assert escape(XSS_NAME) in page and escape(XSS_CAPTION) in page  # shown as text in the table
    names = [t["name"] for t in figures(page)["views-over-time"]["data"]]
    assert html.escape(XSS_NAME) in names  # plotly shows entities as text, and reads no tag in them
    assert page.count("<script") == len(CHART_IDS) + 2  # the figures, plotly.js and the one that draws them


def test_account_figures_read_after_the_reports_moment_are_left_out(campaign: Campaign) -> None:
    """A round that ran later may carry figures the platform dated earlier: the report of a past moment counts what
    had been read by then (``fetched_at``), so it does not change as later rounds arrive."""
    import attrs

    as_of = LIVE + timedelta(days=2, hours=2)
    kit = campaign.kit
    before = kit.reports.campaign(campaign.brand, campaign.brief_id, as_of=as_of).campaign
    creator = campaign.creators[0]
    (latest,) = [m for m in account_history(kit, creator.id) if m.as_of <= as_of][-1:]
    assert latest.followers is not None
    late = AccountSnapshot(
        creator_id=creator.id,
        platform="echo",
        slot=as_of,
        fetched_at=as_of + timedelta(days=30),  # read a month later ...
        metrics=attrs.evolve(latest, followers=attrs.evolve(latest.followers, value=latest.followers.value * 10)),
        synced_by="in-process",  # ... with figures the platform dates before the report's moment
    )
    with kit.store._write_transaction() as tx:
        tx.insert(
            "account_snapshot",
            f"{creator.id}:echo@late",
            unstructure(late),
            workspace=creator.id,
            parent=creator.id,
            state="echo",
            now=as_of + timedelta(days=30),
        )
    after = kit.reports.campaign(campaign.brand, campaign.brief_id, as_of=as_of).campaign
    assert after == before


def test_a_deal_of_two_posts_is_charged_its_price_once(campaign: Campaign) -> None:
    """A deal is paid once whatever it publishes: its price is split across its posts exactly, never twice."""
    from creatorkit._change import View
    from creatorkit.reports._service import _gather

    kit = campaign.kit
    with kit.store.read() as tx:
        data = _gather(View(tx, kit._entities), campaign.brand, campaign.brief_id, kit.clock())
    first = data.posts[0]
    second = attrs.evolve(first, post=attrs.evolve(first.post, id=f"{first.post.id}-2", platform_post_id="second"))
    report = build_report(attrs.evolve(data, posts=(*data.posts, second)), kit.clock())
    price = first.deal.price
    assert price is not None
    costs = {p.post_id: p.kpis.cost for p in report.posts}
    one, two = costs[first.post.id], costs[second.post.id]
    assert one is not None and two is not None
    assert one + two == price and abs(one.amount - two.amount) <= 1
    creator = next(c for c in report.creators if c.creator_id == first.deal.creator_id)
    assert creator.kpis.cost == price
    assert report.campaign is not None
    assert report.campaign.cost == sum(
        (d.price for d in data.deals if d.price is not None), start=Money.zero(price.currency)
    )
