"""Connections and grants on echo: the OAuth flow, tokens sealed at rest, renewed once, ended with a clear error.

Every test runs on SQLite and, with CREATORKIT_TEST_POSTGRES_URL set, on PostgreSQL (the ``world`` fixture).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs
import pytest

from creatorkit import (
    AuthExpired,
    CallContext,
    ConfigError,
    Creatorkit,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    PlatformError,
    StateError,
    StoreError,
    Transient,
    ValidationError,
)
from creatorkit.entities import AuthorizationStatus, Connection, Grant, IssuedTokens, PlatformAccount
from creatorkit.host import TokenSource
from creatorkit.parties import _tokens
from creatorkit.parties._tokens import SEALED_KIND, TokenRefresher, TokenVault
from creatorkit.tokens import TOKEN_KEY_ENV, TokenKey, TokenKeys, TokenPair, generate_token_key
from creatorkit_echo import EchoPlatform, consent

KEY = generate_token_key()


@pytest.fixture(autouse=True)
def token_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(TOKEN_KEY_ENV, KEY)
    return KEY


@pytest.fixture
def echo(world: Any) -> EchoPlatform:
    plugin = world.kit.plugins.pm.get_plugin("echo")
    assert isinstance(plugin, EchoPlatform)
    return plugin


@pytest.fixture
def issued(echo: EchoPlatform) -> list[str]:
    """Every token echo issues during the test, as text: what must never show anywhere."""
    seen: list[str] = []
    issue = echo.oauth._issue

    def recording(account: dict[str, Any], now: Any) -> tuple[str, str]:
        pair = issue(account, now)
        seen.extend(pair)
        return pair

    echo.oauth._issue = recording  # type: ignore[method-assign]
    return seen


def connect(world: Any, actor: Any = None, **options: Any) -> Connection:
    actor = actor or world.brand
    started = world.kit.connections.start(actor, platform="echo", **options)
    connection: Connection = world.kit.connections.finish(actor, redirect_url=consent(started.url))
    return connection


def grant(world: Any, actor: Any = None, workspace: str = "agency_stellar") -> Grant:
    actor = actor or world.creator
    started = world.kit.grants.start(actor, platform="echo", creator_id=world.creator.id, workspace_id=workspace)
    granted: Grant = world.kit.grants.finish(actor, redirect_url=consent(started.url))
    return granted


def tokens_of(context: CallContext) -> TokenSource:
    assert context.tokens is not None
    return context.tokens


def stored(kit: Creatorkit, kind: str, id: str) -> TokenPair:
    return TokenRefresher(kit).current(kind, id).pair


def account() -> PlatformAccount:
    return PlatformAccount(platform="echo", account_id="echo-0003", handle="echo_creator_03")


def fetch_metrics(kit: Creatorkit, context: Any) -> Any:
    return kit.plugins.platform("echo").fetch_creator_metrics(account(), context=context)


class TestTheFlow:
    def test_the_authorize_url_carries_the_state_and_a_pkce_challenge(self, world: Any) -> None:
        started = world.kit.connections.start(world.brand, platform="echo", scopes=["echo.discover"])
        query = {k: v[0] for k, v in parse_qs(urlsplit(started.url).query).items()}
        assert query["state"] == started.state and query["code_challenge_method"] == "S256"
        assert query["scope"] == "echo.discover"
        with world.kit.store.read() as tx:
            record = tx.require("authorization_request", started.request_id)
        assert started.state not in str(record.doc) and record.doc["uses_pkce"] is True
        assert started.expires_at == world.clock.now + timedelta(hours=1)

    def test_expiry_and_scopes_are_what_the_platform_stated(self, world: Any, echo: EchoPlatform) -> None:
        echo.oauth.access_lifetime, echo.oauth.refresh_lifetime = 4321, 98_765
        connection = connect(world)
        now = world.clock.now
        assert connection.expires_at == now + timedelta(seconds=4321)
        assert connection.refresh_expires_at == now + timedelta(seconds=98_765)
        assert connection.scopes == ("echo.discover", "echo.campaigns")
        assert (connection.account_id, connection.account_name) == ("echo-brand-0001", "Echo Brand Account")
        assert connection.workspace_id == world.brand.id and connection.status is AuthorizationStatus.ACTIVE
        assert world.kit.connections.list(world.brand) == [connection]

    def test_a_token_stated_to_never_expire_is_never_renewed(
        self, world: Any, echo: EchoPlatform, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        exchange = echo.oauth.exchange

        def lasting(*args: Any) -> IssuedTokens:
            return attrs.evolve(exchange(*args), expires_in=None, refresh_token=None, refresh_expires_in=None)

        monkeypatch.setattr(echo.oauth, "exchange", lasting)
        connection = connect(world)
        assert (connection.expires_at, connection.refresh_expires_at) == (None, None)
        tokens = world.kit.connections.context(world.brand, platform="echo").tokens
        first = tokens.access_token()
        world.clock.advance(days=400)
        assert tokens.access_token() == first and echo.oauth.refreshes == 0

    def test_connecting_the_same_account_again_renews_that_connection(self, world: Any) -> None:
        first = connect(world)
        before = stored(world.kit, "connection", first.id)
        world.clock.advance(hours=3)
        again = connect(world)
        assert again.id == first.id and again.connected_at == world.clock.now
        assert stored(world.kit, "connection", first.id) != before
        assert len(world.kit.connections.list(world.brand)) == 1

    def test_the_code_alone_with_its_state_finishes_too(self, world: Any) -> None:
        started = world.kit.connections.start(world.brand, platform="echo")
        code = parse_qs(urlsplit(consent(started.url)).query)["code"][0]
        assert world.kit.connections.finish(world.brand, code=code, state=started.state).platform == "echo"

    def test_a_flow_is_finished_once(self, world: Any) -> None:
        started = world.kit.connections.start(world.brand, platform="echo")
        redirect = consent(started.url)
        world.kit.connections.finish(world.brand, redirect_url=redirect)
        with pytest.raises(StateError, match="finished"):
            world.kit.connections.finish(world.brand, redirect_url=redirect)

    def test_a_flow_takes_codes_for_an_hour(self, world: Any) -> None:
        started = world.kit.connections.start(world.brand, platform="echo")
        world.clock.advance(minutes=61)
        with pytest.raises(StateError, match="expired"):
            world.kit.connections.finish(world.brand, redirect_url=consent(started.url))

    def test_an_unknown_state_is_not_found(self, world: Any) -> None:
        with pytest.raises(NotFound):
            world.kit.connections.finish(world.brand, code="whatever", state="no-such-state")

    def test_a_code_is_taken_only_with_its_own_verifier(self, world: Any) -> None:
        theirs = world.kit.connections.start(world.brand, platform="echo")
        ours = world.kit.connections.start(world.brand, platform="echo")
        stolen = parse_qs(urlsplit(consent(theirs.url)).query)["code"][0]
        with pytest.raises(InvalidRequest) as raised:
            world.kit.connections.finish(world.brand, code=stolen, state=ours.state)
        assert raised.value.field == "code_verifier"

    def test_a_refusal_on_the_platform_is_a_platform_error_and_closes_the_flow(self, world: Any) -> None:
        started = world.kit.connections.start(world.brand, platform="echo")
        refused = (
            f"http://localhost:8765/echo/callback?error=access_denied&error_description=cancelled&state={started.state}"
        )
        with pytest.raises(PlatformError) as raised:
            world.kit.connections.finish(world.brand, redirect_url=refused)
        assert raised.value.code == "access_denied" and "cancelled" in str(raised.value)
        with pytest.raises(StateError, match="finished"):
            world.kit.connections.finish(world.brand, redirect_url=consent(started.url))

    def test_a_redirect_without_code_or_state_names_what_is_missing(self, world: Any) -> None:
        with pytest.raises(ValidationError) as raised:
            world.kit.connections.finish(world.brand, redirect_url="http://localhost/cb?code=abc")
        assert raised.value.paths == ["redirect_url"]
        with pytest.raises(ValidationError) as raised:
            world.kit.connections.finish(world.brand, code="abc")
        assert raised.value.paths == ["state"]

    def test_the_trail_verifies_after_connecting_renewing_and_disconnecting(self, world: Any) -> None:
        connection = connect(world)
        context = world.kit.connections.context(world.brand, platform="echo")
        context.tokens.refresh(context.tokens.access_token())
        world.kit.connections.disconnect(world.brand, connection.id)
        report = world.kit.audit.verify()
        assert report.ok, report
        actions = [event.action for event in world.kit.store.iter_audit() if event.entity_id == connection.id]
        assert actions == ["connection.connect", "connection.refresh", "connection.revoke"]


class TestAtRest:
    def test_no_token_verifier_or_state_is_readable_in_the_database(
        self, world: Any, echo: EchoPlatform, database: Any, issued: list[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        verifiers: list[str] = []
        build = echo.oauth.authorization_url

        def keeping(request: Any, code_verifier: str) -> Any:
            verifiers.append(code_verifier)
            return build(request, code_verifier)

        monkeypatch.setattr(echo.oauth, "authorization_url", keeping)
        started = world.kit.connections.start(world.brand, platform="echo")
        unfinished = world.kit.connections.start(world.brand, platform="echo")  # its verifier stays sealed
        connection = world.kit.connections.finish(world.brand, redirect_url=consent(started.url))
        context = world.kit.connections.context(world.brand, platform="echo")
        context.tokens.refresh(context.tokens.access_token())
        g = grant(world)
        assert len(issued) == 6 and len(verifiers) == 3
        secrets = [*issued, *verifiers, started.state, unfinished.state]
        if database.dialect == "sqlite":
            world.kit.store.close()  # everything written is in the file or its log
            raw = b"".join(path.read_bytes() for path in Path(database.path).parent.glob("kit.db*"))
            found = [s for s in secrets if s.encode() in raw]
        else:
            rows = database.execute("SELECT doc::text FROM documents") + database.execute("SELECT * FROM audit_events")
            text = repr(rows)
            found = [s for s in secrets if s in text]
        assert not found
        assert connection.id and g.id

    def test_a_sealed_pair_moved_onto_another_record_does_not_open(self, world: Any, database: Any) -> None:
        mine = connect(world)
        other = grant(world)
        with world.kit.store.read() as tx:
            sealed = dict(tx.require(SEALED_KIND, mine.id).doc["sealed"])

        def swap(doc: dict[str, Any]) -> None:
            doc["sealed"] = sealed

        database.rewrite_document(SEALED_KIND, other.id, swap)
        with pytest.raises(StoreError, match=f"grant {other.id}.*another record"):
            world.kit.grants.context(world.creator, other.id).tokens.access_token()

    def test_a_missing_key_is_a_config_error_naming_the_variable(
        self, world: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv(TOKEN_KEY_ENV)
        kit = Creatorkit(store=world.kit.store, plugins=world.kit.plugins, clock=world.clock)
        with pytest.raises(ConfigError) as raised:
            kit.connections.finish(
                world.brand, redirect_url=consent(kit.connections.start(world.brand, platform="echo").url)
            )
        assert raised.value.paths == [TOKEN_KEY_ENV]

    def test_a_wrong_key_is_a_config_error_naming_the_variables(self, world: Any) -> None:
        connection = connect(world)
        other = TokenKeys(TokenKey.from_base64(generate_token_key()))
        kit = Creatorkit(store=world.kit.store, plugins=world.kit.plugins, clock=world.clock, token_cipher=other)
        with pytest.raises(ConfigError) as raised:
            tokens_of(kit.connections.context(world.brand, platform="echo")).access_token()
        assert raised.value.paths == [TOKEN_KEY_ENV]
        assert f"connection {connection.id}" in str(raised.value) and "CREATORKIT_TOKEN_OLD_KEYS" in str(raised.value)

    def test_an_old_key_opens_and_the_renewal_seals_with_the_new(self, world: Any) -> None:
        connect(world)
        rotated = TokenKeys(TokenKey.from_base64(generate_token_key()), old=[TokenKey.from_base64(KEY)])
        kit = Creatorkit(store=world.kit.store, plugins=world.kit.plugins, clock=world.clock, token_cipher=rotated)
        tokens = tokens_of(kit.connections.context(world.brand, platform="echo"))
        tokens.refresh(tokens.access_token())
        with kit.store.read() as tx:
            sealed = [r.doc["sealed"] for r in tx.find(SEALED_KIND) if r.doc["owner_kind"] == "connection"]
        assert [s["key_id"] for s in sealed] == [rotated.current.id]  # type: ignore[union-attr]

    def test_resealing_moves_every_token_to_the_current_key(self, world: Any) -> None:
        connect(world)
        grant(world)
        world.kit.connections.start(world.brand, platform="echo")  # a pending flow's verifier is sealed too
        new = TokenKey.from_base64(generate_token_key())
        rotated = TokenKeys(new, old=[TokenKey.from_base64(KEY)])
        kit = Creatorkit(store=world.kit.store, plugins=world.kit.plugins, clock=world.clock, token_cipher=rotated)
        with pytest.raises(PermissionDenied):
            kit.connections.reseal_tokens(world.brand)
        assert kit.connections.reseal_tokens(world.system) == 3
        assert kit.connections.reseal_tokens(world.system) == 0
        only_new = Creatorkit(
            store=world.kit.store, plugins=world.kit.plugins, clock=world.clock, token_cipher=TokenKeys(new)
        )
        assert tokens_of(only_new.connections.context(world.brand, platform="echo")).access_token()
        assert world.kit.audit.verify().ok


class TestRenewing:
    def test_renewed_before_its_stated_expiry(self, world: Any, echo: EchoPlatform) -> None:
        connection = connect(world)
        assert connection.expires_at is not None
        tokens = world.kit.connections.context(world.brand, platform="echo").tokens
        first = tokens.access_token()
        world.clock.now = connection.expires_at - timedelta(seconds=301)  # outside the five-minute margin
        assert tokens.access_token() == first and echo.oauth.refreshes == 0
        world.clock.now = connection.expires_at - timedelta(seconds=299)
        renewed = tokens.access_token()
        assert renewed != first and echo.oauth.refreshes == 1
        after = world.kit.connections.get(world.brand, connection.id)
        assert after.refreshed_at == world.clock.now
        assert after.expires_at == world.clock.now + timedelta(seconds=echo.oauth.access_lifetime)

    def test_a_short_lived_token_is_renewed_in_its_last_tenth(self, world: Any, echo: EchoPlatform) -> None:
        echo.oauth.access_lifetime = 600
        connection = connect(world)
        assert connection.expires_at is not None
        tokens = world.kit.connections.context(world.brand, platform="echo").tokens
        first = tokens.access_token()
        world.clock.now = connection.expires_at - timedelta(seconds=61)
        assert tokens.access_token() == first
        world.clock.now = connection.expires_at - timedelta(seconds=59)
        assert tokens.access_token() != first

    def test_a_refused_token_is_renewed_once_and_a_stale_caller_gets_the_replacement(
        self, world: Any, echo: EchoPlatform
    ) -> None:
        connect(world)
        tokens = world.kit.connections.context(world.brand, platform="echo").tokens
        old = tokens.access_token()
        new = tokens.refresh(old)
        assert new != old and tokens.refresh(old) == new and tokens.access_token() == new
        assert echo.oauth.refreshes == 1

    def test_the_plugin_renews_a_token_the_platform_refused(self, world: Any, echo: EchoPlatform) -> None:
        connection = connect(world)
        context = world.kit.connections.context(world.brand, platform="echo")
        context.tokens.access_token()  # read while valid, then let it run out on the platform's side
        assert connection.expires_at is not None
        world.clock.now = connection.expires_at + timedelta(seconds=1)
        assert fetch_metrics(world.kit, context).platform == "echo"
        assert echo.oauth.refreshes == 1

    def test_a_rotated_refresh_token_is_stored_with_the_new_access_token(self, world: Any) -> None:
        connection = connect(world)
        before = stored(world.kit, "connection", connection.id)
        tokens = world.kit.connections.context(world.brand, platform="echo").tokens
        tokens.refresh(before.access_token.reveal())
        after = stored(world.kit, "connection", connection.id)
        assert after.access_token != before.access_token and after.refresh_token != before.refresh_token
        # The stored refresh token is the one that works: the next renewal uses it, and the one before is retired.
        world.kit.connections.context(world.brand, platform="echo").tokens.refresh(after.access_token.reveal())
        assert stored(world.kit, "connection", connection.id).refresh_token != after.refresh_token

    def test_a_platform_that_keeps_its_refresh_token_keeps_its_expiry(self, world: Any, echo: EchoPlatform) -> None:
        echo.oauth.rotate = False
        connection = connect(world)
        before = stored(world.kit, "connection", connection.id)
        world.clock.advance(hours=1)
        world.kit.connections.context(world.brand, platform="echo").tokens.refresh(before.access_token.reveal())
        after = world.kit.connections.get(world.brand, connection.id)
        assert stored(world.kit, "connection", connection.id).refresh_token == before.refresh_token
        assert after.refresh_expires_at == connection.refresh_expires_at

    def test_many_threads_renew_once(self, world: Any, echo: EchoPlatform) -> None:
        connect(world)
        contexts = [world.kit.connections.context(world.brand, platform="echo") for _ in range(12)]
        old = contexts[0].tokens.access_token()
        results = run_together([partial(tokens_of(c).refresh, old) for c in contexts])
        assert echo.oauth.refreshes == 1
        assert len(set(results)) == 1 and results[0] != old

    def test_many_threads_at_expiry_renew_once(self, world: Any, echo: EchoPlatform) -> None:
        connection = connect(world)
        contexts = [world.kit.connections.context(world.brand, platform="echo") for _ in range(12)]
        assert connection.expires_at is not None
        world.clock.now = connection.expires_at - timedelta(seconds=10)
        results = run_together([tokens_of(c).access_token for c in contexts])
        assert echo.oauth.refreshes == 1 and len(set(results)) == 1

    def test_two_stores_on_one_database_renew_once(
        self, world: Any, echo: EchoPlatform, database: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        if database.dialect != "postgresql":
            pytest.skip("processes share a PostgreSQL store; a SQLite store renews once per process")
        connect(world)
        # Each call a lock of its own: as if every thread were another process, so only the database orders them.
        monkeypatch.setattr(_tokens, "_lock_for", lambda url, id: threading.Lock())
        kits = [Creatorkit(store=database.open(), plugins=world.kit.plugins, clock=world.clock) for _ in range(2)]
        contexts = [kits[n % 2].connections.context(world.brand, platform="echo") for n in range(10)]
        old = tokens_of(contexts[0]).access_token()
        results = run_together([partial(tokens_of(c).refresh, old) for c in contexts])
        assert echo.oauth.refreshes == 1 and len(set(results)) == 1 and results[0] != old
        renewals = [e for e in world.kit.store.iter_audit() if e.action == "connection.refresh"]
        assert len(renewals) == 1

    def test_two_processes_on_one_postgresql_store_renew_once(self, world: Any, database: Any, tmp_path: Path) -> None:
        if database.dialect != "postgresql":
            pytest.skip("processes share a PostgreSQL store")
        connect(world)
        old = tokens_of(world.kit.connections.context(world.brand, platform="echo")).access_token()
        go = tmp_path / "go"
        processes = []
        for n in range(2):
            script = RENEW_IN_A_PROCESS.format(
                url=database.url,
                now=world.clock.now.isoformat(),
                ready=str(tmp_path / f"ready{n}"),
                go=str(go),
                old=old,
            )
            command = [sys.executable, "-c", script]
            processes.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for n in range(2):
            while not (tmp_path / f"ready{n}").exists() and processes[n].poll() is None:
                time.sleep(0.01)
        go.touch()  # both are waiting for this file: they ask at the same moment
        answers = [process.communicate(timeout=120) for process in processes]
        assert [process.returncode for process in processes] == [0, 0], answers
        (renewed,) = {out.strip() for out, _ in answers}
        assert renewed != old
        renewals = [e for e in world.kit.store.iter_audit() if e.action == "connection.refresh"]
        assert len(renewals) == 1

    def test_a_crash_between_the_renewal_and_its_storing_leaves_the_old_pair(
        self, world: Any, echo: EchoPlatform, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        connection = connect(world)
        before = stored(world.kit, "connection", connection.id)
        seal = TokenVault.seal_pair

        def crash(*args: Any, **kwargs: Any) -> None:
            raise KeyboardInterrupt("the process is killed")

        monkeypatch.setattr(TokenVault, "seal_pair", crash)
        tokens = world.kit.connections.context(world.brand, platform="echo").tokens
        with pytest.raises(KeyboardInterrupt):
            tokens.refresh(before.access_token.reveal())
        assert echo.oauth.refreshes == 1  # the platform did renew; the answer was lost before the commit
        assert stored(world.kit, "connection", connection.id) == before
        assert world.kit.connections.get(world.brand, connection.id) == connection
        assert not [e for e in world.kit.store.iter_audit() if e.action == "connection.refresh"]
        # The old pair is whole and usable: the next renewal (after the restart) uses its refresh token.
        monkeypatch.setattr(TokenVault, "seal_pair", seal)
        renewed = tokens.refresh(before.access_token.reveal())
        assert renewed != before.access_token.reveal() and echo.oauth.refreshes == 2

    def test_a_transient_failure_changes_nothing(
        self, world: Any, echo: EchoPlatform, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        connection = connect(world)
        before = stored(world.kit, "connection", connection.id)

        def down(*args: Any) -> IssuedTokens:
            raise Transient("echo", "502 from the token endpoint", code=502)

        monkeypatch.setattr(echo.oauth, "refresh", down)
        with pytest.raises(Transient):
            world.kit.connections.context(world.brand, platform="echo").tokens.refresh(before.access_token.reveal())
        assert stored(world.kit, "connection", connection.id) == before
        assert world.kit.connections.get(world.brand, connection.id).status is AuthorizationStatus.ACTIVE


#: One process's renewal: its own kit and its own echo, on the test's PostgreSQL store and clock.
RENEW_IN_A_PROCESS = """
import pathlib, time
from datetime import datetime
from creatorkit import Actor, Creatorkit
from creatorkit.host import PluginHost
from creatorkit.store import open_store
from creatorkit.audit import AuditKeys
from creatorkit_echo import EchoPlatform

