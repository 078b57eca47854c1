"""Disputes: a deal frozen in DISPUTED until the arbiter decides, and how each decision closes the dispute."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import attrs

from ..entities import Deal, Dispute, DisputeStatus, new_id

if TYPE_CHECKING:
    from .._change import Change

__all__ = ["DisputeOutcome", "close_dispute", "record_dispute"]


class DisputeOutcome(enum.StrEnum):
    """The arbiter's decision: the deal goes on where it stood, is cancelled, or counts as completed."""

    RESUME = "resume"
    CANCEL = "cancel"
    COMPLETE = "complete"

    @property
    def action(self) -> str:
        """The deal's move for this outcome (``resolve_<outcome>`` in the state table)."""
        return f"resolve_{self._value_}"


#: How a dispute ends for each outcome.
_CLOSED_AS = {
    DisputeOutcome.RESUME: DisputeStatus.SETTLED,
    DisputeOutcome.CANCEL: DisputeStatus.RESOLVED_FOR_BRAND,
    DisputeOutcome.COMPLETE: DisputeStatus.RESOLVED_FOR_CREATOR,
}


def record_dispute(change: Change, deal: Deal, reason: str) -> Dispute:
    """Store the dispute the deal (already moved to DISPUTED) is frozen for."""
    dispute = Dispute(
        id=new_id("dispute"), deal_id=deal.id, opened_by=str(change.actor), reason=reason, opened_at=change.now
    )
    change.insert("dispute", dispute, workspace=deal.brand_id, parent=deal.id, state=str(dispute.status))
    change.audit("dispute.open", "dispute", dispute.id, {"deal_id": deal.id, "reason": reason}, workspace=deal.brand_id)
    return dispute


def close_dispute(
    change: Change, dispute: Dispute, version: int, deal: Deal, outcome: DisputeOutcome, resolution: str
) -> None:
    """Close ``dispute`` (stored at ``version``) as ``outcome`` decides, and record the resolution."""
    closed = attrs.evolve(dispute, status=_CLOSED_AS[outcome], resolution=resolution, resolved_at=change.now)
    change.replace("dispute", closed, expected_version=version, state=str(closed.status))
    change.audit(
        "dispute.resolve",
        "dispute",
        dispute.id,
        {"outcome": str(outcome), "resolution": resolution},
        workspace=deal.brand_id,
    )
