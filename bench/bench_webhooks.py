"""Benchmarks for webhooks: deliveries verified and accepted per second through ``kit.webhooks.receive``.

Each delivery is one echo_pay event, signed beforehand with echo_pay's sandbox signer (HMAC-SHA256 over the
signed timestamp and the body), so what is timed is what an app's endpoint does per request: the host's call,
the plugin's signature and freshness checks, the notices' checks, and one store transaction recording the event,
auditing and announcing it on a SQLite file. Replays (every event already accepted) and the plugin's
verification alone are reported beside it.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from creatorkit import Creatorkit, PluginHost
from creatorkit.audit import AuditKeys
from creatorkit.entities import WebhookRequest
from creatorkit.store import open_store
from creatorkit_echo import SANDBOX_WEBHOOK_SECRET, EchoPayments, webhooks

NAMES = {"bench_webhook_verify": ["webhook.verify_per_s", "webhook.replay_per_s", "webhook.plugin_verify_per_s"]}

RECEIVED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _deliveries(count: int, round_: int) -> list[WebhookRequest]:
    return [
        webhooks.payment_request(
            SANDBOX_WEBHOOK_SECRET,
            webhooks.payment_event(
                f"evt_{round_}_{i}",
                "fund.succeeded",
                operation_id=f"op_{round_}_{i}",
                provider_ref=f"echo_pay-{i}",
                created=RECEIVED_AT,
            ),
            signed_at=RECEIVED_AT,
        )
        for i in range(count)
    ]


def _rate(requests: list[WebhookRequest], deliver: Callable[[WebhookRequest], object]) -> float:
    started = time.perf_counter()
    for request in requests:
        deliver(request)
    return len(requests) / (time.perf_counter() - started)


def bench_webhook_verify(deliveries: int = 2_000, rounds: int = 3) -> list[dict[str, Any]]:
    host = PluginHost()
    host.register(EchoPayments(), name="echo_pay", group="creatorkit.payments")
    client = host.payments("echo_pay")
    accepted, replayed, verified = [], [], []
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'bench.db'}", audit_keys=AuditKeys())
        with Creatorkit(store=store, plugins=host, clock=lambda: RECEIVED_AT) as kit:

            def receive(request: WebhookRequest) -> None:
                if not kit.webhooks.receive("echo_pay", request).notices:
                    raise AssertionError("a fresh event was not accepted")

            def replay(request: WebhookRequest) -> None:
                if kit.webhooks.receive("echo_pay", request).notices:
                    raise AssertionError("a replay was accepted")

            for round_ in range(rounds):
                requests = _deliveries(deliveries, round_)
                accepted.append(_rate(requests, receive))
                replayed.append(_rate(requests, replay))
                verified.append(_rate(requests, client.receive_webhook))
    common = {"deliveries": deliveries, "rounds": rounds, "store": "sqlite file", "goal": "reported"}
    return [
        {
            "name": "webhook.verify_per_s",
            "value": round(max(accepted)),
            "unit": "/s",
            "median": round(statistics.median(accepted)),
            "note": "fresh echo_pay deliveries through kit.webhooks.receive: verified, recorded, audited; best round",
            **common,
        },
        {
            "name": "webhook.replay_per_s",
            "value": round(max(replayed)),
            "unit": "/s",
            "median": round(statistics.median(replayed)),
            "note": "the same deliveries again: verified, found accepted, nothing written",
            **common,
        },
        {
            "name": "webhook.plugin_verify_per_s",
            "value": round(max(verified)),
            "unit": "/s",
            "median": round(statistics.median(verified)),
            "note": "the plugin's verification alone, through the host (no store)",
            **common,
        },
    ]
