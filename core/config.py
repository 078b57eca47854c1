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
key path (``platforms.tiktok.mode``). Values taken from the environment are remembered as secrets: the reprs of
:class:`Config` and :class:`PluginSettings`, :meth:`Config.redacted` and every problem message show them as
``***``, so that a config can be logged or quoted in a support ticket.
"""

from __future__ import annotations

import enum
import logging
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ._redaction import MASK, mask_paths, mask_url, values_at
from .errors import ConfigError, Problem

__all__ = [
    "ACTING_KINDS",
    "CONFIG_ENV",
    "DEFAULT_CONFIG_NAME",
    "DEFAULT_STORE",
    "GROUPS",
    "AnalyticsSettings",
    "Config",
    "MetricsSettings",
    "Mode",
    "MoneySettings",
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
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_SQLITE_SCHEME = "sqlite://"

_log = logging.getLogger(__name__)


class Mode(enum.StrEnum):
    SANDBOX = "sandbox"
    LIVE = "live"


@attrs.frozen(kw_only=True, repr=False)
class PluginSettings:
    """One ``[platforms.<name>]`` or ``[payments.<name>]`` table.

    ``secret_keys`` are the paths inside ``settings`` (``client_secret``, ``auth.token``, ``tokens[0]``) whose
    values are secret, those taken from the environment when read from a file; its repr shows them as ``***``.
    (What the plugin's settings schema marks ``writeOnly`` is masked too, where the schema is known: in the
    problems the plugin host reports.)
    """

    name: str
    section: str
    enabled: bool = True
    mode: Mode = Mode.SANDBOX
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    secret_keys: frozenset[str] = frozenset()
    #: The environment's values inside longer ones ("Bearer ${TOKEN}" holds TOKEN's): scrubbed from free text too.
    secret_pieces: frozenset[str] = frozenset()

    @property
    def group(self) -> str:
        return GROUPS[self.section]

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"

    def redacted(self) -> dict[str, Any]:
        """The settings as plain data with every secret replaced by ``"***"``."""
        shown: dict[str, Any] = mask_paths(dict(self.settings), self.secret_keys)
        return shown

    def secret_values(self) -> frozenset[str]:
        """The secret values themselves, as text: what free text (a plugin's exception) must be scrubbed of."""
        return frozenset(values_at(dict(self.settings), self.secret_keys)) | self.secret_pieces

    def __repr__(self) -> str:
        return (
            f"PluginSettings(name={self.name!r}, section={self.section!r}, enabled={self.enabled!r}, "
            f"mode={self.mode!r}, settings={self.redacted()!r}, secret_keys={self.secret_keys!r})"
        )


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
class MoneySettings:
    """``[money]``: the payment provider ``kit.payments`` uses and the ``[money.fees]`` commission policy.

    ``provider`` None: the one payment provider enabled. ``fees`` is the policy's table: ``policy`` (an entry
    point in ``creatorkit.fees``; default ``flat``) and that policy's own settings, checked when it is built.
    ``hold_margin_days``: the deadline run refunds what a fund still holds this many days before the provider's
    hold of it ends, so that the money never leaves escrow by the provider's own expiry.
    """

    provider: str | None = None
    fees: Mapping[str, Any] = attrs.field(factory=dict)
    hold_margin_days: int = 3
    #: Paths inside ``fees`` whose values came from the environment (a fee plugin's key): ``***`` in the repr.
    fee_secret_keys: frozenset[str] = frozenset()

    def redacted_fees(self) -> dict[str, Any]:
        """The ``[money.fees]`` table as plain data with every value from the environment shown as ``"***"``."""
        shown: dict[str, Any] = mask_paths(dict(self.fees), self.fee_secret_keys)
        return shown

    def __repr__(self) -> str:
        return (
            f"MoneySettings(provider={self.provider!r}, fees={self.redacted_fees()!r}, "
            f"hold_margin_days={self.hold_margin_days!r}, fee_secret_keys={self.fee_secret_keys!r})"
        )


@attrs.frozen(kw_only=True)
class MetricsSettings:
    """``[metrics]``: how often the metrics sync reads each post, for how long, and how many posts per job.

    A round reads every post still measured once per slot of ``slot_hours``; a post is measured from its
    publication until ``track_days`` after it. ``batch_size`` posts go to the platform per call (and per job on
    PostgreSQL): a crash loses at most one batch's calls, which the next round of the slot makes again.
    ``cron`` is when ``creatorkit worker`` starts a round itself (a five-field cron line, UTC).
    """

    slot_hours: int = 24
    track_days: int = 90
    batch_size: int = 100
    cron: str = "17 * * * *"


@attrs.frozen(kw_only=True)
class AnalyticsSettings:
    """``[analytics]``: how ``kit.matching`` ranks a brief's creators.

    ``weights`` overrides :class:`~creatorkit.analytics.MatchWeights` fields by name (``audience``, ``price`` …,
    ``min_credibility``); ``ranking`` names the scorer, an entry point in ``creatorkit.ranking``; discovery reads
    at most ``discovery_pages`` pages of ``page_size`` candidates from each platform; ``engagement_denominator``
    is what a brief's engagement floor is sent to the platforms over (the brief's floor names none).
    """

    ranking: str = "default"
    weights: Mapping[str, float] = attrs.field(factory=dict)
    discovery_pages: int = 5
    page_size: int = 50
    engagement_denominator: str = "views"


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
    #: A brief's content rules: its terms, the five lists together, and the characters of one term. Every draft is
    #: checked against each term, and one result per term is written while the write lock is held.
    content_rules_max_terms: int = 5_000
    content_rule_max_chars: int = 500
    #: What a brief's disclosure tag "#ad" stands for: the advertising disclosures of the platforms' markets.
    disclosure_tags: tuple[str, ...] = attrs.field(default=_DISCLOSURE_TAGS, converter=tuple)


@attrs.frozen(kw_only=True, repr=False)
class Config:
    """The whole ``creatorkit.toml``: the ``[creatorkit]`` keys, ``[workflow]`` and one entry per plugin table.

    Its repr masks what came from the environment and any password in ``store``, as :meth:`redacted` does.
    """

    source: str | None = None
    #: Dotted paths of every value that came from the environment (``creatorkit.store``, ``platforms.x.token``).
    secret_paths: frozenset[str] = frozenset()
    #: The environment's values inside longer ones, of the core keys (see PluginSettings.secret_pieces).
    secret_pieces: frozenset[str] = frozenset()
    store: str = DEFAULT_STORE
    strict_plugins: bool = False
    validate_outputs: bool = False
    acting_as: str | None = None
    workflow: WorkflowSettings = WorkflowSettings()
    money: MoneySettings = MoneySettings()
    metrics: MetricsSettings = MetricsSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    plugins: tuple[PluginSettings, ...] = ()

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Config:
        """Read ``path`` (or the file :func:`find_config` finds); with no file at all, an empty config."""
        config, problems = cls.load_with_problems(path, env)
        if problems:
            raise ConfigError(problems, config.source)
        return config

    @classmethod
    def load_with_problems(
        cls, path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
    ) -> tuple[Config, list[Problem]]:
        """Like :meth:`load`, but hand back the problems next to a config built from every part that is valid.

        A key or table with a problem is left out (a plugin table's bad ``mode`` falls back to ``sandbox``), so
        that the plugins of a config whose ``[creatorkit]`` table is wrong can still be loaded and checked:
        ``creatorkit config check`` reports everything in one run this way.
        """
        env = os.environ if env is None else env
        found = Path(path) if path is not None else find_config(env)
        if found is None:
            _log.debug("no config file (none given, %s unset, no ./%s): the defaults", CONFIG_ENV, DEFAULT_CONFIG_NAME)
            return cls(), []
        try:
            text = found.read_text(encoding="utf-8")
        except OSError as exc:
            return cls(source=str(found)), [Problem("", f"cannot read {found}: {exc.strerror}")]
        config, problems = cls._from_text(text, source=str(found), env=env)
        _log.debug("read %s: %r (%d problem(s))", found, config, len(problems))
        return config, problems

    @classmethod
    def from_toml(cls, text: str, *, source: str | None = None, env: Mapping[str, str] | None = None) -> Config:
        config, problems = cls._from_text(text, source=source, env=env)
        if problems:
            raise ConfigError(problems, source)
        return config

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, source: str | None = None, env: Mapping[str, str] | None = None
    ) -> Config:
        config, problems = cls._from_data(data, source=source, env=env)
        if problems:
            raise ConfigError(problems, source)
        return config

    @classmethod
    def _from_text(
        cls, text: str, *, source: str | None, env: Mapping[str, str] | None
    ) -> tuple[Config, list[Problem]]:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            return cls(source=source), [Problem("", f"not valid TOML: {exc}")]
        return cls._from_data(data, source=source, env=env)

    @classmethod
    def _from_data(
        cls, data: Mapping[str, Any], *, source: str | None, env: Mapping[str, str] | None
    ) -> tuple[Config, list[Problem]]:
        """The config from what is valid in ``data``, and every problem of the rest, sorted by key path."""
        env = os.environ if env is None else env
        problems: list[Problem] = []
        secrets: set[str] = set()
        pieces: dict[str, set[str]] = {}
        resolved = _interpolate(data, "", env, problems, secrets, pieces)
        _drop_bad_plugin_names(resolved, problems)
        _drop_bad_acting_as(resolved, problems)
        problems.extend(_store_problems(resolved, secrets))
        from . import schemas

        problems.extend(schemas.errors("CreatorkitConfig", resolved, secrets=secrets))
        problems.sort(key=lambda p: p.path)
        for problem in problems:
            _drop(resolved, problem.path)
        if problems and schemas.errors("CreatorkitConfig", resolved):
            resolved = {}  # what is left still does not fit (never seen): the defaults are the honest answer
        return cls._build(resolved, source=source, secrets=frozenset(secrets), pieces=pieces), problems

    @classmethod
    def _build(
        cls,
        resolved: Mapping[str, Any],
        *,
        source: str | None,
        secrets: frozenset[str],
        pieces: Mapping[str, set[str]],
    ) -> Config:
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
                        secret_pieces=_pieces_under(pieces, prefix),
                    )
                )
        return cls(
            source=source,
            secret_paths=secrets,
            secret_pieces=_pieces_under(pieces, "creatorkit."),
            store=core.get("store", DEFAULT_STORE),
            strict_plugins=core.get("strict_plugins", False),
            validate_outputs=core.get("validate_outputs", False),
            acting_as=core.get("acting_as"),
            workflow=WorkflowSettings(**resolved.get("workflow", {})),
            money=MoneySettings(
                **resolved.get("money", {}),
                fee_secret_keys=frozenset(
                    key.removeprefix("money.fees.") for key in secrets if key.startswith("money.fees.")
                ),
            ),
            metrics=MetricsSettings(**resolved.get("metrics", {})),
            analytics=AnalyticsSettings(**resolved.get("analytics", {})),
            plugins=tuple(plugins),
        )

    def enabled(self, section: str | None = None) -> list[PluginSettings]:
        return [p for p in self.plugins if p.enabled and (section is None or p.section == section)]

    def plugin(self, name: str, section: str | None = None) -> PluginSettings | None:
        for item in self.plugins:
            if item.name == name and (section is None or item.section == section):
                return item
        return None

    def store_file(self) -> Path | None:
        """The SQLite file ``store`` names, a relative one resolved against the config file's folder (as
        :meth:`Creatorkit.open <creatorkit.Creatorkit.open>` resolves it); None for PostgreSQL or in memory.
        """
        url = self.store
        if url.startswith(_POSTGRES_SCHEMES) or url == ":memory:":
            return None
        if url.startswith(_SQLITE_SCHEME):
            rest = url[len(_SQLITE_SCHEME) :]
            if rest in ("", "/", "/:memory:"):
                return None
            url = rest[1:]
        path = Path(url)
        if not path.is_absolute() and self.source:
            path = Path(self.source).resolve().parent / path
        return Path(os.path.abspath(path))

    def with_secret_settings(self, marked: Mapping[str, frozenset[str]]) -> Config:
        """This config, with ``marked`` (plugin name → paths in its settings) also counted as secret."""
        plugins = tuple(
            attrs.evolve(p, secret_keys=p.secret_keys | marked[p.name]) if p.name in marked else p for p in self.plugins
        )
        return attrs.evolve(self, plugins=plugins)

    def secret_values(self) -> frozenset[str]:
        """Every value this config took from the environment, as text (and a SQLite store from there also as
        the file it names): what free text (an exception from a library, a plugin or a driver) must be scrubbed
        of before it is shown.

        Left out: a plugin table's ``mode`` and ``workflow.unanswered_review``, which once valid are one of a
        few fixed words and say nothing about the variable they came from.
        """
        core = {name: getattr(self, name) for name in _CORE_KEYS if self._secret(name)}
        found = {str(value) for value in core.values() if value is not None} | self.secret_pieces
        file = self.store_file() if self._secret("store") else None
        if file is not None:
            found.add(str(file))  # as the store names itself in its errors ("no sqlite store at /srv/ck.db")
        for item in self.plugins:
            found |= item.secret_values()
        found |= values_at(dict(self.money.fees), self.money.fee_secret_keys)
        return frozenset(found)

    def redacted(self) -> dict[str, Any]:
        """The config as data with every value that came from the environment replaced by ``"***"``."""
        out: dict[str, Any] = {
            "creatorkit": {name: self._shown(name) for name in _CORE_KEYS},
            "workflow": attrs.asdict(self.workflow),
            "money": {
                "provider": self.money.provider,
                "fees": self.money.redacted_fees(),
                "hold_margin_days": self.money.hold_margin_days,
            },
        }
        for item in self.plugins:
            table: dict[str, Any] = {"enabled": item.enabled, "mode": str(item.mode)}
            table.update(item.redacted())
            out.setdefault(item.section, {})[item.name] = table
        return out

    def __repr__(self) -> str:
        fields = (
            f"{field.name}={self._shown(field.name) if field.name in _CORE_KEYS else getattr(self, field.name)!r}"
            for field in attrs.fields(Config)
            if field.name != "secret_pieces"  # the secrets themselves
        )
        return f"Config({', '.join(fields)})"

    def _secret(self, name: str) -> bool:
        return f"creatorkit.{name}" in self.secret_paths

    def _shown(self, name: str) -> Any:
        """A ``[creatorkit]`` key's value as it may be shown: ``***`` if from the environment, no store password."""
        value = getattr(self, name)
        if self._secret(name) and value is not None:
            return MASK
        return mask_url(value) if name == "store" else value


