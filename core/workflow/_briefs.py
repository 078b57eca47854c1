"""Campaign briefs (the order platform's "tasks"): drafted by a brand, published only by a verified brand.

A brief's budget also bounds its deals: :func:`price_problems` is what an offer or an amended contract is held
to (the budget's currency, the per-creator cap).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from .._service import Service
from ..converter import structure, unstructure
from ..entities import Actor, Brand, BriefStatus, Budget, CampaignBrief, ContentRules, PartyKind, new_id
from ..errors import NotFound, PermissionDenied, Problem, StateError, ValidationError
from ..money import Money

if TYPE_CHECKING:
    from .._change import Change, View
    from ..config import WorkflowSettings

__all__ = ["BriefService", "price_problems"]


class BriefService(Service):
    def create(self, actor: Actor, **fields: Any) -> CampaignBrief:
        """Draft a brief. ``fields`` are :class:`CampaignBrief`'s (without id, brand_id, status, timestamps)."""
        _settable(fields)

        def work(change: Change) -> CampaignBrief:
            _brand_only(actor, "create_brief")
            brief = _brief({"id": new_id("brief"), "brand_id": actor.id, "created_at": change.now}, fields)
            _check(brief, self._flow)
            change.record("brief", brief, "brief.create", workspace=actor.id, state=str(brief.status))
            return brief

        return self._write(actor, "create_brief", work)

    def update(self, actor: Actor, brief_id: str, **fields: Any) -> CampaignBrief:
        """Change a draft brief; a published brief is closed and re-created instead, so creators see what they saw.

        Status and identity are not fields to edit: publishing goes through :meth:`publish` and its checks.
        """
        _settable(fields)

        def work(change: Change) -> CampaignBrief:
            brief, version = _own(change, actor, brief_id)
            if brief.status is not BriefStatus.DRAFT:
                raise StateError(f"brief {brief_id}", str(brief.status), "update", ["close"])
            updated = _brief(unstructure(brief), fields)
            _check(updated, self._flow)
            change.replace("brief", updated, expected_version=version)
            change.audit("brief.update", "brief", brief_id, {"fields": sorted(fields)}, workspace=actor.id)
            return updated

        return self._write(actor, "update_brief", work)

    def publish(self, actor: Actor, brief_id: str) -> CampaignBrief:
        """Make the brief open for invitations. A brief with a budget is a paid task: the brand must be verified.

        Its timeline must still lie ahead: the window's end, and the apply-by and draft dates when it has them.
        """

        def work(change: Change) -> CampaignBrief:
            brief, version = _own(change, actor, brief_id)
            if brief.status is not BriefStatus.DRAFT:
                raise StateError(
                    f"brief {brief_id}",
                    str(brief.status),
                    "publish",
                    ["close"] if brief.status is BriefStatus.PUBLISHED else [],
                )
            brand = change.load("brand", actor.id, Brand)
            if brief.budget.total.amount > 0 and not brand.is_verified:
                raise PermissionDenied(
                    str(actor),
                    "publish_brief",
                    f"brand verification is {brand.verification}; paid tasks need a verified brand",
                    f"brief {brief_id}",
                )
            _check_ahead(brief, change.now)
            published = attrs.evolve(brief, status=BriefStatus.PUBLISHED, published_at=change.now)
            change.replace("brief", published, expected_version=version, state=str(published.status))
            change.audit("brief.publish", "brief", brief_id, {}, workspace=actor.id)
            change.event("brief.published", "brief", brief_id)
            return published

        return self._write(actor, "publish_brief", work)

    def close(self, actor: Actor, brief_id: str) -> CampaignBrief:
        """Stop new invitations; deals already under way continue."""

        def work(change: Change) -> CampaignBrief:
            brief, version = _own(change, actor, brief_id)
            if brief.status is BriefStatus.CLOSED:
                raise StateError(f"brief {brief_id}", "closed", "close", [])
            closed = attrs.evolve(brief, status=BriefStatus.CLOSED)
            change.replace("brief", closed, expected_version=version, state=str(closed.status))
            change.audit("brief.close", "brief", brief_id, {}, workspace=actor.id)
            return closed

        return self._write(actor, "close_brief", work)

    def get(self, actor: Actor, brief_id: str) -> CampaignBrief:
        """A brand sees its own briefs; creators and managers see published ones (the marketplace's task list)."""

        def work(view: View) -> CampaignBrief:
            record = view.get("brief", brief_id)
            if record is None:
                raise NotFound("brief", brief_id)
            brief = view.entity(record, CampaignBrief)
            if (
                brief.brand_id != actor.id
                and brief.status is not BriefStatus.PUBLISHED
                and actor.kind is not PartyKind.SYSTEM
            ):
                raise NotFound("brief", brief_id)
            return brief

        return self._read(actor, work)

    def list(self, actor: Actor, *, status: BriefStatus | None = None) -> list[CampaignBrief]:
        def work(view: View) -> list[CampaignBrief]:
            if actor.kind is PartyKind.BRAND:
                return view.find("brief", CampaignBrief, workspace=actor.id, state=str(status) if status else None)
            return view.find("brief", CampaignBrief, state=str(BriefStatus.PUBLISHED))

        return self._read(actor, work)


