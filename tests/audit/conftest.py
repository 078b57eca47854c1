"""The audit suite runs without the developer's audit keys: a test that wants one sets it."""

from __future__ import annotations

import pytest

from creatorkit.audit import AUDIT_KEY_ENV, AUDIT_OLD_KEYS_ENV


@pytest.fixture(autouse=True)
def no_audit_keys_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(AUDIT_KEY_ENV, raising=False)
    monkeypatch.delenv(AUDIT_OLD_KEYS_ENV, raising=False)
