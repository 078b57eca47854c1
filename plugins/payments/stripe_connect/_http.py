"""The ``stripe`` library over an ``httpx.Client`` the plugin hands it: the sandbox's transport, or httpx's own.

``stripe.StripeClient`` takes any :class:`stripe.HTTPClient`; its own ``HTTPXClient`` builds httpx clients it
owns, with no transport argument, so the plugin gives it this small subclass over a client it built itself.
That client is a plain ``httpx.Client`` rather than the toolkit's ``build_client``: the toolkit's client turns
every answer of 400 and above into a creatorkit error before the library can read Stripe's error body (its
``type``, ``code``, ``param``, ``decline_code``), and the library's typed errors are what the plugin maps.

Retries are the core's, never the library's (``max_network_retries=0``): an operation whose answer was lost is
reported as ``outcome_unknown`` and retried by the core with the same operation id, which is the idempotency key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import stripe

__all__ = ["API_BASE", "STRIPE_API_VERSION", "HttpxStripeClient", "stripe_client"]

#: The API version the plugin's parsing is written against: the one stripe 16.1.0 was generated for.
STRIPE_API_VERSION = "2026-10-28.endive"
API_BASE = "https://api.stripe.com"


class HttpxStripeClient(stripe.HTTPClient):
    """``stripe.HTTPClient`` over a given ``httpx.Client``: the transport decides where requests go."""

    name = "creatorkit-httpx"

    def __init__(self, client: httpx.Client) -> None:
        super().__init__()
        self._client = client

    def __repr__(self) -> str:
        return f"<HttpxStripeClient over {type(self._client._transport).__name__}>"

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        content = post_data.encode() if isinstance(post_data, str) else post_data
        try:
            response = self._client.request(method.upper(), url, headers=dict(headers or {}), content=content)
        except httpx.TransportError as exc:
            # Whether Stripe acted on it is unknown (unless no connection was made); the plugin says so.
            sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
            raise stripe.APIConnectionError(  # type: ignore[no-untyped-call]  # the library leaves it unannotated
                f"{type(exc).__name__} talking to Stripe ({'sent' if sent else 'not sent'})", should_retry=False
            ) from exc
        # Stripe answers UTF-8 JSON; anything else reaches the library as text it refuses to parse (APIError).
        return response.content.decode("utf-8", "replace"), response.status_code, response.headers

    def request_stream(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[Any, int, Mapping[str, str]]:
        raise stripe.APIConnectionError(  # type: ignore[no-untyped-call]
            "streamed responses (file downloads) are not used by this plugin"
        )

    def close(self) -> None:
        self._client.close()


def stripe_client(
    api_key: str, transport: httpx.BaseTransport | None, *, api_version: str, timeout: float, api_base: str
) -> stripe.StripeClient:
    """A ``StripeClient`` whose every request goes through ``transport`` (httpx's own when None)."""
    client = httpx.Client(transport=transport or httpx.HTTPTransport(), timeout=timeout, follow_redirects=False)
    return stripe.StripeClient(
        api_key,
        http_client=HttpxStripeClient(client),
        base_addresses={"api": api_base},
        max_network_retries=0,
        stripe_version=api_version,
    )