#: The keys of ``[creatorkit]``, each a field of :class:`Config` of the same name.
_CORE_KEYS = ("store", "strict_plugins", "validate_outputs", "acting_as")


def find_config(env: Mapping[str, str] | None = None) -> Path | None:
    """``$CREATORKIT_CONFIG`` if set, else ``./creatorkit.toml`` if it exists, else nothing."""
    env = os.environ if env is None else env
    named = env.get(CONFIG_ENV)
    if named:
        return Path(named)
    local = Path.cwd() / DEFAULT_CONFIG_NAME
    return local if local.is_file() else None


def _pieces_under(pieces: Mapping[str, set[str]], prefix: str) -> frozenset[str]:
    return frozenset(piece for path, found in pieces.items() if path.startswith(prefix) for piece in found)


def _interpolate(
    value: Any,
    path: str,
    env: Mapping[str, str],
    problems: list[Problem],
    secrets: set[str],
    pieces: dict[str, set[str]],
) -> Any:
    """``value`` with its ``${VAR}`` references substituted; each path that had one goes in ``secrets``, and,
    where a reference sits in a longer text, the variable's value in ``pieces`` (a token quoted alone in an
    error must be scrubbed too)."""
    if isinstance(value, Mapping):
        return {
            key: _interpolate(item, f"{path}.{key}" if path else str(key), env, problems, secrets, pieces)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_interpolate(item, f"{path}[{i}]", env, problems, secrets, pieces) for i, item in enumerate(value)]
    if isinstance(value, str) and "${" in value:

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if default is not None:
                # As in the shell, ":-" takes the default when the variable is unset *or* empty.
                if env.get(name):
                    pieces.setdefault(path, set()).add(env[name])
                return env.get(name) or default
            if name in env:
                pieces.setdefault(path, set()).add(env[name])
                return env[name]
            problems.append(Problem(path, f"environment variable {name} is not set"))
            return ""

        secrets.add(path)
        return _ENV_REF.sub(substitute, value)
    return value


