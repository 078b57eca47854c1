"""One cattrs converter for every entity: to and from plain JSON-ready data.

``structure`` reports *every* problem at once as a :class:`~creatorkit.errors.ValidationError` whose
problems carry field paths such as ``terms.payment.milestones[1].amount``.
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    StructureHandlerNotFoundError,
)

from .entities._common import FieldValueError
from .errors import Problem, ValidationError
from .tokens import Secret

__all__ = ["coerce_enum", "converter", "structure", "unstructure", "unstructure_evolved"]

T = TypeVar("T")
N = TypeVar("N", bound=enum.Enum)

converter = cattrs.Converter(forbid_extra_keys=True)


def _structure_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise ValueError(f"expected an ISO 8601 date-time string, got {type(value).__name__}")
    if parsed.tzinfo is None:
        raise ValueError("date-time must carry a time zone offset")
    return parsed


def _structure_date(value: Any, _: type) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise ValueError(f"expected an ISO 8601 date string, got {type(value).__name__}")


def _structure_int(value: Any, _: type) -> int:
    # cattrs would coerce "12" or 12.7 into an int; data from a platform must already be an integer.
    if type(value) is not int:
        raise ValueError(f"expected an integer, got {type(value).__name__}")
    return value


def _structure_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _structure_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


def _structure_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {type(value).__name__}")
    return value


def _structure_secret(value: Any, _: type) -> Secret:
    # Never quote the value: it is a token.
    if isinstance(value, Secret):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return Secret(value)


def _structure_enum(value: Any, cls: type[enum.Enum]) -> enum.Enum:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in cls)
        raise ValueError(f"{value!r} is not one of {allowed}") from None


converter.register_unstructure_hook(datetime, lambda moment: moment.isoformat())
converter.register_structure_hook(datetime, _structure_datetime)
converter.register_unstructure_hook(date, lambda value: value.isoformat())
converter.register_structure_hook(date, _structure_date)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(float, _structure_float)
converter.register_structure_hook(str, _structure_str)
converter.register_structure_hook(bool, _structure_bool)
# A Secret unstructures to its text: plain data is what the schema checks and what a plugin may answer with. Keep
# unstructured tokens out of logs like the tokens themselves.
converter.register_structure_hook(Secret, _structure_secret)
converter.register_unstructure_hook(Secret, Secret.reveal)
# cattrs dispatches on the MRO, where StrEnum comes before str: these keep enums from being taken as strings.
for _enum_base in (enum.StrEnum, enum.Enum):
    converter.register_structure_hook(_enum_base, _structure_enum)
    # _value_ is a plain attribute; .value goes through a descriptor, and every deal save has a few enums.
    converter.register_unstructure_hook(_enum_base, lambda value: value._value_)
# Sets become sorted lists so that the same entity always serialises to the same bytes.
converter.register_unstructure_hook_func(
    lambda t: getattr(t, "__origin__", None) is frozenset,
    lambda value: sorted(v.value if isinstance(v, enum.Enum) else v for v in value),
)

_DOLLAR = re.compile(r"^\$\.?")


_FIELD_MARK = "\x1f"


def _describe(exc: BaseException, expected: type | None) -> str:
    if isinstance(exc, FieldValueError):
        return f"{exc}{_FIELD_MARK}{exc.field}"
    if isinstance(exc, ValidationError):
        return _FIELD_MARK.join([exc.problems[0].message, exc.problems[0].path]) if exc.problems else str(exc)
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"unknown field(s): {', '.join(sorted(exc.extra_fields))}"
    if isinstance(exc, StructureHandlerNotFoundError):
        return f"cannot build {exc.type_!r} from this value"
    if isinstance(exc, ValueError | TypeError) and str(exc):
        return str(exc)
    name = getattr(expected, "__name__", None) or str(expected)
    return f"invalid value, expected {name}"


def _problems(exc: BaseException) -> list[Problem]:
    problems = []
    for line in cattrs.transform_error(exc, path="$", format_exception=_describe):
        message, _, path = line.rpartition(" @ ")
        path = _DOLLAR.sub("", path)
        if _FIELD_MARK in message:
            message, field = message.split(_FIELD_MARK, 1)
            path = f"{path}.{field}" if path else field
        problems.append(Problem(path, message))
    return problems


def structure(data: Any, cls: type[T], *, what: str | None = None) -> T:
    """Build ``cls`` from plain data; raise :class:`ValidationError` listing every problem with its path."""
    try:
        return converter.structure(data, cls)
    except (ClassValidationError, IterableValidationError) as exc:
        raise ValidationError(_problems(exc), what or cls.__name__) from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValidationError([Problem("", str(exc))], what or cls.__name__) from None


def coerce_enum(cls: type[N], value: Any, field: str, *, what: str = "data") -> N:
    """``value`` as a member of ``cls``, or a ValidationError naming ``field`` and the allowed values."""
    try:
        return cls(value)
    except (ValueError, TypeError):
        allowed = ", ".join(str(member.value) for member in cls)
        raise ValidationError([Problem(field, f"{value!r} is not one of {allowed}")], what) from None


def unstructure(value: Any) -> Any:
    """Plain JSON-ready data (dicts, lists, strings, numbers) for an entity."""
    return converter.unstructure(value)


def unstructure_evolved(entity: T, before: T, before_doc: dict[str, Any]) -> dict[str, Any]:
    """``unstructure(entity)`` for an entity evolved from ``before``, whose document is ``before_doc``.

    A field that still holds the very object ``before`` held keeps its value from ``before_doc``; only the
    changed fields are converted. A deal moving on changes its state and a few dates, not its agreed terms.
    The result shares those values with ``before_doc``: documents are never changed in place.
    """
    cls = type(entity)
    if type(before) is not cls:
        raise TypeError(f"cannot unstructure a {cls.__name__} as evolved from a {type(before).__name__}")
    plan = _FIELD_HOOKS.get(cls)
    if plan is None:
        plan = _FIELD_HOOKS[cls] = _field_hooks(cls)
    doc: dict[str, Any] = {}
    for name, hook in plan:
        value = getattr(entity, name)
        if value is getattr(before, name) and name in before_doc:
            doc[name] = before_doc[name]
        else:
            doc[name] = value if hook is None else hook(value)
    return doc


# Per attrs class: (field name, the converter's hook for its type, or None where the value is its own form).
_FIELD_HOOKS: dict[type, tuple[tuple[str, Any], ...]] = {}
_PLAIN = (str, int, bool, float)


def _field_hooks(cls: type) -> tuple[tuple[str, Any], ...]:
    attrs.resolve_types(cls)
    return tuple(
        (field.name, None if field.type in _PLAIN else converter.get_unstructure_hook(field.type))
        for field in attrs.fields(cls)
    )
