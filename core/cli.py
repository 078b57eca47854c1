"""The ``creatorkit`` command line, for agencies running campaigns.

Every command takes ``--config PATH`` (default: ``$CREATORKIT_CONFIG`` or ``./creatorkit.toml``). Exit codes:
0 success, 1 the command ran and found problems (an invalid config, a broken audit chain), 2 wrong usage.

Why this is long: every command lives here, one thin function each over the public API, so that ``creatorkit
--help``, docs/cli.md and this file list the same commands in the same place; none holds logic of its own.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from ._redaction import is_under, scrub
from ._version import __version__
from .config import ACTING_KINDS, DEFAULT_CONFIG_NAME, Config, find_config
from .errors import CreatorkitError, Problem

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _reports_errors(command: F) -> F:
    """Turn the SDK's typed errors into a message on stderr and exit code 1 instead of a traceback."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CreatorkitError as exc:
            _fail(_scrubbed(str(exc)))
        except OSError as exc:
            _fail(_scrubbed(f"cannot use {exc.filename or 'a file'}: {exc.strerror or exc}"))

    return run  # type: ignore[return-value]


def _scrubbed(text: str) -> str:
    """``text`` without any value the command's config took from the environment.

    The SDK's own messages already mask what they know to be secret; this also catches the free text of a
    plugin's or a driver's error that happens to quote one.
    """
    click_context = click.get_current_context(silent=True)
    state = click_context.find_object(_Context) if click_context else None
    return scrub(text, state.secret_values()) if state else text


def _table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows)
    return "\n".join(lines)


class _Context:
    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._config: Config | None = None

    def config(self) -> Config:
        """The config, read once per command (so that errors can be scrubbed of what it holds)."""
        if self._config is None:
            self._config = Config.load(self.config_path)
        return self._config

    def secret_values(self) -> frozenset[str]:
        """What the config took from the environment, once it has been read: never to be printed."""
        return self._config.secret_values() if self._config is not None else frozenset()


_pass_context = click.make_pass_decorator(_Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="creatorkit")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="CREATORKIT_CONFIG",
    help=f"Config file (default: $CREATORKIT_CONFIG, else ./{DEFAULT_CONFIG_NAME}).",
)
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Run creator partnerships across TikTok, Instagram, Kuaishou and the plugins you enable."""
    ctx.obj = _Context(config_path)


_TEMPLATE = """\
# creatorkit configuration. Secrets never go in this file: write "${{ENV_VAR}}" and set the variable.
# Check it with: creatorkit config check

[creatorkit]
# Where deals, contracts and the audit trail live: a SQLite file (nothing to start) or postgresql://...
store = "sqlite:///creatorkit.db"
# true: a plugin that fails to load is an error instead of a warning (also CREATORKIT_STRICT_PLUGINS=1)
strict_plugins = false
# Who `creatorkit campaigns`, `roster` and `audit export` act as, unless --as says otherwise:
# acting_as = "agency:<your agency id>"

[workflow]
# Every waiting state has a deadline, in days, so no deal and no escrowed money waits forever.
invitation_response_days = 7
offer_response_days = 3
signature_days = 5
draft_days = 14
review_days = 3
# A draft the brand leaves unanswered: "auto_approve" after auto_approve_after_days, or "expire".
unanswered_review = "auto_approve"
auto_approve_after_days = 14

