"""Drafting: a contract version built from the agreed terms, the brief and a template, rendered and sealed.

Price, deliverables, payment schedule, revision limit and publish date come from the agreed terms; content
requirements from the brief; IP, usage rights and cancellation from the caller or else the template's
defaults. The body is rendered in the outreach templates' sandbox with ``contract``, ``price``, ``clauses``,
``brand``, ``creator``, ``brief`` and ``deal`` in scope; the result is sealed with its content hash.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from ...converter import unstructure, unstructure_evolved
from ...entities import (
    Brand,
    CampaignBrief,
    CancellationTerms,
    Contract,
    ContractClauses,
    ContractStatus,
    ContractTemplate,
    ContractTimeline,
    CreatorProfile,
    Deal,
    DealState,
    Exclusivity,
    IpOwnership,
    UsageRights,
    new_id,
)
from ...entities import Terms as AgreedTerms
from ...errors import Problem, StateError, ValidationError
from .._states import FINAL_STATES, next_state
from .._templates import TemplateLimits, render_template
from ._hashing import contract_hash

if TYPE_CHECKING:
    from ..._change import Change, View

__all__ = [
    "CLAUSE_FIELDS",
    "DraftChoices",
    "Stage",
    "clauses_for",
    "in_force",
    "new_version",
    "newest_or_refuse",
    "sealed",
    "stage_of",
    "timeline",
]

CLAUSE_FIELDS = tuple(field.name for field in attrs.fields(ContractClauses))


class Stage(enum.Enum):
    """Where a contract stands for a signature or an amendment."""

    BEFORE_EXECUTION = "before_execution"  # the deal waits in CONTRACT_SENT for this version
    AMENDMENT = "amendment"  # a new version of the executed contract, which stays in force meanwhile


@attrs.frozen(kw_only=True)
class DraftChoices:
    """What the caller chose for a draft; ``None`` takes the template's default (or the agreed terms')."""

    draft_due: datetime
    exclusivity: Exclusivity | None = None
    usage_rights: UsageRights | None = None
    ip: IpOwnership | None = None
    cancellation: CancellationTerms | None = None
    governing_law: str = ""


def clauses_for(
    change: Change, terms: AgreedTerms, brief: CampaignBrief, template: ContractTemplate, chosen: DraftChoices
) -> ContractClauses:
    """The clauses of version 1: the agreed terms, the brief's content rules, the chosen or default clauses."""
    rights = chosen.usage_rights or template.default_usage_rights
    if chosen.usage_rights is None and terms.usage_rights_days is not None:
        rights = attrs.evolve(rights, duration_days=terms.usage_rights_days)
    exclusive = chosen.exclusivity
    if exclusive is None and terms.exclusivity_days:
        exclusive = Exclusivity(category=brief.product.category or brief.name, duration_days=terms.exclusivity_days)
    flow = change.flow
    publish_by = terms.publish_by or brief.timeline.publish_until
    return ContractClauses(
        deliverables=terms.deliverables,
        payment=terms.payment,
        timeline=timeline(chosen.draft_due, publish_by, flow.review_days, flow.auto_approve_after_days, change.now),
        content_requirements=brief.content_rules,
        revision_limit=terms.revision_limit,
        ip=chosen.ip or template.default_ip,
        usage_rights=rights,
        exclusivity=exclusive,
        cancellation=chosen.cancellation or template.default_cancellation,
        governing_law=chosen.governing_law,
    )


def new_version(change: Change, old: Contract, clauses: ContractClauses) -> Contract:
    """The next version of ``old`` with ``clauses``, not yet rendered or sealed."""
    t = clauses.timeline
    timeline(t.draft_due, t.publish_by, t.review_days, t.auto_approve_after_days, None)
    return attrs.evolve(
        old,
        id=new_id("contract"),
        version=old.version + 1,
        clauses=clauses,
        price=clauses.payment.total,
        text="",
        content_hash="",
        status=ContractStatus.SENT,
        created_at=change.now,
        supersedes=old.id,
    )


