"""``creatorkit match BRIEF [--top N] [--json]``: a brief's creators from discovery across the enabled platforms
and the local sources, ranked, each with the components that explain its score (``kit.matching.match``).

The table shows each creator's rank, id, platforms (the best-fitting first), score and the three components that
added most to it; the warnings follow, so a short or empty list always says why. ``--json`` prints the whole
result: every component of every account, each platform's pages and local checks, the exclusions.
"""

from __future__ import annotations

import json
from typing import Any

import click

from .cli import _actor, _as_option, _Context, _open_kit, _pass_context, _reports_errors, _table, main

__all__ = ["match"]


def _row(match: Any) -> list[str]:
    shown = ", ".join(f"{c.name} {c.score:.2f}" for c in match.top_components()) or "-"
    return [str(match.rank), match.creator_id, ", ".join(match.platforms), f"{match.score:.3f}", shown]


def _json(result: Any) -> str:
    from .converter import unstructure

    document = unstructure(result)
    for place, match in enumerate(result.matches):
        document["matches"][place].update(
            score=match.score, platforms=list(match.platforms), components=unstructure(match.components)
        )
    return json.dumps({"match_result": document}, indent=2, ensure_ascii=False)


@main.command("match")
@click.argument("brief_id", metavar="BRIEF")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True, help="How many creators to list.")
@click.option("--json", "as_json", is_flag=True, help="The whole result, every component explained, as JSON.")
@_as_option
@_pass_context
@_reports_errors
def match(ctx: _Context, brief_id: str, top: int, as_json: bool, acting_as: str | None) -> None:
    """The creators who fit BRIEF best, from every enabled platform's discovery and the workspace's own records,
    each score explained by its components (weights and ranking plugin: ``[analytics]``)."""
    actor = _actor(acting_as, ctx.config())
    with _open_kit(ctx) as kit:
        brief = kit.briefs.get(actor, brief_id)
        result = kit.matching.match(actor, brief_id, top=top)
    if as_json:
        click.echo(_json(result))
        return
    read = ", ".join(f"{name} {p.kept}/{p.returned}" for name, p in sorted(result.platforms.items())) or "none"
    found = f"{result.considered} accounts found, {result.scored} scored"
    click.echo(f"{brief.name}: the top {len(result.matches)} creators ({found}; ranking {result.ranking})")
    click.echo(f"discovery (kept/returned): {read}")
    if result.matches:
        headers = ["rank", "creator", "platforms", "score", "top components"]
        click.echo(_table([_row(m) for m in result.matches], headers))
    for warning in result.warnings:
        click.echo(f"warning: {warning}")
