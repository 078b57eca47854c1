"""A plain ``pip install .`` of the project (not editable, no examples) ships the TikTok plugin: ``creatorkit
plugins`` lists it with its capabilities and ``creatorkit plugins check tiktok`` passes the conformance kit.

Offline, from copies of the local sources (see ``fresh_venv``). Deselect with ``-m "not fresh_venv"``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fresh_venv import fresh_environment, run

pytestmark = pytest.mark.fresh_venv


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_environment(tmp_path_factory.mktemp("plain"))


def test_the_plugin_comes_from_the_installed_project(installed: Path) -> None:
    where = run([installed / "bin" / "python", "-c", "import creatorkit_tiktok as t; print(t.__file__)"])
    assert where.returncode == 0, where.stderr
    assert where.stdout.strip().startswith(str(installed)), where.stdout


def test_plugins_lists_tiktok_with_its_capabilities(installed: Path, tmp_path: Path) -> None:
    listed = run([installed / "bin" / "creatorkit", "plugins"], cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    [row] = [line for line in listed.stdout.splitlines() if line.startswith("tiktok ")]
    for capability in ("discovery", "creator_lookup", "contracting", "post_metrics", "usage_rights", "webhooks"):
        assert capability in row, f"{capability} missing from: {row}"


def test_plugins_check_tiktok_passes_on_a_plain_install(installed: Path, tmp_path: Path) -> None:
    checked = run([installed / "bin" / "creatorkit", "plugins", "check", "tiktok"], cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout[-4000:] + checked.stderr[-2000:]
    assert "tiktok passes the conformance kit" in checked.stdout
