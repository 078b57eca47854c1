"""The out-of-tree example installs into a fresh environment, passes ``creatorkit plugins check youtube`` there,
and its own tests pass there too.

Offline, from copies of the local sources (see ``fresh_venv``). Deselect with ``-m "not fresh_venv"``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fresh_venv import ROOT, SKIP, fresh_environment, run

EXAMPLE = ROOT / "examples" / "creatorkit-youtube"

pytestmark = pytest.mark.fresh_venv


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_environment(tmp_path_factory.mktemp("fresh"), extra=[EXAMPLE])


def test_the_example_is_installed_in_the_fresh_environment(fresh: Path) -> None:
    python = fresh / "bin" / "python"
    where = run(
        [python, "-c", "import creatorkit, creatorkit_youtube; print(creatorkit.__file__, creatorkit_youtube.__file__)"]
    )
    assert where.returncode == 0, where.stderr
    assert all(path.startswith(str(fresh)) for path in where.stdout.split()), where.stdout


def test_plugins_check_youtube_passes_in_the_fresh_environment(fresh: Path, tmp_path: Path) -> None:
    checked = run([fresh / "bin" / "creatorkit", "plugins", "check", "youtube"], cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout[-4000:] + checked.stderr[-2000:]
    assert "youtube passes the conformance kit" in checked.stdout


def test_the_examples_own_tests_pass_in_the_fresh_environment(fresh: Path, tmp_path: Path) -> None:
    tests = tmp_path / "example"
    shutil.copytree(EXAMPLE, tests, ignore=SKIP)
    command = [fresh / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", tests, tests]
    ran = run(command, cwd=tests)
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    assert " passed" in ran.stdout
