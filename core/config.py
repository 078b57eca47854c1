"""The ``creatorkit.toml`` file: which plugins run, with what settings, against which store.

```toml
[creatorkit]
store = "sqlite:///creatorkit.db"

[platforms.tiktok]
enabled = true
mode = "sandbox"                          # or "live"
access_token = "${TIKTOK_ACCESS_TOKEN}"   # secrets come from the environment, never from the file

[payments.ledger]
enabled = true
```

Loading collects every problem before giving up: TOML syntax, unknown keys, wrong types and missing
environment variables all come back together in one :class:`~creatorkit.errors.ConfigError`, each with its
key path (``platforms.tiktok.mode``). Values taken from the environment are remembered as secrets, so that
:meth:`Config.redacted` can show the config without them.
"""

from __future__ import annotations

import enum
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from .errors import ConfigError, Problem

__all__ = [
    "ACTING_KINDS",
    "CONFIG_ENV",
    "DEFAULT_CONFIG_NAME",
    "DEFAULT_STORE",
    "GROUPS",
    "Config",
    "Mode",
    "PluginSettings",
    "UnansweredReview",
    "WorkflowSettings",
    "find_config",
]

CONFIG_ENV = "CREATORKIT_CONFIG"
DEFAULT_CONFIG_NAME = "creatorkit.toml"
DEFAULT_STORE = "sqlite:///creatorkit.db"
#: Entry-point group for each plugin table in the config.
GROUPS = {"platforms": "creatorkit.platforms", "payments": "creatorkit.payments"}

#: The parties CLI commands may act as (never the system: deadlines and payment callbacks act as it themselves).
ACTING_KINDS = ("agency", "talent_manager", "brand", "creator")
_PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Mode(enum.StrEnum):
    SANDBOX = "sandbox"
    LIVE = "live"


@attrs.frozen(kw_only=True)
class PluginSettings:
    """One ``[platforms.<name>]`` or ``[payments.<name>]`` table."""

    name: str
    section: str
    enabled: bool = True
    mode: Mode = Mode.SANDBOX
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    secret_keys: frozenset[str] = frozenset()

    @property
    def group(self) -> str:
        return GROUPS[self.section]

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"


#: Tags that disclose a paid collaboration, in the languages of the markets TikTok, Instagram and Kuaishou serve.
_DISCLOSURE_TAGS = (
    *("#ad", "#advert", "#advertisement", "#advertising", "#sponsored", "#paidpartnership", "#paidpromotion"),
    *("#广告", "#廣告", "#推广", "#赞助"),  # Chinese
    *("#PR", "#広告", "#プロモーション", "#タイアップ"),  # Japanese
    *("#광고", "#협찬", "#유료광고"),  # Korean
    *("#publicidad", "#patrocinado", "#publicidade", "#publi", "#parceriapaga"),  # Spanish, Portuguese
    *("#werbung", "#anzeige", "#publicité", "#collaborationcommerciale", "#pubblicità", "#adv", "#reclame"),
    *("#reklama", "#materiałreklamowy", "#реклама", "#reklam", "#iklan", "#quảngcáo", "#โฆษณา", "#إعلان"),
)


class UnansweredReview(enum.StrEnum):
    """What happens to a draft the brand leaves unanswered past its review deadline."""

    AUTO_APPROVE = "auto_approve"
    EXPIRE = "expire"


@attrs.frozen(kw_only=True)
class WorkflowSettings:
    """Deadlines for each waiting state, so that no deal (and no escrowed money) waits forever; limits on what
    users write (templates, drafts), so that no one input holds the service up."""

    invitation_response_days: int = 7
    offer_response_days: int = 3
    signature_days: int = 5
    funding_days: int = 5
    draft_days: int = 14
    review_days: int = 3
    unanswered_review: UnansweredReview = attrs.field(default=UnansweredReview.AUTO_APPROVE, converter=UnansweredReview)
    auto_approve_after_days: int = 14
    publish_days: int = 7
    measurement_days: int = 30
    dispute_days: int = 30
    #: One render of an outreach or contract template: steps (loop iterations, calls, filters …) and characters.
    template_max_operations: int = 20_000
    template_max_output_chars: int = 200_000
    #: A draft's caption and script, in characters (the platforms' own caption limits are 2,200 to 4,000).
    caption_max_chars: int = 10_000
    script_max_chars: int = 100_000
    #: What a brief's disclosure tag "#ad" stands for: the advertising disclosures of the platforms' markets.
    disclosure_tags: tuple[str, ...] = attrs.field(default=_DISCLOSURE_TAGS, converter=tuple)


