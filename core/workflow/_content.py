"""Content review: versioned drafts, checks per rule, feedback within the revision limit, publishing.

A creator (or a manager holding ``manage_content``) submits a draft; each submission is a new version and is
checked against the content rules, one :class:`~creatorkit.entities.CheckResult` per rule. Failed checks do
not block the submission — the brand decides — but they are shown to both sides. The brand approves or asks
for changes; each request uses one revision of the contract's limit, and past the limit the brand can only
approve, cancel or dispute. A review left unanswered follows the configured rule
(``workflow.unanswered_review``): auto-approval after the contract's ``auto_approve_after_days`` or expiry.
The approved draft is scheduled and published; the published post is kept so that metrics can be read for it.

Where the rules come from: the executed contract's ``content_requirements`` when it states any, otherwise the
brief's ``content_rules``. The revision limit, the review deadline and the publishing date likewise come from
the contract when there is one, otherwise from the agreed terms (and the configured defaults).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

import attrs

from .._service import Service
from ..config import UnansweredReview, WorkflowSettings
from ..entities import (
    Actor,
    CampaignBrief,
    CheckResult,
    ContentReview,
    ContentRules,
    ContentSubmission,
    Contract,
    ContractStatus,
    CreatorProfile,
    Deal,
    DealState,
    FeedbackItem,
    PlatformOrder,
    PublishedPost,
    PublishSchedule,
    ReviewDecision,
    new_id,
)
from ..errors import Problem, StateError, ValidationError
from ..parties._access import on_behalf_of
from ._content_rules import compiled_rules
from ._machine import apply, load_deal, may
from ._states import deadline_after

if TYPE_CHECKING:
    from .._change import Change, View

__all__ = ["ContentService", "approve_unanswered", "current_contract", "revision_limit"]

E = TypeVar("E")


class ContentService(Service):
    # -- drafts ----------------------------------------------------------------------------------------------

    def submit_draft(
        self,
        actor: Actor,
        deal_id: str,
        *,
        caption: str,
        script: str = "",
        media_urls: Sequence[str] = (),
        elements: Sequence[str] = (),
    ) -> ContentSubmission:
        """Submit the draft's next version: checked per rule, then the deal waits for the brand's review.

        The checks run before the write transaction opens, on the rules read in a read transaction (the
        contract's content requirements, else the brief's): a long draft never holds the write lock. Inside
        the transaction the rules that apply are read again; if they changed meanwhile the draft is checked
        again against them.
        """
        draft = _Draft(caption=caption, script=script, media_urls=tuple(media_urls), elements=tuple(elements))
        draft.check_input(self._flow)
        read = self._read(actor, lambda view: _rules_for_draft(view, actor, deal_id), "submit_draft")
        checks = draft.checked(read, self._flow)

        def work(change: Change) -> ContentSubmission:
            deal, _ = load_deal(change, actor, deal_id)
            contract = current_contract(change, deal)
            rules = _rules(change, deal, contract)
            # The contract or the brief changed since the rules were read: check against those that apply now.
            submission = draft.submission(change, deal, checks if rules == read else draft.checked(rules, change.flow))
            failed = [check.rule for check in submission.checks if not check.passed]
            payload = {"submission_id": submission.id, "version": submission.version, "failed_checks": failed}
            apply(change, deal, "submit_draft", payload=payload, deadline=_review_deadline(change, contract))
            change.record(
                "submission",
                submission,
                "content.submit",
                workspace=deal.brand_id,
                parent=deal.id,
                on_behalf_of=on_behalf_of(actor, deal.creator_id),
            )
            change.event(
                "content.submitted",
                "submission",
                submission.id,
                deal_id=deal.id,
                version=submission.version,
                failed_checks=failed,
            )
            return submission

        return self._write(actor, "submit_draft", work)

    # -- review ----------------------------------------------------------------------------------------------

    def review(
        self, actor: Actor, deal_id: str, *, approve: bool, items: Sequence[FeedbackItem | str] = ()
    ) -> ContentReview:
        """The brand approves the draft or asks for changes (with feedback), within the revision limit."""
        feedback = _feedback_items(items)
        if not approve and not feedback:
            raise ValidationError([Problem("items", "say what should change")], "review")

        def work(change: Change) -> ContentReview:
            deal, _ = load_deal(change, actor, deal_id)
            action = "approve" if approve else "request_changes"
            # Ask the table first, so that a non-brand hears "not allowed" rather than a limit it cannot use.
            may(change, actor, deal, action)
            contract = current_contract(change, deal)
            submission = _latest(change, deal)
            payload = {"submission_id": submission.id}
            if approve:
                apply(change, deal, action, payload=payload, deadline=_publish_deadline(change, deal, contract))
                return _record_review(change, deal, submission, ReviewDecision.APPROVED, feedback, deal.revisions_used)
            used, limit = deal.revisions_used, revision_limit(deal, contract)
            if used >= limit:
                raise StateError(
                    f"deal {deal.id}",
                    str(deal.state),
                    action,
                    ["approve", "cancel", "dispute"],
                    f"the revision limit of {limit} is used up ({used} of {limit})",
                )
            apply(change, deal, action, payload={**payload, "revision": used + 1}, revisions_used=used + 1)
            return _record_review(change, deal, submission, ReviewDecision.CHANGES_REQUESTED, feedback, used + 1)

        return self._write(actor, "review_content", work)

    # -- publishing ------------------------------------------------------------------------------------------

    def schedule_publish(self, actor: Actor, deal_id: str, *, publish_at: datetime) -> PublishSchedule:
        """Plan when the approved draft goes live: in the brief's window, by the agreed publishing date."""
        _check_aware("publish_at", publish_at, "schedule")

        def work(change: Change) -> PublishSchedule:
            deal, _ = load_deal(change, actor, deal_id)
            if deal.state is not DealState.APPROVED:
                raise StateError(
                    f"deal {deal.id}", str(deal.state), "schedule_publish", [], "only an approved draft is scheduled"
                )
            # Whoever may publish (the creator's side with manage_content) may plan it.
            may(change, actor, deal, "publish", "schedule_publish")
            start, end = _publish_window(change, deal)
            earliest = max(start, change.now)
            if not earliest <= publish_at <= end:
                raise ValidationError(
                    [Problem("publish_at", f"must be between {earliest.isoformat()} and {end.isoformat()}")],
                    "schedule",
                )
            return _keep_schedule(change, actor, deal, publish_at)

        return self._write(actor, "schedule_publish", work)

    def record_published(
        self,
        actor: Actor,
        deal_id: str,
        *,
        platform_post_id: str,
        url: str,
        published_at: datetime | None = None,
        platform_order_id: str | None = None,
    ) -> PublishedPost:
        """The approved draft is live: keep the post for metrics; the deal measures until its new deadline.

        The post records what its platform needs to find its figures: the order the deal was placed as there
        (``platform_order_id``, by default the deal's platform order, if one was placed) and the creator's
        account on the deal's platform.
        """
        _check_post_input(platform_post_id, url, published_at)

        def work(change: Change) -> PublishedPost:
            deal, _ = load_deal(change, actor, deal_id)
            may(change, actor, deal, "publish", "record_published")
            moment = published_at or change.now
            if moment > change.now:
                raise ValidationError(
                    [Problem("published_at", "is in the future; schedule it instead")], "published post"
                )
            post = PublishedPost(
                id=new_id("post"),
                deal_id=deal.id,
                submission_id=_latest(change, deal, "publish").id,
                platform=deal.platform,
                platform_post_id=platform_post_id,
                url=url,
                published_at=moment,
                platform_order_id=platform_order_id or _order_id(change, deal),
                account=change.load("creator", deal.creator_id, CreatorProfile).account_on(deal.platform),
            )
            measure_until = moment + timedelta(days=change.flow.measurement_days)
            payload = {"post_id": post.id, "url": url}
            apply(change, deal, "publish", payload=payload, deadline=max(measure_until, change.now))
            change.record(
                "post",
                post,
                "content.publish",
                workspace=deal.brand_id,
                parent=deal.id,
                on_behalf_of=on_behalf_of(actor, deal.creator_id),
            )
            change.event(
                "post.published",
                "post",
                post.id,
                deal_id=deal.id,
                platform=deal.platform,
                platform_post_id=platform_post_id,
                url=url,
            )
            return post

        return self._write(actor, "record_published", work)

    # -- reading ---------------------------------------------------------------------------------------------

    def drafts(self, actor: Actor, deal_id: str) -> list[ContentSubmission]:
        """Every submitted version, oldest first."""
        return self._read(actor, lambda view: _submissions(view, load_deal(view, actor, deal_id)[0].id))

    def reviews(self, actor: Actor, deal_id: str) -> list[ContentReview]:
        """Every review, oldest first (one per reviewed version)."""

        def work(view: View) -> list[ContentReview]:
            deal, _ = load_deal(view, actor, deal_id)
            versions = {submission.id: submission.version for submission in _submissions(view, deal.id)}
            found = view.find("review", ContentReview, parent=deal.id)
            return sorted(found, key=lambda r: (versions.get(r.submission_id, 0), r.reviewed_at))

        return self._read(actor, work)

    def post(self, actor: Actor, deal_id: str) -> PublishedPost | None:
        """The deal's published post, or ``None`` before it is live."""
        return self._read(actor, lambda view: _first(view, "post", PublishedPost, load_deal(view, actor, deal_id)[0]))

    def publish_schedule(self, actor: Actor, deal_id: str) -> PublishSchedule | None:
        return self._read(
            actor, lambda view: _first(view, "publish_schedule", PublishSchedule, load_deal(view, actor, deal_id)[0])
        )


