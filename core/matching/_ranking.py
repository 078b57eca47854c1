"""Ranking plugins: what scores each account for a brief, chosen by ``[analytics] ranking``.

A ranking plugin is an entry point in the ``creatorkit.ranking`` group naming a factory (a class or a function)
that takes the keyword arguments ``weights`` (:class:`~creatorkit.analytics.MatchWeights`, from ``[analytics]
weights``) and ``safety`` (the brief's banned-word check over captions, or None) and returns a
:class:`~creatorkit.analytics.Scorer`. The built-in ``default`` is :class:`DefaultScorer`, the named-component
score of :func:`~creatorkit.analytics.score_candidate`. A plugin that cannot be found or built is a
:class:`~creatorkit.errors.ConfigError` naming ``analytics.ranking``.
"""

from __future__ import annotations

from datetime import datetime
from importlib.metadata import entry_points
from typing import Any

import attrs

from ..analytics import BrandSafetyCheck, CatalogRecord, MatchWeights, Scorer, score_candidate
from ..config import AnalyticsSettings
from ..entities import CampaignBrief, Match
from ..errors import ConfigError, Problem, ValidationError

__all__ = ["RANKING_GROUP", "DefaultScorer", "load_scorer", "match_weights"]

RANKING_GROUP = "creatorkit.ranking"


class DefaultScorer(Scorer):
    """The built-in scorer: :func:`~creatorkit.analytics.score_candidate` with the configured weights."""

    def __init__(self, *, weights: MatchWeights, safety: BrandSafetyCheck | None = None) -> None:
        self.weights = weights
        self.safety = safety

    def score(self, brief: CampaignBrief, candidate: CatalogRecord, *, as_of: datetime) -> Match:
        return score_candidate(brief, candidate, as_of=as_of, weights=self.weights, safety=self.safety)


def match_weights(settings: AnalyticsSettings) -> MatchWeights:
    """``[analytics] weights`` over the defaults; a bad value is a ConfigError naming its key."""
    known = {field.name for field in attrs.fields(MatchWeights)}
    unknown = sorted(set(settings.weights) - known)
    if unknown:
        names = ", ".join(sorted(known))
        raise ConfigError([Problem(f"analytics.weights.{name}", f"is no weight (known: {names})") for name in unknown])
    try:
        return MatchWeights(**settings.weights)
    except ValidationError as exc:
        raise ConfigError([Problem(f"analytics.{p.path}", p.message) for p in exc.problems]) from None


def load_scorer(settings: AnalyticsSettings, *, safety: BrandSafetyCheck | None) -> Scorer:
    """The scorer ``[analytics] ranking`` names, built with the configured weights and ``safety``."""
    from stevedore import DriverManager
    from stevedore.exception import NoMatches

    weights = match_weights(settings)
    name = settings.ranking
    # stevedore caches a group's entry points; drop the in-process copy so a plugin installed since is seen.
    DriverManager.ENTRY_POINT_CACHE.pop(RANKING_GROUP, None)
    try:
        manager: DriverManager[Any] = DriverManager(namespace=RANKING_GROUP, name=name, invoke_on_load=False)
    except NoMatches:
        installed = ", ".join(sorted({ep.name for ep in entry_points(group=RANKING_GROUP)})) or "none"
        raise _refused(f"no ranking plugin named {name!r} in {RANKING_GROUP} (installed: {installed})") from None
    except Exception as exc:  # the plugin's import failed: its own exception, said where it belongs
        raise _refused(f"{name!r} failed to load: {type(exc).__name__}: {exc}") from exc
    try:
        scorer = manager.driver(weights=weights, safety=safety)
    except Exception as exc:
        raise _refused(f"{name!r} failed to build: {type(exc).__name__}: {exc}") from exc
    if not isinstance(scorer, Scorer) and not callable(getattr(scorer, "score", None)):
        raise _refused(f"{name!r} built a {type(scorer).__name__}, not a Scorer")
    return scorer  # type: ignore[no-any-return]


def _refused(message: str) -> ConfigError:
    return ConfigError([Problem("analytics.ranking", message)])
