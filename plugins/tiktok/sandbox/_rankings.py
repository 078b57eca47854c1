"""TikTok One's creator ranking (``GET tto/tcm/rank/``) over the marketplace part's creators, in the shape of
``fixtures/tto_tcm_rank.json``: each ranked creator is the discover creator object plus the rank's figures.

TikTok does not say how it scores; the sandbox's score (0-100) is made from followers, engagement and a draw
seeded per creator, ranking type, period and lookback, so a ranking repeats and the three choices differ. The
other figures are drawn the same way. ``label_id`` matches a creator with that content or industry label,
``country_code`` a creator of that country; pages hold 1 to 100 (20 by default).
"""

from __future__ import annotations

import json
import math
import random
from typing import TYPE_CHECKING, Any

from creatorkit import toolkit as tk

from ._marketplace import _TIME, _bad, _page_info, _paging, _required, _Row

if TYPE_CHECKING:
    from ._marketplace import Marketplace

__all__ = ["rank"]

#: What the rank takes: each enum parameter and its values.
RANK_CHOICES = {
    "ranking_type": ("BRANDED_CONTENT", "ORGANIC_CONTENT"),
    "time_period": ("WEEK", "MONTH"),
    "time_period_lookback": ("ONE", "TWO", "THREE"),
}


def rank(marketplace: Marketplace, request: tk.SandboxRequest) -> dict[str, Any]:
    """One page of the ranking, best score first (ties by account id)."""
    params, seed = request.params, marketplace.sandbox.seed
    _required(params, "tto_tcm_account_id")
    kinds = [_required(params, name) for name in RANK_CHOICES]
    for name, value in zip(RANK_CHOICES, kinds, strict=True):
        if value not in RANK_CHOICES[name]:
            raise _bad(name, f"must be one of {', '.join(RANK_CHOICES[name])}")
    page, size = _paging(params, default=20)
    label, country = params.get("label_id") or None, params.get("country_code") or None
    rows = [
        row
        for row in marketplace.rows()
        if label in (None, *row.labels, *row.industries) and country in (None, row.country)
    ]
    ranked = sorted((_figures(seed, row, kinds) for row in rows), key=lambda p: (-p[0]["score"], p[1]))
    creators = [json.loads(row.encoded) | figures for figures, _, row in ranked[(page - 1) * size : page * size]]
    updated = marketplace.population.as_of.replace(hour=0, minute=0, second=0, microsecond=0).strftime(_TIME)
    return {"creators": creators, "last_updated_at": updated, "page_info": _page_info(page, size, len(rows))}


def _figures(seed: int, row: _Row, kinds: list[str]) -> tuple[dict[str, Any], str, _Row]:
    """A creator's ranked figures, the account id (the order of ties) and the row."""
    account, rng = row.account, random.Random(f"{seed}:{row.account.account_id}:{kinds}")
    score = 6 * math.log10(1 + account.followers) + 300 * account.engagement_rate + 10 * rng.random()
    branded = account.median_views * rng.randint(1, 12) // (1 if kinds[0] == "BRANDED_CONTENT" else 3)
    figures = {
        "ranking_change": rng.choice(("NEW", "UP_1", "UP_3", "DOWN_2", "SAME")),
        "country": row.country,
        "score": round(min(100.0, score), 2),
        "number_of_followers": account.followers,
        "branded_content_video_views": branded,
        "branded_content_engagement_rate": round(account.engagement_rate * rng.uniform(0.8, 1.2), 4),
        "total_video_views": account.median_views * account.post_count,
        "starting_price": round(row.price),
        "starting_price_currency": row.currency,
        "follower_growth": round(account.followers * rng.uniform(-0.01, 0.04)),
    }
    return figures, account.account_id, row
