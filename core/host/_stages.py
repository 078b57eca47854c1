"""The stage hooks, as their declarations in :mod:`creatorkit.hookspecs` state them.

A stage hook is written once, as a hookspec marked ``@stage(Capability.X)``. What the host knows about it is
read from there: the capability it belongs to (and so :data:`CAPABILITY_HOOKS`) and the entity class an answer
must be (the spec's return annotation).
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import attrs

from .. import hookspecs
from ..entities import Capability

#: The parameter every stage hook is offered the call context as.
CONTEXT = "context"


@attrs.frozen
class StageHook:
    """One stage hook: its name, the capability it belongs to, and the entity class it answers with."""

    hook: str
    capability: Capability
    returns: type[Any]


def declared_stages(module: ModuleType) -> dict[str, StageHook]:
    """Every hook ``module`` declares with ``@stage``, by name, in the order the module declares them."""
    stages: dict[str, StageHook] = {}
    for name, spec in vars(module).items():
        capability = hookspecs.capability_of(spec) if callable(spec) else None
        if capability is not None:
            stages[name] = StageHook(hook=name, capability=capability, returns=_returns(spec))
    return stages


def _returns(spec: Callable[..., Any]) -> type[Any]:
    returns = typing.get_type_hints(spec).get("return")
    if not isinstance(returns, type):
        raise TypeError(f"the stage hook {spec.__name__} must return one entity class, not {returns!r}")
    return returns


def capability_hooks(stages: Iterable[StageHook]) -> dict[Capability, tuple[str, ...]]:
    """Each capability with its hooks, both in the order they are declared."""
    table: dict[Capability, tuple[str, ...]] = {}
    for stage in stages:
        table[stage.capability] = (*table.get(stage.capability, ()), stage.hook)
    return table


#: The stage hooks of :mod:`creatorkit.hookspecs`, by name.
STAGES = declared_stages(hookspecs)
#: The hooks each capability stands for. A plugin declares a capability iff it implements all of its hooks.
CAPABILITY_HOOKS = capability_hooks(STAGES.values())
