"""The Display API under a creator's grant: their profile and counts, their videos, read in TikTok's own figures.

A creator who granted Login Kit access (see ``_authorization``) lets the workspace read their organic data from
``open.tiktokapis.com/v2/``: ``user/info/`` (profile and lifetime counts), ``video/list/`` (their public videos,
newest first, 20 a page) and ``video/query/`` (up to 20 of their videos by id; another's are left out). These
functions are what the plugin's stages call for that: each takes the plugin, the grant's token source and the
call context, and answers normalised values (:class:`DisplayUser`, :class:`DisplayVideo`) or entities
(:func:`creator_metrics`, :func:`post_metrics`), every figure TikTok did not send ``None``, never 0.

Each call names its endpoint for the Display API's budget (600 a minute per endpoint, a sliding window), and asks
only for the fields the grant's scopes allow: a field outside them makes TikTok refuse the whole call.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from creatorkit import AuthExpired, CallContext, InvalidRequest
from creatorkit import entities as ent
from creatorkit import toolkit as tk

from . import _api as api

if TYPE_CHECKING:
    from ._base import TikTokBase

__all__ = [
    "MOST_VIDEOS",
    "USER_FIELDS",
    "VIDEO_FIELDS",
    "DisplayUser",
    "DisplayVideo",
    "VideoPage",
    "creator_metrics",
    "grant_tokens",
    "post_metrics",
    "query_videos",
    "read_user",
    "read_video",
    "user_info",
    "video_pages",
    "videos",
]

#: The user info fields each scope allows (developers.tiktok.com, "Get user info").
USER_FIELDS: Mapping[str, tuple[str, ...]] = {
    "user.info.basic": ("open_id", "union_id", "avatar_url", "display_name"),
    "user.info.profile": ("bio_description", "profile_deep_link", "is_verified", "username"),
    "user.info.stats": ("follower_count", "following_count", "likes_count", "video_count"),
}
#: The video fields read (``video.list`` allows them all).
VIDEO_FIELDS = (
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "title",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
)
#: The most videos one ``video/list/`` page or ``video/query/`` call holds.
MOST_VIDEOS = 20


@attrs.frozen(kw_only=True)
class DisplayUser:
    """A creator's profile and lifetime counts as ``user/info/`` gave them; None where TikTok sent nothing."""

    open_id: str
    union_id: str | None = None
    username: str | None = None
    display_name: str | None = None
    avatar_url: str | None = None
    bio: str | None = None
    profile_deep_link: str | None = None
    is_verified: bool | None = None
    followers: int | None = None
    following: int | None = None
    likes: int | None = None
    videos: int | None = None


@attrs.frozen(kw_only=True)
class DisplayVideo:
    """One of the creator's videos as the Display API gave it; None where TikTok sent nothing."""

    id: str
    created_at: datetime | None = None
    title: str | None = None
    description: str | None = None
    duration_seconds: int | None = None
    share_url: str | None = None
    embed_link: str | None = None
    cover_image_url: str | None = None
    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None


@attrs.frozen(kw_only=True)
class VideoPage:
    """A page of ``video/list/``: the videos, and the cursor of the next (older) page if there is one."""

    videos: tuple[DisplayVideo, ...]
    next_cursor: int | None


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def read_user(raw: Mapping[str, Any]) -> DisplayUser:
    """A ``data.user`` object of ``user/info/`` as a :class:`DisplayUser`."""
    verified = raw.get("is_verified")
    return DisplayUser(
        open_id=str(raw.get("open_id") or ""),
        union_id=_text(raw.get("union_id")),
        username=_text(raw.get("username")),
        display_name=_text(raw.get("display_name")),
        avatar_url=_text(raw.get("avatar_url")),
        bio=_text(raw.get("bio_description")),
        profile_deep_link=_text(raw.get("profile_deep_link")),
        is_verified=verified if isinstance(verified, bool) else None,
        followers=api.number(raw.get("follower_count")),
        following=api.number(raw.get("following_count")),
        likes=api.number(raw.get("likes_count")),
        videos=api.number(raw.get("video_count")),
    )


def read_video(raw: Mapping[str, Any]) -> DisplayVideo:
    """One video object of ``video/list/`` or ``video/query/`` as a :class:`DisplayVideo`."""
    return DisplayVideo(
        id=str(raw.get("id") or ""),
        created_at=api.instant(raw.get("create_time")),
        title=_text(raw.get("title")),
        description=_text(raw.get("video_description")),
        duration_seconds=api.number(raw.get("duration")),
        share_url=_text(raw.get("share_url")),
        embed_link=_text(raw.get("embed_link")),
        cover_image_url=_text(raw.get("cover_image_url")),
        views=api.number(raw.get("view_count")),
        likes=api.number(raw.get("like_count")),
        comments=api.number(raw.get("comment_count")),
        shares=api.number(raw.get("share_count")),
    )


# -- the grant's token ----------------------------------------------------------------------------------------


def grant_tokens(plugin: TikTokBase, context: CallContext | None) -> tk.TokenSource:
    """The creator's grant token from ``context``; never the brand's, which the Display API does not take."""
    if context is not None and context.grant is not None and context.tokens is not None:
        return context.tokens
    raise AuthExpired(
        plugin.name,
        "the Display API reads a creator's own data only under their Login Kit grant",
        action="ask the creator to grant access: `creatorkit grant tiktok`",
    )


def _allowed(scopes: Collection[str] | None) -> list[str]:
    """The user fields ``scopes`` allow (all of them when the grant's scopes are unknown)."""
    granted = USER_FIELDS if scopes is None else {s: f for s, f in USER_FIELDS.items() if s in scopes}
    return [field for fields in granted.values() for field in fields]


