"""Stripe's events as the sandbox sends them: the event object, and a delivery signed as Stripe signs it.

A delivery is ``POST`` with the event's JSON as the body and ``Stripe-Signature: t=<unix>,v1=<hex>``, the
HMAC-SHA256 of ``"<t>.<body>"`` keyed with the endpoint's secret (``whsec_…``). The signer is the ``stripe``
library's own ``WebhookSignature.generate_signature_header``, so what the sandbox signs is what the library
verifies. Events from connected accounts carry ``account``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import stripe

from creatorkit.entities import WebhookRequest

from .._http import STRIPE_API_VERSION

__all__ = ["SIGNATURE_HEADER", "event", "event_body", "signed_delivery"]

SIGNATURE_HEADER = "Stripe-Signature"


def event(
    event_id: str, event_type: str, obj: Mapping[str, Any], *, created: int, account: str | None = None
) -> dict[str, Any]:
    """A Stripe event of ``event_type`` about (a copy of) ``obj``."""
    made: dict[str, Any] = {
        "id": event_id,
        "object": "event",
        "api_version": STRIPE_API_VERSION,
        "created": created,
        "data": {"object": copy.deepcopy(dict(obj))},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    if account is not None:
        made["account"] = account
    return made


def event_body(made: Mapping[str, Any]) -> bytes:
    """The body Stripe delivers an event in: its JSON, indented as Stripe sends it."""
    return json.dumps(made, indent=2).encode()


def signed_delivery(
    body: bytes, secret: str, *, signed_at: datetime, received_at: datetime | None = None, path: str = "/"
) -> WebhookRequest:
    """``body`` delivered to the app's endpoint as Stripe delivers it, signed at ``signed_at``."""
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, timestamp=int(signed_at.timestamp())
    )
    return WebhookRequest(
        method="POST",
        path=path,
        headers={SIGNATURE_HEADER: header, "Content-Type": "application/json; charset=utf-8"},
        body=body,
        received_at=received_at or signed_at,
    )
