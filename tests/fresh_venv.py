"""A fresh virtual environment with creatorkit (and more) installed into it from copies of the local sources,
offline: the tests that prove a plain ``pip install`` works use it.

The venv has no pip and no packages of its own; a ``.pth`` file puts this environment's site-packages on its path
(its .pth files, such as editable installs, are not run there), so pip, setuptools and creatorkit's dependencies
come from here, while the packages are installed with ``--no-index --no-deps --no-build-isolation`` from copies
(building in the source tree would leave ``build/`` directories behind).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
import venv
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: What building creatorkit reads (its pyproject's package-dir).
SOURCES = ("pyproject.toml", "README.md", "core", "schemas", "plugins")
SKIP = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", ".pytest_cache")


def run(command: Sequence[object], cwd: Path | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
    """``command`` with the outer venv's interpreter and packages kept out of its environment."""
    environment = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    arguments = [str(part) for part in command]
    return subprocess.run(arguments, capture_output=True, text=True, env=environment, timeout=600, cwd=cwd, check=check)


def fresh_environment(base: Path, extra: Sequence[Path] = ()) -> Path:
    """A venv under ``base`` with creatorkit installed (not editable) and each of ``extra`` (source trees)."""
    source = base / "src"
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=SKIP)
        elif path.exists():
            shutil.copy2(path, source / name)
    copies = []
    for tree in extra:
        shutil.copytree(tree, source / tree.name, ignore=SKIP)
        copies.append(source / tree.name)
    environment = base / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / "bin" / "python"
    found = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], check=True)
    (Path(found.stdout.strip()) / "_outer_site_packages.pth").write_text(sysconfig.get_path("purelib") + "\n")
    install = [python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-build-isolation"]
    installed = run([*install, source, *copies])
    assert installed.returncode == 0, installed.stderr[-4000:]
    return environment
