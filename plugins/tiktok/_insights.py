"""A TikTok One creator, its videos and its audience, in the SDK's entities.

TikTok One answers one creator object (``tto/tcm/creator/discover/``, ``.../public/``, ``tto/creator/authorized/``)
with lifetime counts, a median of views, an engagement rate, a price, labels and three audience splits; and a
list of videos with each video's lifetime counts. What the object lacks (average views, average likes) is computed
here from the recent videos; what neither gives (six-second view rate, completion rate, which only the campaign
report has) stays ``None``.

Which window TikTok computes ``median_views`` and ``engagement_rate`` over is not documented for TikTok One; the
Creator Marketplace it replaces documented its averages over the creator's last 30 videos, so that is the
window stated (:data:`TIKTOK_RECENT`). The engagement rate is TikTok's per view (the report defines
``engagement_rate`` as engagements ÷ views), so its denominator is views.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from creatorkit import Money
from creatorkit import entities as ent
from creatorkit.discovery import CategoryMap
from creatorkit.errors import ValidationError
from creatorkit.money import currency_exponent, is_currency

from . import _api as api

__all__ = [
    "LABEL_CATEGORIES",
    "TIKTOK_RECENT",
    "Normaliser",
    "category_map",
    "label_categories",
]

C = ent.Category
#: TikTok One's content and industry label names (and the parts of a compound name, "Sports & Outdoors"), as the
#: core categories they stand for. Label ids differ by account and market, so names are what is mapped; a name
#: not listed is a label with no core category (it still narrows a search nobody can ask for through the core).
LABEL_CATEGORIES: Mapping[str, tuple[ent.Category, ...]] = {
    "animals": (C.ANIMALS,),
    "pets": (C.ANIMALS,),
    "art": (C.ART_DESIGN,),
    "design": (C.ART_DESIGN,),
    "cars": (C.AUTOMOTIVE,),
    "automotive": (C.AUTOMOTIVE,),
    "vehicles": (C.AUTOMOTIVE,),
    "beauty": (C.BEAUTY,),
    "skincare": (C.BEAUTY,),
    "makeup": (C.BEAUTY,),
    "personal care": (C.BEAUTY,),
    "books": (C.BOOKS,),
    "business": (C.BUSINESS_FINANCE,),
    "finance": (C.BUSINESS_FINANCE,),
    "comedy": (C.COMEDY,),
    "dance": (C.DANCE,),
    "diy": (C.DIY_CRAFTS,),
    "crafts": (C.DIY_CRAFTS,),
    "education": (C.EDUCATION,),
    "family": (C.FAMILY_PARENTING,),
    "parenting": (C.FAMILY_PARENTING,),
    "fashion": (C.FASHION,),
    "apparel": (C.FASHION,),
    "fitness": (C.FITNESS,),
    "food": (C.FOOD,),
    "cooking": (C.FOOD,),
    "beverage": (C.FOOD,),
    "gaming": (C.GAMING,),
    "games": (C.GAMING,),
    "health": (C.HEALTH_WELLNESS,),
    "wellness": (C.HEALTH_WELLNESS,),
    "home": (C.HOME_GARDEN,),
    "garden": (C.HOME_GARDEN,),
    "home & garden": (C.HOME_GARDEN,),
    "lifestyle": (C.LIFESTYLE,),
    "music": (C.MUSIC,),
    "outdoors": (C.OUTDOORS,),
    "hiking & camping": (C.OUTDOORS,),
    "photography": (C.PHOTOGRAPHY,),
    "sports": (C.SPORTS,),
    "tech": (C.TECH,),
    "technology": (C.TECH,),
    "electronics": (C.TECH,),
    "travel": (C.TRAVEL,),
}
#: The window stated for TikTok One's median views and engagement rate (see the module's docstring).
TIKTOK_RECENT = ent.Window.posts(30)
_LIFETIME = ent.Window.lifetime()
#: How far below 1 a complete split may sum: TikTok rounds each share (the core allows as much).
_ROUNDING = 0.01


@functools.lru_cache(maxsize=4096)
def _canonical(dimension: ent.AudienceDimension, label: str) -> str | None:
    """The canonical key of one of TikTok's bucket labels, None for one the core cannot place (remembered: the
    same few labels come back on every creator)."""
    try:
        return ent.canonical_key(dimension, label)
    except ValidationError:
        return None


@functools.lru_cache(maxsize=1024)
def label_categories(name: str) -> tuple[ent.Category, ...]:
    """The core categories a TikTok label name stands for: the whole name, else each part of a compound one."""
    text = name.strip().lower()
    whole = LABEL_CATEGORIES.get(text)
    if whole is not None:
        return whole
    found: dict[ent.Category, None] = {}
    for part in text.replace("/", "&").replace(",", "&").replace(" and ", "&").split("&"):
        found.update(dict.fromkeys(LABEL_CATEGORIES.get(part.strip(), ())))
    return tuple(found)


@functools.lru_cache(maxsize=1024)
def _categories(names: tuple[str, ...]) -> tuple[str, ...]:
    """The core categories label ``names`` stand for, in the core vocabulary's order (remembered: creators of one
    niche carry the same few labels)."""
    found: dict[ent.Category, None] = {}
    for name in names:
        found.update(dict.fromkeys(label_categories(name)))
    return tuple(sorted((category.value for category in found), key=_CATEGORY_ORDER.__getitem__))


def category_map(platform: str, labels: Iterable[Mapping[str, Any]]) -> CategoryMap:
    """The core categories as the ids of TikTok's ``labels`` (``{label_id, label_name}``) that stand for them."""
    by_category: dict[ent.Category, list[str]] = {}
    for label in labels:
        label_id, name = label.get("label_id"), label.get("label_name")
        if label_id is None or not isinstance(name, str):
            continue
        for category in label_categories(name):
            by_category.setdefault(category, []).append(str(label_id))
    return CategoryMap(platform=platform, labels={k: tuple(v) for k, v in by_category.items()})