@attrs.frozen(kw_only=True)
class _Draft:
    """What the creator's side submits, before it is a stored version."""

    caption: str
    script: str
    media_urls: tuple[str, ...]
    elements: tuple[str, ...]

    def check_input(self, flow: WorkflowSettings) -> None:
        """Refuse an empty draft, empty entries, and a caption or script longer than the settings allow."""
        problems = []
        if not (self.caption.strip() or self.script.strip() or any(url.strip() for url in self.media_urls)):
            problems.append(Problem("caption", "a draft needs a caption, a script or media"))
        for name, text, limit in (
            ("caption", self.caption, flow.caption_max_chars),
            ("script", self.script, flow.script_max_chars),
        ):
            if len(text) > limit:
                setting = f"workflow.{name}_max_chars"
                problems.append(Problem(name, f"is {len(text):,} characters long; at most {limit:,} ({setting})"))
        problems += [
            Problem(f"media_urls[{i}]", "must not be empty") for i, url in enumerate(self.media_urls) if not url.strip()
        ]
        problems += [
            Problem(f"elements[{i}]", "must not be empty") for i, item in enumerate(self.elements) if not item.strip()
        ]
        if problems:
            raise ValidationError(problems, "draft")

    def checked(self, rules: ContentRules, flow: WorkflowSettings) -> tuple[CheckResult, ...]:
        compiled = compiled_rules(rules, tuple(flow.disclosure_tags))
        return compiled.check(caption=self.caption, script=self.script, elements=self.elements)

    def submission(self, change: Change, deal: Deal, checks: tuple[CheckResult, ...]) -> ContentSubmission:
        return ContentSubmission(
            id=new_id("sub"),
            deal_id=deal.id,
            version=len(_submissions(change, deal.id)) + 1,
            submitted_by=str(change.actor),
            submitted_at=change.now,
            caption=self.caption,
            script=self.script,
            media_urls=self.media_urls,
            elements=self.elements,
            checks=checks,
        )


