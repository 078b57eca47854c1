"""The listing tests of the payment conformance kit, for a provider that declares ``payment_listing``.

Reconciliation trusts a provider's list of its movements to find what the core never asked for; so the kit
checks that the list holds what the provider moved: every operation the kit made shows, under its operation id,
its kind and the provider reference the operation was answered with (a fund) or its amount in all (the legs of a
release), on pages read to the end with the cursors the provider hands out; every entry is a valid operation of
this provider; and a ``since`` later than every movement lists none of them. A provider that does not declare the
capability has these tests skipped, with the reason its ``missing`` gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import ClassVar

import pytest

from ..entities import Capability, ProviderOperation, ProviderRequest
from ..host import PaymentClient
from ..money import Money
from ._payment_driver import PaymentSandboxDriver
from ._validity import assert_valid_entity

__all__ = ["PaymentListingContract"]

#: A moment after anything a sandbox moves: sandboxes keep clocks of their own, none this far ahead.
AFTER_EVERY_SANDBOX = datetime(2100, 1, 1, tzinfo=UTC)


class PaymentListingContract(PaymentSandboxDriver):
    """Listing tests; subclass through ``PaymentProviderContract``."""

    #: The most pages the kit reads before it calls the listing endless.
    max_listing_pages: ClassVar[int] = 1_000

    def _listing(self, provider: PaymentClient) -> None:
        if not provider.supports(Capability.PAYMENT_LISTING):
            why = provider.metadata.missing.get(Capability.PAYMENT_LISTING, "not declared")
            pytest.skip(f"{self.plugin_name} does not list its movements (payment_listing): {why}")

    def listed(self, provider: PaymentClient, since: datetime | None = None) -> list[ProviderOperation]:
        """Every movement ``provider`` lists since ``since``, each checked, reading at most ``max_listing_pages``."""
        found: list[ProviderOperation] = []
        cursor: str | None = None
        for _ in range(self.max_listing_pages):
            page = provider.list_movements(since=since, cursor=cursor)
            assert page.provider == self.plugin_name, f"the page names {page.provider!r}"
            assert_valid_entity(page)
            found.extend(page.operations)
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor
        pytest.fail(f"the listing still had a next page after {self.max_listing_pages} pages")

    def test_the_listing_shows_every_movement_made(self, provider: PaymentClient) -> None:
        self._listing(provider)
        made = self._movements(provider)
        listed = self.listed(provider)
        for request, operation in made:
            entries = [entry for entry in listed if entry.operation_id == request.operation_id]
            assert entries, f"{request.kind} {request.operation_id} is not listed"
            assert {entry.kind for entry in entries} == {request.kind}, f"{request.operation_id} listed as another kind"
            total = sum(entry.amount.amount for entry in entries)
            assert Money(total, request.amount.currency) == request.amount, (
                f"the entries of {request.operation_id} add up to {total}, not {request.amount}"
            )
            refs = {entry.provider_ref for entry in entries} | {leg.provider_ref for leg in operation.legs}
            assert operation.provider_ref in refs, (
                f"no entry of {request.operation_id} carries its provider_ref {operation.provider_ref!r}, so a "
                "reconciliation cannot tell it is the core's"
            )

    def test_a_listing_since_after_every_movement_lists_none(self, provider: PaymentClient) -> None:
        self._listing(provider)
        self._movements(provider)
        assert self.listed(provider, since=AFTER_EVERY_SANDBOX) == [], "since is the earliest a movement is listed from"

    def _movements(self, provider: PaymentClient) -> Sequence[tuple[ProviderRequest, ProviderOperation]]:
        """A fund and a release of part of it, each resolved: what the listing must show."""
        fund_request, fund = self.fund(provider)
        part = self.parts(provider, self.releasable(provider, fund))[0]
        release = self.release_request(provider, fund, part, released=Money.zero(part.currency))
        return [(fund_request, fund), (release, self.resolved(provider, release))]
