"""``creatorkit connect``, ``connections`` and ``disconnect``, end to end on echo through its entry point.

Each command runs in a kit of its own, as separate processes would: what one stores, the next reads back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner, Result

from creatorkit import Actor, Creatorkit
from creatorkit.cli import main
from creatorkit.parties._connections import ConnectionService
from creatorkit.parties._tokens import SEALED_KIND, TokenVault
from creatorkit.tokens import TOKEN_KEY_ENV, generate_token_key
from creatorkit_echo import consent

pytestmark = pytest.mark.usefixtures("clean_env")

CONFIG = """\
[creatorkit]
store = "sqlite:///ck.db"
acting_as = "brand:brand_glow"

[platforms.echo]
access_token_lifetime_s = 5400
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(TOKEN_KEY_ENV, generate_token_key())
    (tmp_path / "creatorkit.toml").write_text(CONFIG)
    with Creatorkit.open("creatorkit.toml") as kit:  # the embedding app creates the store and its parties
        kit.parties.register_brand(Actor.system(), name="Glow Labs", id="brand_glow")
        kit.parties.register_agency(Actor.system(), name="Northstar", id="agency_north")
    return tmp_path


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


def stored_tokens() -> list[str]:
    """Every token the store holds sealed, opened with the key: the texts no output may show."""
    with Creatorkit.open("creatorkit.toml", create=False) as kit:
        vault = TokenVault(lambda: kit.token_cipher)
        with kit.store.read() as tx:
            from creatorkit._change import View

            view = View(tx, kit._entities)
            found = []
            for record in tx.find(SEALED_KIND):
                secrets = vault.open(view, record.doc["owner_kind"], record.id)
                found += [value for value in secrets.values() if value]
    return found


def test_connect_in_two_steps_then_list_and_disconnect(workdir: Path) -> None:
    started = run("connect", "echo", "--url-only")
    assert started.exit_code == 0, started.output
    url = started.stdout.strip()
    assert url.startswith("https://sandbox.echo.invalid/business/authorize?")
    assert "creatorkit connect echo --redirect-url" in started.stderr

    finished = run("connect", "echo", "--redirect-url", consent(url))
    assert finished.exit_code == 0, finished.output
    line = finished.stdout.strip()
    assert line.startswith("connected echo account echo-brand-0001 (Echo Brand Account) as conn_")
    assert "scopes: echo.discover, echo.campaigns" in line and "token expires" in line
    tokens = stored_tokens()
    assert len(tokens) == 2

    listed = run("connections")
    assert listed.exit_code == 0, listed.output
    header, _, row = listed.stdout.splitlines()
    assert header.split()[:3] == ["id", "kind", "platform"]
    assert "active" in row and "echo.discover, echo.campaigns" in row
    as_json = run("connections", "--json")
    (connection,) = json.loads(as_json.stdout)
    assert connection["kind"] == "connection" and connection["status"] == "active"
    assert set(connection) >= {"expires_at", "refresh_expires_at", "scopes"}

    ended = run("disconnect", connection["id"])
    assert ended.exit_code == 0, ended.output
    assert ended.stdout.strip() == (
        f"revoked {connection['id']} (echo account echo-brand-0001): the platform revoked its tokens "
        "(echo no longer honours these tokens)"
    )
    assert "revoked" in run("connections").stdout
    again = run("disconnect", connection["id"])
    assert again.exit_code == 1 and "revoked already" in again.stderr

    outputs = [started, finished, listed, as_json, ended, again]
    shown = [(result.stdout, result.stderr) for result in outputs]
    assert not [token for token in tokens if token in repr(shown)]


def test_connect_asks_for_the_redirect(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    starts: list[Any] = []
    start = ConnectionService.start

    def recording(self: ConnectionService, *args: Any, **kwargs: Any) -> Any:
        starts.append(start(self, *args, **kwargs))
        return starts[-1]

    monkeypatch.setattr(ConnectionService, "start", recording)
    # The person pastes the address the platform sent them to; the prompt reads it once the URL was printed.
    monkeypatch.setattr("creatorkit.cli.click.prompt", lambda text, err: consent(starts[-1].url))
    result = run("connect", "echo", "--as", "agency:agency_north", "--scope", "echo.discover")
    assert result.exit_code == 0, result.output
    url, line = result.stdout.strip().splitlines()
    assert url == starts[-1].url and "scope=echo.discover&" in url
    assert line.startswith("connected echo account") and "scopes: echo.discover;" in line


def test_connect_takes_the_code_alone(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = run("connect", "echo", "--url-only").stdout.strip()
    query = parse_qs(urlsplit(consent(url)).query)
    code, state = query["code"][0], query["state"][0]
    result = run("connect", "echo", "--code", code, "--state", state)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("connected echo account")


def test_a_code_without_its_state_is_a_usage_error(workdir: Path) -> None:
    result = run("connect", "echo", "--code", "abc")
    assert result.exit_code == 2 and "--state" in result.stderr


def test_without_a_token_key_connect_names_the_variable(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_KEY_ENV)
    result = run("connect", "echo", "--url-only")
    assert result.exit_code == 1
    assert f"{TOKEN_KEY_ENV}: is not set" in result.stderr


def test_a_creator_lists_their_grants(workdir: Path) -> None:
    from creatorkit.entities import CreatorProfile

    with Creatorkit.open("creatorkit.toml") as kit:
        kit.parties.register_creator(Actor.system(), CreatorProfile(id="creator_mia", display_name="Mia"))
        creator = Actor.creator("creator_mia")
        assert run("connections", "--as", "creator:creator_mia").stdout.strip() == "no connections or grants"
        started = kit.grants.start(creator, platform="echo", creator_id="creator_mia", workspace_id="brand_glow")
        granted = kit.grants.finish(creator, redirect_url=consent(started.url))
    listed = run("connections", "--as", "creator:creator_mia")
    assert granted.id in listed.stdout and "grant from creator_mia" in listed.stdout
    brand_sees = run("connections")
    assert granted.id in brand_sees.stdout
    refused = run("disconnect", granted.id)  # the brand may read it, not revoke it
    assert refused.exit_code == 1 and "only the creator revokes" in refused.stderr
    revoked = run("disconnect", granted.id, "--as", "creator:creator_mia")
    assert revoked.exit_code == 0 and revoked.stdout.startswith(f"revoked {granted.id}")


def test_an_unknown_id_is_not_found(workdir: Path) -> None:
    result = run("disconnect", "conn_nope")
    assert result.exit_code == 1 and "connection or grant 'conn_nope' not found" in result.stderr
