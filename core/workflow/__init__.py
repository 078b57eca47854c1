"""The deal workflow, by stage: brief, outreach, negotiation, contracting, content review, after the campaign.

Every call takes the acting party (:class:`~creatorkit.entities.Actor`), checks its permission, changes state
in one store transaction together with its audit event, and announces what changed through the
``creatorkit_on_event`` hook. A deal moves only along the state table (:data:`TRANSITIONS`).
"""

from ._aftercare import AftercareService
from ._briefs import BriefService
from ._content import ContentService, check_draft
from ._deals import WAITING_FOR, BoardRow, DeadlineRun, DealService
from ._negotiation import NegotiationService, NegotiationStatus
from ._outreach import OutreachService, check_template, render_template
from ._states import ON_TIMEOUT, TABS, TRANSITIONS, Role, Tab, Transition, allowed_actions, next_state, tab_of
from .contracting import ContractService

__all__ = [
    "ON_TIMEOUT",
    "TABS",
    "TRANSITIONS",
    "WAITING_FOR",
    "AftercareService",
    "BoardRow",
    "BriefService",
    "ContentService",
    "ContractService",
    "DeadlineRun",
    "DealService",
    "NegotiationService",
    "NegotiationStatus",
    "OutreachService",
    "Role",
    "Tab",
    "Transition",
    "allowed_actions",
    "check_draft",
    "check_template",
    "next_state",
    "render_template",
    "tab_of",
]