def sealed(
    change: Change, contract: Contract, template: ContractTemplate, deal: Deal, brief: CampaignBrief
) -> tuple[Contract, dict[str, Any]]:
    """Render the text with the contract's fields, then seal it with its content hash; also its document.

    The render runs inside the call's write transaction, within the call's template limits: a template over
    them raises, and the transaction stores nothing.
    """
    context = {
        "contract": contract,
        "price": contract.price,
        "clauses": contract.clauses,
        "brand": change.load("brand", deal.brand_id, Brand),
        # The creator's public page: the brand writes the template, so private contact details stay out.
        "creator": attrs.evolve(change.load("creator", deal.creator_id, CreatorProfile), email=None, signing_key=None),
        "brief": brief,
        "deal": deal,
    }
    text = render_template(template.body, context, field="template.body", limits=TemplateLimits.of(change.flow))
    rendered = attrs.evolve(contract, text=text)
    rendered_doc = unstructure(rendered)  # converted once: hashed here, stored by the caller
    seal = attrs.evolve(rendered, content_hash=contract_hash(rendered_doc))
    return seal, unstructure_evolved(seal, rendered, rendered_doc)


def in_force(view: View, deal: Deal) -> Contract | None:
    """The executed contract the deal names, if it is executed."""
    if deal.contract_id is None:
        return None
    current = view.load("contract", deal.contract_id, Contract)
    return current if current.status is ContractStatus.EXECUTED else None


def stage_of(view: View, contract: Contract, deal: Deal, action: str) -> Stage:
    """Whether ``action`` on ``contract`` happens before execution or is an amendment of the executed one."""
    if deal.state is DealState.CONTRACT_SENT and deal.contract_id == contract.id:
        return Stage.BEFORE_EXECUTION
    executed = in_force(view, deal)
    if executed is not None and deal.state not in FINAL_STATES:
        if contract.status is ContractStatus.EXECUTED and contract.id != executed.id:
            raise StateError(
                f"contract {contract.id}",
                str(contract.status),
                action,
                [],
                f"contract {executed.id} is the one in force",
            )
        return Stage.AMENDMENT
    if deal.state is DealState.CONTRACT_SENT:
        raise StateError(
            f"contract {contract.id}",
            str(contract.status),
            action,
            [],
            f"contract {deal.contract_id} is the deal's current version",
        )
    next_state(deal.id, deal.state, action)  # raises, naming what the deal allows
    raise StateError(f"deal {deal.id}", str(deal.state), action, [])  # pragma: no cover


def newest_or_refuse(view: View, contract: Contract, deal: Deal) -> None:
    """Amending an executed contract while a newer amendment awaits signatures would fork the versions."""
    newest = max(view.find("contract", Contract, parent=deal.id), key=lambda c: c.version)
    if newest.id != contract.id:
        raise StateError(
            f"contract {contract.id}",
            str(contract.status),
            "amend_contract",
            [],
            f"version {newest.version} ({newest.id}) is newer; amend that one",
        )


def timeline(
    draft_due: datetime, publish_by: datetime, review_days: int, auto_approve_days: int | None, now: datetime | None
) -> ContractTimeline:
    """The contract's dates, checked: an aware draft date, in the future (when ``now`` is given), by publish_by."""
    if draft_due.tzinfo is None or draft_due.utcoffset() is None:
        raise ValidationError([Problem("draft_due", "must be timezone-aware")], "contract timeline")
    problems = []
    if now is not None and draft_due <= now:
        problems.append(Problem("draft_due", f"must be in the future (now is {now.isoformat()})"))
    if draft_due > publish_by:
        problems.append(Problem("draft_due", f"must be no later than publish_by ({publish_by.isoformat()})"))
    if problems:
        raise ValidationError(problems, "contract timeline")
    return ContractTimeline(
        draft_due=draft_due, publish_by=publish_by, review_days=review_days, auto_approve_after_days=auto_approve_days
    )