# One table per plugin you enable: [platforms.<name>] or [payments.<name>].
# mode = "sandbox" answers from the plugin's synthetic data set and never touches the network.
{plugins}"""


def _plugin_sections() -> str:
    from .host import installed_plugins

    found = installed_plugins()
    if not found:
        return (
            "# No creatorkit plugins are installed yet; `creatorkit plugins` lists them once they are.\n"
            '# [platforms.tiktok]\n# enabled = true\n# mode = "sandbox"\n'
        )
    out = []
    for plugin in found:
        section = "platforms" if plugin.group == "creatorkit.platforms" else "payments"
        out.append(
            f"# {plugin.distribution or plugin.value} {plugin.version or ''}".rstrip()
            + f'\n[{section}.{plugin.name}]\nenabled = true\nmode = "sandbox"\n'
        )
    return "\n".join(out)


@main.command()
@click.option("--path", "path", type=click.Path(dir_okay=False), default=DEFAULT_CONFIG_NAME, show_default=True)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: str, force: bool) -> None:
    """Write a commented creatorkit.toml enabling the installed plugins in sandbox mode."""
    target = Path(path)
    if target.exists() and not force:
        _fail(f"{target} already exists; pass --force to overwrite it")
    try:
        target.write_text(_TEMPLATE.format(plugins=_plugin_sections()), encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {target}: {exc.strerror}")
    click.echo(f"wrote {target}")


def _describe_plugins(config: Config) -> list[dict[str, Any]]:
    """Every installed plugin (and every enabled one that is not installed), as ``plugins --json`` shows it."""
    from importlib import metadata as importlib_metadata

    from .host import PluginHost, installed_plugins

    scratch = PluginHost()
    rows: list[dict[str, Any]] = []
    seen = set()
    for plugin in installed_plugins():
        section = "platforms" if plugin.group == "creatorkit.platforms" else "payments"
        settings = config.plugin(plugin.name, section)
        row: dict[str, Any] = {
            "name": plugin.name,
            "kind": str(plugin.kind),
            "group": plugin.group,
            "distribution": plugin.distribution,
            "version": plugin.version,
            "enabled": bool(settings and settings.enabled),
            "mode": str(settings.mode) if settings else None,
            "hooks": [],
            "capabilities": [],
            "missing": {},
            "load_error": None,
        }
        seen.add((section, plugin.name))
        try:
            entry_point = next(
                ep
                for ep in importlib_metadata.entry_points(group=plugin.group, name=plugin.name)
                if ep.value == plugin.value
            )
            meta = scratch.register(entry_point.load(), name=plugin.name, group=plugin.group, configure=False)
        except Exception as exc:
            row["load_error"] = scrub(f"{type(exc).__name__}: {exc}", config.secret_values())
        else:
            row["hooks"] = list(scratch.hooks(plugin.name))
            row["capabilities"] = sorted(str(c) for c in meta.capabilities)
            row["missing"] = dict(sorted(meta.missing.items()))
            row["display_name"] = meta.display_name
            scratch.unregister(plugin.name)
        rows.append(row)
    for settings in config.plugins:
        if (settings.section, settings.name) not in seen:
            rows.append(
                {
                    "name": settings.name,
                    "kind": "platform" if settings.section == "platforms" else "payment",
                    "group": settings.group,
                    "distribution": None,
                    "version": None,
                    "enabled": settings.enabled,
                    "mode": str(settings.mode),
                    "hooks": [],
                    "capabilities": [],
                    "missing": {},
                    "load_error": f"not installed (named in [{settings.key}])",
                }
            )
    return rows


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per plugin.")
@click.pass_context
def plugins(click_ctx: click.Context, as_json: bool) -> None:
    """List installed plugins: kind, distribution, enabled, capabilities, load errors.

    Exits 1 when an enabled plugin cannot be loaded (not installed, or failing to import), after the listing: a
    script that runs it learns that the config it checks will not work, as with ``config check``.

    ``plugins check NAME`` runs the conformance kit against one of them.
    """
    if click_ctx.invoked_subcommand is None:
        _list_plugins(click_ctx.ensure_object(_Context), as_json)


@_reports_errors
def _list_plugins(ctx: _Context, as_json: bool) -> None:
    rows = _describe_plugins(ctx.config())
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        click.echo("no creatorkit plugins installed")
    else:
        click.echo(_plugin_table(rows))
    broken = [row["name"] for row in rows if row["enabled"] and row["load_error"]]
    if broken:
        _fail(f"enabled but cannot be loaded: {', '.join(broken)}")


@plugins.command("check")
@click.argument("name")
@click.option("-v", "--verbose", is_flag=True, help="Name every test, not only the failures.")
@_pass_context
@_reports_errors
def plugins_check(ctx: _Context, name: str, verbose: bool) -> None:
    """Run the conformance kit against the installed plugin NAME; exit 0 only when it passes.

    The plugin runs in sandbox mode with the network switched off, with its settings from the config's table
    when there is one. The suite is the one its distribution registers in the ``creatorkit.conformance``
    entry-point group (with the creators its sandbox knows), or else the kit's own for the plugin's kind.
    Needs pytest (``pip install "creatorkit[test]"``).
    """
    try:
        import pytest  # noqa: F401
    except ImportError:
        _fail('plugins check runs the conformance kit with pytest: pip install "creatorkit[test]"')
    from .testing._check import check_plugin

    table = ctx.config().plugin(name)
    settings = dict(table.settings) if table is not None else None
    status = check_plugin(name, settings, pytest_args=["-v"] if verbose else ())
    if status:
        _fail(f"{name} does not pass the conformance kit (pytest exit status {status})", code=status)
    click.echo(f"{name} passes the conformance kit")


def _plugin_table(rows: list[dict[str, Any]]) -> str:
    return _table(
        [
            [
                r["name"],
                r["kind"],
                f"{r['distribution'] or '-'} {r['version'] or ''}".strip(),
                "yes" if r["enabled"] else "no",
                ", ".join(r["capabilities"]) or "-",
                r["load_error"] or "",
            ]
            for r in rows
        ],
        ["name", "kind", "distribution", "enabled", "capabilities", "error"],
    )


@main.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("check")
@_pass_context
def config_check(ctx: _Context) -> None:
    """Validate the config, its store and every enabled plugin with its settings; list every problem at once."""
    from .host import PluginHost

    loaded, problems = Config.load_with_problems(ctx.config_path or find_config())
    problems.extend(_store_problems(loaded, problems))
    # The plugins are checked even when the core part is wrong: what was valid of their tables is in `loaded`.
    # A plugin's problem at a key the core already reported (a missing variable, say) would only repeat it.
    reported = [problem.path for problem in problems]
    problems.extend(p for p in PluginHost.problems(loaded) if not is_under(p.path, reported))
    where = loaded.source or "(no config file; defaults)"
    if problems:
        click.echo(f"{where}: {len(problems)} problem(s)", err=True)
        for problem in sorted(problems, key=lambda p: p.path):
            message = scrub(problem.message, loaded.secret_values())
            click.echo(f"  {problem.path or '<file>'}: {message}", err=True)
        sys.exit(1)
    enabled = sorted(settings.name for settings in loaded.enabled())
    click.echo(f"{where}: ok; enabled plugins: {', '.join(enabled) or 'none'}")


def _store_problems(config: Config, reported: Sequence[Problem]) -> list[Problem]:
    """A SQLite store whose folder is missing: the config reads fine, but no store can ever be opened there."""
    if any(problem.path == "creatorkit.store" for problem in reported):
        return []
    file = config.store_file()
    if file is None or file.parent.is_dir():
        return []
    hidden = "creatorkit.store" in config.secret_paths
    folder = "the store's directory (named in the environment)" if hidden else f"directory {file.parent}"
    return [Problem("creatorkit.store", f"{folder} does not exist")]


# -- workflow commands (they open the store named in the config) -----------------------------------------------


def _actor(value: str | None, config: Config) -> Any:
    from .entities import Actor, PartyKind

    chosen = value or config.acting_as
    if not chosen:
        _fail(
            "say who is acting: --as agency:<id> (or talent_manager:, brand:, creator:), or set [creatorkit] acting_as",
            2,
        )
    assert chosen is not None
    kind, _, party = chosen.partition(":")
    # The CLI acts for a person's party; the system (deadlines, payment callbacks) is never an identity to assume.
    kinds = ACTING_KINDS
    if kind not in kinds or not party:
        _fail(f"--as {chosen!r}: write KIND:ID with KIND one of {', '.join(kinds)}", 2)
    return Actor(party, PartyKind(kind))


def _open_kit(ctx: _Context) -> Any:
    """The kit on the config's store, which must exist: no command creates one.

    Every command reads the store or moves deals already in it; a new empty database would only hide a mistyped
    path behind "no deals" or "intact: 0 events". The app that embeds creatorkit creates the store.
    """
    from ._kit import Creatorkit

    return Creatorkit.open(ctx.config(), create=False)


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


_as_option = click.option("--as", "acting_as", metavar="KIND:ID", help="The party acting (default: acting_as).")


# -- connections and grants ------------------------------------------------------------------------------------


@main.command()
@click.argument("platform")
@click.option("--redirect-uri", metavar="URI", help="Where the platform sends you back (default: the plugin's).")
@click.option("--scope", "scopes", multiple=True, metavar="SCOPE", help="A permission to ask for (repeatable).")
@click.option("--url-only", is_flag=True, help="Print the authorize URL and stop; finish with --redirect-url.")
@click.option(
    "--redirect-url", metavar="URL", help="Finish: the address the platform sent you back to (code and state)."
)
@click.option("--code", metavar="CODE", help="Finish with the code alone, with --state.")
@click.option("--state", metavar="STATE", help="The state of the flow the code is for (with --code).")
@_as_option
@_pass_context
@_reports_errors
def connect(
    ctx: _Context,
    platform: str,
    redirect_uri: str | None,
    scopes: tuple[str, ...],
    url_only: bool,
    redirect_url: str | None,
    code: str | None,
    state: str | None,
    acting_as: str | None,
) -> None:
    """Connect the acting workspace's PLATFORM account: print the authorize URL, then take the redirect or code.

    Without --redirect-url or --code, prints the URL to open and asks for the address the platform sent you
    back to (or the code it shows). A script splits the two: --url-only, then --redirect-url.
    """
    actor = _actor(acting_as, ctx.config())
    if code and not state and not redirect_url:
        _fail("--code needs --state (the flow it is for), or give --redirect-url", 2)
    with _open_kit(ctx) as kit:
        if redirect_url or code:
            connection = kit.connections.finish(actor, redirect_url=redirect_url, state=state, code=code)
        else:
            started = kit.connections.start(actor, platform=platform, redirect_uri=redirect_uri, scopes=scopes)
            click.echo(
                f"Open this address and authorise {platform}; you are then sent back to the redirect URI:", err=True
            )
            click.echo(started.url)
            if url_only:
                until = _when(started.expires_at)
                click.echo(f"then, before {until} UTC: creatorkit connect {platform} --redirect-url 'URL'", err=True)
                return
            answer = click.prompt("The address you were sent back to (or the code)", err=True).strip()
            if _is_redirect(answer):  # it carries the state too
                connection = kit.connections.finish(actor, redirect_url=answer)
            else:
                connection = kit.connections.finish(actor, code=answer, state=started.state)
    click.echo(_connected(connection))


def _is_redirect(answer: str) -> bool:
    """Whether a pasted answer is the redirect (a URL, or its query string) rather than a bare code."""
    query = answer.split("?", 1)[1] if "?" in answer else answer
    return "://" in answer or any(
        part.split("=", 1)[0] in ("code", "auth_code", "state", "error") for part in query.split("&")
    )


def _connected(connection: Any) -> str:
    name = f" ({connection.account_name})" if connection.account_name else ""
    expiry = f"token expires {_when(connection.expires_at)} UTC" if connection.expires_at else "token does not expire"
    if connection.refresh_expires_at:
        expiry += f", renewed as needed until {_when(connection.refresh_expires_at)} UTC"
    scopes = ", ".join(connection.scopes) or "none stated"
    return (
        f"connected {connection.platform} account {connection.account_id}{name} as {connection.id}; "
        f"scopes: {scopes}; {expiry}"
    )


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per connection or grant.")
@_as_option
@_pass_context
@_reports_errors
def connections(ctx: _Context, as_json: bool, acting_as: str | None) -> None:
    """The acting party's connections and the grants it holds or gave: status, expiry and scopes, never a token."""
    from .entities import PartyKind

    actor = _actor(acting_as, ctx.config())
    with _open_kit(ctx) as kit:
        found = [] if actor.kind is PartyKind.CREATOR else kit.connections.list(actor)
        found += kit.grants.list(actor)
    if as_json:
        from .converter import unstructure
        from .entities import Grant

        click.echo(
            json.dumps(
                [{"kind": "grant" if isinstance(a, Grant) else "connection", **unstructure(a)} for a in found], indent=2
            )
        )
        return
    if not found:
        click.echo("no connections or grants")
        return
    click.echo(_table([_authorization_row(a) for a in found], _AUTHORIZATION_COLUMNS))


