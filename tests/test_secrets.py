"""Secrets never print: a marker secret set through the environment, or written where a plugin's settings schema
marks a setting ``writeOnly``, is walked through every path that shows a config or an error, and each output
is searched for it.

Each test also asserts what the output does say (the key path, the rule broken), so that none passes by
printing nothing.
"""

from __future__ import annotations

import logging
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from stevedore import ExtensionManager

from creatorkit import Config, ConfigError, Creatorkit, PluginHost, PluginLoadError
from creatorkit._redaction import marked_paths, mask_message, scrub
from creatorkit.cli import main
from creatorkit.host import PluginLoadWarning
from creatorkit.store import open_store

pytestmark = pytest.mark.usefixtures("clean_env")

#: The secret. "qzvk" appears in nothing creatorkit prints by itself, so any output holding it leaks. It has no
#: hex digit: a family such as "7f3a" turned up inside an object's memory address (``at 0x7f3a39b977d0``).
MARKER = "SECRET-MARKER-qzvk"
#: A secret shorter than echo_pay's webhook_secret may be (8), of the same family.
SHORT = "qzvk!x"
FAMILY = "qzvk"
#: The variables the tests put the marker in: alone, as a short secret, in store URLs creatorkit cannot open.
VAR, SHORT_VAR = "CK_SECRET_TEST_TOKEN", "CK_SECRET_TEST_SHORT"
URL_VAR, DIR_VAR = "CK_SECRET_TEST_URL", "CK_SECRET_TEST_DIR"


def hidden(*texts: object) -> None:
    for text in texts:
        assert FAMILY not in str(text), f"a secret shows in: {text}"


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, MARKER)
    monkeypatch.setenv(SHORT_VAR, SHORT)
    monkeypatch.setenv(URL_VAR, f"mysql://app:{MARKER}@db.internal/ck")
    monkeypatch.setenv(DIR_VAR, f"sqlite:////nonexistent-{MARKER}/ck.db")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path where :func:`install` puts plugins that importlib.metadata and stevedore then find."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(ExtensionManager, "ENTRY_POINT_CACHE", {})
    monkeypatch.syspath_prepend(str(root))
    yield root
    for module in ("ck_vault", "ck_leaky"):
        sys.modules.pop(module, None)


def install(site: Path, name: str, source: str) -> None:
    info = site / f"ck_{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: ck-{name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[creatorkit.platforms]\n{name} = ck_{name}:Plugin\n")
    (site / f"ck_{name}.py").write_text(textwrap.dedent(source))


#: A plugin whose secrets sit deeper: behind a $ref, inside a table, in a list.
VAULT = """
    from creatorkit import hookimpl
    from creatorkit.entities import PluginKind, PluginMetadata

    SCHEMA = {
        "type": "object",
        "additionalProperties": False,
        "$defs": {"secret": {"type": "string", "minLength": 30, "writeOnly": True}},
        "properties": {
            "region": {"type": "string"},
            "auth": {
                "type": "object",
                "minProperties": 2,
                "properties": {"client_secret": {"$ref": "#/$defs/secret"}},
            },
            "tokens": {"type": "array", "items": {"$ref": "#/$defs/secret"}},
        },
    }

    class Plugin:
        @hookimpl
        def creatorkit_plugin_metadata(self):
            return PluginMetadata(
                name="vault", kind=PluginKind.PLATFORM, display_name="Vault", settings_schema=SCHEMA
            )
"""

#: A plugin whose import fails with a message that quotes the token it read from the environment.
LEAKY = f"""
    import os

    raise ImportError("cannot log in with token " + os.environ["{VAR}"])
"""

VAULT_TOML = f"""
[platforms.vault]
region = 5
tokens = ["{MARKER}"]
colour = "{MARKER}-is-not-secret-here-but-sits-next-to-one"

[platforms.vault.auth]
client_secret = "{MARKER}"
"""


# -- the config itself ---------------------------------------------------------------------------------------


