"""The entities' generated constructors (creatorkit.entities._construction) against attrs' own.

Each installed constructor is held to the attrs constructor it replaced: on every entity the samples hold
(nested ones too), as given, with each field left to its default, and with each field swapped for values of the
wrong kind, the two build equal entities or refuse with the same error naming the same field.
"""

from __future__ import annotations

import inspect
import math
import typing
from collections.abc import Iterator
from datetime import timedelta, timezone
from typing import Any

import attrs
import pytest

from creatorkit import Money
from creatorkit import entities as ent
from creatorkit.entities import _construction
from samples import EXTRA_SAMPLES, SAMPLES, START

#: What each field is swapped for: every kind a scalar check tells apart, and the edges of the common validators.
BAD_VALUES: tuple[Any, ...] = (None, "text", "", 0, -1, 7, 1.5, -0.5, 2.0, math.nan, math.inf, True, (), {}, b"x")


def _entities(value: Any) -> Iterator[Any]:
    """Every attrs instance in ``value``, itself and nested (in fields, tuples, lists and dict values)."""
    if attrs.has(type(value)):
        yield value
        for field in attrs.fields(type(value)):
            yield from _entities(getattr(value, field.name))
    elif isinstance(value, tuple | list | frozenset):
        for item in value:
            yield from _entities(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _entities(item)


def _examples() -> dict[type, list[Any]]:
    found: dict[type, list[Any]] = {}
    for value in [*SAMPLES.values(), *(value for _, value in EXTRA_SAMPLES)]:
        for entity in _entities(value):
            if type(entity) in _construction._ATTRS_INIT:
                found.setdefault(type(entity), []).append(entity)
    return found


EXAMPLES = _examples()


def _outcome(init: Any, cls: type, kwargs: dict[str, Any]) -> tuple[str, Any]:
    """What ``init`` makes of ``kwargs``: the entity's fields, or the error's type, message and field."""
    instance: Any = object.__new__(cls)
    try:
        init(instance, **kwargs)
    except Exception as exc:
        return "refused", (type(exc), str(exc), getattr(exc, "field", None))
    return "built", tuple(getattr(instance, field.name) for field in attrs.fields(cls))


def _same(cls: type, kwargs: dict[str, Any]) -> None:
    generated = _outcome(vars(cls)["__init__"], cls, kwargs)
    original = _outcome(_construction._ATTRS_INIT[cls], cls, kwargs)
    if generated[0] == original[0] == "built":  # NaN is not equal to itself: compare the reprs of what was built
        assert repr(generated[1]) == repr(original[1]), (cls.__name__, kwargs)
    else:
        assert generated == original, (cls.__name__, kwargs)


def _fields_of(entity: Any) -> dict[str, Any]:
    return {field.name: getattr(entity, field.name) for field in attrs.fields(type(entity))}


def test_the_entities_read_by_the_hundred_have_a_generated_constructor() -> None:
    for cls in (
        ent.AudienceShare,
        ent.AudienceBreakdown,
        ent.AudienceProfile,
        ent.Count,
        ent.Rate,
        ent.CreatorMetrics,
        ent.CreatorProfile,
        ent.PlatformAccount,
        ent.CreatorCandidate,
        Money,
    ):
        assert cls in _construction._ATTRS_INIT, cls.__name__
        name = f"<creatorkit constructor {cls.__module__}.{cls.__qualname__}>"
        assert vars(cls)["__init__"].__code__.co_filename == name


def test_the_samples_cover_most_generated_constructors() -> None:
    # The comparisons below are only as wide as the samples: most installed classes must appear in them.
    assert len(EXAMPLES) >= 0.75 * len(_construction._ATTRS_INIT), sorted(c.__name__ for c in EXAMPLES)


def _name(cls: Any) -> str:
    return str(cls.__qualname__)


@pytest.mark.parametrize("cls", sorted(EXAMPLES, key=_name), ids=_name)
def test_a_generated_constructor_builds_and_refuses_as_attrs_does(cls: type) -> None:
    for entity in EXAMPLES[cls][:3]:
        given = _fields_of(entity)
        _same(cls, given)
        for field in attrs.fields(cls):
            if field.default is not attrs.NOTHING:
                _same(cls, {k: v for k, v in given.items() if k != field.name})
            for bad in BAD_VALUES:
                _same(cls, {**given, field.name: bad})
        _same(cls, {**given, "not_a_field": 1})
        _same(cls, {k: v for k, v in given.items() if k != attrs.fields(cls)[0].name})


def test_disabled_validators_are_not_run_by_a_generated_constructor() -> None:
    wrong: Any = 7
    with attrs.validators.disabled():
        share = ent.AudienceShare(key=wrong, share=5.0)
    assert share.key is wrong and share.share == 5.0
    with pytest.raises(ValueError, match="between 0 and 1"):
        ent.AudienceShare(key="US", share=5.0)


def test_every_validator_marked_as_passing_none_lets_none_pass() -> None:
    # A generated constructor skips such a validator for None: that is right only while the validator agrees.
    marked = {
        part
        for cls in _construction._ATTRS_INIT
        for field in attrs.fields(cls)
        for part in _parts(field.validator)
        if getattr(part, "passes_none", False)
    }
    assert {"aware", "unit_interval", "platform_name", "positive_amount"} <= {v.__name__ for v in marked}
    attribute = attrs.fields_dict(ent.Count)["value"]
    for validator in marked:
        assert validator(None, attribute, None) is None, validator.__name__  # raises if None does not pass


#: Values a ``raises_only_if`` test is tried on: each edge of the common validators, of every kind they are given.
EDGE_VALUES: tuple[Any, ...] = (
    *BAD_VALUES,
    0.0,
    1.0,
    1,
    -0.0,
    1e-300,
    0.999999,
    1.000001,
    -math.inf,
    10**20,
    "tiktok",
    "instagram",
    "TikTok",
    "tik tok",
    START,
    START.replace(tzinfo=None),
    START.astimezone(timezone(timedelta(hours=9))),
    Money(1, "USD"),
    Money(0, "USD"),
    Money(-5, "JPY"),
    object(),
)


def test_a_validator_marked_raises_only_if_accepts_every_value_its_test_passes() -> None:
    """A generated constructor calls a marked validator only when its test holds: for every edge value, a test
    that does not hold must be a value the validator accepts, and a test that raises must raise as it does."""
    marked = {
        part
        for cls in _construction._ATTRS_INIT
        for field in attrs.fields(cls)
        for part in _parts(field.validator)
        if getattr(part, "raises_only_if", None) is not None
    }
    assert {"aware", "unit_interval", "platform_name", "non_negative", "positive"} <= {v.__name__ for v in marked}
    attribute = attrs.fields_dict(ent.Count)["value"]
    for validator in marked:
        condition, reads = validator.raises_only_if
        scope = {"_type": type, "_str": str, "_isfinite": math.isfinite}
        scope.update({f"_raises_{name}": value for name, value in reads.items()})
        test = eval(compile(f"lambda value: {condition.format(value='value')}", "<test>", "eval"), scope)
        for value in EDGE_VALUES:
            if value is None:  # the constructors never evaluate a test for None
                continue
            try:
                holds = test(value)
            except Exception as error:
                with pytest.raises(type(error)):
                    validator(None, attribute, value)
                continue
            if not holds:
                validator(None, attribute, value)  # raises when the test lets through a value it refuses


def _parts(validator: Any) -> list[Any]:
    check = getattr(validator, "scalar_check", None)
    own = check.then if check is not None else validator
    return list(getattr(own, "_validators", (own,))) if own is not None else []


def test_uninstalling_puts_attrs_constructors_back_and_installing_again_restores_the_generated_ones() -> None:
    generated = ent.Count.__init__
    classes = list(_construction._ATTRS_INIT)
    try:
        _construction.uninstall()
        assert ent.Count.__init__.__code__.co_filename.startswith("<attrs generated")
        lifetime, platform = ent.Window.lifetime(), ent.MetricSource.PLATFORM
        assert ent.Count(value=3, window=lifetime, source=platform, as_of=START).value == 3
    finally:
        assert _construction.install(classes) == len(classes)
    assert ent.Count.__init__.__code__.co_code == generated.__code__.co_code


def test_a_generated_constructor_has_the_annotations_and_the_source_lines_of_attrs_one() -> None:
    hints = typing.get_type_hints(ent.Count.__init__)
    assert hints == typing.get_type_hints(_construction._ATTRS_INIT[ent.Count])
    assert hints["window"] is ent.Window
    assert "def __init__(self, *, value, window" in inspect.getsource(ent.Count.__init__)


def test_a_subclass_that_inherits_a_generated_constructor_is_built_by_attrs_one() -> None:
    class FixedValue(ent.Count):
        @property  # a property over the field, as a subclass may write
        def value(self) -> int:
            return 5

    given: dict[str, Any] = {
        "value": 1,
        "window": ent.Window.lifetime(),
        "source": ent.MetricSource.PLATFORM,
        "as_of": START,
    }
    with pytest.raises(AttributeError, match="no setter"):  # attrs' object.__setattr__ meets the property
        FixedValue(**given)

    class Plain(ent.Count):
        pass

    assert Plain(**given).value == 1


def _stripped(text: str) -> str:
    return text.strip()


def test_a_class_the_generator_cannot_match_keeps_attrs_constructor() -> None:
    @attrs.frozen(kw_only=True)
    class Converted:
        name: str = attrs.field(converter=_stripped)

    @attrs.frozen
    class PostInit:
        value: int

        def __attrs_post_init__(self) -> None:
            pass

    @attrs.frozen
    class Private:
        _value: int

    @attrs.frozen(cache_hash=True)
    class CachedHash:
        value: int

    @attrs.frozen(init=False)
    class OwnInit:
        value: int

        def __init__(self, value: int) -> None:
            self.__attrs_init__(value * 2)

    @attrs.frozen(auto_exc=True)
    class Failure(Exception):
        value: int

    for cls in (Converted, PostInit, Private, CachedHash, OwnInit, Failure):
        assert _construction.generated(cls) is None, cls.__name__
