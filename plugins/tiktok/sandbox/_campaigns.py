"""TikTok One campaigns: brand profiles, campaign create/update/read, video links and their status, and the creator
side (join, link requests).

State, in the shapes of ``fixtures/tto_tcm_campaign_*.json``: ``sandbox.campaigns`` (campaign id to the campaign,
with the sandbox's own ``links``, ``joined``, ``tto_tcm_account_id`` and ``send_notification`` beside TikTok's
keys; answers leave those out), ``sandbox.brand_profiles`` and ``sandbox.campaign_events``, the TCM_VIDEOS
webhook entries the links produced (:func:`webhook_body` makes a delivery of them).

How a video gets linked, as far as TikTok documents it: the brand asks for one (``tto/tcm/campaign/link/``
``LINK``), which the creator sees (``tto/creator/link/request/get/``) and approves or rejects
(``.../confirm/``); or the creator links their own (``tto/creator/campaign/video/link/``), which TikTok's review
then passes (:func:`review` here), sending ``tto_video_uploaded`` then ``tto_video_published``. An approved video
joins the campaign's ``video_ids`` and, when the campaign requests Spark Ads days, gets an authorisation code.

What TikTok does not document, and the sandbox chose: ``handle_names`` in an update adds to the campaign's
(refused handles go to ``failed_handle_names``, as on create); a handle the population does not know is refused;
a creator linking a video joins the campaign; list pages hold 1 to 100.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import TYPE_CHECKING, Any

import httpx

from creatorkit import toolkit as tk

from . import _spark
from ._spark import PREFIX, Refusal, answering, body_of, json_list, page_of, required, stamp

if TYPE_CHECKING:
    from . import TikTokSandbox

__all__ = ["install", "review", "webhook_body"]

CAMPAIGN_TYPES = ("CAMPAIGN", "BRAND_LINK")
#: The Spark Ads days a campaign may request (0: none).
REQUEST_DAYS = (0, *_spark.AUTHORIZATION_DAYS)
#: What the sandbox keeps on a campaign or link for itself; TikTok's answers leave it out.
_OWN_KEYS = frozenset(
    {"links", "joined", "tto_tcm_account_id", "send_notification", "handle_name", "initiated_by", "authorization_code"}
)
#: The sandbox brand's profile, there from the start (as a brand's TikTok One account has one once set up).
_SANDBOX_BRAND = {
    "brand_profile_id": "7442000000000000001",
    "brand_name": "Sandbox Outdoor",
    "brand_industry_id": "290102",
    "brand_industry": "Sports & Outdoors",
    "brand_website": "https://sandbox-outdoor.example.com",
    "logo_url": "https://p16-sign-va.tiktokcdn.example/obj/brand-logo/sandbox.png",
    "tiktok_account_url": "https://www.tiktok.com/@sandbox.outdoor.demo",
}


def install(sandbox: TikTokSandbox) -> None:
    """Register this part's routes on ``sandbox``."""
    sandbox.campaigns = {}
    sandbox.brand_profiles = {_SANDBOX_BRAND["brand_profile_id"]: dict(_SANDBOX_BRAND)}
    sandbox.campaign_events = []
    for method, path, handler in (
        ("POST", "tto/tcm/campaign/create/", _create),
        ("POST", "tto/tcm/campaign/update/", _update),
        ("GET", "tto/tcm/campaign/", _get),
        ("POST", "tto/tcm/campaign/link/", _link),
        ("GET", "tto/tcm/campaign/link/status/", _link_status),
        ("POST", "tto/tcm/brand/profile/create/", _brand_create),
        ("GET", "tto/tcm/brand/profile/get/", _brand_get),
        ("POST", "tto/creator/campaign/join/", _join),
        ("POST", "tto/creator/campaign/video/link/", _video_link),
        ("GET", "tto/creator/link/request/get/", _requests_get),
        ("POST", "tto/creator/link/request/confirm/", _request_confirm),
        # The marketplace part answers this too; when it does, its route comes first and this one is not reached.
        ("GET", "tto/tcm/creator/status/get/", _status_get),
    ):
        sandbox.route(method, PREFIX + path, answering(sandbox, handler))


def _public(record: dict[str, Any]) -> dict[str, Any]:
    """A campaign or link as TikTok answers it: the sandbox's own keys left out, lists copied."""
    return {k: list(v) if isinstance(v, list) else v for k, v in record.items() if k not in _OWN_KEYS}


