"""Shared fixtures for creatorkit's own test suite.

The conformance kit is opted into here, in the top-level conftest, because pytest only honours
``pytest_plugins`` there.
"""

from __future__ import annotations

import pytest

# The workflow world (a kit on each store dialect, parties, a brief) is shared by the parties, workflow and
# audit suites.
pytest_plugins = ["creatorkit.testing", "world"]

#: Environment variables that change how creatorkit finds its config or loads plugins.
CREATORKIT_ENV = ("CREATORKIT_CONFIG", "CREATORKIT_STRICT_PLUGINS", "CREATORKIT_VALIDATE_OUTPUTS")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run without any CREATORKIT_* setting inherited from the developer's shell."""
    for name in CREATORKIT_ENV:
        monkeypatch.delenv(name, raising=False)
