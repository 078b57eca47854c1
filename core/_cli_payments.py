"""``creatorkit payments``: the money commands for an agency's (or a brand's) finance person.

Thin commands over ``kit.payments``: ``balances``, ``deal`` (one deal's money), ``reconcile`` (exits 1 on any
difference), ``invoice`` and ``invoices``. They act as ``--as KIND:ID`` like the other workflow commands;
``reconcile`` without an acting party runs as the platform's own check over every movement, as ``deadlines`` and
``audit verify`` do.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from .cli import _actor, _as_option, _Context, _fail, _open_kit, _pass_context, _reports_errors, _table, _when, main

__all__ = ["payments"]

_DATE = click.DateTime(formats=["%Y-%m-%d"])
_FORMATS = click.Choice(["json", "html"])


def _json(value: Any) -> str:
    from .converter import unstructure

    return json.dumps(unstructure(value), indent=2, ensure_ascii=False)


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


@main.group()
def payments() -> None:
    """Money: ledger balances, a deal's money, reconciliation with the provider, invoices."""


@payments.command("balances")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per account.")
@_as_option
@_pass_context
@_reports_errors
def payments_balances(ctx: _Context, as_json: bool, acting_as: str | None) -> None:
    """The ledger accounts the acting party holds or answers for, with their balances."""
    actor = _actor(acting_as, ctx.config())
    with _open_kit(ctx) as kit:
        rows = kit.payments.balances(actor)
    if as_json:
        click.echo(_json(rows))
        return
    if not rows:
        click.echo("no ledger accounts")
        return
    table = [
        [
            r.account.id,
            str(r.account.kind),
            str(r.balance.posted),
            str(r.balance.pending_in),
            str(r.balance.pending_out),
            str(r.balance.available),
        ]
        for r in rows
    ]
    click.echo(_table(table, ["account", "kind", "posted", "pending in", "pending out", "available"]))


@payments.command("deal")
@click.argument("deal_id", metavar="DEAL_ID")
@click.option("--json", "as_json", is_flag=True, help="The money view as one JSON object.")
@_as_option
@_pass_context
@_reports_errors
def payments_deal(ctx: _Context, deal_id: str, as_json: bool, acting_as: str | None) -> None:
    """DEAL_ID's money: funded, released and its split, refunded, held, and every movement."""
    actor = _actor(acting_as, ctx.config())
    with _open_kit(ctx) as kit:
        money = kit.payments.money(actor, deal_id)
    if as_json:
        click.echo(_json(money))
        return
    escrow = money.escrow_balance
    figures = [
        ("state", str(money.state)),
        ("price", str(money.price)),
        ("funded", str(money.funded)),
        ("brand fees", str(money.brand_fees)),
        ("released", str(money.released)),
        ("  platform fees", str(money.platform_fees)),
        ("  agency cut", str(money.agency_cut)),
        ("  creator net", str(money.creator_net)),
        ("refunded", str(money.refunded)),
        ("held", f"{money.held} (escrow account: {escrow.posted if escrow else 'not opened'})"),
    ]
    click.echo(f"deal {money.deal_id}")
    for name, value in figures:
        click.echo(f"  {name + ':':<17}{value}")
    if money.operations:
        rows = [
            [op.id, str(op.purpose), str(op.amount), str(op.status), op.provider_ref or "-", _when(op.updated_at)]
            for op in money.operations
        ]
        click.echo("")
        click.echo(_table(rows, ["operation", "purpose", "amount", "status", "provider ref", "updated (UTC)"]))


@payments.command("reconcile")
@click.option("--provider", metavar="NAME", help="The payment provider (default: [money] provider).")
@click.option("--since", type=_DATE, metavar="DATE", help="Only movements changed since this day (UTC).")
@click.option("--json", "as_json", is_flag=True, help="The whole report as one JSON object.")
@_as_option
@_pass_context
@_reports_errors
def payments_reconcile(
    ctx: _Context, provider: str | None, since: datetime | None, as_json: bool, acting_as: str | None
) -> None:
    """Compare every movement with the provider's record and the ledger; exit 1 when anything differs.

    Without --as (or acting_as) it runs as the platform's own check, over every deal's movements.
    """
    from .entities import Actor

    config = ctx.config()
    actor = _actor(acting_as, config) if acting_as or config.acting_as else Actor.system("reconcile")
    with _open_kit(ctx) as kit:
        report = kit.payments.reconcile(actor, provider=provider, since=_day(since))
    if as_json:
        click.echo(_json(report))
    else:
        scope = f" since {report.since:%Y-%m-%d}" if report.since else ""
        listed = f", {report.movements_listed} listed by the provider" if report.listed_by_provider else ""
        click.echo(
            f"{report.provider}{scope}: {report.operations_checked} movement(s) and {report.entries_checked} ledger "
            f"entries checked{listed}, {len(report.differences)} difference(s)"
        )
        if report.not_listed_because:
            click.echo(f"not listed by the provider: {report.not_listed_because}")
        if report.differences:
            rows = [
                [
                    str(d.kind),
                    d.operation_id or d.entry_id or d.provider_ref or "-",
                    d.ours or "-",
                    d.theirs or "-",
                    d.detail,
                ]
                for d in report.differences
            ]
            click.echo(_table(rows, ["difference", "operation or entry", "ours", "theirs", "detail"]))
    if not report.ok:
        sys.exit(1)


