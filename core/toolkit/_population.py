"""The synthetic population every sandbox shares: people, their platform accounts, audiences, rates and posts.

``Population(seed=7)`` describes up to ``size`` people (a million by default), each generated on demand from the
seed and its index alone, so ``population.person(999_999)`` costs what ``person(0)`` does and two runs with one
seed see the same world. Some people are on several platforms: one person id, a different handle and account on
each. Records are plain attrs values (``Person``, ``Account``, ``Audience``, ``Post``); each platform's sandbox
turns them into its own JSON shapes. Handles, account ids and post ids encode the index, so a lookup by any of
them (:meth:`Population.find`, :meth:`Population.account`, :meth:`Population.post`) is as cheap as by index.

Where the spreads come from (the project's reference notes on market metrics; C = confirmed, C2 = secondary,
I = inferred there or here):

- follower tiers: nano < 10K, micro 10–100K, mid 100–500K, macro 500K–1M, mega 1M+ (Later × Fohr, C2); 81.5 % of
  creators nano and 0.1 % above 1M (HypeAuditor 2026, C2); the split of the rest, and the 1,000-follower floor
  and 50M ceiling, are I. Followers are log-uniform within a tier.
- engagement by tier and platform: Instagram by followers 3–5 % (nano) … 0.7–1.2 % (mega), TikTok by views
  6–10 % … 1–2 % (vendor averages, C2); Kuaishou has no published figures and borrows TikTok's (I). Each account
  draws its rate around its band; each post around its account's.
- audiences (I): a home-country share of 35–85 % (90–99 % on Kuaishou), genders leaning to the creator's own,
  ages in the canonical buckets 13-17 … 65+ from a per-platform base (TikTok youngest) drawn with noise.
- rates (I): a price per thousand followers falling by tier (USD 20 nano … 6 mega), with spread, quoted in the
  creator's currency (USD, EUR, GBP, JPY, KRW, CNY, INR, BRL, IDR, MXN, PLN) at fixed illustrative exchange rates
  and rounded to two significant figures, as people price.
- posts (I): a posting cadence of 1–7 days, views around the account's average with a heavy tail (log-normal,
  σ 0.8), 8 % sponsored with 0.7× the engagement, and every metric growing as ``1 − e^(−age/τ)`` with τ of
  0.7–3 days, so a post's daily series rises fast and flattens.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from ..money import Money, currency_exponent
from ._people import (
    AGE_BUCKETS,
    AS_OF,
    CATEGORIES,
    COUNTRIES,
    FIRST_NAMES,
    ID_BASE,
    LAST_NAMES,
    PINYIN_NAMES,
    PROFILES,
    TIERS,
    USD_PER_THOUSAND_FOLLOWERS,
    Account,
    Audience,
    Person,
    PlatformProfile,
    Post,
    PostMetrics,
    RateQuote,
    tier_of,
)

__all__ = ["Population"]


class _Who(NamedTuple):
    """What a person's accounts inherit from the person."""

    person_index: int
    person_id: str
    first: str
    last: str
    country: str
    gender: str
    age: str
    currency: str


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def _pick(rng: random.Random, weighted: dict[str, float]) -> str:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _dirichlet(rng: random.Random, means: tuple[float, ...], concentration: float) -> list[float]:
    draws = [rng.gammavariate(max(m * concentration, 1e-3), 1.0) for m in means]
    total = sum(draws)
    return [d / total for d in draws]


def _rounded_shares(keys: tuple[str, ...], shares: list[float]) -> tuple[tuple[str, float], ...]:
    """Shares rounded to four places that still sum to exactly 1 (the remainder goes to the largest)."""
    rounded = [round(s, 4) for s in shares]
    largest = max(range(len(rounded)), key=rounded.__getitem__)
    rounded[largest] = round(rounded[largest] + 1 - sum(rounded), 4)
    return tuple(zip(keys, rounded, strict=True))


def _nice_price(usd: float, rate: str, currency: str) -> Money:
    local = Decimal(str(usd)) * Decimal(rate)
    exponent = local.adjusted() - 1  # two significant figures
    nice = local.scaleb(-exponent).quantize(Decimal(1)).scaleb(exponent)
    minor = int(nice.scaleb(currency_exponent(currency)))
    return Money(max(minor, 1), currency)