_AUTHORIZATION_COLUMNS = ["id", "kind", "platform", "account", "status", "expires (UTC)", "renewable until", "scopes"]


def _authorization_row(authorization: Any) -> list[str]:
    from .entities import Grant

    if isinstance(authorization, Grant):
        kind = f"grant from {authorization.creator_id}"
        account = authorization.handle or authorization.account_id
    else:
        kind = "connection"
        account = authorization.account_name or authorization.account_id
    return [
        authorization.id,
        kind,
        authorization.platform,
        account,
        str(authorization.status),
        _when(authorization.expires_at) if authorization.expires_at else "never",
        _when(authorization.refresh_expires_at),
        ", ".join(authorization.scopes) or "-",
    ]


@main.command()
@click.argument("authorization_id", metavar="ID")
@_as_option
@_pass_context
@_reports_errors
def disconnect(ctx: _Context, authorization_id: str, acting_as: str | None) -> None:
    """Disconnect connection ID (or, as its creator, revoke grant ID): revoked at the platform where it can be."""
    from .errors import NotFound

    actor = _actor(acting_as, ctx.config())
    with _open_kit(ctx) as kit:
        try:
            kit.connections.get(actor, authorization_id)
        except NotFound:
            try:
                revoked = kit.grants.revoke(actor, authorization_id)
            except NotFound:
                raise NotFound("connection or grant", authorization_id) from None
        else:
            revoked = kit.connections.disconnect(actor, authorization_id)
    ended = revoked.authorization
    where = "the platform revoked its tokens" if revoked.at_platform else "the platform was not told"
    detail = f" ({revoked.detail})" if revoked.detail else ""
    click.echo(f"revoked {ended.id} ({ended.platform} account {ended.account_id}): {where}{detail}")


