"""Content review: drafts in versions, automatic rule checks, feedback, and the published post."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ._common import FieldValueError, aware, non_negative, platform_name, positive, typed_fields
from ._creators import PlatformAccount

__all__ = [
    "CheckResult",
    "ContentReview",
    "ContentSubmission",
    "FeedbackItem",
    "PublishSchedule",
    "PublishedPost",
    "ReviewDecision",
    "TextSpan",
]


def _ends_after_start(instance: TextSpan, attribute: attrs.Attribute[int], value: int) -> None:
    if value < instance.start:
        raise FieldValueError(attribute.name, f"must be >= start ({instance.start}), got {value}")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class TextSpan:
    """Where in a draft a check found a term: ``caption[start:end]`` (or the script's), counted in Unicode code
    points (Python string indexes) of the text as the creator submitted it, before any normalisation."""

    field: str
    start: int = attrs.field(validator=non_negative)
    end: int = attrs.field(validator=[non_negative, _ends_after_start])


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class CheckResult:
    """One automatic check on a draft: ``rule`` such as ``banned_word:cure`` or ``disclosure``.

    ``spans`` says where the rule's term was found (a banned word used, a mention or a disclosure tag made);
    a rule about declared elements, or a term found nowhere, has none.
    """

    rule: str
    passed: bool
    detail: str = ""
    spans: tuple[TextSpan, ...] = ()


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ContentSubmission:
    """A draft (or a revision of it) submitted for review."""

    id: str
    deal_id: str
    version: int = attrs.field(validator=positive)
    submitted_by: str
    submitted_at: datetime = attrs.field(validator=aware)
    caption: str = ""
    script: str = ""
    media_urls: tuple[str, ...] = ()
    elements: tuple[str, ...] = ()
    checks: tuple[CheckResult, ...] = ()

    @property
    def checks_passed(self) -> bool:
        return all(check.passed for check in self.checks)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class FeedbackItem:
    text: str
    at_seconds: float | None = attrs.field(default=None, validator=non_negative)
    rule: str | None = None


class ReviewDecision(enum.StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    AUTO_APPROVED = "auto_approved"


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ContentReview:
    id: str
    deal_id: str
    submission_id: str
    reviewer_id: str
    decision: ReviewDecision
    reviewed_at: datetime = attrs.field(validator=aware)
    items: tuple[FeedbackItem, ...] = ()
    revisions_used: int = attrs.field(default=0, validator=non_negative)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PublishedPost:
    """The live post, linked so that metrics can be read for it.

    ``platform_order_id`` is the order or campaign the deal was placed as on the platform (TikTok's report is
    read by order id), and ``account`` the creator's account the post is on (Instagram's insights are read
    with that account's grant); either is ``None`` when it is not known.
    """

    id: str
    deal_id: str
    submission_id: str
    platform: str = attrs.field(validator=platform_name)
    platform_post_id: str
    url: str
    published_at: datetime = attrs.field(validator=aware)
    platform_order_id: str | None = None
    account: PlatformAccount | None = None


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class PublishSchedule:
    """When the creator's side plans to publish the approved draft."""

    id: str
    deal_id: str
    publish_at: datetime = attrs.field(validator=aware)
    scheduled_by: str
    scheduled_at: datetime = attrs.field(validator=aware)
