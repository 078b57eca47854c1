"""The plugin host itself: what is registered with its ``PluginManager``, and calls aimed at one plugin.

Its parts live next to it: finding and importing entry points in ``_loading``, what registration checks in
``_checks``, calling one implementation and accepting its answer in ``_calling``, the stage hooks as declared
in ``_stages``, and the typed clients in ``_clients``.
"""

from __future__ import annotations

import inspect
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import pluggy

from .. import hookspecs
from .._call_context import CallContext
from .._redaction import marked_paths, scrub_error, values_at
from ..config import GROUPS, Config, Mode, PluginSettings
from ..entities import Event, PluginKind, PluginMetadata
from ..errors import (
    CapabilityMissing,
    ConfigError,
    CreatorkitError,
    PluginContractError,
    PluginError,
    PluginLoadError,
    Problem,
)
from ._calling import accept, call_impl, guarded
from ._checks import answering_hooks, check_settings, defaulted_arguments, metadata_problems, registration_problems
from ._clients import PaymentClient, PlatformClient
from ._loading import GROUP_KIND, InstalledPlugin, PluginLoadWarning, import_enabled, strict_from_env
from ._requests import REQUEST_CHECKS
from ._stage_rules import RULES
from ._stages import CONTEXT, STAGES, StageHook

__all__ = ["PluginContext", "PluginHost"]

#: Set to 1 to validate every plugin output against its JSON Schema, not only its type.
VALIDATE_ENV = "CREATORKIT_VALIDATE_OUTPUTS"

_KIND_SECTION = {PluginKind.PLATFORM: "platforms", PluginKind.PAYMENT: "payments"}


@attrs.frozen(kw_only=True)
class PluginContext:
    """What a plugin is told about where it runs (passed to ``creatorkit_configure``)."""

    name: str
    mode: Mode = Mode.SANDBOX


@attrs.define
class _Loaded:
    name: str
    group: str
    plugin: object
    metadata: PluginMetadata
    settings: PluginSettings | None
    installed: InstalledPlugin | None
    hooks: tuple[str, ...]


