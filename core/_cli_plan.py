"""``creatorkit plan BRIEF --budget AMOUNT --candidates FILE``: the budget planner for a brand's analyst.

The brief (read from the store as the acting party) gives the brand the fees are priced for, its cap per creator
and, without ``--budget``, the budget; the fees come from ``[money.fees]``, the policy every deal is charged by.
The candidates and their predicted reach per target segment come from ``--candidates FILE`` (JSON): the store
keeps creators' profiles and metrics, not a reach prediction per segment of a brief, so the planner takes them
from the file::

    {"segments": [{"key": "women_18_24_us", "population": 4000000}],
     "candidates": [{"creator_id": "creator_maya", "platform": "tiktok", "followers": 2340512,
                     "price": {"amount": 1200000, "currency": "USD"},
                     "reach": [{"segment": "women_18_24_us", "people": 400000, "low": 300000, "high": 520000}]}]}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import click

from .analytics import PlanCandidate, TargetSegment
from .cli import _actor, _as_option, _Context, _fail, _open_kit, _pass_context, _reports_errors, _table, main

__all__ = ["plan"]


@attrs.frozen(kw_only=True)
class _PlanFile:
    """What ``--candidates FILE`` holds."""

    segments: tuple[TargetSegment, ...]
    candidates: tuple[PlanCandidate, ...]


def _budget(text: str, default_currency: str) -> Any:
    """``1500``, ``1500.00 USD`` or ``USD 1500.00`` as Money; without a code, in the brief's currency."""
    from .money import Money, is_currency

    parts = text.replace(",", "").split()
    codes = [part.upper() for part in parts if is_currency(part.upper())]
    amounts = [part for part in parts if not is_currency(part.upper())]
    if len(amounts) != 1 or len(codes) > 1:
        _fail(f"--budget {text!r}: write an amount and optionally its currency, e.g. '15000.00 USD'", 2)
    return Money.of(amounts[0], codes[0] if codes else default_currency)


def _row(plan: Any) -> list[str]:
    per_person = plan.cost_per_reached_amount()
    interval = "-" if plan.reach_low is None else f"{plan.reach_low:,}-{plan.reach_high:,}"
    risk = "-" if plan.concentration_bp is None else f"{plan.concentration_bp / 100:.1f} %"
    creators = ", ".join(f"{c.creator_id} ({c.tier})" for c in plan.creators) or f"none: {plan.reason}"
    return [
        str(plan.strategy),
        str(len(plan.creators)),
        str(plan.cost),
        f"{plan.unique_reach:,}",
        interval,
        "-" if per_person is None else f"{per_person} {plan.cost.currency}",
        risk,
        creators,
    ]


def _json(result: Any) -> str:
    from .converter import unstructure

    per_person = {}
    for each in (result.plan, *result.alternatives):
        exact = each.cost_per_reached
        per_person[str(each.strategy)] = (
            None
            if exact is None
            else {
                "amount": str(each.cost_per_reached_amount()),
                "currency": each.cost.currency,
                "minor_units": f"{exact.numerator}/{exact.denominator}",
            }
        )
    return json.dumps({"budget_plan": unstructure(result), "cost_per_reached": per_person}, indent=2)


@main.command("plan")
@click.argument("brief_id", metavar="BRIEF")
@click.option("--budget", "budget_text", metavar="AMOUNT", help="The budget, fees included (default: the brief's).")
@click.option(
    "--candidates",
    "candidates_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="JSON with the target segments and the candidates' prices and predicted reach.",
)
@click.option(
    "--independence",
    "independence_bp",
    type=click.IntRange(0, 10_000),
    default=10_000,
    show_default=True,
    help="How audiences overlap, in basis points: 10000 at random, 0 each inside the largest.",
)
@click.option("--json", "as_json", is_flag=True, help="The plans as one JSON object.")
@_as_option
@_pass_context
@_reports_errors
def plan(
    ctx: _Context,
    brief_id: str,
    budget_text: str | None,
    candidates_file: str,
    independence_bp: int,
    as_json: bool,
    acting_as: str | None,
) -> None:
    """The creators with the most unique target reach BRIEF's budget buys, fees included, beside one top creator,
    several mid-tier and many micro: cost, unique reach, cost per reached person and risk for each."""
    from .analytics import plan_budget
    from .converter import structure

    actor = _actor(acting_as, ctx.config())
    try:
        data = json.loads(Path(candidates_file).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(f"{candidates_file}: not UTF-8 JSON ({exc})", 2)
    given = structure(data, _PlanFile, what=candidates_file)
    with _open_kit(ctx) as kit:
        brief = kit.briefs.get(actor, brief_id)
        fees = kit.payments.fee_policy
    budget = brief.budget.total if budget_text is None else _budget(budget_text, brief.budget.total.currency)
    result = plan_budget(
        given.candidates,
        given.segments,
        budget,
        fees=fees,
        brand_id=brief.brand_id,
        independence_bp=independence_bp,
        per_creator_max=brief.budget.per_creator_max,
    )
    if as_json:
        click.echo(_json(result))
        return
    headers = ["plan", "creators", "cost", "unique reach", "interval", "per reached", "risk", "who"]
    click.echo(f"{brief.name}: budget {budget} with fees, segments {', '.join(result.segments)}")
    click.echo(_table([_row(p) for p in (result.plan, *result.alternatives)], headers))
    click.echo("risk: the share of the plan's unique reach lost if its most important creator drops out")
    for warning in result.warnings:
        click.echo(f"warning: {warning}")
