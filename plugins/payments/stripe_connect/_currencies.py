"""Stripe's units for each currency it settles, and how long Connect lets a platform hold funds per country.

Stripe counts most currencies in their ISO 4217 minor unit, with exceptions that matter to a ledger in ISO minor
units (see ``creatorkit.payments.to_provider_units``):

* zero-decimal currencies (JPY, KRW, XOF …) are whole units, as ISO has them — but Stripe counts MGA, whose ISO
  exponent is 2, in whole ariary too;
* ISK has no minor unit in ISO; Stripe keeps two decimals and takes only whole krónur (multiples of 100);
* HUF keeps its two decimals, but Stripe pays HUF out only in whole forints, so the plugin takes whole forints
  only (multiples of 100): money it could take in but not pay out would be stuck on a balance;
* three-decimal currencies (BHD, JOD, KWD, OMR, TND) keep three decimals with a last digit of 0.

Manual payouts (the hold a platform keeps on its connected accounts' funds) must happen within 90 days of the
charge, except in the United States (2 years) and Thailand (10 days).
"""

from __future__ import annotations

from creatorkit.entities import CurrencySupport

__all__ = [
    "DEFAULT_HOLD_DAYS",
    "HOLD_DAYS_BY_COUNTRY",
    "STRIPE_CURRENCIES",
    "THREE_DECIMAL",
    "TWO_DECIMAL",
    "ZERO_DECIMAL",
    "hold_days_for",
]


def _codes(text: str) -> tuple[str, ...]:
    return tuple(text.split())


TWO_DECIMAL = _codes(
    "AED AUD BRL CAD CHF CZK DKK EUR GBP HKD IDR ILS INR MXN MYR NOK NZD PHP PLN RON SAR SEK SGD THB TRY USD ZAR"
)
ZERO_DECIMAL = _codes("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF")
THREE_DECIMAL = _codes("BHD JOD KWD OMR TND")

#: Every currency the plugin takes, in Stripe's units.
STRIPE_CURRENCIES: tuple[CurrencySupport, ...] = tuple(
    sorted(
        [
            *(CurrencySupport(currency=code, exponent=2) for code in TWO_DECIMAL),
            *(CurrencySupport(currency=code, exponent=0) for code in ZERO_DECIMAL),
            *(CurrencySupport(currency=code, exponent=3, multiple_of=10) for code in THREE_DECIMAL),
            CurrencySupport(currency="ISK", exponent=2, multiple_of=100),
            CurrencySupport(currency="HUF", exponent=2, multiple_of=100),
        ],
        key=lambda support: support.currency,
    )
)

DEFAULT_HOLD_DAYS = 90
HOLD_DAYS_BY_COUNTRY = {"US": 730, "TH": 10}


def hold_days_for(country: str | None) -> int:
    """How many days a platform in ``country`` (ISO 3166 alpha-2) may hold funds before paying them out."""
    return HOLD_DAYS_BY_COUNTRY.get((country or "").upper(), DEFAULT_HOLD_DAYS)
