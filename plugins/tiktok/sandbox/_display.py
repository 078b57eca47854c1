"""The Display API under a creator's grant: v2/user/info, v2/video/list and v2/video/query.

Each answers for the creator whose Login Kit token the request carries (its subject names the population
account), with only the ``fields`` asked for, in the Display envelope (``{"data", "error": {"code": "ok"}}``).
A field whose scope the creator did not grant is refused as TikTok does: 400 ``scope_permission_missed``; the video
endpoints without ``video.list`` 401 ``scope_not_authorized``. An expired token is the base's 401
``access_token_invalid`` and a throttle its 429 ``rate_limit_exceeded``. Figures are the population's as of its
``as_of``: what TikTok shows at that moment, not the post's final totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import TYPE_CHECKING, Any

import httpx

from creatorkit import toolkit as tk

from ._oauth import account_of, open_id_of, server_of

if TYPE_CHECKING:
    from . import TikTokSandbox

__all__ = ["USER_FIELD_SCOPES", "VIDEO_FIELDS", "install"]

#: The scope each user info field needs (developers.tiktok.com, "Get user info").
USER_FIELD_SCOPES: Mapping[str, str] = {
    **dict.fromkeys(("open_id", "union_id", "avatar_url", "display_name"), "user.info.basic"),
    **dict.fromkeys(("bio_description", "profile_deep_link", "is_verified", "username"), "user.info.profile"),
    **dict.fromkeys(("follower_count", "following_count", "likes_count", "video_count"), "user.info.stats"),
}
VIDEO_FIELDS = (
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
)
#: The most videos one list or query call answers with (``max_count``, ``video_ids``).
MOST_VIDEOS = 20


def _error(sandbox: TikTokSandbox, status: int, code: str, message: str) -> httpx.Response:
    error = {"code": code, "message": message, "log_id": sandbox.request_id()}
    return httpx.Response(status, json={"data": {}, "error": error})


def milliseconds(post: tk.Post) -> int:
    return int(post.published_at.timestamp() * 1000)


def _fields(request: tk.SandboxRequest, known: Iterable[str]) -> list[str] | None:
    asked = [name for name in request.params.get("fields", "").split(",") if name]
    return asked if asked and set(asked) <= set(known) else None


class _Display:
    """The Display API's routes over one sandbox's population."""

    def __init__(self, sandbox: TikTokSandbox) -> None:
        self.sandbox, self.population = sandbox, sandbox.population
        self.total_likes: dict[str, int] = {}  # an account's likes over every post: summed once, they do not change

    def granted(self, subject: str | None) -> tuple[str, ...] | None:
        return server_of(self.sandbox).scopes.get(subject or "")

    def owner(self, request: tk.SandboxRequest) -> tk.Account:
        account_id = account_of(request.subject)
        account = self.population.account(account_id) if account_id else None
        if account is None:
            raise tk.SandboxError(tk.Fault.INVALID_TOKEN, "The access token is not a creator's grant.")
        return account

    def post_at(self, account: tk.Account, number: int) -> tk.Post:
        post = self.population.post(f"{account.account_id}{number:06d}")
        assert post is not None
        return post

    def first_before(self, account: tk.Account, before: int | None) -> int:
        """The number of the newest post created before ``before`` (ms): posts are numbered newest first, so a
        binary search finds it without generating the thousand posts ahead of it."""
        low, high = 0, account.post_count
        while before is not None and low < high:
            middle = (low + high) // 2
            if milliseconds(self.post_at(account, middle)) < before:
                high = middle
            else:
                low = middle + 1
        return low

    def likes(self, account: tk.Account) -> int:
        if account.account_id not in self.total_likes:
            self.total_likes[account.account_id] = sum(
                p.metrics_at(self.population.as_of).likes for p in self.population.posts(account)
            )
        return self.total_likes[account.account_id]

    def video(self, post: tk.Post, handle: str, fields: list[str]) -> dict[str, Any]:
        figures = post.metrics_at(self.population.as_of)
        link = f"https://www.tiktok.com/@{handle}/video/{post.post_id}"
        every = {
            "id": post.post_id,
            "create_time": int(post.published_at.astimezone(UTC).timestamp()),
            "cover_image_url": f"https://p16-sign.tiktokcdn.example/obj/{post.post_id}.jpeg?x-expires=21600",
            "share_url": link,
            "video_description": post.caption[:150],
            "duration": 8 + int(post.post_id) % 52,
            "height": 1920,
            "width": 1080,
            "title": post.caption[:150],
            "embed_link": f"https://www.tiktok.com/player/v1/{post.post_id}",
            "like_count": figures.likes,
            "comment_count": figures.comments,
            "share_count": figures.shares,
            "view_count": figures.views,
        }
        return {name: every[name] for name in fields}

    def video_refusal(self, request: tk.SandboxRequest) -> httpx.Response | list[str]:
        scopes = self.granted(request.subject)
        if scopes is not None and "video.list" not in scopes:
            return _error(self.sandbox, 401, "scope_not_authorized", "The user did not authorize the scope video.list.")
        fields = _fields(request, VIDEO_FIELDS)
        if fields is None:
            return _error(self.sandbox, 400, "invalid_params", "fields: name the video fields to return.")
        return fields

    def user_info(self, request: tk.SandboxRequest) -> Any:
        account = self.owner(request)
        fields = _fields(request, USER_FIELD_SCOPES)
        if fields is None:
            return _error(self.sandbox, 400, "invalid_params", "fields: name the user fields to return.")
        scopes = self.granted(request.subject)
        missing = sorted({USER_FIELD_SCOPES[f] for f in fields} - set(scopes)) if scopes is not None else []
        if missing:
            return _error(self.sandbox, 400, "scope_permission_missed", f"The fields need the scopes {missing}.")
        person = self.population.person(int(account.account_id) % 10**12)  # an account id ends in its person's index
        every = {
            "open_id": open_id_of(account.account_id),
            "union_id": f"sbx-union-{account.person_id}",
            "avatar_url": f"https://p16-sign.tiktokcdn.example/avt/{account.account_id}.jpeg",
            "display_name": person.name,
            "bio_description": f"{person.name}: {', '.join(person.categories)}",
            "profile_deep_link": f"https://vm.tiktok.example/{account.handle}/",
            "is_verified": account.followers >= 1_000_000,
            "username": account.handle,
            "follower_count": account.followers,
            "following_count": account.following,
            "likes_count": self.likes(account),
            "video_count": account.post_count,
        }
        return {"user": {name: every[name] for name in fields}}

    def video_list(self, request: tk.SandboxRequest) -> Any:
        account, fields = self.owner(request), self.video_refusal(request)
        if isinstance(fields, httpx.Response):
            return fields
        body = request.json() or {}
        count, cursor = body.get("max_count", 10), body.get("cursor")
        if not isinstance(count, int) or not 1 <= count <= MOST_VIDEOS:
            return _error(self.sandbox, 400, "invalid_params", f"max_count must be 1 to {MOST_VIDEOS}.")
        first = self.first_before(account, cursor if isinstance(cursor, int) and cursor > 0 else None)
        page = [self.post_at(account, number) for number in range(first, min(first + count, account.post_count))]
        return {
            "videos": [self.video(post, account.handle, fields) for post in page],
            # TikTok's cursor: the create time (ms) of the last video answered; the next page is older than it.
            "cursor": milliseconds(page[-1]) if page else (cursor or 0),
            "has_more": first + count < account.post_count,
        }

    def video_query(self, request: tk.SandboxRequest) -> Any:
        account, fields = self.owner(request), self.video_refusal(request)
        if isinstance(fields, httpx.Response):
            return fields
        ids = ((request.json() or {}).get("filters") or {}).get("video_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= MOST_VIDEOS:
            return _error(self.sandbox, 400, "invalid_params", f"filters.video_ids: 1 to {MOST_VIDEOS} ids.")
        # TikTok answers only the videos the token's owner posted: another's, or an unknown id, is left out.
        found = [self.population.post(str(video_id)) for video_id in ids]
        mine = [post for post in found if post is not None and post.account_id == account.account_id]
        return {"videos": [self.video(post, account.handle, fields) for post in mine]}


def install(sandbox: TikTokSandbox) -> None:
    """Register this part's routes on ``sandbox``."""
    routes = _Display(sandbox)
    sandbox.route("GET", "/v2/user/info/", routes.user_info)
    sandbox.route("POST", "/v2/video/list/", routes.video_list)
    sandbox.route("POST", "/v2/video/query/", routes.video_query)
