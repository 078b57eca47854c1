"""Discovery v2: the filters real creator marketplaces offer, and each page's report of what was done with them.

A :class:`DiscoveryQuery` names what a brand looks for in the SDK's own terms: ranges of followers, views, price
(with its currency) and engagement (with its denominator), audience shares, categories from the core vocabulary.
No platform offers all of them, and none offers them in these terms: each plugin translates what its platform
can do and says, on every :class:`DiscoveryPage`, which filters its platform **applied**, which it
**approximated** (and how) and which it **ignored** (and why), as one :class:`FilterOutcome` per filter set.
The core (``creatorkit.discovery``) then applies locally what was approximated or ignored, where the candidates
carry the data, and says which candidates it could not check.

A filter is named as :data:`DISCOVERY_FILTERS` lists it; audience filters by dimension (``audience.gender``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ..money import Money
from ._audience import AudienceDimension, canonical_key
from ._categories import Category, to_categories
from ._common import (
    FieldValueError,
    Window,
    country_code,
    finite,
    non_negative,
    non_negative_amount,
    platform_name,
    positive,
    typed_fields,
    unit_interval,
)
from ._creators import CreatorCandidate, DeliverableType, PlatformAccount
from ._metrics import Denominator

__all__ = [
    "DISCOVERY_FILTERS",
    "AudienceFilter",
    "CountRange",
    "DiscoveryPage",
    "DiscoveryQuery",
    "DiscoverySort",
    "FilterOutcome",
    "FilterStatus",
    "PriceRange",
    "RateRange",
    "SortDirection",
    "SortField",
]


def _ordered(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A range has a bound, and its lower bound is not above its upper one."""
    low, high = instance.min, value
    if low is None and high is None:
        raise FieldValueError(attribute.name, "a range needs a min, a max or both")
    if isinstance(low, Money) and isinstance(high, Money):
        if low.currency != high.currency:
            raise FieldValueError(attribute.name, f"is in {high.currency}, min in {low.currency}")
        low, high = low.amount, high.amount
    if low is not None and high is not None and low > high:
        raise FieldValueError(attribute.name, f"is below min ({instance.min})")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CountRange:
    """From ``min`` to ``max`` inclusive (followers, views); either bound may be left open."""

    min: int | None = attrs.field(default=None, validator=non_negative)
    max: int | None = attrs.field(default=None, validator=[non_negative, _ordered])

    def holds(self, value: int | float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class RateRange:
    """A rate from ``min`` to ``max`` inclusive, over ``denominator``: engagement per view and per follower differ
    by an order of magnitude, so a range without its denominator would mean nothing.

    ``window`` is what the rate is computed over (``Window.days(30)`` for 30-day follower growth); ``None``
    leaves it to the platform.
    """

    min: float | None = attrs.field(default=None, validator=finite)
    max: float | None = attrs.field(default=None, validator=[finite, _ordered])
    denominator: Denominator
    window: Window | None = None

    def holds(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PriceRange:
    """What a creator charges, from ``min`` to ``max`` in one currency, for ``deliverable`` (any, when ``None``)."""

    min: Money | None = attrs.field(default=None, validator=non_negative_amount)
    max: Money | None = attrs.field(default=None, validator=[non_negative_amount, _ordered])
    deliverable: DeliverableType | None = None

    @property
    def currency(self) -> str:
        bound = self.min or self.max
        assert bound is not None  # _ordered refuses a range without bounds
        return bound.currency

    def holds(self, price: Money) -> bool:
        """Whether ``price`` lies in the range; a price in another currency is never compared (no FX here)."""
        if price.currency != self.currency:
            raise ValueError(f"a {price.currency} price cannot be compared with a {self.currency} range")
        return (self.min is None or price.amount >= self.min.amount) and (
            self.max is None or price.amount <= self.max.amount
        )


def _canonical_filter_keys(instance: AudienceFilter, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    if not value:
        raise FieldValueError(attribute.name, "name at least one bucket")
    if instance.dimension is AudienceDimension.GENDER_AGE:
        raise FieldValueError("dimension", "filter on gender and on age separately")
    for key in value:
        try:
            canonical = canonical_key(instance.dimension, key)
        except ValueError as exc:  # ValidationError is a ValueError too
            raise FieldValueError(attribute.name, f"{key!r}: {exc}") from None
        if canonical != key:
            raise FieldValueError(attribute.name, f"{key!r} is written {canonical!r} in the core's buckets")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AudienceFilter:
    """At least ``min_share`` of the creator's audience in ``keys`` (canonical buckets, taken together).

    "At least 40 % female" is ``AudienceFilter(dimension=GENDER, keys=("female",), min_share=0.4)``; "at least
    30 % aged 18–24" is ``AudienceFilter(dimension=AGE, keys=("18-24",), min_share=0.3)``.
    """

    dimension: AudienceDimension
    keys: tuple[str, ...] = attrs.field(validator=_canonical_filter_keys)
    min_share: float = attrs.field(validator=unit_interval)

    @property
    def name(self) -> str:
        """How the filter report names this filter: ``audience.gender``."""
        return f"audience.{self.dimension}"


class SortField(enum.StrEnum):
    RELEVANCE = "relevance"
    FOLLOWERS = "followers"
    AVERAGE_VIEWS = "average_views"
    MEDIAN_VIEWS = "median_views"
    ENGAGEMENT_RATE = "engagement_rate"
    FOLLOWER_GROWTH = "follower_growth"
    PRICE = "price"


class SortDirection(enum.StrEnum):
    ASCENDING = "ascending"
    DESCENDING = "descending"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class DiscoverySort:
    """The order results come in: by ``field``, largest first unless ``direction`` says otherwise."""

    field: SortField
    direction: SortDirection = SortDirection.DESCENDING


class FilterStatus(enum.StrEnum):
    """What a platform did with one filter of a query."""

    APPLIED = "applied"  # the platform filtered exactly on it
    APPROXIMATED = "approximated"  # on something close, which ``note`` names ("median views as average views")
    IGNORED = "ignored"  # not at all; ``note`` says why


def _note_explains(instance: FilterOutcome, attribute: attrs.Attribute[str], value: str) -> None:
    if instance.status is not FilterStatus.APPLIED and not value.strip():
        raise FieldValueError(attribute.name, f"an {instance.status} filter says how or why")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class FilterOutcome:
    """One line of a page's filter report: the ``filter`` (as :data:`DISCOVERY_FILTERS` names it), its
    ``status``, and how it was approximated or why it was ignored."""

    filter: str
    status: FilterStatus
    note: str = attrs.field(default="", validator=_note_explains)


def _one_filter_per_dimension(
    instance: DiscoveryQuery, attribute: attrs.Attribute[Any], value: tuple[AudienceFilter, ...]
) -> None:
    dimensions = [item.dimension for item in value]
    if len(set(dimensions)) != len(dimensions):
        raise FieldValueError(attribute.name, "one audience filter per dimension (list several keys in it)")


def _growth_per_follower(instance: DiscoveryQuery, attribute: attrs.Attribute[Any], value: RateRange | None) -> None:
    if value is not None and value.denominator is not Denominator.FOLLOWERS:
        raise FieldValueError(attribute.name, "follower growth is a rate over followers")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class DiscoveryQuery:
    """What to look for. Every field left at its default filters nothing; ``limit`` and ``cursor`` page.

    A plugin reports, on every page, what its platform did with each filter set (see :meth:`report`);
    reusing a page's cursor with a different query is refused by the core.
    """

    keywords: str = ""
    categories: tuple[Category, ...] = attrs.field(default=(), converter=to_categories)
    #: Where the creator is (ISO 3166-1 alpha-2), any of them.
    countries: tuple[str, ...] = attrs.field(default=(), validator=country_code)
    #: What the creator speaks (ISO 639-1), any of them.
    languages: tuple[str, ...] = ()
    followers: CountRange | None = None
    average_views: CountRange | None = None
    median_views: CountRange | None = None
    price: PriceRange | None = None
    engagement_rate: RateRange | None = None
    follower_growth: RateRange | None = attrs.field(default=None, validator=_growth_per_follower)
    audience: tuple[AudienceFilter, ...] = attrs.field(default=(), validator=_one_filter_per_dimension)
    #: Creators like these accounts; a platform uses those on itself and ignores the others.
    similar_to: tuple[PlatformAccount, ...] = ()
    sort: DiscoverySort | None = None
    limit: int = attrs.field(default=50, validator=positive)
    cursor: str | None = None

    def filters_set(self) -> tuple[str, ...]:
        """The names of the filters this query sets, in :data:`DISCOVERY_FILTERS` order."""
        present = {item.name for item in self.audience}
        for name in _PLAIN_FILTERS:
            if getattr(self, name) not in (None, "", ()):
                present.add(name)
        return tuple(name for name in DISCOVERY_FILTERS if name in present)

    def report(
        self,
        *,
        applied: Iterable[str] = (),
        approximated: Mapping[str, str] | None = None,
        ignored: Mapping[str, str] | None = None,
        outcomes: Iterable[FilterOutcome] = (),
        otherwise: str = "the platform has no such filter",
    ) -> tuple[FilterOutcome, ...]:
        """The filter report for a page of this query, from what the plugin's platform can do.

        Name every filter the platform applies (``applied``), approximates (with how) and ignores (with why), or
        give a line already made (``outcomes``, such as :meth:`creatorkit.discovery.CategoryMap.outcome`'s). A
        plugin may list everything it supports whatever the query sets: only the filters this query sets are
        reported. A filter set but named nowhere is reported ignored, for the reason ``otherwise``.

        :raises ValueError: for a name that is no discovery filter (a typo would otherwise report nothing).
        """
        approximated, ignored = approximated or {}, ignored or {}
        made = {outcome.filter: outcome for outcome in outcomes}
        unknown = sorted({*applied, *approximated, *ignored, *made} - set(DISCOVERY_FILTERS))
        if unknown:
            raise ValueError(f"not discovery filters: {unknown} (known: {', '.join(DISCOVERY_FILTERS)})")
        done = set(applied)
        report = []
        for name in self.filters_set():
            if name in made:
                report.append(made[name])
            elif name in done:
                report.append(FilterOutcome(filter=name, status=FilterStatus.APPLIED))
            elif name in approximated:
                report.append(FilterOutcome(filter=name, status=FilterStatus.APPROXIMATED, note=approximated[name]))
            else:
                why = ignored.get(name, otherwise)
                report.append(FilterOutcome(filter=name, status=FilterStatus.IGNORED, note=why))
        return tuple(report)


_PLAIN_FILTERS = (
    "keywords",
    "categories",
    "countries",
    "languages",
    "followers",
    "average_views",
    "median_views",
    "price",
    "engagement_rate",
    "follower_growth",
    "similar_to",
    "sort",
)
#: Every filter a query may set, as a filter report names it.
DISCOVERY_FILTERS: tuple[str, ...] = (
    *_PLAIN_FILTERS[:10],
    *(f"audience.{dimension}" for dimension in AudienceDimension if dimension is not AudienceDimension.GENDER_AGE),
    *_PLAIN_FILTERS[10:],
)


def _one_outcome_per_filter(instance: Any, attribute: attrs.Attribute[Any], value: tuple[FilterOutcome, ...]) -> None:
    names = [outcome.filter for outcome in value]
    if len(set(names)) != len(names):
        raise FieldValueError(attribute.name, "reports a filter twice")
    for outcome in value:
        if outcome.filter not in DISCOVERY_FILTERS:
            known = ", ".join(DISCOVERY_FILTERS)
            raise FieldValueError(attribute.name, f"{outcome.filter!r} is not a discovery filter ({known})")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class DiscoveryPage:
    """One page of discovery results from one platform.

    ``next_cursor`` fetches the next page; a page may hold fewer than ``limit`` candidates (even none) and still
    have one, since a platform filters after paging or the core removes what a platform could not filter out.
    Only ``next_cursor`` being ``None`` means the end. ``filters`` is the report: one :class:`FilterOutcome` per
    filter the query set.
    """

    platform: str = attrs.field(validator=platform_name)
    candidates: tuple[CreatorCandidate, ...] = ()
    next_cursor: str | None = None
    total: int | None = attrs.field(default=None, validator=non_negative)
    filters: tuple[FilterOutcome, ...] = attrs.field(default=(), validator=_one_outcome_per_filter)

    def outcome_of(self, name: str) -> FilterOutcome | None:
        return next((outcome for outcome in self.filters if outcome.filter == name), None)
