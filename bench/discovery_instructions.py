"""Machine instructions one page of ``discovery.pages_per_s`` costs, counted by valgrind: a figure load does not move.

``python bench/discovery_instructions.py [FEW MANY]`` walks the TikTok plugin's discovery pages as
``bench_tiktok`` does (20 creators a page, against the sandbox with no latency, through the cursor and again from
the start at the end) under ``valgrind --tool=callgrind``, once with FEW pages and once with MANY (default 10 and
40) after the same setup (the plugin built, the sandbox's population encoded, one page read), and prints JSON
with the difference divided by MANY - FEW: the user-space instructions one page costs. The wall-clock benchmark
swings by half on a shared 2-core machine; this count repeats to within a fraction of a percent, so it tells
whether a change to the plugin or to the entities made a page cheaper. It takes a few minutes. A diagnostic,
not a benchmark with a goal.

``--without NAME`` measures with one entry of :data:`SWITCHES` switched off (a patch applied in the measured
process only): what that cache or fast path saves is the difference from the figure without the flag.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from workflow_instructions import _instructions

#: What switches each cache of the discovery path off, by name. Each patch is run before the pages, in their process.
SWITCHES: dict[str, str] = {
    # Entity constructors generated with their type checks inline (creatorkit.entities._construction): off, every
    # entity is built by attrs' own constructor.
    "entity_constructors": (
        "from creatorkit import entities as ent\n"
        "from creatorkit.entities import _construction\n"
        "ent.AudienceShare.__init__ = _construction.uninstall()[ent.AudienceShare]"
    ),
    # A validator's test written into the generated constructors (entities._common.raises_only_if), so a valid
    # value costs no call: off, every constructor is generated again calling each validator, as before.
    "validator_tests_inline": (
        "from creatorkit import entities as ent\n"
        "from creatorkit.entities import _construction\n"
        "_construction._raises_test = lambda validator, name, names: None\n"
        "_originals = _construction.uninstall()\n"
        "_construction.install([cls for cls in _originals if cls is not ent.AudienceShare])\n"
        "ent.AudienceShare.__init__ = _construction.generated(ent.AudienceShare)"
    ),
    # An audience breakdown's keys checked once per dimension and list of keys (entities._audience._check_keys).
    "audience_keys": (
        "from creatorkit.entities import _audience\n_audience._check_keys = _audience._check_keys.__wrapped__"
    ),
    # A TikTok price in whole major units scaled in integers rather than read as a decimal (_insights._money).
    "tiktok_whole_prices": "from creatorkit_tiktok import _insights\n_insights._WHOLE_PRICE_LIMIT = 0",
    # A path joined to the client's base URL once, not on every call (toolkit._client._PlatformClient._merge_url).
    "client_joined_paths": (
        "import httpx\n"
        "from creatorkit.toolkit import _client\n"
        "_client._PlatformClient._merge_url = httpx.Client._merge_url"
    ),
    # A request's query set on its joined URL without parsing the URL again (toolkit._client._WITH_QUERY): off,
    # httpx merges the query and parses the whole URL, as it does for any client.
    "client_query_on_joined_url": "from creatorkit.toolkit import _client\n_client._WITH_QUERY = None",
    # A call's first attempt made directly, tenacity built only after it failed (toolkit._retry): off, every call
    # runs inside a tenacity Retrying from its first attempt, as before.
    "retry_first_attempt": (
        "from creatorkit.toolkit import _client, _retry\n"
        "def _always_tenacity(attempt, *, policy, idempotent, clock, sleep, rng=None, deadline=None, describe=''):\n"
        "    started = clock()\n"
        "    limit = started + policy.total if deadline is None else min(deadline, started + policy.total)\n"
        "    return _retry._retrying(policy, idempotent, clock, sleep, rng, limit, describe)(attempt)\n"
        "_client.call_with_retries = _always_tenacity"
    ),
    # The core categories of a creator's TikTok label names (creatorkit_tiktok._insights._categories).
    "tiktok_label_categories": (
        "from creatorkit_tiktok import _insights\n_insights._categories = _insights._categories.__wrapped__"
    ),
    # A TikTok bucket label's canonical key (creatorkit_tiktok._insights._canonical).
    "tiktok_bucket_labels": (
        "from creatorkit_tiktok import _insights\n_insights._canonical = _insights._canonical.__wrapped__"
    ),
}

_RUN_PAGES = """
import sys
sys.path.insert(0, {bench!r})
{patch}
import attrs
from bench_tiktok import PAGE_SIZE
from creatorkit_tiktok import TikTokPlatform
from creatorkit import entities as ent
plugin = TikTokPlatform()
query = ent.DiscoveryQuery(limit=PAGE_SIZE)
plugin.creatorkit_discover_creators(query, None)
cursor = None
for _ in range(int(sys.argv[1])):
    cursor = plugin.creatorkit_discover_creators(attrs.evolve(query, cursor=cursor), None).next_cursor
"""


def count(few: int = 10, many: int = 40, *, without: str | None = None) -> dict[str, Any]:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    if not 0 <= few < many:
        raise SystemExit("give FEW < MANY, e.g. 10 40")
    if without is not None and without not in SWITCHES:
        raise SystemExit(f"unknown: {without}; known: {', '.join(SWITCHES)}")
    patch = SWITCHES[without] if without is not None else ""
    script = _RUN_PAGES.format(bench=str(Path(__file__).resolve().parent), patch=patch)
    low, high = _instructions(script, few), _instructions(script, many)
    return {
        "name": "discovery.instructions_per_page",
        "value": round((high - low) / (many - few)),
        "unit": "instructions/page",
        "pages": [few, many],
        "without": without,
        "note": "user-space instructions (callgrind), setup excluded by difference; 20 creators a page",
    }


if __name__ == "__main__":
    switched = sys.argv.index("--without") if "--without" in sys.argv else None
    name = sys.argv[switched + 1] if switched is not None else None
    numbers = [int(a) for a in (sys.argv[1:switched] if switched is not None else sys.argv[1:])][:2]
    print(json.dumps(count(*numbers, without=name), indent=2))
