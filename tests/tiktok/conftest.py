"""What the TikTok plugin's tests share: a plugin in sandbox mode with the network off, its sandbox, and the
recorded responses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from creatorkit_tiktok import TikTokPlatform
from creatorkit_tiktok.sandbox import TikTokSandbox

from creatorkit.testing import network_disabled

__all__ = ["FIXTURES", "sandbox_of"]

FIXTURES = Path(__file__).resolve().parents[2] / "plugins" / "tiktok" / "fixtures"


@pytest.fixture
def tiktok() -> Iterator[TikTokPlatform]:
    """The plugin as the sandbox configures it; no call may leave the process."""
    with network_disabled():
        yield TikTokPlatform()


def sandbox_of(platform: TikTokPlatform) -> TikTokSandbox:
    assert platform.sandbox is not None
    return platform.sandbox