def _rules_for_draft(view: View, actor: Actor, deal_id: str) -> ContentRules:
    """The rules a draft for the deal is checked against, once the actor may submit one at all."""
    deal, _ = load_deal(view, actor, deal_id)
    may(view, actor, deal, "submit_draft")  # refuse before the work of checking, as the move itself would
    return _rules(view, deal, current_contract(view, deal))


# -- used by other stages ------------------------------------------------------------------------------------


def approve_unanswered(change: Change, deal: Deal) -> Deal:
    """A review left unanswered past its deadline: approve the latest draft (the deadlines' timeout move).

    A contract that turns auto-approval off (``auto_approve_after_days = None``) makes the deal expire instead.
    """
    contract = current_contract(change, deal)
    if contract is not None and contract.clauses.timeline.auto_approve_after_days is None:
        return apply(change, deal, "expire", payload={"reason": "review unanswered; the contract has no auto-approval"})
    submission = _latest(change, deal)
    moved = apply(
        change,
        deal,
        "auto_approve",
        payload={"submission_id": submission.id, "reason": "review unanswered"},
        deadline=_publish_deadline(change, deal, contract),
    )
    _record_review(change, deal, submission, ReviewDecision.AUTO_APPROVED, (), deal.revisions_used)
    return moved


def current_contract(view: View, deal: Deal) -> Contract | None:
    """The contract that governs ``deal``: the one the deal names, else its executed one, else none."""
    if deal.contract_id is not None:
        record = view.get("contract", deal.contract_id)
        if record is not None:
            return view.entity(record, Contract)
    executed = [c for c in view.find("contract", Contract, parent=deal.id) if c.status is ContractStatus.EXECUTED]
    return max(executed, key=lambda c: c.version) if executed else None


def revision_limit(deal: Deal, contract: Contract | None) -> int:
    """How often the brand may ask for changes: the contract's limit, else the agreed terms' (else none)."""
    if contract is not None:
        return contract.clauses.revision_limit
    return deal.terms.revision_limit if deal.terms is not None else 0


# -- helpers -------------------------------------------------------------------------------------------------


def _submissions(view: View, deal_id: str) -> list[ContentSubmission]:
    return sorted(view.find("submission", ContentSubmission, parent=deal_id), key=lambda s: s.version)


def _latest(view: View, deal: Deal, action: str = "review") -> ContentSubmission:
    submissions = _submissions(view, deal.id)
    if not submissions:
        raise StateError(f"deal {deal.id}", str(deal.state), action, [], "no draft has been submitted")
    return submissions[-1]


