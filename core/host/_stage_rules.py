"""What the host enforces around particular stage hooks, for every plugin alike, so that no plugin can get it wrong.

* **Discovery cursors are bound to their query.** A plugin's ``next_cursor`` reaches the caller wrapped with a
  digest of the plugin's name and the query it pages (everything but ``cursor`` and ``limit``); given back, it is
  checked against the query it comes with and unwrapped before the plugin sees it. Reusing a cursor with another
  query, or on another platform, is an :class:`~creatorkit.errors.InvalidRequest` naming ``cursor``: the
  platform would otherwise page a different result set from the wrong offset, silently. The digest is
  unkeyed: it catches mistakes, it is not a signature (nothing a cursor unlocks is secret).
* **Every filter a query sets is in its page's report.** A filter the plugin left out is reported ignored
  ("not reported"), one the query did not set is dropped, and the report follows the query's filter order.
* **A post-metrics batch answers each post asked about, once.** A missing or unasked-for post, or metrics
  naming another platform, break the contract; posts of another platform are refused before the plugin is called.
* **Payment-listing cursors are bound to their** ``since``, as discovery cursors are to their query (reused with
  another ``since`` or provider, an :class:`~creatorkit.errors.InvalidRequest` naming ``cursor``); ``since`` must
  be timezone-aware; a page whose ``next_cursor`` is the cursor it was asked with breaks the contract, since
  the listing would never end.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from .._canonical import canonical_json
from ..converter import unstructure
from ..entities import (
    DiscoveryPage,
    DiscoveryQuery,
    FilterOutcome,
    FilterStatus,
    PostMetricsBatch,
    PostMetricsRequest,
    ProviderOperationPage,
)
from ..errors import InvalidRequest, PluginContractError, Problem, ValidationError

__all__ = ["RULES", "StageRule", "listing_digest", "query_digest"]

#: Marks a cursor the host wrapped; the version lets a later format be told apart.
CURSOR_PREFIX = "ck1"
_UNREPORTED = "not reported by the plugin, so taken as ignored"


def query_digest(plugin: str, query: DiscoveryQuery) -> str:
    """What a cursor of ``plugin``'s is bound to: ``query`` without its ``cursor`` and ``limit``."""
    data = unstructure(query)
    del data["cursor"], data["limit"]
    return _digest({"plugin": plugin, "query": data})


def listing_digest(plugin: str, since: datetime | None) -> str:
    """What a payment-listing cursor of ``plugin``'s is bound to: the moment the listing starts from."""
    return _digest({"plugin": plugin, "listing": "payments", "since": None if since is None else since.isoformat()})


def _digest(bound: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(canonical_json(bound)).digest()[:12]).decode("ascii")


def wrap_cursor(plugin: str, query: DiscoveryQuery, cursor: str, digest: str | None = None) -> str:
    return _wrap(cursor, digest or query_digest(plugin, query))


def _wrap(cursor: str, digest: str) -> str:
    inner = base64.urlsafe_b64encode(cursor.encode("utf-8")).decode("ascii").rstrip("=")
    return f"{CURSOR_PREFIX}.{digest}.{inner}"


def unwrap_cursor(plugin: str, query: DiscoveryQuery, cursor: str, digest: str | None = None) -> str:
    """The plugin's own cursor inside ``cursor``, once it is shown to belong to ``query`` on ``plugin``
    (whose :func:`query_digest` is ``digest``, when already known)."""
    return _unwrap(
        plugin,
        cursor,
        digest or query_digest(plugin, query),
        "the cursor belongs to another query or platform: page with the query the cursor came from "
        "(only limit may change), or start again without a cursor",
    )


def _unwrap(plugin: str, cursor: str, expected: str, elsewhere: str) -> str:
    """The plugin's cursor inside ``cursor`` if it carries digest ``expected``; ``elsewhere`` says why not."""
    prefix, _, rest = cursor.partition(".")
    digest, _, inner = rest.partition(".")
    try:
        if prefix != CURSOR_PREFIX or not digest:
            raise ValueError(cursor)
        padded = inner + "=" * (-len(inner) % 4)
        plugin_cursor = base64.b64decode(padded, altchars=b"-_", validate=True).decode("utf-8")
    except (ValueError, binascii.Error):
        raise InvalidRequest(
            plugin, "the cursor is not one a page of this SDK handed out; start without a cursor", field="cursor"
        ) from None
    if digest != expected:
        raise InvalidRequest(plugin, elsewhere, field="cursor")
    return plugin_cursor


@attrs.frozen
class StageRule:
    """``prepare`` sees (and may replace) the call's arguments before the plugin does and returns what ``finish``
    needs; ``finish`` checks or completes the plugin's accepted answer."""

    prepare: Callable[[str, dict[str, Any]], Any]
    finish: Callable[[str, Any, Any], Any]


