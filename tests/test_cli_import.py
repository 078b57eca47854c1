"""``creatorkit import``: a partner export read through a platform's import capability, every rejected row shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from creatorkit.cli import main
from creatorkit_echo.partner_export import SAMPLE_EXPORT

pytestmark = pytest.mark.usefixtures("clean_env")

CONFIG = """\
[platforms.echo]
mode = "sandbox"
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "creatorkit.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_every_rejected_row_is_listed_and_the_exit_code_says_so(workdir: Path) -> None:
    (workdir / "export.csv").write_bytes(SAMPLE_EXPORT)

    result = run("import", "echo", "export.csv")

    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "export.csv (echo creator list): 9 row(s), 3 read, 6 rejected"
    assert lines[1].split() == ["line", "column", "reason", "value"]
    rejected = [line.split()[:2] for line in lines[3:]]
    assert rejected == [
        ["4", "handle"],
        ["4", "followers"],
        ["4", "country"],
        ["5", "(row)"],
        ["7", "price"],
        ["8", "handle"],
        ["9", "currency"],
        ["12", "handle"],
    ]


def test_a_clean_export_exits_0_and_json_holds_the_records(workdir: Path) -> None:
    (workdir / "creators.data").write_bytes(b"handle,followers,country\nana,120,ES\nbo,9,US\n")

    result = run("import", "echo", "creators.data", "--format", "csv", "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["rows"], data["rejected"]) == (2, [])
    assert [c["profile"]["id"] for c in data["creators"]] == ["echo:ana", "echo:bo"]


def test_an_unknown_extension_needs_format_and_an_unreadable_file_is_an_error(workdir: Path) -> None:
    (workdir / "export.txt").write_bytes(b"handle,followers\n\xff\n")

    assert run("import", "echo", "export.txt").exit_code == 2
    unreadable = run("import", "echo", "export.txt", "--format", "csv")
    assert unreadable.exit_code == 1
    assert "line 2 is not UTF-8" in unreadable.stderr


def test_a_platform_the_config_does_not_enable_is_named(workdir: Path) -> None:
    (workdir / "export.csv").write_bytes(SAMPLE_EXPORT)

    result = run("import", "kuaishou", "export.csv")

    assert result.exit_code == 1
    assert "'kuaishou': is not loaded (loaded: echo)" in result.stderr
