"""Deadlines: what happens to a deal that waited past its deadline, as its state's row says.

The deals service finds the overdue deals and runs each one's timeout here, in a transaction of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..entities import Actor, Deal, DealState, Dispute, DisputeStatus
from ._content import approve_unanswered
from ._disputes import DisputeOutcome, close_dispute
from ._machine import apply, load_deal

if TYPE_CHECKING:
    from .._change import Change

__all__ = ["DEADLINE_ACTOR", "time_out"]

#: Who acts when a deadline passes.
DEADLINE_ACTOR = Actor.system("deadlines")


def time_out(change: Change, deal_id: str, action: str) -> Deal:
    """Make ``action``, the timeout move of the deal's state, on the overdue deal ``deal_id``.

    An unanswered review is approved as the contract allows; a dispute the deadline decided is closed with it.
    """
    deal, _ = load_deal(change, change.actor, deal_id)
    if action == "auto_approve":
        return approve_unanswered(change, deal)
    moved = apply(change, deal, action, payload={"reason": "deadline passed"})
    if deal.state is DealState.DISPUTED:
        outcome = DisputeOutcome(action.removeprefix("resolve_"))
        for record in change.records("dispute", parent=deal_id, state=str(DisputeStatus.OPEN)):
            dispute = change.entity(record, Dispute)
            close_dispute(change, dispute, record.version, deal, outcome, "dispute deadline passed")
    return moved