def _drop_bad_plugin_names(resolved: dict[str, Any], problems: list[Problem]) -> None:
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


def _drop_bad_acting_as(resolved: dict[str, Any], problems: list[Problem]) -> None:
    core_table = resolved.get("creatorkit")
    if isinstance(core_table, dict) and isinstance(core_table.get("acting_as"), str):
        kind, _, party = core_table["acting_as"].partition(":")
        if kind not in ACTING_KINDS or not party or ":" in party:
            kinds = ", ".join(ACTING_KINDS)
            problems.append(Problem("creatorkit.acting_as", f"write KIND:ID with KIND one of {kinds}"))
            del core_table["acting_as"]


def _store_problems(resolved: Mapping[str, Any], secrets: set[str]) -> list[Problem]:
    """What :func:`creatorkit.store.open_store` would refuse in ``store``, said when the file is read, not later.

    A value from the environment is not quoted, not even its scheme.
    """
    core_table = resolved.get("creatorkit")
    url = core_table.get("store") if isinstance(core_table, Mapping) else None
    if not isinstance(url, str) or url.startswith(_POSTGRES_SCHEMES):
        return []
    hidden = "creatorkit.store" in secrets
    if url.startswith(_SQLITE_SCHEME):
        rest = url[len(_SQLITE_SCHEME) :]
        if rest in ("", "/", "/:memory:") or rest.startswith("/"):
            return []
        shown = "" if hidden else f": sqlite:///{rest}"
        return [Problem("creatorkit.store", f"a sqlite URL has three slashes before the path{shown}")]
    if "://" in url:
        scheme = "" if hidden else f" {url.split('://', 1)[0]!r}"
        return [
            Problem(
                "creatorkit.store",
                f"unsupported store URL scheme{scheme}: use a file path, sqlite:///path or postgresql://...",
            )
        ]
    return []


def _drop(data: dict[str, Any], path: str, prefix: str = "") -> None:
    """Remove from ``data`` the value a problem at ``path`` is about; a path into a list removes the whole list.

    Keys may hold dots themselves (TOML allows quoted keys), so each key is matched against the path as written.
    """
    for key in list(data):
        here = f"{prefix}.{key}" if prefix else str(key)
        if path == here or path.startswith(f"{here}["):
            del data[key]
            return
        if path.startswith(f"{here}.") and isinstance(data[key], dict):
            _drop(data[key], path, here)
            return