def _digest(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


def _next_id(sandbox: TikTokSandbox, base: int, taken: dict[str, Any] | list[Any]) -> str:
    return str(base + sandbox.seed * 1_000_000 + len(taken) + 1)


# -- campaigns (the brand) ----------------------------------------------------------------------------------------


def _split_handles(sandbox: TikTokSandbox, handles: Any) -> tuple[list[str], list[str]]:
    if not isinstance(handles, list):
        raise Refusal(40002, "handle_names: Not a valid list.")
    known = [str(h) for h in handles if sandbox.population.find("tiktok", str(h).lstrip("@")) is not None]
    return known, [str(h) for h in handles if str(h) not in known]


def _create(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    body = body_of(request)
    account = required(body, "tto_tcm_account_id")
    kind = required(body, "campaign_type")
    if kind not in CAMPAIGN_TYPES:
        raise Refusal(40002, "campaign_type: Must be one of: CAMPAIGN, BRAND_LINK.")
    name = required(body, "campaign_name")
    profile = body.get("brand_profile_id")
    if profile is not None and str(profile) not in sandbox.brand_profiles:
        raise Refusal(40007, "brand_profile_id: The brand profile does not exist.")
    days = body.get("default_spark_ads_requested_authorization_days", 0)
    if days not in REQUEST_DAYS:
        raise Refusal(40002, "default_spark_ads_requested_authorization_days: Must be one of: 0, 7, 30, 60, 365.")
    handles, failed = _split_handles(sandbox, body.get("handle_names", []))
    campaign_id = _next_id(sandbox, 7442100000000000000, sandbox.campaigns)
    brand = sandbox.brand_profiles.get(str(profile), {}) if profile else {}
    dm_handle = str(body.get("business_account_handle") or "")
    campaign = {
        "campaign_id": campaign_id,
        "campaign_type": kind,
        "brand_profile_id": str(profile or ""),
        "brand_name": str(body.get("brand_name") or brand.get("brand_name", "")),
        "campaign_name": name,
        "handle_names": handles,
        "campaign_description": str(body.get("campaign_description", "")),
        "video_ids": [],
        "advertiser_ids": [str(a) for a in body.get("advertiser_ids", [])],
        "spark_ads_requested_authorization_days": days,
        "invite_link": f"https://vm.tiktok.example/tto/inv/{_digest(sandbox.seed, campaign_id)[:9]}/",
        "create_time": stamp(sandbox.population.as_of),
        "update_time": stamp(sandbox.population.as_of),
        "country_codes": ["US"],
        "failed_handle_names": failed,
        "dm_info": {"business_account_handle": dm_handle, "dm_allowed": bool(dm_handle)},
        "links": [],
        "joined": [],
        "tto_tcm_account_id": account,
        "send_notification": bool(body.get("send_notification", False)),
    }
    sandbox.campaigns[campaign_id] = campaign
    return _public(campaign)


def _campaign(sandbox: TikTokSandbox, account: str, campaign_id: str) -> dict[str, Any]:
    campaign = sandbox.campaigns.get(campaign_id)
    if campaign is None or campaign["tto_tcm_account_id"] != account:
        raise Refusal(40007, f"campaign_id: The campaign {campaign_id} does not exist.")
    return campaign


def _update(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    body = body_of(request)
    campaign = _campaign(sandbox, required(body, "tto_tcm_account_id"), required(body, "campaign_id"))
    if "handle_names" in body:
        handles, failed = _split_handles(sandbox, body["handle_names"])
        campaign["handle_names"] += [h for h in handles if h not in campaign["handle_names"]]
        campaign["failed_handle_names"] += [h for h in failed if h not in campaign["failed_handle_names"]]
    if "advertiser_ids" in body:
        campaign["advertiser_ids"] = [str(a) for a in body["advertiser_ids"]]
    campaign["send_notification"] = bool(body.get("send_notification", campaign["send_notification"]))
    campaign["update_time"] = stamp(sandbox.population.as_of)
    return _public(campaign)


def _get(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    account = required(request.params, "tto_tcm_account_id")
    ids = json_list(request, "campaign_ids")
    kind = request.params.get("campaign_type")
    found = [
        _public(c)
        for c in sandbox.campaigns.values()
        if c["tto_tcm_account_id"] == account
        and (ids is None or c["campaign_id"] in ids)
        and (kind is None or c["campaign_type"] == kind)
    ]
    page = page_of(request, "campaigns", found)
    page["dm_info"] = {"business_account_handle": "", "dm_allowed": False}
    return page


# -- video links ------------------------------------------------------------------------------------------------


def _link(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    body = body_of(request)
    campaign = _campaign(sandbox, required(body, "tto_tcm_account_id"), required(body, "campaign_id"))
    video_id, action = required(body, "video_id"), required(body, "action")
    if action not in ("LINK", "REVOKE"):
        raise Refusal(40002, "action: Must be one of: LINK, REVOKE.")
    link = next((k for k in campaign["links"] if k["video_id"] == video_id), None)
    if action == "REVOKE":
        if link is None:
            raise Refusal(40007, f"video_id: The video {video_id} is not linked to the campaign.")
        link["status"] = "REVOKE"
        campaign["video_ids"] = [v for v in campaign["video_ids"] if v != video_id]
        return _public(link)
    handle = _author(sandbox, video_id)
    if handle not in campaign["handle_names"]:
        raise Refusal(40002, f"video_id: The video's creator @{handle} is not in the campaign.")
    if link is not None and link["status"] in ("IN_REVIEW", "APPROVE"):
        link["number_of_requests"] += 1  # asking again reminds the creator
        link["last_reminded_timestamp"] = int(sandbox.population.as_of.timestamp())
        return _public(link)
    return _public(_new_link(sandbox, campaign, video_id, handle, by="brand"))


def _author(sandbox: TikTokSandbox, video_id: str) -> str:
    post = sandbox.population.post(video_id)
    account = sandbox.population.account(post.account_id) if post is not None else None
    if post is None or post.platform != "tiktok" or account is None:
        raise Refusal(40053, f"video_id: Invalid video ID {video_id}.")
    return account.handle


def _new_link(sandbox: TikTokSandbox, campaign: dict[str, Any], video_id: str, handle: str, *, by: str) -> Any:
    link = {
        "video_id": video_id,
        "status": "IN_REVIEW",
        "campaign_id": campaign["campaign_id"],
        "last_reminded_timestamp": int(sandbox.population.as_of.timestamp()),
        "number_of_requests": 1,
        "campaign_type": campaign["campaign_type"],
        "link_request_id": str(7442300000000000000 + sum(len(c["links"]) for c in sandbox.campaigns.values()) + 1),
        "handle_name": handle,
        "initiated_by": by,
    }
    campaign["links"] = [k for k in campaign["links"] if k["video_id"] != video_id] + [link]
    return link


def _approve(sandbox: TikTokSandbox, campaign: dict[str, Any], link: dict[str, Any]) -> None:
    link["status"] = "APPROVE"
    if link["video_id"] not in campaign["video_ids"]:
        campaign["video_ids"].append(link["video_id"])
    days = campaign["spark_ads_requested_authorization_days"]
    if days:  # the campaign asked for Spark Ads days: approving the link authorises them
        link["authorization_code"] = _spark.mint(sandbox, link["video_id"], days)
    _event(sandbox, campaign, link, "tto_video_published")


def _event(sandbox: TikTokSandbox, campaign: dict[str, Any], link: dict[str, Any], kind: str) -> None:
    """A TCM_VIDEOS entry, as the Subscription API sends it (``fixtures/webhook_tto_video_published.json``)."""
    number = len(sandbox.campaign_events)
    moment = sandbox.population.as_of.replace(microsecond=0)
    log_id = moment.strftime("%Y%m%d%H%M%S") + _digest(sandbox.seed, "log", number)[:20].upper()
    sandbox.campaign_events.append(
        {
            "event_type": "tto_campaign_webhook",
            "tto_campaign_event_type": kind,
            "video_id": link["video_id"],
            "campaign_id": campaign["campaign_id"],
            "tto_tcm_account_id": campaign["tto_tcm_account_id"],
            "handle_name": link["handle_name"],
            "event_time": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{number:06d}Z",
            "log_id": log_id,
        }
    )


def review(sandbox: TikTokSandbox, campaign_id: str, video_id: str, *, approve: bool = True) -> None:
    """TikTok's review of a video a creator linked: passed (``tto_video_published``) or rejected."""
    campaign = sandbox.campaigns[campaign_id]
    link = next(k for k in campaign["links"] if k["video_id"] == video_id)
    if approve:
        _approve(sandbox, campaign, link)
    else:
        link["status"] = "REJECTED"


def _link_status(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    account = required(request.params, "tto_tcm_account_id")
    ids, handles = json_list(request, "campaign_ids"), json_list(request, "handle_names")
    kind = request.params.get("campaign_type")
    found = [
        _public(link)
        for c in sandbox.campaigns.values()
        if c["tto_tcm_account_id"] == account
        and (ids is None or c["campaign_id"] in ids)
        and (kind is None or c["campaign_type"] == kind)
        for link in c["links"]
        if handles is None or link["handle_name"] in handles
    ]
    return page_of(request, "video_infos", found, size=20)


# -- brand profiles -------------------------------------------------------------------------------------------


def _brand_create(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    body = body_of(request)
    required(body, "tto_tcm_account_id")
    name = required(body, "brand_name")
    if len(name) > 60:
        raise Refusal(40002, "brand_name: Length must be at most 60.")
    website, account_url = required(body, "brand_website"), required(body, "tiktok_account_url")
    if not website.startswith("https://"):
        raise Refusal(40002, "brand_website: Must start with https://.")
    if not account_url.startswith("https://www.tiktok.com/@"):
        raise Refusal(40002, "tiktok_account_url: Must start with https://www.tiktok.com/@.")
    profile_id = _next_id(sandbox, 7442000000000000000, sandbox.brand_profiles)
    profile = {
        "brand_profile_id": profile_id,
        "brand_name": name,
        "brand_industry_id": required(body, "brand_industry_id"),
        "brand_website": website,
        "logo_url": required(body, "logo_url"),
        "tiktok_account_url": account_url,
    }
    sandbox.brand_profiles[profile_id] = profile
    return dict(profile)


def _brand_get(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    required(request.params, "tto_tcm_account_id")
    ids = json_list(request, "brand_profile_ids")
    if ids is not None and len(ids) > 20:
        raise Refusal(40011, "brand_profile_ids: At most 20 ids in one request.")
    found = [dict(p) for p in sandbox.brand_profiles.values() if ids is None or p["brand_profile_id"] in ids]
    return page_of(request, "brands", found)


# -- the creator's side ---------------------------------------------------------------------------------------


def _creator(sandbox: TikTokSandbox, source: Any) -> str:
    """The handle of the creator a ``creator_id`` names (the sandbox takes an account id or a handle)."""
    creator_id = required(source, "creator_id")
    account = sandbox.population.account(creator_id) or sandbox.population.find("tiktok", creator_id)
    if account is None or account.platform != "tiktok":
        raise Refusal(40121, "The TikTok user is not a TikTok One Creator Marketplace creator.")
    return account.handle


def _invited(sandbox: TikTokSandbox, source: Any, handle: str) -> dict[str, Any]:
    link = required(source, "tto_invite_link")
    campaign = next((c for c in sandbox.campaigns.values() if c["invite_link"] == link), None)
    if campaign is None:
        raise Refusal(40007, "tto_invite_link: The invite link does not exist.")
    if campaign["campaign_type"] == "CAMPAIGN" and handle not in campaign["handle_names"]:
        raise Refusal(40001, f"@{handle} is not invited to this campaign.")
    if handle not in campaign["joined"]:
        campaign["joined"].append(handle)
    if handle not in campaign["handle_names"]:  # a brand link is open to any creator who joins it
        campaign["handle_names"].append(handle)
    return campaign


def _join(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    body = body_of(request)
    _invited(sandbox, body, _creator(sandbox, body))
    return {}


def _video_link(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    body = body_of(request)
    handle = _creator(sandbox, body)
    campaign = _invited(sandbox, body, handle)
    video_id = required(body, "video_id")
    if _author(sandbox, video_id) != handle:
        raise Refusal(40053, f"video_id: The video {video_id} is not @{handle}'s.")
    link = _new_link(sandbox, campaign, video_id, handle, by="creator")
    _event(sandbox, campaign, link, "tto_video_uploaded")
    return {}


def _requests_get(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    handle = _creator(sandbox, request.params)
    campaign = _invited(sandbox, request.params, handle)
    pending = [
        {"video_id": k["video_id"], "link_request_id": k["link_request_id"]}
        for k in campaign["links"]
        if k["handle_name"] == handle and k["initiated_by"] == "brand" and k["status"] == "IN_REVIEW"
    ]
    days = campaign["spark_ads_requested_authorization_days"]
    return {"campaign_id": campaign["campaign_id"], "spark_authorization_days": days, "link_requests": pending}


def _request_confirm(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    body = body_of(request)
    handle = _creator(sandbox, body)
    request_id, action = required(body, "link_request_id"), required(body, "action")
    if action not in ("APPROVE", "REJECT"):
        raise Refusal(40002, "action: Must be one of: APPROVE, REJECT.")
    for campaign in sandbox.campaigns.values():
        for link in campaign["links"]:
            if link["link_request_id"] == request_id and link["handle_name"] == handle:
                if link["status"] != "IN_REVIEW":
                    raise Refusal(40002, f"link_request_id: The request is already {link['status']}.")
                if action == "APPROVE":
                    _approve(sandbox, campaign, link)
                else:
                    link["status"] = "REJECTED"
                return {}
    raise Refusal(40007, f"link_request_id: The link request {request_id} does not exist.")


def _status_get(sandbox: TikTokSandbox, request: tk.SandboxRequest) -> Any:
    """Onboarding status by handle: a creator of the population is IN, any other handle INVALID."""
    required(request.params, "tto_tcm_account_id")
    handles = json_list(request, "handle_names") or []
    known = {h for h in handles if sandbox.population.find("tiktok", h.lstrip("@")) is not None}
    return {"onboarding_status": [{"handle_name": h, "status": "IN" if h in known else "INVALID"} for h in handles]}


# -- webhooks ---------------------------------------------------------------------------------------------------


def webhook_body(sandbox: TikTokSandbox, sent_at: int) -> bytes:
    """A genuine TCM_VIDEOS delivery's body (``object`` 10) holding every campaign event so far, sent at
    ``sent_at`` (Unix seconds). With none yet, two creators of the population join a campaign and link a video
    each, and TikTok passes one of them: three events, the same ones whenever this is asked again."""
    if not sandbox.campaign_events:
        _seed_events(sandbox)
    entries = [dict(entry) for entry in sandbox.campaign_events]
    request_id = _digest("delivery", *(entry["log_id"] for entry in entries))[:32]
    request_id = f"{request_id[:8]}-{request_id[8:12]}-{request_id[12:16]}-{request_id[16:20]}-{request_id[20:]}"
    body = {"request_id": request_id, "object": 10, "time": sent_at, "entry": entries}
    return json.dumps(body, separators=(",", ":")).encode()


def _seed_events(sandbox: TikTokSandbox) -> None:
    from . import SANDBOX_ACCOUNT  # here, not at the top: the package imports this module before defining it

    creators = list(itertools.islice((a for a in sandbox.population.on("tiktok") if a.post_count > 0), 2))
    handles = [a.handle for a in creators]
    campaign = _create_directly(sandbox, SANDBOX_ACCOUNT, handles)
    for account in creators:
        video_id = next(sandbox.population.posts(account, limit=1)).post_id
        _invited(sandbox, {"tto_invite_link": campaign["invite_link"]}, account.handle)
        link = _new_link(sandbox, campaign, video_id, account.handle, by="creator")
        _event(sandbox, campaign, link, "tto_video_uploaded")
    review(sandbox, campaign["campaign_id"], campaign["links"][0]["video_id"])


def linked_campaign(sandbox: TikTokSandbox, handle: str, video_ids: list[str]) -> str:
    """A campaign of the sandbox brand with ``handle`` in it and ``video_ids`` linked and approved, as if the
    creator had joined, linked each video and TikTok had reviewed it; its id (tests and benchmarks seed reports)."""
    from . import SANDBOX_ACCOUNT

    campaign = _create_directly(sandbox, SANDBOX_ACCOUNT, [handle])
    _invited(sandbox, {"tto_invite_link": campaign["invite_link"]}, handle)
    for video_id in video_ids:
        _new_link(sandbox, campaign, video_id, handle, by="creator")
        review(sandbox, campaign["campaign_id"], video_id)
    return str(campaign["campaign_id"])


def _create_directly(sandbox: TikTokSandbox, account: str, handles: list[str]) -> dict[str, Any]:
    """A campaign made as ``tto/tcm/campaign/create/`` would, without a request (the webhook's seed)."""
    body = {
        "tto_tcm_account_id": account,
        "campaign_type": "CAMPAIGN",
        "campaign_name": "Sandbox launch videos",
        "brand_profile_id": _SANDBOX_BRAND["brand_profile_id"],
        "handle_names": handles,
        "default_spark_ads_requested_authorization_days": 30,
        "send_notification": True,
    }
    url = "https://business-api.tiktok.com" + PREFIX + "tto/tcm/campaign/create/"
    created = _create(sandbox, tk.SandboxRequest(httpx.Request("POST", url, json=body), {}))
    return sandbox.campaigns[created["campaign_id"]]
