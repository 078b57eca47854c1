"""``creatorkit usage-rights authorize/list/revoke/enforce`` on a store whose config enables TikTok in sandbox mode.

The embedding app (here: a kit opened on the same config, walking the brand's path of
``test_tiktok_end_to_end``) creates the store, connects the brand's TikTok account and takes a deal to a signed
contract allowing 30 days of paid ads with the creator's video approved in the campaign. Each command then opens a
kit of its own from the config, as a separate process would, and so builds its own TikTok plugin.

TikTok itself is one service whatever process calls it, but a sandbox lives in its plugin's memory: a plugin
built by a command would start with a TikTok that never saw the campaign, the creator's Spark Ads code or its
binding. So in these tests every plugin built gets the same sandbox (``creatorkit_tiktok._base.TikTokSandbox``
answers the one made for the test); nothing else of the plugin or the CLI changes. The last test leaves each
command its own fresh sandbox, and shows what holds then: ``list`` reads the store alone; ``revoke`` asks TikTok,
which refuses the brand's token, since that TikTok never issued it.

Time: every kit, the commands' too, reads the test's clock (``Creatorkit.open`` is given it), which starts at the
sandbox population's date, as in ``test_tiktok_end_to_end``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import creatorkit_tiktok._base
import pytest
from click.testing import CliRunner, Result
from creatorkit_tiktok._usage import NOT_BOUND
from creatorkit_tiktok.sandbox import SANDBOX_ADVERTISER, TikTokSandbox

from creatorkit import Creatorkit
from creatorkit import toolkit as tk
from creatorkit.cli import main
from creatorkit.entities import AuthorizationStatus
from creatorkit.testing import network_disabled
from creatorkit.tokens import TOKEN_KEY_ENV, generate_token_key
from world import Clock

from .test_tiktok_end_to_end import UNBIND, Journey, _share_people

pytestmark = pytest.mark.usefixtures("clean_env")

DAY = timedelta(days=1)
CONFIG = """\
[creatorkit]
store = "sqlite:///ck.db"
acting_as = "brand:brand_trail"