class PluginHost:
    """The enabled plugins, registered with one pluggy ``PluginManager``, behind typed calls."""

    def __init__(self, *, validate_outputs: bool = False) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.validate_outputs = validate_outputs or os.environ.get(VALIDATE_ENV, "") == "1"
        self._loaded: dict[str, _Loaded] = {}
        self._wrappers: set[str] = set()
        self._callers: dict[tuple[str, str], Callable[..., Any]] = {}
        self._contexts: dict[tuple[str, str], CallContext] = {}
        self._lock = threading.Lock()
        #: Plugins that were enabled but failed to load, with the reason (strict mode raises instead).
        self.load_errors: dict[str, str] = {}

    # -- loading -----------------------------------------------------------------------------------------------

    @classmethod
    def from_config(cls, config: Config, *, strict: bool | None = None) -> PluginHost:
        """Load and configure every plugin ``config`` enables."""
        if strict is None:
            strict = config.strict_plugins or strict_from_env()
        host = cls(validate_outputs=config.validate_outputs)
        for section, group in GROUPS.items():
            wanted = config.enabled(section)
            if wanted:
                host._load_group(group, wanted, strict=strict)
        return host

    @classmethod
    def problems(cls, config: Config) -> list[Problem]:
        """Every enabled plugin's problems at once — not installed, failing to import, broken contract, bad
        settings — each under its config key; empty when every one loads strictly with its settings.

        Each plugin is tried on its own, so one broken plugin does not hide the next (what ``config check`` shows).
        """
        problems: list[Problem] = []
        for settings in config.enabled():
            try:
                cls.from_config(attrs.evolve(config, plugins=(settings,)), strict=True)
            except ConfigError as exc:
                problems.extend(exc.problems)
            except CreatorkitError as exc:
                problems.append(Problem(settings.key, str(exc)))
        return problems

    def _load_group(self, group: str, wanted: Sequence[PluginSettings], *, strict: bool) -> None:
        imported = import_enabled(group, wanted)
        for name, error in imported.failures.items():
            reason = f"{type(error).__name__}: {error}"
            if strict:
                raise PluginLoadError(name, f"failed to load: {reason}", group=group) from error
            self.load_errors[name] = reason
            warnings.warn(
                f"plugin {name!r} ({group}) failed to load and is skipped: {reason}", PluginLoadWarning, stacklevel=3
            )
        for settings in wanted:
            if settings.name in imported.plugins:
                self.register(
                    imported.plugins[settings.name],
                    name=settings.name,
                    group=group,
                    settings=settings,
                    installed=imported.installed.get(settings.name),
                )

    def register(
        self,
        plugin: object,
        *,
        name: str,
        group: str = "creatorkit.platforms",
        settings: PluginSettings | None = None,
        installed: InstalledPlugin | None = None,
        configure: bool = True,
    ) -> PluginMetadata:
        """Register one plugin object (module, instance, or a class to instantiate) and configure it.

        This is what loading does for each entry point; tests and embedding apps may call it directly.
        ``configure=False`` registers and checks the plugin without handing it settings (for listings).
        """
        if name in self._loaded or self.pm.get_plugin(name) is not None:
            raise PluginLoadError(name, "a plugin of this name is already registered", group=group)
        if inspect.isclass(plugin):
            plugin = plugin()
        try:
            self.pm.register(plugin, name=name)
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(name=name)
            raise PluginContractError(name, "registration", registration_problems(plugin, exc)) from exc
        defaulted = defaulted_arguments(self.pm, plugin)
        if defaulted:
            self.pm.unregister(name=name)
            raise PluginContractError(name, "registration", defaulted)
        try:
            meta = self._check_metadata(name, group, plugin)
            settings = settings or PluginSettings(name=name, section=_KIND_SECTION[GROUP_KIND[group]])
            if configure:
                self._configure(name, plugin, meta, settings)
        except BaseException:
            self.pm.unregister(name=name)
            raise
        self._loaded[name] = _Loaded(
            name=name,
            group=group,
            plugin=plugin,
            metadata=meta,
            settings=settings,
            installed=installed,
            hooks=self._hooks_of(plugin),
        )
        self._callers.clear()
        return meta

    def _hooks_of(self, plugin: object) -> tuple[str, ...]:
        return tuple(sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ()))

    def _check_metadata(self, name: str, group: str, plugin: object) -> PluginMetadata:
        hook = "creatorkit_plugin_metadata"
        impl = self._impl_of(hook, plugin)
        if impl is None:
            raise PluginContractError(name, hook, "every plugin must implement creatorkit_plugin_metadata")
        meta = accept(name, hook, PluginMetadata, guarded(name, hook, impl), validate=self.validate_outputs)
        problems = metadata_problems(meta, name=name, group=group, implemented=set(self._hooks_of(plugin)))
        if problems:
            raise PluginContractError(name, hook, problems)
        return meta

    def _configure(self, name: str, plugin: object, meta: PluginMetadata, settings: PluginSettings) -> None:
        check_settings(name, meta, settings)
        impl = self._impl_of("creatorkit_configure", plugin)
        if impl is not None:
            context = PluginContext(name=name, mode=settings.mode)
            try:
                guarded(name, "creatorkit_configure", impl, settings=dict(settings.settings), context=context)
            except CreatorkitError as exc:
                # A plugin's complaint about its settings may quote one: none of them leaves in the message.
                values = dict(settings.settings)
                marked = marked_paths(meta.settings_schema, values) if meta.settings_schema is not None else set()
                scrub_error(exc, settings.secret_values() | values_at(values, marked))
                raise

    def _impl_of(self, hook: str, plugin: object) -> pluggy.HookImpl | None:
        caller = getattr(self.pm.hook, hook)
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin:
                found: pluggy.HookImpl = impl
                return found
        return None

    def add_wrapper(self, plugin: object, *, name: str) -> None:
        """Register a cross-cutting plugin (cache, audit, rate limit) whose ``wrapper=True`` hooks wrap any stage.

        Wrappers see every targeted call, whichever platform it is aimed at. A plain (non-wrapper) stage hook
        here would answer calls meant for every platform, so it is refused; ``creatorkit_on_event`` listens only.
        """
        self.pm.register(plugin, name=name)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(name=name)
            raise PluginContractError(name, "registration", str(exc)) from exc
        answering = answering_hooks(self.pm, plugin)
        if answering:
            self.pm.unregister(name=name)
            raise PluginContractError(
                name,
                "registration",
                f"a wrapper may only wrap: {', '.join(sorted(answering))} would answer stage calls",
            )
        self._wrappers.add(name)
        self._callers.clear()

    def add_listener(self, listener: object, *, name: str) -> None:
        """Register an object with a ``creatorkit_on_event`` hook; an embedding app hears every event."""
        self.add_wrapper(listener, name=name)

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)
        self._loaded.pop(name, None)
        self._wrappers.discard(name)
        self._callers.clear()

    def marked_secrets(self) -> dict[str, frozenset[str]]:
        """Per loaded plugin, the paths in its settings that its schema marks ``writeOnly`` (see _redaction).

        The config is read before any plugin says which of its settings are secret; a kit hands these back to
        its config, so that a secret written in the file is hidden there too.
        """
        found: dict[str, frozenset[str]] = {}
        for name, loaded in self._loaded.items():
            schema = loaded.metadata.settings_schema
            if schema is not None and loaded.settings is not None:
                found[name] = frozenset(marked_paths(schema, dict(loaded.settings.settings)))
        return found

    # -- what is loaded ----------------------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        return sorted(self._loaded)

    def metadata(self, name: str) -> PluginMetadata:
        return self._get(name).metadata

    def hooks(self, name: str) -> tuple[str, ...]:
        return self._get(name).hooks

    def platforms(self) -> list[str]:
        return sorted(n for n, p in self._loaded.items() if p.metadata.kind is PluginKind.PLATFORM)

    def payment_providers(self) -> list[str]:
        return sorted(n for n, p in self._loaded.items() if p.metadata.kind is PluginKind.PAYMENT)

    def _get(self, name: str) -> _Loaded:
        try:
            return self._loaded[name]
        except KeyError:
            known = ", ".join(self.names) or "none"
            raise PluginError(name, f"is not loaded (loaded: {known})") from None

    def platform(self, name: str) -> PlatformClient:
        loaded = self._get(name)
        if loaded.metadata.kind is not PluginKind.PLATFORM:
            raise PluginError(name, f"is a {loaded.metadata.kind} plugin, not a platform")
        return PlatformClient(self, name)

    def payments(self, name: str) -> PaymentClient:
        loaded = self._get(name)
        if loaded.metadata.kind is not PluginKind.PAYMENT:
            raise PluginError(name, f"is a {loaded.metadata.kind} plugin, not a payment provider")
        return PaymentClient(self, name)

    # -- calling -----------------------------------------------------------------------------------------------

    def _caller(self, hook: str, name: str) -> Callable[..., Any]:
        key = (hook, name)
        caller = self._callers.get(key)
        if caller is None:
            with self._lock:
                others = [p.plugin for n, p in self._loaded.items() if n != name]
                caller = self.pm.subset_hook_caller(hook, remove_plugins=others)
                self._callers[key] = caller
        return caller

    def call(self, name: str, hook: str, /, **kwargs: Any) -> Any:
        """Call the stage hook ``hook`` on plugin ``name`` only; its answer must be the entity the hook declares.

        ``context`` (a :class:`CallContext`, or ``None`` for one with no workspace, token or deadline) reaches
        the plugin and every wrapper aimed at this plugin and stage, whatever target the caller's copy named.

        Arguments a hook has a check for (``REQUEST_CHECKS``: a payment request against the provider's flags) are
        checked first, so a refused request never reaches the plugin or its wrappers.
        """
        loaded = self._get(name)
        stage = STAGES.get(hook)
        if stage is None:
            raise ValueError(f"{hook} is not a stage hook (stage hooks are declared with @stage in hookspecs)")
        if stage.capability not in loaded.metadata.capabilities:
            raise CapabilityMissing(name, stage.capability, loaded.metadata.missing.get(stage.capability))
        check = REQUEST_CHECKS.get(hook)
        if check is not None:
            check(name, loaded.metadata, kwargs)
        given = kwargs.get(CONTEXT)
        if given is None:
            kwargs[CONTEXT] = self._contexts.get((hook, name)) or self._default_context(name, stage)
        elif isinstance(given, CallContext):
            kwargs[CONTEXT] = given.aimed_at(name, hook, stage.capability)
        else:
            raise TypeError(f"context must be a CallContext or None, not {type(given).__name__}")
        rule = RULES.get(hook)
        prepared = None if rule is None else rule.prepare(name, kwargs)
        try:
            result = self._caller(hook, name)(**kwargs)
        except CreatorkitError:
            raise
        except Exception as exc:
            raise PluginContractError(
                name, hook, f"raised {type(exc).__name__}: {exc} (plugins must raise creatorkit's typed errors)"
            ) from exc
        value = accept(name, hook, stage.returns, result, validate=self.validate_outputs)
        return value if rule is None else rule.finish(name, prepared, value)

    def _default_context(self, name: str, stage: StageHook) -> CallContext:
        """The context of a call made without one: immutable, so one per target serves every such call."""
        key = (stage.hook, name)
        context = self._contexts.get(key)
        if context is None:
            context = self._contexts[key] = CallContext(plugin=name, hook=stage.hook, capability=stage.capability)
        return context

    @property
    def listening(self) -> bool:
        """Whether any plugin or listener hears events (services build none for nobody)."""
        return bool(self.pm.hook.creatorkit_on_event.get_hookimpls())

    def notify(self, event: Event) -> list[tuple[str, BaseException]]:
        """Tell every plugin and listener about ``event``; a failing listener is warned about, never fatal."""
        failures: list[tuple[str, BaseException]] = []
        for impl in reversed(self.pm.hook.creatorkit_on_event.get_hookimpls()):
            try:
                call_impl(impl, event=event)
            except Exception as exc:
                failures.append((impl.plugin_name, exc))
                warnings.warn(
                    f"listener {impl.plugin_name!r} failed on {event.name}: {type(exc).__name__}: {exc}",
                    RuntimeWarning,
                    stacklevel=2,
                )
        return failures