def _call(
    plugin: TikTokBase,
    tokens: tk.TokenSource,
    method: str,
    path: str,
    context: CallContext | None,
    *,
    fields: Sequence[str],
    body: Mapping[str, Any] | None = None,
) -> Any:
    """One Display API call; the ``data`` of its answer."""
    client = plugin._display_client(tokens)
    deadline = context.deadline if context is not None else None
    # The budget is per endpoint: name it, so user info and video list do not share one.
    options = tk.call_options(deadline=deadline, idempotent=True, endpoint=path.strip("/").replace("/", "_"))
    with client:
        answer = client.request(
            method, path, params={"fields": ",".join(fields)}, json=dict(body) if body else None, extensions=options
        )
    return api.DISPLAY.data_of(tk.body_of(answer)) or {}


# -- the calls ------------------------------------------------------------------------------------------------


def user_info(
    plugin: TikTokBase,
    tokens: tk.TokenSource,
    *,
    scopes: Collection[str] | None = None,
    context: CallContext | None = None,
) -> DisplayUser:
    """The creator's profile and counts; ``scopes`` (default: the context's grant's) choose the fields asked for."""
    if scopes is None and context is not None and context.grant is not None and context.grant.scopes:
        scopes = context.grant.scopes
    fields = _allowed(scopes)
    if not fields:
        raise InvalidRequest(plugin.name, "the grant allows no user info field (user.info.basic)", field="scopes")
    data = _call(plugin, tokens, "GET", "user/info/", context, fields=fields)
    return read_user(data.get("user") or {})


def videos(
    plugin: TikTokBase,
    tokens: tk.TokenSource,
    *,
    cursor: int | None = None,
    max_count: int = MOST_VIDEOS,
    context: CallContext | None = None,
) -> VideoPage:
    """One page of the creator's videos, newest first; ``cursor`` a page's ``next_cursor`` (older videos)."""
    if not 1 <= max_count <= MOST_VIDEOS:
        raise InvalidRequest(plugin.name, f"video/list/ answers 1 to {MOST_VIDEOS} videos a page", field="max_count")
    body: dict[str, Any] = {"max_count": max_count}
    if cursor:
        body["cursor"] = cursor
    data = _call(plugin, tokens, "POST", "video/list/", context, fields=VIDEO_FIELDS, body=body)
    found = tuple(read_video(raw) for raw in data.get("videos") or ())
    following = api.number(data.get("cursor"))
    # TikTok may answer fewer than max_count with more to come: has_more, not the page's size, says whether.
    more = bool(data.get("has_more")) and following is not None and following != cursor
    return VideoPage(videos=found, next_cursor=following if more else None)


def video_pages(
    plugin: TikTokBase, tokens: tk.TokenSource, *, most: int, context: CallContext | None = None
) -> Iterator[DisplayVideo]:
    """The creator's videos, newest first, at most ``most`` of them, page after page."""
    cursor: int | None = None
    given = 0
    while given < most:
        page = videos(plugin, tokens, cursor=cursor, max_count=min(MOST_VIDEOS, most - given), context=context)
        for video in page.videos[: most - given]:
            given += 1
            yield video
        if page.next_cursor is None or not page.videos:
            return
        cursor = page.next_cursor


def query_videos(
    plugin: TikTokBase, tokens: tk.TokenSource, video_ids: Sequence[str], *, context: CallContext | None = None
) -> dict[str, DisplayVideo]:
    """The creator's videos among ``video_ids``, by id, 20 a call; an id TikTok did not answer for (not theirs,
    deleted, private) is absent."""
    found: dict[str, DisplayVideo] = {}
    ids = list(dict.fromkeys(video_ids))
    for start in range(0, len(ids), MOST_VIDEOS):
        body = {"filters": {"video_ids": ids[start : start + MOST_VIDEOS]}}
        data = _call(plugin, tokens, "POST", "video/query/", context, fields=VIDEO_FIELDS, body=body)
        for raw in data.get("videos") or ():
            video = read_video(raw)
            found[video.id] = video
    return found


# -- as entities ----------------------------------------------------------------------------------------------


def _count(value: int | None, as_of: datetime) -> ent.Count | None:
    if value is None:
        return None
    return ent.Count(value=value, window=ent.Window.lifetime(), source=ent.MetricSource.PLATFORM, as_of=as_of)


def creator_metrics(plugin: TikTokBase, user: DisplayUser, *, as_of: datetime | None = None) -> ent.CreatorMetrics:
    """The lifetime counts ``user/info/`` gives, read from the platform for the creator's own account."""
    at = as_of or plugin._now()
    return ent.CreatorMetrics(
        platform=plugin.name,
        account_id=user.open_id,
        as_of=at,
        followers=_count(user.followers, at),
        total_likes=_count(user.likes, at),
        post_count=_count(user.videos, at),
    )


def post_metrics(
    plugin: TikTokBase, video: DisplayVideo, *, account_id: str | None = None, as_of: datetime | None = None
) -> ent.PostMetrics:
    """A video's figures since publication. The Display API gives views, likes, comments and shares: no reach,
    saves or rates, which stay None."""
    at = as_of or plugin._now()
    return ent.PostMetrics(
        platform=plugin.name,
        platform_post_id=video.id,
        as_of=at,
        account_id=account_id,
        views=_count(video.views, at),
        likes=_count(video.likes, at),
        comments=_count(video.comments, at),
        shares=_count(video.shares, at),
    )