def _first(view: View, kind: str, cls: type[E], deal: Deal) -> E | None:
    records = view.records(kind, parent=deal.id)
    return view.entity(records[0], cls) if records else None


def _rules(view: View, deal: Deal, contract: Contract | None) -> ContentRules:
    if contract is not None and contract.clauses.content_requirements != ContentRules():
        return contract.clauses.content_requirements
    return view.load("brief", deal.brief_id, CampaignBrief).content_rules


def _publish_window(view: View, deal: Deal) -> tuple[datetime, datetime]:
    """From the brief's ``publish_from`` to the contract's ``publish_by`` (else the terms', the brief's).

    Agreed dates win over the brief's: they were negotiated for this creator.
    """
    timeline = view.load("brief", deal.brief_id, CampaignBrief).timeline
    contract = current_contract(view, deal)
    if contract is not None:
        end = contract.clauses.timeline.publish_by
    elif deal.terms is not None and deal.terms.publish_by is not None:
        end = deal.terms.publish_by
    else:
        end = timeline.publish_until
    return min(timeline.publish_from, end), end


def _review_deadline(change: Change, contract: Contract | None) -> datetime | None:
    if contract is None:
        return deadline_after(DealState.IN_REVIEW, change.flow, change.now)
    timeline = contract.clauses.timeline
    auto = change.flow.unanswered_review is UnansweredReview.AUTO_APPROVE
    days = timeline.auto_approve_after_days if auto and timeline.auto_approve_after_days else timeline.review_days
    return change.now + timedelta(days=days)


def _publish_deadline(change: Change, deal: Deal, contract: Contract | None) -> datetime | None:
    """The agreed publishing date; if it has already passed, the configured grace period from now."""
    _start, end = _publish_window(change, deal)
    return end if end > change.now else deadline_after(DealState.APPROVED, change.flow, change.now)


def _keep_schedule(change: Change, actor: Actor, deal: Deal, publish_at: datetime) -> PublishSchedule:
    """The deal's one publishing plan, made or moved; audited against the deal so its history shows the plan."""
    records = change.records("publish_schedule", parent=deal.id)
    schedule = PublishSchedule(
        id=records[0].id if records else new_id("sched"),
        deal_id=deal.id,
        publish_at=publish_at,
        scheduled_by=str(actor),
        scheduled_at=change.now,
    )
    if records:
        change.replace("publish_schedule", schedule, expected_version=records[0].version)
    else:
        change.insert("publish_schedule", schedule, workspace=deal.brand_id, parent=deal.id)
    change.audit(
        "content.schedule_publish",
        "deal",
        deal.id,
        change.document(schedule),
        on_behalf_of=on_behalf_of(actor, deal.creator_id),
        workspace=deal.brand_id,
    )
    change.event("content.publish_scheduled", "deal", deal.id, publish_at=publish_at.isoformat())
    return schedule


def _record_review(
    change: Change,
    deal: Deal,
    submission: ContentSubmission,
    decision: ReviewDecision,
    items: tuple[FeedbackItem, ...],
    used: int,
) -> ContentReview:
    review = ContentReview(
        id=new_id("rev"),
        deal_id=deal.id,
        submission_id=submission.id,
        reviewer_id=str(change.actor),
        decision=decision,
        reviewed_at=change.now,
        items=items,
        revisions_used=used,
    )
    change.record("review", review, "content.review", workspace=deal.brand_id, parent=deal.id)
    change.event(
        "content.reviewed", "review", review.id, deal_id=deal.id, decision=str(decision), submission_id=submission.id
    )
    return review


def _check_aware(name: str, moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError([Problem(name, "must be timezone-aware")], what)


def _order_id(view: View, deal: Deal) -> str | None:
    """The id of the order the deal was placed as on its platform, if it was."""
    placed = view.records("platform_order", parent=deal.id)
    return view.entity(placed[0], PlatformOrder).order_id if placed else None


def _check_post_input(platform_post_id: str, url: str, published_at: datetime | None) -> None:
    problems = [
        Problem(name, "must not be empty")
        for name, value in (("platform_post_id", platform_post_id), ("url", url))
        if not value.strip()
    ]
    if problems:
        raise ValidationError(problems, "published post")
    if published_at is not None:
        _check_aware("published_at", published_at, "published post")


def _feedback_items(items: Sequence[FeedbackItem | str]) -> tuple[FeedbackItem, ...]:
    feedback = tuple(item if isinstance(item, FeedbackItem) else FeedbackItem(text=item) for item in items)
    problems = [
        Problem(f"items[{i}].text", "must not be empty") for i, item in enumerate(feedback) if not item.text.strip()
    ]
    if problems:
        raise ValidationError(problems, "review")
    return feedback