# -- usage rights ----------------------------------------------------------------------------------------------


@main.group("usage-rights")
def usage_rights() -> None:
    """Paid-ads use of the deals' posts (Spark Ads codes): bind, list, revoke what the contract no longer allows."""


_USAGE_COLUMNS = ["id", "deal", "platform", "post", "status", "platform ends (UTC)", "contract ends (UTC)", "action"]


def _usage_row(record: Any, now: Any) -> list[str]:
    right = record.right
    if record.beyond_contract(now):
        action = "revoke: the contract's allowance ended"
    elif record.outlives_contract() and str(right.status) == "active":
        action = "revoke by the contract's end"
    else:
        action = "-"
    return [
        record.id,
        record.deal_id,
        record.platform,
        right.post_id,
        f"{right.status} ({right.raw_status})",
        _when(right.ends_at) if right.ends_at else "no end given",
        _when(record.allowed_until) if record.allowed_until else "no end agreed",
        action,
    ]


@usage_rights.command("authorize")
@click.argument("deal_id", metavar="DEAL")
@click.argument("code")
@click.option("--post", "post_id", metavar="POST_ID", help="The post the code should be for (checked).")
@click.option("--connection", "connection_id", metavar="ID", help="The brand's connection (its ad account).")
@_as_option
@_pass_context
@_reports_errors
def usage_rights_authorize(
    ctx: _Context, deal_id: str, code: str, post_id: str | None, connection_id: str | None, acting_as: str | None
) -> None:
    """Bind the creator's CODE for a post of DEAL to the brand's ad account, as the executed contract allows."""
    actor = _actor(acting_as, ctx.config())
    with _open_kit(ctx) as kit:
        record = kit.usage_rights.authorize(actor, deal_id, code, post_id=post_id, connection_id=connection_id)
        click.echo(_table([_usage_row(record, kit.clock())], _USAGE_COLUMNS))


