"""The records of the synthetic population, and the tables its spreads are drawn from.

Plain attrs values a sandbox reads and turns into its platform's JSON shapes; :mod:`._population` generates them
(its docstring says where each spread comes from).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import attrs

from ..money import Money

__all__ = [
    "AGE_BUCKETS",
    "AS_OF",
    "CATEGORIES",
    "COUNTRIES",
    "FIRST_NAMES",
    "ID_BASE",
    "LAST_NAMES",
    "PINYIN_NAMES",
    "PROFILES",
    "TIERS",
    "USD_PER_THOUSAND_FOLLOWERS",
    "Account",
    "Audience",
    "Person",
    "PlatformProfile",
    "Post",
    "PostMetrics",
    "RateQuote",
    "Tier",
    "tier_of",
]

#: The canonical audience age buckets.
AGE_BUCKETS = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")


@attrs.frozen
class Tier:
    name: str
    low: int
    high: int
    share: float


TIERS = (
    Tier("nano", 1_000, 10_000, 0.815),
    Tier("micro", 10_000, 100_000, 0.14),
    Tier("mid", 100_000, 500_000, 0.035),
    Tier("macro", 500_000, 1_000_000, 0.009),
    Tier("mega", 1_000_000, 50_000_000, 0.001),
)


def tier_of(followers: int) -> str:
    """The tier a follower count falls in (below the nano floor counts as nano)."""
    return next((t.name for t in reversed(TIERS) if followers >= t.low), "nano")


@attrs.frozen(kw_only=True)
class PlatformProfile:
    """How one platform's accounts are spread: its engagement bands per tier (and what they are divided by),
    views per follower, the ages of its audiences, its deliverables, and how its handles look."""

    name: str
    number: int
    denominator: str
    engagement: dict[str, tuple[float, float]]
    views_per_follower: float
    ages: tuple[float, ...]
    deliverables: tuple[tuple[str, float], ...]
    #: How handles look; ``{id}`` (the person's index in base 36) comes last, after one separator character.
    handle: str = "{first}{last}_{id}"

    @property
    def handle_separator(self) -> str:
        return self.handle[self.handle.index("{id}") - 1]


_TIKTOK_BANDS = {
    "nano": (0.06, 0.10),
    "micro": (0.04, 0.07),
    "mid": (0.03, 0.05),
    "macro": (0.02, 0.035),
    "mega": (0.01, 0.02),
}
PROFILES = {
    "tiktok": PlatformProfile(
        name="tiktok",
        number=1,
        denominator="views",
        engagement=_TIKTOK_BANDS,
        views_per_follower=0.12,
        ages=(0.12, 0.35, 0.28, 0.14, 0.07, 0.03, 0.01),
        deliverables=(("short_video", 1.0),),
    ),
    "instagram": PlatformProfile(
        name="instagram",
        number=2,
        denominator="followers",
        engagement={
            "nano": (0.03, 0.05),
            "micro": (0.02, 0.035),
            "mid": (0.015, 0.025),
            "macro": (0.01, 0.018),
            "mega": (0.007, 0.012),
        },
        views_per_follower=0.25,
        ages=(0.06, 0.31, 0.33, 0.16, 0.08, 0.04, 0.02),
        deliverables=(("reel", 1.0), ("post", 0.8), ("story", 0.4)),
        handle="{first}.{last}.{id}",
    ),
    "kuaishou": PlatformProfile(
        name="kuaishou",
        number=3,
        denominator="views",
        engagement=_TIKTOK_BANDS,
        views_per_follower=0.10,
        ages=(0.08, 0.22, 0.30, 0.22, 0.11, 0.05, 0.02),
        deliverables=(("short_video", 1.0), ("live", 1.5)),
        handle="{first}_{last}_{id}",
    ),
}

# country: (share of people, currency, language, USD exchange rate (illustrative, I))
COUNTRIES = {
    "US": (0.22, "USD", "en", "1"),
    "CN": (0.15, "CNY", "zh", "7.2"),
    "IN": (0.10, "INR", "hi", "83"),
    "BR": (0.10, "BRL", "pt", "5.0"),
    "ID": (0.09, "IDR", "id", "15500"),
    "GB": (0.06, "GBP", "en", "0.79"),
    "MX": (0.05, "MXN", "es", "17"),
    "DE": (0.04, "EUR", "de", "0.92"),
    "FR": (0.04, "EUR", "fr", "0.92"),
    "JP": (0.04, "JPY", "ja", "150"),
    "KR": (0.03, "KRW", "ko", "1350"),
    "ES": (0.03, "EUR", "es", "0.92"),
    "IT": (0.03, "EUR", "it", "0.92"),
    "PL": (0.02, "PLN", "pl", "4.0"),
}
FIRST_NAMES = (
    "mira",
    "leo",
    "ana",
    "kai",
    "sofia",
    "omar",
    "yuna",
    "ravi",
    "lena",
    "diego",
    "aiko",
    "noah",
    "priya",
    "jonas",
    "chloe",
    "mateo",
    "sara",
    "ivan",
    "maya",
    "luca",
    "ines",
    "tariq",
    "emma",
    "felix",
    "zoe",
)
LAST_NAMES = (
    "lopez",
    "kim",
    "silva",
    "novak",
    "rossi",
    "tanaka",
    "khan",
    "meyer",
    "dubois",
    "garcia",
    "sato",
    "kowal",
    "costa",
    "moreau",
    "park",
    "singh",
    "weber",
    "ito",
    "santos",
    "nguyen",
    "bauer",
    "ricci",
)
PINYIN_NAMES = ("li", "wang", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu", "xu", "sun", "ma", "zhu")
CATEGORIES = (
    "beauty",
    "fashion",
    "fitness",
    "food",
    "gaming",
    "travel",
    "tech",
    "parenting",
    "music",
    "comedy",
    "education",
    "sports",
    "pets",
    "lifestyle",
    "finance",
    "home",
)
USD_PER_THOUSAND_FOLLOWERS = {"nano": 20.0, "micro": 12.0, "mid": 10.0, "macro": 8.0, "mega": 6.0}
ID_BASE = 10**12
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


@attrs.frozen(kw_only=True)
class Audience:
    """Who follows an account: shares per country, gender and canonical age bucket, each summing to 1."""

    countries: tuple[tuple[str, float], ...]
    genders: tuple[tuple[str, float], ...]
    ages: tuple[tuple[str, float], ...]
    kind: str = "followers"
    sample_size: int
    as_of: datetime


@attrs.frozen(kw_only=True)
class RateQuote:
    """What a creator asks for one deliverable on one platform."""

    deliverable: str
    price: Money


@attrs.frozen(kw_only=True)
class Account:
    """One person's account on one platform, with its figures as of the population's ``as_of``."""

    platform: str
    account_id: str
    handle: str
    person_id: str
    tier: str
    followers: int
    following: int
    post_count: int
    engagement_rate: float
    engagement_denominator: str
    average_views: int
    median_views: int
    follower_growth_30d: float
    posting_every_days: float
    joined: datetime
    audience: Audience
    rates: tuple[RateQuote, ...]


@attrs.frozen(kw_only=True)
class Person:
    """A creator: one id across every platform they are on."""

    id: str
    index: int
    name: str
    country: str
    language: str
    currency: str
    gender: str
    age_bucket: str
    categories: tuple[str, ...]
    accounts: tuple[Account, ...]

    def account_on(self, platform: str) -> Account | None:
        return next((a for a in self.accounts if a.platform == platform), None)


@attrs.frozen(kw_only=True)
class PostMetrics:
    """A post's cumulative figures at ``as_of``."""

    as_of: datetime
    views: int
    likes: int
    comments: int
    shares: int
    saves: int

    @property
    def engagements(self) -> int:
        return self.likes + self.comments + self.shares + self.saves


@attrs.frozen(kw_only=True)
class Post:
    """One post and how its figures grow: :meth:`metrics_at` any moment, :meth:`daily` a day-by-day series."""

    post_id: str
    platform: str
    account_id: str
    number: int
    published_at: datetime
    sponsored: bool
    caption: str
    final: PostMetrics
    growth_days: float

    def metrics_at(self, moment: datetime) -> PostMetrics:
        age = (moment - self.published_at).total_seconds() / 86400
        share = 0.0 if age <= 0 else 1 - math.exp(-age / self.growth_days)
        final = self.final
        return PostMetrics(
            as_of=moment,
            views=round(final.views * share),
            likes=round(final.likes * share),
            comments=round(final.comments * share),
            shares=round(final.shares * share),
            saves=round(final.saves * share),
        )

    def daily(self, days: int) -> tuple[PostMetrics, ...]:
        """The cumulative figures at the end of each of the first ``days`` days after publication."""
        return tuple(self.metrics_at(self.published_at + timedelta(days=d)) for d in range(1, days + 1))
