"""Post metrics in batches: TikTok One's campaign report, read campaign by campaign, many videos a call.

``GET tto/tcm/report/`` answers every video linked to one campaign, a page at a time, with its counts, rates
(engagement per view, completion, the two- and six-second view rates, all over video views), the organic and
paid split and, when a date range is given, a daily series. So posts are grouped by the campaign they were
placed in (``PublishedPost.platform_order_id`` is ``"<campaign_id>:<handle>"``, as the campaigns part writes
it) and each campaign is read once, however many of its videos are asked about. A range longer than 60 days is
read in windows of at most 60 (the limit TikTok documents for the Creator Marketplace report; TikTok One's is
not documented) and the windows added up: counts summed, rates weighted by each window's views, reach (unique
viewers, which do not add up) left out.

A post placed outside TikTok One has no campaign: it is read from the creator's public video list by handle (the
post's account, or the handle in its TikTok URL), ten ids a call, with lifetime counts only (that list has no
rates but what the counts give, and no daily series). A post with neither a campaign nor a creator is looked for
among the brand's campaigns (``GET tto/tcm/campaign/`` lists each one's linked videos).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from creatorkit import InvalidRequest, NotFound
from creatorkit import entities as ent
from creatorkit import toolkit as tk
from creatorkit.errors import PlatformPermissionDenied

from . import _api as api
from ._insights import Normaliser

__all__ = [
    "REPORT_PAGE_SIZE",
    "VIDEO_IDS_PER_CALL",
    "WINDOW_DAYS",
    "Fetch",
    "campaign_of",
    "handle_of",
    "read_batch",
    "windows",
]

#: ``get(path, **params)``: one API for Business call as the brand, answering its ``data``.
Fetch = Callable[..., Any]
WINDOW_DAYS = 60
#: Videos per report page: TikTok One documents no limit (the Creator Marketplace report's default is 10).
REPORT_PAGE_SIZE = 50
#: Campaigns per page when looking for a video's campaign (TikTok One documents no limit).
CAMPAIGN_PAGE_SIZE = 50
_VIDEO_URL = re.compile(r"^https?://(?:www\.|m\.)?tiktok\.com/@([A-Za-z0-9_.]+)/(?:video|photo)/")
#: The public video list takes at most ten ``video_ids`` (its ``limit`` is 1–10).
VIDEO_IDS_PER_CALL = 10
#: What one campaign's failure costs only that campaign's posts; anything else (a revoked token, TikTok being
#: down) fails the batch.
_PER_CAMPAIGN = (NotFound, InvalidRequest, PlatformPermissionDenied)
#: Counts that add up across windows, and rates over views that are averaged weighted by views.
_ADDITIVE = (
    *(
        f"{base}{split}"
        for base in ("video_views", "likes", "shares", "comments", "favorites")
        for split in ("", "_organic", "_paid")
    ),
    *("total_play_time", "engagement_count", "ad_impressions", "ad_clicks", "ad_conversions"),
)
_PER_VIEW = (
    "video_completion_rate",
    "two_seconds_views",
    "six_seconds_views",
    "average_view_time",
)
_EXTENSIONS = {
    "two_seconds_views": "two_second_view_rate",
    "average_view_time": "average_view_time_s",
    "total_play_time": "total_play_time_s",
    "engagement_rate_benchmark_p50": "engagement_rate_benchmark_p50",
    "video_completion_rate_benchmark_p50": "completion_rate_benchmark_p50",
    "ad_impressions": "ad_impressions",
    "ad_clicks": "ad_clicks",
    "ad_conversions": "ad_conversions",
}


def campaign_of(post: ent.PublishedPost) -> str | None:
    """The TikTok One campaign ``post`` was placed in: the part of its order id before the colon."""
    order = (post.platform_order_id or "").strip()
    campaign = order.partition(":")[0].strip()
    return campaign or None


def handle_of(url: str) -> str | None:
    """The creator's handle in a TikTok video URL (``https://www.tiktok.com/@handle/video/123``), if it has one."""
    found = _VIDEO_URL.match(url.strip())
    return found.group(1) if found else None


