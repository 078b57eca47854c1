"""TikTok One's creator rankings (``GET tto/tcm/rank/``): beyond the stage hooks, a public method of the plugin.

TikTok ranks Creator Marketplace creators by branded or organic content, over the last week or month (or the one
or two before: ``time_period_lookback``), optionally within one RANKING label (``GET tto/tcm/category/label/
?label_type=RANKING``) and one country. Each ranked creator is a full creator object (read with the discovery's
:class:`~creatorkit_tiktok._insights.Normaliser`) plus the rank's own figures, kept in :class:`RankedCreator`.

How TikTok computes ``score``, which window ``branded_content_*`` covers and what unit ``starting_price`` is in
are not documented: the plugin reads the branded figures as the ranking's period (7 or 30 days, unverified) and
the starting price as major units of ``starting_price_currency``, as the creator price is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import attrs

from creatorkit import CallContext, InvalidRequest, Money
from creatorkit import entities as ent
from creatorkit.entities import Capability

from . import _api as api
from ._base import TikTokBase
from ._insights import Normaliser, _money, objects

__all__ = ["LOOKBACKS", "PERIODS", "RANKING_TYPES", "RankedCreator", "RankingHooks"]

RANKING_TYPES = ("BRANDED_CONTENT", "ORGANIC_CONTENT")
PERIODS = ("WEEK", "MONTH")
LOOKBACKS = ("ONE", "TWO", "THREE")
#: Creators per rank page at most (TikTok documents no limit; the plugin's other lists stay at 100 or below).
MAX_RANK_PAGE_SIZE = 100
_PERIOD_DAYS = {"WEEK": 7, "MONTH": 30}


@attrs.frozen
class RankedCreator:
    """One creator of a TikTok One ranking: the creator as discovery gives it, and the rank's own figures.

    ``rank`` is the place in the ranking (1 is first), counted from the page asked for. Figures TikTok left out
    are ``None``; ``follower_growth`` may be negative. The branded engagement rate is per branded video view,
    with the branded views as its denominator.
    """

    rank: int
    candidate: ent.CreatorCandidate
    ranking_type: str
    score: float | None
    ranking_change: str | None
    country: str | None
    followers: int | None
    follower_growth: int | None
    branded_content_views: ent.Count | None
    branded_content_engagement_rate: ent.Rate | None
    total_video_views: ent.Count | None
    starting_price: Money | None
    updated_at: datetime | None


def _choice(field: str, value: str, allowed: tuple[str, ...], platform: str) -> str:
    if value not in allowed:
        raise InvalidRequest(platform, f"{field} must be one of {', '.join(allowed)}, not {value!r}", field=field)
    return value


class RankingHooks(TikTokBase):
    """TikTok One's creator rankings (see the module's docstring); no stage hook, so no capability."""

    CAPABILITIES: ClassVar[frozenset[Capability]] = frozenset()
    MISSING: ClassVar[dict[str, str]] = {}

    def rankings(
        self,
        context: CallContext | None,
        *,
        ranking_type: str = "BRANDED_CONTENT",
        period: str = "WEEK",
        lookback: str = "ONE",
        label_id: str | int | None = None,
        country: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> list[RankedCreator]:
        """One page of TikTok One's ranking (``GET tto/tcm/rank/``) with the brand's connection, best first.

        ``period`` is the ranking's length, ``lookback`` which one (``ONE``: the latest); ``label_id`` a RANKING
        label's id; ``country`` an ISO 3166 alpha-2 code. A value TikTok does not take is an ``InvalidRequest``
        naming its field, before any call."""
        _choice("ranking_type", ranking_type, RANKING_TYPES, self.name)
        _choice("period", period, PERIODS, self.name)
        _choice("lookback", lookback, LOOKBACKS, self.name)
        if country is not None and not (len(country) == 2 and country.isascii() and country.isalpha()):
            raise InvalidRequest(
                self.name, f"country must be a two-letter country code, not {country!r}", field="country"
            )
        if label_id is not None and not str(label_id).isdigit():
            raise InvalidRequest(
                self.name, f"label_id must be a RANKING label's id, not {label_id!r}", field="label_id"
            )
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            raise InvalidRequest(self.name, f"page must be 1 or more, not {page!r}", field="page")
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_RANK_PAGE_SIZE:
            raise InvalidRequest(
                self.name, f"page_size must be 1 to {MAX_RANK_PAGE_SIZE}, not {page_size!r}", field="page_size"
            )
        data = self._get(
            "tto/tcm/rank/",
            context,
            tto_tcm_account_id=self._account_id(context),
            ranking_type=ranking_type,
            time_period=period,
            time_period_lookback=lookback,
            label_id=None if label_id is None else str(label_id),
            country_code=None if country is None else country.upper(),
            page=page,
            page_size=page_size,
        )
        updated = api.instant(data.get("last_updated_at"))
        normaliser = Normaliser(self.name, updated or self._now())
        window = ent.Window.days(_PERIOD_DAYS[period])
        first = (page - 1) * page_size + 1
        return [
            self._ranked(normaliser, row, place, ranking_type, window, updated)
            for place, row in enumerate(objects(data.get("creators")), first)
        ]

    def _ranked(
        self,
        normaliser: Normaliser,
        row: Mapping[str, Any],
        place: int,
        ranking_type: str,
        window: ent.Window,
        updated: datetime | None,
    ) -> RankedCreator:
        branded = normaliser.count(row.get("branded_content_video_views"), window)
        rate = normaliser.rate(
            row.get("branded_content_engagement_rate"), window, over=branded.value if branded is not None else None
        )
        score = api.fraction(row.get("score"))
        country = row.get("country") or row.get("country_code")
        return RankedCreator(
            rank=place,
            candidate=normaliser.candidate(row),
            ranking_type=ranking_type,
            score=score if score is not None and math.isfinite(score) else None,
            ranking_change=str(row["ranking_change"]) if row.get("ranking_change") else None,
            country=str(country).upper() if country else None,
            followers=api.number(row.get("number_of_followers") or row.get("followers_count")),
            follower_growth=api.number(row.get("follower_growth")),
            branded_content_views=branded,
            branded_content_engagement_rate=rate,
            total_video_views=normaliser.count(row.get("total_video_views")),
            starting_price=_money(row.get("starting_price"), row.get("starting_price_currency")),
            updated_at=updated,
        )
