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

import functools
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from .._service import Change, Service, on_behalf_of
from ..entities import (
    Actor,
    CheckResult,
    ContentReview,
    ContentRules,
    ContentSubmission,
    Contract,
    ContractStatus,
    Deal,
    DealState,
    FeedbackItem,
    PublishedPost,
    PublishSchedule,
    ReviewDecision,
    new_id,
)
from ..errors import Problem, StateError, ValidationError
from ._states import next_state

__all__ = ["ContentService", "check_draft"]


@functools.lru_cache(maxsize=1024)  # a brief's rules are checked against every draft
def _pattern(term: str) -> re.Pattern[str]:
    """``term`` as a whole word or phrase in any case: ``#ad`` does not match ``#adorable``."""
    words = (re.escape(part) for part in term.split())
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def _found_in(term: str, texts: dict[str, str]) -> list[str]:
    pattern = _pattern(term)
    return [name for name, text in texts.items() if pattern.search(text)]


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def check_draft(
    rules: ContentRules, *, caption: str, script: str = "", elements: Sequence[str] = ()
) -> tuple[CheckResult, ...]:
    """Check a draft against ``rules``: one result per rule, in the order banned words, required elements,
    disclosure, required mentions, key selling points.

    Words, mentions and selling points are matched as whole words in any case, in the caption and the script
    (``detail`` says where). Required elements are what the creator declares the video shows. The disclosure
    must be in the caption, where viewers see it.
    """
    texts = {"caption": caption, "script": script}
    results = []
    for word in rules.banned_words:
        where = _found_in(word, texts)
        results.append(
            CheckResult(
                rule=f"banned_word:{word}",
                passed=not where,
                detail=f"used in the {' and the '.join(where)}" if where else "not used",
            )
        )
    declared = {_normalised(element) for element in elements}
    for element in rules.required_elements:
        shown = _normalised(element) in declared
        results.append(
            CheckResult(
                rule=f"required_element:{element}",
                passed=shown,
                detail="declared" if shown else "not among the draft's declared elements",
            )
        )
    if rules.disclosure_tags:
        tags = [tag for tag in rules.disclosure_tags if _found_in(tag, {"caption": caption})]
        results.append(
            CheckResult(
                rule="disclosure",
                passed=bool(tags),
                detail=f"{tags[0]} in the caption"
                if tags
                else f"the caption carries none of {', '.join(rules.disclosure_tags)}",
            )
        )
    for label, terms in (
        ("required_mention", rules.required_mentions),
        ("selling_point", rules.key_selling_points),
    ):
        for term in terms:
            where = _found_in(term, texts)
            results.append(
                CheckResult(
                    rule=f"{label}:{term}",
                    passed=bool(where),
                    detail=f"in the {' and the '.join(where)}" if where else "not mentioned",
                )
            )
    return tuple(results)


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
        """Submit the draft's next version: checked per rule, then the deal waits for the brand's review."""
        _check_draft_input(caption, script, media_urls, elements)

        def work(change: Change) -> ContentSubmission:
            deal, _ = self.load_deal(change.tx, actor, deal_id)
            contract = self.current_contract(change.tx, deal)
            previous = self._submissions(change.tx, deal.id)
            submission = ContentSubmission(
                id=new_id("sub"),
                deal_id=deal.id,
                version=len(previous) + 1,
                submitted_by=str(actor),
                submitted_at=change.now,
                caption=caption,
                script=script,
                media_urls=tuple(media_urls),
                elements=tuple(elements),
                checks=check_draft(
                    self._rules(change.tx, deal, contract), caption=caption, script=script, elements=elements
                ),
            )
            failed = [check.rule for check in submission.checks if not check.passed]
            self.kit.deals.apply(
                change,
                deal,
                "submit_draft",
                payload={
                    "submission_id": submission.id,
                    "version": submission.version,
                    "failed_checks": failed,
                },
                deadline=self._review_deadline(change.now, contract),
            )
            change.record(
                "submission",
                submission,
                "content.submit",
                workspace=deal.brand_id,
                parent=deal.id,
                on_behalf_of=_behalf(actor, deal),
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
            deal, _ = self.load_deal(change.tx, actor, deal_id)
            action = "approve" if approve else "request_changes"
            # Ask the table first, so that a non-brand hears "not allowed" rather than a limit it cannot use.
            self.role_in(change.tx, actor, deal, next_state(deal.id, deal.state, action), action)
            contract = self.current_contract(change.tx, deal)
            submission = self._latest(change.tx, deal)
            used = deal.revisions_used
            if approve:
                decision = ReviewDecision.APPROVED
                self.kit.deals.apply(
                    change,
                    deal,
                    action,
                    payload={"submission_id": submission.id},
                    deadline=self._publish_deadline(change.tx, deal, contract),
                )
            else:
                limit = revision_limit(deal, contract)
                if used >= limit:
                    raise StateError(
                        f"deal {deal.id}",
                        str(deal.state),
                        action,
                        ["approve", "cancel", "dispute"],
                        f"the revision limit of {limit} is used up ({used} of {limit})",
                    )
                decision, used = ReviewDecision.CHANGES_REQUESTED, used + 1
                self.kit.deals.apply(
                    change,
                    deal,
                    action,
                    payload={"submission_id": submission.id, "revision": used},
                    revisions_used=used,
                )
            return self._record_review(change, deal, submission, decision, feedback, used)

        return self._write(actor, "review_content", work)

    def auto_approve(self, deal_id: str) -> Deal:
        """Approve the latest draft of a review left unanswered; ``DealService.process_deadlines`` calls it.

        A contract that turns auto-approval off (``auto_approve_after_days = None``) makes the deal expire
        instead.
        """
        system = Actor.system("deadlines")

        def work(change: Change) -> Deal:
            deal, _ = self.load_deal(change.tx, system, deal_id)
            contract = self.current_contract(change.tx, deal)
            if contract is not None and contract.clauses.timeline.auto_approve_after_days is None:
                return self.kit.deals.apply(
                    change,
                    deal,
                    "expire",
                    payload={"reason": "review unanswered; the contract has no auto-approval"},
                )
            submission = self._latest(change.tx, deal)
            moved = self.kit.deals.apply(
                change,
                deal,
                "auto_approve",
                payload={"submission_id": submission.id, "reason": "review unanswered"},
                deadline=self._publish_deadline(change.tx, deal, contract),
            )
            self._record_review(change, deal, submission, ReviewDecision.AUTO_APPROVED, (), deal.revisions_used)
            return moved

        return self._write(system, "timeout.auto_approve", work)

    # -- publishing ------------------------------------------------------------------------------------------

    def schedule_publish(self, actor: Actor, deal_id: str, *, publish_at: datetime) -> PublishSchedule:
        """Plan when the approved draft goes live: in the brief's window, by the agreed publishing date."""
        _check_aware("publish_at", publish_at, "schedule")

        def work(change: Change) -> PublishSchedule:
            deal, _ = self.load_deal(change.tx, actor, deal_id)
            if deal.state is not DealState.APPROVED:
                raise StateError(
                    f"deal {deal.id}",
                    str(deal.state),
                    "schedule_publish",
                    [],
                    "only an approved draft is scheduled",
                )
            # Whoever may publish (the creator's side with manage_content) may plan it.
            self.role_in(change.tx, actor, deal, next_state(deal.id, deal.state, "publish"), "schedule_publish")
            start, end = self._publish_window(change.tx, deal)
            if not max(start, change.now) <= publish_at <= end:
                raise ValidationError(
                    [
                        Problem(
                            "publish_at",
                            f"must be between {max(start, change.now).isoformat()} and {end.isoformat()}",
                        )
                    ],
                    "schedule",
                )
            records = change.tx.find("publish_schedule", parent=deal.id)
            schedule = PublishSchedule(
                id=records[0].id if records else new_id("sched"),
                deal_id=deal.id,
                publish_at=publish_at,
                scheduled_by=str(actor),
                scheduled_at=change.now,
            )
            if records:
                change.tx.update(
                    "publish_schedule",
                    schedule.id,
                    change.document(schedule),
                    expected_version=records[0].version,
                    now=change.now,
                )
            else:
                change.insert("publish_schedule", schedule, workspace=deal.brand_id, parent=deal.id)
            # Audited against the deal, so that the deal's history shows the plan.
            change.audit(
                "content.schedule_publish",
                "deal",
                deal.id,
                change.document(schedule),
                on_behalf_of=_behalf(actor, deal),
                workspace=deal.brand_id,
            )
            change.event("content.publish_scheduled", "deal", deal.id, publish_at=publish_at.isoformat())
            return schedule

        return self._write(actor, "schedule_publish", work)

    def record_published(
        self,
        actor: Actor,
        deal_id: str,
        *,
        platform_post_id: str,
        url: str,
        published_at: datetime | None = None,
    ) -> PublishedPost:
        """The approved draft is live: keep the post for metrics; the deal measures until its new deadline."""
        problems = [
            Problem(name, "must not be empty")
            for name, value in (("platform_post_id", platform_post_id), ("url", url))
            if not value.strip()
        ]
        if problems:
            raise ValidationError(problems, "published post")
        if published_at is not None:
            _check_aware("published_at", published_at, "published post")

        def work(change: Change) -> PublishedPost:
            deal, _ = self.load_deal(change.tx, actor, deal_id)
            self.role_in(change.tx, actor, deal, next_state(deal.id, deal.state, "publish"), "record_published")
            moment = published_at or change.now
            if moment > change.now:
                raise ValidationError(
                    [Problem("published_at", "is in the future; schedule it instead")], "published post"
                )
            submission = self._latest(change.tx, deal, "publish")
            post = PublishedPost(
                id=new_id("post"),
                deal_id=deal.id,
                submission_id=submission.id,
                platform=deal.platform,
                platform_post_id=platform_post_id,
                url=url,
                published_at=moment,
            )
            measure_until = moment + timedelta(days=self.kit.config.workflow.measurement_days)
            self.kit.deals.apply(
                change,
                deal,
                "publish",
                payload={"post_id": post.id, "url": url},
                deadline=max(measure_until, change.now),
            )
            change.record(
                "post",
                post,
                "content.publish",
                workspace=deal.brand_id,
                parent=deal.id,
                on_behalf_of=_behalf(actor, deal),
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

        def work(tx: Any) -> list[ContentSubmission]:
            deal, _ = self.load_deal(tx, actor, deal_id)
            return self._submissions(tx, deal.id)

        return self._read(actor, work)

    def reviews(self, actor: Actor, deal_id: str) -> list[ContentReview]:
        """Every review, oldest first (one per reviewed version)."""

        def work(tx: Any) -> list[ContentReview]:
            deal, _ = self.load_deal(tx, actor, deal_id)
            versions = {submission.id: submission.version for submission in self._submissions(tx, deal.id)}
            found = [self.entity(r, ContentReview) for r in tx.find("review", parent=deal.id)]
            return sorted(found, key=lambda r: (versions.get(r.submission_id, 0), r.reviewed_at))

        return self._read(actor, work)

    def post(self, actor: Actor, deal_id: str) -> PublishedPost | None:
        """The deal's published post, or ``None`` before it is live."""

        def work(tx: Any) -> PublishedPost | None:
            deal, _ = self.load_deal(tx, actor, deal_id)
            records = tx.find("post", parent=deal.id)
            return self.entity(records[0], PublishedPost) if records else None

        return self._read(actor, work)

    def publish_schedule(self, actor: Actor, deal_id: str) -> PublishSchedule | None:
        def work(tx: Any) -> PublishSchedule | None:
            deal, _ = self.load_deal(tx, actor, deal_id)
            records = tx.find("publish_schedule", parent=deal.id)
            return self.entity(records[0], PublishSchedule) if records else None

        return self._read(actor, work)

    def current_contract(self, tx: Any, deal: Deal) -> Contract | None:
        """The contract that governs ``deal``: the one the deal names, else its executed one, else none."""
        if deal.contract_id is not None:
            record = tx.get("contract", deal.contract_id)
            if record is not None:
                return self.entity(record, Contract)
        executed = [
            c
            for c in (self.entity(r, Contract) for r in tx.find("contract", parent=deal.id))
            if c.status is ContractStatus.EXECUTED
        ]
        return max(executed, key=lambda c: c.version) if executed else None

    def _publish_window(self, tx: Any, deal: Deal) -> tuple[datetime, datetime]:
        """From the brief's ``publish_from`` to the contract's ``publish_by`` (else the terms', the brief's).

        Agreed dates win over the brief's: they were negotiated for this creator.
        """
        timeline = self.kit.deals.brief_of(tx, deal).timeline
        contract = self.current_contract(tx, deal)
        if contract is not None:
            end = contract.clauses.timeline.publish_by
        elif deal.terms is not None and deal.terms.publish_by is not None:
            end = deal.terms.publish_by
        else:
            end = timeline.publish_until
        return min(timeline.publish_from, end), end

    # -- helpers ---------------------------------------------------------------------------------------------

    def _submissions(self, tx: Any, deal_id: str) -> list[ContentSubmission]:
        found = [self.entity(r, ContentSubmission) for r in tx.find("submission", parent=deal_id)]
        return sorted(found, key=lambda submission: submission.version)

    def _latest(self, tx: Any, deal: Deal, action: str = "review") -> ContentSubmission:
        submissions = self._submissions(tx, deal.id)
        if not submissions:
            raise StateError(f"deal {deal.id}", str(deal.state), action, [], "no draft has been submitted")
        return submissions[-1]

    def _rules(self, tx: Any, deal: Deal, contract: Contract | None) -> ContentRules:
        if contract is not None and contract.clauses.content_requirements != ContentRules():
            return contract.clauses.content_requirements
        return self.kit.deals.brief_of(tx, deal).content_rules

    def _review_deadline(self, now: datetime, contract: Contract | None) -> datetime | None:
        if contract is None:
            return self.kit.deals.deadline_for(DealState.IN_REVIEW)
        timeline = contract.clauses.timeline
        auto = self.kit.config.workflow.unanswered_review == "auto_approve"
        days = timeline.auto_approve_after_days if auto and timeline.auto_approve_after_days else timeline.review_days
        return now + timedelta(days=days)

    def _publish_deadline(self, tx: Any, deal: Deal, contract: Contract | None) -> datetime | None:
        """The agreed publishing date; if it has already passed, the configured grace period from now."""
        _start, end = self._publish_window(tx, deal)
        return end if end > self.now else self.kit.deals.deadline_for(DealState.APPROVED)

    def _record_review(
        self,
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
            "content.reviewed",
            "review",
            review.id,
            deal_id=deal.id,
            decision=str(decision),
            submission_id=submission.id,
        )
        return review


# -- shared by services --------------------------------------------------------------------------------------


def revision_limit(deal: Deal, contract: Contract | None) -> int:
    """How often the brand may ask for changes: the contract's limit, else the agreed terms' (else none)."""
    if contract is not None:
        return contract.clauses.revision_limit
    return deal.terms.revision_limit if deal.terms is not None else 0


def _behalf(actor: Actor, deal: Deal) -> str | None:
    return on_behalf_of(actor, deal.creator_id)


def _check_aware(name: str, moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError([Problem(name, "must be timezone-aware")], what)


def _check_draft_input(caption: str, script: str, media_urls: Sequence[str], elements: Sequence[str]) -> None:
    problems = []
    if not (caption.strip() or script.strip() or any(url.strip() for url in media_urls)):
        problems.append(Problem("caption", "a draft needs a caption, a script or media"))
    problems += [
        Problem(f"media_urls[{i}]", "must not be empty") for i, url in enumerate(media_urls) if not url.strip()
    ]
    problems += [Problem(f"elements[{i}]", "must not be empty") for i, item in enumerate(elements) if not item.strip()]
    if problems:
        raise ValidationError(problems, "draft")


def _feedback_items(items: Sequence[FeedbackItem | str]) -> tuple[FeedbackItem, ...]:
    feedback = tuple(item if isinstance(item, FeedbackItem) else FeedbackItem(text=item) for item in items)
    problems = [
        Problem(f"items[{i}].text", "must not be empty") for i, item in enumerate(feedback) if not item.text.strip()
    ]
    if problems:
        raise ValidationError(problems, "review")
    return feedback
