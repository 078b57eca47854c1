"""No access token, refresh token, client secret or signature in an error, a log record or a repr."""

from __future__ import annotations

import logging

import httpx
import pytest

from creatorkit import CreatorkitError
from creatorkit.toolkit import (
    ApiConfig,
    FakeClock,
    Fault,
    RefreshingToken,
    SandboxTokens,
    StaticToken,
    TokenPlacement,
    build_client,
    mask_query,
)

from .conftest import ExampleSandbox, MakeClient

CLIENT_SECRET = "cs_live_8f3a9b2c7d"
SIGNATURE = "sig_0a1b2c3d4e5f"


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)


def error_text(error: BaseException) -> str:
    parts = []
    current: BaseException | None = error
    while current is not None:
        parts += [str(current), repr(current), repr(getattr(current, "details", ""))]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


@pytest.mark.parametrize("placement", [TokenPlacement.bearer(), TokenPlacement.in_query()], ids=["header", "query"])
def test_tokens_stay_out_of_errors_and_logs(
    make_client: MakeClient,
    sandbox: ExampleSandbox,
    caplog: pytest.LogCaptureFixture,
    placement: TokenPlacement,
    some_post_id: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    client, tokens = make_client(placement=placement, secrets=(CLIENT_SECRET,))
    first = tokens.access_token()
    shown: list[str] = []
    client.get(f"posts/{some_post_id}", params={"secret": CLIENT_SECRET, "sign": SIGNATURE})
    for fault in (Fault.EXPIRED_TOKEN, Fault.SERVER_ERROR, Fault.TIMEOUT, Fault.MALFORMED, Fault.REVOKED_TOKEN):
        sandbox.fail(fault, times=8)
        try:
            client.get(f"posts/{some_post_id}", params={"secret": CLIENT_SECRET, "sign": SIGNATURE})
        except CreatorkitError as error:
            shown.append(error_text(error))
        sandbox.reset()
    assert len(shown) == 5
    assert any(r.name == "httpx" for r in caplog.records), "httpx logs each request it completes at INFO"
    secrets = [first, tokens.access_token(), CLIENT_SECRET, SIGNATURE]
    text = "\n".join(shown) + everything_logged(caplog)
    assert not [s for s in secrets if s in text]
    assert f"{CLIENT_SECRET}" not in repr(client) and first not in repr(client._transport)


def test_a_platform_message_quoting_the_token_is_scrubbed(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].removeprefix("Bearer ")
        return httpx.Response(400, json={"error": f"bad token {token} for app secret {CLIENT_SECRET}"})

    from creatorkit.toolkit import Envelope

    config = ApiConfig(
        platform="example",
        base_url="https://api.example.test/",
        envelope=Envelope(code="code", message="error", code_required=False, success_codes=()),
    )
    client = build_client(
        config,
        tokens=StaticToken("tok_live_supersecret"),
        secrets=lambda: [CLIENT_SECRET],
        transport=httpx.MockTransport(handler),
        clock=clock.monotonic,
        sleep=clock.sleep,
    )
    with pytest.raises(CreatorkitError) as raised:
        client.get("me")
    text = error_text(raised.value)
    assert "tok_live_supersecret" not in text and CLIENT_SECRET not in text and "***" in text


def test_reprs_hide_tokens(clock: FakeClock) -> None:
    issued = SandboxTokens(clock=clock.monotonic).issue("creator-1")
    values = [issued.access_token, issued.refresh_token]
    objects = [issued, StaticToken(values[0]), RefreshingToken(values[0], lambda: values[1]), SandboxTokens()]
    assert not [v for v in values for o in objects if v in repr(o)]


def test_secret_query_parameters_are_masked() -> None:
    url = "https://business-api.tiktok.com/open_api/v1.3/oauth2/tcm/get/?app_id=7&secret=s3cr3t&Access_Token=t0k"
    masked = mask_query(url)
    assert "s3cr3t" not in masked and "t0k" not in masked and "app_id=7" in masked
    assert mask_query("https://x.test/a?b=1") == "https://x.test/a?b=1"
