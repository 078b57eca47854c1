"""The entity field reference (``docs/entities.md``), written from the schemas: every field, its type, default,
meaning and rules, so that the documentation can never say what the schemas do not.

Regenerate after changing a schema (a test fails while the file is stale)::

    python -m creatorkit.schemas._reference > docs/entities.md
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from . import load, names

__all__ = ["reference"]

_HEADER = """# Entity field reference

Every entity creatorkit stores or exchanges, field by field, as its JSON Schema (in `creatorkit.schemas`, one
`<Name>.json` each) states it. Import each class from `creatorkit.entities`; `creatorkit.unstructure(value)`
gives the plain form described here (every field present, datetimes as RFC 3339 strings with an offset, enums as
their values) and `creatorkit.structure(data, Class)` reads it back, naming every field that does not fit.

This file is generated from the schemas: `python -m creatorkit.schemas._reference > docs/entities.md`.
"""


def reference() -> str:
    """The whole reference, as Markdown."""
    entities = [name for name in names() if name != "CreatorkitConfig"]
    parts = [_HEADER, "| entity | what it is |", "|---|---|"]
    parts.extend(f"| [{name}](#{name.lower()}) | {_cell(load(name).get('description', ''))} |" for name in entities)
    for name in entities:
        parts.extend(_entity(name, load(name)))
    return "\n".join(parts) + "\n"


def _entity(name: str, schema: Mapping[str, Any]) -> Iterator[str]:
    yield ""
    yield f"## {name}"
    yield ""
    if schema.get("description"):
        yield str(schema["description"])
        yield ""
    properties: Mapping[str, Any] = schema.get("properties", {})
    if not properties:
        yield f"Type: {_type(schema)}."
        return
    yield "| field | type | default | meaning and rules |"
    yield "|---|---|---|---|"
    for field, prop in properties.items():
        default = f"`{json.dumps(prop['default'], ensure_ascii=False)}`" if "default" in prop else "required"
        meaning = " ".join(part for part in (prop.get("description", ""), _rules(prop)) if part)
        yield f"| `{field}` | {_type(prop)} | {_cell(default)} | {_cell(meaning)} |"
    rules = [rule for rule in (_rules(schema),) if rule]
    if rules:
        yield ""
        yield "Rules: " + " ".join(rules)


def _type(prop: Mapping[str, Any]) -> str:
    if "$ref" in prop:
        target = str(prop["$ref"]).removesuffix(".json")
        return f"[{target}](#{target.lower()})"
    for combinator in ("oneOf", "anyOf"):
        if combinator in prop:
            return " or ".join(_type(option) for option in prop[combinator])
    kinds = prop.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    words = []
    for kind in kinds:
        if kind == "array":
            words.append(f"list of {_type(prop.get('items', {}))}")
        elif kind == "object" and isinstance(prop.get("additionalProperties"), Mapping):
            words.append(f"map of string to {_type(prop['additionalProperties'])}")
        elif kind == "string" and prop.get("format"):
            words.append(str(prop["format"]))
        else:
            words.append(str(kind))
    return " or ".join(words)


def _rules(prop: Mapping[str, Any]) -> str:
    """The constraints of ``prop`` in words."""
    rules = []
    if "enum" in prop:
        rules.append("One of " + ", ".join(f"`{value}`" for value in prop["enum"] if value is not None) + ".")
    if "const" in prop:
        rules.append(f"Always `{prop['const']}`.")
    bounds = [
        ("minimum", "at least"),
        ("exclusiveMinimum", "more than"),
        ("maximum", "at most"),
        ("exclusiveMaximum", "less than"),
    ]
    for keyword, words in bounds:
        if keyword in prop:
            rules.append(f"{words.capitalize()} {prop[keyword]}.")
    if "minLength" in prop:
        rules.append(f"At least {prop['minLength']} characters.")
    if "maxLength" in prop:
        rules.append(f"At most {prop['maxLength']} characters.")
    if "minItems" in prop:
        rules.append(f"At least {prop['minItems']} items.")
    if "maxItems" in prop:
        rules.append(f"At most {prop['maxItems']} items.")
    if prop.get("uniqueItems"):
        rules.append("No item twice.")
    if "pattern" in prop:
        rules.append(f"Matches `{prop['pattern']}`.")
    items = prop.get("items")
    if isinstance(items, Mapping) and "$ref" not in items:
        inner = _rules(items)
        if inner:
            rules.append(f"Each item: {inner}")
    if prop.get("writeOnly"):
        rules.append("A secret: never shown back.")
    return " ".join(rules)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


if __name__ == "__main__":
    sys.stdout.write(reference())
