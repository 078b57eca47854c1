"""The documentation keeps up with the code: every hook, CLI command and config key is documented as it is."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import click
import pytest

from creatorkit import hookspecs, schemas
from creatorkit.cli import main
from creatorkit.config import Config, WorkflowSettings

DOCS = Path(__file__).resolve().parent.parent / "docs"


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


# -- hooks ---------------------------------------------------------------------------------------------------


def hook_specs() -> dict[str, Callable[..., Any]]:
    """Every function in creatorkit.hookspecs carrying the hookspec marker."""
    marker = f"{hookspecs.PROJECT}_spec"
    return {
        name: value
        for name, value in vars(hookspecs).items()
        if name.startswith(f"{hookspecs.PROJECT}_") and callable(value) and hasattr(value, marker)
    }


def _annotation(annotation: Any) -> str:
    # With `from __future__ import annotations` inspect hands back the source text; otherwise an object.
    return annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)


def render_signature(name: str, function: Callable[..., Any]) -> str:
    """``def name(a: T, b: U = d) -> R`` from the spec itself, annotations as written in the source."""
    signature = inspect.signature(function)
    params = []
    for param in signature.parameters.values():
        text = param.name
        if param.annotation is not inspect.Parameter.empty:
            text += f": {_annotation(param.annotation)}"
        if param.default is not inspect.Parameter.empty:
            text += f" = {param.default!r}"
        params.append(text)
    returns = signature.return_annotation
    arrow = "" if returns is inspect.Signature.empty else f" -> {_annotation(returns)}"
    return f"def {name}({', '.join(params)}){arrow}"


def normalize(signature: str) -> str:
    """Compare signatures without caring about spacing, quotes or module prefixes (``typing.Any``)."""
    text = signature.strip().removesuffix(":")
    text = re.sub(r"#.*$", "", text)
    text = text.replace("'", "").replace('"', "")
    text = re.sub(r"\b(?:[A-Za-z_]\w*\.)+(?=[A-Za-z_])", "", text)
    return re.sub(r"\s+", "", text)


SECTION = re.compile(r"^### (creatorkit_\w+)\s*$", re.MULTILINE)
CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def documented_hooks() -> dict[str, str]:
    """Each ``### creatorkit_<name>`` section of plugins.md and the text up to the next heading."""
    text = read("plugins.md")
    sections: dict[str, str] = {}
    matches = list(SECTION.finditer(text))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        body = text[match.end() : end]
        body = re.split(r"^#{1,3} ", body, maxsplit=1, flags=re.MULTILINE)[0]
        assert match.group(1) not in sections, f"{match.group(1)} is documented twice"
        sections[match.group(1)] = body
    return sections


def documented_signature(name: str, body: str) -> str:
    blocks: list[str] = CODE_BLOCK.findall(body)
    assert blocks, f"### {name} has no python code block with its signature"
    lines = [line for line in blocks[0].splitlines() if line.startswith(f"def {name}(")]
    assert len(lines) == 1, f"### {name}: the first python block must hold exactly one `def {name}(...)` line"
    return lines[0]


def test_hookspecs_are_found() -> None:
    specs = hook_specs()
    assert "creatorkit_plugin_metadata" in specs
    assert "creatorkit_discover_creators" in specs
    assert len(specs) >= 15


def test_every_hook_is_documented() -> None:
    missing = sorted(set(hook_specs()) - set(documented_hooks()))
    assert not missing, f"hooks without a ### section in docs/plugins.md: {missing}"


def test_no_documented_hook_is_unknown() -> None:
    unknown = sorted(set(documented_hooks()) - set(hook_specs()))
    assert not unknown, f"docs/plugins.md documents hooks that creatorkit.hookspecs does not have: {unknown}"


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_documented_signature_is_the_spec(name: str) -> None:
    body = documented_hooks().get(name)
    if body is None:
        pytest.fail(f"{name} is not documented")
    expected = render_signature(name, hook_specs()[name])
    documented = documented_signature(name, body)
    assert normalize(documented) == normalize(expected), f"docs: {documented}\nspec: {expected}"


@pytest.mark.parametrize("name", sorted(hook_specs()))
def test_documented_version_is_the_spec(name: str) -> None:
    found = re.search(r"versionadded::\s*(\S+)", inspect.getdoc(hook_specs()[name]) or "")
    assert found, f"the hookspec {name} has no versionadded"
    body = documented_hooks().get(name, "")
    assert f"Added in version {found.group(1)}" in body


