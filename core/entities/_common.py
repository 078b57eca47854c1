"""Shared building blocks of the entities: time, windows, sources, identifiers and validators."""

from __future__ import annotations

import enum
import math
import re
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple, TypeVar

import attrs

__all__ = [
    "FieldValueError",
    "MetricSource",
    "Period",
    "ScalarCheck",
    "Window",
    "WindowUnit",
    "aware",
    "country_code",
    "greater_than_zero",
    "new_id",
    "non_negative",
    "non_negative_amount",
    "passes_none",
    "platform_name",
    "positive_amount",
    "typed_fields",
    "unit_interval",
    "utcnow",
]

_PLATFORM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_VALID_PLATFORM_NAMES: set[str] = set()


class FieldValueError(ValueError):
    """A validator's complaint about one field, so that error paths can name it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]
_V = TypeVar("_V", bound=Validator)


def _refuse(attribute: attrs.Attribute[Any], value: Any, kind: str) -> None:
    raise FieldValueError(attribute.name, f"must be {_ARTICLE[kind]}, got {type(value).__name__}")


def _not_finite(attribute: attrs.Attribute[Any], value: float) -> None:
    # NaN and the infinities are not JSON: refused here, where the field can be named.
    raise FieldValueError(attribute.name, f"must be a finite number, got {value}")


def _type_check(kind: str, optional: bool) -> Validator:
    # One function per kind, with the test written out: this runs for every scalar field of every entity built.
    def check_str(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str) and not (optional and value is None):
            _refuse(attribute, value, kind)

    def check_int(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if type(value) is not int and not (optional and value is None):
            _refuse(attribute, value, kind)

    def check_float(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if type(value) is float:
            if not math.isfinite(value):
                _not_finite(attribute, value)
        elif type(value) is not int and not (optional and value is None):
            _refuse(attribute, value, kind)

    def check_bool(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if type(value) is not bool and not (optional and value is None):
            _refuse(attribute, value, kind)

    return {"str": check_str, "int": check_int, "float": check_float, "bool": check_bool}[kind]


def _type_check_then(kind: str, optional: bool, then: Validator) -> Validator:
    # As _type_check, and the field's own validator called from it rather than through attrs' and_, which costs a
    # call more per field (bench/discovery_instructions.py).
    def check_str(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str) and not (optional and value is None):
            _refuse(attribute, value, kind)
        then(instance, attribute, value)

    def check_int(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if type(value) is not int and not (optional and value is None):
            _refuse(attribute, value, kind)
        then(instance, attribute, value)

    def check_float(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if type(value) is float:
            if not math.isfinite(value):
                _not_finite(attribute, value)
        elif type(value) is not int and not (optional and value is None):
            _refuse(attribute, value, kind)
        then(instance, attribute, value)

    def check_bool(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if type(value) is not bool and not (optional and value is None):
            _refuse(attribute, value, kind)
        then(instance, attribute, value)

    return {"str": check_str, "int": check_int, "float": check_float, "bool": check_bool}[kind]


class ScalarCheck(NamedTuple):
    """What a scalar field's validator checks, for the generated constructors (``_construction``) to write out:
    the type (``kind``, ``optional`` for ``| None``), then the field's own validator ``then``, if any."""

    kind: str
    optional: bool
    then: Validator | None


def _scalar_check(kind: str, optional: bool, then: Validator | None) -> Validator:
    """The type check of a scalar field, then the field's own validator ``then`` (the type is checked first, so
    that ``then`` may rely on it)."""
    alone = _type_check(kind, optional)
    alone.__name__ = "scalar_type"
    alone.scalar_check = ScalarCheck(kind, optional, None)  # type: ignore[attr-defined]
    if then is None:
        return alone
    followed = _type_check_then(kind, optional, then)
    followed.scalar_check = ScalarCheck(kind, optional, then)  # type: ignore[attr-defined]
    # The parts, as attrs' and_ lists them: what the schema tests read to mirror each validator in the schema.
    followed._validators = (alone, *getattr(then, "_validators", (then,)))  # type: ignore[attr-defined]
    return followed