@attrs.frozen(kw_only=True)
class Config:
    source: str | None = None
    #: Dotted paths of every value that came from the environment (``creatorkit.store``, ``platforms.x.token``).
    secret_paths: frozenset[str] = frozenset()
    store: str = DEFAULT_STORE
    strict_plugins: bool = False
    validate_outputs: bool = False
    acting_as: str | None = None
    workflow: WorkflowSettings = WorkflowSettings()
    plugins: tuple[PluginSettings, ...] = ()

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Config:
        """Read ``path`` (or the file :func:`find_config` finds); with no file at all, an empty config."""
        env = os.environ if env is None else env
        found = Path(path) if path is not None else find_config(env)
        if found is None:
            return cls()
        try:
            text = found.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError([Problem("", f"cannot read {found}: {exc.strerror}")], str(found)) from None
        return cls.from_toml(text, source=str(found), env=env)

    @classmethod
    def from_toml(cls, text: str, *, source: str | None = None, env: Mapping[str, str] | None = None) -> Config:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([Problem("", f"not valid TOML: {exc}")], source) from None
        return cls.from_mapping(data, source=source, env=env)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, source: str | None = None, env: Mapping[str, str] | None = None
    ) -> Config:
        env = os.environ if env is None else env
        problems: list[Problem] = []
        secrets: set[str] = set()
        resolved = _interpolate(data, "", env, problems, secrets)
        for section in GROUPS:
            tables = resolved.get(section)
            if isinstance(tables, dict):
                for name in [n for n in tables if not _PLUGIN_NAME.match(str(n))]:
                    problems.append(
                        Problem(
                            f"{section}.{name}",
                            "plugin names are lower-case letters, digits and '_', starting with a letter (at most 40)",
                        )
                    )
                    del tables[name]
        core_table = resolved.get("creatorkit")
        if isinstance(core_table, dict) and isinstance(core_table.get("acting_as"), str):
            kind, _, party = core_table["acting_as"].partition(":")
            if kind not in ACTING_KINDS or not party or ":" in party:
                problems.append(
                    Problem("creatorkit.acting_as", f"write KIND:ID with KIND one of {', '.join(ACTING_KINDS)}")
                )
                del core_table["acting_as"]
        from . import schemas

        problems.extend(schemas.errors("CreatorkitConfig", resolved))
        if problems:
            raise ConfigError(sorted(problems, key=lambda p: p.path), source)
        core = resolved.get("creatorkit", {})
        plugins = []
        for section in GROUPS:
            for name, table in sorted(resolved.get(section, {}).items()):
                prefix = f"{section}.{name}."
                plugins.append(
                    PluginSettings(
                        name=name,
                        section=section,
                        enabled=table.get("enabled", True),
                        mode=Mode(table.get("mode", Mode.SANDBOX)),
                        settings={k: v for k, v in table.items() if k not in ("enabled", "mode")},
                        secret_keys=frozenset(
                            key.removeprefix(prefix) for key in secrets if key.startswith(prefix)
                        ),  # paths inside the table: "client_secret", "auth.token", "tokens[0]"
                    )
                )
        return cls(
            source=source,
            secret_paths=frozenset(secrets),
            store=core.get("store", DEFAULT_STORE),
            strict_plugins=core.get("strict_plugins", False),
            validate_outputs=core.get("validate_outputs", False),
            acting_as=core.get("acting_as"),
            workflow=WorkflowSettings(**resolved.get("workflow", {})),
            plugins=tuple(plugins),
        )

    def enabled(self, section: str | None = None) -> list[PluginSettings]:
        return [p for p in self.plugins if p.enabled and (section is None or p.section == section)]

    def plugin(self, name: str, section: str | None = None) -> PluginSettings | None:
        for item in self.plugins:
            if item.name == name and (section is None or item.section == section):
                return item
        return None

    def redacted(self) -> dict[str, Any]:
        """The config as data with every value that came from the environment replaced by ``"***"``."""
        out: dict[str, Any] = {
            "creatorkit": {
                "store": "***" if "creatorkit.store" in self.secret_paths else _mask_url(self.store),
                "strict_plugins": self.strict_plugins,
                "validate_outputs": self.validate_outputs,
                "acting_as": self.acting_as,
            },
            "workflow": attrs.asdict(self.workflow),
        }
        for item in self.plugins:
            table: dict[str, Any] = {"enabled": item.enabled, "mode": str(item.mode)}
            table.update(_mask(dict(item.settings), "", item.secret_keys))
            out.setdefault(item.section, {})[item.name] = table
        return out


def find_config(env: Mapping[str, str] | None = None) -> Path | None:
    """``$CREATORKIT_CONFIG`` if set, else ``./creatorkit.toml`` if it exists, else nothing."""
    env = os.environ if env is None else env
    named = env.get(CONFIG_ENV)
    if named:
        return Path(named)
    local = Path.cwd() / DEFAULT_CONFIG_NAME
    return local if local.is_file() else None


def _interpolate(value: Any, path: str, env: Mapping[str, str], problems: list[Problem], secrets: set[str]) -> Any:
    if isinstance(value, Mapping):
        return {
            key: _interpolate(item, f"{path}.{key}" if path else str(key), env, problems, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_interpolate(item, f"{path}[{i}]", env, problems, secrets) for i, item in enumerate(value)]
    if isinstance(value, str) and "${" in value:

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if default is not None:
                # As in the shell, ":-" takes the default when the variable is unset *or* empty.
                return env.get(name) or default
            if name in env:
                return env[name]
            problems.append(Problem(path, f"environment variable {name} is not set"))
            return ""

        secrets.add(path)
        return _ENV_REF.sub(substitute, value)
    return value


def _mask(value: Any, path: str, secrets: frozenset[str]) -> Any:
    if path in secrets:
        return "***"
    if isinstance(value, dict):
        return {key: _mask(item, f"{path}.{key}" if path else str(key), secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item, f"{path}[{i}]", secrets) for i, item in enumerate(value)]
    return value


def _mask_url(url: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)
