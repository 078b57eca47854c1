"""``creatorkit import creators FILE``: the local catalog's import from the command line, every rejected row shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from creatorkit import Actor, Creatorkit
from creatorkit.cli import main

pytestmark = pytest.mark.usefixtures("clean_env")

CONFIG = """\
[creatorkit]
store = "sqlite:///catalog.db"
acting_as = "brand:brand_glow"

[platforms.echo]
mode = "sandbox"
"""
HEADER = "creator_id,platform,followers,engagement_rate,engagement_denominator,price,currency,country"
GOOD = "maya,tiktok,2340512,0.061,views,12000.00,USD,US\nleo,instagram,85000,0.032,followers,900,EUR,ES\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "creatorkit.toml").write_text(CONFIG, encoding="utf-8")
    with Creatorkit.open(tmp_path / "creatorkit.toml") as kit:
        kit.parties.register_brand(Actor.system(), name="Glow Labs", id="brand_glow")
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def stored(workdir: Path) -> int:
    with Creatorkit.open(workdir / "creatorkit.toml", create=False) as kit:
        return kit.catalog.size(Actor.brand("brand_glow"))


def test_a_clean_file_is_imported_and_exits_0(workdir: Path) -> None:
    (workdir / "creators.csv").write_text(f"{HEADER}\n{GOOD}", encoding="utf-8")

    result = run("import", "creators", "creators.csv")

    assert result.exit_code == 0, result.output
    assert result.stdout == "creators.csv: 2 row(s), 2 written (2 new, 0 updated), 0 rejected\n"
    assert stored(workdir) == 2


def test_rejected_rows_are_listed_nothing_is_written_and_the_exit_code_says_so(workdir: Path) -> None:
    (workdir / "creators.csv").write_text(f"{HEADER}\n{GOOD}ana,tiktok,12.5k,0.1,views,1,USD,Spain\n")

    result = run("import", "creators", "creators.csv")

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "creators.csv: 3 row(s), 0 written (0 new, 0 updated), 1 rejected: nothing written "
        "(--skip-bad-rows writes the others)"
    )
    assert lines[1].split() == ["line", "column", "reason", "value"]
    assert [line.split()[:2] for line in lines[3:]] == [["4", "followers"], ["4", "country"]]
    assert stored(workdir) == 0

    again = run("import", "creators", "creators.csv", "--skip-bad-rows", "--json", "--as", "brand:brand_glow")

    assert again.exit_code == 1
    report = json.loads(again.stdout)
    assert (report["written"], report["rejected_rows"], report["rejected"][0]["line"]) == (2, 1, 4)
    assert stored(workdir) == 2


def test_a_long_report_says_how_many_faults_it_leaves_out(workdir: Path) -> None:
    rows = "".join(f"cr_{i},tiktok,lots,0.1,views,1,USD,US\n" for i in range(150))
    (workdir / "creators.csv").write_text(f"{HEADER}\n{rows}", encoding="utf-8")

    result = run("import", "creators", "creators.csv")

    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "... and 50 more fault(s) not listed (150 rows rejected in all)"


def test_a_wrong_header_or_encoding_is_an_error_naming_where(workdir: Path) -> None:
    (workdir / "fans.csv").write_text(f"{HEADER},fans\n", encoding="utf-8")
    (workdir / "gbk.csv").write_bytes(f"{HEADER}\n李娜,tiktok,1,0.1,views,1,CNY,CN\n".encode("gbk"))

    header = run("import", "creators", "fans.csv")
    encoding = run("import", "creators", "gbk.csv")

    assert header.exit_code == 1
    assert "line 1, column 9 ('fans'): is not a catalog column" in header.stderr
    assert encoding.exit_code == 1
    assert f"line 2: byte {len(HEADER) + 1} (column 1, bytes c0 ee) is not UTF-8" in encoding.stderr
    assert stored(workdir) == 0


def test_the_progress_bar_goes_to_stderr_when_asked(workdir: Path) -> None:
    (workdir / "creators.jsonl").write_text(
        '{"creator_id": "maya", "platform": "tiktok", "followers": 10, "engagement_rate": 0.1,'
        ' "engagement_denominator": "views"}\n',
        encoding="utf-8",
    )

    quiet = run("import", "creators", "creators.jsonl")
    shown = run("import", "creators", "creators.jsonl", "--progress")

    assert (quiet.exit_code, quiet.stderr) == (0, "")  # not a terminal: no bar unless asked
    assert shown.exit_code == 0, shown.output
    assert shown.stderr.startswith("bytes")  # click draws only the label where stderr is no terminal
    assert shown.stdout.startswith("creators.jsonl: 1 row(s), 1 written (0 new, 1 updated)")


def test_any_other_first_argument_is_the_platform_import(workdir: Path) -> None:
    (workdir / "export.csv").write_bytes(b"handle,followers,country\nana,120,ES\n")

    result = run("import", "--json", "echo", "export.csv")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == 1
