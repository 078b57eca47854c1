"""Spark Ads: binding a creator's authorisation code to the ad account (tt_video/authorize), reading it (info, list)
and unbinding it.

A creator makes a code in the TikTok app for one of their posts and a number of days; here that is
:func:`mint` (``sandbox.spark_code(post_id, days)``). The brand binds it to an ad account with
``tt_video/authorize/``, reads the post and the authorisation with ``tt_video/info/``, lists what is bound with
``tt_video/list/`` and unbinds a post with ``tt_video/unbind/``, all in the shapes of ``fixtures/tt_video_*.json``.

What TikTok does not document, and the sandbox chose: binding a code already bound to the same ad account is
refused with 40050 ("Duplicated request sent"); an ended authorisation keeps ``ad_auth_status`` ``AUTHORIZED`` (the
enum is undocumented) so that its ``auth_end_time`` is what tells it ended; ``tt_video/info/`` answers for a code
whether or not it is bound, as TikTok's flow (info to preview, then authorize) has it.

This module also holds what the campaign routes share: :class:`Refusal` and the request readers.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from creatorkit import toolkit as tk

from ._oauth import server_of

if TYPE_CHECKING:
    from . import TikTokSandbox

__all__ = ["AUTHORIZATION_DAYS", "Refusal", "expire", "install", "mint"]

PREFIX = "/open_api/v1.3/"
#: The lengths a creator can authorise a post for in the app (and a campaign can request).
AUTHORIZATION_DAYS = (7, 30, 60, 365)
_TIME = "%Y-%m-%d %H:%M:%S"

Handler = Callable[["TikTokSandbox", tk.SandboxRequest], Any]


class Refusal(Exception):
    """A handler's refusal with one of TikTok's codes, answered in TikTok's envelope."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def answering(sandbox: TikTokSandbox, handler: Handler) -> Callable[[tk.SandboxRequest], Any]:
    """``handler`` as a route: its data wrapped by the sandbox, its :class:`Refusal` as TikTok's error."""

    def answer(request: tk.SandboxRequest) -> Any:
        try:
            return handler(sandbox, request)
        except Refusal as refusal:
            return sandbox.refuse(refusal.code, refusal.message)

    return answer


# -- reading requests as TikTok does ------------------------------------------------------------------------------


def body_of(request: tk.SandboxRequest) -> dict[str, Any]:
    body = request.json()
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise Refusal(40002, "The request body must be a JSON object.")
    return body


def required(source: Any, name: str) -> str:
    """A required text parameter, from a JSON body or the query."""
    value = source.get(name)
    if value is None or value == "":
        raise Refusal(40002, f"{name}: Missing data for required field.")
    return str(value)


def json_list(request: tk.SandboxRequest, name: str) -> list[str] | None:
    """A GET list parameter, JSON-encoded in the query as TikTok reads it; None when absent."""
    raw = request.params.get(name)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise Refusal(40002, f"{name}: Not a valid list.") from None
    if not isinstance(value, list):
        raise Refusal(40002, f"{name}: Not a valid list.")
    return [str(item) for item in value]


