"""Discovery: finding creators for a brief across every enabled platform at once.

:func:`discover` fans one :class:`~creatorkit.entities.DiscoveryQuery` out to the platforms' discovery hooks
concurrently and returns each platform's page, or the error it raised, side by side. Each page's filter report
says what its platform applied, approximated or ignored; :func:`discover` applies the rest here
(:func:`check_locally`) wherever a candidate carries the data, and names the candidates it could not check.
A plugin maps the core's categories to its platform's labels with a :class:`CategoryMap`.

Where discovery ends, outreach (``creatorkit.workflow``) begins: a candidate found here is invited with
``kit.outreach.invite``.
"""

from ._categories import CategoryMap
from ._fanout import DiscoveryOutcome, DiscoveryResults, discover
from ._local_filters import LocalCheck, check_locally

__all__ = ["CategoryMap", "DiscoveryOutcome", "DiscoveryResults", "LocalCheck", "check_locally", "discover"]
