"""What a payment provider lists of its own movements: pages of its records, for reconciliation to hold against ours.

Retrieving (``creatorkit_payment_retrieve``) starts from a movement the core holds; only a provider's own list
shows what it moved that the core never asked for (a charge made in its dashboard, a transfer another program
sent with the platform's key). A provider that can list says so with the ``payment_listing`` capability and
answers ``creatorkit_payment_list`` with these pages.
"""

from __future__ import annotations

import attrs

from ._common import platform_name, typed_fields
from ._providers import ProviderOperation

__all__ = ["ProviderOperationPage"]


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class ProviderOperationPage:
    """One page of the money movements a payment provider holds, newest or oldest first as the provider lists.

    ``operations`` hold one :class:`ProviderOperation` per object the provider keeps (a Stripe charge, transfer
    or refund; an echo_pay record), so a movement of several receiver legs may show as several entries sharing
    its ``operation_id``. An object that names no operation of ours (made by hand at the provider) carries its
    ``provider_ref`` as ``operation_id``. Only ``next_cursor`` being ``None`` means the end: a page may hold
    none and still have one.
    """

    provider: str = attrs.field(validator=platform_name)
    operations: tuple[ProviderOperation, ...] = ()
    next_cursor: str | None = None