def test_values_from_the_environment_never_show_in_a_config(secret_env: None) -> None:
    config = Config.from_toml(
        f"""
        [creatorkit]
        store = "postgresql://app:${{{VAR}}}@db.internal/ck"
        acting_as = "agency:${{{VAR}}}"

        [platforms.echo]
        latency_ms = 5

        [platforms.echo.auth]
        tokens = ["${{{VAR}}}", "plain"]
        """,
        source="creatorkit.toml",
    )
    echo = config.plugin("echo")
    assert echo is not None and echo.settings["auth"]["tokens"][0] == MARKER
    hidden(repr(config), str(config), config.redacted(), repr(echo), str(echo), echo.redacted())
    assert "settings={'latency_ms': 5, 'auth': {'tokens': ['***', 'plain']}}" in repr(echo)
    assert "store='***'" in repr(config) and "acting_as='***'" in repr(config)
    assert config.secret_values() == {f"postgresql://app:{MARKER}@db.internal/ck", f"agency:{MARKER}", MARKER}


def test_core_problems_about_an_environment_value_do_not_quote_it(secret_env: None) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_toml(
            f"""
            [creatorkit]
            strict_plugins = "${{{VAR}}}"

            [workflow]
            unanswered_review = "${{{VAR}}}"

            [platforms.echo]
            mode = "${{{VAR}}}"
            """
        )
    error = caught.value
    assert {p.path: p.message for p in error.problems} == {
        "creatorkit.strict_plugins": "'***' is not of type 'boolean'",
        "platforms.echo.mode": "'***' is not one of ['sandbox', 'live']",
        "workflow.unanswered_review": "'***' is not one of ['auto_approve', 'expire']",
    }
    hidden(str(error), repr(error), repr(error.problems), error.args)


# -- plugin settings -----------------------------------------------------------------------------------------


def test_plugin_setting_problems_mask_environment_and_write_only_values(secret_env: None) -> None:
    config = Config.from_toml(
        f"""
        [platforms.echo]
        latency_ms = "${{{VAR}}}"
        colour = "red"

        [payments.echo_pay]
        webhook_secret = "${{{SHORT_VAR}}}"
        """
    )
    problems = PluginHost.problems(config)
    assert {p.path: p.message for p in problems} == {
        "platforms.echo.colour": "unknown setting",
        "platforms.echo.latency_ms": "'***' is not of type 'integer'",
        "payments.echo_pay.webhook_secret": "'***' is too short",
    }
    with pytest.raises(ConfigError) as caught:
        PluginHost.from_config(config)
    hidden(repr(problems), str(caught.value), repr(caught.value.problems))


def test_a_setting_the_schema_marks_write_only_is_masked_even_when_written_in_the_file() -> None:
    config = Config.from_toml(f'[payments.echo_pay]\nwebhook_secret = "{SHORT}"\nbogus = 1\n')
    assert config.secret_paths == frozenset()  # nothing came from the environment: only the schema knows
    problems = PluginHost.problems(config)
    assert [str(p) for p in problems] == [
        "payments.echo_pay.bogus: unknown setting",
        "payments.echo_pay.webhook_secret: '***' is too short",
    ]
    hidden(repr(problems))


def test_write_only_settings_behind_refs_in_tables_and_lists_are_masked(site: Path) -> None:
    install(site, "vault", VAULT)
    with pytest.raises(ConfigError) as caught:
        PluginHost.from_config(Config.from_toml(VAULT_TOML))
    by_path = {p.path: p.message for p in caught.value.problems}
    assert by_path == {
        "platforms.vault.auth": "{'client_secret': '***'} does not have enough properties",
        "platforms.vault.auth.client_secret": "'***' is too short",
        "platforms.vault.colour": "unknown setting",
        "platforms.vault.region": "5 is not of type 'string'",
        "platforms.vault.tokens[0]": "'***' is too short",
    }
    hidden(str(caught.value), repr(caught.value.problems))


