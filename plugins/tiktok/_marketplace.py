"""Discovery, lookup, creator metrics, audiences and batched post metrics through TikTok One's Creator Marketplace.

Discovery is ``GET tto/tcm/creator/discover/`` with every filter it has, translated from the core's query, and a
filter report that says what TikTok does with each (see :data:`FILTERS_NOT_OFFERED` and :class:`_Plan`).
Categories are TikTok's content label ids, read from ``GET tto/tcm/category/label/?label_type=SEARCH`` on a
query's first page and carried in its cursor to the next pages (so the ids stay those the query started with,
and nothing is kept on the plugin that could go stale). The cursor is the page number, the page size and those
labels, base64 JSON the caller never reads.

Lookup, metrics and audiences read ``tto/tcm/creator/public/`` by handle (TikTok answers 40121 for a handle that
is not a Creator Marketplace creator: ``NotFound``) and the creator's public video list; with a creator's own
grant in the call context, the authorised ``tto/creator/authorized/`` endpoints instead, with the creator's
token. Post metrics read the campaign report (:mod:`._reports`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import attrs

from creatorkit import CallContext, NotFound, hookimpl
from creatorkit import entities as ent
from creatorkit import toolkit as tk
from creatorkit.discovery import CategoryMap
from creatorkit.entities import Capability
from creatorkit.errors import InvalidRequest

from . import _api as api
from ._base import TikTokBase
from ._insights import Normaliser, category_map
from ._reports import read_batch

__all__ = ["FILTERS_NOT_OFFERED", "MAX_PAGE_SIZE", "RECENT_VIDEOS", "MarketplaceHooks"]

#: Creators per discovery page at most: TikTok One documents no limit (the Creator Marketplace's was 1–200, with
#: 250 results in all), so a page stays modest.
MAX_PAGE_SIZE = 50
#: Recent videos read to compute the figures TikTok One does not give (average views, likes, comments).
RECENT_VIDEOS = 20
#: The public and authorised video lists answer at most ten videos a call.
VIDEOS_PER_CALL = 10
#: What TikTok One's discovery has no filter for.
FILTERS_NOT_OFFERED = {
    "follower_growth": "TikTok One's discovery has no follower-growth filter",
    "similar_to": "TikTok One has no search for creators like given ones",
}
_SORTS = {
    ent.SortField.RELEVANCE: "RELEVANCE",
    ent.SortField.FOLLOWERS: "FOLLOWERS",
    ent.SortField.MEDIAN_VIEWS: "MEDIAN_VIEWS",
    ent.SortField.ENGAGEMENT_RATE: "ENGAGEMENT_RATE",
}
#: TikTok's follower age groups, by the index of each finest canonical bucket (13-17 has none: TikTok's
#: audience ages start at 18, and its last group holds 55-64 and 65+ together).
_TIKTOK_AGES = {1: "18-24", 2: "25-34", 3: "35-44", 4: "45-54", 5: "55+", 6: "55+"}
#: The follower gender ratios TikTok One's discover takes: at least 50, 60 or 70 % of one gender (the format is
#: not in TikTok's public reference; it is that of a TikTok One client, and unverified).
_GENDER_STEPS = (0.5, 0.6, 0.7)


#: The core categories' names, which a cursor's labels may carry.
_CATEGORY_NAMES = frozenset(category.value for category in ent.Category)


def _decimal_text(value: Decimal | float) -> str:
    """A number as TikTok reads it, shortest form: 850 for 850.00, 0.05 for 0.0500."""
    return format(Decimal(str(value)).normalize(), "f")


def _query_digest(query: ent.DiscoveryQuery) -> str:
    """What identifies a query across its pages: everything but its cursor and its page size."""
    return hashlib.sha256(repr(attrs.evolve(query, cursor=None, limit=1)).encode()).hexdigest()[:16]


@attrs.define
class _Cursor:
    """Where a discovery walk is: the page to fetch, its size, and the label ids the query's categories became
    (each with the categories it stands for, so the next pages report exactly what the first did)."""

    page: int = 1
    size: int = 0
    labels: dict[str, list[str]] | None = None
    #: A digest of the query the cursor pages through (:func:`_query_digest`): a cursor belongs to its query.
    query: str = ""

    def encode(self) -> str:
        body = {"p": self.page, "s": self.size, "l": self.labels, "q": self.query}
        return base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None, platform: str, query: str) -> _Cursor:
        if not text:
            return cls(query=query)
        try:
            body = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            page, size, labels = int(body["p"]), int(body["s"]), body.get("l")
            carried = labels if isinstance(labels, dict) else None
            valid = page >= 1 and 1 <= size <= MAX_PAGE_SIZE and body.get("q") == query
            named = (carried or {}).values()
            valid = valid and all(isinstance(names, list) and set(names) <= _CATEGORY_NAMES for names in named)
        except (binascii.Error, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            valid = False
        if not valid:
            raise InvalidRequest(
                platform, "this is not a TikTok discovery cursor, or not one of this query's", field="cursor"
            )
        return cls(page=page, size=size, labels=carried, query=query)

    def category_map(self, platform: str) -> CategoryMap:
        """The categories as the labels carried (only those the query uses, which is all its report needs)."""
        by_category: dict[ent.Category, list[str]] = {}
        for label_id, categories in (self.labels or {}).items():
            for category in categories:
                by_category.setdefault(ent.Category(category), []).append(label_id)
        return CategoryMap(platform=platform, labels={k: tuple(v) for k, v in by_category.items()})


@attrs.define
class _Plan:
    """The discover call's parameters for one query, and what TikTok does with each filter set."""

    params: dict[str, Any] = attrs.Factory(dict)
    applied: list[str] = attrs.Factory(list)
    approximated: dict[str, str] = attrs.Factory(dict)
    ignored: dict[str, str] = attrs.Factory(lambda: dict(FILTERS_NOT_OFFERED))
    outcomes: list[ent.FilterOutcome] = attrs.Factory(list)

    @classmethod
    def of(cls, query: ent.DiscoveryQuery) -> _Plan:
        plan = cls()
        if query.keywords:
            plan.params["keyword_search"] = query.keywords
            plan.applied.append("keywords")
        if query.countries:
            plan.params["country_codes"] = list(query.countries)
            plan.applied.append("countries")
        if query.languages:
            plan.params["languages"] = list(query.languages)
            plan.applied.append("languages")
        for name, low, high in (
            ("followers", "min_followers", "max_followers"),
            ("average_views", "min_avg_views", "max_avg_views"),
            ("median_views", "min_median_views", "max_median_views"),
        ):
            bounds: ent.CountRange | None = getattr(query, name)
            if bounds is not None:
                plan.params.update({low: bounds.min, high: bounds.max})
                plan.applied.append(name)
        plan.price(query.price)
        plan.engagement(query.engagement_rate)
        for audience in query.audience:
            plan.audience(audience)
        plan.sort(query.sort)
        return plan

    def price(self, price: ent.PriceRange | None) -> None:
        if price is None:
            return
        if price.deliverable not in (None, ent.DeliverableType.SHORT_VIDEO):
            self.ignored["price"] = f"TikTok One has a creator's price for a video only, not for {price.deliverable}"
            return
        for param, bound in (("min_creator_price", price.min), ("max_creator_price", price.max)):
            if bound is not None:
                self.params[param] = _decimal_text(bound.to_decimal())
        self.params["creator_price_currency"] = price.currency
        self.applied.append("price")

    def engagement(self, rate: ent.RateRange | None) -> None:
        if rate is None:
            return
        if rate.denominator is not ent.Denominator.VIEWS:
            why = f"TikTok One's engagement rate is per view; a rate per {rate.denominator} cannot be searched"
            self.ignored["engagement_rate"] = why
            return
        for param, bound in (("min_engagement_rate", rate.min), ("max_engagement_rate", rate.max)):
            if bound is not None:
                self.params[param] = _decimal_text(bound)
        if rate.window is None:
            self.applied.append("engagement_rate")
        else:
            note = f"TikTok computes the rate over its own window (its recent videos), not the {rate.window}"
            self.approximated["engagement_rate"] = note

    def audience(self, audience: ent.AudienceFilter) -> None:
        name, share = audience.name, f"{audience.min_share:.0%}"
        if audience.dimension is ent.AudienceDimension.COUNTRY:
            self.params["follower_country_codes"] = list(audience.keys)
            keys = ", ".join(audience.keys)
            self.approximated[name] = (
                f"TikTok matches creators whose largest follower country is one of {keys}; the core checks that at "
                f"least {share} of followers are there"
            )
        elif audience.dimension is ent.AudienceDimension.GENDER:
            self._gender(audience)
        elif audience.dimension is ent.AudienceDimension.AGE:
            self._age(audience)
        else:
            self.ignored[name] = f"TikTok One's discovery has no {audience.dimension} filter"

    def _gender(self, audience: ent.AudienceFilter) -> None:
        name = audience.name
        if audience.keys not in (("female",), ("male",)):
            self.ignored[name] = "TikTok's follower gender ratio is a share of female or of male followers"
            return
        steps = [step for step in _GENDER_STEPS if step <= audience.min_share + 1e-9]
        if not steps:
            self.ignored[name] = "TikTok's follower gender ratio starts at 50 %"
            return
        step = steps[-1]
        self.params["follower_gender_ratio"] = f"{audience.keys[0].upper()}_{round(step * 100)}"
        if abs(step - audience.min_share) < 1e-9:
            self.applied.append(name)
        else:
            self.approximated[name] = (
                f"TikTok's gender ratio comes in steps of 50, 60 and 70 %: searched {step:.0%} or more "
                f"{audience.keys[0]}; the core checks at least {audience.min_share:.0%}"
            )

    def _age(self, audience: ent.AudienceFilter) -> None:
        name = audience.name
        covered = frozenset().union(*(ent.age_range(key).buckets for key in audience.keys))
        groups = {_TIKTOK_AGES.get(index) for index in covered}
        if len(groups) != 1 or None in groups:
            self.ignored[name] = (
                "TikTok's follower age filter takes one of its groups (18-24, 25-34, 35-44, 45-54, 55+)"
            )
            return
        group = groups.pop()
        assert group is not None
        self.params["follower_age"] = group
        self.approximated[name] = (
            f"TikTok matches creators whose largest follower age group is {group}; the core checks that at least "
            f"{audience.min_share:.0%} are aged {', '.join(audience.keys)}"
        )

    def sort(self, sort: ent.DiscoverySort | None) -> None:
        if sort is None:
            return
        field = _SORTS.get(sort.field)
        if field is None and sort.field is ent.SortField.AVERAGE_VIEWS:
            field = "MEDIAN_VIEWS"
            self.approximated["sort"] = "sorted by median views: TikTok One sorts by no average"
        elif field is None:
            self.ignored["sort"] = f"TikTok One cannot sort by {sort.field}"
            return
        else:
            self.applied.append("sort")
        self.params["sort_field"] = field
        self.params["sort_order"] = "ASC" if sort.direction is ent.SortDirection.ASCENDING else "DESC"

    def categories(self, query: ent.DiscoveryQuery, labels: CategoryMap) -> list[str]:
        ids = list(labels.to_platform(query.categories))
        if ids:
            self.params["content_label_ids"] = ids
        self.outcomes.append(labels.outcome(query.categories))
        return ids


