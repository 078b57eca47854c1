"""creatorkit: run creator partnerships end to end across social marketplaces.

The package root re-exports the names an embedding app or a plugin author needs; everything else lives in
its own package, named for what it holds:

- ``creatorkit.entities`` — every value the SDK stores or exchanges (attrs classes, with a JSON Schema each);
- ``creatorkit.parties`` — brands, agencies, managers, creators, rosters and who may act for whom;
- ``creatorkit.discovery`` — finding creators across every enabled platform at once;
- ``creatorkit.workflow`` — a deal's stages (outreach, negotiation, contracting, content review) and its state table;
- ``creatorkit.audit`` — the tamper-evident trail and the evidence bundles drawn from it;
- ``creatorkit.host`` and ``creatorkit.hookspecs`` — how plugins are loaded and what they implement;
- ``creatorkit.store`` — SQLite or PostgreSQL behind one interface;
- ``creatorkit.toolkit`` — what platform plugins are built from: the HTTP client factory, rate budgets, retries,
  error tables, the sandbox transport and the synthetic population.
- ``creatorkit.tokens`` — platform tokens as masked secrets, and the keys that seal them at rest.
"""

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    AuditIntegrityError,
    AuthExpired,
    CapabilityMissing,
    ConfigError,
    ConflictError,
    CreatorkitError,
    DeadlineExceeded,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidRequest,
    NotFound,
    NotSupported,
    PaymentError,
    PaymentNotSupported,
    PayoutAccountMissing,
    PermissionDenied,
    PlatformError,
    PlatformPermissionDenied,
    PluginContractError,
    PluginError,
    PluginLoadError,
    Problem,
    RateLimited,
    SignatureError,
    StateError,
    StoreError,
    Transient,
    ValidationError,
)

if TYPE_CHECKING:
    from . import entities, toolkit
    from ._kit import Creatorkit
    from .config import Config
    from .converter import converter, structure, unstructure
    from .hookspecs import hookimpl
    from .host import CallContext, PluginContext, PluginHost
    from .money import Money, allocate

# Names resolved on first use, so that `import creatorkit` (and with it the CLI's start) does not pay for
# building every entity class and loading cattrs and pluggy until something needs them.
_LAZY = {
    "Actor": "entities",
    "CallContext": "host",
    "Config": "config",
    "Creatorkit": "_kit",
    "Money": "money",
    "PluginContext": "host",
    "PluginHost": "host",
    "allocate": "money",
    "converter": "converter",
    "discover": "discovery",
    "entities": None,
    "hookimpl": "hookspecs",
    "structure": "converter",
    "toolkit": None,
    "unstructure": "converter",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'creatorkit' has no attribute {name!r}")
    import importlib

    module_name = _LAZY[name]
    module = importlib.import_module(f".{module_name or name}", __name__)
    value = module if module_name is None else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Actor",
    "AuditIntegrityError",
    "AuthExpired",
    "CallContext",
    "CapabilityMissing",
    "Config",
    "ConfigError",
    "ConflictError",
    "Creatorkit",
    "CreatorkitError",
    "DeadlineExceeded",
    "IdempotencyConflict",
    "InsufficientFunds",
    "InvalidRequest",
    "Money",
    "NotFound",
    "NotSupported",
    "PaymentError",
    "PaymentNotSupported",
    "PayoutAccountMissing",
    "PermissionDenied",
    "PlatformError",
    "PlatformPermissionDenied",
    "PluginContext",
    "PluginContractError",
    "PluginError",
    "PluginHost",
    "PluginLoadError",
    "Problem",
    "RateLimited",
    "SignatureError",
    "StateError",
    "StoreError",
    "Transient",
    "ValidationError",
    "__version__",
    "allocate",
    "converter",
    "discover",
    "entities",
    "hookimpl",
    "structure",
    "toolkit",
    "unstructure",
]