def _linked_videos(get: Fetch, account_id: str) -> dict[str, str]:
    """Every video linked to one of the brand's campaigns, with its campaign (``GET tto/tcm/campaign/``)."""

    def page(number: int | None) -> tk.Page[Mapping[str, Any]]:
        current = number or 1
        data = get("tto/tcm/campaign/", tto_tcm_account_id=account_id, page=current, page_size=CAMPAIGN_PAGE_SIZE)
        campaigns = [campaign for campaign in data.get("campaigns") or () if isinstance(campaign, Mapping)]
        info = data.get("page_info") or {}
        return tk.Page.numbered(campaigns, page=current, total_pages=api.number(info.get("total_page")) or current)

    linked: dict[str, str] = {}
    try:
        for campaign in tk.paginate(page, max_pages=100, platform="tiktok"):
            for video_id in campaign.get("video_ids") or ():
                linked.setdefault(str(video_id), str(campaign.get("campaign_id")))
    except _PER_CAMPAIGN:
        return linked  # no campaigns to read: the posts are then not found
    return linked


def windows(period: ent.Period, today: date) -> list[tuple[date, date]]:
    """``period``'s days up to ``today``, as inclusive ``(start, end)`` ranges of at most :data:`WINDOW_DAYS`."""
    days = [day for day in period.days() if day <= today]
    return [(days[i], days[min(i + WINDOW_DAYS, len(days)) - 1]) for i in range(0, len(days), WINDOW_DAYS)]


def read_batch(
    platform: str, get: Fetch, account_id: str, request: ent.PostMetricsRequest, as_of: datetime
) -> ent.PostMetricsBatch:
    """One result per post of ``request``: from its campaign's report, else from its creator's video list."""
    normaliser = Normaliser(platform, as_of)
    found: dict[str, ent.PostMetrics | ent.ItemError] = {}
    by_campaign: dict[str, list[ent.PublishedPost]] = {}
    by_handle: dict[str, list[ent.PublishedPost]] = {}
    unplaced: list[ent.PublishedPost] = []
    for post in request.posts:
        campaign = campaign_of(post)
        handle = post.account.handle if post.account is not None else handle_of(post.url)
        if campaign is not None:
            by_campaign.setdefault(campaign, []).append(post)
        elif handle:
            by_handle.setdefault(handle, []).append(post)
        else:
            unplaced.append(post)
    if unplaced:  # neither a campaign nor a creator: look for the video among the brand's campaigns
        linked = _linked_videos(get, account_id)
        for post in unplaced:
            if post.platform_post_id in linked:
                by_campaign.setdefault(linked[post.platform_post_id], []).append(post)
            else:
                found[post.platform_post_id] = ent.ItemError(
                    kind=ent.ErrorKind.NOT_FOUND,
                    message="the post names no campaign and no creator, and no campaign of the brand links it",
                )
    for campaign, posts in by_campaign.items():
        found.update(_campaign(normaliser, get, account_id, campaign, posts, request))
    for handle, posts in by_handle.items():
        found.update(_public(normaliser, get, account_id, handle, posts))
    results = []
    for post in request.posts:
        answer = found[post.platform_post_id]
        if isinstance(answer, ent.ItemError):
            results.append(ent.PostMetricsResult(platform_post_id=post.platform_post_id, error=answer))
        else:
            results.append(ent.PostMetricsResult(platform_post_id=post.platform_post_id, metrics=answer))
    return ent.PostMetricsBatch(platform=platform, results=tuple(results))


def _every(posts: Iterable[ent.PublishedPost], error: ent.ItemError) -> dict[str, ent.PostMetrics | ent.ItemError]:
    return {post.platform_post_id: error for post in posts}


def _campaign(
    normaliser: Normaliser,
    get: Fetch,
    account_id: str,
    campaign: str,
    posts: Sequence[ent.PublishedPost],
    request: ent.PostMetricsRequest,
) -> dict[str, ent.PostMetrics | ent.ItemError]:
    """The posts of one campaign, from its report over the request's period (or since the first publication,
    when a daily series is asked for without one: TikTok gives daily figures only for a date range)."""
    today = normaliser.as_of.date()
    period = request.period
    span = period
    if span is None and request.daily:
        first = min(post.published_at for post in posts)
        span = ent.Period(start=first, end=datetime.combine(today + timedelta(days=1), time(), first.tzinfo))
    ranges: list[tuple[date, date] | None] = list(windows(span, today)) if span is not None else [None]
    if not ranges:
        error = ent.ItemError(kind=ent.ErrorKind.INVALID_REQUEST, message="the period has not begun")
        return _every(posts, error)
    wanted = {post.platform_post_id for post in posts}
    rows: dict[str, list[Mapping[str, Any]]] = {}
    try:
        for window in ranges:
            for video_id, row in _report(get, account_id, campaign, window):
                if video_id in wanted:
                    rows.setdefault(video_id, []).append(row)
    except _PER_CAMPAIGN as exc:
        return _every(posts, ent.ItemError.from_exception(exc))
    answers: dict[str, ent.PostMetrics | ent.ItemError] = {}
    for post in posts:
        got = rows.get(post.platform_post_id)
        if not got:
            message = f"TikTok's report for campaign {campaign} has no video {post.platform_post_id}"
            answers[post.platform_post_id] = ent.ItemError(kind=ent.ErrorKind.NOT_FOUND, message=message)
            continue
        row = got[0] if len(got) == 1 else _merged(got)
        answers[post.platform_post_id] = report_metrics(normaliser, row, post, period)
    return answers


