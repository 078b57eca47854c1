"""Loading creatorkit.toml: defaults, plugin tables, environment interpolation, secrets and errors."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from creatorkit import Config, ConfigError
from creatorkit.config import (
    CONFIG_ENV,
    DEFAULT_CONFIG_NAME,
    Mode,
    PluginSettings,
    WorkflowSettings,
    find_config,
)

pytestmark = pytest.mark.usefixtures("clean_env")


def load(text: str, **env: str) -> Config:
    return Config.from_toml(text, source="creatorkit.toml", env=env)


class TestDefaults:
    def test_no_file_means_the_defaults(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        config = Config.load(env={})
        assert config == Config()
        assert config.source is None
        assert config.store == "sqlite:///creatorkit.db"
        assert config.strict_plugins is False
        assert config.validate_outputs is False
        assert config.plugins == ()
        assert config.enabled() == []

    def test_empty_file_means_the_defaults_too(self) -> None:
        config = load("")
        assert config.store == Config().store
        assert config.workflow == WorkflowSettings()

    def test_workflow_defaults(self) -> None:
        assert attrs.asdict(Config().workflow) == {
            "invitation_response_days": 7,
            "offer_response_days": 3,
            "signature_days": 5,
            "funding_days": 5,
            "draft_days": 14,
            "review_days": 3,
            "unanswered_review": "auto_approve",
            "auto_approve_after_days": 14,
            "publish_days": 7,
            "measurement_days": 30,
            "dispute_days": 30,
            "template_max_operations": 20_000,
            "template_max_output_chars": 200_000,
            "caption_max_chars": 10_000,
            "script_max_chars": 100_000,
            "content_rules_max_terms": 5_000,
            "content_rule_max_chars": 500,
            "disclosure_tags": WorkflowSettings().disclosure_tags,
        }

    def test_core_and_workflow_keys_are_read(self) -> None:
        config = load(
            """
            [creatorkit]
            store = "postgresql://db.internal/creatorkit"
            strict_plugins = true
            validate_outputs = true

            [workflow]
            draft_days = 21
            unanswered_review = "expire"
            """
        )
        assert config.store == "postgresql://db.internal/creatorkit"
        assert config.strict_plugins is True
        assert config.validate_outputs is True
        assert config.workflow.draft_days == 21
        assert config.workflow.unanswered_review == "expire"
        assert config.workflow.review_days == 3


class TestPluginTables:
    TEXT = """
        [platforms.echo]
        latency_ms = 5

        [platforms.tiktok]
        enabled = false
        mode = "live"
        region = "us"

        [payments.ledger]
    """

    def test_tables_become_plugin_settings(self) -> None:
        config = load(self.TEXT)
        echo = config.plugin("echo")
        assert echo == PluginSettings(name="echo", section="platforms", settings={"latency_ms": 5})
        assert echo.enabled is True
        assert echo.mode is Mode.SANDBOX
        assert echo.key == "platforms.echo"
        assert echo.group == "creatorkit.platforms"

    def test_enabled_and_mode_are_not_plugin_settings(self) -> None:
        tiktok = load(self.TEXT).plugin("tiktok", "platforms")
        assert tiktok is not None
        assert tiktok.enabled is False
        assert tiktok.mode is Mode.LIVE
        assert dict(tiktok.settings) == {"region": "us"}

    def test_payment_tables(self) -> None:
        config = load(self.TEXT)
        ledger = config.plugin("ledger", "payments")
        assert ledger is not None and ledger.group == "creatorkit.payments"
        assert config.plugin("ledger", "platforms") is None
        assert [p.name for p in config.enabled("payments")] == ["ledger"]

    def test_enabled_lists_only_enabled_plugins(self) -> None:
        assert [p.key for p in load(self.TEXT).enabled()] == ["platforms.echo", "payments.ledger"]
        assert [p.name for p in load(self.TEXT).enabled("platforms")] == ["echo"]


class TestEnvironment:
    def test_variables_are_substituted(self) -> None:
        config = load(
            """
            [platforms.echo]
            token = "${ECHO_TOKEN}"
            header = "Bearer ${ECHO_TOKEN}"
            """,
            ECHO_TOKEN="s3cret",
        )
        settings = config.plugin("echo").settings  # type: ignore[union-attr]
        assert settings["token"] == "s3cret"
        assert settings["header"] == "Bearer s3cret"

    def test_default_is_used_when_the_variable_is_unset(self) -> None:
        text = '[platforms.echo]\nregion = "${ECHO_REGION:-eu}"\nsuffix = "${ECHO_SUFFIX:-}"\n'
        assert dict(load(text).plugin("echo").settings) == {"region": "eu", "suffix": ""}  # type: ignore[union-attr]
        assert load(text, ECHO_REGION="us").plugin("echo").settings["region"] == "us"  # type: ignore[union-attr]

    def test_default_is_used_when_the_variable_is_empty(self) -> None:
        text = '[platforms.echo]\nregion = "${ECHO_REGION:-eu}"\n'
        assert load(text, ECHO_REGION="").plugin("echo").settings["region"] == "eu"  # type: ignore[union-attr]

    def test_missing_variable_names_the_key_and_the_variable(self) -> None:
        with pytest.raises(ConfigError) as caught:
            load('[platforms.echo]\ntoken = "${ECHO_TOKEN}"\n')
        [problem] = caught.value.problems
        assert problem.path == "platforms.echo.token"
        assert "ECHO_TOKEN" in problem.message

    def test_every_missing_variable_is_reported(self) -> None:
        with pytest.raises(ConfigError) as caught:
            load('[creatorkit]\nstore = "${DB_URL}"\n[platforms.echo]\ntoken = "${ECHO_TOKEN}"\n')
        assert set(caught.value.paths) == {"creatorkit.store", "platforms.echo.token"}
        assert "DB_URL" in str(caught.value) and "ECHO_TOKEN" in str(caught.value)


class TestRedaction:
    def test_values_from_the_environment_are_masked(self) -> None:
        config = load(
            """
            [creatorkit]
            store = "postgresql://app:hunter2@db.internal/creatorkit"

            [platforms.echo]
            token = "${ECHO_TOKEN}"
            region = "${ECHO_REGION:-eu}"
            plain = "visible"
            """,
            ECHO_TOKEN="s3cret",
        )
        shown = config.redacted()
        assert shown["platforms"]["echo"] == {
            "enabled": True,
            "mode": "sandbox",
            "token": "***",
            "region": "***",
            "plain": "visible",
        }
        assert shown["creatorkit"]["store"] == "postgresql://app:***@db.internal/creatorkit"
        assert "s3cret" not in repr(shown) and "hunter2" not in repr(shown)
        assert config.plugin("echo").secret_keys == {"token", "region"}  # type: ignore[union-attr]

    def test_nested_values_from_the_environment_are_masked(self) -> None:
        config = load(
            """
            [platforms.echo]
            tokens = ["${ECHO_TOKEN}"]

            [platforms.echo.auth]
            client_secret = "${ECHO_SECRET}"
            """,
            ECHO_TOKEN="s3cret-token",
            ECHO_SECRET="s3cret-client",
        )
        assert "s3cret" not in repr(config.redacted())

    def test_a_password_in_a_store_url_query_is_masked(self) -> None:
        config = load('[creatorkit]\nstore = "postgresql://db.internal/ck?user=app&password=hunter2"\n')
        assert config.redacted()["creatorkit"]["store"] == "postgresql://db.internal/ck?user=app&password=***"

    def test_store_from_the_environment_is_masked(self) -> None:
        config = load('[creatorkit]\nstore = "${DB_URL}"\n', DB_URL="postgresql://db.internal/ck?password=s3cret")
        assert "s3cret" not in repr(config.redacted())


class TestErrors:
    BROKEN = """
        [creatorkit]
        colour = "blue"
        strict_plugins = "yes"

        [workflow]
        draft_days = 0

        [platforms.echo]
        mode = "production"

        [platforms.Bad-Name]
        enabled = true
    """

    def test_every_mistake_is_reported_at_once_with_its_key(self) -> None:
        with pytest.raises(ConfigError) as caught:
            load(self.BROKEN)
        error = caught.value
        assert error.source == "creatorkit.toml"
        by_path = {p.path: p.message for p in error.problems}
        assert "unknown" in by_path["creatorkit.colour"]
        assert "boolean" in by_path["creatorkit.strict_plugins"]
        assert "minimum" in by_path["workflow.draft_days"]
        assert "production" in by_path["platforms.echo.mode"]
        assert "lower-case" in by_path["platforms.Bad-Name"]
        assert len(error.problems) == 5
        for path in by_path:
            assert path in str(error)

    def test_bad_plugin_name_is_reported_at_its_own_key(self) -> None:
        with pytest.raises(ConfigError) as caught:
            load("[platforms.Bad-Name]\n")
        assert caught.value.paths == ["platforms.Bad-Name"]

    def test_unknown_top_level_table(self) -> None:
        with pytest.raises(ConfigError) as caught:
            load("[plugins.echo]\n")
        assert caught.value.paths == ["plugins"]

    def test_plugin_table_must_be_a_table(self) -> None:
        with pytest.raises(ConfigError) as caught:
            load("[platforms]\necho = true\n")
        assert caught.value.paths == ["platforms.echo"]

    def test_toml_syntax_error(self) -> None:
        with pytest.raises(ConfigError) as caught:
            load("[platforms\n")
        [problem] = caught.value.problems
        assert "not valid TOML" in problem.message
        assert "line 1" in problem.message
        assert caught.value.source == "creatorkit.toml"

    def test_unreadable_file(self, tmp_path: Path) -> None:
        missing = tmp_path / "nope.toml"
        with pytest.raises(ConfigError) as caught:
            Config.load(missing, env={})
        assert str(missing) in str(caught.value)


class TestStore:
    @pytest.mark.parametrize(
        ("store", "message"),
        [
            (
                "mysql://db/ck",
                "unsupported store URL scheme 'mysql': use a file path, sqlite:///path or postgresql://...",
            ),
            ("sqlite://ck.db", "a sqlite URL has three slashes before the path: sqlite:///ck.db"),
        ],
    )
    def test_a_store_url_creatorkit_cannot_open_is_a_problem_at_its_key(self, store: str, message: str) -> None:
        with pytest.raises(ConfigError) as caught:
            load(f'[creatorkit]\nstore = "{store}"\n')
        assert [str(p) for p in caught.value.problems] == [f"creatorkit.store: {message}"]

    def test_a_store_url_from_the_environment_is_not_quoted_even_in_part(self) -> None:
        with pytest.raises(ConfigError) as caught:
            load('[creatorkit]\nstore = "${DB_URL}"\n', DB_URL="mysqlx://app:pw@db/ck")
        [problem] = caught.value.problems
        assert problem.message == "unsupported store URL scheme: use a file path, sqlite:///path or postgresql://..."

    @pytest.mark.parametrize(
        ("store", "where"),
        [
            ("plain.db", "conf/plain.db"),
            ("sqlite:///data/plain.db", "conf/data/plain.db"),
            ("sqlite:///{tmp}/abs.db", "abs.db"),
            ("{tmp}/abs.db", "abs.db"),
        ],
    )
    def test_store_file_is_where_the_kit_puts_the_database(self, tmp_path: Path, store: str, where: str) -> None:
        from creatorkit import Creatorkit

        folder = tmp_path / "conf"
        (folder / "data").mkdir(parents=True)
        (folder / "creatorkit.toml").write_text(f'[creatorkit]\nstore = "{store.format(tmp=tmp_path)}"\n')
        config = Config.load(folder / "creatorkit.toml", env={})
        assert config.store_file() == tmp_path / where
        Creatorkit.open(config).close()
        assert (tmp_path / where).is_file()

    @pytest.mark.parametrize(
        "store", ["postgresql://db/ck", "postgres://db/ck", ":memory:", "sqlite://", "sqlite:///:memory:"]
    )
    def test_store_file_is_none_off_disk(self, store: str) -> None:
        assert load(f'[creatorkit]\nstore = "{store}"\n').store_file() is None


class TestLoadWithProblems:
    def test_the_valid_parts_come_back_next_to_the_problems(self, tmp_path: Path) -> None:
        text = (
            '[creatorkit]\nstore = "mysql://x"\ncolour = 1\nacting_as = "agency:a1"\n\n[workflow]\ndraft_days = 0\n'
            'review_days = 4\n\n[platforms.echo]\nmode = "production"\nlatency_ms = 5\ntoken = "${ECHO_TOKEN}"\n'
            'key = "${UNSET_KEY}"\n\n[platforms.Bad-Name]\n\n[payments.echo_pay]\nenabled = "yes"\n'
        )
        (tmp_path / "creatorkit.toml").write_text(text)
        config, problems = Config.load_with_problems(tmp_path / "creatorkit.toml", env={"ECHO_TOKEN": "t"})
        assert [p.path for p in problems] == [
            "creatorkit.colour",
            "creatorkit.store",
            "payments.echo_pay.enabled",
            "platforms.Bad-Name",
            "platforms.echo.key",
            "platforms.echo.mode",
            "workflow.draft_days",
        ]
        assert config.store == Config().store and config.acting_as == "agency:a1"
        assert config.workflow.review_days == 4 and config.workflow.draft_days == WorkflowSettings().draft_days
        echo = config.plugin("echo")
        assert echo is not None and echo.mode is Mode.SANDBOX
        assert dict(echo.settings) == {"latency_ms": 5, "token": "t"} and echo.secret_keys >= {"token"}
        assert config.plugin("echo_pay") == PluginSettings(name="echo_pay", section="payments")

    def test_from_a_file(self, tmp_path: Path) -> None:
        path = tmp_path / "creatorkit.toml"
        path.write_text("[workflow]\ndraft_days = 0\n\n[platforms.echo]\n")
        config, problems = Config.load_with_problems(path, env={})
        assert [str(p) for p in problems] == ["workflow.draft_days: 0 is less than the minimum of 1"]
        assert config.source == str(path) and [p.name for p in config.enabled()] == ["echo"]
        with pytest.raises(ConfigError):
            Config.load(path, env={})

    def test_an_unreadable_or_broken_file_is_its_one_problem(self, tmp_path: Path) -> None:
        config, problems = Config.load_with_problems(tmp_path / "nope.toml", env={})
        assert config == Config(source=str(tmp_path / "nope.toml")) and problems[0].path == ""
        (tmp_path / "bad.toml").write_text("[platforms\n")
        _, problems = Config.load_with_problems(tmp_path / "bad.toml", env={})
        assert len(problems) == 1 and "not valid TOML" in problems[0].message


class TestLookup:
    def test_environment_variable_comes_first(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        (tmp_path / DEFAULT_CONFIG_NAME).write_text('[creatorkit]\nstore = "sqlite:///local.db"\n')
        named = tmp_path / "elsewhere.toml"
        named.write_text('[creatorkit]\nstore = "sqlite:///named.db"\n')
        monkeypatch.setenv(CONFIG_ENV, str(named))
        assert find_config() == named
        config = Config.load()
        assert config.store == "sqlite:///named.db"
        assert config.source == str(named)

    def test_then_the_current_directory(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        (tmp_path / DEFAULT_CONFIG_NAME).write_text('[creatorkit]\nstore = "sqlite:///local.db"\n')
        assert find_config() == tmp_path / DEFAULT_CONFIG_NAME
        assert Config.load().store == "sqlite:///local.db"

    def test_then_nothing(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        assert find_config() is None
        assert find_config({}) is None

    def test_explicit_path_wins(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(tmp_path)
        (tmp_path / DEFAULT_CONFIG_NAME).write_text('[creatorkit]\nstore = "sqlite:///local.db"\n')
        explicit = tmp_path / "explicit.toml"
        explicit.write_text('[creatorkit]\nstore = "sqlite:///explicit.db"\n')
        assert Config.load(explicit, env={CONFIG_ENV: "/nonexistent.toml"}).store == "sqlite:///explicit.db"
