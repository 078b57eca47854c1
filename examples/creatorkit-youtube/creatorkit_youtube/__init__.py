"""creatorkit-youtube: an out-of-tree platform plugin over HTTP, built on :mod:`creatorkit.toolkit`.

Discovery by the Data API v3's ``search.list`` (``type=channel``) then ``channels.list``; lookup by ``channels.list``
``forHandle``; metrics from channel ``statistics``; video metrics by ``videos.list``, 50 ids a call; the audience by
the Analytics API v2, with the creator's grant. Live and sandbox share every line: only the transport differs.

Settings (``[platforms.youtube]``): ``api_key`` (live: the Data API key, ``writeOnly``), ``quota_units_per_day``
(default 10,000, the Data API's default quota), ``seed`` (sandbox: the synthetic population's seed).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from creatorkit import AuthExpired, CallContext, InvalidRequest, NotFound, PluginContext, hookimpl
from creatorkit import entities as ent
from creatorkit import toolkit as tk
from creatorkit.config import Mode
from creatorkit.errors import PlatformPermissionDenied, RateLimited, Transient

from .sandbox import YouTubeSandbox

__all__ = ["ERRORS", "GOOGLE", "RULES", "YouTubePlatform", "budgets"]
__version__ = "0.1.0"

#: Google's error envelope: ``{"error": {"code", "message", "errors": [{"reason", "domain"}]}}``; no error, success.
GOOGLE = tk.Envelope(code="error.errors.0.reason", message="error.message", code_required=False, success_codes=())
#: Google's reasons first (a 403 is a quota, a permission or a throttle, depending on the reason), then plain HTTP.
RULES = (
    tk.ErrorRule(RateLimited, codes=("quotaExceeded", "dailyLimitExceeded"), scope="quota_day", wait=3600),
    tk.ErrorRule(RateLimited, codes=("rateLimitExceeded", "userRateLimitExceeded"), scope="app", wait=1),
    tk.ErrorRule(AuthExpired, codes=("authError",)),  # expired or revoked: refreshing tells them apart
    tk.ErrorRule(NotFound, codes=("channelNotFound", "videoNotFound", "notFound")),
    tk.ErrorRule(PlatformPermissionDenied, codes=("forbidden", "insufficientPermissions")),
    tk.ErrorRule(InvalidRequest, codes=("badRequest", "invalidParameter", "missingRequiredParameter")),
    tk.ErrorRule(Transient, codes=("backendError", "internalError")),
)
ERRORS = tk.ErrorTable(RULES) + tk.HTTP_STATUS_ERRORS


def budgets(units_per_day: int = 10_000) -> tuple[tk.RateBudget, ...]:
    """The Data API's default quota: 10,000 units a day, a list call costing 1; ``search.list`` 100 units (Google's
    quota page now gives it a bucket of 100 calls a day): either way a hundredth of the quota in searches."""
    search = tk.RateBudget("search_day", max(1, units_per_day // 100), tk.DAY, key="search")
    return (tk.RateBudget("quota_day", units_per_day, tk.DAY), search)


DATA_API = "https://www.googleapis.com/youtube/v3/"
ANALYTICS_API = "https://youtubeanalytics.googleapis.com/v2/"
#: What the audience needs: the creator's own grant with this scope (YouTube Analytics reads only one's own).
ANALYTICS_SCOPE = "https://www.googleapis.com/auth/yt-analytics.readonly"
SETTINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "api_key": {"type": "string", "minLength": 8, "writeOnly": True},
        "quota_units_per_day": {"type": "integer", "minimum": 100, "default": 10_000},
        "seed": {"type": "integer", "default": 0},
    },
    "additionalProperties": False,
}
#: The video figures the Data API reports (``viewCount``, ``likeCount``, ``commentCount``).
_FIGURES = ("view", "like", "comment")
#: What search.list cannot do: the core post-filters these from the details it is given.
IGNORED = "search.list has no such filter; the core filters the channels it returns"
APPROXIMATED = {
    "countries": "regionCode: channels YouTube shows viewers in that country, not channels based there",
    "languages": "relevanceLanguage: ranks results by relevance to the language, not only that language",
}


class YouTubePlatform:
    """The YouTube plugin; ``sandbox`` is its :class:`YouTubeSandbox` in sandbox mode (the kit flips its switches)."""

    def __init__(self, name: str = "youtube") -> None:
        self.name = name
        self.sandbox: YouTubeSandbox | None = None
        self._configure({}, Mode.SANDBOX)

    @hookimpl
    def creatorkit_plugin_metadata(self) -> ent.PluginMetadata:
        C = ent.Capability
        no = "the YouTube Data API has no API for it; agree and record it outside creatorkit"
        missing: dict[str, str] = dict.fromkeys((C.INVITATIONS, C.MESSAGING, C.CONTRACTING), no)
        return ent.PluginMetadata(
            name=self.name,
            kind=ent.PluginKind.PLATFORM,
            display_name="YouTube (example plugin over HTTP)",
            description="Channels and videos through the YouTube Data API v3; audiences through YouTube Analytics.",
            capabilities=frozenset({C.DISCOVERY, C.CREATOR_LOOKUP, C.METRICS, C.POST_METRICS, C.AUDIENCE}),
            missing=missing | {C.IMPORT: "YouTube has no creator-marketplace export to import"},
            settings_schema=SETTINGS_SCHEMA,
        )

    @hookimpl
    def creatorkit_configure(self, settings: Mapping[str, Any], context: PluginContext) -> None:
        self._configure(settings, context.mode)

    def _configure(self, settings: Mapping[str, Any], mode: Mode) -> None:
        live, fake = mode is Mode.LIVE, tk.FakeClock()  # the sandbox's time: its waits cost nothing, its answers repeat
        clock, sleep, wall = (time.monotonic, time.sleep, None) if live else (fake.monotonic, fake.sleep, fake.now)
        self.sandbox = None if live else YouTubeSandbox(seed=settings.get("seed", 0), clock=clock, sleep=sleep)
        self.as_of = None if self.sandbox is None else self.sandbox.population.as_of
        self.key = tk.StaticToken(str(settings.get("api_key", "")), platform=self.name, action="set api_key")
        if self.sandbox is not None:  # the sandbox's stand-in for the API key: like a key, it never expires
            self.key = tk.StaticToken(self.sandbox.issuer.issue("app", lifetime=2**40).access_token, platform=self.name)
        limits = budgets(settings.get("quota_units_per_day", 10_000))
        self.limiter = tk.RateLimiter(limits, platform=self.name, clock=clock, sleep=sleep)
        self.timing = (clock, sleep, wall)
        placement = tk.TokenPlacement.in_query("key") if live else tk.TokenPlacement.bearer()
        self.data = self._build(DATA_API, self.key, placement)

    def _build(self, base: str, tokens: tk.TokenSource, where: tk.TokenPlacement) -> httpx.Client:
        clock, sleep, wall = self.timing
        config = tk.ApiConfig(platform=self.name, base_url=base, envelope=GOOGLE, errors=ERRORS, token_placement=where)
        return tk.build_client(
            config, tokens=tokens, limiter=self.limiter, transport=self.sandbox, clock=clock, sleep=sleep, wall=wall
        )

    def _now(self) -> datetime:
        return self.as_of or datetime.now(UTC)

    def _get(self, path: str, context: CallContext | None, **params: Any) -> Any:
        """One Data API call: with the caller's token when the context has one, else with the app's key."""
        client = self.data
        if context is not None and context.tokens is not None:
            client = self._build(DATA_API, context.tokens, tk.TokenPlacement.bearer())
        deadline = context.deadline if context is not None else None
        search = tk.call_options(deadline=deadline, search="1")  # counted against the search budget too
        options = search if path == "search" else tk.call_options(deadline=deadline)
        return GOOGLE.data_of(client.get(path, params=params, extensions=options).json())

    # -- discovery and lookup ------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_discover_creators(self, query: ent.DiscoveryQuery, context: CallContext | None) -> ent.DiscoveryPage:
        params: dict[str, Any] = {"part": "snippet", "type": "channel", "maxResults": min(50, query.limit)}
        applied = ["keywords"] if query.keywords else []
        approximated = {}
        ignored = {"countries": "regionCode takes one country"} if len(query.countries) > 1 else {}
        if query.keywords:
            params["q"] = query.keywords
        if len(query.countries) == 1:
            params["regionCode"], approximated["countries"] = query.countries[0], APPROXIMATED["countries"]
        if query.languages:
            params["relevanceLanguage"], approximated["languages"] = query.languages[0], APPROXIMATED["languages"]
        if query.cursor:
            params["pageToken"] = query.cursor
        found = self._get("search", context, **params)
        ids = [item["id"]["channelId"] for item in found.get("items", ())]
        channels = self._channels(context, id=",".join(ids)) if ids else []
        return ent.DiscoveryPage(
            platform=self.name,
            candidates=tuple(self._candidate(channel) for channel in channels),
            next_cursor=found.get("nextPageToken"),
            total=found.get("pageInfo", {}).get("totalResults"),
            filters=query.report(applied=applied, approximated=approximated, ignored=ignored, otherwise=IGNORED),
        )

    def _channels(self, context: CallContext | None, **params: Any) -> list[dict[str, Any]]:
        return list(self._get("channels", context, part="snippet,statistics", **params).get("items", ()))

    @hookimpl
    def creatorkit_lookup_creator(self, handle: str, context: CallContext | None) -> ent.CreatorCandidate:
        channels = self._channels(context, forHandle="@" + handle.lstrip("@"))
        if not channels:  # YouTube answers an unknown handle with no items, not a 404
            raise NotFound("channel", handle)
        return self._candidate(channels[0])

    def _count(self, value: str | None) -> ent.Count | None:
        """A statistic (YouTube sends them as strings); absent stays None, never 0."""
        if value is None:
            return None
        return ent.Count(
            value=int(value), window=ent.Window.lifetime(), source=ent.MetricSource.PLATFORM, as_of=self._now()
        )

    def _candidate(self, channel: Mapping[str, Any]) -> ent.CreatorCandidate:
        snippet, metrics = channel["snippet"], self._metrics(channel)
        account = ent.PlatformAccount(
            platform=self.name,
            account_id=channel["id"],
            handle=snippet.get("customUrl", channel["id"]).lstrip("@"),
            display_name=snippet.get("title"),
            followers=metrics.followers,
        )
        profile = ent.CreatorProfile(
            id=f"{self.name}:{channel['id']}",
            display_name=snippet.get("title") or account.handle,
            accounts=(account,),
            country=snippet.get("country"),
        )
        return ent.CreatorCandidate(platform=self.name, profile=profile, metrics=metrics)

    # -- metrics -------------------------------------------------------------------------------------------------

    def _metrics(self, channel: Mapping[str, Any]) -> ent.CreatorMetrics:
        statistics = channel.get("statistics", {})
        hidden = statistics.get("hiddenSubscriberCount")  # hidden subscribers exist: unknown is None, never 0
        return ent.CreatorMetrics(
            platform=self.name,
            account_id=channel["id"],
            as_of=self._now(),
            followers=None if hidden else self._count(statistics.get("subscriberCount")),
            total_views=self._count(statistics.get("viewCount")),
            post_count=self._count(statistics.get("videoCount")),
        )

    @hookimpl
    def creatorkit_fetch_creator_metrics(
        self, account: ent.PlatformAccount, context: CallContext | None, period: ent.Period | None
    ) -> ent.CreatorMetrics:
        # The Data API has lifetime totals only, so the answer's period is None whatever was asked.
        channels = self._channels(context, id=account.account_id)
        if not channels:
            raise NotFound("channel", account.account_id)
        return self._metrics(channels[0])

    @hookimpl
    def creatorkit_fetch_post_metrics_batch(
        self, request: ent.PostMetricsRequest, context: CallContext | None
    ) -> ent.PostMetricsBatch:
        found: dict[str, Mapping[str, Any]] = {}
        ids = list(request.post_ids)
        for chunk in (ids[start : start + 50] for start in range(0, len(ids), 50)):  # videos.list: 50 ids a call
            items = self._get("videos", context, part="statistics", id=",".join(chunk)).get("items", ())
            found.update((item["id"], item["statistics"]) for item in items)
        results = []
        for post_id in request.post_ids:
            if post_id not in found:  # left out of items: that video is gone or private
                error = ent.ItemError(kind=ent.ErrorKind.NOT_FOUND, message=f"YouTube has no video {post_id}")
                results.append(ent.PostMetricsResult(platform_post_id=post_id, error=error))
            else:  # shares and saves: the Data API reports neither, so they stay None; likes may be hidden
                views, likes, comments = (self._count(found[post_id].get(f"{name}Count")) for name in _FIGURES)
                metrics = ent.PostMetrics(
                    platform=self.name,
                    platform_post_id=post_id,
                    as_of=self._now(),
                    views=views,
                    likes=likes,
                    comments=comments,
                )
                results.append(ent.PostMetricsResult(platform_post_id=post_id, metrics=metrics))
        return ent.PostMetricsBatch(platform=self.name, results=tuple(results))

    # -- audience ------------------------------------------------------------------------------------------------

    def _grant(self, account: ent.PlatformAccount, context: CallContext | None) -> tk.TokenSource:
        if context is not None and context.tokens is not None:
            return context.tokens
        if self.sandbox is not None:  # the sandbox's creators have all granted access
            return tk.StaticToken(self.sandbox.issuer.issue(account.account_id).access_token, platform=self.name)
        raise AuthExpired(
            self.name,
            "YouTube Analytics reads a channel's audience only with its owner's grant",
            action=f"ask the creator to authorise {ANALYTICS_SCOPE} (`creatorkit connect youtube`)",
        )

    @hookimpl
    def creatorkit_fetch_audience(
        self, account: ent.PlatformAccount, context: CallContext | None
    ) -> ent.AudienceProfile:
        client = self._build(ANALYTICS_API, self._grant(account, context), tk.TokenPlacement.bearer())
        now = self._now()
        params = {
            "ids": "channel==MINE",
            "metrics": "viewerPercentage",
            "dimensions": "ageGroup,gender",
            "startDate": "2005-02-14",  # YouTube's first day: the channel's whole life
            "endDate": now.date().isoformat(),
        }
        deadline = context.deadline if context is not None else None
        table = client.get("reports", params=params, extensions=tk.call_options(deadline=deadline)).json()
        ages: dict[str, float] = {}
        genders: dict[str, float] = {}
        for group, gender, percent in table.get("rows", ()):
            age = group.removeprefix("age").replace("65-", "65+")  # age13-17 ... age65-
            ages[age] = ages.get(age, 0.0) + percent
            gender = "other" if gender == "user_specified" else gender
            genders[gender] = genders.get(gender, 0.0) + percent

        def split(dimension: ent.AudienceDimension, shares: dict[str, float]) -> ent.AudienceBreakdown:
            pairs = [(key, min(100.0, value)) for key, value in shares.items()]
            return ent.AudienceBreakdown(
                dimension=dimension,
                shares=ent.canonical_shares(dimension, pairs, percent=True),
                source=ent.MetricSource.PLATFORM,
                as_of=now,
                kind=ent.AudienceKind.VIEWERS,  # viewerPercentage: the share of the channel's viewers
                truncated=sum(shares.values()) < 99.5,  # YouTube rounds; less than that is a part left out
            )

        breakdowns = (split(ent.AudienceDimension.AGE, ages), split(ent.AudienceDimension.GENDER, genders))
        return ent.AudienceProfile(platform=self.name, account_id=account.account_id, breakdowns=breakdowns)
