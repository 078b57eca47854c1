"""Stripe's errors, as the ``stripe`` library raises them, mapped to creatorkit's.

=========================================  ============================================================
Stripe (library error, ``error.type``)     creatorkit
=========================================  ============================================================
``CardError`` (402, ``card_error``)        ``PaymentError``: nothing moved; ``provider_code`` the decline code
``InvalidRequestError`` (400, 404)         ``PaymentError``: nothing moved; ``provider_code`` Stripe's code
``IdempotencyError`` (``idempotency_       ``IdempotencyConflict``, naming the fields that differ when the
error``)                                   plugin can read the first request back (see ``_metadata``)
``RateLimitError`` (429)                   ``PaymentError(outcome_unknown=False)``, code ``rate_limit``: Stripe
                                           refused before acting, so retrying later with the same id is safe
``APIConnectionError`` (timeouts, lost     ``PaymentError(outcome_unknown=True)``: it may have moved money
connections)
``APIError`` (5xx), 409 (a request with    ``PaymentError(outcome_unknown=True)``
the same key still running)
``AuthenticationError``,                   ``PaymentError`` naming the setting to fix (``api_key``)
``PermissionError`` (401, 403)
=========================================  ============================================================

``PaymentError`` has no field for Stripe's request id, so it is kept in the message (``request req_…``), which is
what Stripe's support asks for. No message carries the API key: Stripe masks it in its own messages, and
:func:`scrubbed` removes any secret the plugin knows from what it passes on.
"""

from __future__ import annotations

from collections.abc import Iterable

import stripe

from creatorkit.errors import PaymentError

__all__ = ["payment_error", "scrubbed"]


def scrubbed(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _stripe_code(error: stripe.StripeError) -> str | None:
    detail = error.error
    decline = getattr(detail, "decline_code", None) if detail is not None else None
    code = decline or error.code or (getattr(detail, "type", None) if detail is not None else None)
    return str(code) if code else None


def payment_error(
    error: stripe.StripeError, *, provider: str, operation_id: str, doing: str, secrets: Iterable[str] = ()
) -> PaymentError:
    """The creatorkit error for a Stripe error met while ``doing`` something for ``operation_id``.

    An ``IdempotencyError`` is not handled here: naming the fields that differ needs the first request.
    """
    status = error.http_status
    unknown = isinstance(error, stripe.APIConnectionError) or (
        isinstance(error, stripe.APIError) and (status is None or status >= 500)
    )
    code = _stripe_code(error)
    if status == 409:
        unknown, code = True, code or "conflict"
    if isinstance(error, stripe.RateLimitError):
        code = code or "rate_limit"
    elif isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        code = code or ("authentication_error" if status == 401 else "permission_error")
    message = error.user_message or type(error).__name__
    hint = " (check api_key in [payments.stripe_connect])" if status in (401, 403) else ""
    where = f", request {error.request_id}" if error.request_id else ""
    outcome = "; whether it moved money is unknown until the operation is retrieved" if unknown else ""
    return PaymentError(
        scrubbed(
            f"{provider}: {doing} {operation_id}: {message}{hint} (HTTP {status or '-'}{where}){outcome}", secrets
        ),
        provider=provider,
        operation_id=operation_id,
        outcome_unknown=unknown,
        provider_code=code,
    )