@usage_rights.command("list")
@click.option("--deal", "deal_id", metavar="DEAL", help="Only this deal's rights.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per usage right.")
@_as_option
@_pass_context
@_reports_errors
def usage_rights_list(ctx: _Context, deal_id: str | None, as_json: bool, acting_as: str | None) -> None:
    """The usage rights the acting party sees, with the platform's end, the contract's end and what to do."""
    actor = _actor(acting_as, ctx.config())
    with _open_kit(ctx) as kit:
        found = kit.usage_rights.list(actor, deal_id=deal_id)
        now = kit.clock()
    if as_json:
        from .converter import unstructure

        click.echo(json.dumps([unstructure(record) for record in found], indent=2))
        return
    if not found:
        click.echo("no usage rights")
        return
    click.echo(_table([_usage_row(record, now) for record in found], _USAGE_COLUMNS))


@usage_rights.command("revoke")
@click.argument("record_id", metavar="ID")
@_as_option
@_pass_context
@_reports_errors
def usage_rights_revoke(ctx: _Context, record_id: str, acting_as: str | None) -> None:
    """Unbind usage right ID at the platform: the post no longer runs as an ad."""
    actor = _actor(acting_as, ctx.config())
    with _open_kit(ctx) as kit:
        record = kit.usage_rights.revoke(actor, record_id)
        click.echo(_table([_usage_row(record, kit.clock())], _USAGE_COLUMNS))


