"""The entities' constructors, generated with their type checks written out.

attrs' own ``__init__`` of a frozen class sets each field through ``object.__setattr__`` and then calls one
validator per field; the type check :func:`~creatorkit.entities._common.typed_fields` adds is such a call, and
a field's own validator is a second one behind it. Entities are built by the hundred for every page a platform
answers (twenty creators are some 600 of them), and those calls were a sixth of what reading a page cost
(``python bench/discovery_instructions.py --without entity_constructors``). The constructor generated here does
what attrs' does, in the same order, with the type checks inline and each field set through its slot:

* the same signature (keyword-only fields after ``*``, defaults and ``attrs.Factory`` defaults);
* every field set, then, unless ``attrs.validators.disabled()`` is in force, each field's checks in field order:
  its type check (raising the same ``FieldValueError`` through the same functions), then its own validators
  (one marked ``passes_none``, which lets None pass without a look, is not called for None; one marked
  ``raises_only_if`` is called only when the test it raises behind holds, the test written out, so a valid value
  costs no call). Each is given the argument where attrs reads the field back from the instance: the same value,
  since no validator writes a field.

It is the class's own constructor only: an instance of a subclass that inherits it (which may override a field
with a property or a slot of its own) is built by attrs' constructor, as before. A class it cannot reproduce
exactly keeps attrs' constructor: an exception class; one whose ``__init__`` is not attrs' (written by hand, or
``init=False``); one with a converter, an ``__attrs_pre_init__`` or ``__attrs_post_init__``, a field left out of
``__init__`` or named differently there, a slot that is no field (``cache_hash``), or a field with no slot.
``tests/test_entity_construction.py`` holds every generated constructor to attrs' on valid and invalid input.
"""

from __future__ import annotations

import linecache
import math
import sys
import types
from collections.abc import Callable, Iterable
from typing import Any, cast

import attrs

from ._common import ScalarCheck, _not_finite, _refuse

_config: Any
try:  # attrs' switch behind attrs.validators.disabled(): read as its own constructors read it
    from attr import _config
except ImportError:  # pragma: no cover - an attrs without it keeps its own constructors
    _config = None

__all__ = ["generated", "install", "uninstall"]

#: The class of attrs' ``and_`` validator (what a list of validators becomes), whose parts are called one by one.
_AND: type = type(attrs.validators.and_())
#: attrs' constructor of each class given a generated one, to put back (:func:`uninstall`).
_ATTRS_INIT: dict[type, Callable[..., None]] = {}
#: What a generated constructor's code reads besides its own class's fields: prefixed, so no field shadows it.
_SHARED = {
    "_config": _config,
    "_NOTHING": attrs.NOTHING,
    "_refuse": _refuse,
    "_not_finite": _not_finite,
    "_isfinite": math.isfinite,
    "_type": type,
    "_isinstance": isinstance,
    "_int": int,
    "_float": float,
    "_str": str,
    "_bool": bool,
}


def _slot_setter(cls: type, name: str) -> Callable[[Any, Any], None] | None:
    for klass in cls.__mro__:
        if name in vars(klass):
            found = vars(klass)[name]
            return found.__set__ if isinstance(found, types.MemberDescriptorType) else None
    return None


def _type_check(name: str, check: ScalarCheck) -> list[str]:
    """The lines of one scalar field's type check, as ``_common._type_check`` makes it."""
    none = f" and {name} is not None" if check.optional else ""
    refuse = f"_refuse(_attr_{name}, {name}, {check.kind!r})"
    if check.kind == "str":
        return [f"if not _isinstance({name}, _str){none}:", f"    {refuse}"]
    if check.kind == "float":
        return [
            f"if _type({name}) is _float:",
            f"    if not _isfinite({name}):",
            f"        _not_finite(_attr_{name}, {name})",
            f"elif _type({name}) is not _int{none}:",
            f"    {refuse}",
        ]
    return [f"if _type({name}) is not _{check.kind}{none}:", f"    {refuse}"]


def _checks(name: str, validator: Any, names: dict[str, Any]) -> list[str]:
    """The lines that check one field: its type check written out, then a call of each of its own validators.

    Where the value may be None (an optional type, or none checked) and every own validator lets None pass
    (``_common.passes_none``), the calls are made only for a value that is not None.
    """
    if validator is None:
        return []
    scalar: ScalarCheck | None = getattr(validator, "scalar_check", None)
    own = scalar.then if scalar is not None else validator
    parts = tuple(cast(Any, own)._validators) if isinstance(own, _AND) else (own,) if own is not None else ()
    may_skip = bool(parts) and all(getattr(part, "passes_none", False) for part in parts)
    guarded = may_skip and (scalar is None or scalar.optional)
    # Past a type check that refuses None, or inside the guard below, the value is not None.
    not_none = guarded or (scalar is not None and not scalar.optional)
    calls = []
    for place, part in enumerate(parts):
        names[f"_validate_{name}_{place}"] = part
        call = f"_validate_{name}_{place}(self, _attr_{name}, {name})"
        test = _raises_test(part, name, names)
        if test is None:
            calls.append(call)
        else:
            calls += [f"if {test if not_none else f'{name} is not None and ({test})'}:", f"    {call}"]
    if guarded:
        typed = _type_check(name, scalar._replace(optional=False)) if scalar is not None else []
        return [f"if {name} is not None:", *(f"    {line}" for line in [*typed, *calls])]
    return [*(_type_check(name, scalar) if scalar is not None else []), *calls]


