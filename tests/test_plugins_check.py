"""``creatorkit plugins check NAME`` runs the conformance kit on an installed plugin and exits 0 only when it passes.

Each check runs the CLI in its own process (pytest inside pytest would share one session's plugins and
capture); the plugins under check are real installed distributions — echo — or fake ones written to a
directory on ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BROKEN = """
    from creatorkit import hookimpl
    from creatorkit.entities import Capability, DiscoveryPage, PluginKind, PluginMetadata


    class Plugin:
        @hookimpl
        def creatorkit_plugin_metadata(self):
            return PluginMetadata(
                name="broken", kind=PluginKind.PLATFORM, display_name="Broken",
                capabilities=frozenset({Capability.DISCOVERY}),
            )

        @hookimpl
        def creatorkit_discover_creators(self, query):
            return DiscoveryPage(platform="someone_else")  # claims another platform's name
"""

NOT_A_SUITE = """
    class Suite:
        plugin_name = "broken"
"""


def install(site: Path, name: str, source: str, *, conformance: str | None = None) -> None:
    info = site / f"ck_{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: ck-{name}\nVersion: 0.1\n")
    points = f"[creatorkit.platforms]\n{name} = ck_{name}:Plugin\n"
    if conformance is not None:
        points += f"[creatorkit.conformance]\n{name} = {conformance}\n"
    (info / "entry_points.txt").write_text(points)
    (site / f"ck_{name}.py").write_text(textwrap.dedent(source))


def check(name: str, tmp_path: Path, site: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CREATORKIT_CONFIG"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # stevedore's entry-point cache, away from the home folder
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "creatorkit.cli", "plugins", "check", name],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )


@pytest.mark.parametrize("name", ["echo", "echo_pay"])
def test_a_plugin_that_keeps_the_contract_passes(name: str, tmp_path: Path) -> None:
    done = check(name, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{name} passes the conformance kit" in done.stdout
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_a_plugin_that_breaks_the_contract_fails_naming_the_breach(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install(site, "broken", BROKEN)
    done = check("broken", tmp_path, site)
    assert done.returncode != 0
    assert "broken does not pass the conformance kit" in done.stderr
    assert "says 'someone_else', not 'broken'" in done.stdout  # the kit's own finding, not only a status


def test_an_unknown_plugin_is_named_with_the_installed_ones(tmp_path: Path) -> None:
    done = check("nonexistent", tmp_path)
    assert done.returncode == 1
    assert "'nonexistent': is not installed" in done.stderr and "echo_pay" in done.stderr


def test_a_registered_suite_must_be_the_kits(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install(site, "broken", BROKEN + NOT_A_SUITE, conformance="ck_broken:Suite")
    done = check("broken", tmp_path, site)
    assert done.returncode == 1
    assert "is not a subclass of PlatformPluginContract" in done.stderr
