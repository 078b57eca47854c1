"""Calling one implementation, and accepting what a plugin answers as the entity its hook promises."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import pluggy

from ..converter import structure, unstructure
from ..entities import ProviderOperationPage, WebhookResult
from ..errors import CreatorkitError, PluginContractError, Problem, ValidationError

T = TypeVar("T")


def call_impl(impl: pluggy.HookImpl, **kwargs: Any) -> Any:
    """Call one implementation as pluggy would: with only the arguments it asks for."""
    return impl.function(*(kwargs[name] for name in impl.argnames))


def guarded(name: str, hook: str, impl: pluggy.HookImpl, **kwargs: Any) -> Any:
    """Call one implementation; an exception that is not one of the SDK's typed errors breaks the contract."""
    try:
        return call_impl(impl, **kwargs)
    except CreatorkitError:
        raise
    except Exception as exc:
        raise PluginContractError(name, hook, f"raised {type(exc).__name__}: {exc}") from exc


def accept(name: str, hook: str, expected: type[T], result: object, *, validate: bool) -> T:
    """``result`` as an ``expected`` entity (a dict is structured), or the contract breach that stops it.

    ``validate`` also checks it against its JSON Schema. An entity that names a platform or provider must name
    plugin ``name``, and so must every notice of a webhook result (its ``source``) and every operation of a listed
    page (its ``provider``): a plugin speaks for itself only.
    """
    if isinstance(result, expected):
        value = result
    elif isinstance(result, Mapping):
        try:
            value = structure(result, expected)
        except ValidationError as exc:
            raise PluginContractError(name, hook, exc.problems) from None
    elif result is None:
        raise PluginContractError(name, hook, f"returned nothing; expected {expected.__name__}")
    else:
        raise PluginContractError(name, hook, f"returned {type(result).__name__}; expected {expected.__name__}")
    if validate:
        from .. import schemas
        from .._redaction import marked_paths

        data = unstructure(value)
        # A field the schema marks writeOnly (a token) is never quoted in a problem about it.
        secret_fields = marked_paths(schemas._load(expected.__name__), data)
        problems = schemas.errors(expected.__name__, data, secrets=secret_fields)
        if problems:
            raise PluginContractError(name, hook, problems)
    if hook != "creatorkit_plugin_metadata":
        claims = foreign_claims(value, name)
        if claims:
            raise PluginContractError(name, hook, claims)
    return value


def foreign_claims(value: object, name: str) -> list[Problem]:
    """Where ``value`` names a plugin other than ``name``: its platform or provider, a notice's source, or a listed
    operation's provider."""
    problems = []
    claimed = getattr(value, "platform", None) or getattr(value, "provider", None)
    if isinstance(claimed, str) and claimed != name:
        field = "platform" if getattr(value, "platform", None) else "provider"
        problems.append(Problem(field, f"says {claimed!r}, not {name!r}"))
    if isinstance(value, ProviderOperationPage):
        problems.extend(
            Problem(f"operations[{index}].provider", f"says {operation.provider!r}, not {name!r}")
            for index, operation in enumerate(value.operations)
            if operation.provider != name
        )
    if isinstance(value, WebhookResult):
        problems.extend(
            Problem(f"notices[{index}].source", f"says {notice.source!r}, not {name!r}")
            for index, notice in enumerate(value.notices)
            if notice.source != name
        )
    return problems
