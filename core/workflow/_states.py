"""The deal state machine, as one table: a row per state with its moves, who may make each, what the state waits
for, its deadline and what happens when the deadline passes.

Every waiting state has a deadline and a timeout action, so no deal — and no escrowed money — waits forever.
The campaign board's tabs are derived from the state, never stored. The code that moves a deal
(:func:`creatorkit.workflow._machine.apply`) reads only this table; ``docs/workflow.md`` is checked against it.

Roles: ``brand`` (the brand that owns the deal), ``creator`` (the creator, or a talent manager holding the
scope the move names on that creator's roster entry), ``system`` (deadlines, payments, the platform's
arbiter).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs

from ..config import UnansweredReview, WorkflowSettings
from ..entities import Awaiting, DealState, Scope
from ..errors import StateError

__all__ = [
    "FINAL_STATES",
    "ON_TIMEOUT",
    "RESUME",
    "STATES",
    "TABS",
    "TRANSITIONS",
    "Deadline",
    "Role",
    "StateRow",
    "Tab",
    "Transition",
    "allowed_actions",
    "deadline_after",
    "next_state",
    "tab_of",
    "timeout_action",
]


class Role(enum.StrEnum):
    BRAND = "brand"
    CREATOR = "creator"
    SYSTEM = "system"


class Tab(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    FINISHED = "finished"
    INACTIVE = "inactive"


class _Resume(enum.Enum):
    TOKEN = "the state before the dispute"

    def __repr__(self) -> str:
        return "RESUME"


#: A move's target meaning "back to the state the deal was in when the dispute opened".
RESUME = _Resume.TOKEN


@attrs.frozen
class Transition:
    """One move out of a state: where it goes, who may make it, and the scope a manager needs for it."""

    to: DealState | _Resume
    by: frozenset[Role]
    #: The roster scope a manager needs to make this move for a creator.
    scope: Scope | None = None
    #: A move that stays in its state keeps the deadline, unless it restarts the wait (a new offer, a new draft).
    resets_deadline: bool = False


@attrs.frozen
class Deadline:
    """How long a state waits (the ``[workflow]`` setting holding the days) and the move made when it has waited.

    ``configured`` is the review rule: a draft left unanswered is approved after ``auto_approve_after_days``
    or expires after ``review_days``, as ``workflow.unanswered_review`` says.
    """

    days: str
    on_timeout: str
    configured: bool = False

    def resolve(self, settings: WorkflowSettings) -> tuple[int, str]:
        """(days, timeout action) under ``settings``."""
        if self.configured and settings.unanswered_review is not UnansweredReview.AUTO_APPROVE:
            return settings.review_days, "expire"
        return getattr(settings, self.days), self.on_timeout


@attrs.frozen
class StateRow:
    """Everything about one state: its board tab, its moves, who it waits for, and its deadline."""

    state: DealState
    tab: Tab
    moves: Mapping[str, Transition]
    waiting_for: Awaiting | None = None
    next_step: str | None = None
    deadline: Deadline | None = None
    #: Entering this state remembers the state it came from (for ``RESUME``); leaving it forgets it.
    remembers_previous: bool = False

    @property
    def final(self) -> bool:
        return not self.moves


def _t(to: DealState | _Resume, *by: Role, scope: Scope | None = None, resets_deadline: bool = False) -> Transition:
    return Transition(to, frozenset(by), scope, resets_deadline)


S = DealState
B, C, SYS = Role.BRAND, Role.CREATOR, Role.SYSTEM
NEGOTIATE, CONTENT = Scope.NEGOTIATE, Scope.MANAGE_CONTENT
_CANCEL = _t(S.CANCELLED, B, C, scope=NEGOTIATE)
_DISPUTE = _t(S.DISPUTED, B, C, scope=NEGOTIATE)
_EXPIRE = _t(S.EXPIRED, SYS)

_ROWS = (
    StateRow(
        S.INVITED,
        Tab.PENDING,
        {
            "accept_invitation": _t(S.NEGOTIATING, C, scope=NEGOTIATE),
            "decline_invitation": _t(S.DECLINED, C, scope=NEGOTIATE),
            "withdraw": _t(S.CANCELLED, B),
            "expire": _EXPIRE,
        },
        Awaiting.CREATOR,
        "respond to the invitation",
        Deadline("invitation_response_days", "expire"),
    ),
    StateRow(
        S.NEGOTIATING,
        Tab.PENDING,
        {
            "propose_terms": _t(S.NEGOTIATING, B, C, scope=NEGOTIATE, resets_deadline=True),
            "accept_offer": _t(S.AGREED, B, C, scope=NEGOTIATE),
            "decline_offer": _t(S.NEGOTIATING, B, C, scope=NEGOTIATE),
            "walk_away": _t(S.DECLINED, B, C, scope=NEGOTIATE),
            "expire": _EXPIRE,
        },
        Awaiting.EITHER,
        "propose terms or answer the open offer",
        Deadline("offer_response_days", "expire"),
    ),
    StateRow(
        S.AGREED,
        Tab.PENDING,
        {"send_contract": _t(S.CONTRACT_SENT, B), "cancel": _CANCEL, "expire": _EXPIRE},
        Awaiting.BRAND,
        "send the contract",
        Deadline("signature_days", "expire"),
    ),
    StateRow(
        S.CONTRACT_SENT,
        Tab.PENDING,
        {
            "sign": _t(S.CONTRACT_SENT, B, C, scope=Scope.SIGN_ON_BEHALF),
            "execute": _t(S.EXECUTED, SYS),
            "amend_contract": _t(S.CONTRACT_SENT, B, resets_deadline=True),
            "cancel": _CANCEL,
            "expire": _EXPIRE,
        },
        Awaiting.EITHER,
        "sign the contract",
        Deadline("signature_days", "expire"),
    ),
    StateRow(
        S.EXECUTED,
        Tab.ACTIVE,
        {
            "fund": _t(S.IN_PRODUCTION, SYS),
            "start_production": _t(S.IN_PRODUCTION, SYS),
            "cancel": _CANCEL,
            "dispute": _DISPUTE,
            "expire": _EXPIRE,
        },
        Awaiting.SYSTEM,
        "fund the escrow (the payments flow)",
        Deadline("funding_days", "expire"),
    ),
    StateRow(
        S.IN_PRODUCTION,
        Tab.ACTIVE,
        {"submit_draft": _t(S.IN_REVIEW, C, scope=CONTENT), "cancel": _CANCEL, "dispute": _DISPUTE, "expire": _EXPIRE},
        Awaiting.CREATOR,
        "submit the draft",
        Deadline("draft_days", "expire"),
    ),
    StateRow(
        S.IN_REVIEW,
        Tab.ACTIVE,
        {
            "approve": _t(S.APPROVED, B),
            "request_changes": _t(S.CHANGES_REQUESTED, B),
            "auto_approve": _t(S.APPROVED, SYS),
            "cancel": _CANCEL,
            "dispute": _DISPUTE,
            "expire": _EXPIRE,
        },
        Awaiting.BRAND,
        "review the draft",
        Deadline("auto_approve_after_days", "auto_approve", configured=True),
    ),
    StateRow(
        S.CHANGES_REQUESTED,
        Tab.ACTIVE,
        {"submit_draft": _t(S.IN_REVIEW, C, scope=CONTENT), "cancel": _CANCEL, "dispute": _DISPUTE, "expire": _EXPIRE},
        Awaiting.CREATOR,
        "revise the draft",
        Deadline("draft_days", "expire"),
    ),
    StateRow(
        S.APPROVED,
        Tab.ACTIVE,
        {"publish": _t(S.PUBLISHED, C, SYS, scope=CONTENT), "dispute": _DISPUTE, "expire": _EXPIRE},
        Awaiting.CREATOR,
        "publish the post",
        Deadline("publish_days", "expire"),
    ),
    StateRow(
        S.PUBLISHED,
        Tab.ACTIVE,
        {"complete": _t(S.COMPLETED, B, SYS), "dispute": _DISPUTE},
        Awaiting.SYSTEM,
        "collect metrics and complete",
        Deadline("measurement_days", "complete"),
    ),
    StateRow(
        S.DISPUTED,
        Tab.ACTIVE,
        {
            # The arbiter (the platform, or the payments flow applying a settlement) decides.
            "resolve_resume": _t(RESUME, SYS),
            "resolve_cancel": _t(S.CANCELLED, SYS),
            "resolve_complete": _t(S.COMPLETED, SYS),
        },
        Awaiting.SYSTEM,
        "resolve the dispute",
        Deadline("dispute_days", "resolve_cancel"),
        remembers_previous=True,
    ),
    StateRow(S.COMPLETED, Tab.FINISHED, {}),
    StateRow(S.DECLINED, Tab.INACTIVE, {}),
    StateRow(S.EXPIRED, Tab.INACTIVE, {}),
    StateRow(S.CANCELLED, Tab.INACTIVE, {}),
)

_DEFAULT_SETTINGS = WorkflowSettings()

#: The table: one row per deal state.
STATES: Mapping[DealState, StateRow] = {row.state: row for row in _ROWS}

# Views of the table, for readers who want one column of it.
#: state → action → transition.
TRANSITIONS: Mapping[DealState, Mapping[str, Transition]] = {row.state: row.moves for row in _ROWS}
#: What happens when a waiting state's deadline passes, with the default review rule (see :func:`timeout_action`).
ON_TIMEOUT: Mapping[DealState, str] = {row.state: row.deadline.on_timeout for row in _ROWS if row.deadline}
TABS: Mapping[Tab, frozenset[DealState]] = {tab: frozenset(r.state for r in _ROWS if r.tab is tab) for tab in Tab}
FINAL_STATES = frozenset(row.state for row in _ROWS if row.final)


def tab_of(state: DealState) -> Tab:
    return STATES[state].tab


def allowed_actions(state: DealState) -> list[str]:
    return sorted(STATES[state].moves)


def next_state(deal_id: str, state: DealState, action: str) -> Transition:
    """The transition for ``action`` in ``state``, or :class:`StateError` naming the allowed moves."""
    transition = STATES[state].moves.get(action)
    if transition is None:
        raise StateError(f"deal {deal_id}", str(state), action, allowed_actions(state))
    return transition


def timeout_action(state: DealState, settings: WorkflowSettings = _DEFAULT_SETTINGS) -> str | None:
    """The move made when a deal in ``state`` has waited past its deadline under ``settings``; None when final."""
    deadline = STATES[state].deadline
    return None if deadline is None else deadline.resolve(settings)[1]


def deadline_after(state: DealState, settings: WorkflowSettings, now: datetime) -> datetime | None:
    """When a deal entering ``state`` at ``now`` stops waiting; None for final states."""
    deadline = STATES[state].deadline
    return None if deadline is None else now + timedelta(days=deadline.resolve(settings)[0])
