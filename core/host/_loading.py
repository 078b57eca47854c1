"""Finding the enabled plugins' entry points and importing them, before the host registers each one.

An enabled name that is not installed, or that two distributions both claim, is refused here. An entry point
whose import fails is handed back with its exception, scrubbed of the enabled plugins' secret settings:
whether that is a warning or an error is the host's strict mode to decide.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from importlib import metadata as importlib_metadata
from typing import Any

import attrs

from .._redaction import scrub_error
from ..config import GROUPS, PluginSettings
from ..entities import PluginKind
from ..errors import PluginLoadError

#: Set to 1 to make a plugin that fails to import an error instead of a warning.
STRICT_ENV = "CREATORKIT_STRICT_PLUGINS"

GROUP_KIND = {"creatorkit.platforms": PluginKind.PLATFORM, "creatorkit.payments": PluginKind.PAYMENT}


class PluginLoadWarning(UserWarning):
    """An enabled plugin could not be imported and was skipped."""


@attrs.frozen(kw_only=True)
class InstalledPlugin:
    """One entry point in a creatorkit group, as ``creatorkit plugins`` reports it."""

    name: str
    group: str
    value: str
    distribution: str | None
    version: str | None

    @property
    def kind(self) -> PluginKind:
        return GROUP_KIND[self.group]


def installed_plugins(groups: Iterable[str] = GROUPS.values()) -> list[InstalledPlugin]:
    """Every creatorkit entry point installed in this environment, sorted by group and name."""
    found: dict[tuple[str, str, str], InstalledPlugin] = {}
    for group in groups:
        for ep in importlib_metadata.entry_points(group=group):
            dist = getattr(ep, "dist", None)
            item = InstalledPlugin(
                name=ep.name,
                group=group,
                value=ep.value,
                distribution=dist.name if dist is not None else None,
                version=dist.version if dist is not None else None,
            )
            # The same distribution can be visible twice on sys.path (an editable install); count it once.
            found[(group, ep.name, item.distribution or ep.value)] = item
    return sorted(found.values(), key=lambda p: (p.group, p.name))


def strict_from_env() -> bool:
    return os.environ.get(STRICT_ENV, "").strip().lower() in ("1", "true", "yes", "on")


@attrs.frozen
class Imported:
    """One group's enabled entry points after import: the plugin objects, and the imports that failed."""

    plugins: dict[str, object]
    failures: dict[str, BaseException]
    installed: dict[str, InstalledPlugin]


def import_enabled(group: str, wanted: Sequence[PluginSettings]) -> Imported:
    """Import the entry points ``wanted`` names in ``group``; refuse names not installed or claimed twice."""
    installed = {p.name: p for p in installed_plugins([group])}
    missing = [s.name for s in wanted if s.name not in installed]
    if missing:
        names = ", ".join(sorted(installed)) or "none"
        raise PluginLoadError(
            missing[0],
            f"is enabled in [{wanted[0].section}.{missing[0]}] but no plugin of that name is installed "
            f"in {group} (installed: {names})",
            group=group,
            installed=sorted(installed),
        )
    _refuse_duplicates(group, [s.name for s in wanted])
    plugins, failures = _import(group, [s.name for s in wanted])
    # An import can fail with a message quoting what the module read from the environment; what the config took
    # from there must not reach the warning or the error that reports the failure.
    secrets = frozenset(value for settings in wanted for value in settings.secret_values())
    for error in failures.values():
        scrub_error(error, secrets)
    return Imported(plugins, failures, installed)


def _import(group: str, names: list[str]) -> tuple[dict[str, object], dict[str, BaseException]]:
    from stevedore import NamedExtensionManager

    failures: dict[str, BaseException] = {}
    unseen: set[str] = set()

    def on_failure(manager: object, entry_point: Any, exc: BaseException) -> None:
        failures[entry_point.name] = exc

    # stevedore caches a group's entry points (in the process and on disk); drop the in-process copy so a
    # config reloaded after an install sees the new plugin.
    NamedExtensionManager.ENTRY_POINT_CACHE.pop(group, None)
    manager: NamedExtensionManager[Any] = NamedExtensionManager(
        namespace=group,
        names=names,
        name_order=True,
        on_load_failure_callback=on_failure,
        on_missing_entrypoints_callback=unseen.update,
    )
    plugins: dict[str, object] = {extension.name: extension.plugin for extension in manager}
    # A name importlib.metadata lists but stevedore's cache did not know yet: load it the same way by hand.
    for name in sorted(unseen - set(failures) - set(plugins)):
        try:
            plugins[name] = next(iter(importlib_metadata.entry_points(group=group, name=name))).load()
        except Exception as exc:
            failures[name] = exc
    return plugins, failures


def _refuse_duplicates(group: str, names: Sequence[str]) -> None:
    claims: dict[str, set[str]] = {}
    for ep in importlib_metadata.entry_points(group=group):
        if ep.name in names:
            dist = getattr(ep, "dist", None)
            claims.setdefault(ep.name, set()).add(f"{dist.name if dist else '?'} ({ep.value})")
    for name, owners in claims.items():
        if len(owners) > 1:
            raise PluginLoadError(
                name, f"is claimed by more than one plugin in {group}: {', '.join(sorted(owners))}", group=group
            )