def page_of(request: tk.SandboxRequest, key: str, items: list[Any], *, size: int = 10, most: int = 100) -> Any:
    """One page of ``items`` under ``key`` with TikTok's ``page_info``."""
    try:
        page = int(request.params.get("page", 1))
        page_size = int(request.params.get("page_size", size))
    except ValueError:
        raise Refusal(40002, "page: Not a valid integer.") from None
    if page < 1 or not 1 <= page_size <= most:
        raise Refusal(40002, f"page_size: Must be between 1 and {most}; page: must be at least 1.")
    total_page = max(1, -(-len(items) // page_size))
    chunk = items[(page - 1) * page_size : page * page_size]
    info = {"page": page, "page_size": page_size, "total_number": len(items), "total_page": total_page}
    return {key: chunk, "page_info": info}


def stamp(moment: datetime) -> str:
    return moment.strftime(_TIME)


# -- the creator's side: a code for a post -----------------------------------------------------------------------


def mint(sandbox: TikTokSandbox, post_id: str, days: int = 30, *, started_days_ago: int = 0) -> str:
    """The code a creator makes in the app to let brands run ``post_id`` as a Spark Ad for ``days`` days.

    ``started_days_ago`` dates the authorisation back (longer than ``days``: a code already ended).
    """
    post = sandbox.population.post(post_id)
    if post is None or post.platform != "tiktok":
        raise ValueError(f"the sandbox has no TikTok post {post_id!r}")
    if days not in AUTHORIZATION_DAYS:
        raise ValueError(f"a creator authorises 7, 30, 60 or 365 days, not {days}")
    digest = hashlib.sha256(f"{sandbox.seed}:{post_id}:{days}:{len(sandbox.spark_codes)}".encode()).digest()
    code = "#" + base64.b64encode(digest[:24]).decode().replace("+", "A").replace("/", "B") + "=="
    start = sandbox.population.as_of - timedelta(days=started_days_ago)
    sandbox.spark_codes[code] = {
        "item_id": post_id,
        "account_id": post.account_id,
        "text": post.caption,
        "start": start,
        "end": start + timedelta(days=days),
        "status": "AUTHORIZED",
        "bound": set(),
    }
    return code


def expire(sandbox: TikTokSandbox, code: str) -> None:
    """The creator's days run out: the authorisation ended yesterday (its status stays as TikTok left it)."""
    record = sandbox.spark_codes[code]
    length = record["end"] - record["start"]
    record["end"] = sandbox.population.as_of - timedelta(days=1)
    record["start"] = record["end"] - length


# -- the brand's side ---------------------------------------------------------------------------------------------


def install(sandbox: TikTokSandbox) -> None:
    """Register this part's routes on ``sandbox``."""
    sandbox.spark_codes = {}
    for method, path, handler in (
        ("POST", "tt_video/authorize/", _authorize),
        ("GET", "tt_video/info/", _info),
        ("GET", "tt_video/list/", _list),
        ("POST", "tt_video/unbind/", _unbind),
    ):
        sandbox.route(method, PREFIX + path, answering(sandbox, handler))


def _advertiser(sandbox: TikTokSandbox, request: tk.SandboxRequest, source: Any) -> str:
    """The ``advertiser_id`` asked for, which an advertiser token must reach (40001 otherwise, as TikTok).

    A token from the OAuth exchange (subject ``advertiser:<id>:<serial>``) reaches the ad accounts its consent
    answered; the sandbox's own brand token (``advertiser:<id>``) reaches its one account.
    """
    advertiser = required(source, "advertiser_id")
    subject = request.subject or ""
    if subject.startswith("advertiser:"):
        reached = server_of(sandbox).advertisers.get(subject) or (subject.removeprefix("advertiser:"),)
        if advertiser not in reached:
            raise Refusal(40001, f"No permission to operate advertiser {advertiser}.")
    return advertiser


def _code(sandbox: TikTokSandbox, source: Any) -> tuple[str, dict[str, Any]]:
    code = required(source, "auth_code")
    if not code.startswith("#"):
        raise Refusal(40002, "auth_code: The authorization code is invalid.")
    record = sandbox.spark_codes.get(code)
    if record is None:
        raise Refusal(40007, "auth_code: The authorization code does not exist.")
    return code, record


def _authorize(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    body = body_of(request)
    advertiser = _advertiser(sandbox, request, body)
    _, record = _code(sandbox, body)
    if record["end"] <= sandbox.population.as_of:
        raise Refusal(40002, "auth_code: The authorization code has expired.")
    if advertiser in record["bound"]:
        raise Refusal(40050, "Duplicated request sent: the post is already authorized for this ad account.")
    record["bound"].add(advertiser)
    return {}


def _item(sandbox: TikTokSandbox, code: str, record: dict[str, Any]) -> dict[str, Any]:
    """One post as ``tt_video/info/`` and ``tt_video/list/`` answer it."""
    auth = {
        "ad_auth_status": record["status"],
        "auth_start_time": stamp(record["start"]),
        "auth_end_time": stamp(record["end"]),
        "invite_start_time": stamp(record["start"] - timedelta(hours=6)),
    }
    account = sandbox.population.account(record["account_id"])
    person = sandbox.population.person(int(account.person_id.rsplit("-", 1)[1])) if account else None
    video = {"video_id": f"v{record['item_id']}", "duration": 30.0, "width": 1080, "height": 1920, "format": "mp4"}
    item = {
        "auth_code": code,
        "item_id": record["item_id"],
        "item_type": "VIDEO",
        "text": record["text"],
        "status": "HESITATE_RECOMMEND",
        "is_multi_duet_stitch": False,
        "mentioned_item_ids": [],
        "auth_info": auth,
        "anchor_list": [],
        "video_info": video,
    }
    user = {"tiktok_name": person.name if person else "", "identity_id": record["account_id"]}
    return {
        "auth_info": auth,
        "item_info": item,
        "user_info": {**user, "identity_type": "AUTH_CODE"},
        "video_info": video,
    }


def _info(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    _advertiser(sandbox, request, request.params)
    code, record = _code(sandbox, request.params)
    return _item(sandbox, code, record)


def _list(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    advertiser = _advertiser(sandbox, request, request.params)
    types = json_list(request, "item_types") or ["VIDEO", "CAROUSEL"]
    keyword = request.params.get("keyword", "")
    items = [
        _item(sandbox, code, record)
        for code, record in sandbox.spark_codes.items()
        if advertiser in record["bound"] and "VIDEO" in types
    ]
    if keyword:  # an id of 19 digits or more matches exactly; other text matches the caption
        exact = keyword.isdigit() and len(keyword) >= 19
        items = [
            i
            for i in items
            if (i["item_info"]["item_id"] == keyword if exact else keyword.lower() in i["item_info"]["text"].lower())
        ]
    return page_of(request, "list", items, size=20, most=50)


def _unbind(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    body = body_of(request)
    advertiser = _advertiser(sandbox, request, body)
    item_id = required(body, "item_id")
    bound = [r for r in sandbox.spark_codes.values() if r["item_id"] == item_id and advertiser in r["bound"]]
    if not bound:
        raise Refusal(40007, "item_id: The post is not authorized for this ad account.")
    for record in bound:
        record["bound"].discard(advertiser)
    return {}
