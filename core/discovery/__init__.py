"""Discovery: finding creators for a brief across every enabled platform at once.

:func:`discover` fans one :class:`~creatorkit.entities.DiscoveryQuery` out to the platforms' discovery hooks
concurrently and returns each platform's page, or the error it raised, side by side. Where discovery ends,
outreach (``creatorkit.workflow``) begins: a candidate found here is invited with ``kit.outreach.invite``.
"""

from ._fanout import DiscoveryOutcome, DiscoveryResults, discover

__all__ = ["DiscoveryOutcome", "DiscoveryResults", "discover"]