@usage_rights.command("enforce")
@_as_option
@_pass_context
@_reports_errors
def usage_rights_enforce(ctx: _Context, acting_as: str | None) -> None:
    """Revoke every usage right whose contract allowance has ended; prints what was revoked."""
    actor = _actor(acting_as, ctx.config())
    with _open_kit(ctx) as kit:
        revoked = kit.usage_rights.enforce(actor)
        now = kit.clock()
    if not revoked:
        click.echo("nothing to revoke: every right is within its contract")
        return
    click.echo(_table([_usage_row(record, now) for record in revoked], _USAGE_COLUMNS))


@main.command()
@click.option("--tab", type=click.Choice(["pending", "active", "finished", "inactive"]), help="Only one tab.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per deal.")
@_as_option
@_pass_context
@_reports_errors
def campaigns(ctx: _Context, tab: str | None, as_json: bool, acting_as: str | None) -> None:
    """The campaign board: campaign, brand, creator, price, status, what needs action and by when."""
    from .workflow._states import Tab

    actor = _actor(acting_as, ctx.config())  # before the store is opened: a usage error touches nothing
    with _open_kit(ctx) as kit:
        rows = kit.deals.board(actor, tab=Tab(tab) if tab else None)
    if as_json:
        from .converter import unstructure

        click.echo(json.dumps([unstructure(row) for row in rows], indent=2))
        return
    if not rows:
        click.echo(f"no deals{f' on the {tab} tab' if tab else ''}")
        return
    click.echo(
        _table(
            [
                [
                    r.campaign,
                    r.brand,
                    r.creator,
                    str(r.price) if r.price else "-",
                    str(r.state),
                    str(r.tab),
                    f"{r.needs_action_by}: {r.next_step}" if r.next_step else "-",
                    _when(r.deadline),
                ]
                for r in rows
            ],
            ["campaign", "brand", "creator", "price", "status", "tab", "needs action", "by (UTC)"],
        )
    )


@main.group()
def audit() -> None:
    """Verify the tamper-evident audit trail, checkpoint it, rotate its key; export a deal's evidence bundle."""


@audit.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="A checkpoint from `audit checkpoint` the store must still agree with (repeatable).",
)
@_pass_context
@_reports_errors
def audit_verify(ctx: _Context, checkpoint_files: tuple[str, ...]) -> None:
    """Check every event's hash, link and MAC, the head, every document against the trail, and each checkpoint.

    Exit 0 when all hold, saying whether a key checked the MACs; otherwise name the first broken event, the first
    document that is not what its last audited write made it, and how the store fails a checkpoint.
    """
    from .audit import Checkpoint

    checkpoints = [Checkpoint.load(path) for path in checkpoint_files]
    with _open_kit(ctx) as kit:
        report = kit.audit.verify(checkpoints)
    lines = [_chain_line(report.chain), _state_line(report.state), *map(_checkpoint_line, report.checkpoints)]
    for ok, line in lines:
        click.echo(line, err=not ok)
    if not report.ok:
        sys.exit(1)


@audit.command("checkpoint")
@click.option("--out", type=click.Path(dir_okay=False), help="Write it to this new file (default: stdout).")
@_pass_context
@_reports_errors
def audit_checkpoint(ctx: _Context, out: str | None) -> None:
    """Print a signed statement of the trail's head (JSON) to keep outside the database, for `verify --checkpoint`."""
    with _open_kit(ctx) as kit:
        checkpoint = kit.audit.checkpoint()
    if out is None:
        click.echo(checkpoint.to_json(), nl=False)
    else:
        with Path(out).open("x", encoding="utf-8") as file:  # never over an older checkpoint
            file.write(checkpoint.to_json())
    signed = f"signed with key {checkpoint.key_id}" if checkpoint.key_id else "UNSIGNED: no key is configured"
    where = f" in {out}" if out else ""
    click.echo(f"checkpoint of event {checkpoint.sequence}{where} ({signed}); keep it outside the database", err=True)


