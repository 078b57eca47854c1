"""TikTok One's Creator Marketplace for brands: labels, discovery, public and authorised insights, video lists,
status by handle and the campaign report, answering from the shared population in the recorded shapes.

Every filter discover takes is applied for real (so a test can check that what the plugin reports as applied
is), with these readings where TikTok documents none: ``follower_country_codes`` matches creators whose
largest follower country is listed, ``follower_age`` those whose largest follower age group it is,
``follower_gender_ratio`` (``FEMALE_60``) those with at least that share of that gender, and a price range is
compared in ``creator_price_currency`` with creators who price in it. A few answers carry numbers as quoted
strings or percentages ("7.3%"), as TikTok's do. Campaigns are the campaigns part's: ``sandbox.campaigns``,
``{campaign_id: {"campaign_id", "handle_names", "video_ids"}}``.
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx

from creatorkit import toolkit as tk

if TYPE_CHECKING:
    from . import TikTokSandbox

PREFIX = "/open_api/v1.3/"
#: The sandbox's SEARCH content labels, one per population category (its id, TikTok's name for it).
CONTENT_LABELS = {
    "beauty": (2000101, "Beauty"),
    "fashion": (2000102, "Fashion"),
    "fitness": (2000103, "Fitness"),
    "food": (2000104, "Food & Cooking"),
    "gaming": (2000105, "Gaming"),
    "travel": (2000106, "Travel"),
    "tech": (2000107, "Tech & Electronics"),
    "parenting": (2000108, "Family & Parenting"),
    "music": (2000109, "Music"),
    "comedy": (2000110, "Comedy"),
    "education": (2000111, "Education"),
    "sports": (2000112, "Sports & Outdoors"),
    "pets": (2000113, "Pets & Animals"),
    "lifestyle": (2000114, "Lifestyle"),
    "finance": (2000115, "Business & Finance"),
    "home": (2000116, "Home & Garden"),
}
INDUSTRY_LABELS = {
    "sports": (1000101, "Sports & Outdoors"),
    "beauty": (1000204, "Beauty & Personal Care"),
    "food": (1000307, "Food & Beverage"),
    "tech": (1000410, "Tech & Electronics"),
    "fashion": (1000513, "Apparel & Accessories"),
    "gaming": (1000616, "Games"),
}
#: TikTok's follower age groups from the population's canonical buckets (no under-18 group; 55+ is one).
_AGE_GROUPS = {"18-24": "18-24", "25-34": "25-34", "35-44": "35-44", "45-54": "45-54", "55-64": "55+", "65+": "55+"}
_GENDERS = {"female": "FEMALE", "male": "MALE", "other": "NONE"}
_SORTS = {"RELEVANCE", "FOLLOWERS", "MEDIAN_VIEWS", "ENGAGEMENT_RATE"}
_GENDER_RATIO = re.compile(r"^(FEMALE|MALE)_(50|60|70)$")
_TIME = "%Y-%m-%d %H:%M:%S"


class _Refused(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class _Row(NamedTuple):
    """One TikTok account as discover filters it, with its answer already built."""

    account: tk.Account
    text: str
    labels: frozenset[str]
    industries: frozenset[str]
    country: str
    language: str
    currency: str
    price: float
    top_country: str
    top_age: str
    genders: Mapping[str, float]
    #: The creator object as TikTok sends it, already encoded: discover answers pages of them.
    encoded: bytes


def _bad(name: str, why: str) -> _Refused:
    return _Refused(40002, f"{name}: {why}")


def _required(params: httpx.QueryParams, name: str) -> str:
    value = params.get(name)
    if not value:
        raise _bad(name, "Missing data for required field.")
    return str(value)


def _json_list(params: httpx.QueryParams, name: str, most: int | None = None) -> list[str] | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise _bad(name, "must be a JSON array") from None
    if not isinstance(value, list):
        raise _bad(name, "must be a JSON array")
    if most is not None and len(value) > most:
        raise _bad(name, f"at most {most} items")
    return [str(item) for item in value]


def _number(params: httpx.QueryParams, name: str, kind: Callable[[str], Any] = int) -> Any:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return kind(raw)
    except ValueError:
        raise _bad(name, "Not a valid number.") from None


def _paging(params: httpx.QueryParams, default: int = 10, most: int = 100) -> tuple[int, int]:
    page, size = _number(params, "page") or 1, _number(params, "page_size") or default
    if page < 1 or not 1 <= size <= most:
        raise _bad("page_size" if page >= 1 else "page", f"page ≥ 1, page_size 1-{most}")
    return page, size


def _page_info(page: int, size: int, total: int) -> dict[str, int]:
    return {"page": page, "page_size": size, "total_number": total, "total_page": -(-total // size)}


class Marketplace:
    """The routes' state: the population's TikTok accounts as discover reads them, built once."""

    def __init__(self, sandbox: TikTokSandbox) -> None:
        self.sandbox, self.population = sandbox, sandbox.population
        self._rows: list[_Row] | None = None
        self._found: dict[tuple[tuple[str, str], ...], list[_Row]] = {}

    # -- shapes --------------------------------------------------------------------------------------------------

    def rows(self) -> list[_Row]:
        if self._rows is None:
            self._rows = [self._row(account) for account in self.population.on("tiktok")]
        return self._rows

    def _row(self, account: tk.Account) -> _Row:
        person = self.population.person(int(account.person_id.rsplit("-", 1)[1]))
        audience, groups = account.audience, _groups(account.audience)
        price = account.rates[0].price
        return _Row(
            account=account,
            text=f"{person.name} {' '.join(person.categories)} {account.handle}".lower(),
            labels=frozenset(str(CONTENT_LABELS[c][0]) for c in person.categories if c in CONTENT_LABELS),
            industries=frozenset(str(INDUSTRY_LABELS[c][0]) for c in person.categories if c in INDUSTRY_LABELS),
            country=person.country,
            language=person.language,
            currency=price.currency,
            price=float(price.to_decimal()),
            top_country=max(audience.countries, key=lambda pair: pair[1])[0],
            top_age=max(groups, key=groups.__getitem__),
            genders=dict(audience.genders),
            encoded=json.dumps(self._creator(account, person, groups), separators=(",", ":")).encode(),
        )

    def _creator(self, account: tk.Account, person: tk.Person, groups: Mapping[str, float]) -> dict[str, Any]:
        audience, price = account.audience, account.rates[0].price
        lenient = person.index % 7 == 3  # TikTok sends some numbers quoted, some rates as percentages
        rng = random.Random(f"{self.sandbox.seed}:{account.account_id}:devices")
        ios = round(rng.uniform(0.35, 0.75), 2)

        def labels(table: Mapping[str, tuple[int, str]]) -> list[dict[str, Any]]:
            chosen = [table[c] for c in person.categories if c in table]
            return [{"label_id": label_id, "label_name": name} for label_id, name in chosen]

        rate = float(price.to_decimal())
        return {
            "creator_id": account.account_id,
            "handle_name": account.handle,
            "handle": account.handle,
            "display_name": person.name,
            "profile_image": f"https://p16-sign-va.tiktokcdn.example/avt/{account.account_id}~c5_100x100.jpeg",
            "bio": f"{person.name} (sandbox creator): {', '.join(person.categories)}.",
            "followers_count": str(account.followers) if lenient else account.followers,
            "following_count": account.following,
            "likes_count": round(account.average_views * account.post_count * account.engagement_rate * 0.85),
            "videos_count": account.post_count,
            "median_views": float(account.median_views) if lenient else account.median_views,
            "engagement_rate": f"{account.engagement_rate * 100:.3f}%" if lenient else account.engagement_rate,
            "creator_price": rate,
            "currency": price.currency,
            "creator_rate": {"rate": rate, "currency": price.currency},
            "country_code": person.country,
            "industry_labels": labels(INDUSTRY_LABELS),
            "content_labels": labels(CONTENT_LABELS),
            "audience_countries": [
                {"country": code, "percentage": share}
                for code, share in sorted(audience.countries, key=lambda pair: -pair[1])[:3]
            ],
            "audience_genders": [{"gender": _GENDERS[key], "percentage": share} for key, share in audience.genders],
            "audience_ages": [{"age": group, "percentage": round(share, 4)} for group, share in groups.items()],
            "audience_devices": [
                {"device": "ios", "percentage": ios},
                {"device": "android", "percentage": round(1 - ios, 2)},
            ],
            "audience_usages": [{"usage": "Active", "percentage": 0.8}, {"usage": "Inactive", "percentage": 0.2}],
        }

    def account(self, handle: str) -> tk.Account:
        account = self.population.find("tiktok", handle)
        if account is None:
            raise _Refused(40121, f"The TikTok user {handle} is not a TikTok Creator Marketplace creator.")
        return account

    def creator(self, account: tk.Account) -> dict[str, Any]:
        person = self.population.person(int(account.person_id.rsplit("-", 1)[1]))
        return self._creator(account, person, _groups(account.audience))

    def video(self, post: tk.Post, account: tk.Account) -> dict[str, Any]:
        figures = post.metrics_at(self.population.as_of)
        hashtags = ["ad"] if post.sponsored else []
        return {
            "video_id": post.post_id,
            "display_name": account.handle,
            "thumbnail_url": f"https://p16-sign-va.tiktokcdn.example/obj/{post.post_id}~tplv-noop.image",
            "embed_url": f"https://www.tiktok.com/embed/v2/{post.post_id}",
            "caption": post.caption,
            "likes": figures.likes,
            "comments": figures.comments,
            "shares": figures.shares,
            "favorites": figures.saves,
            "video_views": figures.views,
            "create_time": post.published_at.strftime(_TIME),
            "caption_hashtags": hashtags,
            "mentioned_accounts": [],
            "collaboration_status": "COLLABORATED" if post.sponsored else "NOT_COLLABORATED",
        }

    # -- discovery -----------------------------------------------------------------------------------------------

    def labels(self, request: tk.SandboxRequest) -> dict[str, Any]:
        _required(request.params, "tto_tcm_account_id")
        if _required(request.params, "label_type") not in ("SEARCH", "RANKING"):
            raise _bad("label_type", "must be one of RANKING, SEARCH")

        def listed(table: Mapping[str, tuple[int, str]]) -> list[dict[str, Any]]:
            return [{"label_id": label_id, "label_name": name} for label_id, name in table.values()]

        return {"industry_labels": listed(INDUSTRY_LABELS), "content_labels": listed(CONTENT_LABELS)}

    def discover(self, request: tk.SandboxRequest) -> httpx.Response:
        params = request.params
        _required(params, "tto_tcm_account_id")
        page, size = _paging(params)
        key = tuple(sorted((k, v) for k, v in params.multi_items() if k not in ("page", "page_size")))
        found = self._found.get(key)
        if found is None:
            found = self._sorted(params, [row for row in self.rows() if _Filters(params).hold(row)])
            if len(self._found) > 256:
                self._found.clear()
            self._found[key] = found
        chosen = found[(page - 1) * size : page * size]
        # The envelope of TikTokSandbox.ok, around creators encoded once: what a page costs is then the plugin's.
        head = {"code": 0, "message": "OK", "request_id": self.sandbox.request_id()}
        info = json.dumps(_page_info(page, size, len(found)), separators=(",", ":")).encode()
        envelope = json.dumps(head, separators=(",", ":")).encode()[:-1]
        creators = b",".join(row.encoded for row in chosen)
        body = b"".join((envelope, b',"data":{"creators":[', creators, b'],"page_info":', info, b"}}"))
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    def _sorted(self, params: httpx.QueryParams, rows: list[_Row]) -> list[_Row]:
        field = params.get("sort_field", "RELEVANCE")
        order = params.get("sort_order", "DESC")
        if field not in _SORTS or order not in ("ASC", "DESC"):
            raise _bad("sort_field" if field not in _SORTS else "sort_order", "not a valid choice")
        keys: dict[str, Callable[[_Row], float]] = {
            "FOLLOWERS": lambda row: row.account.followers,
            "MEDIAN_VIEWS": lambda row: row.account.median_views,
            "ENGAGEMENT_RATE": lambda row: row.account.engagement_rate,
        }
        if field == "RELEVANCE":
            return rows
        return sorted(rows, key=keys[field], reverse=order == "DESC")

    # -- one creator ---------------------------------------------------------------------------------------------

    def public(self, request: tk.SandboxRequest) -> dict[str, Any]:
        _required(request.params, "tto_tcm_account_id")
        return self.creator(self.account(_required(request.params, "handle_name")))

    def status(self, request: tk.SandboxRequest) -> dict[str, Any]:
        _required(request.params, "tto_tcm_account_id")
        handles = _json_list(request.params, "handle_names", most=20) or []
        found = [(handle, self.population.find("tiktok", handle)) for handle in handles]
        rows = [{"handle_name": handle, "status": "IN" if account else "INVALID"} for handle, account in found]
        return {"onboarding_status": rows}

    def public_videos(self, request: tk.SandboxRequest) -> dict[str, Any]:
        params = request.params
        _required(params, "tto_tcm_account_id")
        posts, has_more, cursor = self._videos(self.account(_required(params, "handle_name")), params)
        return {"posts": posts, "page_info": {"has_more": has_more, "cursor": cursor}}

    def _videos(self, account: tk.Account, params: httpx.QueryParams) -> tuple[list[dict[str, Any]], bool, int]:
        """Newest first, those before ``cursor`` (ms), ``limit`` of them; or the ``video_ids`` asked for."""
        limit = _number(params, "limit") or 10
        if not 1 <= limit <= 10:
            raise _bad("limit", "must be between 1 and 10")
        ids = _json_list(params, "video_ids", most=10)
        if ids is not None:
            posts = [post for i in ids if (post := self.population.post(i)) and post.account_id == account.account_id]
            return [self.video(post, account) for post in posts], False, 0
        before = _number(params, "cursor") or 0
        chosen: list[tk.Post] = []
        more = False
        for post in self.population.posts(account):
            if before and _millis(post) >= before:
                continue
            if len(chosen) == limit:
                more = True
                break
            chosen.append(post)
        cursor = _millis(chosen[-1]) if chosen else before
        return [self.video(post, account) for post in chosen], more, cursor

    def _authorized_account(self, request: tk.SandboxRequest) -> tk.Account:
        creator_id = _required(request.params, "creator_id")
        account = self.population.account(creator_id)
        if account is None or account.platform != "tiktok":
            raise _Refused(40007, f"creator_id {creator_id} does not exist.")
        subject = request.subject or ""
        if subject.startswith("advertiser:"):
            raise _Refused(40001, "This endpoint needs the creator's own access token.")
        if subject.startswith("creator:") and subject != f"creator:{creator_id}":
            raise _Refused(40001, "The access token belongs to another creator.")
        return account

    def authorized(self, request: tk.SandboxRequest) -> dict[str, Any]:
        return self.creator(self._authorized_account(request))

    def authorized_videos(self, request: tk.SandboxRequest) -> dict[str, Any]:
        posts, has_more, cursor = self._videos(self._authorized_account(request), request.params)
        return {"posts": posts, "has_more": has_more, "cursor": cursor}

    # -- the campaign report -------------------------------------------------------------------------------------

    def report(self, request: tk.SandboxRequest) -> dict[str, Any]:
        params = request.params
        account_id = _required(params, "tto_tcm_account_id")
        campaign_id = _required(params, "campaign_id")
        campaign = getattr(self.sandbox, "campaigns", {}).get(campaign_id)
        if campaign is None:
            raise _Refused(40007, f"campaign_id {campaign_id} does not exist.")
        window = _window(params)
        page, size = _paging(params)
        posts = [post for i in campaign.get("video_ids", ()) if (post := self.population.post(str(i)))]
        chosen = posts[(page - 1) * size : page * size]
        return {
            "tto_tcm_account_id": account_id,
            "campaign_id": campaign_id,
            "country_code": "US",
            "campaign_type": "CAMPAIGN",
            "campaign_channel_type": "API",
            "page_info": _page_info(page, size, len(posts)),
            "videos": [self._report_row(post, window) for post in chosen],
        }

    def _report_row(self, post: tk.Post, window: tuple[date, date] | None) -> dict[str, Any]:
        account = self.population.account(post.account_id)
        assert account is not None
        as_of = self.population.as_of
        if window is None:
            figures = _figures(post, None, as_of)
        else:
            figures = _figures(post, _start_of(window[0]), min(as_of, _start_of(window[1] + timedelta(days=1))))
        row = self._rates(post, figures)
        lenient = post.number % 5 == 2  # some rates come as percentages, some counts quoted
        if lenient and "engagement_rate" in row:
            row["engagement_rate"] = f"{row['engagement_rate'] * 100:.2f}%"
            row["video_views"] = str(row["video_views"])
        row["video_id"] = post.post_id
        row["video_info"] = {
            "create_time": post.published_at.strftime(_TIME),
            "embed_url": f"https://www.tiktok.com/embed/v2/{post.post_id}",
            "thumbnail_url": f"https://p16-sign-va.tiktokcdn.example/obj/{post.post_id}~tplv.image",
            "video_id": post.post_id,
        }
        row["creator_info"] = {"display_name": account.handle, "handle_name": account.handle}
        if window is not None:
            row["daily_stats"] = self._daily(post, window)
        return row

    def _rates(self, post: tk.Post, figures: Mapping[str, int]) -> dict[str, Any]:
        """A video's counts, the rates TikTok computes from them, and (for a boosted video) the paid split."""
        rng = random.Random(f"{self.sandbox.seed}:{post.post_id}:report")
        views = figures["views"]
        row: dict[str, Any] = {
            "video_views": views,
            "likes": figures["likes"],
            "comments": figures["comments"],
            "shares": figures["shares"],
            "favorites": figures["saves"],
            "reach": round(views * rng.uniform(0.7, 0.9)),
        }
        row["engagement_count"] = row["likes"] + row["comments"] + row["shares"]
        watch = rng.uniform(4.0, 15.0)
        if views:
            two = rng.uniform(0.55, 0.8)
            row.update(
                engagement_rate=round(row["engagement_count"] / views, 4),
                video_completion_rate=round(rng.uniform(0.1, 0.35), 3),
                two_seconds_views=round(two, 3),
                six_seconds_views=round(two * rng.uniform(0.6, 0.85), 3),
                average_view_time=round(watch, 1),
                total_play_time=round(views * watch),
            )
        paid_share = 0.35 if post.sponsored else 0.0  # a sponsored video was boosted with Spark Ads
        for name in ("video_views", "likes", "comments", "shares", "favorites", "reach"):
            paid = round(row[name] * paid_share)
            row[f"{name}_organic"] = row[name] - paid
            if post.sponsored:
                row[f"{name}_paid"] = paid
        return row

    def _daily(self, post: tk.Post, window: tuple[date, date]) -> list[dict[str, Any]]:
        as_of = self.population.as_of
        days = []
        day = max(window[0], post.published_at.date())  # TikTok has no day of a video before it was posted
        while day <= window[1] and _start_of(day) < as_of:
            figures = _figures(post, _start_of(day), min(as_of, _start_of(day + timedelta(days=1))))
            views = figures["views"]
            entry: dict[str, Any] = {
                "date": day.isoformat(),
                "views": views,
                "reach": round(views * 0.8),
                "likes": figures["likes"],
                "comments": figures["comments"],
                "shares": figures["shares"],
                "favorites": figures["saves"],
            }
            if views:
                engaged = figures["likes"] + figures["comments"] + figures["shares"]
                entry["engagement_rate"] = round(engaged / views, 4)
            days.append(entry)
            day += timedelta(days=1)
        return days


