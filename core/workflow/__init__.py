"""The deal workflow, by stage: brief, outreach, negotiation, contracting, content review, after the campaign.

Every call takes the acting party (:class:`~creatorkit.entities.Actor`), checks its permission, changes state
in one store transaction together with its audit event, and announces what changed through the
``creatorkit_on_event`` hook. A deal moves only along the state table (:data:`STATES`: one row per state with
its moves, who may make them, what it waits for, its deadline and its timeout), and no stage calls another:
each moves the deal through the one function that applies the table.
"""

from ._aftercare import AftercareService
from ._briefs import BriefService
from ._content import ContentService
from ._content_rules import check_draft
from ._deals import BoardRow, DeadlineRun, DealService
from ._disputes import DisputeOutcome
from ._negotiation import NegotiationService, NegotiationStatus
from ._outreach import OutreachService
from ._states import (
    FINAL_STATES,
    ON_TIMEOUT,
    RESUME,
    STATES,
    TABS,
    TRANSITIONS,
    Deadline,
    Role,
    StateRow,
    Tab,
    Transition,
    allowed_actions,
    deadline_after,
    next_state,
    tab_of,
    timeout_action,
)
from ._templates import TemplateLimits, check_template, render_template
from .contracting import ContractService

__all__ = [
    "FINAL_STATES",
    "ON_TIMEOUT",
    "RESUME",
    "STATES",
    "TABS",
    "TRANSITIONS",
    "AftercareService",
    "BoardRow",
    "BriefService",
    "ContentService",
    "ContractService",
    "Deadline",
    "DeadlineRun",
    "DealService",
    "DisputeOutcome",
    "NegotiationService",
    "NegotiationStatus",
    "OutreachService",
    "Role",
    "StateRow",
    "Tab",
    "TemplateLimits",
    "Transition",
    "allowed_actions",
    "check_draft",
    "check_template",
    "deadline_after",
    "next_state",
    "render_template",
    "tab_of",
    "timeout_action",
]