@audit.command("rotate-key")
@_pass_context
@_reports_errors
def audit_rotate_key(ctx: _Context) -> None:
    """MAC the trail with the key in $CREATORKIT_AUDIT_KEY from now on (the old one in $CREATORKIT_AUDIT_OLD_KEYS)."""
    with _open_kit(ctx) as kit:
        event = kit.audit.rotate_key()
        current = kit.store.audit_keys.current
    if event is None:
        click.echo(f"the audit trail is MAC'd with key {current.id if current else '-'} already; nothing to rotate")
        return
    click.echo(
        f"audit trail MAC'd with key {event.key_id} from event {event.sequence} on; keep the old key among "
        "CREATORKIT_AUDIT_OLD_KEYS to verify the events before"
    )


def _chain_line(chain: Any) -> tuple[bool, str]:
    """What ``audit verify`` says of the chain: intact and how far that goes (keyed or not), or where it breaks."""
    if not chain.ok:
        if chain.missing_key:
            return False, f"audit trail cannot be verified from event {chain.first_bad}: {chain.reason}"
        return False, f"audit trail BROKEN at event {chain.first_bad}: {chain.reason}"
    line = f"audit trail intact: {chain.events} events"
    if chain.legacy_events:
        line += f" ({_events(1, chain.legacy_events)} predate keys and state coverage)"
    if chain.keyed_from is None:
        return True, (
            f"{line}; NOT keyed: written without a key, so this proves only that the trail is consistent with "
            "itself (anyone with write access to the database could have rebuilt it)"
        )
    keys = ", ".join(chain.key_ids)
    if not chain.macs_checked:
        return True, (
            f"{line}; MACs NOT checked: {_events(chain.keyed_from, chain.events)} carry MACs (keys {keys}) but no "
            "key is configured here, so this proves only that the trail is consistent with itself"
        )
    before = f"; {_events(1, chain.keyed_from - 1)} written without a key" if chain.keyed_from > 1 else ""
    return True, f"{line}; keyed: every MAC from event {chain.keyed_from} on verified (keys {keys}){before}"


def _events(first: int, last: int) -> str:
    return f"event {first}" if first == last else f"events {first}-{last}"


def _checkpoint_line(checkpoint: Any) -> tuple[bool, str]:
    """What ``audit verify`` says of one checkpoint: that the store holds its event and hash, or how it fails."""
    if not checkpoint.ok:
        return False, f"checkpoint {checkpoint.source} BROKEN: {checkpoint.reason}"
    return True, f"checkpoint {checkpoint.source}: event {checkpoint.sequence} matches ({checkpoint.signature})"


def _state_line(state: Any) -> tuple[bool, str]:
    """What ``audit verify`` says of the current state: that every document matches the trail, or the first not."""
    uncovered = ""
    if state.uncovered:
        examples = ", ".join(state.uncovered_examples)
        uncovered = f"; {state.uncovered} written before state coverage, never covered (e.g. {examples})"
    if not state.ok:
        return (
            False,
            f"current state BROKEN at {state.first_bad}: {state.reason} ({state.mismatched} document(s) differ)",
        )
    return True, f"current state matches the trail: {state.documents} documents{uncovered}"


@audit.command("export")
@click.argument("deal_id")
@click.option("--out", type=click.Path(dir_okay=False), help="Bundle path (default: evidence-<deal>.zip).")
@_as_option
@_pass_context
@_reports_errors
def audit_export(ctx: _Context, deal_id: str, out: str | None, acting_as: str | None) -> None:
    """Write DEAL_ID's evidence bundle: events, messages, contract versions, signatures, content."""
    with _open_kit(ctx) as kit:
        actor = _actor(acting_as, kit.config)
        path = kit.audit.export(actor, deal_id, out or f"evidence-{deal_id}.zip")
    click.echo(f"wrote {path}")


