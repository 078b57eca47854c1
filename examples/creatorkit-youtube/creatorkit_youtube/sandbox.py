"""YouTube's APIs in memory: the Data API v3 and the Analytics API v2, in their own JSON shapes, over the toolkit's
shared synthetic population.

The shapes follow Google's reference pages (checked December 2026): ``search.list`` answers ``items`` of
``{"id": {"kind": "youtube#channel", "channelId"}, "snippet"}`` with a ``nextPageToken``; ``channels.list`` and
``videos.list`` answer ``items`` whose ``statistics`` counts are **strings**, and leave out an id they do not know
(an unknown handle is an answer with no ``items``, not a 404); a channel that hides its subscribers says
``hiddenSubscriberCount: true`` and sends no ``subscriberCount``; a video whose likes are hidden has no
``likeCount``. Analytics ``reports`` answers a ``columnHeaders`` + ``rows`` table, ``viewerPercentage`` in 0–100.
Errors are Google's envelope, ``{"error": {"code", "message", "errors": [{"reason", "domain", "message"}]}}``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from creatorkit.toolkit import (
    PROFILES,
    Account,
    Fault,
    PlatformProfile,
    Population,
    SandboxError,
    SandboxRequest,
    SandboxTokens,
    SandboxTransport,
)

__all__ = ["YOUTUBE_PROFILE", "YouTubeSandbox"]

#: How YouTube accounts are spread in the synthetic population (inferred: engagement per view, long videos).
YOUTUBE_PROFILE = PlatformProfile(
    name="youtube",
    number=4,
    denominator="views",
    engagement={
        "nano": (0.04, 0.08),
        "micro": (0.03, 0.06),
        "mid": (0.02, 0.04),
        "macro": (0.015, 0.03),
        "mega": (0.01, 0.02),
    },
    views_per_follower=0.2,
    ages=(0.06, 0.26, 0.30, 0.18, 0.11, 0.06, 0.03),
    deliverables=(("long_video", 1.0), ("short_video", 0.4)),
    handle="{first}{last}-{id}",
)

#: Google's reason, HTTP status and message for each fault the sandbox answers.
_REPLIES: dict[Fault, tuple[int, str, str, str]] = {
    Fault.SERVER_ERROR: (503, "backendError", "global", "Backend Error"),
    Fault.EXPIRED_TOKEN: (401, "authError", "global", "Invalid Credentials"),
    Fault.REVOKED_TOKEN: (401, "authError", "global", "Token has been expired or revoked."),
    Fault.INVALID_TOKEN: (401, "authError", "global", "Invalid Credentials"),
    Fault.THROTTLED: (403, "rateLimitExceeded", "youtube.quota", "The request rate is too high."),
    Fault.NOT_FOUND: (404, "notFound", "global", "Not Found"),
    Fault.INVALID_REQUEST: (400, "badRequest", "global", "Bad Request"),
}

_AGE_GROUPS = ("age13-17", "age18-24", "age25-34", "age35-44", "age45-54", "age55-64", "age65-")


def _draw(seed: str, low: int, high: int) -> int:
    return low + int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big") % (high - low + 1)


class YouTubeSandbox(SandboxTransport):
    """``search``, ``channels`` and ``videos`` of the Data API and ``reports`` of the Analytics API."""

    def __init__(self, *, seed: int = 0, size: int = 300, **options: Any) -> None:
        clock = options.get("clock")
        tokens = SandboxTokens(seed=seed, clock=clock) if clock else SandboxTokens(seed=seed)
        super().__init__(platform="youtube", seed=seed, tokens=tokens, **options)
        self.issuer = tokens  # ``tokens``, never None here
        self.population = Population(seed=seed, size=size, platforms={**PROFILES, "youtube": YOUTUBE_PROFILE})
        self.route("GET", "/youtube/v3/search", self.search)
        self.route("GET", "/youtube/v3/channels", self.channels)
        self.route("GET", "/youtube/v3/videos", self.videos)
        self.route("GET", "/v2/reports", self.reports)

    # -- Google's envelope ---------------------------------------------------------------------------------------

    def reply(
        self,
        fault: Fault,
        request: httpx.Request,
        *,
        wait: float | None = None,
        status: int | None = None,
        message: str | None = None,
    ) -> httpx.Response:
        code, reason, domain, text = _REPLIES[fault]
        code = status or code
        error = {"code": code, "message": message or text, "errors": [{"reason": reason, "domain": domain}]}
        headers = {"retry-after": str(max(1, round(wait)))} if wait is not None else {}
        return httpx.Response(code, json={"error": error}, headers=headers)

    # -- Data API v3 ---------------------------------------------------------------------------------------------

    def _accounts(self) -> list[Account]:
        return list(self.population.on("youtube"))

    def search(self, request: SandboxRequest) -> dict[str, Any]:
        params = request.params
        if params.get("type") != "channel":
            raise SandboxError(Fault.INVALID_REQUEST, "the sandbox searches channels only (type=channel)")
        words = params.get("q", "").lower().split()
        region, language = params.get("regionCode"), params.get("relevanceLanguage")
        found = []
        for account in self._accounts():
            person = self.population.person(int(account.person_id.rsplit("-", 1)[1]))
            text = f"{person.name} {' '.join(person.categories)} {account.handle}".lower()
            if words and not all(word in text for word in words):
                continue
            if (region and person.country != region) or (language and person.language != language):
                continue
            found.append(account)
        size = min(50, int(params.get("maxResults", "5")))
        start = int(params.get("pageToken") or 0)
        page = found[start : start + size]
        answer: dict[str, Any] = {
            "kind": "youtube#searchListResponse",
            "pageInfo": {"totalResults": len(found), "resultsPerPage": size},
            "items": [
                {
                    "kind": "youtube#searchResult",
                    "id": {"kind": "youtube#channel", "channelId": f"UC{a.account_id}"},
                    "snippet": {"channelId": f"UC{a.account_id}", "title": a.handle},
                }
                for a in page
            ],
        }
        if start + size < len(found):
            answer["nextPageToken"] = str(start + size)
        return answer

    def _channel(self, account: Account) -> dict[str, Any]:
        person = self.population.person(int(account.person_id.rsplit("-", 1)[1]))
        hidden = _draw(f"{self.seed}:{account.account_id}:hidden", 0, 9) == 0  # one channel in ten hides them
        statistics: dict[str, Any] = {
            "viewCount": str(account.average_views * account.post_count),
            "hiddenSubscriberCount": hidden,
            "videoCount": str(account.post_count),
        }
        if not hidden:
            statistics["subscriberCount"] = str(account.followers)
        return {
            "kind": "youtube#channel",
            "id": f"UC{account.account_id}",
            "snippet": {"title": person.name, "customUrl": f"@{account.handle}", "country": person.country},
            "statistics": statistics,
        }

    def channels(self, request: SandboxRequest) -> dict[str, Any]:
        params = request.params
        if "forHandle" in params:
            found = self.population.find("youtube", params["forHandle"].lstrip("@"))
            accounts = [found] if found is not None else []
        else:
            ids = [i.removeprefix("UC") for i in params.get("id", "").split(",") if i]
            accounts = [a for i in ids if (a := self.population.account(i)) and a.platform == "youtube"]
        items = [self._channel(account) for account in accounts]
        return {"kind": "youtube#channelListResponse", "pageInfo": {"totalResults": len(items)}, "items": items}

    def videos(self, request: SandboxRequest) -> dict[str, Any]:
        ids = [i for i in request.params.get("id", "").split(",") if i]
        if len(ids) > 50:
            raise SandboxError(Fault.INVALID_REQUEST, "at most 50 ids per call")
        items = []
        for video_id in ids:
            post = self.population.post(video_id)
            if post is None or post.platform != "youtube":
                continue  # as YouTube does: an unknown id is left out of items
            figures = post.metrics_at(self.population.as_of)
            statistics = {"viewCount": str(figures.views), "commentCount": str(figures.comments), "favoriteCount": "0"}
            if post.number % 5 != 0:  # every fifth video hides its likes
                statistics["likeCount"] = str(figures.likes)
            items.append({"kind": "youtube#video", "id": video_id, "statistics": statistics})
        return {"kind": "youtube#videoListResponse", "items": items}

    # -- Analytics API v2 ----------------------------------------------------------------------------------------

    def reports(self, request: SandboxRequest) -> dict[str, Any]:
        params = request.params
        if params.get("ids") != "channel==MINE" or request.subject is None:
            raise SandboxError(Fault.INVALID_REQUEST, "reports need ids=channel==MINE and the channel's own token")
        account = self.population.account(request.subject.removeprefix("UC"))
        if account is None:
            raise SandboxError(Fault.NOT_FOUND, "the token's channel has no reports")
        audience = account.audience
        # YouTube's genders are female, male and user_specified; the population's "other" is the last.
        genders = [("user_specified" if key == "other" else key, share) for key, share in audience.genders]
        rows = [
            [group, gender, round(age_share * gender_share * 100, 2)]
            for group, (_, age_share) in zip(_AGE_GROUPS, audience.ages, strict=True)
            for gender, gender_share in genders
        ]
        return {
            "kind": "youtubeAnalytics#resultTable",
            "columnHeaders": [
                {"name": "ageGroup", "columnType": "DIMENSION", "dataType": "STRING"},
                {"name": "gender", "columnType": "DIMENSION", "dataType": "STRING"},
                {"name": "viewerPercentage", "columnType": "METRIC", "dataType": "FLOAT"},
            ],
            "rows": rows,
        }
