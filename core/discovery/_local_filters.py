"""Post-filtering: what a platform approximated or ignored, applied here to the candidates it returned.

Each filter a page's report says was not applied exactly is checked on every candidate, from what the candidate
carries (its profile, metrics, rate card and audience). A candidate that fails is removed; one that lacks the
data is kept and listed as unchecked, because nothing says it fails. Three filters cannot be checked here at
all: ``keywords`` and ``similar_to`` are the platform's own relevance, and ``sort`` orders a whole result set,
not a page. What the core did with each is a :class:`LocalCheck`.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from ..entities import (
    AudienceFilter,
    Count,
    CountRange,
    CreatorCandidate,
    DiscoveryPage,
    DiscoveryQuery,
    FilterStatus,
    Money,
    Rate,
    RateRange,
)

__all__ = ["LocalCheck", "check_locally"]

#: Why a filter the platform did not apply cannot be made up for here.
NOT_CHECKABLE = {
    "keywords": "keyword relevance is the platform's own; it cannot be judged from a profile",
    "similar_to": "similarity is the platform's own; it cannot be judged from a profile",
    "sort": "a page cannot be re-sorted into the order of the whole result set",
}


@attrs.frozen(kw_only=True)
class LocalCheck:
    """What the core did about one filter the platform approximated or ignored.

    ``platform_status`` and ``platform_note`` repeat the page's report. ``applied`` says whether the core could
    apply the filter at all (``note`` says why not); ``removed`` lists the candidates (profile ids) it failed and
    ``unchecked`` those it could not check, for want of the figure.
    """

    filter: str
    platform_status: FilterStatus
    platform_note: str
    applied: bool
    removed: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()
    note: str = ""


# A check answers True (passes), False (fails) or None (the candidate does not carry what it needs).
Check = Callable[[DiscoveryQuery, CreatorCandidate], bool | None]


def _in_range(bounds: CountRange | None, figure: Count | None) -> bool | None:
    if bounds is None or figure is None:
        return None
    return bounds.holds(figure.value)


def _rate_in_range(bounds: RateRange | None, rate: Rate | None) -> bool | None:
    if bounds is None or rate is None or rate.denominator is not bounds.denominator:
        return None  # a rate over another denominator says nothing about this one
    if bounds.window is not None and rate.window != bounds.window:
        return None
    return bounds.holds(rate.value)


def _followers(query: DiscoveryQuery, candidate: CreatorCandidate) -> bool | None:
    figure = candidate.metrics.followers if candidate.metrics else None
    if figure is None:
        account = candidate.profile.account_on(candidate.platform)
        figure = account.followers if account else None
    return _in_range(query.followers, figure)


def _price(query: DiscoveryQuery, candidate: CreatorCandidate) -> bool | None:
    wanted, card = query.price, candidate.profile.rate_card
    if wanted is None or card is None:
        return None
    tiers = [tier for tier in card.tiers if wanted.deliverable in (None, tier.deliverable)]
    comparable: list[Money] = [tier.price for tier in tiers if tier.price.currency == wanted.currency]
    if any(wanted.holds(price) for price in comparable):
        return True
    # Only prices in the range's currency can fail it: another currency's needs a rate nobody here has.
    return False if comparable and len(comparable) == len(tiers) else None


def _audience(dimension: str) -> Check:
    def check(query: DiscoveryQuery, candidate: CreatorCandidate) -> bool | None:
        wanted: AudienceFilter = next(item for item in query.audience if item.dimension == dimension)
        breakdown = candidate.audience.breakdown(wanted.dimension) if candidate.audience else None
        if breakdown is None:
            return None
        low, high = breakdown.share_bounds(wanted.keys)
        if low >= wanted.min_share:
            return True
        return False if high < wanted.min_share else None

    return check


def _categories(query: DiscoveryQuery, candidate: CreatorCandidate) -> bool | None:
    labels = candidate.profile.categories
    return None if not labels else any(category in labels for category in query.categories)


def _countries(query: DiscoveryQuery, candidate: CreatorCandidate) -> bool | None:
    return None if candidate.profile.country is None else candidate.profile.country in query.countries


def _languages(query: DiscoveryQuery, candidate: CreatorCandidate) -> bool | None:
    spoken = candidate.profile.languages
    return None if not spoken else bool(set(query.languages) & set(spoken))


def _average_views(query: DiscoveryQuery, candidate: CreatorCandidate) -> bool | None:
    return _in_range(query.average_views, candidate.metrics.average_views if candidate.metrics else None)


def _median_views(query: DiscoveryQuery, candidate: CreatorCandidate) -> bool | None:
    return _in_range(query.median_views, candidate.metrics.median_views if candidate.metrics else None)


def _engagement_rate(query: DiscoveryQuery, candidate: CreatorCandidate) -> bool | None:
    return _rate_in_range(query.engagement_rate, candidate.metrics.engagement_rate if candidate.metrics else None)


def _follower_growth(query: DiscoveryQuery, candidate: CreatorCandidate) -> bool | None:
    rate = candidate.metrics.follower_growth_rate if candidate.metrics else None
    return _rate_in_range(query.follower_growth, rate)


CHECKS: dict[str, Check] = {
    "categories": _categories,
    "countries": _countries,
    "languages": _languages,
    "followers": _followers,
    "average_views": _average_views,
    "median_views": _median_views,
    "price": _price,
    "engagement_rate": _engagement_rate,
    "follower_growth": _follower_growth,
}


def check_locally(
    query: DiscoveryQuery, page: DiscoveryPage, *, drop_unchecked: bool = False
) -> tuple[tuple[CreatorCandidate, ...], tuple[LocalCheck, ...]]:
    """The candidates of ``page`` that pass every filter of ``query`` the platform did not apply exactly, and what
    was done about each such filter.

    ``page.filters`` is the platform's report (complete: the host fills in what a plugin left out). With
    ``drop_unchecked`` a candidate that could not be checked is removed too (and still listed as unchecked).
    """
    kept = list(page.candidates)
    checks = []
    for outcome in page.filters:
        if outcome.status is FilterStatus.APPLIED:
            continue
        name = outcome.filter
        check = CHECKS.get(name)
        if check is None and name.startswith("audience."):
            check = _audience(name.removeprefix("audience."))
        if check is None:
            checks.append(
                LocalCheck(
                    filter=name,
                    platform_status=outcome.status,
                    platform_note=outcome.note,
                    applied=False,
                    note=NOT_CHECKABLE.get(name, "no local check for this filter"),
                )
            )
            continue
        removed, unchecked, passing = [], [], []
        for candidate in kept:
            verdict = check(query, candidate)
            if verdict is None:
                unchecked.append(candidate.profile.id)
            if verdict is False or (verdict is None and drop_unchecked):
                removed.append(candidate.profile.id)
            else:
                passing.append(candidate)
        kept = passing
        checks.append(
            LocalCheck(
                filter=name,
                platform_status=outcome.status,
                platform_note=outcome.note,
                applied=True,
                removed=tuple(removed),
                unchecked=tuple(unchecked),
            )
        )
    return tuple(kept), tuple(checks)
