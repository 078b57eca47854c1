"""The deal workflow: each module is one service, reached through :class:`creatorkit.Creatorkit`.

Every call takes the acting party (:class:`Actor`), checks its permission, changes state in one store
transaction together with its audit event, and announces what changed through the ``creatorkit_on_event`` hook.
"""

from ._base import Actor
from .deal_states import TABS, TRANSITIONS, Role, Tab

__all__ = ["TABS", "TRANSITIONS", "Actor", "Role", "Tab"]
