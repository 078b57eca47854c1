"""``creatorkit report CAMPAIGN [--format json|csv|html] [--out FILE]``: a campaign's report, read as its brand.

CAMPAIGN is the brief's id. Without ``--format``, a ``--out`` file ending in ``.html`` gets the HTML page and
anything else the JSON; CSV lists one KPI per row (see :mod:`creatorkit.reports`). The file is written whole or
not at all: the report is rendered first, then written next to the target and moved over it.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import click

from .cli import _actor, _as_option, _Context, _fail, _open_kit, _pass_context, _reports_errors, main

__all__ = ["report"]

_FORMATS = ("json", "csv", "html")


def _format(chosen: str | None, out: str | None) -> str:
    if chosen is not None:
        return chosen
    return "html" if out is not None and out.lower().endswith((".html", ".htm")) else "json"


def _write_whole(target: Path, text: str) -> None:
    """``text`` into ``target`` through a temporary file beside it: a failure leaves the old file (or none)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@main.command("report")
@click.argument("campaign", metavar="CAMPAIGN")
@click.option(
    "--format",
    "chosen_format",
    type=click.Choice(_FORMATS),
    help="json (every figure), csv (one KPI per row) or html (one self-contained page with the charts); "
    "default: html when --out ends in .html, else json.",
)
@click.option("--out", "out", type=click.Path(dir_okay=False), metavar="FILE", help="Write here instead of stdout.")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]),
    help="The report as it stood then (UTC; default: now): snapshots read later are left out.",
)
@_as_option
@_pass_context
@_reports_errors
def report(
    ctx: _Context,
    campaign: str,
    chosen_format: str | None,
    out: str | None,
    as_of: datetime | None,
    acting_as: str | None,
) -> None:
    """The report of CAMPAIGN (a brief id): KPIs per post, creator, platform and campaign, attainment against
    the brief's targets, cost per result by creator, views over time and audience match against the target."""
    from datetime import UTC

    from .reports import render_html, report_csv

    actor = _actor(acting_as, ctx.config())
    kind = _format(chosen_format, out)
    moment = as_of.replace(tzinfo=UTC) if as_of is not None else None
    with _open_kit(ctx) as kit:
        made = kit.reports.campaign(actor, campaign, as_of=moment)
    if kind == "html":
        text = render_html(made)
    elif kind == "csv":
        text = report_csv(made)
    else:
        from .converter import unstructure

        text = json.dumps({"campaign_report": unstructure(made)}, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        if kind == "html" and sys.stdout.isatty():
            _fail("an HTML report goes to a file: pass --out FILE.html", 2)
        click.echo(text, nl=False)
        return
    _write_whole(Path(out), text)
    click.echo(f"wrote {out} ({kind}, {len(text.encode('utf-8')):,} bytes)", err=True)
