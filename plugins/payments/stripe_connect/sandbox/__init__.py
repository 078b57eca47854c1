"""A stateful fake of Stripe's API for Connect with separate charges and transfers, as an httpx transport.

It answers what the plugin calls, the way Stripe documents it:

* form-encoded ``POST`` bodies and query strings (``metadata[operation_id]=…``, ``expand[0]=…``), a secret key
  in ``Authorization: Bearer sk_test_…`` (anything else is 401), a connected account in ``Stripe-Account``;
* ``Idempotency-Key``: the first answer to a key is kept (successes and card declines: every request that began
  executing) and replayed for the same key with the same parameters, with ``Idempotent-Replayed: true``; the
  same key with other parameters, or on another endpoint, is 400 ``idempotency_error``. Keys are kept per
  account, as Stripe keeps them;
* objects in Stripe's shapes (PaymentIntents with their latest charge, balance transactions, transfers with
  their ``reversals``, refunds, payouts, events), ``expand[]`` of the fields the plugin expands, lists (charges,
  transfers, reversals, refunds, payouts) newest first with ``limit``, ``starting_after``, ``has_more`` and
  ``created`` (``created[gte]=…``, ``gt``, ``lte``, ``lt``, or one instant), and the PaymentIntent Search API over
  ``metadata['key']:'value'`` clauses joined by ``AND``;
* balances and the refusals they cause (see ``_books``), each as ``{"error": {"type", "code", "message",
  "param"}}`` with a ``Request-Id`` header.

Switches (``[payments.stripe_connect.sandbox]``): ``timeout_after_success`` (the first attempt at each
idempotency key that moves money does so, then times out; the retry is a replay), ``pending_retrieves``
(movements stay pending until read that many times), ``raw_status`` (movements report that status word),
``search_lag`` (an object shows in search results only after that many more requests: Stripe's search is not
for reading your own writes), ``fee_bp`` (Stripe's fee on charges; 290), ``accounts`` (the connected accounts
that exist). The toolkit's switches (``fail``, ``throttle``, ``latency``) work too, answered in Stripe's shapes.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import httpx

from creatorkit import toolkit as tk

from .._http import STRIPE_API_VERSION
from ._books import SANDBOX_EPOCH, Books, Refusal, Switches
from ._events import SIGNATURE_HEADER, event, event_body, signed_delivery
from ._form import FormError, decode_form, decode_pairs

__all__ = [
    "SANDBOX_API_KEY",
    "SANDBOX_EPOCH",
    "SANDBOX_WEBHOOK_SECRET",
    "SIGNATURE_HEADER",
    "StripeSandbox",
    "Switches",
    "event",
    "event_body",
    "signed_delivery",
]

#: The key the plugin uses in sandbox mode when none is configured (a test-mode key: Stripe's ``sk_test_``).
SANDBOX_API_KEY = "sk_test_creatorkit_sandbox_0000000000"
SANDBOX_WEBHOOK_SECRET = "whsec_creatorkit_sandbox"

_FAULT_REPLIES: dict[tk.Fault, tuple[int, str, str | None, str]] = {
    tk.Fault.SERVER_ERROR: (500, "api_error", None, "An unknown error occurred"),
    tk.Fault.THROTTLED: (429, "invalid_request_error", "rate_limit", "Too many requests hit the API too quickly."),
    tk.Fault.INVALID_TOKEN: (401, "invalid_request_error", None, "Invalid API Key provided."),
    tk.Fault.EXPIRED_TOKEN: (401, "invalid_request_error", "api_key_expired", "Expired API Key provided."),
    tk.Fault.REVOKED_TOKEN: (401, "invalid_request_error", None, "Invalid API Key provided."),
    tk.Fault.NOT_FOUND: (404, "invalid_request_error", "resource_missing", "Unrecognized request URL."),
    tk.Fault.INVALID_REQUEST: (400, "invalid_request_error", None, "Invalid request."),
}
#: POSTs that move money: the ones ``timeout_after_success`` makes time out after acting.
_MOVEMENTS = re.compile(r"^/v1/(payment_intents|transfers|transfers/[^/]+/reversals|refunds|payouts)$")
_SEARCH_CLAUSE = re.compile(r"^metadata\['([^']+)'\]:'([^']*)'$")


@attrs.define
class _Kept:
    """The first answer to an idempotency key, and what it was asked with."""

    method: str
    path: str
    params: dict[str, Any]
    status: int
    body: bytes


Handler = Callable[[dict[str, Any], str | None, Mapping[str, str]], Any]


class StripeSandbox(tk.SandboxTransport):
    """Stripe's API for Connect in memory (see the module's docstring); ``books`` is everything it holds."""

    def __init__(self, *, seed: int = 0, accounts: Iterable[str] = (), switches: Switches | None = None) -> None:
        super().__init__(platform="stripe_connect", seed=seed)
        self.switches = switches or Switches()
        self.books = Books(seed=seed, switches=self.switches, accounts=tuple(accounts))
        self._kept: dict[tuple[str | None, str], _Kept] = {}
        self._request_ids = 0
        for method, template, handler in (
            ("POST", "/v1/payment_intents", self._create_payment_intent),
            ("GET", "/v1/payment_intents/search", self._search_payment_intents),
            ("GET", "/v1/payment_intents/{id}", self._retrieve("payment_intent")),
            ("GET", "/v1/charges", self._list_charges),
            ("GET", "/v1/charges/{id}", self._retrieve("charge")),
            ("POST", "/v1/transfers", self._create_transfer),
            ("GET", "/v1/transfers", self._list_transfers),
            ("GET", "/v1/transfers/{id}", self._retrieve("transfer")),
            ("POST", "/v1/transfers/{id}/reversals", self._create_reversal),
            ("GET", "/v1/transfers/{id}/reversals", self._list_reversals),
            ("GET", "/v1/transfers/{transfer}/reversals/{id}", self._retrieve("transfer_reversal")),
            ("POST", "/v1/refunds", self._create_refund),
            ("GET", "/v1/refunds", self._list_refunds),
            ("GET", "/v1/refunds/{id}", self._retrieve("refund")),
            ("POST", "/v1/payouts", self._create_payout),
            ("GET", "/v1/payouts", self._list_payouts),
            ("GET", "/v1/payouts/{id}", self._retrieve("payout")),
            ("GET", "/v1/balance", self._balance),
        ):
            self.route(method, template, self._endpoint(handler))

    def __repr__(self) -> str:
        return f"<StripeSandbox seed={self.seed}: {len(self.books.objects)} objects, {len(self._kept)} keys kept>"

    def add_account(self, account: str) -> None:
        """A connected account that exists from now on (Express or Custom, onboarded)."""
        self.books.accounts.add(account)

    def settle(self) -> None:
        """Time passes: every pending balance becomes available (Stripe's payout schedule's delay)."""
        for held in self.books.balances.values():
            held["available"] += held["pending"]
            held["pending"] = 0

    # -- the envelope: request ids, errors ----------------------------------------------------------------------

    def request_id(self) -> str:
        self._request_ids += 1
        digest = hashlib.sha256(f"{self.seed}:req:{self._request_ids}".encode()).hexdigest()
        return f"req_{digest[:14]}"

    def _headers(self, **extra: str) -> dict[str, str]:
        return {"Request-Id": self.request_id(), "Stripe-Version": STRIPE_API_VERSION, **extra}

    def ok(self, request: tk.SandboxRequest, data: Any) -> httpx.Response:
        return httpx.Response(200, json=data, headers=self._headers())

    def _refusal(self, refusal: Refusal) -> httpx.Response:
        headers = self._headers()
        error = {**refusal.error, "request_log_url": f"https://dashboard.stripe.com/test/logs/{headers['Request-Id']}"}
        return httpx.Response(refusal.status, json={"error": error}, headers=headers)

    def reply(
        self,
        fault: tk.Fault,
        request: httpx.Request,
        *,
        wait: float | None = None,
        status: int | None = None,
        message: str | None = None,
    ) -> httpx.Response:
        default_status, kind, code, text = _FAULT_REPLIES[fault]
        refusal = Refusal(status or default_status, message or text, type=kind, code=code)
        response = self._refusal(refusal)
        if fault is tk.Fault.SERVER_ERROR:
            response.headers["Stripe-Should-Retry"] = "true"
        return response

    # -- one request --------------------------------------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not key.startswith(("sk_test_", "rk_test_")):
            masked = f"{key[:8]}****{key[-4:]}" if len(key) > 12 else "****"
            return self._refusal(Refusal(401, f"Invalid API Key provided: {masked}"))
        return super().handle_request(request)

    def _endpoint(self, handler: Handler) -> Callable[[tk.SandboxRequest], httpx.Response]:
        def answer(sandboxed: tk.SandboxRequest) -> httpx.Response:
            request = sandboxed.request
            account = request.headers.get("Stripe-Account") or None
            try:
                params = (
                    decode_form(request.read())
                    if request.method == "POST"
                    else decode_pairs(request.url.params.multi_items())
                )
            except FormError as exc:
                return self._refusal(Refusal(400, str(exc)))
            self.books.requests_served += 1
            key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
            if key is not None:
                kept = self._kept.get((account, key))
                if kept is not None:
                    return self._replay(kept, request, params, key)
            try:
                data = handler(params, account, sandboxed.path_params)
                response = httpx.Response(200, json=data, headers=self._headers())
            except Refusal as refusal:
                response = self._refusal(refusal)
            if key is not None and (response.status_code == 200 or response.status_code == 402):
                self._kept[(account, key)] = _Kept(
                    request.method, request.url.path, params, response.status_code, response.content
                )
                if self.switches.timeout_after_success and _MOVEMENTS.match(request.url.path):
                    raise httpx.ReadTimeout("the sandbox acted, then timed out, as asked", request=request)
            return response

        return answer

    def _replay(self, kept: _Kept, request: httpx.Request, params: dict[str, Any], key: str) -> httpx.Response:
        if (kept.method, kept.path, kept.params) != (request.method, request.url.path, params):
            return self._refusal(
                Refusal(
                    400,
                    f"Keys for idempotent requests can only be used with the same parameters they were first used "
                    f"with. Try using a key other than '{key}' if you meant to execute a different request.",
                    type="idempotency_error",
                )
            )
        return httpx.Response(kept.status, content=kept.body, headers=self._headers(**{"Idempotent-Replayed": "true"}))

    # -- serving objects: expansion, reads, lists ---------------------------------------------------------------

    def _served(self, obj: dict[str, Any], expand: Iterable[str], *, read: bool = True) -> dict[str, Any]:
        """A copy of ``obj`` with the ``expand`` paths expanded; reading it (not making it) counts for pending
        movements."""
        if read:
            self.books.read(obj)
        served = copy.deepcopy(obj)
        if served.get("object") == "transfer":
            reversals = served["reversals"]
            reversals["data"] = [copy.deepcopy(self.books.objects[rid]) for rid in reversals["data"]]
        for path in expand:
            self._expand(served, path.split("."))
        return served

    def _expand(self, node: dict[str, Any], path: list[str]) -> None:
        head, rest = path[0], path[1:]
        value = node.get(head)
        if isinstance(value, str) and value in self.books.objects:
            value = node[head] = self._served(self.books.objects[value], ())
        if rest and isinstance(value, dict):
            self._expand(value, rest)

    def _list(self, objects: list[dict[str, Any]], params: Mapping[str, Any], url: str) -> dict[str, Any]:
        created = _created_filter(params.get("created"))
        newest_first = sorted(
            (obj for obj in objects if created(int(obj["created"]))),
            key=lambda obj: (obj["created"], obj["id"]),
            reverse=True,
        )
        after = params.get("starting_after")
        if after:
            ids = [obj["id"] for obj in newest_first]
            if after not in ids:
                raise Refusal(404, f"No such object: '{after}'", code="resource_missing", param="starting_after")
            newest_first = newest_first[ids.index(after) + 1 :]
        limit = int(params.get("limit") or 10)
        if not 1 <= limit <= 100:
            raise Refusal(400, "limit must be between 1 and 100", param="limit")
        expand = [path.removeprefix("data.") for path in params.get("expand") or () if path.startswith("data.")]
        page = [self._served(obj, expand) for obj in newest_first[:limit]]
        return {"object": "list", "data": page, "has_more": len(newest_first) > limit, "url": url}

    def _all(self, kind: str) -> list[dict[str, Any]]:
        return [obj for obj in self.books.objects.values() if obj["object"] == kind]

    def _retrieve(self, kind: str) -> Handler:
        def retrieve(params: dict[str, Any], account: str | None, path: Mapping[str, str]) -> dict[str, Any]:
            obj = self.books.get(path["id"], kind)
            if kind == "payout" and self.books.payout_account.get(obj["id"]) != account:
                raise Refusal(404, f"No such payout: '{path['id']}'", code="resource_missing", param="id")
            if kind == "transfer_reversal" and obj["transfer"] != path["transfer"]:
                raise Refusal(404, f"No such transfer_reversal: '{path['id']}'", code="resource_missing", param="id")
            return self._served(obj, params.get("expand") or ())

        return retrieve

    # -- the endpoints ------------------------------------------------------------------------------------------

    def _create_payment_intent(
        self, params: dict[str, Any], account: str | None, path: Mapping[str, str]
    ) -> dict[str, Any]:
        return self._served(self.books.create_payment_intent(params), params.get("expand") or (), read=False)

    def _search_payment_intents(
        self, params: dict[str, Any], account: str | None, path: Mapping[str, str]
    ) -> dict[str, Any]:
        clauses = []
        for clause in str(params.get("query") or "").split(" AND "):
            match = _SEARCH_CLAUSE.match(clause.strip())
            if match is None:
                raise Refusal(400, f"The sandbox searches metadata['key']:'value' clauses only: {clause!r}")
            clauses.append(match.groups())
        found = [
            obj
            for obj in self._all("payment_intent")
            if self.books.searchable(obj) and all(obj["metadata"].get(key) == value for key, value in clauses)
        ]
        page = self._list(found, {"limit": params.get("limit"), "expand": params.get("expand")}, "/v1/search")
        return {**page, "object": "search_result", "next_page": None, "url": "/v1/payment_intents/search"}

    def _list_charges(self, params: dict[str, Any], account: str | None, path: Mapping[str, str]) -> dict[str, Any]:
        intent = params.get("payment_intent")
        found = [obj for obj in self._all("charge") if intent is None or obj["payment_intent"] == intent]
        return self._list(found, params, "/v1/charges")

    def _create_transfer(self, params: dict[str, Any], account: str | None, path: Mapping[str, str]) -> dict[str, Any]:
        return self._served(self.books.create_transfer(params), params.get("expand") or (), read=False)

    def _list_transfers(self, params: dict[str, Any], account: str | None, path: Mapping[str, str]) -> dict[str, Any]:
        group, destination = params.get("transfer_group"), params.get("destination")
        found = [
            obj
            for obj in self._all("transfer")
            if (group is None or obj["transfer_group"] == group)
            and (destination is None or obj["destination"] == destination)
        ]
        return self._list(found, params, "/v1/transfers")

    def _create_reversal(self, params: dict[str, Any], account: str | None, path: Mapping[str, str]) -> dict[str, Any]:
        return self._served(self.books.create_reversal(path["id"], params), params.get("expand") or (), read=False)

    def _list_reversals(self, params: dict[str, Any], account: str | None, path: Mapping[str, str]) -> dict[str, Any]:
        transfer = self.books.get(path["id"], "transfer")
        reversals = [self.books.objects[rid] for rid in transfer["reversals"]["data"]]
        return self._list(reversals, params, f"/v1/transfers/{path['id']}/reversals")

    def _create_refund(self, params: dict[str, Any], account: str | None, path: Mapping[str, str]) -> dict[str, Any]:
        return self._served(self.books.create_refund(params), params.get("expand") or (), read=False)

    def _list_refunds(self, params: dict[str, Any], account: str | None, path: Mapping[str, str]) -> dict[str, Any]:
        intent, charge = params.get("payment_intent"), params.get("charge")
        found = [
            obj
            for obj in self._all("refund")
            if (intent is None or obj["payment_intent"] == intent) and (charge is None or obj["charge"] == charge)
        ]
        return self._list(found, params, "/v1/refunds")

    def _create_payout(self, params: dict[str, Any], account: str | None, path: Mapping[str, str]) -> dict[str, Any]:
        return self._served(self.books.create_payout(account, params), params.get("expand") or (), read=False)

    def _list_payouts(self, params: dict[str, Any], account: str | None, path: Mapping[str, str]) -> dict[str, Any]:
        found = [obj for obj in self._all("payout") if self.books.payout_account.get(obj["id"]) == account]
        return self._list(found, params, "/v1/payouts")

    def _balance(self, params: dict[str, Any], account: str | None, path: Mapping[str, str]) -> dict[str, Any]:
        held = {currency: sums for (owner, currency), sums in self.books.balances.items() if owner == account}
        return {
            "object": "balance",
            "available": [{"amount": s["available"], "currency": c} for c, s in sorted(held.items())],
            "pending": [{"amount": s["pending"], "currency": c} for c, s in sorted(held.items())],
            "livemode": False,
        }

    # -- webhooks -----------------------------------------------------------------------------------------------

    def events_about(self, object_id: str) -> list[dict[str, Any]]:
        """The events the sandbox recorded about one object, oldest first."""
        return [made for made in self.books.events if made["data"]["object"].get("id") == object_id]


_COMPARISONS: dict[str, Callable[[int, int], bool]] = {
    "gte": lambda created, bound: created >= bound,
    "gt": lambda created, bound: created > bound,
    "lte": lambda created, bound: created <= bound,
    "lt": lambda created, bound: created < bound,
}


def _created_filter(given: Any) -> Callable[[int], bool]:
    """Which ``created`` times a list's ``created`` parameter keeps: a range (``created[gte]=…``) or one instant."""
    if given is None:
        return lambda created: True
    try:
        if isinstance(given, Mapping):
            unknown = sorted(set(given) - set(_COMPARISONS))
            if unknown:
                raise Refusal(400, f"Received unknown parameter: created[{unknown[0]}]", param="created")
            bounds = [(_COMPARISONS[key], int(value)) for key, value in given.items()]
            return lambda created: all(compare(created, bound) for compare, bound in bounds)
        instant = int(given)
    except ValueError:
        raise Refusal(400, f"Invalid integer: {given}", param="created") from None
    return lambda created: created == instant
