"""Content review: drafts in versions, checks per rule, the revision limit, unanswered reviews, publishing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest

from creatorkit.config import WorkflowSettings
from creatorkit.entities import (
    ContentRules,
    Contract,
    ContractClauses,
    ContractStatus,
    ContractTimeline,
    Deal,
    DealState,
    FeedbackItem,
    ReviewDecision,
    Scope,
    TextSpan,
)
from creatorkit.errors import NotFound, PermissionDenied, StateError, ValidationError
from creatorkit.workflow import check_draft
from creatorkit.workflow._content_rules import CompiledRules
from creatorkit.workflow._machine import apply, load_deal
from world import START, World

CLEAN = "Morning glow with vitamin C serum #ad"
ELEMENTS = ("product close-up",)


def to_production(world: World, deal: Deal | None = None, **terms: Any) -> Deal:
    """TEST SHORTCUT, not the product flow: an AGREED deal (``world.agree(**terms)`` unless given) moved
    straight to IN_PRODUCTION.

    It stands in for ContractService (draft, sign twice, execute) so that these tests do not depend on it:
    the brand sends the contract, then the system executes it and starts production, all through the table.
    """
    kit = world.kit
    deal = deal or world.agree(**terms)
    assert deal.state is DealState.AGREED

    def send(change: Any) -> Deal:
        current, _ = load_deal(change, world.brand, deal.id)
        return apply(change, current, "send_contract", payload={"test_shortcut": True})

    def start(change: Any) -> Deal:
        current, _ = load_deal(change, world.system, deal.id)
        for action in ("execute", "start_production"):
            current = apply(change, current, action, payload={"test_shortcut": True})
        return current

    kit.deals._write(world.brand, "test", send)
    moved = kit.deals._write(world.system, "test", start)
    assert moved.state is DealState.IN_PRODUCTION
    return moved


def attach_contract(world: World, deal: Deal, **clauses: Any) -> Contract:
    """TEST SHORTCUT: store an executed contract for ``deal`` directly, as ContractService would leave it."""
    terms = deal.terms
    assert terms is not None
    contract = Contract(
        id=f"contract_{deal.id}",
        deal_id=deal.id,
        version=1,
        template_id="tpl_std",
        template_version=1,
        brand_id=deal.brand_id,
        creator_id=deal.creator_id,
        price=terms.price,
        clauses=ContractClauses(
            deliverables=terms.deliverables,
            payment=terms.payment,
            timeline=clauses.pop(
                "timeline",
                ContractTimeline(draft_due=START + timedelta(days=10), publish_by=START + timedelta(days=30)),
            ),
            **clauses,
        ),
        text="...",
        created_at=world.clock.now,
        content_hash="0" * 64,
        status=ContractStatus.EXECUTED,
    )

    def work(change: Any) -> Contract:
        change.insert("contract", contract, workspace=deal.brand_id, parent=deal.id, state=str(contract.status))
        change.audit("test.contract", "contract", contract.id, {})
        return contract

    return world.kit.deals._write(world.system, "test", work)


def submit(world: World, deal: Deal, caption: str = CLEAN, **kw: Any) -> Any:
    return world.kit.content.submit_draft(
        world.creator, deal.id, caption=caption, elements=kw.pop("elements", ELEMENTS), **kw
    )


def state_of(world: World, deal: Deal) -> Deal:
    return world.kit.deals.get(world.brand, deal.id)


# -- checks ----------------------------------------------------------------------------------------------------


def test_each_rule_is_reported_on_the_draft(world: World) -> None:
    deal = to_production(world)
    draft = submit(world, deal, "This serum is a Miracle for dull skin", elements=(), script="Vitamin C, daily.")
    checks = {check.rule: check for check in draft.checks}
    assert list(checks) == [
        "banned_word:cure",
        "banned_word:miracle",
        "required_element:product close-up",
        "disclosure",
        "selling_point:vitamin C",
    ]
    assert checks["banned_word:cure"].passed
    assert not checks["banned_word:miracle"].passed
    assert "caption" in checks["banned_word:miracle"].detail
    assert not checks["required_element:product close-up"].passed
    assert not checks["disclosure"].passed and "#ad" in checks["disclosure"].detail
    assert checks["selling_point:vitamin C"].passed and "script" in checks["selling_point:vitamin C"].detail
    assert not draft.checks_passed


def test_failed_checks_do_not_block_the_submission(world: World) -> None:
    deal = to_production(world)
    draft = submit(world, deal, "A miracle cure")
    moved = state_of(world, deal)
    assert moved.state is DealState.IN_REVIEW and moved.awaiting == "brand"
    assert moved.deadline == world.clock.now + timedelta(days=world.kit.config.workflow.auto_approve_after_days)
    assert world.kit.content.drafts(world.brand, deal.id) == [draft]


def test_a_clean_draft_passes_every_check(world: World) -> None:
    deal = to_production(world)
    draft = submit(world, deal, CLEAN, elements=("Product  Close-Up", "unboxing"))
    assert draft.checks_passed, draft.checks


def test_matching_is_whole_word_and_case_blind() -> None:
    rules = ContentRules(banned_words=("cure",), disclosure_tags=("#ad",), required_mentions=("@lumen",))
    checks = {c.rule: c for c in check_draft(rules, caption="Cured my mornings #adorable @lumencosmetics")}
    assert checks["banned_word:cure"].passed  # "cured" is not the word "cure"
    assert not checks["disclosure"].passed  # "#adorable" is not "#ad"
    assert not checks["required_mention:@lumen"].passed
    checks = {c.rule: c for c in check_draft(rules, caption="#AD with @Lumen", script="It will CURE nothing")}
    assert not checks["banned_word:cure"].passed and checks["banned_word:cure"].detail == "used in the script"
    assert checks["disclosure"].passed and checks["required_mention:@lumen"].passed


def test_a_disclosure_in_the_script_only_does_not_count() -> None:
    checks = check_draft(ContentRules(), caption="Glow time", script="#ad")
    assert [(c.rule, c.passed) for c in checks] == [("disclosure", False)]


def test_an_empty_draft_is_refused(world: World) -> None:
    deal = to_production(world)
    with pytest.raises(ValidationError) as raised:
        world.kit.content.submit_draft(world.creator, deal.id, caption=" ", media_urls=("",))
    assert raised.value.paths == ["caption", "media_urls[0]"]
    assert state_of(world, deal).state is DealState.IN_PRODUCTION


def test_a_caption_or_script_over_its_limit_is_refused_and_nothing_is_stored(world: World) -> None:
    kit = world.kit
    deal = to_production(world)
    flow = kit.config.workflow
    with pytest.raises(ValidationError) as raised:
        kit.content.submit_draft(
            world.creator, deal.id, caption="x" * (flow.caption_max_chars + 1), script="y" * (flow.script_max_chars + 1)
        )
    assert raised.value.paths == ["caption", "script"]
    assert "10,001 characters long; at most 10,000 (workflow.caption_max_chars)" in str(raised.value)
    kit.config = attrs.evolve(kit.config, workflow=attrs.evolve(flow, caption_max_chars=20))
    with pytest.raises(ValidationError, match=r"workflow\.caption_max_chars"):
        submit(world, deal, "A caption of 29 characters #ad")
    assert kit.content.drafts(world.brand, deal.id) == []
    assert state_of(world, deal).state is DealState.IN_PRODUCTION
    assert submit(world, deal, "Short enough #ad").version == 1


def test_the_checks_run_before_the_write_transaction_opens(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long draft checked against many rules must not hold the write lock while it is checked."""
    from creatorkit.workflow import _content

    kit, writing, checked_while_writing = world.kit, [], []
    deal = to_production(world)
    open_transaction = kit.store._write_transaction

    @contextlib.contextmanager
    def transaction() -> Iterator[Any]:
        with open_transaction() as tx:
            writing.append(True)
            try:
                yield tx
            finally:
                writing.pop()

    class Watched(CompiledRules):
        def check(self, **draft: Any) -> Any:
            checked_while_writing.append(bool(writing))
            return super().check(**draft)

    monkeypatch.setattr(kit.store, "_write_transaction", transaction)
    monkeypatch.setattr(_content, "compiled_rules", lambda rules, tags: Watched(rules, recognised_disclosures=tags))
    draft = submit(world, deal, "A miracle with vitamin C #ad")
    assert checked_while_writing == [False]
    assert [c.rule for c in draft.checks if not c.passed] == ["banned_word:miracle"]


