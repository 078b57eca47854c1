"""``[payments.ledger_escrow]``: where the books are kept, how long money may be held, and the sandbox's switches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from creatorkit.config import Mode
from creatorkit.errors import ConfigError, Problem

__all__ = ["DEFAULT_MAX_HOLD_DAYS", "SANDBOX_STORE", "SETTINGS_SCHEMA", "EscrowSettings", "Switches", "read_settings"]

#: Two years: how long an operator may hold a client's money unless its settings say otherwise.
DEFAULT_MAX_HOLD_DAYS = 730
#: Where the books are kept in sandbox mode when ``store`` is not set: a private in-memory SQLite store.
SANDBOX_STORE = ":memory:"

SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "store": {
            "type": "string",
            "minLength": 1,
            "description": "The store the escrow's books are kept in, a URL as [creatorkit] store takes it (a SQLite "
            "path, sqlite:///path, postgresql://...): one of its own, never the workspace's. Required in live mode; "
            "in sandbox mode an in-memory SQLite store. Give a URL holding a password from the environment.",
        },
        "max_hold_days": {
            "type": "integer",
            "minimum": 1,
            "maximum": 3650,
            "default": DEFAULT_MAX_HOLD_DAYS,
            "description": "The longest hold a fund may ask for (ProviderRequest.hold_days).",
        },
        "sandbox": {
            "type": "object",
            "additionalProperties": False,
            "description": "Sandbox mode only: make the answers (never the books) misbehave as a remote provider's do.",
            "properties": {
                "timeout_after_success": {"type": "boolean"},
                "pending_retrieves": {"type": "integer", "minimum": 0, "maximum": 10},
                "raw_status": {"type": "string", "minLength": 1},
            },
        },
    },
}


@attrs.frozen(kw_only=True)
class Switches:
    """What the sandbox does to its answers: the conformance kit's scenarios (``PaymentScenario``).

    ``timeout_after_success``: the first attempt of each movement is written, then reported as an unknown outcome.
    ``pending_retrieves``: each movement answers ``pending`` until it has been retrieved that many times.
    ``raw_status``: every answer carries this raw status, mapped as any other (an unknown one is ``pending``).
    """

    timeout_after_success: bool = False
    pending_retrieves: int = 0
    raw_status: str | None = None


@attrs.frozen(kw_only=True)
class EscrowSettings:
    """The settings as the provider uses them: sandbox mode's defaults unless given."""

    store: str = SANDBOX_STORE
    max_hold_days: int = DEFAULT_MAX_HOLD_DAYS
    switches: Switches = Switches()


def read_settings(name: str, settings: Mapping[str, Any], mode: Mode) -> EscrowSettings:
    """The settings of the provider registered as ``name`` (already checked against :data:`SETTINGS_SCHEMA`).

    :raises ConfigError: in live mode, for a missing ``store`` or a ``sandbox`` table (its switches make the
        provider misreport movements, which live books must never do).
    """
    key = f"payments.{name}"
    problems: list[Problem] = []
    store = settings.get("store")
    if mode is Mode.LIVE:
        if not store:
            problems.append(
                Problem(f"{key}.store", "is required in live mode: the store the escrow's books are kept in")
            )
        if "sandbox" in settings:
            problems.append(Problem(f"{key}.sandbox", "its switches misreport movements; they are for sandbox mode"))
    if problems:
        raise ConfigError(problems)
    switches = settings.get("sandbox") or {}
    return EscrowSettings(
        store=str(store or SANDBOX_STORE),
        max_hold_days=int(settings.get("max_hold_days", DEFAULT_MAX_HOLD_DAYS)),
        switches=Switches(
            timeout_after_success=bool(switches.get("timeout_after_success", False)),
            pending_retrieves=int(switches.get("pending_retrieves", 0)),
            raw_status=switches.get("raw_status"),
        ),
    )
