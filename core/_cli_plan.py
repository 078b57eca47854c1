"""``creatorkit plan BRIEF --budget AMOUNT --population PEOPLE``: the budget planner for a brand's analyst.

The brief (read from the store as the acting party) gives the brand the fees are priced for, its cap per creator
and, without ``--budget``, the budget; the fees come from ``[money.fees]``, the policy every deal is charged by.
The candidates are the brief's matches (``kit.matching.plan``: each creator's price from their rate card, the
reach of one post in the brief's target group of ``--population`` people predicted from the brand's past deals
with them or stated by their platform). An analyst with their own figures gives ``--candidates FILE`` instead,
with the target segments and each candidate's predicted reach per segment::

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


def _json(result: Any, inputs: Any = None) -> str:
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
    answer: dict[str, Any] = {"budget_plan": unstructure(result), "cost_per_reached": per_person}
    if inputs is not None:
        answer["candidates"] = {
            "segment": {"key": inputs.segment.key, "population": inputs.segment.population},
            "as_of": inputs.as_of.isoformat(),
            "reach": {creator: attrs.asdict(basis) for creator, basis in inputs.basis.items()},
            "left_out": dict(inputs.left_out),
        }
    return json.dumps(answer, indent=2)


@main.command("plan")
@click.argument("brief_id", metavar="BRIEF")
@click.option("--budget", "budget_text", metavar="AMOUNT", help="The budget, fees included (default: the brief's).")
@click.option(
    "--population",
    type=click.IntRange(min=1),
    metavar="PEOPLE",
    help="How many people the brief's target group has (planning from the brief's matches).",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=40,
    show_default=True,
    help="How many of the brief's best matches are candidates.",
)
@click.option(
    "--candidates",
    "candidates_file",
    type=click.Path(exists=True, dir_okay=False),
    help="JSON with the target segments and the candidates' prices and predicted reach, instead of the matches.",
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
    population: int | None,
    top: int,
    candidates_file: str | None,
    independence_bp: int,
    as_json: bool,
    acting_as: str | None,
) -> None:
    """The creators with the most unique target reach BRIEF's budget buys, fees included, beside one top creator,
    several mid-tier and many micro: cost, unique reach, cost per reached person and risk for each. The
    candidates are the brief's matches (with --population), or those of --candidates FILE."""
    if (population is None) == (candidates_file is None):
        _fail("plan: give --population PEOPLE (to plan from the brief's matches) or --candidates FILE, not both", 2)
    actor = _actor(acting_as, ctx.config())
    given = None if candidates_file is None else _read_file(candidates_file)
    with _open_kit(ctx) as kit:
        brief = kit.briefs.get(actor, brief_id)
        budget = brief.budget.total if budget_text is None else _budget(budget_text, brief.budget.total.currency)
        if given is None:
            assert population is not None
            result, inputs = kit.matching.plan(
                actor, brief.id, population=population, budget=budget, top=top, independence_bp=independence_bp
            )
        else:
            result, inputs = _plan_given(kit, brief, given, budget, independence_bp), None
    if as_json:
        click.echo(_json(result, inputs))
        return
    headers = ["plan", "creators", "cost", "unique reach", "interval", "per reached", "risk", "who"]
    click.echo(f"{brief.name}: budget {budget} with fees, segments {', '.join(result.segments)}")
    click.echo(_table([_row(p) for p in (result.plan, *result.alternatives)], headers))
    click.echo("risk: the share of the plan's unique reach lost if its most important creator drops out")
    if inputs is not None:
        click.echo(f"candidates: {len(inputs.candidates)} of the brief's matches; reach of one post in the group of")
        click.echo(f"{inputs.segment.population:,} people, from " + _sources(inputs))
    for warning in result.warnings:
        click.echo(f"warning: {warning}")


def _read_file(candidates_file: str) -> _PlanFile:
    from .converter import structure

    try:
        data = json.loads(Path(candidates_file).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(f"{candidates_file}: not UTF-8 JSON ({exc})", 2)
    return structure(data, _PlanFile, what=candidates_file)


def _plan_given(kit: Any, brief: Any, given: _PlanFile, budget: Any, independence_bp: int) -> Any:
    from .analytics import plan_budget

    return plan_budget(
        given.candidates,
        given.segments,
        budget,
        fees=kit.payments.fee_policy,
        brand_id=brief.brand_id,
        independence_bp=independence_bp,
        per_creator_max=brief.budget.per_creator_max,
    )


def _sources(inputs: Any) -> str:
    """How many reaches rest on each kind of source: a prediction from past deals, or the platform's figure."""
    predicted = sum(1 for basis in inputs.basis.values() if basis.low is not None)
    stated = len(inputs.basis) - predicted
    return f"the brand's past deals for {predicted}, the platforms' views per post for {stated}"
