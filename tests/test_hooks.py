"""Each stage hook is written once, as its declaration in creatorkit.hookspecs; the host reads the rest from it."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from creatorkit import hookspecs
from creatorkit.entities import Capability, CreatorMetrics, DiscoveryPage, PlatformAccount
from creatorkit.hookspecs import stage
from creatorkit.host import CAPABILITY_HOOKS
from creatorkit.host._stages import STAGES, capability_hooks, declared_stages


def module_of(*specs: Callable[..., Any]) -> ModuleType:
    """A hookspecs module holding ``specs``, in that order."""
    module = ModuleType("more_hookspecs")
    for spec in specs:
        setattr(module, spec.__name__, spec)
    return module


class TestDeclaration:
    def test_a_stage_hook_stays_a_plain_firstresult_hookspec(self) -> None:
        spec = hookspecs.creatorkit_discover_creators
        assert inspect.isfunction(spec)
        assert getattr(spec, f"{hookspecs.PROJECT}_spec")["firstresult"] is True
        assert hookspecs.capability_of(spec) is Capability.DISCOVERY

    def test_hooks_of_no_capability_have_none(self) -> None:
        for spec in (
            hookspecs.creatorkit_plugin_metadata,
            hookspecs.creatorkit_configure,
            hookspecs.creatorkit_on_event,
        ):
            assert hookspecs.capability_of(spec) is None
            assert spec.__name__ not in STAGES

    def test_the_answer_class_is_the_return_annotation(self) -> None:
        assert STAGES["creatorkit_discover_creators"].returns is DiscoveryPage
        assert STAGES["creatorkit_fetch_creator_metrics"].returns is CreatorMetrics

    def test_a_stage_hook_must_answer_with_one_entity_class(self) -> None:
        @stage(Capability.METRICS)
        def creatorkit_maybe_metrics(account: PlatformAccount) -> CreatorMetrics | None:  # type: ignore[empty-body]
            """Not a stage hook: the host could not check what it answers."""

        with pytest.raises(TypeError, match="creatorkit_maybe_metrics must return one entity class"):
            declared_stages(module_of(creatorkit_maybe_metrics))


class TestCapabilityTable:
    def test_it_is_read_from_the_declarations(self) -> None:
        assert capability_hooks(declared_stages(hookspecs).values()) == CAPABILITY_HOOKS
        for name, declared in STAGES.items():
            assert name in CAPABILITY_HOOKS[declared.capability]

    def test_a_new_declaration_joins_its_capability(self) -> None:
        @stage(Capability.METRICS)
        def creatorkit_fetch_batch_metrics(accounts: tuple[PlatformAccount, ...]) -> CreatorMetrics:  # type: ignore[empty-body]
            """Read several accounts' metrics at once."""

        @stage(Capability.CREATOR_LOOKUP)
        def creatorkit_lookup_creators(handles: tuple[str, ...]) -> DiscoveryPage:  # type: ignore[empty-body]
            """Look several creators up at once."""

        existing = hookspecs.creatorkit_fetch_creator_metrics
        module = module_of(existing, creatorkit_fetch_batch_metrics, creatorkit_lookup_creators)
        assert capability_hooks(declared_stages(module).values()) == {
            Capability.METRICS: ("creatorkit_fetch_creator_metrics", "creatorkit_fetch_batch_metrics"),
            Capability.CREATOR_LOOKUP: ("creatorkit_lookup_creators",),
        }