def passes_none(validator: _V) -> _V:
    """Mark a validator that accepts ``None`` without a look: the generated constructors (``_construction``) do not
    call it for a field that is ``None`` (``tests/test_entity_construction.py`` holds every marked one to this)."""
    validator.passes_none = True  # type: ignore[attr-defined]
    return validator


def raises_only_if(condition: str, **names: Any) -> Callable[[_V], _V]:
    """Mark a validator with the test it raises behind, over ``{value}``, written as its own code writes it: a
    generated constructor (``_construction``) evaluates the test inline and calls the validator only when it holds,
    so that a valid value costs no call while an invalid one is refused by the validator itself, with its own
    error. The test may read ``names`` (each given to the constructor as ``_raises_<name>``) and ``_type``,
    ``_str`` and ``_isfinite``. It must be false for every value the validator accepts without raising
    (``tests/test_entity_construction.py`` holds every marked validator to this), and is evaluated only for a
    value that is not None."""

    def mark(validator: _V) -> _V:
        validator.raises_only_if = (condition, names)  # type: ignore[attr-defined]
        return validator

    return mark


_ARTICLE = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a string"}


def typed_fields(cls: type, fields: list[attrs.Attribute[Any]]) -> list[attrs.Attribute[Any]]:
    """attrs field transformer: check scalar fields (int, float, bool, str, and their ``| None``) at construction.

    attrs does not check annotations; without this a plugin could build ``Count(value=3.5)`` and the facade, which
    trusts entity instances, would pass a float where the schema promises an integer. The type is checked before
    the field's own validators run, which may then rely on it.
    """
    typed = []
    for field in fields:
        annotation = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")
        optional = annotation.endswith(" | None")
        kind = annotation.removesuffix(" | None")
        if kind in _ARTICLE:
            field = field.evolve(validator=_scalar_check(kind, optional, field.validator))
        typed.append(field)
    return typed


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """A fresh opaque id such as ``deal_3f2a...``; the prefix tells a reader what it names."""
    return f"{prefix}_{secrets.token_hex(16)}"  # 128 random bits (uuid4 has 122), no UUID object built


class MetricSource(enum.StrEnum):
    """Where a figure came from."""

    PLATFORM = "platform"  # read from the platform's API for an authorised account
    ESTIMATED = "estimated"  # modelled or taken from a third-party estimate
    REPORTED = "reported"  # reported by the creator or imported from a partner export


class WindowUnit(enum.StrEnum):
    DAYS = "days"
    POSTS = "posts"
    LIFETIME = "lifetime"