def test_rules_changed_between_reading_and_writing_are_checked_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The contract's requirements arrive after the draft was checked against the brief's: they are what count."""
    from creatorkit.workflow import _content

    deal = to_production(world)
    seen: list[ContentRules] = []

    class Racing(CompiledRules):
        def check(self, **draft: Any) -> Any:
            seen.append(self.rules)
            if len(seen) == 1:  # after the read, before the write: the executed contract lands
                attach_contract(world, deal, content_requirements=ContentRules(banned_words=("glow",)))
            return super().check(**draft)

    monkeypatch.setattr(_content, "compiled_rules", lambda rules, tags: Racing(rules, recognised_disclosures=tags))
    draft = submit(world, deal, "Glow with a miracle #ad")
    assert seen == [world.brief.content_rules, ContentRules(banned_words=("glow",))]
    assert [(c.rule, c.passed) for c in draft.checks] == [("banned_word:glow", False), ("disclosure", True)]
    assert world.kit.content.drafts(world.brand, deal.id)[0].checks == draft.checks


def test_each_check_says_where_it_found_its_term_and_keeps_it(world: World) -> None:
    deal = to_production(world)
    caption = "这是Miracle面霜 #广告"
    draft = submit(world, deal, caption, script="Vitamin C, every morning.")
    checks = {check.rule: check for check in draft.checks}
    assert checks["banned_word:miracle"].spans == (TextSpan(field="caption", start=2, end=9),)
    assert checks["disclosure"].passed and checks["disclosure"].detail == "#广告 in the caption"
    assert [caption[s.start : s.end] for s in checks["disclosure"].spans] == ["#广告"]
    assert checks["selling_point:vitamin C"].spans == (TextSpan(field="script", start=0, end=9),)
    assert world.kit.content.drafts(world.brand, deal.id) == [draft]


# -- versions and the revision limit --------------------------------------------------------------------------


def test_versions_grow_and_changes_stop_at_the_revision_limit(world: World) -> None:
    deal = to_production(world)  # terms allow 2 revisions
    content = world.kit.content
    for revision in (1, 2):
        submit(world, deal, f"take {revision} #ad")
        review = content.review(
            world.brand, deal.id, approve=False, items=[FeedbackItem(text="Brighter light", at_seconds=3.0)]
        )
        assert review.decision is ReviewDecision.CHANGES_REQUESTED and review.revisions_used == revision
        assert state_of(world, deal).state is DealState.CHANGES_REQUESTED
    last = submit(world, deal, "take 3 #ad")
    with pytest.raises(StateError, match="revision limit of 2") as raised:
        content.review(world.brand, deal.id, approve=False, items=["once more"])
    assert raised.value.allowed == ["approve", "cancel", "dispute"]
    assert state_of(world, deal).state is DealState.IN_REVIEW
    approved = content.review(world.brand, deal.id, approve=True)
    assert approved.submission_id == last.id and approved.decision is ReviewDecision.APPROVED
    assert [d.version for d in content.drafts(world.creator, deal.id)] == [1, 2, 3]
    assert [r.decision for r in content.reviews(world.creator, deal.id)] == [
        ReviewDecision.CHANGES_REQUESTED,
        ReviewDecision.CHANGES_REQUESTED,
        ReviewDecision.APPROVED,
    ]
    assert state_of(world, deal).revisions_used == 2


def test_no_revisions_agreed_means_approve_or_leave(world: World) -> None:
    deal = to_production(world, revision_limit=0)
    submit(world, deal)
    with pytest.raises(StateError, match="revision limit of 0"):
        world.kit.content.review(world.brand, deal.id, approve=False, items=["redo"])


def test_asking_for_changes_needs_feedback(world: World) -> None:
    deal = to_production(world)
    submit(world, deal)
    with pytest.raises(ValidationError) as raised:
        world.kit.content.review(world.brand, deal.id, approve=False)
    assert raised.value.paths == ["items"]
    with pytest.raises(ValidationError) as raised:
        world.kit.content.review(world.brand, deal.id, approve=False, items=["ok", " "])
    assert raised.value.paths == ["items[1].text"]


def test_approval_waits_for_publishing_until_the_agreed_date(world: World) -> None:
    deal = to_production(world)
    submit(world, deal)
    world.kit.content.review(world.brand, deal.id, approve=True, items=["Lovely"])
    approved = state_of(world, deal)
    assert approved.state is DealState.APPROVED and approved.awaiting == "creator"
    assert approved.deadline == START + timedelta(days=40)  # the terms' publish_by


def test_reviewing_needs_a_draft_in_review(world: World) -> None:
    deal = to_production(world)
    with pytest.raises(StateError, match="in_production"):
        world.kit.content.review(world.brand, deal.id, approve=True)


# -- unanswered reviews ---------------------------------------------------------------------------------------


def test_an_unanswered_review_is_auto_approved(world: World) -> None:
    deal = to_production(world)
    draft = submit(world, deal)
    world.clock.advance(days=13)
    assert world.kit.deals.process_deadlines().moved == []
    world.clock.advance(days=1, minutes=1)
    moved = world.kit.deals.process_deadlines().moved
    assert [d.id for d in moved] == [deal.id] and moved[0].state is DealState.APPROVED
    reviews = world.kit.content.reviews(world.brand, deal.id)
    assert [(r.decision, r.submission_id, r.reviewer_id) for r in reviews] == [
        (ReviewDecision.AUTO_APPROVED, draft.id, "system:deadlines")
    ]


def test_an_unanswered_review_expires_when_configured(world: World) -> None:
    kit = world.kit
    kit.config = attrs.evolve(kit.config, workflow=WorkflowSettings(unanswered_review="expire"))
    deal = to_production(world)
    submit(world, deal)
    assert state_of(world, deal).deadline == world.clock.now + timedelta(days=3)  # review_days
    world.clock.advance(days=3, minutes=1)
    moved = kit.deals.process_deadlines().moved
    assert [d.state for d in moved] == [DealState.EXPIRED]
    assert kit.content.reviews(world.brand, deal.id) == []


# -- the contract governs when there is one -------------------------------------------------------------------


def test_the_contract_sets_limit_rules_and_review_deadline(world: World) -> None:
    deal = to_production(world)  # terms allow 2 revisions
    timeline = ContractTimeline(
        draft_due=START + timedelta(days=10),
        publish_by=START + timedelta(days=30),
        review_days=5,
        auto_approve_after_days=None,
    )
    rules = ContentRules(banned_words=("guaranteed",), disclosure_tags=("#sponsored",))
    attach_contract(world, deal, revision_limit=1, timeline=timeline, content_requirements=rules)
    draft = submit(world, deal, "Guaranteed glow #ad")
    assert [(c.rule, c.passed) for c in draft.checks] == [("banned_word:guaranteed", False), ("disclosure", False)]
    assert state_of(world, deal).deadline == world.clock.now + timedelta(days=5)
    world.kit.content.review(world.brand, deal.id, approve=False, items=["Drop 'guaranteed'"])
    submit(world, deal, "Glow #sponsored")
    with pytest.raises(StateError, match="revision limit of 1"):
        world.kit.content.review(world.brand, deal.id, approve=False, items=["again"])
    # The contract turns auto-approval off: an unanswered review expires instead.
    world.clock.advance(days=5, minutes=1)
    assert [d.state for d in world.kit.deals.process_deadlines().moved] == [DealState.EXPIRED]


def test_approval_waits_until_the_contracts_publishing_date(world: World) -> None:
    deal = to_production(world)
    attach_contract(world, deal)
    submit(world, deal)
    world.kit.content.review(world.brand, deal.id, approve=True)
    assert state_of(world, deal).deadline == START + timedelta(days=30)


# -- who may do what ------------------------------------------------------------------------------------------


def test_another_brand_sees_nothing(world: World) -> None:
    deal = to_production(world)
    submit(world, deal)
    content = world.kit.content
    with pytest.raises(NotFound):
        content.review(world.unverified_brand, deal.id, approve=True)
    with pytest.raises(NotFound):
        content.drafts(world.unverified_brand, deal.id)
    with pytest.raises(NotFound):
        content.submit_draft(world.other_manager, deal.id, caption=CLEAN)


def test_only_the_brand_reviews_and_only_the_creator_side_submits(world: World) -> None:
    deal = to_production(world)
    with pytest.raises(PermissionDenied, match="only creator may submit_draft"):
        world.kit.content.submit_draft(world.brand, deal.id, caption=CLEAN)
    submit(world, deal)
    with pytest.raises(PermissionDenied, match="only brand may approve"):
        world.kit.content.review(world.creator, deal.id, approve=True)
    with pytest.raises(PermissionDenied):
        world.kit.content.review(world.manager, deal.id, approve=False, items=["x"])


def test_a_manager_needs_manage_content(world: World) -> None:
    kit = world.kit
    deal = to_production(world)
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.VIEW_STATS, Scope.NEGOTIATE])
    with pytest.raises(PermissionDenied, match="manage_content"):
        kit.content.submit_draft(world.manager, deal.id, caption=CLEAN)
    assert state_of(world, deal).state is DealState.IN_PRODUCTION
    kit.roster.set_scopes(world.creator, world.roster_entry_id, [Scope.NEGOTIATE, Scope.MANAGE_CONTENT])
    draft = kit.content.submit_draft(world.manager, deal.id, caption=CLEAN, elements=ELEMENTS)
    assert draft.submitted_by == "talent_manager:mgr_mina"
    history = kit.deals.history(world.brand, deal.id)
    submitted = [e for e in history if e["action"] == "content.submit"]
    assert [e["on_behalf_of"] for e in submitted] == [world.creator.id]


# -- scheduling and publishing --------------------------------------------------------------------------------


def approved(world: World) -> Deal:
    deal = to_production(world)
    submit(world, deal)
    world.kit.content.review(world.brand, deal.id, approve=True)
    return deal


def test_publishing_is_scheduled_inside_the_window(world: World) -> None:
    deal = approved(world)
    content = world.kit.content
    first = content.schedule_publish(world.creator, deal.id, publish_at=START + timedelta(days=20))
    again = content.schedule_publish(world.manager, deal.id, publish_at=START + timedelta(days=21))
    assert again.id == first.id and again.scheduled_by == "talent_manager:mgr_mina"
    assert content.publish_schedule(world.brand, deal.id) == again
    assert any(e["action"] == "content.schedule_publish" for e in world.kit.deals.history(world.brand, deal.id))


@pytest.mark.parametrize("days", [10, 41], ids=["before-the-brief-window", "after-publish-by"])
def test_a_schedule_outside_the_window_is_refused(world: World, days: int) -> None:
    deal = approved(world)
    with pytest.raises(ValidationError) as raised:
        world.kit.content.schedule_publish(world.creator, deal.id, publish_at=START + timedelta(days=days))
    assert raised.value.paths == ["publish_at"]
    assert world.kit.content.publish_schedule(world.creator, deal.id) is None


def test_scheduling_needs_an_approved_draft_an_aware_time_and_the_creator_side(world: World) -> None:
    deal = to_production(world)
    content = world.kit.content
    with pytest.raises(StateError, match="approved"):
        content.schedule_publish(world.creator, deal.id, publish_at=START + timedelta(days=20))
    submit(world, deal)
    content.review(world.brand, deal.id, approve=True)
    with pytest.raises(ValidationError, match="publish_at"):
        content.schedule_publish(world.creator, deal.id, publish_at=datetime(2026, 3, 25, 9, 0))
    with pytest.raises(PermissionDenied):
        content.schedule_publish(world.brand, deal.id, publish_at=START + timedelta(days=20))


def test_the_published_post_is_kept_for_metrics(world: World, events: list[Any]) -> None:
    deal = approved(world)
    draft = world.kit.content.drafts(world.creator, deal.id)[-1]
    world.clock.advance(days=15)
    post = world.kit.content.record_published(
        world.creator, deal.id, platform_post_id="echo-7001", url="https://echo.example/v/7001"
    )
    live = state_of(world, deal)
    assert live.state is DealState.PUBLISHED
    assert live.deadline == post.published_at + timedelta(days=world.kit.config.workflow.measurement_days)
    assert (post.submission_id, post.platform, post.platform_post_id) == (draft.id, "echo", "echo-7001")
    assert world.kit.content.post(world.brand, deal.id) == post
    assert [e.data["platform_post_id"] for e in events if e.name == "post.published"] == ["echo-7001"]
    with pytest.raises(StateError):
        world.kit.content.record_published(world.creator, deal.id, platform_post_id="again", url="https://x")


def test_the_published_post_names_its_account_and_order_so_its_metrics_can_be_read(world: World) -> None:
    deal = approved(world)
    world.clock.advance(days=15)
    post = world.kit.content.record_published(
        world.creator,
        deal.id,
        platform_post_id="echo-0003-p1",
        url="https://echo.example/v/1",
        platform_order_id="order-77",
    )
    assert post.account is not None and post.account.handle == "echo_creator_03"
    assert post.platform_order_id == "order-77"
    assert world.kit.content.post(world.brand, deal.id) == post
    metrics = world.kit.plugins.platform("echo").fetch_post_metrics(post)
    assert (metrics.platform_post_id, metrics.account_id) == ("echo-0003-p1", "echo-0003")
    assert metrics.saves is None  # echo reports no saves: missing, not 0


def test_publishing_is_refused_before_approval_and_for_the_brand(world: World) -> None:
    deal = to_production(world)
    submit(world, deal)
    content = world.kit.content
    with pytest.raises(StateError, match="in_review"):
        content.record_published(world.creator, deal.id, platform_post_id="p1", url="https://x")
    assert content.post(world.creator, deal.id) is None
    content.review(world.brand, deal.id, approve=True)
    with pytest.raises(PermissionDenied):
        content.record_published(world.brand, deal.id, platform_post_id="p1", url="https://x")
    with pytest.raises(ValidationError) as raised:
        content.record_published(world.creator, deal.id, platform_post_id=" ", url="")
    assert raised.value.paths == ["platform_post_id", "url"]
    with pytest.raises(ValidationError, match="published_at"):
        content.record_published(
            world.creator,
            deal.id,
            platform_post_id="p1",
            url="https://x",
            published_at=world.clock.now + timedelta(hours=1),
        )


def test_the_system_may_record_a_publication_it_observed(world: World) -> None:
    deal = approved(world)
    earlier = world.clock.now - timedelta(hours=2)
    post = world.kit.content.record_published(
        world.system, deal.id, platform_post_id="echo-1", url="https://e/1", published_at=earlier
    )
    assert post.published_at == earlier
    assert state_of(world, deal).state is DealState.PUBLISHED