def objects(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a list TikTok answered; none when it answered something other than a list."""
    if not isinstance(value, list):
        return []
    # A decoded answer's objects are dicts: asking the Mapping ABC about each costs more than the rest of the row.
    return [item for item in value if type(item) is dict or isinstance(item, Mapping)]


#: Below this many major units a whole-number price is scaled exactly in integers (see :func:`_money`).
_WHOLE_PRICE_LIMIT = 10**15


def _money(amount: Any, currency: Any) -> Money | None:
    """TikTok's price (a float in major units) as integer minor units; None when absent, zero or unreadable."""
    if not isinstance(currency, str) or not is_currency(currency.upper()):
        return None
    code = currency.upper()
    if ((type(amount) is float and amount.is_integer()) or type(amount) is int) and abs(amount) < _WHOLE_PRICE_LIMIT:
        # A whole number of major units (TikTok's 7700.0): scaled in integers, which is exact and what the decimal
        # reading below gives for it, without building decimals for every creator of every page.
        minor = int(amount) * 10 ** currency_exponent(code)
    else:
        minor = _decimal_minor(amount, code)
    return Money(minor, code) if minor > 0 else None  # 0 is TikTok's "no price set", not a free creator


def _decimal_minor(amount: Any, code: str) -> int:
    """``amount`` major units (as the decimal it prints as: 19.99 is 19.99) in ``code``'s minor units, rounded
    half up; 0 for what is no positive, finite amount."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return 0
    if not value.is_finite() or value <= 0:
        return 0
    try:
        return int(value.scaleb(currency_exponent(code)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except ArithmeticError:  # more digits than any price has (decimal's InvalidOperation, Overflow)
        return 0


#: TikTok's audience splits: the dimension, the creator object's field, the key of each row's label, and how many
#: buckets TikTok lists at most (its top three countries; None where it lists every bucket).
_SPLITS = (
    (ent.AudienceDimension.COUNTRY, "audience_countries", "country", 3),
    (ent.AudienceDimension.GENDER, "audience_genders", "gender", None),
    (ent.AudienceDimension.AGE, "audience_ages", "age", None),
    (ent.AudienceDimension.DEVICE, "audience_devices", "device", None),
)

#: The core vocabulary's order, which a profile lists its categories in.
_CATEGORY_ORDER = {category.value: place for place, category in enumerate(ent.Category)}


class Normaliser:
    """Builds the entities for one answer: ``platform`` is the plugin's name, ``as_of`` when TikTok answered."""

    def __init__(self, platform: str, as_of: datetime, categories: CategoryMap | None = None) -> None:
        self.platform, self.as_of, self.categories = platform, as_of, categories

    # -- figures ---------------------------------------------------------------------------------------------

    def count(
        self, value: Any, window: ent.Window = _LIFETIME, statistic: ent.Statistic = ent.Statistic.TOTAL
    ) -> ent.Count | None:
        number = api.number(value)
        if number is None or number < 0:
            return None
        return ent.Count(
            value=number, window=window, source=ent.MetricSource.PLATFORM, as_of=self.as_of, statistic=statistic
        )

    def rate(
        self, value: Any, window: ent.Window, *, over: int | None = None, denominator: ent.Denominator | None = None
    ) -> ent.Rate | None:
        """A rate over views (``over`` of them, when known); None when absent, unreadable or over no views."""
        fraction = api.fraction(value)
        if fraction is None or not math.isfinite(fraction) or fraction < 0 or over == 0:
            return None
        return ent.Rate(
            value=fraction,
            denominator=denominator or ent.Denominator.VIEWS,
            window=window,
            source=ent.MetricSource.PLATFORM,
            as_of=self.as_of,
            denominator_value=over,
        )

    # -- a creator -------------------------------------------------------------------------------------------

    def account(self, creator: Mapping[str, Any]) -> ent.PlatformAccount:
        handle = str(creator.get("handle_name") or creator.get("handle") or "")
        return ent.PlatformAccount(
            platform=self.platform,
            account_id=str(creator.get("creator_id") or handle),
            handle=handle,
            display_name=str(creator.get("display_name") or ""),
            url=f"https://www.tiktok.com/@{handle}" if handle else None,
            followers=self.count(creator.get("followers_count")),
        )

    def candidate(self, creator: Mapping[str, Any]) -> ent.CreatorCandidate:
        """A creator object as discovery and lookup return it: profile, rate card, figures and audience."""
        account = self.account(creator)
        return ent.CreatorCandidate(
            platform=self.platform,
            profile=self.profile(creator, account),
            metrics=self.metrics(creator, account.account_id, followers=account.followers),
            audience=self.audience(creator, account.account_id),
        )

    def profile(self, creator: Mapping[str, Any], account: ent.PlatformAccount) -> ent.CreatorProfile:
        labels = [*objects(creator.get("content_labels")), *objects(creator.get("industry_labels"))]
        names = tuple([str(label["label_name"]) for label in labels if label.get("label_name")])
        country = creator.get("country_code")
        price = _money(creator.get("creator_price"), creator.get("currency"))
        if price is None and isinstance(creator.get("creator_rate"), Mapping):
            price = _money(creator["creator_rate"].get("rate"), creator["creator_rate"].get("currency"))
        rate_card = None
        if price is not None:  # TikTok One's price is one figure per video: what a branded video costs
            tier = ent.PriceTier(deliverable=ent.DeliverableType.SHORT_VIDEO, price=price, label="TikTok video")
            rate_card = ent.RateCard(tiers=(tier,))
        return ent.CreatorProfile(
            id=f"{self.platform}:{account.account_id}",
            display_name=account.display_name or account.handle,
            accounts=(account,),
            categories=_categories(names),
            tags=names,
            country=country.upper() if isinstance(country, str) and len(country) == 2 and country.isalpha() else None,
            bio=str(creator.get("bio") or ""),
            rate_card=rate_card,
        )

    def metrics(
        self,
        creator: Mapping[str, Any],
        account_id: str,
        videos: Sequence[Mapping[str, Any]] = (),
        *,
        followers: ent.Count | None = None,
    ) -> ent.CreatorMetrics:
        """TikTok's figures for the creator; with ``videos`` (its recent ones), the averages TikTok does not give.

        ``followers`` is the creator's follower count when the caller built it already (the account's): the same
        figure, shared rather than built twice; without it, it is read from the creator object.
        """
        recent = _Recent(self, videos).figures() if videos else _NO_FIGURES
        extensions = {}
        following = api.number(creator.get("following_count"))
        if following is not None:
            extensions[f"{self.platform}.following_count"] = float(following)
        median = self.count(creator.get("median_views"), TIKTOK_RECENT, ent.Statistic.MEDIAN)
        engagement = self.rate(creator.get("engagement_rate"), TIKTOK_RECENT)
        return ent.CreatorMetrics(
            platform=self.platform,
            account_id=account_id,
            as_of=self.as_of,
            followers=followers if followers is not None else self.count(creator.get("followers_count")),
            average_views=recent.get("average_views"),
            median_views=median or recent.get("median_views"),
            engagement_rate=engagement or recent.get("engagement_rate"),
            average_likes=recent.get("average_likes"),
            average_comments=recent.get("average_comments"),
            average_shares=recent.get("average_shares"),
            average_saves=recent.get("average_saves"),
            total_likes=self.count(creator.get("likes_count")),
            post_count=self.count(creator.get("videos_count")),
            sponsored=recent.get("sponsored"),
            organic=recent.get("organic"),
            extensions=extensions,
        )

    # -- an audience -----------------------------------------------------------------------------------------

    def audience(self, creator: Mapping[str, Any], account_id: str) -> ent.AudienceProfile:
        """The creator's follower demographics in canonical buckets: countries (TikTok's top three), genders,
        ages (TikTok's 18-24 … 55+, with no under-18 bucket) and devices."""
        followers = api.number(creator.get("followers_count"))
        breakdowns = []
        for dimension, field, key, top in _SPLITS:
            rows = creator.get(field)
            if type(rows) is list and rows:  # any other answer is no split
                breakdown = self.split(dimension, rows, key, top_n=top, sample=followers)
                if breakdown is not None:
                    breakdowns.append(breakdown)
        return ent.AudienceProfile(platform=self.platform, account_id=account_id, breakdowns=tuple(breakdowns))

    def split(
        self,
        dimension: ent.AudienceDimension,
        rows: Sequence[Any],
        key: str,
        *,
        top_n: int | None = None,
        sample: int | None = None,
        kind: ent.AudienceKind = ent.AudienceKind.FOLLOWERS,
    ) -> ent.AudienceBreakdown | None:
        """One of TikTok's distributions (``rows`` of ``{key: label, "percentage": share}``) in canonical buckets,
        read in one pass; None when no row gives a share the core can place.

        TikTok sends a share as 0.71, "71%" or, in places, 71: a split whose values run above 1 is read as
        percentages throughout. A row that is no object or has no readable share, and a label the core cannot
        place, are left out and the split said to be partial, never guessed.
        """
        merged: dict[str, float] = {}
        placed = 0
        percent = False
        for row in rows:
            if type(row) is not dict and not isinstance(row, Mapping):  # a decoded answer's objects are dicts
                continue
            value, label = row.get("percentage"), row.get(key)
            if type(value) is not float:  # TikTok sends a float nearly always: api.fraction reads the rest
                value = api.fraction(value)
            if not label or value is None or not 0 <= value < math.inf:  # 0 is a share, not a missing one
                continue
            if value > 1:
                percent = True
            bucket = _canonical(dimension, label if type(label) is str else str(label))
            if bucket is None:
                continue
            placed += 1
            if bucket in merged:  # two labels of one bucket ("NONE" and "UNKNOWN"): added up
                merged[bucket] += value
            else:
                merged[bucket] = value
        if not merged:
            return None
        if percent:
            merged = {bucket: value / 100 for bucket, value in merged.items()}
        total = math.fsum(merged.values())
        if total > 1.0:  # TikTok rounds each share: a sum of 1.01 is rounding, not a broken answer
            merged = {bucket: value / total for bucket, value in merged.items()}
        # No share is above 1 now: none of them (all >= 0) is above a total that is at most 1.
        share = ent.AudienceShare
        return ent.AudienceBreakdown(
            dimension=dimension,
            shares=tuple([share(key=bucket, share=value) for bucket, value in merged.items()]),
            source=ent.MetricSource.PLATFORM,
            as_of=self.as_of,
            sample_size=sample,
            kind=kind,
            truncated=top_n is not None or placed < len(rows) or total < 1 - _ROUNDING,
            top_n=top_n if top_n is not None and len(merged) <= top_n else None,
        )


#: The recent videos' figures when there are none to compute them from (discovery reads no videos).
_NO_FIGURES: Mapping[str, Any] = MappingProxyType({})


class _Recent:
    """Figures over a creator's recent videos (TikTok's lifetime counts per video), for what TikTok does not sum."""

    def __init__(self, normaliser: Normaliser, videos: Sequence[Mapping[str, Any]]) -> None:
        self.normaliser = normaliser
        self.videos = [video for video in videos if api.number(video.get("video_views")) is not None]

    def figures(self) -> dict[str, Any]:
        """The figures over the recent videos, by :class:`~creatorkit.entities.CreatorMetrics` field; none without
        videos, where each would be None (discovery reads no videos: this spares it the calls)."""
        if not self.videos:
            return {}
        return {
            "average_views": self.mean("video_views"),
            "median_views": self.median("video_views"),
            "engagement_rate": self.engagement_rate(),
            "average_likes": self.mean("likes"),
            "average_comments": self.mean("comments"),
            "average_shares": self.mean("shares"),
            "average_saves": self.mean("favorites"),
            "sponsored": self.slice(sponsored=True),
            "organic": self.slice(sponsored=False),
        }

    def _values(self, field: str, videos: Sequence[Mapping[str, Any]] | None = None) -> list[int]:
        chosen = self.videos if videos is None else videos
        return [n for video in chosen if (n := api.number(video.get(field))) is not None and n >= 0]

    def mean(self, field: str, videos: Sequence[Mapping[str, Any]] | None = None) -> ent.Count | None:
        values = self._values(field, videos)
        if not values:
            return None
        window = ent.Window.posts(len(values))
        return self.normaliser.count(round(statistics.fmean(values)), window, ent.Statistic.MEAN)

    def median(self, field: str) -> ent.Count | None:
        values = self._values(field)
        if not values:
            return None
        window = ent.Window.posts(len(values))
        return self.normaliser.count(round(statistics.median(values)), window, ent.Statistic.MEDIAN)

    def engagement_rate(self, videos: Sequence[Mapping[str, Any]] | None = None) -> ent.Rate | None:
        """Likes, comments and shares over views (TikTok's definition of engagement), over the recent videos."""
        chosen = self.videos if videos is None else videos
        views = sum(self._values("video_views", chosen))
        engaged = sum(self._values("likes", chosen)) + sum(self._values("comments", chosen))
        engaged += sum(self._values("shares", chosen))
        if not views:
            return None
        return self.normaliser.rate(engaged / views, ent.Window.posts(len(chosen)), over=views)

    def slice(self, *, sponsored: bool) -> ent.PerformanceSlice | None:
        """The recent videos made with a brand (``collaboration_status`` COLLABORATED) or the others; None when
        TikTok did not say which were which."""
        marked = [video for video in self.videos if video.get("collaboration_status")]
        chosen = [video for video in marked if (video["collaboration_status"] == "COLLABORATED") == sponsored]
        if not chosen:
            return None
        return ent.PerformanceSlice(
            views=self.mean("video_views", chosen),
            likes=self.mean("likes", chosen),
            comments=self.mean("comments", chosen),
            shares=self.mean("shares", chosen),
            saves=self.mean("favorites", chosen),
            engagement_rate=self.engagement_rate(chosen),
            posts=self.normaliser.count(len(chosen), ent.Window.posts(len(self.videos))),
        )