def price_problems(budget: Budget, price: Money, *, field: str, currency_field: str) -> list[Problem]:
    """What is wrong with paying one creator ``price`` on a brief with ``budget``, each at the caller's path.

    A deal is paid in its brief's currency (the budget, the fees and the escrow are counted in it), and never more
    than the brief's cap for one creator, nor than its whole budget. These hold against the brief a deal is on, so
    the services that set a deal's price check them (an invitation, an offer, an amendment); the entities cannot.
    """
    wanted = budget.total.currency
    if price.currency != wanted:
        return [Problem(currency_field, f"{price.currency} is not the brief's budget currency {wanted}")]
    cap = budget.per_creator_max
    if cap is not None and price > cap:
        return [Problem(field, f"{price} is more than the brief's per-creator cap of {cap} (budget.per_creator_max)")]
    if price > budget.total:
        # Also what keeps an unpaid (zero-budget) brief, which an unverified brand may publish, from paying anyone.
        return [Problem(field, f"{price} is more than the brief's whole budget of {budget.total}")]
    return []


def _brand_only(actor: Actor, action: str) -> None:
    if actor.kind is not PartyKind.BRAND:
        raise PermissionDenied(str(actor), action, "only a brand writes briefs")


def _own(change: Change, actor: Actor, brief_id: str) -> tuple[CampaignBrief, int]:
    _brand_only(actor, "change_brief")
    record = change.get("brief", brief_id)
    if record is None or record.workspace != actor.id:
        raise NotFound("brief", brief_id)
    return change.entity(record, CampaignBrief), record.version


def _check(brief: CampaignBrief, flow: WorkflowSettings) -> None:
    problems = _rule_problems(brief.content_rules, flow)
    if not brief.name.strip():
        problems.append(Problem("name", "must not be empty"))
    if not brief.deliverables:
        problems.append(Problem("deliverables", "a brief needs at least one deliverable"))
    for i, kpi in enumerate(brief.kpis):
        if kpi.target_cost is not None and kpi.target_cost.currency != brief.budget.total.currency:
            problems.append(Problem(f"kpis[{i}].target_cost", "must be in the budget's currency"))
    if problems:
        raise ValidationError(problems, "brief")


def _rule_problems(rules: ContentRules, flow: WorkflowSettings) -> list[Problem]:
    """Content rules within ``[workflow]``'s limits: each draft is checked against every term of them."""
    lists = {field.name: getattr(rules, field.name) for field in attrs.fields(ContentRules)}
    longest = flow.content_rule_max_chars
    problems = [
        Problem(
            f"content_rules.{name}[{i}]",
            f"is {len(term):,} characters long; at most {longest:,} (workflow.content_rule_max_chars)",
        )
        for name, terms in lists.items()
        for i, term in enumerate(terms)
        if len(term) > longest
    ]
    count = sum(len(terms) for terms in lists.values())
    if count > flow.content_rules_max_terms:
        message = f"hold {count:,} terms; at most {flow.content_rules_max_terms:,} (workflow.content_rules_max_terms)"
        problems.insert(0, Problem("content_rules", message))
    return problems


def _check_ahead(brief: CampaignBrief, now: datetime) -> None:
    """A brief published with its dates behind it asks for work nobody can deliver in time.

    Only publishing checks this: a draft may be written with any dates, and time moves on after publication.
    The window may already have opened; it must not have closed.
    """
    timeline = brief.timeline
    dates = {
        "timeline.publish_until": timeline.publish_until,
        "timeline.apply_by": timeline.apply_by,
        "timeline.draft_due": timeline.draft_due,
    }
    problems = [
        Problem(path, f"must be in the future (now is {now.isoformat()})")
        for path, moment in dates.items()
        if moment is not None and moment <= now
    ]
    if problems:
        raise ValidationError(problems, "brief")


_RESERVED = ("id", "brand_id", "status", "created_at", "published_at")


def _settable(fields: dict[str, Any]) -> None:
    problems = [Problem(name, "is set by the service, not by the caller") for name in _RESERVED if name in fields]
    known = attrs.fields_dict(CampaignBrief)
    problems += [Problem(name, "is not a field of a brief") for name in sorted(fields) if name not in known]
    if problems:
        raise ValidationError(problems, "brief")


def _brief(base: dict[str, Any], fields: dict[str, Any]) -> CampaignBrief:
    """``base`` with the caller's ``fields`` over it, built the way a stored brief is read back.

    A value of the wrong type is then a ValidationError naming its field, not a TypeError (or a brief that
    fails later, in a check or in the store).
    """
    data = dict(base)
    data.update((name, unstructure(value)) for name, value in fields.items())
    return structure(data, CampaignBrief, what="brief")
