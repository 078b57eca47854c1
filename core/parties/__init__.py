"""Parties and access: who the brands, agencies, talent managers and creators are, and who may act for whom.

- registration of parties, brand verification and signing keys (``kit.parties``);
- a talent manager's roster and the scopes a creator grants (``kit.roster``);
- the creator page a manager keeps: figures, rate card, availability (``kit.creators``);
- a workspace's platform connections (``kit.connections``) and the creators' grants (``kit.grants``): OAuth
  through the platform plugin, tokens sealed at rest and renewed once, and the call context that carries them.

The acting party of every call is an :class:`~creatorkit.entities.Actor` (also exported at the package root).
"""

from ._authorizations import AuthorizationStart, Revoked
from ._connections import ConnectionService
from ._creator_pages import CreatorOverview, CreatorPageService
from ._grants import GrantService
from ._registration import PartyService
from ._roster import RosterService
from ._tokens import StoredTokenSource

__all__ = [
    "AuthorizationStart",
    "ConnectionService",
    "CreatorOverview",
    "CreatorPageService",
    "GrantService",
    "PartyService",
    "Revoked",
    "RosterService",
    "StoredTokenSource",
]