echo = EchoPlatform()
refresh = echo.oauth.refresh
def slow(*args):  # the platform takes a while to answer: long enough for the other process to ask meanwhile
    time.sleep(0.5)
    return refresh(*args)
echo.oauth.refresh = slow
host = PluginHost()
host.register(echo, name="echo")
now = datetime.fromisoformat({now!r})
kit = Creatorkit(store=open_store({url!r}, audit_keys=AuditKeys()), plugins=host, clock=lambda: now)
tokens = kit.connections.context(Actor.brand("brand_lumen"), platform="echo").tokens
pathlib.Path({ready!r}).touch()
while not pathlib.Path({go!r}).exists():
    time.sleep(0.001)
print(tokens.refresh({old!r}))
"""


def run_together(calls: list[Callable[[], str]]) -> list[str]:
    """Run every call in a thread of its own, all released at once; their results in order (errors re-raised)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(n: int) -> None:
        barrier.wait()
        try:
            results[n] = calls[n]()
        except BaseException as exc:  # re-raised below, in the test's thread
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


class TestEnded:
    def test_a_refresh_token_past_its_stated_expiry_ends_the_connection(self, world: Any, echo: EchoPlatform) -> None:
        connection = connect(world)
        assert connection.refresh_expires_at is not None
        context = world.kit.connections.context(world.brand, platform="echo")
        world.clock.now = connection.refresh_expires_at + timedelta(seconds=1)
        with pytest.raises(AuthExpired) as raised:
            context.tokens.access_token()
        error = raised.value
        assert (error.connection_id, error.grant_id, error.revoked) == (connection.id, None, False)
        assert error.action == "connect the account again: creatorkit connect echo"
        assert connection.id in str(error) and "creatorkit connect echo" in str(error)
        assert echo.oauth.refreshes == 0
        assert world.kit.connections.get(world.brand, connection.id).status is AuthorizationStatus.EXPIRED
        with pytest.raises(AuthExpired) as again:
            world.kit.connections.context(world.brand, platform="echo")
        assert again.value.connection_id == connection.id

    def test_revoked_at_the_platform_is_revoked_here(self, world: Any, echo: EchoPlatform) -> None:
        connection = connect(world)
        context = world.kit.connections.context(world.brand, platform="echo")
        echo.oauth.revoke_account(connection.account_id)
        with pytest.raises(AuthExpired) as raised:
            fetch_metrics(world.kit, context)
        assert raised.value.revoked and raised.value.connection_id == connection.id
        assert raised.value.code == "revoked"
        ended = world.kit.connections.get(world.brand, connection.id)
        assert ended.status is AuthorizationStatus.REVOKED and ended.revoked_at == world.clock.now
        with world.kit.store.read() as tx:
            assert tx.require(SEALED_KIND, connection.id).doc["sealed"] == {}  # nothing kept that cannot be used

    def test_an_ended_grant_names_itself_and_asks_for_the_creator(self, world: Any, echo: EchoPlatform) -> None:
        granted = grant(world)
        context = world.kit.grants.context(world.agency, granted.id)
        echo.oauth.revoke_account(granted.account_id)
        with pytest.raises(AuthExpired) as raised:
            fetch_metrics(world.kit, context)
        assert (raised.value.grant_id, raised.value.connection_id) == (granted.id, None)
        assert raised.value.action == "ask creator creator_ana to authorise echo again"
        assert world.kit.grants.get(world.creator, granted.id).status is AuthorizationStatus.REVOKED

    def test_disconnecting_revokes_at_the_platform_and_erases_the_tokens(self, world: Any, echo: EchoPlatform) -> None:
        connection = connect(world)
        pair = stored(world.kit, "connection", connection.id)
        revoked = world.kit.connections.disconnect(world.brand, connection.id)
        assert revoked.at_platform and revoked.authorization.status is AuthorizationStatus.REVOKED
        with pytest.raises(AuthExpired):
            echo.oauth.check(pair.access_token.reveal(), world.clock.now)
        with pytest.raises(StateError, match="revoked"):
            world.kit.connections.disconnect(world.brand, connection.id)
        with pytest.raises(AuthExpired) as raised:
            world.kit.connections.context(world.brand, platform="echo")
        assert raised.value.revoked

    def test_a_platform_that_cannot_be_reached_leaves_the_connection_as_it_was(
        self, world: Any, echo: EchoPlatform, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        connection = connect(world)

        def down(tokens: TokenPair) -> Any:
            raise Transient("echo", "timed out", code="timeout")

        monkeypatch.setattr(echo.oauth, "revoke", down)
        with pytest.raises(Transient):
            world.kit.connections.disconnect(world.brand, connection.id)
        assert world.kit.connections.get(world.brand, connection.id).status is AuthorizationStatus.ACTIVE


class TestWhoMay:
    def test_a_brand_connects_its_own_workspace_only(self, world: Any, denials: Any) -> None:
        with pytest.raises(PermissionDenied):
            world.kit.connections.start(world.brand, platform="echo", workspace_id="brand_fresh")
        assert denials("start_connection", by=world.brand)

    def test_creators_grant_and_never_connect(self, world: Any) -> None:
        with pytest.raises(PermissionDenied, match="creators grant"):
            world.kit.connections.start(world.creator, platform="echo")

    def test_an_agencys_managers_connect_for_it_and_no_one_else_sees_it(self, world: Any) -> None:
        connection = connect(world, world.manager)
        assert connection.workspace_id == "agency_stellar"
        assert [c.id for c in world.kit.connections.list(world.agency)] == [connection.id]
        assert world.kit.connections.list(world.other_agency) == []
        for outsider in (world.other_agency, world.other_manager, world.brand):
            with pytest.raises(NotFound):
                world.kit.connections.get(outsider, connection.id)
            with pytest.raises(NotFound):
                world.kit.connections.disconnect(outsider, connection.id)

    def test_only_the_party_that_may_start_a_flow_finishes_it(self, world: Any) -> None:
        started = world.kit.connections.start(world.brand, platform="echo")
        with pytest.raises(PermissionDenied):
            world.kit.connections.finish(world.unverified_brand, redirect_url=consent(started.url))

    def test_a_manager_with_view_stats_asks_a_roster_creator_for_a_grant(self, world: Any) -> None:
        granted = grant(world, world.manager, workspace="agency_stellar")
        assert (granted.creator_id, granted.workspace_id) == (world.creator.id, "agency_stellar")
        assert granted.handle == "echo_creator_03" and granted.scopes == (
            "user.info.basic",
            "user.info.stats",
            "video.list",
        )
        assert [g.id for g in world.kit.grants.list(world.agency)] == [granted.id]
        assert [g.id for g in world.kit.grants.list(world.creator)] == [granted.id]
        assert world.kit.grants.list(world.other_agency) == [] and world.kit.grants.list(world.other_creator) == []

    def test_a_manager_without_the_creator_on_the_roster_may_not_ask(self, world: Any) -> None:
        with pytest.raises(PermissionDenied, match="view_stats"):
            world.kit.grants.start(world.manager, platform="echo", creator_id=world.other_creator.id)
        with pytest.raises(PermissionDenied):
            world.kit.grants.start(world.other_manager, platform="echo", creator_id=world.creator.id)
        with pytest.raises(PermissionDenied):
            world.kit.grants.start(
                world.other_creator, platform="echo", creator_id=world.creator.id, workspace_id="brand_lumen"
            )

    def test_a_creator_grants_a_brand_and_only_the_creator_revokes(self, world: Any) -> None:
        granted = grant(world, world.creator, workspace="brand_lumen")
        assert [g.id for g in world.kit.grants.list(world.brand)] == [granted.id]
        assert fetch_metrics(world.kit, world.kit.grants.context(world.brand, granted.id)).platform == "echo"
        with pytest.raises(PermissionDenied, match="only the creator"):
            world.kit.grants.revoke(world.brand, granted.id)
        with pytest.raises(NotFound):
            world.kit.grants.context(world.agency, granted.id)
        revoked = world.kit.grants.revoke(world.creator, granted.id)
        assert revoked.at_platform and revoked.authorization.status is AuthorizationStatus.REVOKED


class TestCallContexts:
    def test_a_workspace_with_several_accounts_names_one(self, world: Any) -> None:
        first = connect(world)
        started = world.kit.connections.start(world.brand, platform="echo")
        second = world.kit.connections.finish(
            world.brand, redirect_url=consent(started.url, account_id="echo-brand-0002")
        )
        with pytest.raises(ValidationError) as raised:
            world.kit.connections.context(world.brand, platform="echo")
        assert (
            raised.value.paths == ["connection_id"] and first.id in str(raised.value) and second.id in str(raised.value)
        )
        context = world.kit.connections.context(world.brand, platform="echo", connection_id=second.id)
        assert context.connection == second and context.workspace_id == world.brand.id

    def test_a_workspace_never_connected_is_not_found(self, world: Any) -> None:
        with pytest.raises(NotFound, match="echo for brand_lumen"):
            world.kit.connections.context(world.brand, platform="echo")

    def test_the_context_carries_the_kits_clock_and_the_deadline(self, world: Any) -> None:
        connect(world)
        deadline = world.clock.now + timedelta(seconds=30)
        context = world.kit.connections.context(world.brand, platform="echo", deadline=deadline)
        assert context.now() == world.clock.now and context.remaining() == 30
        assert "StoredTokenSource connection" in repr(context.tokens)


class TestNeverShown:
    def test_no_token_in_a_repr_log_record_or_error(
        self, world: Any, echo: EchoPlatform, issued: list[str], caplog: pytest.LogCaptureFixture
    ) -> None:
        shown: list[str] = []
        with caplog.at_level(logging.DEBUG):
            connection = connect(world)
            context = world.kit.connections.context(world.brand, platform="echo")
            shown += [repr(context), repr(connection), repr(context.tokens)]
            context.tokens.refresh(context.tokens.access_token())
            pair = stored(world.kit, "connection", connection.id)
            shown += [repr(pair), str(pair)]
            granted = grant(world)
            echo.oauth.revoke_account(granted.account_id)
            with pytest.raises(AuthExpired) as raised:
                fetch_metrics(world.kit, world.kit.grants.context(world.agency, granted.id))
            shown += [str(raised.value), repr(raised.value)]
            world.kit.connections.disconnect(world.brand, connection.id)
        shown += [record.getMessage() for record in caplog.records]
        assert len(issued) == 6 and any("renewed the tokens" in text for text in shown)
        assert not [token for token in issued if any(token in text for text in shown)]

    def test_a_plugin_error_quoting_a_token_is_scrubbed_of_it(
        self, world: Any, echo: EchoPlatform, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        connection = connect(world)
        pair = stored(world.kit, "connection", connection.id)
        careless = f"refresh_token={pair.refresh_token.reveal() if pair.refresh_token else ''} was refused"

        def quoting(*args: Any) -> IssuedTokens:
            raise PlatformError("echo", careless, code=400)

        monkeypatch.setattr(echo.oauth, "refresh", quoting)
        with pytest.raises(PlatformError) as raised:
            tokens_of(world.kit.connections.context(world.brand, platform="echo")).refresh(pair.access_token.reveal())
        assert pair.refresh_token is not None and pair.refresh_token.reveal() not in str(raised.value)
        assert "refresh_token=*** was refused" in str(raised.value)