class Population:
    """``size`` people generated from ``seed`` on demand (see the module's docstring)."""

    def __init__(
        self,
        seed: int = 0,
        size: int = 1_000_000,
        *,
        as_of: datetime = AS_OF,
        platforms: dict[str, PlatformProfile] | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("a population has at least one person")
        self.seed, self.size, self.as_of = seed, size, as_of
        self.platforms = dict(PROFILES if platforms is None else platforms)
        self._by_number = {p.number: p for p in self.platforms.values()}
        # Sandboxes ask for the same few people again and again (a lookup, then its metrics, then its audience);
        # the records are immutable, so the recently generated ones are kept.
        self._person = functools.lru_cache(maxsize=4096)(self._generate_person)

    def __repr__(self) -> str:
        return f"Population(seed={self.seed}, size={self.size:,}, platforms={sorted(self.platforms)})"

    def __len__(self) -> int:
        return self.size

    # -- lookups -------------------------------------------------------------------------------------------------

    def person(self, index: int) -> Person:
        if not 0 <= index < self.size:
            raise IndexError(f"person {index} is outside a population of {self.size}")
        return self._person(index)

    def people(self, start: int = 0, stop: int | None = None) -> Iterator[Person]:
        for index in range(start, min(self.size, self.size if stop is None else stop)):
            yield self._person(index)

    def on(self, platform: str, start: int = 0, stop: int | None = None) -> Iterator[Account]:
        """The accounts on ``platform`` of the people from ``start`` to ``stop``, in index order."""
        for person in self.people(start, stop):
            account = person.account_on(platform)
            if account is not None:
                yield account

    def find(self, platform: str, handle: str) -> Account | None:
        """The account with ``handle`` on ``platform``, or None."""
        profile = self.platforms.get(platform)
        if profile is None or profile.handle_separator not in handle:
            return None
        try:
            index = int(handle.rsplit(profile.handle_separator, 1)[1], 36)
        except ValueError:
            return None
        if not 0 <= index < self.size:
            return None
        account = self._person(index).account_on(platform)
        return account if account is not None and account.handle == handle else None

    def account(self, account_id: str) -> Account | None:
        """The account with ``account_id`` (on whichever platform), or None."""
        if not account_id.isdigit():
            return None
        number, index = divmod(int(account_id), ID_BASE)
        profile = self._by_number.get(number)
        if profile is None or not 0 <= index < self.size:
            return None
        return self._person(index).account_on(profile.name)

    def post(self, post_id: str) -> Post | None:
        """The post with ``post_id``, or None."""
        if not post_id.isdigit() or len(post_id) <= 6:
            return None
        account = self.account(post_id[:-6])
        number = int(post_id[-6:])
        if account is None or number >= account.post_count:
            return None
        return self._post(account, number)

    def posts(self, account: Account, *, limit: int | None = None) -> Iterator[Post]:
        """``account``'s posts, newest first."""
        count = account.post_count if limit is None else min(limit, account.post_count)
        for number in range(count):
            yield self._post(account, number)

    # -- generation ----------------------------------------------------------------------------------------------

    def _generate_person(self, index: int) -> Person:
        rng = random.Random(f"{self.seed}:person:{index}")
        country = _pick(rng, {code: row[0] for code, row in COUNTRIES.items()})
        _, currency, language, _ = COUNTRIES[country]
        names = (PINYIN_NAMES, PINYIN_NAMES) if country == "CN" else (FIRST_NAMES, LAST_NAMES)
        first, last = rng.choice(names[0]), rng.choice(names[1])
        gender = _pick(rng, {"female": 0.55, "male": 0.43, "nonbinary": 0.02})
        age = _pick(rng, dict(zip(AGE_BUCKETS, (0.04, 0.33, 0.38, 0.16, 0.06, 0.02, 0.01), strict=True)))
        categories = tuple(rng.sample(CATEGORIES, rng.choice((1, 1, 2, 2, 3))))
        tier = rng.choices(TIERS, weights=[t.share for t in TIERS])[0]
        followers = round(math.exp(rng.uniform(math.log(tier.low), math.log(tier.high))))
        person_id = f"person-{index:07d}"
        who = _Who(index, person_id, first, last, country, gender, age, currency)
        accounts = tuple(
            self._account(self.platforms[platform], who, max(tier.low // 2, round(followers * share)))
            for platform, share in self._presence(rng, country)
        )
        return Person(
            id=person_id,
            index=index,
            name=f"{first.title()} {last.title()}",
            country=country,
            language=language,
            currency=currency,
            gender=gender,
            age_bucket=age,
            categories=categories,
            accounts=accounts,
        )

    def _presence(self, rng: random.Random, country: str) -> list[tuple[str, float]]:
        """The platforms a person is on, home first (its followers in full), others with a share of them."""
        names = [n for n in self.platforms if (n == "kuaishou") == (country == "CN")] or list(self.platforms)
        home = rng.choice(names)
        present = [(home, 1.0)]
        for name in self.platforms:
            if name != home and (name != "kuaishou" or country == "CN") and rng.random() < 0.3:
                present.append((name, math.exp(rng.gauss(math.log(0.3), 0.6))))
        return present

    def _account(self, profile: PlatformProfile, who: _Who, followers: int) -> Account:
        rng = random.Random(f"{self.seed}:{who.person_index}:{profile.name}")
        tier = tier_of(followers)
        low, high = profile.engagement[tier]
        average_views = max(10, round(followers * math.exp(rng.gauss(math.log(profile.views_per_follower), 0.6))))
        handle = profile.handle.format(first=who.first, last=who.last, id=_base36(who.person_index))
        usd = followers / 1000 * USD_PER_THOUSAND_FOLLOWERS[tier] * math.exp(rng.gauss(0, 0.35))
        exchange = COUNTRIES[who.country][3]
        quotes = tuple(
            RateQuote(
                deliverable=name,
                price=_nice_price(max(50.0, usd * factor * rng.uniform(0.9, 1.1)), exchange, who.currency),
            )
            for name, factor in profile.deliverables
        )
        return Account(
            platform=profile.name,
            account_id=str(profile.number * ID_BASE + who.person_index),
            handle=handle,
            person_id=who.person_id,
            tier=tier,
            followers=followers,
            following=rng.randint(50, 2500),
            post_count=round(math.exp(rng.uniform(math.log(20), math.log(1500)))),
            engagement_rate=round(rng.triangular(low * 0.7, high * 1.3, (low + high) / 2), 5),
            engagement_denominator=profile.denominator,
            average_views=average_views,
            median_views=round(average_views * rng.uniform(0.45, 0.8)),
            follower_growth_30d=round(rng.triangular(-0.02, 0.12, 0.015), 4),
            posting_every_days=round(rng.uniform(1.0, 7.0), 2),
            joined=self.as_of - timedelta(days=rng.randint(200, 3000)),
            audience=self._audience(rng, profile, who, followers),
            rates=quotes,
        )

    def _audience(self, rng: random.Random, profile: PlatformProfile, who: _Who, followers: int) -> Audience:
        home = rng.uniform(0.90, 0.99) if profile.name == "kuaishou" else rng.uniform(0.35, 0.85)
        others = rng.sample([c for c in COUNTRIES if c != who.country], 4)
        rest = sorted(_dirichlet(rng, tuple(COUNTRIES[c][0] for c in others), 30.0), reverse=True)
        countries = _rounded_shares((who.country, *others), [home, *((1 - home) * r for r in rest)])
        lean = {"female": 0.62, "male": 0.40}.get(who.gender, 0.5)
        female = min(0.95, max(0.05, rng.gauss(lean, 0.08)))
        other = rng.uniform(0.005, 0.03)
        split = [female * (1 - other), (1 - female) * (1 - other), other]
        genders = _rounded_shares(("female", "male", "other"), split)
        own = AGE_BUCKETS.index(who.age)
        base = tuple(w + (0.15 if i == own else 0.0) for i, w in enumerate(profile.ages))
        ages = _rounded_shares(AGE_BUCKETS, _dirichlet(rng, tuple(b / sum(base) for b in base), 40.0))
        return Audience(countries=countries, genders=genders, ages=ages, sample_size=followers, as_of=self.as_of)

    def _post(self, account: Account, number: int) -> Post:
        rng = random.Random(f"{self.seed}:{account.account_id}:post:{number}")
        cadence = account.posting_every_days
        published = self.as_of - timedelta(days=(number + rng.random()) * cadence)
        sponsored = rng.random() < 0.08
        views = max(1, round(account.average_views * math.exp(rng.gauss(-0.32, 0.8)) * (0.8 if sponsored else 1)))
        rate = account.engagement_rate * math.exp(rng.gauss(0, 0.3)) * (0.7 if sponsored else 1.0)
        base = views if account.engagement_denominator == "views" else account.followers
        engagements = round(base * rate)
        split = _dirichlet(rng, (0.85, 0.05, 0.06, 0.04), 60.0)
        likes, comments, shares = (round(engagements * s) for s in split[:3])
        final = PostMetrics(
            as_of=self.as_of,
            views=views,
            likes=likes,
            comments=comments,
            shares=shares,
            saves=max(0, engagements - likes - comments - shares),
        )
        tag = " #ad" if sponsored else ""
        return Post(
            post_id=f"{account.account_id}{number:06d}",
            platform=account.platform,
            account_id=account.account_id,
            number=number,
            published_at=published,
            sponsored=sponsored,
            caption=f"post {number} by @{account.handle}{tag}",
            final=final,
            growth_days=rng.uniform(0.7, 3.0),
        )
