"""An :class:`~creatorkit.workflow._invoices.Invoice` as JSON data and as a printable HTML document.

The HTML is one self-contained page: inline CSS (with ``@media print`` rules for paper), no script, no font, no
image, no request of any kind, so it prints the same offline and years later. It is rendered by Jinja2 with
autoescaping on: every name and description in it came from a party and is shown, never interpreted. Amounts are
written with the currency's own number of decimals (JPY none, USD two, KWD three) and thousands separators.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from ..converter import unstructure
from ..money import Money

if TYPE_CHECKING:
    import jinja2

    from ._invoices import Invoice

__all__ = ["format_money", "invoice_data", "invoice_html"]


def format_money(money: Money) -> str:
    """``1,234.50 USD``, ``150,000 JPY``, ``1,250.505 KWD``; negative amounts with a leading minus sign."""
    return f"{money.to_decimal():,.{money.exponent}f} {money.currency}"


def invoice_data(invoice: Invoice) -> dict[str, Any]:
    """The invoice as JSON-ready data (the project's converter: amounts in minor units, dates in ISO 8601)."""
    data: dict[str, Any] = unstructure(invoice)
    return data


def invoice_html(invoice: Invoice) -> str:
    """The invoice as a printable, self-contained HTML page."""
    from ._invoices import InvoiceSide

    totals = invoice.totals
    held = "Still held in escrow" if invoice.period_start is None else "Escrow change over the period"
    return _template().render(
        invoice=invoice,
        brand_lines=invoice.side(InvoiceSide.BRAND),
        creator_lines=invoice.side(InvoiceSide.CREATOR),
        parties=invoice.parties,
        totals=[
            ("Price paid into escrow", totals.gross),
            ("Service and project fees (brand side)", totals.service_fees),
            ("Refunded to the brand", totals.refunded),
            ("Released from escrow", totals.released),
            ("Platform commission (creator side)", totals.platform_fees),
            ("Agency cut", totals.agency_cut),
            ("Net to the creator", totals.creator_net),
            ("Platform revenue (service fees and commission)", totals.platform_revenue),
            (held, totals.escrow_change),
        ],
    )


@functools.cache
def _template() -> jinja2.Template:
    import jinja2

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True)
    environment.filters["money"] = format_money
    return environment.from_string(_PAGE)


_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Invoice {{ invoice.number }}</title>
<style>
  body { font: 10.5pt/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1a1a1a;
         max-width: 52rem; margin: 2rem auto; padding: 0 1.5rem; }
  h1 { font-size: 1.6rem; margin: 0; letter-spacing: .02em; }
  h2 { font-size: 1rem; margin: 1.8rem 0 .4rem; border-bottom: 1px solid #999; padding-bottom: .2rem; }
  .meta { display: flex; justify-content: space-between; gap: 2rem; margin-top: .6rem; }
  .meta dl { display: grid; grid-template-columns: auto auto; gap: .1rem 1rem; margin: 0; }
  .meta dt { color: #555; }
  .parties { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: 1rem; }
  .party { border: 1px solid #ccc; padding: .5rem .7rem; }
  .party .role { text-transform: uppercase; font-size: .75rem; color: #555; letter-spacing: .06em; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: .3rem .4rem; vertical-align: top; }
  th { font-size: .8rem; color: #555; border-bottom: 1px solid #999; }
  td { border-bottom: 1px solid #e3e3e3; }
  .amount { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
  tr.total td { font-weight: 600; border-top: 2px solid #333; border-bottom: none; }
  .source { font-size: .75rem; color: #666; word-break: break-all; }
  footer { margin-top: 2rem; font-size: .75rem; color: #666; }
  @media print {
    body { margin: 0; max-width: none; padding: 0; font-size: 9.5pt; }
    @page { size: A4; margin: 16mm 14mm; }
    h2 { break-after: avoid; }
    tr, .party { break-inside: avoid; }
    a { color: inherit; text-decoration: none; }
  }
</style>
</head>
<body>
<header>
  <h1>Invoice {{ invoice.number }}</h1>
  <div class="meta">
    <dl>
      <dt>Issued</dt><dd>{{ invoice.issued_on.isoformat() }}</dd>
      <dt>Deal</dt><dd>{{ invoice.deal_id }}</dd>
      <dt>Campaign</dt><dd>{{ invoice.campaign }}</dd>
    </dl>
    <dl>
      <dt>Currency</dt><dd>{{ invoice.currency }}</dd>
{% if invoice.period_start is not none %}
      <dt>Period</dt><dd>{{ invoice.period_start.isoformat() }} to {{ invoice.period_end.isoformat() }}</dd>
{% else %}
      <dt>Period</dt><dd>every movement of the deal</dd>
{% endif %}
    </dl>
  </div>
</header>

<h2>Parties</h2>
<div class="parties">
{% for party in parties %}
  <div class="party">
    <div class="role">{{ party.role }}</div>
    <div><strong>{{ party.legal_name or party.name }}</strong></div>
{% if party.legal_name and party.legal_name != party.name %}    <div>{{ party.name }}</div>
{% endif %}
    <div class="source">{{ party.id }}{% if party.country %} · {{ party.country }}{% endif %}</div>
  </div>
{% endfor %}
</div>

{% macro lines_table(lines, total_label, total) %}
<table>
  <thead><tr><th>Date</th><th>Description</th><th>Source</th><th class="amount">Amount</th></tr></thead>
  <tbody>
{% for line in lines %}
    <tr>
      <td>{{ line.on.isoformat() }}</td>
      <td>{{ line.description }}</td>
      <td class="source">{{ line.operation_id }}{% for entry in line.ledger_entries %}<br>{{ entry }}{% endfor %}</td>
      <td class="amount">{{ line.amount | money }}</td>
    </tr>
{% endfor %}
    <tr class="total"><td></td><td>{{ total_label }}</td><td></td><td class="amount">{{ total | money }}</td></tr>
  </tbody>
</table>
{% endmacro %}

{% if brand_lines %}
<h2>Charged to the brand</h2>
{{ lines_table(brand_lines, "Total charged to the brand", invoice.totals.brand_net) }}
{% endif %}

{% if creator_lines %}
<h2>Paid out for the creator</h2>
{{ lines_table(creator_lines, "Net to the creator", invoice.totals.creator_net) }}
{% endif %}

<h2>Totals</h2>
<table>
  <tbody>
{% for label, amount in totals %}
    <tr{% if loop.last %} class="total"{% endif %}><td>{{ label }}</td><td class="amount">{{ amount | money }}</td></tr>
{% endfor %}
  </tbody>
</table>

<footer>
  Computed from the ledger: each line names the payment operation and the ledger entries it comes from.
  The invoice number identifies exactly these movements.
</footer>
</body>
</html>
"""
