"""Parties and access: who the brands, agencies, talent managers and creators are, and who may act for whom.

- registration of parties, brand verification and signing keys (``kit.parties``);
- a talent manager's roster and the scopes a creator grants (``kit.roster``);
- the creator page a manager keeps: figures, rate card, availability (``kit.creators``).

The acting party of every call is an :class:`~creatorkit.entities.Actor` (also exported at the package root).
"""

from ._creator_pages import CreatorOverview, CreatorPageService
from ._registration import PartyService
from ._roster import RosterService

__all__ = ["CreatorOverview", "CreatorPageService", "PartyService", "RosterService"]
