"""What each cache and fast path of the workflow saves: instructions per deal with it switched off, minus with it.

``python bench/cache_gains.py [NAME ...]`` measures the deal of ``bench/workflow_instructions.py`` once as it
is and once per entry of :data:`SWITCHES` with that entry switched off (a patch applied in the measured process
only), with a constant and an advancing clock, and prints JSON: the instructions each one saves per deal. A
cache that saves nothing measurable is deleted, not kept "just in case"; this is how to tell. It takes a few
minutes per entry. A diagnostic, not a benchmark with a goal.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from workflow_instructions import count

#: What switches each cache or fast path off, by name. Each patch is run before the deals, in their process.
SWITCHES: dict[str, str] = {
    # Entity constructors generated with their type checks inline (creatorkit.entities._construction): off, every
    # entity is built by attrs' own constructor.
    "entity_constructors": (
        "from creatorkit import entities as ent\n"
        "from creatorkit.entities import _construction\n"
        "ent.AudienceShare.__init__ = _construction.uninstall()[ent.AudienceShare]"
    ),
    # Entities built from stored records, reused per stored version (creatorkit._change.EntityCache).
    "entity_cache": (
        "from creatorkit._change import EntityCache\n"
        "from creatorkit.converter import structure\n"
        "EntityCache.entity = lambda self, record, cls: structure(record.doc, cls)"
    ),
    # A saved entity converts only its changed fields, from the version it replaces (Change._document_over).
    "evolved_documents": "from creatorkit._change import EntityCache\nEntityCache.built = lambda self, *key: None",
    # A contract's content hash, remembered with its stored document (EntityCache.derived).
    "contract_hash": (
        "from creatorkit._change import EntityCache\n"
        "EntityCache.derived = lambda self, record, name, compute: compute(record.doc)"
    ),
    # Compiled Jinja templates, by text (creatorkit.workflow._templates._compiled).
    "template_compilation": (
        "from creatorkit.workflow import _templates\n_templates._compiled = _templates._compiled.__wrapped__"
    ),
    # A brief's content rules compiled once per value (creatorkit.workflow._content_rules._compiled_once).
    "compiled_content_rules": (
        "from creatorkit.workflow import _content_rules\n"
        "_content_rules._compiled_once = _content_rules._compiled_once.__wrapped__"
    ),
    # Committed documents a SQLite connection keeps while no other connection has written.
    "store_known_documents": (
        "from creatorkit.store import SqliteStore\nSqliteStore._valid_cache = lambda self, conn: None"
    ),
}


def gains(names: list[str] | None = None, few: int = 5, many: int = 35) -> dict[str, Any]:
    chosen = names or list(SWITCHES)
    unknown = sorted(set(chosen) - set(SWITCHES))
    if unknown:
        raise SystemExit(f"unknown: {', '.join(unknown)}; known: {', '.join(SWITCHES)}")
    result: dict[str, Any] = {"unit": "instructions/deal saved", "deals": [few, many]}
    for advancing in (False, True):
        clock = "advancing" if advancing else "constant"
        base = count(few, many, advancing=advancing)["value"]
        result[f"baseline_{clock}_clock"] = base
        for name in chosen:
            off = count(few, many, advancing=advancing, patch=SWITCHES[name])["value"]
            result.setdefault(name, {})[f"{clock}_clock"] = off - base
            print(f"{name} ({clock} clock): saves {off - base:,}", file=sys.stderr, flush=True)
    return result


if __name__ == "__main__":
    print(json.dumps(gains(sys.argv[1:] or None), indent=2))
