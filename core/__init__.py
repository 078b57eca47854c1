"""creatorkit: run creator partnerships end to end across social marketplaces.

The package root re-exports the names an embedding app or a plugin author needs; everything else lives in
its own module (``creatorkit.entities``, ``creatorkit.plugins``, ``creatorkit.config``, ...).
"""

from . import entities
from ._version import __version__
from .config import Config
from .converter import converter, structure, unstructure
from .errors import (
    AuditIntegrityError,
    AuthExpired,
    CapabilityMissing,
    ConfigError,
    ConflictError,
    CreatorkitError,
    NotFound,
    PaymentError,
    PermissionDenied,
    PlatformError,
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
from .hookspecs import hookimpl
from .money import Money, allocate
from .plugins import PluginContext, PluginHost

__all__ = [
    "AuditIntegrityError",
    "AuthExpired",
    "CapabilityMissing",
    "Config",
    "ConfigError",
    "ConflictError",
    "CreatorkitError",
    "Money",
    "NotFound",
    "PaymentError",
    "PermissionDenied",
    "PlatformError",
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
    "entities",
    "hookimpl",
    "structure",
    "unstructure",
]
