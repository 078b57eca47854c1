"""The out-of-tree example installs into a fresh environment, passes ``creatorkit plugins check youtube`` there,
and its own tests pass there too.

Offline: the fresh venv has no pip and no packages of its own; a ``.pth`` file puts this environment's
site-packages on its path (its .pth files, such as editable installs, are not run there), so pip, setuptools and
creatorkit's dependencies come from here, while creatorkit and creatorkit-youtube are installed into the venv
with ``--no-index --no-deps --no-build-isolation`` from copies of the local sources (building in the source tree
would leave ``build/`` directories behind). Deselect with ``-m "not fresh_venv"``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
import venv
from collections.abc import Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "creatorkit-youtube"
#: What building creatorkit reads (its pyproject's package-dir), and the example.
SOURCES = ("pyproject.toml", "README.md", "core", "schemas", "plugins")
_SKIP = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", ".pytest_cache")

pytestmark = pytest.mark.fresh_venv


def _run(command: Sequence[object], cwd: Path | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
    # The fresh venv must not pick the outer one's interpreter or packages up from the environment.
    environment = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    arguments = [str(part) for part in command]
    return subprocess.run(arguments, capture_output=True, text=True, env=environment, timeout=600, cwd=cwd, check=check)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fresh")
    source = base / "src"
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=_SKIP)
        elif path.exists():
            shutil.copy2(path, source / name)
    shutil.copytree(EXAMPLE, source / "example", ignore=_SKIP)
    environment = base / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / "bin" / "python"
    found = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], check=True)
    (Path(found.stdout.strip()) / "_outer_site_packages.pth").write_text(sysconfig.get_path("purelib") + "\n")
    install = [python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-build-isolation"]
    installed = _run([*install, source, source / "example"])
    assert installed.returncode == 0, installed.stderr[-4000:]
    return environment


def test_the_example_is_installed_in_the_fresh_environment(fresh: Path) -> None:
    python = fresh / "bin" / "python"
    where = _run(
        [python, "-c", "import creatorkit, creatorkit_youtube; print(creatorkit.__file__, creatorkit_youtube.__file__)"]
    )
    assert where.returncode == 0, where.stderr
    assert all(path.startswith(str(fresh)) for path in where.stdout.split()), where.stdout


def test_plugins_check_youtube_passes_in_the_fresh_environment(fresh: Path, tmp_path: Path) -> None:
    checked = _run([fresh / "bin" / "creatorkit", "plugins", "check", "youtube"], cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout[-4000:] + checked.stderr[-2000:]
    assert "youtube passes the conformance kit" in checked.stdout


def test_the_examples_own_tests_pass_in_the_fresh_environment(fresh: Path, tmp_path: Path) -> None:
    tests = tmp_path / "example"
    shutil.copytree(EXAMPLE, tests, ignore=_SKIP)
    command = [fresh / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", tests, tests]
    ran = _run(command, cwd=tests)
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    assert " passed" in ran.stdout