@main.command()
@_pass_context
@_reports_errors
def deadlines(ctx: _Context) -> None:
    """Apply every overdue deal's timeout rule (expire, auto-approve, complete). Run it from cron."""
    from .entities import Actor

    with _open_kit(ctx) as kit:
        run = kit.deals.process_deadlines()
        # Money whose provider hold is about to end goes back to the brand before the provider lets it go.
        swept = kit.payments.sweep_holds(Actor.system("deadlines")) if kit._moves_money else []
    for deal in run.moved:
        click.echo(f"{deal.id}: {deal.state}")
    for deal_id, error in run.failed.items():
        click.echo(f"{deal_id}: not moved: {error}", err=True)
    for result in swept:
        for operation in result.succeeded + result.waiting + result.failed:
            click.echo(f"{result.deal_id}: {operation.purpose} {operation.id} {operation.status}")
    stuck = [result.deal_id for result in swept if result.failed]
    click.echo(f"{len(run.moved)} deal(s) moved, {len(run.failed)} failed")
    if run.failed or stuck:
        sys.exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per roster entry.")
@_as_option
@_pass_context
@_reports_errors
def roster(ctx: _Context, as_json: bool, acting_as: str | None) -> None:
    """The roster: creators, their managers and the scopes each holds."""
    actor = _actor(acting_as, ctx.config())
    with _open_kit(ctx) as kit:
        entries = kit.roster.entries(actor)
    if as_json:
        from .converter import unstructure

        click.echo(json.dumps([unstructure(e) for e in entries], indent=2))
        return
    click.echo(
        _table(
            [
                [
                    e.creator_id,
                    e.manager_id,
                    "active" if e.active else "awaiting creator",
                    ", ".join(sorted(map(str, e.scopes))),
                ]
                for e in entries
            ],
            ["creator", "manager", "status", "scopes"],
        )
        if entries
        else "no roster entries"
    )


_IMPORT_FORMATS = ("csv", "json", "jsonl")


@main.command("import")
@click.argument("platform")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "file_format", type=click.Choice(_IMPORT_FORMATS), help="Default: the file's extension.")
@click.option("--json", "as_json", is_flag=True, help="The whole result (records and rejected rows) as JSON.")
@_pass_context
@_reports_errors
def import_export(ctx: _Context, platform: str, file: str, file_format: str | None, as_json: bool) -> None:
    """Read a partner export through PLATFORM's import capability and report every row it could not use.

    Prints how many rows became records and each rejected row with its line, column and reason; exits 1 when any
    row was rejected, so that a script never takes a partial import for a whole one. Nothing is stored.
    """
    from .entities import ImportFormat
    from .host import PluginHost

    chosen = file_format or Path(file).suffix.lstrip(".").lower()
    if chosen not in _IMPORT_FORMATS:
        _fail(f"{file}: give --format ({', '.join(_IMPORT_FORMATS)}): the extension does not say", 2)
    host = PluginHost.from_config(ctx.config())
    result = host.platform(platform).import_records(Path(file).read_bytes(), ImportFormat(chosen))
    if as_json:
        from .converter import unstructure

        click.echo(json.dumps(unstructure(result), indent=2, ensure_ascii=False))
    else:
        what = f" ({result.description})" if result.description else ""
        click.echo(
            f"{file}{what}: {result.rows} row(s), {result.accepted} read, {result.rows - result.accepted} rejected"
        )
        if result.rejected:
            rows = [[str(r.line), r.field or "(row)", r.reason, r.value or ""] for r in result.rejected]
            click.echo(_table(rows, ["line", "column", "reason", "value"]))
    if result.rejected:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    # ``python -m creatorkit.cli``: run the imported module's group, which has every command registered (this
    # copy, ``__main__``, would import the payments commands against a second copy of itself).
    from creatorkit.cli import main as registered_main

    registered_main()
else:
    # The money commands live in their own module, which adds them to ``main``: imported last, once every helper
    # they use is defined.
    from . import (
        _cli_catalog,  # noqa: F401
        _cli_match,  # noqa: F401
        _cli_metrics,  # noqa: F401
        _cli_payments,  # noqa: F401
        _cli_plan,  # noqa: F401
        _cli_report,  # noqa: F401
    )
