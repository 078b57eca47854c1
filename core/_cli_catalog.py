"""``creatorkit import creators FILE``: a catalog file into the workspace's local catalog, every rejected row shown.

``import`` becomes a group: ``creators`` is its one subcommand, and anything else is the partner-export import
that was there before (``creatorkit import PLATFORM FILE``), run exactly as it was. A long import shows a
progress bar on stderr, as long as the file, when stderr is a terminal (or with ``--progress``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .cli import _actor, _as_option, _Context, _open_kit, _pass_context, _reports_errors, _table, main

__all__ = ["import_creators"]

_FORMATS = ("csv", "json", "jsonl")
_FALLBACK = "creatorkit.import.platform_args"


class _ImportGroup(click.Group):
    """``import creators ...``, or, for any other first argument, the platform import it replaced."""

    def __init__(self, *args: Any, fallback: click.Command, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fallback = fallback

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            ctx.meta[_FALLBACK] = list(args)  # parsed by the platform import itself, options anywhere as before
            return []
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        args = ctx.meta.pop(_FALLBACK, None)
        if args is None:
            return super().invoke(ctx)
        with self.fallback.make_context(ctx.info_name, args, parent=ctx.parent) as platform_ctx:
            return self.fallback.invoke(platform_ctx)


_platform_import = main.commands.pop("import")
imports = _ImportGroup(
    "import",
    fallback=_platform_import,
    help=(
        "Import creators into the local catalog (`import creators FILE`), or read a partner export through a "
        "platform's import capability (`import PLATFORM FILE`)."
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
)
main.add_command(imports)


def _summary(file: str, report: Any) -> str:
    counts = f"{report.rows} row(s), {report.written} written ({report.created} new, {report.updated} updated)"
    rejected = f", {report.rejected_rows} rejected"
    if report.rejected_rows and not report.written:
        rejected += ": nothing written (--skip-bad-rows writes the others)"
    return f"{file}: {counts}{rejected}"


@imports.command("creators")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "file_format", type=click.Choice(_FORMATS), help="Default: the file's extension.")
@click.option("--skip-bad-rows", is_flag=True, help="Write the good rows even when some are rejected.")
@click.option("--progress", "show_progress", is_flag=True, help="Show the progress bar even when not on a terminal.")
@click.option("--json", "as_json", is_flag=True, help="The import's report (CatalogImport) as JSON.")
@_as_option
@_pass_context
@_reports_errors
def import_creators(
    ctx: _Context,
    file: str,
    file_format: str | None,
    skip_bad_rows: bool,
    show_progress: bool,
    as_json: bool,
    acting_as: str | None,
) -> None:
    """Import the creators of FILE (CSV, JSON, JSON Lines) into the acting workspace's local catalog.

    Re-importing a creator (same platform and id) updates it. Each rejected row is listed with its line, column
    and reason; unless --skip-bad-rows, one rejected row writes nothing. Exits 1 when any row was rejected.
    """
    from .analytics._catalog_file import BLOCK_BYTES

    actor = _actor(acting_as, ctx.config())
    size = Path(file).stat().st_size
    show = show_progress or (sys.stderr.isatty() and not as_json and size > BLOCK_BYTES)
    with _open_kit(ctx) as kit, click.progressbar(length=size, label="bytes", file=sys.stderr, hidden=not show) as bar:
        report = kit.catalog.import_file(
            actor, file, format=file_format, skip_bad_rows=skip_bad_rows, progress=bar.update
        )
    if as_json:
        from .converter import unstructure

        click.echo(json.dumps(unstructure(report), indent=2, ensure_ascii=False))
    else:
        click.echo(_summary(file, report))
        if report.rejected:
            rows = [[str(r.line), r.field or "(row)", r.reason, r.value or ""] for r in report.rejected]
            click.echo(_table(rows, ["line", "column", "reason", "value"]))
        hidden = report.problems - len(report.rejected)
        if hidden:
            click.echo(f"... and {hidden:,} more fault(s) not listed ({report.rejected_rows:,} rows rejected in all)")
    if report.rejected_rows:
        sys.exit(1)