def _groups(audience: tk.Audience) -> dict[str, float]:
    """The audience's shares in TikTok's follower age groups (its 13-17 share is in none)."""
    groups: dict[str, float] = {}
    for bucket, share in audience.ages:
        if bucket in _AGE_GROUPS:
            groups[_AGE_GROUPS[bucket]] = groups.get(_AGE_GROUPS[bucket], 0.0) + share
    return groups


def _millis(post: tk.Post) -> int:
    """A video's time as the video lists' cursor counts it: milliseconds since the epoch."""
    return int(post.published_at.timestamp() * 1000)


def _start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _figures(post: tk.Post, start: datetime | None, end: datetime) -> dict[str, int]:
    """What ``post`` gained from ``start`` (publication, when None) to ``end``."""
    after = post.metrics_at(end)
    fields = ("views", "likes", "comments", "shares", "saves")
    if start is None:
        return {name: getattr(after, name) for name in fields}
    before = post.metrics_at(start)
    return {name: max(0, getattr(after, name) - getattr(before, name)) for name in fields}


def _window(params: httpx.QueryParams) -> tuple[date, date] | None:
    start, end = params.get("start_date"), params.get("end_date")
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise _bad("start_date" if start is None else "end_date", "start_date and end_date go together")
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        raise _bad("start_date", "must be YYYY-MM-DD") from None
    if not 0 <= (last - first).days <= 60:
        raise _bad("end_date", "must be 0 to 60 days after start_date")
    return first, last