def _write(out: str | None, text: str) -> None:
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    Path(out).write_text(text, encoding="utf-8")


@payments.command("invoice")
@click.argument("deal_id", metavar="DEAL_ID")
@click.option("--format", "output", type=_FORMATS, default="json", show_default=True, help="JSON or printable HTML.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write it to this file (default: stdout).")
@_as_option
@_pass_context
@_reports_errors
def payments_invoice(ctx: _Context, deal_id: str, output: str, out: str | None, acting_as: str | None) -> None:
    """DEAL_ID's invoice over every movement so far: parties, fee lines, totals, as JSON or printable HTML."""
    actor = _actor(acting_as, ctx.config())
    with _open_kit(ctx) as kit:
        invoice = kit.payments.invoice(actor, deal_id)
        text = kit.payments.invoice_html(invoice) if output == "html" else _json(invoice)
    _write(out, text)
    if out is not None:
        click.echo(f"wrote {out} (invoice {invoice.number})", err=True)


@payments.command("invoices")
@click.option("--party", "party_id", required=True, metavar="ID", help="The brand, creator or agency invoiced.")
@click.option("--from", "start", type=_DATE, required=True, metavar="DATE", help="First day (UTC), included.")
@click.option("--to", "end", type=_DATE, required=True, metavar="DATE", help="Last day (UTC), included.")
@click.option("--format", "output", type=_FORMATS, help="JSON (a list), or HTML files in --out; default: a table.")
@click.option("--out", type=click.Path(), help="JSON: this file; HTML: this folder, one <number>.html each.")
@_as_option
@_pass_context
@_reports_errors
def payments_invoices(
    ctx: _Context,
    party_id: str,
    start: datetime,
    end: datetime,
    output: str | None,
    out: str | None,
    acting_as: str | None,
) -> None:
    """The party's invoices for the movements between two days, one per deal."""
    if output == "html" and out is None:
        _fail("--format html writes one file per invoice: give the folder with --out", 2)
    actor = _actor(acting_as, ctx.config())
    with _open_kit(ctx) as kit:
        found = kit.payments.invoices(actor, party_id, start.date(), end.date())
        pages = {invoice.number: kit.payments.invoice_html(invoice) for invoice in found} if output == "html" else {}
    if output == "json":
        _write(out, _json(found))
    elif output == "html":
        assert out is not None
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        for number, page in pages.items():
            (folder / f"{number}.html").write_text(page, encoding="utf-8")
        click.echo(f"wrote {len(pages)} invoice(s) to {folder}")
    elif not found:
        click.echo(f"no invoices for {party_id} from {start:%Y-%m-%d} to {end:%Y-%m-%d}")
    else:
        rows = [
            [i.number, str(i.issued_on), i.deal_id, i.campaign, str(i.totals.brand_net), str(i.totals.creator_net)]
            for i in found
        ]
        click.echo(_table(rows, ["invoice", "issued", "deal", "campaign", "charged to brand", "net to creator"]))


@payments.command("payout-account")
@click.argument("account_ref", metavar="ACCOUNT_REF")
@click.option("--provider", help="The payment provider (default: [money] provider).")
@click.option("--label", help="A name for the account, shown on invoices and listings.")
@click.option("--currency", help="The ISO 4217 currency the account is paid in, where the provider needs it.")
@_as_option
@_pass_context
@_reports_errors
def payments_payout_account(
    ctx: _Context,
    account_ref: str,
    provider: str | None,
    label: str | None,
    currency: str | None,
    acting_as: str | None,
) -> None:
    """Register ACCOUNT_REF (a Stripe acct_..., a WeChat receiver) as where the acting creator or agency is paid.

    The account it replaces is kept, inactive. Only the party itself may do it: a manager or a brand cannot.
    """
    actor = _actor(acting_as, ctx.config())
    with _open_kit(ctx) as kit:
        account = kit.payments.register_payout_account(
            actor, account_ref=account_ref, provider=provider, label=label, currency=currency
        )
    click.echo(f"{account.id}: {account.party_id} is paid at {account.provider} into {account.account_ref}")


@payments.command("payout-accounts")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per account.")
@_as_option
@_pass_context
@_reports_errors
def payments_payout_accounts(ctx: _Context, as_json: bool, acting_as: str | None) -> None:
    """The acting creator's or agency's payout accounts, active and replaced, oldest first."""
    actor = _actor(acting_as, ctx.config())
    with _open_kit(ctx) as kit:
        accounts = kit.payments.payout_accounts(actor, actor.id)
    if as_json:
        click.echo(_json(accounts))
        return
    if not accounts:
        click.echo("no payout accounts")
        return
    rows = [
        [a.id, a.provider, a.account_ref, a.label or "", "active" if a.active else "replaced", _when(a.registered_at)]
        for a in accounts
    ]
    click.echo(_table(rows, ["account", "provider", "account ref", "label", "status", "registered"]))
