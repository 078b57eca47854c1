"""The deal state machine, as a table: state → action → (next state, who may trigger it).

Every waiting state has a deadline and a timeout action (``ON_TIMEOUT``), so no deal — and no escrowed money —
waits forever. The campaign board's tabs are derived from the state, never stored.

Roles: ``brand`` (the brand that owns the deal), ``creator`` (the creator, or a talent manager holding the
scope the transition names on that creator's roster entry), ``system`` (deadlines, payments, the platform's
arbiter). The table is the only place these rules live; services ask it before changing anything.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from ..entities import DealState, Scope
from ..errors import StateError

__all__ = [
    "ON_TIMEOUT",
    "TABS",
    "TRANSITIONS",
    "Role",
    "Tab",
    "Transition",
    "allowed_actions",
    "next_state",
    "tab_of",
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


@attrs.frozen
class Transition:
    to: DealState
    by: frozenset[Role]
    #: The roster scope a manager needs to trigger this for a creator.
    scope: Scope | None = None


def _t(to: DealState, *by: Role, scope: Scope | None = None) -> Transition:
    return Transition(to, frozenset(by), scope)


S = DealState
B, C, SYS = Role.BRAND, Role.CREATOR, Role.SYSTEM

TRANSITIONS: Mapping[DealState, Mapping[str, Transition]] = {
    S.INVITED: {
        "accept_invitation": _t(S.NEGOTIATING, C, scope=Scope.NEGOTIATE),
        "decline_invitation": _t(S.DECLINED, C, scope=Scope.NEGOTIATE),
        "withdraw": _t(S.CANCELLED, B),
        "expire": _t(S.EXPIRED, SYS),
    },
    S.NEGOTIATING: {
        "propose_terms": _t(S.NEGOTIATING, B, C, scope=Scope.NEGOTIATE),
        "accept_offer": _t(S.AGREED, B, C, scope=Scope.NEGOTIATE),
        "decline_offer": _t(S.NEGOTIATING, B, C, scope=Scope.NEGOTIATE),
        "walk_away": _t(S.DECLINED, B, C, scope=Scope.NEGOTIATE),
        "expire": _t(S.EXPIRED, SYS),
    },
    S.AGREED: {
        "send_contract": _t(S.CONTRACT_SENT, B),
        "cancel": _t(S.CANCELLED, B, C, scope=Scope.NEGOTIATE),
        "expire": _t(S.EXPIRED, SYS),
    },
    S.CONTRACT_SENT: {
        "sign": _t(S.CONTRACT_SENT, B, C, scope=Scope.SIGN_ON_BEHALF),
        "execute": _t(S.EXECUTED, SYS),
        "amend_contract": _t(S.CONTRACT_SENT, B),
        "cancel": _t(S.CANCELLED, B, C, scope=Scope.NEGOTIATE),
        "expire": _t(S.EXPIRED, SYS),
    },
    S.EXECUTED: {
        "fund": _t(S.IN_PRODUCTION, SYS),
        "start_production": _t(S.IN_PRODUCTION, SYS),
        "cancel": _t(S.CANCELLED, B, C, scope=Scope.NEGOTIATE),
        "dispute": _t(S.DISPUTED, B, C, scope=Scope.NEGOTIATE),
        "expire": _t(S.EXPIRED, SYS),
    },
    S.IN_PRODUCTION: {
        "submit_draft": _t(S.IN_REVIEW, C, scope=Scope.MANAGE_CONTENT),
        "cancel": _t(S.CANCELLED, B, C, scope=Scope.NEGOTIATE),
        "dispute": _t(S.DISPUTED, B, C, scope=Scope.NEGOTIATE),
        "expire": _t(S.EXPIRED, SYS),
    },
    S.IN_REVIEW: {
        "approve": _t(S.APPROVED, B),
        "request_changes": _t(S.CHANGES_REQUESTED, B),
        "auto_approve": _t(S.APPROVED, SYS),
        "cancel": _t(S.CANCELLED, B, C, scope=Scope.NEGOTIATE),
        "dispute": _t(S.DISPUTED, B, C, scope=Scope.NEGOTIATE),
        "expire": _t(S.EXPIRED, SYS),
    },
    S.CHANGES_REQUESTED: {
        "submit_draft": _t(S.IN_REVIEW, C, scope=Scope.MANAGE_CONTENT),
        "cancel": _t(S.CANCELLED, B, C, scope=Scope.NEGOTIATE),
        "dispute": _t(S.DISPUTED, B, C, scope=Scope.NEGOTIATE),
        "expire": _t(S.EXPIRED, SYS),
    },
    S.APPROVED: {
        "publish": _t(S.PUBLISHED, C, SYS, scope=Scope.MANAGE_CONTENT),
        "dispute": _t(S.DISPUTED, B, C, scope=Scope.NEGOTIATE),
        "expire": _t(S.EXPIRED, SYS),
    },
    S.PUBLISHED: {
        "complete": _t(S.COMPLETED, B, SYS),
        "dispute": _t(S.DISPUTED, B, C, scope=Scope.NEGOTIATE),
    },
    S.DISPUTED: {
        # The arbiter (the platform, or the payments flow applying a settlement) decides.
        "resolve_resume": _t(S.DISPUTED, SYS),
        "resolve_cancel": _t(S.CANCELLED, SYS),
        "resolve_complete": _t(S.COMPLETED, SYS),
    },
    S.COMPLETED: {},
    S.DECLINED: {},
    S.EXPIRED: {},
    S.CANCELLED: {},
}

#: What happens when a waiting state's deadline passes. IN_REVIEW follows the configured rule
#: (``auto_approve`` or ``expire``); see :func:`timeout_action`.
ON_TIMEOUT: Mapping[DealState, str] = {
    S.INVITED: "expire",
    S.NEGOTIATING: "expire",
    S.AGREED: "expire",
    S.CONTRACT_SENT: "expire",
    S.EXECUTED: "expire",
    S.IN_PRODUCTION: "expire",
    S.IN_REVIEW: "auto_approve",
    S.CHANGES_REQUESTED: "expire",
    S.APPROVED: "expire",
    S.PUBLISHED: "complete",
    S.DISPUTED: "resolve_cancel",
}

TABS: Mapping[Tab, frozenset[DealState]] = {
    Tab.PENDING: frozenset({S.INVITED, S.NEGOTIATING, S.AGREED, S.CONTRACT_SENT}),
    Tab.ACTIVE: frozenset(
        {S.EXECUTED, S.IN_PRODUCTION, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED, S.PUBLISHED, S.DISPUTED}
    ),
    Tab.FINISHED: frozenset({S.COMPLETED}),
    Tab.INACTIVE: frozenset({S.DECLINED, S.EXPIRED, S.CANCELLED}),
}

FINAL_STATES = frozenset(state for state, moves in TRANSITIONS.items() if not moves)


def tab_of(state: DealState) -> Tab:
    for tab, states in TABS.items():
        if state in states:
            return tab
    raise AssertionError(f"{state} is on no board tab")  # the table test keeps this unreachable


def allowed_actions(state: DealState) -> list[str]:
    return sorted(TRANSITIONS[state])


def next_state(deal_id: str, state: DealState, action: str) -> Transition:
    """The transition for ``action`` in ``state``, or :class:`StateError` naming the allowed moves."""
    transition = TRANSITIONS[state].get(action)
    if transition is None:
        raise StateError(f"deal {deal_id}", str(state), action, allowed_actions(state))
    return transition


def timeout_action(state: DealState, unanswered_review: str = "auto_approve") -> str | None:
    if state is S.IN_REVIEW:
        return "auto_approve" if unanswered_review == "auto_approve" else "expire"
    return ON_TIMEOUT.get(state)
