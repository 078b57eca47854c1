"""The plugin host: loading the enabled plugins and calling them through a typed facade.

Loading: the config names the enabled plugins per entry-point group (``creatorkit.platforms``,
``creatorkit.payments``). stevedore selects and imports exactly those; a plugin whose import fails is
reported as a :class:`PluginLoadWarning` and skipped (or, in strict mode, raises
:class:`~creatorkit.errors.PluginLoadError`); an enabled name that is not installed, or a name two
distributions both claim, is always an error. Each loaded plugin is registered with one pluggy
``PluginManager``, ``check_pending()`` runs, its metadata is checked against the hooks it implements, and
its settings are validated and handed over through ``creatorkit_configure``. Built-in plugins take the same
path: they are registered through the same entry points.

Calling: :class:`PluginHost` hides ``pm.hook``. ``host.platform("tiktok").fetch_creator_metrics(account)``
reaches the TikTok plugin's implementation only (plus cross-cutting wrappers registered with
:meth:`PluginHost.add_wrapper`), checks that the answer is the entity the hook promises, and turns a stray
exception into a :class:`~creatorkit.errors.PluginContractError`. The capability, the entity and the client
method's parameters all come from the hook's one declaration in :mod:`creatorkit.hookspecs`.
"""

from .._call_context import CallContext, TokenSource
from ._clients import PaymentClient, PlatformClient
from ._host import PluginContext, PluginHost
from ._loading import STRICT_ENV, InstalledPlugin, PluginLoadWarning, installed_plugins
from ._stages import CAPABILITY_HOOKS

__all__ = [
    "CAPABILITY_HOOKS",
    "STRICT_ENV",
    "CallContext",
    "InstalledPlugin",
    "PaymentClient",
    "PlatformClient",
    "PluginContext",
    "PluginHost",
    "PluginLoadWarning",
    "TokenSource",
    "installed_plugins",
]
