"""Registration checks: metadata against the hooks a plugin implements, settings against their schema, wrappers.

Each check reports every problem it finds at once, so that one load names them all, and none quotes a secret:
a setting from the environment or one the plugin's schema marks ``"writeOnly": true`` shows as ``***``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pluggy

from .._redaction import join_path, marked_paths, mask_message
from ..config import PluginSettings
from ..entities import Capability, PluginMetadata
from ..errors import ConfigError, Problem
from ._loading import GROUP_KIND
from ._stages import CAPABILITY_HOOKS


def metadata_problems(meta: PluginMetadata, *, name: str, group: str, implemented: set[str]) -> list[Problem]:
    """What is wrong with ``meta`` for a plugin registered as ``name`` in ``group`` implementing ``implemented``."""
    problems = []
    if meta.name != name:
        problems.append(Problem("name", f"is {meta.name!r} but the plugin is registered as {name!r}"))
    if meta.kind is not GROUP_KIND[group]:
        problems.append(Problem("kind", f"is {meta.kind} but the plugin sits in {group}"))
    for capability, hooks in CAPABILITY_HOOKS.items():
        have = [h for h in hooks if h in implemented]
        if capability in meta.capabilities and len(have) < len(hooks):
            lacking = ", ".join(h for h in hooks if h not in implemented)
            problems.append(Problem("capabilities", f"declares {capability} but does not implement {lacking}"))
        elif capability not in meta.capabilities and have:
            problems.append(Problem("capabilities", f"implements {', '.join(have)} but does not declare {capability}"))
    offers_payments = Capability.PAYMENTS in meta.capabilities
    if offers_payments and meta.payments is None:
        problems.append(Problem("payments", "declares payments but not what it can do: give a PaymentCapabilities"))
    elif meta.payments is not None and not offers_payments:
        problems.append(Problem("payments", "gives payment capabilities but does not declare payments"))
    if Capability.PAYMENT_LISTING in meta.capabilities and not offers_payments:
        problems.append(
            Problem("capabilities", "declares payment_listing without payments: a provider lists what it moves")
        )
    return problems


def check_settings(name: str, meta: PluginMetadata, settings: PluginSettings) -> None:
    """Raise one :class:`ConfigError` with every problem of ``settings`` against the plugin's schema.

    No message shows a value the schema marks ``writeOnly`` or that came from the environment.
    """
    if meta.settings_schema is not None:
        secrets = settings.secret_keys | marked_paths(meta.settings_schema, dict(settings.settings))
        problems = _settings_problems(meta.settings_schema, dict(settings.settings), settings.key, secrets)
        if problems:
            raise ConfigError(problems)
    elif settings.settings:
        keys = ", ".join(sorted(settings.settings))
        raise ConfigError([Problem(settings.key, f"plugin {name!r} takes no settings, got: {keys}")])


def _settings_problems(
    schema: Mapping[str, Any], settings: dict[str, Any], prefix: str, secrets: frozenset[str]
) -> list[Problem]:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    problems: list[Problem] = []
    for error in validator.iter_errors(settings):
        inside = join_path(error.absolute_path)
        path = prefix
        for part in error.absolute_path:
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
        if error.validator == "required" and isinstance(error.instance, Mapping):
            problems.extend(
                Problem(f"{path}.{key}", "required setting missing")
                for key in error.validator_value
                if key not in error.instance
            )
        elif error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
            known = set(error.schema.get("properties", {}))
            problems.extend(Problem(f"{path}.{key}", "unknown setting") for key in error.instance if key not in known)
        else:
            problems.append(Problem(path, mask_message(error.message, error.instance, inside, secrets)))
    return sorted(problems, key=lambda p: p.path)


def answering_hooks(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    """The hooks ``plugin`` would answer rather than wrap (listening to events is not answering)."""
    return [
        caller.name
        for caller in pm.get_hookcallers(plugin) or ()
        if caller.name != "creatorkit_on_event"
        for impl in caller.get_hookimpls()
        if impl.plugin is plugin and not (impl.wrapper or impl.hookwrapper)
    ]


#: Hooks of an older contract that no longer exist, each with what replaced it: a plugin written for the old
#: contract is told what to change instead of only "unknown hook".
RETIRED_HOOKS = {
    "creatorkit_parse_webhook": (
        "contract v2 replaced it with creatorkit_receive_webhook(request: WebhookRequest) -> WebhookResult "
        "(see 'Moving from contract v1' in docs/plugins.md)"
    ),
}


def defaulted_arguments(pm: pluggy.PluginManager, plugin: object) -> list[Problem]:
    """A hook implementation's parameters that the hook passes but that have a default in the implementation.

    pluggy passes an implementation only the parameters it declares without a default: ``known=None`` in a
    ``creatorkit_payment_retrieve`` would always be ``None``, whatever the core sent. Refused at registration.
    """
    problems = []
    for caller in pm.get_hookcallers(plugin) or ():
        spec = caller.spec
        if spec is None:
            continue
        for impl in caller.get_hookimpls():
            passed = [name for name in impl.kwargnames if name in spec.argnames]
            if impl.plugin is plugin and passed:
                listed = ", ".join(passed)
                problems.append(
                    Problem(caller.name, f"{listed}: a parameter with a default is never passed by pluggy; drop it")
                )
    return problems


def registration_problems(plugin: object, error: Exception) -> list[Problem]:
    """pluggy's refusal of ``plugin``, and for each retired hook it still implements, what replaced it."""
    problems = [Problem("", str(error))]
    problems.extend(
        Problem(hook, replacement)
        for hook, replacement in RETIRED_HOOKS.items()
        if callable(getattr(plugin, hook, None))
    )
    return problems
