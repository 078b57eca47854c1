"""The conformance suite for platform plugins."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
from datetime import timedelta
from typing import Any, ClassVar

import attrs
import pytest

from ..converter import unstructure
from ..entities import (
    AudienceDimension,
    AudienceFilter,
    AudienceProfile,
    Capability,
    Category,
    CountRange,
    CreatorCandidate,
    Denominator,
    DiscoveryPage,
    DiscoveryQuery,
    DiscoverySort,
    ImportFormat,
    Period,
    PlatformAccount,
    PluginKind,
    PostMetricsRequest,
    PriceRange,
    PublishedPost,
    RateRange,
    SortField,
    canonical_key,
)
from ..errors import CapabilityMissing, CreatorkitError, InvalidRequest, NotFound, PlatformError, ValidationError
from ..hookspecs import hookimpl
from ..host import CAPABILITY_HOOKS, PlatformClient, PluginHost
from ..money import Money
from ._authorization import AuthorizationContract
from ._fixtures import network_disabled, sandboxed_host
from ._http_faults import HttpFaultContract
from ._orders import ImportSample, OrdersContract
from ._samples import _NOW, _dummy_account, _message, _post
from ._validity import assert_valid_entity
from ._webhooks import WebhookContract

__all__ = [
    "ImportSample",
    "PlatformPluginContract",
    "assert_canonical_audience",
    "assert_capabilities_match_hooks",
    "assert_valid_entity",
]

#: The stages a platform plugin either offers or explains in ``missing``.
PLATFORM_STAGES = (
    Capability.DISCOVERY,
    Capability.CREATOR_LOOKUP,
    Capability.INVITATIONS,
    Capability.MESSAGING,
    Capability.CONTRACTING,
    Capability.METRICS,
    Capability.AUDIENCE,
    Capability.POST_METRICS,
    Capability.IMPORT,
)


def assert_capabilities_match_hooks(host: PluginHost, name: str) -> None:
    """Assert that plugin ``name`` declares exactly the capabilities whose hooks it implements."""
    meta = host.metadata(name)
    implemented = set(host.hooks(name))
    for capability, hooks in CAPABILITY_HOOKS.items():
        if capability in meta.capabilities:
            assert set(hooks) <= implemented, f"declares {capability} without implementing {hooks}"
        else:
            assert not set(hooks) & implemented, f"implements {hooks} without declaring {capability}"


class PlatformPluginContract(OrdersContract, WebhookContract, HttpFaultContract, AuthorizationContract):
    """Subclass with ``plugin_name`` (and the data your sandbox knows) to run the platform contract suite.

    A platform that offers webhooks also overrides ``webhook_delivery`` (and ``webhook_handshake``): see
    :class:`~creatorkit.testing.WebhookContract`. A platform over HTTP exposes its toolkit sandbox as ``sandbox``
    (and its limiter as ``limiter``) for the HTTP fault matrix: see :class:`~creatorkit.testing.HttpFaultContract`.
    """

    #: The entry-point name in ``creatorkit.platforms``.
    plugin_name: ClassVar[str]
    #: Settings for the plugin's table, as they would appear in creatorkit.toml.
    settings: ClassVar[Mapping[str, Any]] = {}
    #: A handle the sandbox knows (by default the first creator it discovers) and one it does not.
    known_handle: ClassVar[str | None] = None
    unknown_handle: ClassVar[str] = "no_such_creator_zz9"
    #: A discovery query that returns at least one creator in the sandbox.
    discovery_query: ClassVar[DiscoveryQuery] = DiscoveryQuery(limit=5)
    #: A post id the sandbox has metrics for (needed only with the post_metrics capability).
    known_post_id: ClassVar[str | None] = None

    # -- fixtures ------------------------------------------------------------------------------------------------

    @pytest.fixture
    def host(self) -> Iterator[PluginHost]:
        """The plugin loaded through its installed entry point, configured in sandbox mode."""
        with network_disabled():
            yield sandboxed_host(self.plugin_name, "creatorkit.platforms", self.settings)

    @pytest.fixture
    def platform(self, host: PluginHost) -> PlatformClient:
        return host.platform(self.plugin_name)

    def _require(self, platform: PlatformClient, capability: Capability) -> None:
        if not platform.supports(capability):
            reason = platform.metadata.missing.get(capability, "not declared")
            pytest.skip(f"{self.plugin_name} does not offer {capability}: {reason}")

    def _known_handle(self, platform: PlatformClient) -> str:
        """``known_handle``, or else the first creator the sandbox discovers for ``discovery_query``."""
        if self.known_handle:
            return self.known_handle
        assert platform.supports(Capability.DISCOVERY), "set known_handle to a creator your sandbox knows"
        with network_disabled():
            page = platform.discover_creators(self.discovery_query)
        accounts = [c.profile.account_on(self.plugin_name) for c in page.candidates]
        handles = [account.handle for account in accounts if account is not None]
        assert handles, "set known_handle: the sandbox discovers no creator for discovery_query"
        return handles[0]

    def _account(self, platform: PlatformClient) -> PlatformAccount:
        self._require(platform, Capability.CREATOR_LOOKUP)
        handle = self._known_handle(platform)
        candidate = platform.lookup_creator(handle)
        account = candidate.profile.account_on(self.plugin_name)
        assert account is not None, f"lookup of {handle!r} returned no {self.plugin_name} account"
        return account

    # -- metadata and capabilities --------------------------------------------------------------------------------

    def test_metadata_names_the_plugin(self, platform: PlatformClient) -> None:
        meta = platform.metadata
        assert meta.name == self.plugin_name
        assert meta.kind is PluginKind.PLATFORM
        assert meta.display_name.strip(), "display_name must say what the plugin is"
        assert_valid_entity(meta)

    def test_capabilities_match_hooks(self, host: PluginHost) -> None:
        assert_capabilities_match_hooks(host, self.plugin_name)

    def test_missing_stages_are_explained(self, platform: PlatformClient) -> None:
        meta = platform.metadata
        unexplained = [s for s in PLATFORM_STAGES if s not in meta.capabilities and not meta.missing.get(s)]
        assert not unexplained, f"stages neither offered nor explained in missing: {unexplained}"

    def test_undeclared_stage_raises_capability_missing(self, platform: PlatformClient) -> None:
        absent = [s for s in PLATFORM_STAGES if s not in platform.metadata.capabilities]
        if not absent:
            pytest.skip("the plugin offers every platform stage")
        calls: dict[Capability, Callable[[], object]] = {
            Capability.DISCOVERY: lambda: platform.discover_creators(DiscoveryQuery()),
            Capability.CREATOR_LOOKUP: lambda: platform.lookup_creator("x"),
            Capability.INVITATIONS: lambda: platform.get_invitation("x", _dummy_account(self.plugin_name)),
            Capability.MESSAGING: lambda: platform.send_message(_message(), _dummy_account(self.plugin_name)),
            Capability.CONTRACTING: lambda: platform.get_order("x"),
            Capability.IMPORT: lambda: platform.import_records(b"", ImportFormat.CSV),
            Capability.METRICS: lambda: platform.fetch_creator_metrics(_dummy_account(self.plugin_name)),
            Capability.AUDIENCE: lambda: platform.fetch_audience(_dummy_account(self.plugin_name)),
            Capability.POST_METRICS: lambda: platform.fetch_post_metrics(_post(self.plugin_name, "x")),
        }
        for stage in absent:
            with pytest.raises(CapabilityMissing) as caught:
                calls[stage]()
            assert caught.value.capability == stage

    # -- stage outputs -----------------------------------------------------------------------------------------

    def test_discovery_returns_valid_page(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.DISCOVERY)
        with network_disabled():
            page = platform.discover_creators(self.discovery_query)
        assert isinstance(page, DiscoveryPage)
        assert page.platform == self.plugin_name
        assert page.candidates, "the discovery_query should find at least one creator in the sandbox"
        assert len(page.candidates) <= self.discovery_query.limit
        assert_valid_entity(page)

    def test_discovery_pages_do_not_repeat(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.DISCOVERY)
        query = attrs.evolve(self.discovery_query, limit=1)
        with network_disabled():
            first = platform.discover_creators(query)
            if first.next_cursor is None:
                pytest.skip("the sandbox returns a single page for the discovery_query")
            second = platform.discover_creators(attrs.evolve(query, cursor=first.next_cursor))
        assert {c.profile.id for c in first.candidates}.isdisjoint({c.profile.id for c in second.candidates})

    def test_lookup_returns_valid_candidate(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.CREATOR_LOOKUP)
        handle = self._known_handle(platform)
        with network_disabled():
            candidate = platform.lookup_creator(handle)
        assert isinstance(candidate, CreatorCandidate)
        assert_valid_entity(candidate)

    def test_lookup_of_unknown_creator_is_a_typed_error(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.CREATOR_LOOKUP)
        with network_disabled(), pytest.raises(CreatorkitError) as caught:
            platform.lookup_creator(self.unknown_handle)
        assert isinstance(caught.value, NotFound | PlatformError), f"raised {type(caught.value).__name__}"

    def test_metrics_are_valid_and_qualified(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.METRICS)
        account = self._account(platform)
        with network_disabled():
            metrics = platform.fetch_creator_metrics(account)
        assert metrics.platform == self.plugin_name
        assert_valid_entity(metrics)

    def test_audience_is_valid(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.AUDIENCE)
        account = self._account(platform)
        with network_disabled():
            audience = platform.fetch_audience(account)
        assert_valid_entity(audience)

    def test_post_metrics_are_valid(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.POST_METRICS)
        assert self.known_post_id, "set known_post_id to a post your sandbox knows"
        with network_disabled():
            metrics = platform.fetch_post_metrics(self.published_post(self.known_post_id))
        assert_valid_entity(metrics)

    # -- contract v2: discovery filters and paging, batched metrics, canonical audiences --------------------------
    # (kept apart from the outreach, order and webhook checks, which other parts of the contract own)

    #: Post ids the sandbox knows, with the figures its platform does not report for them: each must be None.
    post_missing_figures: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: A query whose pages the kit follows to the end (default: ``discovery_query`` two at a time).
    paging_query: ClassVar[DiscoveryQuery | None] = None

    def published_post(self, post_id: str) -> PublishedPost:
        """The post the metrics tests ask about, as the workflow records one: override to add what your platform
        reads metrics by (the creator's ``account``, the ``platform_order_id``) — TikTok's public video list
        needs the creator's handle, Instagram's insights the account's grant. By default only the id and a URL."""
        return _post(self.plugin_name, post_id)

    #: The most pages the kit follows before it calls the paging endless.
    max_pages: ClassVar[int] = 500

    def _load_again(self) -> PluginHost:
        """A second host with a fresh instance of the plugin, configured as the ``host`` fixture's."""
        return sandboxed_host(self.plugin_name, "creatorkit.platforms", self.settings)

    def every_filter(self) -> DiscoveryQuery:
        """A query that sets every discovery filter, loosely enough that a sandbox may still find someone."""
        similar = PlatformAccount(
            platform=self.plugin_name, account_id="conformance", handle=self.known_handle or "conformance"
        )
        return DiscoveryQuery(
            keywords="a",
            categories=(Category.BEAUTY, Category.FOOD, Category.GAMING),
            countries=("US", "GB"),
            languages=("en",),
            followers=CountRange(min=1),
            average_views=CountRange(min=1),
            median_views=CountRange(min=1),
            price=PriceRange(max=Money(100_000_000, "USD")),
            engagement_rate=RateRange(min=0.0, denominator=Denominator.VIEWS),
            follower_growth=RateRange(min=-1.0, denominator=Denominator.FOLLOWERS),
            audience=(
                AudienceFilter(dimension=AudienceDimension.GENDER, keys=("female",), min_share=0.0),
                AudienceFilter(dimension=AudienceDimension.AGE, keys=("18-24",), min_share=0.0),
                AudienceFilter(dimension=AudienceDimension.COUNTRY, keys=("US",), min_share=0.0),
                AudienceFilter(dimension=AudienceDimension.CITY, keys=("London",), min_share=0.0),
                AudienceFilter(dimension=AudienceDimension.INTEREST, keys=("cooking",), min_share=0.0),
                AudienceFilter(dimension=AudienceDimension.DEVICE, keys=("ios",), min_share=0.0),
            ),
            similar_to=(similar,),
            sort=DiscoverySort(field=SortField.FOLLOWERS),
            limit=5,
        )

    def _raw_pages(self, host: PluginHost) -> list[DiscoveryPage]:
        """What the plugin itself answers, before the host completes the report and wraps the cursor."""
        seen: list[DiscoveryPage] = []

        class RawPages:
            @hookimpl(wrapper=True)
            def creatorkit_discover_creators(self) -> Generator[None, DiscoveryPage, DiscoveryPage]:
                page = yield
                seen.append(page)
                return page

        host.add_wrapper(RawPages(), name="conformance_raw_pages")
        return seen

    def test_every_filter_set_is_reported(self, host: PluginHost, platform: PlatformClient) -> None:
        self._require(platform, Capability.DISCOVERY)
        raw = self._raw_pages(host)
        everything = self.every_filter()
        # The report is what is checked, not the candidates: one per page keeps 17 validated pages quick.
        singles = [everything, *(attrs.evolve(_only(everything, name), limit=1) for name in everything.filters_set())]
        with network_disabled():
            for query in singles:
                platform.discover_creators(query)
        for query, page in zip(singles, raw, strict=True):
            reported = {outcome.filter for outcome in page.filters}
            unreported = [name for name in query.filters_set() if name not in reported]
            assert not unreported, f"the page for a query setting {query.filters_set()} does not report {unreported}"

    def test_paging_reaches_the_end_without_repeats(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.DISCOVERY)
        query = self.paging_query or attrs.evolve(self.discovery_query, limit=2, cursor=None)
        seen: list[str] = []
        with network_disabled():
            for _ in range(self.max_pages):
                page = platform.discover_creators(query)
                assert len(page.candidates) <= query.limit, "a page holds more than limit"
                seen.extend(candidate.profile.id for candidate in page.candidates)
                if page.next_cursor is None:
                    break
                query = attrs.evolve(query, cursor=page.next_cursor)
            else:
                pytest.fail(f"still a next page after {self.max_pages} pages")
        repeated = sorted({id for id in seen if seen.count(id) > 1})
        assert not repeated, f"candidates on more than one page: {repeated}"
        assert seen, "the paging query should find at least one creator in the sandbox"

    def test_a_cursor_is_bound_to_its_query(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.DISCOVERY)
        query = attrs.evolve(self.discovery_query, limit=1, cursor=None)
        with network_disabled():
            first = platform.discover_creators(query)
            if first.next_cursor is None:
                pytest.skip("the sandbox returns a single page for the discovery_query")
            # Only the page size may change between pages.
            platform.discover_creators(attrs.evolve(query, limit=2, cursor=first.next_cursor))
            other = attrs.evolve(query, keywords=query.keywords + " other", cursor=first.next_cursor)
            with pytest.raises((InvalidRequest, ValidationError)) as caught:
                platform.discover_creators(other)
            with pytest.raises((InvalidRequest, ValidationError)):
                platform.discover_creators(attrs.evolve(query, cursor="not-a-cursor"))
        error = caught.value
        named = " ".join(error.paths) if isinstance(error, ValidationError) else getattr(error, "field", None)
        assert named is not None and "cursor" in named, f"the error names {named!r}, not the cursor"

    def test_post_metrics_come_one_per_post(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.POST_METRICS)
        assert self.known_post_id, "set known_post_id to a post your sandbox knows"
        posts = (self.published_post(self.known_post_id), self.published_post("no_such_post_zz9"))
        with network_disabled():
            batch = platform.fetch_post_metrics_batch(PostMetricsRequest(posts=posts, daily=True))
        assert_valid_entity(batch)
        known, unknown = batch.result_for(self.known_post_id), batch.result_for("no_such_post_zz9")
        assert known is not None and known.metrics is not None, f"no metrics for {self.known_post_id}: {known}"
        assert unknown is not None and unknown.error is not None, "an unknown post gets an error of its own"
        with network_disabled(), pytest.raises(CreatorkitError) as caught:
            platform.fetch_post_metrics(posts[1])
        assert isinstance(caught.value, NotFound | PlatformError), f"raised {type(caught.value).__name__}"

    def test_missing_figures_are_none(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.POST_METRICS)
        if not self.post_missing_figures:
            pytest.skip("set post_missing_figures to posts and the figures your platform does not report for them")
        posts = tuple(self.published_post(post_id) for post_id in self.post_missing_figures)
        with network_disabled():
            batch = platform.fetch_post_metrics_batch(PostMetricsRequest(posts=posts, daily=True))
        for post_id, figures in self.post_missing_figures.items():
            metrics = batch.metrics.get(post_id)
            assert metrics is not None, f"no metrics for {post_id}"
            for figure in figures:
                assert getattr(metrics, figure) is None, f"{post_id}.{figure} is missing data: None, not a value"
                days = [getattr(day, figure) for day in metrics.daily if hasattr(day, figure)]
                assert all(value is None for value in days), f"{post_id}: a day's {figure} is a value, not None"

    def test_metrics_over_a_period(self, platform: PlatformClient) -> None:
        self._require(platform, Capability.METRICS)
        account = self._account(platform)
        period = Period(start=_NOW - timedelta(days=7), end=_NOW)
        with network_disabled():
            metrics = platform.fetch_creator_metrics(account, period=period)
        assert metrics.period in (None, period), "the answer covers the period asked for, or says None"
        assert_valid_entity(metrics)

    def test_audiences_are_canonical(self, platform: PlatformClient) -> None:
        audiences: list[AudienceProfile] = []
        with network_disabled():
            if platform.supports(Capability.AUDIENCE):
                audiences.append(platform.fetch_audience(self._account(platform)))
            if platform.supports(Capability.DISCOVERY):
                page = platform.discover_creators(self.discovery_query)
                audiences.extend(c.audience for c in page.candidates if c.audience is not None)
            if platform.supports(Capability.CREATOR_LOOKUP) and self.known_handle:
                found = platform.lookup_creator(self.known_handle).audience
                audiences.extend([found] if found is not None else [])
        if not audiences:
            pytest.skip(f"{self.plugin_name} returns no audience")
        for audience in audiences:
            assert_canonical_audience(audience)

    def test_sandbox_is_deterministic(self, host: PluginHost) -> None:
        with network_disabled():
            again = self._load_again()
            answers = [self._sample_answers(h.platform(self.plugin_name)) for h in (host, again)]
        assert answers[0] == answers[1], "two fresh sandboxes answered the same calls differently"

    def _sample_answers(self, platform: PlatformClient) -> list[object]:
        answers: list[object] = []
        if platform.supports(Capability.DISCOVERY):
            answers.append(unstructure(platform.discover_creators(self.discovery_query)))
        if platform.supports(Capability.CREATOR_LOOKUP) and self.known_handle:
            candidate = platform.lookup_creator(self.known_handle)
            answers.append(unstructure(candidate))
            account = candidate.profile.account_on(self.plugin_name)
            if account is not None and platform.supports(Capability.METRICS):
                answers.append(unstructure(platform.fetch_creator_metrics(account)))
            if account is not None and platform.supports(Capability.AUDIENCE):
                answers.append(unstructure(platform.fetch_audience(account)))
        if platform.supports(Capability.POST_METRICS) and self.known_post_id:
            request = PostMetricsRequest(posts=(self.published_post(self.known_post_id),), daily=True)
            answers.append(unstructure(platform.fetch_post_metrics_batch(request)))
        return answers


def assert_canonical_audience(audience: AudienceProfile) -> None:
    """Assert that ``audience`` is in the core's canonical buckets and says what it leaves out.

    Its keys are canonical for their dimension (the entity refuses anything else when it is built; the schema is
    checked here too), and a breakdown whose shares fall short of the whole says it is ``truncated``: an unlisted
    bucket must never read as holding nobody.
    """
    assert_valid_entity(audience)
    for breakdown in audience.breakdowns:
        for share in breakdown.shares:
            assert canonical_key(breakdown.dimension, share.key) == share.key, f"{share.key!r} is not canonical"
        assert breakdown.complete or breakdown.truncated, (
            f"the {breakdown.kind} {breakdown.dimension} breakdown covers {1 - breakdown.unaccounted:.0%} of the "
            "audience and is not marked truncated"
        )


def _only(query: DiscoveryQuery, name: str) -> DiscoveryQuery:
    """``query`` with only its filter ``name`` set (and its page size)."""
    empty = DiscoveryQuery(limit=query.limit)
    if name.startswith("audience."):
        return attrs.evolve(empty, audience=tuple(f for f in query.audience if f.name == name))
    return attrs.evolve(empty, **{name: getattr(query, name)})