def test_signature_comparison_catches_a_difference() -> None:
    spec = render_signature("creatorkit_lookup_creator", hook_specs()["creatorkit_lookup_creator"])
    declared = "def creatorkit_lookup_creator(handle: str, context: CallContext | None) -> CreatorCandidate"
    assert normalize(spec) == normalize(declared)
    assert normalize(spec) != normalize("def creatorkit_lookup_creator(handle: str) -> CreatorCandidate")
    assert normalize(spec) != normalize(declared.replace("handle", "name"))
    assert normalize("def f(x: typing.Any) -> None") == normalize("def f(x: 'Any') -> None")


def test_capability_table_is_documented() -> None:
    from creatorkit.host import CAPABILITY_HOOKS

    text = read("plugins.md")
    for capability, hooks in CAPABILITY_HOOKS.items():
        row = f"| `{capability}` | " + ", ".join(f"`{hook}`" for hook in hooks) + " |"
        assert row in text, f"the capability table lacks: {row}"


def test_conformance_kit_opt_in_is_shown() -> None:
    text = read("plugins.md")
    assert 'pytest_plugins = ["creatorkit.testing"]' in text
    assert "PlatformPluginContract" in text
    assert '[project.entry-points."creatorkit.platforms"]' in text


# -- CLI -----------------------------------------------------------------------------------------------------


def commands(group: click.Command = main, path: str = "creatorkit") -> Iterator[tuple[str, click.Command]]:
    """Every command under the click group, depth first, as (``creatorkit config check``, command)."""
    yield path, group
    if isinstance(group, click.Group):
        for name, command in sorted(group.commands.items()):
            yield from commands(command, f"{path} {name}")


def test_every_cli_command_is_documented() -> None:
    text = read("cli.md")
    found = [path for path, _ in commands()]
    assert "creatorkit config check" in found
    missing = [path for path in found if path != "creatorkit" and f"`{path}" not in text]
    assert not missing, f"commands not mentioned in docs/cli.md as `creatorkit ...`: {missing}"


def test_every_cli_option_is_documented() -> None:
    text = read("cli.md")
    missing: list[str] = []
    for path, command in commands():
        for param in command.params:
            if isinstance(param, click.Option):
                names = [o for o in param.opts if o.startswith("--")] or param.opts
                missing.extend(f"{path} {name}" for name in names if f"`{name}" not in text)
    assert not missing, f"options not documented in docs/cli.md: {missing}"


# -- configuration -------------------------------------------------------------------------------------------


def config_keys() -> Iterator[str]:
    schema = schemas.load("CreatorkitConfig")
    for table in ("creatorkit", "workflow"):
        yield table
        yield from schema["properties"][table]["properties"]
    yield from schema["$defs"]["plugin_table"]["properties"]


def test_every_config_key_is_documented() -> None:
    text = read("configuration.md")
    missing = [key for key in config_keys() if f"`{key}`" not in text and f"[{key}]" not in text]
    assert not missing, f"config keys not documented in docs/configuration.md: {missing}"


def test_workflow_defaults_are_documented() -> None:
    text = read("configuration.md")
    for key, value in attrs.asdict(WorkflowSettings()).items():
        shown = f'"{value}"' if isinstance(value, str) else str(value)
        assert f"| `{key}` | `{shown}` |" in text, f"the default of workflow.{key} ({shown}) is not documented"


def test_core_defaults_are_documented() -> None:
    text = read("configuration.md")
    defaults = Config()
    assert f'| `store` | string, not empty | `"{defaults.store}"` |' in text
    assert "| `strict_plugins` | boolean | `false` |" in text
    assert "| `validate_outputs` | boolean | `false` |" in text


def test_every_test_the_threat_model_cites_exists() -> None:
    """docs/workflow.md backs each claim of its threat model with a test: each must be a test that exists."""
    text = read("workflow.md")
    cited = re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", text[text.index("## Threat model") :])
    assert len(cited) >= 20
    root = Path(__file__).resolve().parent.parent
    missing = [f"{path}::{name}" for path, name in cited if f"def {name}(" not in (root / path).read_text()]
    assert not missing, f"docs/workflow.md cites tests that do not exist: {missing}"


def test_the_entity_reference_is_generated_from_the_current_schemas() -> None:
    from creatorkit.schemas._reference import reference

    assert read("entities.md") == reference(), (
        "docs/entities.md is stale: python -m creatorkit.schemas._reference > docs/entities.md"
    )