def _window_length(instance: Window, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if instance.unit is WindowUnit.LIFETIME:
        if value is not None:
            raise FieldValueError(attribute.name, "a lifetime window has no length")
    elif value is None or value < 1:
        raise FieldValueError(attribute.name, f"a window in {instance.unit} needs a length of at least 1")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Window:
    """What a figure was computed over: the last N days, the last N posts, or the account's lifetime."""

    unit: WindowUnit
    length: int | None = attrs.field(default=None, validator=_window_length)

    @classmethod
    def days(cls, n: int) -> Window:
        return cls(unit=WindowUnit.DAYS, length=n)

    @classmethod
    def posts(cls, n: int) -> Window:
        return cls(unit=WindowUnit.POSTS, length=n)

    @classmethod
    def lifetime(cls) -> Window:
        return cls(unit=WindowUnit.LIFETIME)

    def __str__(self) -> str:
        return "lifetime" if self.unit is WindowUnit.LIFETIME else f"last {self.length} {self.unit}"


@passes_none
@raises_only_if("{value}.tzinfo is not _raises_UTC", UTC=UTC)
def aware(instance: Any, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    """Datetimes must carry a time zone: a naive time is ambiguous across markets."""
    if value is None or value.tzinfo is UTC:  # the common case, without asking the zone for an offset
        return
    if value.tzinfo is None or value.utcoffset() is None:
        raise FieldValueError(attribute.name, "must be timezone-aware")


@passes_none
@raises_only_if("not _isfinite({value})")
def finite(instance: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise FieldValueError(attribute.name, f"must be a finite number, got {value}")


@passes_none
@raises_only_if("{value} < 0")
def non_negative(instance: Any, attribute: attrs.Attribute[Any], value: int | float | None) -> None:
    if value is not None and value < 0:
        raise FieldValueError(attribute.name, f"must be >= 0, got {value}")


@passes_none
@raises_only_if("not 0.0 <= {value} <= 1.0")
def unit_interval(instance: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise FieldValueError(attribute.name, f"must be between 0 and 1, got {value}")


@passes_none
@raises_only_if("not (_type({value}) is _str and {value} in _raises_known)", known=_VALID_PLATFORM_NAMES)
def platform_name(instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None or (type(value) is str and value in _VALID_PLATFORM_NAMES):
        return
    if not _PLATFORM_NAME.match(value):
        raise FieldValueError(attribute.name, f"must be a lower-case plugin name like 'tiktok', got {value!r}")
    if len(_VALID_PLATFORM_NAMES) < 1024:  # a handful of platforms, checked on every deal built
        _VALID_PLATFORM_NAMES.add(value)


#: What a field of several country codes holds them in.
_CODE_COLLECTIONS = (tuple, frozenset)


@passes_none
def country_code(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is str and _COUNTRY.match(value):  # one code, the common case
        return
    values = value if isinstance(value, _CODE_COLLECTIONS) else (value,)
    for code in values:
        if code is not None and not _COUNTRY.match(code):
            raise FieldValueError(attribute.name, f"must hold ISO 3166-1 alpha-2 codes like 'US', got {code!r}")


@passes_none
@raises_only_if("{value} <= 0")
def greater_than_zero(instance: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    """A step or a size that may be fractional (a rate rounded to 0.001) but is more than nothing."""
    if value is not None and value <= 0:
        raise FieldValueError(attribute.name, f"must be more than 0, got {value}")


@passes_none
@raises_only_if("{value} < 1")
def positive(instance: Any, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and value < 1:
        raise FieldValueError(attribute.name, f"must be >= 1, got {value}")


@passes_none
@raises_only_if("{value}.amount < 1")
def positive_amount(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A price, a milestone or a cap is money owed for work: at least one minor unit, never a refund in disguise.

    Money itself may be negative (a ledger posting, a refund); the fields that may not say so with this.
    """
    if value is not None and value.amount < 1:
        raise FieldValueError(attribute.name, f"must be more than zero, got {value}")


@passes_none
@raises_only_if("{value}.amount < 0")
def non_negative_amount(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Zero is a meaningful amount here (a brief with a zero budget is an unpaid task); below zero is not."""
    if value is not None and value.amount < 0:
        raise FieldValueError(attribute.name, f"must not be negative, got {value}")


def each(check: Callable[[Any, attrs.Attribute[Any], Any], None]) -> Callable[..., None]:
    def run(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        for item in value:
            check(instance, attribute, item)

    return run


def _ends_after_start(instance: Period, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    if value <= instance.start:
        raise FieldValueError(attribute.name, f"must be after start ({instance.start.isoformat()})")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class Period:
    """A stretch of time figures are asked for or cover: from ``start`` (inclusive) to ``end`` (exclusive).

    :class:`Window` says what a figure was computed over relative to when it was read ("last 30 days");
    a period names the instants, as a platform's ``since``/``until`` or ``start_date``/``end_date`` do.
    """

    start: datetime = attrs.field(validator=aware)
    end: datetime = attrs.field(validator=[aware, _ends_after_start])

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def days(self) -> list[date]:
        """Every calendar day (UTC) the period touches, first to last."""
        first, last = self.start.astimezone(UTC).date(), (self.end - _INSTANT).astimezone(UTC).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


_INSTANT = timedelta(microseconds=1)
