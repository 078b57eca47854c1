"""The public surface: explicit, sorted ``__all__`` lists that are complete, and one drawn error hierarchy."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import typing
from pathlib import Path
from types import ModuleType

import click
import pytest

import creatorkit
from creatorkit import errors


def public_modules() -> list[str]:
    """Every module of the package a user may import: none of its path's parts is ``_private``."""
    found = ["creatorkit"]
    for info in pkgutil.walk_packages(creatorkit.__path__, prefix="creatorkit."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            found.append(info.name)
    # The JSON Schemas are package data laid out in a folder of their own (see pyproject's package-dir): an
    # editable install does not show them under creatorkit.__path__.
    if "creatorkit.schemas" not in found:
        found.append("creatorkit.schemas")
    return sorted(found)


MODULES = public_modules()


def isort_key(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps: CONSTANTS, then Classes, then everything else, each alphabetically."""
    if len(name) > 1 and name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def _is_type_checking_block(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _from_own_submodule(node: ast.ImportFrom, package: str) -> bool:
    return node.level == 1 or (node.level == 0 and (node.module or "").startswith(package + "."))


def bound_names(module: ModuleType) -> set[str]:
    """The names the module's own source makes public-looking: what it defines and, for a package, what it
    imports from creatorkit (also under ``if TYPE_CHECKING:``, the way lazily resolved re-exports are declared).

    A package's imports from its own submodules are its re-exports; anything else it or a plain module imports
    (from elsewhere in creatorkit, the standard library or third parties: ``StoreError``, ``Any``) is plumbing.
    """
    is_package = hasattr(module, "__path__")
    tree = ast.parse(Path(inspect.getfile(module)).read_text(encoding="utf-8"))
    statements = list(tree.body)
    for node in tree.body:
        if _is_type_checking_block(node):
            statements.extend(node.body)  # type: ignore[attr-defined]
    names: set[str] = set()
    for node in statements:
        if isinstance(node, ast.ImportFrom) and is_package and _from_own_submodule(node, module.__name__):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def public_names(module: ModuleType) -> set[str]:
    """Names a user can reach that look public: bound by the module's source, or advertised by its
    ``__dir__`` for lazy resolution through a module ``__getattr__``; never ``_private`` or a submodule that
    is only an attribute because something imported it.

    Not API, though public-looking: type variables, the hook specifications (pluggy reads them; plugin authors
    implement them, and docs/plugins.md documents each) and the CLI's commands (docs/cli.md documents them).
    """
    names = bound_names(module)
    if hasattr(module, "__getattr__"):
        names |= {n for n in dir(module) if n not in vars(module)}
    return {n for n in names if not n.startswith("_") and not _plumbing(module, n)}


def _plumbing(module: ModuleType, name: str) -> bool:
    value = getattr(module, name, None)
    if isinstance(value, typing.TypeVar):
        return True
    if module.__name__ == "creatorkit.hookspecs" and name.startswith("creatorkit_"):
        return True
    return isinstance(value, click.Command) and module.__name__ == "creatorkit.cli"


@pytest.mark.parametrize("module_name", MODULES)
class TestAll:
    def test_is_sorted(self, module_name: str) -> None:
        exported = importlib.import_module(module_name).__all__
        assert exported == sorted(exported, key=isort_key)
        assert len(set(exported)) == len(exported), "__all__ lists a name twice"

    def test_every_name_resolves(self, module_name: str) -> None:
        module = importlib.import_module(module_name)
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert not missing

    def test_is_complete(self, module_name: str) -> None:
        module = importlib.import_module(module_name)
        left_out = public_names(module) - set(module.__all__)
        assert not left_out, f"public names missing from {module_name}.__all__: {sorted(left_out)}"

    def test_star_import_gives_exactly_all(self, module_name: str) -> None:
        namespace: dict[str, object] = {}
        exec(f"from {module_name} import *", namespace)
        namespace.pop("__builtins__")
        assert set(namespace) == set(importlib.import_module(module_name).__all__)


def test_the_public_modules_are_the_documented_ones() -> None:
    # A new public module is a decision: add it here, with its docstring saying what it is for.
    assert MODULES == [
        "creatorkit",
        "creatorkit.analytics",
        "creatorkit.audit",
        "creatorkit.cli",
        "creatorkit.config",
        "creatorkit.converter",
        "creatorkit.discovery",
        "creatorkit.entities",
        "creatorkit.errors",
        "creatorkit.hookspecs",
        "creatorkit.host",
        "creatorkit.ledger",
        "creatorkit.matching",
        "creatorkit.money",
        "creatorkit.parties",
        "creatorkit.payments",
        "creatorkit.schemas",
        "creatorkit.signing",
        "creatorkit.store",
        "creatorkit.testing",
        "creatorkit.tokens",
        "creatorkit.toolkit",
        "creatorkit.webhooks",
        "creatorkit.workflow",
        "creatorkit.workflow.contracting",
    ]


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_module_says_what_it_is_for(module_name: str) -> None:
    assert (importlib.import_module(module_name).__doc__ or "").strip()


def test_root_reexports_are_the_originals() -> None:
    for name in creatorkit.__all__:
        value = getattr(creatorkit, name)
        if name in errors.__all__:
            assert value is getattr(errors, name)
        if name in creatorkit.entities.__all__:
            assert value is getattr(creatorkit.entities, name)


def test_root_exports_every_error() -> None:
    assert set(errors.__all__) <= set(creatorkit.__all__)


# -- the error hierarchy -------------------------------------------------------------------------------------


def error_classes() -> dict[str, type[BaseException]]:
    return {
        name: value
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == errors.__name__
    }


def public_parent(cls: type) -> type:
    """The nearest public error class above ``cls``; private mixins (``_ProblemsError``) are skipped."""
    for base in cls.__mro__[1:]:
        if base.__module__ == errors.__name__ and not base.__name__.startswith("_"):
            return base
    raise AssertionError(f"{cls.__name__} has no public creatorkit error above it")


def drawn_tree() -> dict[str, str | None]:
    """Each class name in the errors module docstring's tree, mapped to the class drawn above it."""
    doc = errors.__doc__ or ""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        match = re.match(r"^(\s*)((?:[│ ]   )*)(?:[├└]── )?([A-Z]\w*Error|[A-Z]\w+)\b(?:\s{2,}|$)", line)
        if not match or ("──" not in line and match.group(3) != "CreatorkitError"):
            continue
        depth = 0 if "──" not in line else len(match.group(2)) // 4 + 1
        name = match.group(3)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[name] = stack[-1][1] if stack else None
        stack.append((depth, name))
    return parents


def test_every_error_derives_from_creatorkit_error() -> None:
    for name, cls in error_classes().items():
        assert issubclass(cls, errors.CreatorkitError), name


def test_the_only_non_error_class_is_problem() -> None:
    classes = {n for n, v in vars(errors).items() if inspect.isclass(v) and v.__module__ == errors.__name__}
    assert classes - set(error_classes()) == {"Problem"}


def test_every_public_error_is_exported() -> None:
    public = {n for n in error_classes() if not n.startswith("_")}
    assert public <= set(errors.__all__)


def test_the_drawn_tree_lists_every_error_under_its_parent() -> None:
    tree = drawn_tree()
    public = {n: c for n, c in error_classes().items() if not n.startswith("_")}
    assert set(tree) == set(public), "the tree in errors.py's docstring and the error classes differ"
    assert tree["CreatorkitError"] is None
    for name, cls in public.items():
        if name != "CreatorkitError":
            assert tree[name] == public_parent(cls).__name__, f"{name} is drawn under the wrong parent"