@attrs.frozen
class _Paging:
    """A discovery call's query as its caller gave it, and its digest once computed (one per call at most)."""

    query: DiscoveryQuery
    digest: str | None


def _prepare_discovery(plugin: str, arguments: dict[str, Any]) -> _Paging | None:
    query = arguments.get("query")
    if not isinstance(query, DiscoveryQuery):
        return None  # not a query at all: the plugin is given it, and answers for it
    if query.cursor is None:
        return _Paging(query, None)
    digest = query_digest(plugin, query)
    arguments["query"] = attrs.evolve(query, cursor=unwrap_cursor(plugin, query, query.cursor, digest))
    return _Paging(query, digest)


def _finish_discovery(plugin: str, paging: _Paging | None, page: DiscoveryPage) -> DiscoveryPage:
    if paging is None:
        return page
    query = paging.query
    reported = {outcome.filter: outcome for outcome in page.filters}
    report = tuple(
        reported.get(name) or FilterOutcome(filter=name, status=FilterStatus.IGNORED, note=_UNREPORTED)
        for name in query.filters_set()
    )
    cursor = None if page.next_cursor is None else wrap_cursor(plugin, query, page.next_cursor, paging.digest)
    if report == page.filters and cursor == page.next_cursor:
        return page
    return attrs.evolve(page, filters=report, next_cursor=cursor)


def _prepare_post_metrics(plugin: str, arguments: dict[str, Any]) -> PostMetricsRequest | None:
    request = arguments.get("request")
    if not isinstance(request, PostMetricsRequest):
        return None
    elsewhere = [
        Problem(f"posts[{i}].platform", f"is {post.platform!r}: ask that platform")
        for i, post in enumerate(request.posts)
        if post.platform != plugin
    ]
    if elsewhere:
        raise ValidationError(elsewhere, f"post metrics request to {plugin}")
    return request


def _finish_post_metrics(plugin: str, request: PostMetricsRequest | None, batch: PostMetricsBatch) -> PostMetricsBatch:
    if request is None:
        return batch
    asked = set(request.post_ids)
    answered = [result.platform_post_id for result in batch.results]
    problems = [Problem("results", f"no result for post {post!r}") for post in request.post_ids if post not in answered]
    problems += [
        Problem("results", f"a result for post {post!r}, which was not asked") for post in answered if post not in asked
    ]
    problems += [
        Problem(f"results[{i}].metrics.platform", f"says {result.metrics.platform!r}, not {plugin!r}")
        for i, result in enumerate(batch.results)
        if result.metrics is not None and result.metrics.platform != plugin
    ]
    if problems:
        raise PluginContractError(plugin, "creatorkit_fetch_post_metrics_batch", problems)
    return batch


@attrs.frozen
class _Listing:
    """A payment listing's digest (plugin and ``since``) and the plugin's own cursor it was called with."""

    digest: str
    given: str | None


def _prepare_payment_list(plugin: str, arguments: dict[str, Any]) -> _Listing:
    since = arguments.get("since")
    if since is not None and (not isinstance(since, datetime) or since.utcoffset() is None):
        problem = Problem("since", f"must be a timezone-aware datetime or None, got {since!r}")
        raise ValidationError([problem], f"payment listing of {plugin}")
    digest = listing_digest(plugin, since)
    cursor = arguments.get("cursor")
    if cursor is None:
        return _Listing(digest, None)
    if not isinstance(cursor, str):
        raise ValidationError([Problem("cursor", f"must be a string or None, got {cursor!r}")], plugin)
    elsewhere = (
        "the cursor belongs to another listing or provider: page with the since the cursor came from, "
        "or start again without a cursor"
    )
    arguments["cursor"] = given = _unwrap(plugin, cursor, digest, elsewhere)
    return _Listing(digest, given)


def _finish_payment_list(plugin: str, listing: _Listing, page: ProviderOperationPage) -> ProviderOperationPage:
    if page.next_cursor is None:
        return page
    if page.next_cursor == listing.given:
        problem = Problem("next_cursor", "is the cursor this page was asked with: the listing would never end")
        raise PluginContractError(plugin, "creatorkit_payment_list", [problem])
    return attrs.evolve(page, next_cursor=_wrap(page.next_cursor, listing.digest))


#: The rules, by the stage hook they apply to.
RULES: dict[str, StageRule] = {
    "creatorkit_discover_creators": StageRule(_prepare_discovery, _finish_discovery),
    "creatorkit_fetch_post_metrics_batch": StageRule(_prepare_post_metrics, _finish_post_metrics),
    "creatorkit_payment_list": StageRule(_prepare_payment_list, _finish_payment_list),
}
