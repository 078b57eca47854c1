"""The shape docs/architecture.md draws: which layer may import which, and how long a function or module may be."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "core"

#: Layer of each module, by the longest matching prefix of its dotted name.
LAYERS = {
    "creatorkit.entities": "values",
    "creatorkit.errors": "values",
    "creatorkit.money": "values",
    "creatorkit.payments": "values",
    "creatorkit.converter": "values",
    "creatorkit.config": "values",
    "creatorkit.signing": "values",
    "creatorkit.tokens": "values",
    "creatorkit.schemas": "values",
    "creatorkit._canonical": "values",
    "creatorkit._memo": "values",
    "creatorkit._env_keys": "values",
    "creatorkit._redaction": "values",
    "creatorkit._text": "values",
    "creatorkit._version": "values",
    "creatorkit.store": "store",
    "creatorkit.audit": "audit chain",
    "creatorkit.audit._evidence": "audit evidence",
    "creatorkit._call_context": "plugin host",
    "creatorkit.hookspecs": "plugin host",
    "creatorkit.host": "plugin host",
    "creatorkit.discovery": "discovery",
    "creatorkit._change": "services",
    "creatorkit._service": "services",
    "creatorkit.parties": "parties",
    "creatorkit.workflow": "workflow",
    "creatorkit.ledger": "ledger",
    "creatorkit.analytics": "analytics",
    "creatorkit.matching": "matching",
    "creatorkit.reports": "reports",
    "creatorkit.testing": "conformance kit",
    "creatorkit.toolkit": "toolkit",
    "creatorkit.webhooks": "webhooks",
    "creatorkit._kit": "top",
    "creatorkit.cli": "top",
    "creatorkit": "top",
}

#: What each layer may import at run time (imports under ``if TYPE_CHECKING:`` only name types).
MAY_IMPORT = {
    "values": {"values"},
    "store": {"values", "audit chain"},
    "audit chain": {"values"},
    "plugin host": {"values"},
    "discovery": {"values", "plugin host"},
    "services": {"values", "store"},
    "parties": {"values", "store", "services"},
    "workflow": {"values", "store", "audit chain", "plugin host", "services", "parties", "ledger"},
    "ledger": {"values", "store", "services"},
    "analytics": {"values"},
    # Matching a brief reads the store and the plugins, the content rules (brand safety) and the analytics scores.
    "matching": {"values", "store", "plugin host", "discovery", "services", "parties", "workflow", "analytics"},
    # A campaign's report joins what the workflow keeps (deals, posts, snapshots) with what analytics computes.
    "reports": {"values", "store", "services", "parties", "workflow", "analytics"},
    "audit evidence": {"values", "store", "audit chain", "services", "parties", "workflow"},
    "toolkit": {"values", "plugin host"},
    "conformance kit": {"values", "plugin host", "toolkit"},
    "webhooks": {"values", "store", "plugin host", "services"},
    "top": set(LAYERS.values()),
}

#: Imports across layers that the table does not allow, each with its reason.
EXCEPTIONS = {
    # The creator page counts a creator's deals by board tab, a column of the state table (plain data).
    ("creatorkit.parties._creator_pages", "creatorkit.workflow._states"),
    # Resolved on first use of creatorkit.audit.AuditService, so that the store's import of the chain's hashing
    # never pulls in the services.
    ("creatorkit.audit", "creatorkit.audit._evidence"),
    # The conformance kit's webhook suite delivers through the path an embedding app uses, kit.webhooks.receive,
    # on an in-memory store without audit keys: a replay is refused by the core's record, not by the plugin.
    ("creatorkit.testing._webhooks", "creatorkit._kit"),
    ("creatorkit.testing._webhooks", "creatorkit.store"),
    ("creatorkit.testing._webhooks", "creatorkit.audit"),
    # Connections and grants build the call context their token source goes in (an attrs value, nothing more).
    ("creatorkit.parties._connections", "creatorkit._call_context"),
    ("creatorkit.parties._grants", "creatorkit._call_context"),
    ("creatorkit.parties._authorizations", "creatorkit._call_context"),
    ("creatorkit.parties._tokens", "creatorkit._call_context"),
    # The budget planner prices each candidate through the configured fee policy with the ledger's split, so that
    # a plan's cost rounds as the real deal's will; imported when a policy is given, and nothing else of the ledger.
    ("creatorkit.analytics._planner", "creatorkit.ledger"),
    # kit.catalog (a service: permission, one transaction, its audit event) checks and converts a catalog file with
    # the analytics' column checks and hands back the analytics' Catalog, built from the store's columns.
    ("creatorkit.workflow._catalog", "creatorkit.analytics"),
    ("creatorkit.workflow._catalog", "creatorkit.analytics._catalog_checks"),
    ("creatorkit.workflow._catalog", "creatorkit.analytics._catalog_file"),
}

MAX_FUNCTION_LINES, MAX_MODULE_LINES = 60, 600
#: What a long function's or module's docstring says, with the reason it is long.
LONG_REASON = "Why this is long:"


def layer_of(module: str) -> str:
    best = max((prefix for prefix in LAYERS if module == prefix or module.startswith(prefix + ".")), key=len)
    return LAYERS[best]


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(CORE.rglob("*.py")):
        parts = ["creatorkit", *path.relative_to(CORE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def runtime_imports(module: str, path: Path) -> Iterator[str]:
    """The creatorkit modules ``module`` imports at run time (``if TYPE_CHECKING:`` blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    type_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("creatorkit"):
                names = [alias.name for alias in node.names]
                # ``from . import x`` imports the submodule x.
                yield from (f"{target}.{n}" for n in names) if not node.module and node.level else [target]
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("creatorkit"))


MODULES = list(modules())


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_imports_follow_the_layers(module: str, path: Path) -> None:
    layer = layer_of(module)
    allowed = MAY_IMPORT[layer] | {layer}
    wrong = sorted(
        target
        for target in set(runtime_imports(module, path))
        if layer_of(target) not in allowed and (module, target) not in EXCEPTIONS
    )
    assert not wrong, f"{module} ({layer}) may not import {wrong} (see docs/architecture.md)"


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_functions_and_modules_are_short_or_say_why(module: str, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    if len(text.splitlines()) > MAX_MODULE_LINES:
        assert LONG_REASON in (ast.get_docstring(tree) or ""), f"{module} is over {MAX_MODULE_LINES} lines"
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                assert LONG_REASON in (ast.get_docstring(node) or ""), (
                    f"{module}:{node.lineno} {node.name} is {length} lines (over {MAX_FUNCTION_LINES})"
                )


def test_the_layers_are_the_documented_ones() -> None:
    doc = (CORE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "tests/test_layout.py" in doc
    folders = {path.parent.name for path in CORE.glob("*/__init__.py")}
    for name in sorted(folders | {"hookspecs.py", "cli.py", "_change.py", "_service.py", "_kit.py"}):
        assert f"`{name}" in doc or f"{name}/" in doc, f"docs/architecture.md does not mention {name}"


def test_a_wrong_import_is_caught(tmp_path: Path) -> None:
    module = tmp_path / "x.py"
    module.write_text("from ..workflow import _machine\nif TYPE_CHECKING:\n    from ..cli import main\n")
    found = set(runtime_imports("creatorkit.store._x", module))
    assert found == {"creatorkit.workflow"}
    assert layer_of("creatorkit.workflow") not in MAY_IMPORT["store"]