class MarketplaceHooks(TikTokBase):
    """Discovery, lookup, creator metrics, audiences and batched post metrics."""

    #: The capabilities this part implements, and what it says of the stages it leaves out.
    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.DISCOVERY, Capability.CREATOR_LOOKUP, Capability.METRICS, Capability.AUDIENCE}
        | {Capability.POST_METRICS}
    )
    MISSING: ClassVar[dict[str, str]] = {
        Capability.IMPORT: "TikTok One answers creators, campaigns and reports through its API; there is no partner "
        "export to import",
    }

    # -- discovery -----------------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_discover_creators(self, query: ent.DiscoveryQuery, context: CallContext | None) -> ent.DiscoveryPage:
        account = self._account_id(context)
        cursor = _Cursor.decode(query.cursor, self.name, _query_digest(query))
        size = cursor.size or min(query.limit, MAX_PAGE_SIZE)
        plan = _Plan.of(query)
        if query.categories:
            if cursor.labels is None:
                cursor.labels = self._search_labels(query, account, context)
            plan.categories(query, cursor.category_map(self.name))
        paging: dict[str, Any] = {"tto_tcm_account_id": account, "page": cursor.page, "page_size": size}
        data = self._get("tto/tcm/creator/discover/", context, **paging, **plan.params)
        creators = [creator for creator in data.get("creators") or () if isinstance(creator, Mapping)]
        info = data.get("page_info") if isinstance(data.get("page_info"), Mapping) else {}
        pages = tk.Page.numbered(creators, page=cursor.page, total_pages=api.number(info.get("total_page")) or 0)
        normaliser = Normaliser(self.name, self._now())
        following = None
        if pages.next is not None:
            following = _Cursor(page=pages.next, size=size, labels=cursor.labels, query=cursor.query).encode()
        filters = query.report(
            applied=plan.applied,
            approximated=plan.approximated,
            ignored=plan.ignored,
            outcomes=plan.outcomes,
            otherwise="TikTok One's discovery has no such filter",
        )
        return ent.DiscoveryPage(
            platform=self.name,
            candidates=tuple(normaliser.candidate(creator) for creator in creators),
            next_cursor=following,
            total=api.number(info.get("total_number")),
            filters=filters,
        )

    def _search_labels(
        self, query: ent.DiscoveryQuery, account: str, context: CallContext | None
    ) -> dict[str, list[str]]:
        """The content label ids the query's categories become, each with every category it stands for."""
        data = self._get("tto/tcm/category/label/", context, tto_tcm_account_id=account, label_type="SEARCH")
        labels = category_map(self.name, data.get("content_labels") or ())
        used = labels.to_platform(query.categories)
        return {label: [category.value for category, ids in labels.labels.items() if label in ids] for label in used}

    # -- one creator ---------------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_lookup_creator(self, handle: str, context: CallContext | None) -> ent.CreatorCandidate:
        return Normaliser(self.name, self._now()).candidate(self._public_creator(handle, context))

    def _public_creator(self, handle: str, context: CallContext | None) -> Mapping[str, Any]:
        name = handle.strip().lstrip("@")
        try:
            creator = self._get(
                "tto/tcm/creator/public/", context, tto_tcm_account_id=self._account_id(context), handle_name=name
            )
        except NotFound as exc:  # 40121: not a Creator Marketplace creator; 40122: not in a marketplace region
            raise NotFound("creator", name, platform=self.name, code=exc.code, request_id=exc.request_id) from None
        if not isinstance(creator, Mapping) or not (creator.get("creator_id") or creator.get("handle_name")):
            raise NotFound("creator", name, platform=self.name)
        return creator

    def _creator(
        self, account: ent.PlatformAccount, context: CallContext | None, *, videos: bool
    ) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
        """The creator object and (with ``videos``) its recent videos: through the creator's own grant when the
        context carries one (its token is the context's), else the brand's public insights by handle."""
        grant = context.grant if context is not None else None
        if grant is not None:
            if grant.handle and grant.handle.lstrip("@").casefold() != account.handle.lstrip("@").casefold():
                raise InvalidRequest(
                    self.name, f"grant {grant.id} is @{grant.handle}'s, not @{account.handle}'s", field="grant"
                )
            creator_id = grant.details.get("creator_id") or grant.account_id
            creator = self._get("tto/creator/authorized/", context, as_creator=True, creator_id=creator_id)
            path, params = "tto/creator/authorized/video/list/", {"creator_id": creator_id, "as_creator": True}
        else:
            creator = self._public_creator(account.handle, context)
            path = "tto/tcm/creator/public/video/list/"
            params = {"tto_tcm_account_id": self._account_id(context), "handle_name": account.handle}
        return creator, self._recent_videos(path, context, params) if videos else []

    def _recent_videos(
        self, path: str, context: CallContext | None, params: Mapping[str, Any]
    ) -> list[Mapping[str, Any]]:
        def page(cursor: int | None) -> tk.Page[Mapping[str, Any]]:
            data = self._get(path, context, **params, limit=VIDEOS_PER_CALL, cursor=cursor)
            posts = [post for post in data.get("posts") or () if isinstance(post, Mapping)]
            info = data.get("page_info") or data  # the public list nests them; the authorised one does not
            return tk.Page.cursor(posts, cursor=api.number(info.get("cursor")), has_more=bool(info.get("has_more")))

        walk = tk.paginate(page, max_pages=-(-RECENT_VIDEOS // VIDEOS_PER_CALL), platform=self.name)
        return list(walk)[:RECENT_VIDEOS]

    @hookimpl
    def creatorkit_fetch_creator_metrics(
        self, account: ent.PlatformAccount, context: CallContext | None, period: ent.Period | None
    ) -> ent.CreatorMetrics:
        # TikTok One's insights take no period: the figures are its own windows, so the answer's period is None.
        creator, videos = self._creator(account, context, videos=True)
        return Normaliser(self.name, self._now()).metrics(creator, account.account_id, videos)

    @hookimpl
    def creatorkit_fetch_audience(
        self, account: ent.PlatformAccount, context: CallContext | None
    ) -> ent.AudienceProfile:
        creator, _ = self._creator(account, context, videos=False)
        return Normaliser(self.name, self._now()).audience(creator, account.account_id)

    # -- posts ---------------------------------------------------------------------------------------------------

    @hookimpl
    def creatorkit_fetch_post_metrics_batch(
        self, request: ent.PostMetricsRequest, context: CallContext | None
    ) -> ent.PostMetricsBatch:
        def get(path: str, **params: Any) -> Any:
            return self._get(path, context, **params)

        return read_batch(self.name, get, self._account_id(context), request, self._now())