def _raises_test(validator: Any, name: str, names: dict[str, Any]) -> str | None:
    """The test ``validator`` raises behind (``_common.raises_only_if``) over field ``name``, its names added to
    ``names``; None for a validator with no such mark, or one whose names another validator uses otherwise."""
    marked = getattr(validator, "raises_only_if", None)
    if marked is None:
        return None
    condition, reads = marked
    for read, value in reads.items():
        if names.setdefault(f"_raises_{read}", value) is not value:
            return None
    return str(condition).format(value=name)


def _source(cls: type) -> tuple[str, dict[str, Any]] | None:
    """The code of ``cls``'s constructor and the names it reads; None when it cannot be attrs' exactly."""
    if _config is None or not hasattr(_config, "_run_validators"):
        return None
    if issubclass(cls, BaseException) or not _attrs_own_init(cls):
        return None
    if any(hasattr(cls, hook) for hook in ("__attrs_pre_init__", "__attrs_post_init__")):
        return None
    fields = attrs.fields(cast(Any, cls))
    if set(vars(cls).get("__slots__", ())) - {"__weakref__"} - {field.name for field in fields}:
        return None  # a slot attrs fills itself (cache_hash's), which this would not
    # The module's names first, so that the annotations resolve (typing.get_type_hints) as on attrs' constructor.
    names: dict[str, Any] = {**vars(sys.modules[cls.__module__]), **_SHARED}
    names.update(_cls=cls, _attrs_init=vars(cls)["__init__"])
    positional: list[str] = []
    keyword: list[str] = []
    sets: list[str] = []
    checks: list[str] = []
    arguments: list[str] = []
    for field in fields:
        name = field.name
        setter = _slot_setter(cls, name)
        if not field.init or field.converter is not None or field.alias != name or name == "self" or setter is None:
            return None
        names[f"_set_{name}"], names[f"_attr_{name}"] = setter, field
        if field.default is attrs.NOTHING:
            parameter = name
        elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]  # attrs.Factory is a class
            parameter = f"{name}=_NOTHING"
            names[f"_factory_{name}"] = field.default.factory
            argument = "self" if field.default.takes_self else ""
            sets += [f"if {name} is _NOTHING:", f"    {name} = _factory_{name}({argument})"]
        else:
            parameter = f"{name}=_default_{name}"
            names[f"_default_{name}"] = field.default
        (keyword if field.kw_only else positional).append(parameter)
        arguments.append(f"{name}={name}")
        sets.append(f"_set_{name}(self, {name})")
        checks += _checks(name, field.validator, names)
    signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    lines = [
        f"def __init__({signature}):",
        "    if _type(self) is not _cls:",  # a subclass's instance: attrs' constructor, which respects its overrides
        f"        return _attrs_init({', '.join(['self', *arguments])})",
        *(f"    {line}" for line in sets),
    ]
    if checks:
        lines += ["    if _config._run_validators is True:", *(f"        {line}" for line in checks)]
    return "\n".join(lines) + "\n", names


def generated(cls: type) -> Callable[..., None] | None:
    """A constructor for attrs class ``cls`` that does what attrs' does (see the module); None if it cannot."""
    built = _source(cls)
    if built is None:
        return None
    code, names = built
    filename = f"<creatorkit constructor {cls.__module__}.{cls.__qualname__}>"
    exec(compile(code, filename, "exec"), names)
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)  # for tracebacks
    init: Callable[..., None] = names["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    original: Any = cls
    init.__annotations__ = dict(getattr(original.__init__, "__annotations__", {}))
    init.__doc__ = original.__init__.__doc__
    return init


def _attrs_own_init(cls: type) -> bool:
    """Whether ``cls`` defines its own ``__init__`` and attrs generated it."""
    init = vars(cls).get("__init__")
    code = getattr(init, "__code__", None)
    return code is not None and code.co_filename.startswith("<attrs generated")


def install(classes: Iterable[type]) -> int:
    """Give each attrs class among ``classes`` a generated constructor where one can be made; how many were."""
    count = 0
    for cls in classes:
        if not isinstance(cls, type) or not attrs.has(cls) or cls in _ATTRS_INIT:
            continue
        init = generated(cls)
        if init is not None:
            target: Any = cls
            _ATTRS_INIT[cls] = target.__init__
            target.__init__ = init
            count += 1
    return count


def uninstall() -> dict[type, Callable[..., None]]:
    """Put attrs' own constructors back (what the benchmarks' switch measures against); they are returned."""
    restored = dict(_ATTRS_INIT)
    for cls, init in restored.items():
        target: Any = cls
        target.__init__ = init
    _ATTRS_INIT.clear()
    return restored