class _Filters:
    """discover's filters, read once per call and checked against each row."""

    def __init__(self, params: httpx.QueryParams) -> None:
        self.countries = _json_list(params, "country_codes")
        self.labels = _json_list(params, "content_label_ids")
        self.industries = _json_list(params, "industry_label_ids")
        self.languages = _json_list(params, "languages")
        self.audience_countries = _json_list(params, "follower_country_codes")
        self.ints = {
            name: _number(params, name)
            for name in (
                *("min_followers", "max_followers", "min_avg_views", "max_avg_views"),
                *("min_median_views", "max_median_views"),
            )
        }
        self.floats = {
            name: _number(params, name, float)
            for name in ("min_creator_price", "max_creator_price", "min_engagement_rate", "max_engagement_rate")
        }
        self.currency = params.get("creator_price_currency")
        if self.currency is None and (self.floats["min_creator_price"] or self.floats["max_creator_price"]):
            raise _bad("creator_price_currency", "required with a creator price range")
        ratio = params.get("follower_gender_ratio")
        found = _GENDER_RATIO.match(ratio) if ratio is not None else None
        if ratio is not None and found is None:
            raise _bad("follower_gender_ratio", "must be one of FEMALE_50 … MALE_70")
        self.gender = None if found is None else (found.group(1).lower(), int(found.group(2)) / 100)
        self.age = params.get("follower_age")
        if self.age is not None and self.age not in set(_AGE_GROUPS.values()):
            raise _bad("follower_age", "must be one of 18-24, 25-34, 35-44, 45-54, 55+")
        self.words = params.get("keyword_search", "").lower().split()

    @staticmethod
    def _within(value: float, low: float | None, high: float | None) -> bool:
        return (low is None or value >= low) and (high is None or value <= high)

    def hold(self, row: _Row) -> bool:
        account, ints, floats = row.account, self.ints, self.floats
        checks = (
            self.countries is None or row.country in self.countries,
            self.labels is None or bool(row.labels & set(self.labels)),
            self.industries is None or bool(row.industries & set(self.industries)),
            self.languages is None or row.language in self.languages,
            self.audience_countries is None or row.top_country in self.audience_countries,
            self._within(account.followers, ints["min_followers"], ints["max_followers"]),
            self._within(account.average_views, ints["min_avg_views"], ints["max_avg_views"]),
            self._within(account.median_views, ints["min_median_views"], ints["max_median_views"]),
            self._within(account.engagement_rate, floats["min_engagement_rate"], floats["max_engagement_rate"]),
            self.currency is None or row.currency == self.currency,
            self._within(row.price, floats["min_creator_price"], floats["max_creator_price"]),
            self.gender is None or row.genders.get(self.gender[0], 0.0) >= self.gender[1],
            self.age is None or row.top_age == self.age,
            all(word in row.text for word in self.words),
        )
        return all(checks)


def install(sandbox: TikTokSandbox) -> None:
    """Register this part's routes on ``sandbox`` (the ranking's is in ``_rankings``, which reads this module)."""
    from . import _rankings

    marketplace = Marketplace(sandbox)

    def answering(handler: Callable[[tk.SandboxRequest], Any]) -> Callable[[tk.SandboxRequest], Any]:
        def answer(request: tk.SandboxRequest) -> Any:
            try:
                return handler(request)
            except _Refused as refusal:
                return sandbox.refuse(refusal.code, refusal.message)

        return answer

    for path, handler in (
        ("tto/tcm/category/label/", marketplace.labels),
        ("tto/tcm/creator/discover/", marketplace.discover),
        ("tto/tcm/creator/public/", marketplace.public),
        ("tto/tcm/creator/status/get/", marketplace.status),
        ("tto/tcm/creator/public/video/list/", marketplace.public_videos),
        ("tto/creator/authorized/", marketplace.authorized),
        ("tto/creator/authorized/video/list/", marketplace.authorized_videos),
        ("tto/tcm/report/", marketplace.report),
        ("tto/tcm/rank/", functools.partial(_rankings.rank, marketplace)),
    ):
        sandbox.route("GET", PREFIX + path, answering(handler))
