"""What a match returns: the ranked creators with their explained scores, and what happened on each platform."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from ..discovery import LocalCheck
from ..entities import Match, ScoreComponent

__all__ = ["CreatorMatch", "MatchResult", "PlatformDiscovery"]


@attrs.frozen(kw_only=True)
class CreatorMatch:
    """One creator, ranked: the score of their best-fitting account, and every account of theirs that was scored.

    ``accounts`` are one :class:`~creatorkit.entities.Match` per account, best first; the creator's score and
    components are the first's (the brand books the creator on the platform where they fit the brief best).
    ``linked_by`` says why accounts found apart were taken for one person (see ``creatorkit.matching``).
    """

    rank: int
    creator_id: str
    display_name: str
    accounts: tuple[Match, ...]
    linked_by: tuple[str, ...] = ()

    @property
    def best(self) -> Match:
        return self.accounts[0]

    @property
    def score(self) -> float:
        return self.best.score

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(match.platform for match in self.accounts))

    @property
    def components(self) -> tuple[ScoreComponent, ...]:
        return self.best.components

    def top_components(self, count: int = 3) -> tuple[ScoreComponent, ...]:
        """The components that added most to the score (weight × score), largest first."""
        weighted = [c for c in self.components if c.weight > 0]
        return tuple(sorted(weighted, key=lambda c: -c.weight * c.score)[:count])


@attrs.frozen(kw_only=True)
class PlatformDiscovery:
    """What one platform's discovery gave: pages read, candidates returned and kept after the local checks.

    ``checks`` are the core's checks of the filters the platform approximated or ignored (one per filter and
    page); ``more`` says the page limit (``[analytics] discovery_pages``) stopped the reading, not the platform;
    ``error`` names the failure of a page, after which that platform's earlier pages still count.
    """

    platform: str
    pages: int = 0
    returned: int = 0
    kept: int = 0
    checks: tuple[LocalCheck, ...] = ()
    more: bool = False
    error: str | None = None


@attrs.frozen(kw_only=True)
class MatchResult:
    """A brief's ranked, explained creators.

    ``considered`` accounts were found: returned by the platforms' discovery, or records of the local sources.
    ``excluded`` counts, by reason, those turned away on the way: a filter the platform approximated or ignored
    and the core checked (by its name, ``audience.age``), the one brief filter no discovery filter carries
    (``availability``), a local record failing a filter (by its name), no follower count
    (``followers_unknown``), the same account found twice (``duplicate``), a veto (``quality_gate``,
    ``brand_safety``). The rest, ``scored``, were scored: ``considered`` = Σ ``excluded`` + ``scored``.
    ``matches`` are the best ``top`` creators among them (a creator holds each of their accounts scored).
    ``warnings`` say what the brief asked that could not be answered, and which platform failed; an empty
    ``matches`` always comes with one.
    """

    brief_id: str
    as_of: datetime
    ranking: str
    matches: tuple[CreatorMatch, ...]
    considered: int
    scored: int
    excluded: Mapping[str, int]
    platforms: Mapping[str, PlatformDiscovery]
    skipped: Mapping[str, str] = attrs.field(factory=dict)
    warnings: tuple[str, ...] = ()