[platforms.tiktok]
enabled = true
mode = "sandbox"
"""
COLUMNS = ["id", "deal", "platform", "post", "status", "platform ends (UTC)", "contract ends (UTC)", "action"]


@attrs.define
class Setup:
    journey: Journey
    clock: Clock
    deal_id: str
    video_id: str

    @property
    def sandbox(self) -> TikTokSandbox:
        return self.journey.sandbox


def _one_tiktok(monkeypatch: pytest.MonkeyPatch) -> TikTokSandbox:
    """The sandbox every TikTok plugin built during the test is given (see the module's docstring)."""
    fake = tk.FakeClock()
    shared = TikTokSandbox(seed=0, clock=fake.monotonic, sleep=fake.sleep)
    _share_people(shared)

    def the_same_tiktok(*, seed: int = 0, **_: Any) -> TikTokSandbox:
        assert seed == shared.seed, "one sandbox stands for one seed's TikTok"
        return shared

    monkeypatch.setattr(creatorkit_tiktok._base, "TikTokSandbox", the_same_tiktok)
    return shared


def _on_clock(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    """Every kit opened from a config, the commands' included, reads ``clock``."""
    opened = Creatorkit.open.__func__  # type: ignore[attr-defined]

    def open_on_clock(cls: type[Creatorkit], /, config: Any = None, **options: Any) -> Creatorkit:
        kit: Creatorkit = opened(cls, config, **{"clock": clock, **options})
        return kit

    monkeypatch.setattr(Creatorkit, "open", classmethod(open_on_clock))


def _build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, shared: bool) -> Iterator[Setup]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(TOKEN_KEY_ENV, generate_token_key())
    (tmp_path / "creatorkit.toml").write_text(CONFIG)
    if shared:
        _one_tiktok(monkeypatch)
    clock = Clock(tk.Population(seed=0, size=1).as_of + timedelta(hours=9))
    _on_clock(monkeypatch, clock)
    with network_disabled(), Creatorkit.open("creatorkit.toml") as kit:
        journey = Journey(kit, clock, None)
        if not shared:
            _share_people(journey.sandbox)
        deal, _ = journey.executed()
        video_id = journey.approved()  # the creator's video, linked to the campaign and approved by TikTok
        yield Setup(journey=journey, clock=clock, deal_id=deal.id, video_id=video_id)


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    yield from _build(tmp_path, monkeypatch, shared=True)


@pytest.fixture
def apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    """The same store, but each command's plugin has a TikTok sandbox of its own."""
    yield from _build(tmp_path, monkeypatch, shared=False)


def run(*args: str) -> Result:
    with network_disabled():
        return CliRunner().invoke(main, list(args))


def rows(result: Result) -> list[dict[str, str]]:
    """The table a command printed, one dict per row (cells are two or more spaces apart)."""
    assert result.exit_code == 0, result.output
    header, rule, *lines = result.stdout.splitlines()
    assert re.split(r"\s{2,}", header.strip()) == COLUMNS and set(rule) <= {"-", " "}
    return [dict(zip(COLUMNS, re.split(r"\s{2,}", line.strip()), strict=True)) for line in lines]


def test_authorize_list_and_enforce_follow_the_contracts_end(setup: Setup) -> None:
    code = setup.sandbox.spark_code(setup.video_id, 365)  # the creator's code: a year of Spark Ads
    record_id = f"{setup.deal_id}:usage:{code}"

    [bound] = rows(run("usage-rights", "authorize", setup.deal_id, code, "--post", setup.video_id))
    assert bound == {
        "id": record_id,
        "deal": setup.deal_id,
        "platform": "tiktok",
        "post": setup.video_id,
        "status": "active (AUTHORIZED)",
        "platform ends (UTC)": "2027-11-01 00:00",
        "contract ends (UTC)": "2026-12-01 00:00",
        "action": "revoke by the contract's end",
    }
    assert setup.sandbox.spark_codes[code]["bound"] == {SANDBOX_ADVERTISER}, "bound at TikTok by the command"
    assert rows(run("usage-rights", "list")) == [bound]
    [stored] = json.loads(run("usage-rights", "list", "--deal", setup.deal_id, "--json").stdout)
    assert stored["id"] == record_id and stored["right"]["platform_ref"] == code
    assert stored["allowed_until"].startswith("2026-12-01T00:00:00")
    assert stored["right"]["ends_at"].startswith("2027-11-01T00:00:00")

    nothing = run("usage-rights", "enforce")
    assert nothing.exit_code == 0 and nothing.stdout.strip() == "nothing to revoke: every right is within its contract"
    assert setup.journey.sent_to(UNBIND) == []

    setup.clock.advance(days=31)
    [due] = rows(run("usage-rights", "list"))
    assert due["action"] == "revoke: the contract's allowance ended" and due["status"] == "active (AUTHORIZED)"

    [revoked] = rows(run("usage-rights", "enforce"))
    assert (revoked["id"], revoked["status"], revoked["action"]) == (record_id, f"revoked ({NOT_BOUND})", "-")
    assert setup.sandbox.spark_codes[code]["bound"] == set(), "unbound at TikTok"
    assert len(setup.journey.sent_to(UNBIND)) == 1
    assert rows(run("usage-rights", "list")) == [revoked]
    assert run("usage-rights", "enforce").stdout.strip() == "nothing to revoke: every right is within its contract"


def test_revoke_unbinds_one_right_and_only_for_the_deals_brand(setup: Setup) -> None:
    code = setup.sandbox.spark_code(setup.video_id, 30)
    record = setup.journey.kit.usage_rights.authorize(setup.journey.brand, setup.deal_id, code, post_id=setup.video_id)
    creator = setup.journey.creator()

    refused = run("usage-rights", "revoke", record.id, "--as", f"creator:{creator.id}")
    assert refused.exit_code == 1 and "only the deal's brand manages its usage rights" in refused.stderr
    assert setup.sandbox.spark_codes[code]["bound"] == {SANDBOX_ADVERTISER}

    [revoked] = rows(run("usage-rights", "revoke", record.id))
    assert (revoked["id"], revoked["status"]) == (record.id, f"revoked ({NOT_BOUND})")
    assert (revoked["platform ends (UTC)"], revoked["contract ends (UTC)"]) == ("2026-12-01 00:00", "2026-12-01 00:00")
    assert setup.sandbox.spark_codes[code]["bound"] == set()
    [unbind] = setup.journey.sent_to(UNBIND)
    assert unbind.token == setup.journey.token(), "the command went with the brand's stored connection"


def test_authorize_refuses_a_code_for_another_post_and_binds_nothing(setup: Setup) -> None:
    account = setup.journey.creator_account()
    other = list(setup.sandbox.population.posts(account, limit=2))[1].post_id
    code = setup.sandbox.spark_code(other, 30)

    refused = run("usage-rights", "authorize", setup.deal_id, code, "--post", setup.video_id)

    assert refused.exit_code == 1 and f"the code is for post {other}, not {setup.video_id}" in refused.stderr
    assert setup.sandbox.spark_codes[code]["bound"] == set()
    assert run("usage-rights", "list").stdout.strip() == "no usage rights"


def test_with_a_tiktok_of_its_own_a_command_lists_from_the_store_but_cannot_revoke(apart: Setup) -> None:
    code = apart.sandbox.spark_code(apart.video_id, 365)
    record = apart.journey.kit.usage_rights.authorize(apart.journey.brand, apart.deal_id, code, post_id=apart.video_id)

    [listed] = rows(run("usage-rights", "list"))
    assert (listed["id"], listed["status"], listed["action"]) == (
        record.id,
        "active (AUTHORIZED)",
        "revoke by the contract's end",
    )

    # The command's TikTok issued no token to the brand: it refuses the stored connection's (40105).
    refused = run("usage-rights", "revoke", record.id)
    assert refused.exit_code == 1 and "(code 40105)" in refused.stderr
    assert "`creatorkit connect tiktok`" in refused.stderr and apart.journey.token() not in refused.output
    assert apart.sandbox.spark_codes[code]["bound"] == {SANDBOX_ADVERTISER}, "the setup's TikTok still has it bound"
    assert apart.journey.kit.usage_rights.list(apart.journey.brand) == [record], "nothing recorded"
    [connection] = apart.journey.kit.connections.list(apart.journey.brand)
    assert connection.status is AuthorizationStatus.ACTIVE