def test_a_plugin_that_fails_to_import_with_a_secret_in_its_message(site: Path, secret_env: None) -> None:
    install(site, "leaky", LEAKY)
    config = Config.from_toml(f'[platforms.leaky]\ntoken = "${{{VAR}}}"\n\n[platforms.echo]\n')
    with pytest.warns(PluginLoadWarning, match=r"'leaky'.*ImportError: cannot log in with token \*\*\*") as heard:
        host = PluginHost.from_config(config)
    assert host.names == ["echo"]
    assert host.load_errors == {"leaky": "ImportError: cannot log in with token ***"}
    with pytest.raises(PluginLoadError) as caught:
        PluginHost.from_config(config, strict=True)
    assert "failed to load: ImportError: cannot log in with token ***" in str(caught.value)
    assert isinstance(caught.value.__cause__, ImportError)
    hidden(*(w.message for w in heard), str(caught.value), repr(caught.value.__cause__), PluginHost.problems(config))


# -- the CLI -------------------------------------------------------------------------------------------------


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


ENV_TOML = f"""
[creatorkit]
store = "postgresql://app:${{{VAR}}}@db.internal/ck?password=${{{VAR}}}"

[platforms.echo]
latency_ms = "${{{VAR}}}"
colour = "${{{VAR}}}"

[payments.echo_pay]
webhook_secret = "${{{SHORT_VAR}}}"
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ENV_TOML, ["payments.echo_pay.webhook_secret: '***' is too short", "platforms.echo.latency_ms: '***'"]),
        (VAULT_TOML, ["platforms.vault.tokens[0]: '***' is too short", "{'client_secret': '***'}"]),
        (f'[platforms.leaky]\ntoken = "${{{VAR}}}"\n', ["ImportError: cannot log in with token ***"]),
        (f'[platforms.echo]\nmode = "${{{VAR}}}"\n', ["platforms.echo.mode: '***' is not one of"]),
        (f'[creatorkit]\nstore = "${{{URL_VAR}}}"\n', ["creatorkit.store: unsupported store URL scheme: use"]),
        (f'[creatorkit]\nstore = "${{{DIR_VAR}}}"\n', ["store's directory (named in the environment) does not"]),
    ],
    ids=["environment", "write-only", "failing-import", "core-problem", "store-scheme", "store-folder"],
)
def test_config_check_and_plugins_never_print_a_secret(
    site: Path, secret_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: list[str]
) -> None:
    install(site, "vault", VAULT)
    if "leaky" in text:
        # Only then: listing imports every installed plugin, and what a plugin reads from the environment by
        # itself, behind the config's back, is not known to be secret.
        install(site, "leaky", LEAKY)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "creatorkit.toml").write_text(text)
    check = run("config", "check")
    assert check.exit_code == 1
    for words in expected:
        assert words in check.stderr
    listing, as_json = run("plugins"), run("plugins", "--json")
    if "leaky" in text:  # enabled, and failing to import: listed, and the listing fails
        assert listing.exit_code == as_json.exit_code == 1
        assert "ImportError: cannot log in with token ***" in listing.stdout
    hidden(check.stdout, check.stderr, listing.stdout, listing.stderr, as_json.stdout, as_json.stderr)


def test_an_error_of_a_workflow_command_does_not_quote_the_environment(
    secret_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    open_store(tmp_path / "creatorkit.db").close()
    (tmp_path / "creatorkit.toml").write_text(f'[creatorkit]\nacting_as = "agency:${{{VAR}}}"\n')
    result = run("roster")
    assert result.exit_code == 1
    assert result.stderr == "error: *** may not act: no such party is registered\n"
    (tmp_path / "creatorkit.toml").write_text(f'[creatorkit]\nstore = "${{{DIR_VAR}}}"\n')
    missing = run("audit", "verify")
    assert missing.exit_code == 1
    assert missing.stderr == "error: no sqlite store at ***: the file does not exist\n"
    hidden(result.output, missing.output)


# -- logs ----------------------------------------------------------------------------------------------------


def test_the_whole_load_logged_at_debug_level_shows_no_secret(
    site: Path, secret_env: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    install(site, "leaky", LEAKY)
    path = tmp_path / "creatorkit.toml"
    path.write_text(
        f'[creatorkit]\nacting_as = "agency:${{{VAR}}}"\n\n[platforms.leaky]\ntoken = "${{{VAR}}}"\n\n'
        f'[platforms.echo]\n\n[payments.echo_pay]\nwebhook_secret = "${{{VAR}}}"\n'
    )
    with caplog.at_level(logging.DEBUG), warnings.catch_warnings(record=True) as heard:
        warnings.simplefilter("always")
        with Creatorkit.open(path) as kit:
            shown = [repr(kit.config), str(kit.config), repr(kit.plugins), str(kit.plugins), kit.plugins.load_errors]
            assert kit.plugins.names == ["echo", "echo_pay"]
    assert f"read {path}: Config(" in caplog.text  # the load was logged, with the config's repr
    assert any("leaky" in str(w.message) for w in heard)
    hidden(caplog.text, *shown, *(w.message for w in heard))


# -- the tools underneath ------------------------------------------------------------------------------------


def test_free_text_is_scrubbed_without_cutting_into_words() -> None:
    assert scrub("token abcd1234 refused; abcd12345 differs", {"abcd1234"}) == "token *** refused; abcd12345 differs"
    assert scrub("live mode is delivered", {"live"}) == "*** mode is delivered"
    assert scrub("too short: abc", {"abc"}) == "too short: abc"  # shorter than MIN_SCRUBBED: would mask words
    assert scrub(repr(["C:\\token"]), {"C:\\token"}) == "['***']"  # as repr escapes it, too


def test_a_masked_number_leaves_other_numbers_alone() -> None:
    message = "1 is greater than the maximum of 10"
    assert mask_message(message, 1, "pin", {"pin"}) == "'***' is greater than the maximum of 10"
    assert mask_message(message, 1, "pin", {"other"}) == message


def test_write_only_is_found_wherever_the_schema_puts_it() -> None:
    schema = {
        "$defs": {"loop": {"$ref": "#/$defs/loop"}},
        "properties": {"a": {"allOf": [{"writeOnly": True}]}, "pair": {"prefixItems": [{}, {"writeOnly": True}]}},
        "patternProperties": {"^key_": {"writeOnly": True}},
        "additionalProperties": {"properties": {"inner": {"anyOf": [{"type": "null"}, {"writeOnly": True}]}}},
    }
    value = {"a": "x", "pair": ["p", "q"], "key_1": "k", "other": {"inner": "i", "shown": "s"}, "loop": 1}
    assert marked_paths(schema, value) == {"a", "pair[1]", "key_1", "other.inner"}
    assert marked_paths({"$ref": "#"}, {"x": 1}) == set()  # a schema that refers to itself ends
    assert marked_paths({"writeOnly": True}, {"x": 1}) == {""}


def test_a_plugins_own_complaint_about_its_settings_does_not_quote_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """``creatorkit_configure`` raising an error that quotes a setting: an environment secret or a ``writeOnly``
    one is masked in it, whichever way the plugin phrased it."""
    from creatorkit import hookimpl
    from creatorkit.entities import PluginKind, PluginMetadata

    class Picky:
        @hookimpl
        def creatorkit_plugin_metadata(self) -> PluginMetadata:
            schema = {"type": "object", "properties": {"token": {"type": "string"}, "key": {"writeOnly": True}}}
            return PluginMetadata(name="picky", kind=PluginKind.PLATFORM, display_name="Picky", settings_schema=schema)

        @hookimpl
        def creatorkit_configure(self, settings: dict[str, str], context: object) -> None:
            refusal = f"token {settings['token']!r} and key {settings['key']} were refused upstream"
            raise PluginLoadError("picky", refusal)

    monkeypatch.setenv(VAR, MARKER)
    config = Config.from_mapping(
        {"platforms": {"picky": {"token": "${" + VAR + "}", "key": "key-qzvk-written-in-the-file"}}}
    )
    host = PluginHost()
    with pytest.raises(PluginLoadError) as refused:
        host.register(Picky(), name="picky", settings=config.plugins[0])
    hidden(refused.value, repr(refused.value))
    assert "were refused upstream" in str(refused.value)


def test_a_secret_written_in_the_file_is_hidden_in_the_kits_config(tmp_path: Path) -> None:
    """The config is read before the plugins say which settings are secret; the kit hands their word back."""
    config = tmp_path / "creatorkit.toml"
    config.write_text(
        f'[creatorkit]\nstore = "sqlite:///{tmp_path / "ck.db"}"\n[payments.echo_pay]\nwebhook_secret = "{MARKER}"\n',
        encoding="utf-8",
    )
    with Creatorkit.open(config) as kit:
        hidden(repr(kit.config), str(kit.config), kit.config.redacted())
        assert "webhook_secret" in repr(kit.config)


def test_a_secret_inside_a_longer_value_is_scrubbed_when_quoted_alone() -> None:
    """ "Bearer ${TOKEN}" makes the whole value secret, and the token alone too: an error quoting just the token
    (a driver, a plugin's HTTP client) is scrubbed of it."""
    from creatorkit._redaction import scrub

    text = '[creatorkit]\nstore = "postgresql://app:${PGPW}@db/ck"\n[platforms.echo]\nauth = "Bearer ${TOKEN}"\n'
    config = Config.from_toml(text, env={"TOKEN": MARKER, "PGPW": MARKER + "pw"})
    (echo,) = config.plugins
    assert scrub(f"401: token {MARKER} refused", echo.secret_values()) == "401: token *** refused"
    assert MARKER not in scrub(f"401: token {MARKER} refused", config.secret_values())
    assert MARKER not in scrub(f"password {MARKER}pw rejected", config.secret_values())
    assert MARKER not in repr(config) and MARKER not in repr(echo)


def test_a_fee_policy_setting_from_the_environment_never_shows(secret_env: None) -> None:
    config = Config.from_toml(
        f"""
        [money.fees]
        policy = "flat"
        rate_bp = 1000
        partner_key = "${{{VAR}}}"
        """,
        source="creatorkit.toml",
    )
    assert config.money.fees["partner_key"] == MARKER  # the policy gets the value ...
    hidden(repr(config), str(config), repr(config.money), config.redacted())  # ... nothing shows it
    assert config.redacted()["money"]["fees"] == {"policy": "flat", "rate_bp": 1000, "partner_key": "***"}
    assert MARKER in config.secret_values()  # and free text is scrubbed of it


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://app:{SHORT} {MARKER}@127.0.0.1:1/ck",  # libpq quotes a password with a space in its error
        f"postgresql://app@127.0.0.1:1/ck?password={SHORT} {MARKER}",
    ],
)
def test_a_store_password_the_driver_quotes_never_shows(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The driver's message about a malformed store URL quotes its password; the store's error (and the error it
    was raised from) shows it masked, both from ``open_store`` and on the CLI, whether the whole URL came from
    the environment or the password was written in the file. libpq refuses the URL before connecting."""
    pytest.importorskip("psycopg")
    from creatorkit.errors import StoreError

    with pytest.raises(StoreError) as caught:
        open_store(url)
    assert "cannot open postgresql store postgresql://app" in str(caught.value)
    hidden(caught.value, caught.value.__cause__, repr(caught.value.__cause__))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(URL_VAR, url)
    for text in (f'[creatorkit]\nstore = "${{{URL_VAR}}}"\n', f'[creatorkit]\nstore = "{url}"\n'):
        (tmp_path / "creatorkit.toml").write_text(text)
        result = run("audit", "verify")
        assert result.exit_code == 1
        assert "cannot open postgresql store" in result.stderr
        hidden(result.output, result.stderr)
