"""Checks a call's arguments must pass before the plugin is called, by hook: what the plugin says it can do.

A payment request beyond the provider's capability flags (``PluginMetadata.payments``) is refused here, so a
request the provider would refuse, or worse accept in part, never reaches it: nothing is sent, nothing moves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..entities import PluginMetadata, ProviderRequest
from ..errors import PaymentNotSupported
from ..payments import check_request

__all__ = ["REQUEST_CHECKS"]


def _payment_request(name: str, metadata: PluginMetadata, arguments: Mapping[str, Any]) -> None:
    request = arguments.get("request")
    # The typed client promises a ProviderRequest; anything else is the caller's to answer for, as for every hook.
    if not isinstance(request, ProviderRequest):
        return
    if metadata.payments is None:
        raise PaymentNotSupported(name, "payments", None, "a money movement", operation_id=request.operation_id)
    check_request(name, metadata.payments, request)


#: Per stage hook, the check its arguments pass before the call: ``check(plugin name, its metadata, arguments)``.
REQUEST_CHECKS: dict[str, Callable[[str, PluginMetadata, Mapping[str, Any]], None]] = {
    "creatorkit_payment_operation": _payment_request,
}