def _report(
    get: Fetch, account_id: str, campaign: str, window: tuple[date, date] | None
) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """Every video row of one campaign's report over ``window``, page after page."""
    dates = {} if window is None else {"start_date": window[0].isoformat(), "end_date": window[1].isoformat()}

    def page(number: int | None) -> tk.Page[Mapping[str, Any]]:
        current = number or 1
        data = get(
            "tto/tcm/report/",
            tto_tcm_account_id=account_id,
            campaign_id=campaign,
            page=current,
            page_size=REPORT_PAGE_SIZE,
            **dates,
        )
        videos = [video for video in data.get("videos") or () if isinstance(video, Mapping)]
        info = data.get("page_info") or {}
        return tk.Page.numbered(videos, page=current, total_pages=api.number(info.get("total_page")) or current)

    for row in tk.paginate(page, max_pages=1_000, platform="tiktok"):
        video_id = row.get("video_id") or (row.get("video_info") or {}).get("video_id")
        if video_id:
            yield str(video_id), row


def _merged(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One video's rows from several windows as one: see the module's docstring for how each figure adds up."""
    merged: dict[str, Any] = {key: rows[0][key] for key in ("video_id", "video_info", "creator_info") if key in rows[0]}
    views = [api.number(row.get("video_views")) for row in rows]
    for field in _ADDITIVE:
        values = [api.number(row.get(field)) for row in rows]
        if all(value is not None for value in values):
            merged[field] = sum(value for value in values if value is not None)
    total_views = merged.get("video_views")
    if total_views:
        for field in _PER_VIEW:
            rates = [api.fraction(row.get(field)) for row in rows]
            if all(rate is not None for rate in rates) and all(v is not None for v in views):
                weighted = sum((rate or 0.0) * (view or 0) for rate, view in zip(rates, views, strict=True))
                merged[field] = weighted / total_views
        if merged.get("engagement_count") is not None:
            merged["engagement_rate"] = merged["engagement_count"] / total_views
    merged["daily_stats"] = [day for row in rows for day in row.get("daily_stats") or ()]
    return merged


def report_metrics(
    normaliser: Normaliser, row: Mapping[str, Any], post: ent.PublishedPost, period: ent.Period | None
) -> ent.PostMetrics:
    """One video of TikTok's report as :class:`PostMetrics` (over ``period``, or since publication)."""
    window = ent.Window.lifetime() if period is None else ent.Window.days(len(period.days()))
    views = api.number(row.get("video_views"))
    count = normaliser.count
    extensions = {}
    for field, name in _EXTENSIONS.items():
        value = api.fraction(row.get(field))
        if value is not None:
            extensions[f"{normaliser.platform}.{name}"] = value
    return ent.PostMetrics(
        platform=normaliser.platform,
        platform_post_id=post.platform_post_id,
        as_of=normaliser.as_of,
        views=count(row.get("video_views"), window),
        reach=count(row.get("reach"), window),
        likes=count(row.get("likes"), window),
        comments=count(row.get("comments"), window),
        shares=count(row.get("shares"), window),
        saves=count(row.get("favorites"), window),
        engagement_rate=normaliser.rate(row.get("engagement_rate"), window, over=views),
        completion_rate=normaliser.rate(row.get("video_completion_rate"), window, over=views),
        six_second_view_rate=normaliser.rate(row.get("six_seconds_views"), window, over=views),
        account_id=post.account.account_id if post.account is not None else None,
        period=period,
        organic=_split(normaliser, row, "_organic", window),
        paid=_split(normaliser, row, "_paid", window),
        daily=_daily(row.get("daily_stats"), period, normaliser.as_of.date()),
        extensions=extensions,
    )


def _split(
    normaliser: Normaliser, row: Mapping[str, Any], suffix: str, window: ent.Window
) -> ent.PerformanceSlice | None:
    """The organic or paid part of a video's figures; None when TikTok gives neither part's figures."""
    fields = ("video_views", "reach", "likes", "comments", "shares", "favorites")
    counts = {field: normaliser.count(row.get(field + suffix), window) for field in fields}
    views = api.number(row.get("video_views" + suffix))
    rate = normaliser.rate(row.get("engagement_rate" + suffix), window, over=views)
    if rate is None and all(value is None for value in counts.values()):
        return None
    return ent.PerformanceSlice(
        views=counts["video_views"],
        reach=counts["reach"],
        likes=counts["likes"],
        comments=counts["comments"],
        shares=counts["shares"],
        saves=counts["favorites"],
        engagement_rate=rate,
    )


def _daily(rows: Any, period: ent.Period | None, today: date) -> tuple[ent.DailyFigures, ...]:
    """TikTok's ``daily_stats`` in order, one per day, inside ``period`` (a day's views are its ``views``)."""
    if not isinstance(rows, list):
        return ()
    allowed = set(period.days()) if period is not None else None
    by_day: dict[date, ent.DailyFigures] = {}
    for row in rows:
        try:
            day = date.fromisoformat(str(row.get("date"))[:10])
        except ValueError:
            continue
        if day > today or (allowed is not None and day not in allowed):
            continue

        def figure(field: str, row: Mapping[str, Any] = row) -> int | None:
            value = api.number(row.get(field))
            return value if value is not None and value >= 0 else None

        by_day[day] = ent.DailyFigures(
            day=day,
            views=figure("views"),
            reach=figure("reach"),
            likes=figure("likes"),
            comments=figure("comments"),
            shares=figure("shares"),
            saves=figure("favorites"),
        )
    return tuple(by_day[day] for day in sorted(by_day))


def _public(
    normaliser: Normaliser, get: Fetch, account_id: str, handle: str, posts: Sequence[ent.PublishedPost]
) -> dict[str, ent.PostMetrics | ent.ItemError]:
    """Posts with no campaign, from their creator's public video list: ten ids a call."""
    answers: dict[str, ent.PostMetrics | ent.ItemError] = {}
    for start in range(0, len(posts), VIDEO_IDS_PER_CALL):
        chunk = posts[start : start + VIDEO_IDS_PER_CALL]
        ids = [post.platform_post_id for post in chunk]
        try:
            data = get(
                "tto/tcm/creator/public/video/list/",
                tto_tcm_account_id=account_id,
                handle_name=handle,
                video_ids=ids,
                limit=len(ids),
            )
        except _PER_CAMPAIGN as exc:
            answers.update(_every(chunk, ent.ItemError.from_exception(exc)))
            continue
        videos = {str(video.get("video_id")): video for video in data.get("posts") or () if isinstance(video, Mapping)}
        for post in chunk:
            video = videos.get(post.platform_post_id)
            if video is None:
                message = f"TikTok lists no video {post.platform_post_id} for @{handle}"
                answers[post.platform_post_id] = ent.ItemError(kind=ent.ErrorKind.NOT_FOUND, message=message)
            else:
                answers[post.platform_post_id] = video_metrics(normaliser, video, post)
    return answers


def video_metrics(normaliser: Normaliser, video: Mapping[str, Any], post: ent.PublishedPost) -> ent.PostMetrics:
    """A video of a public or authorised video list: its lifetime counts, and engagement per view from them."""
    count = normaliser.count
    views, likes = api.number(video.get("video_views")), api.number(video.get("likes"))
    comments, shares = api.number(video.get("comments")), api.number(video.get("shares"))
    engagement = None
    if views and likes is not None and comments is not None and shares is not None:
        engagement = normaliser.rate((likes + comments + shares) / views, ent.Window.lifetime(), over=views)
    return ent.PostMetrics(
        platform=normaliser.platform,
        platform_post_id=post.platform_post_id,
        as_of=normaliser.as_of,
        views=count(views),
        likes=count(likes),
        comments=count(comments),
        shares=count(shares),
        saves=count(video.get("favorites")),
        engagement_rate=engagement,
        account_id=post.account.account_id if post.account is not None else None,
    )
