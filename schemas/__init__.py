"""The JSON Schemas (draft 2020-12) of creatorkit, and how to validate plain data against them.

One hand-kept ``<Name>.json`` per entity class (the names of
:data:`creatorkit.entities.ENTITY_CLASSES`) plus ``CreatorkitConfig.json`` for the config file. Each schema
has the ``$id`` ``https://schemas.creatorkit.dev/<Name>.json``, an identifier only: nested entities are
relative ``$ref``\\ s (``"Money.json"``) resolved through :func:`registry`, and nothing is ever fetched.

The schemas describe the *unstructured* form of an entity (what :func:`creatorkit.converter.unstructure`
returns): every field present, datetimes as ISO 8601 strings with an offset, enums as their values.
Plugins' outputs are checked against them before the core accepts them::

    from creatorkit import schemas

    schemas.validate("Money", {"amount": 1999, "currency": "USD"})
    schemas.errors("Money", {"amount": 19.99, "currency": "usd"})
    # [Problem('amount', "19.99 is not of type 'integer'"), Problem('currency', "'usd' does not match ...")]

jsonschema and referencing are imported on first use, so importing this package costs next to nothing.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Collection, Iterator
from datetime import date, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

from .._redaction import join_path, mask_message
from ..errors import Problem, ValidationError

if TYPE_CHECKING:
    from jsonschema import FormatChecker
    from jsonschema.exceptions import ValidationError as SchemaError
    from jsonschema.protocols import Validator
    from referencing import Registry

__all__ = ["BASE_URI", "errors", "load", "names", "registry", "validate", "validator"]

#: The prefix of every schema's ``$id``; relative ``$ref``\ s resolve against it.
BASE_URI = "https://schemas.creatorkit.dev/"

# RFC 3339 shapes. datetime.fromisoformat alone would also take a bare date or a basic-format time.
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@functools.cache
def names() -> list[str]:
    """Every schema name (file stem), sorted; files starting with ``_`` are private and left out."""
    return sorted(
        entry.name.removesuffix(".json")
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(".json") and not entry.name.startswith("_")
    )


@functools.cache
def _load(name: str) -> dict[str, Any]:
    if name not in names():
        raise KeyError(f"no schema named {name!r}; known: {', '.join(names())}")
    schema: dict[str, Any] = json.loads(resources.files(__name__).joinpath(f"{name}.json").read_text("utf-8"))
    return schema


def load(name: str) -> dict[str, Any]:
    """The schema ``name`` as a dict (a copy: the cached original stays as the validators saw it).

    Raises ``KeyError`` for an unknown name.
    """
    return copy.deepcopy(_load(name))


@functools.cache
def _bare(name: str) -> dict[str, Any]:
    """Schema ``name`` without its ``$schema`` keyword, as the registry and the validators hold it.

    jsonschema picks the validator class afresh from ``$schema`` whenever a ``$ref`` enters another file,
    which would drop the strict integer check of :func:`validator`; the dialect is stated to
    ``referencing`` explicitly instead.
    """
    return {key: value for key, value in _load(name).items() if key != "$schema"}


@functools.cache
def registry() -> Registry:
    """A ``referencing.Registry`` with every schema under its ``$id``, as draft 2020-12; it never fetches.

    The schemas are held without their ``$schema`` keyword (see :func:`validator`); use it as the
    ``registry`` of your own validator to ``$ref`` creatorkit's schemas (``"Money.json"``).
    """
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    return (
        Registry()
        .with_resources(
            (_bare(name).get("$id", f"{BASE_URI}{name}.json"), DRAFT202012.create_resource(_bare(name)))
            for name in names()
        )
        .crawl()
    )


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    # The regex demands an offset, so the parsed value is always aware; this catches 2024-02-30 and 25:00.
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    return True


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    date.fromisoformat(value)
    return True


@functools.cache
def _format_checker() -> FormatChecker:
    """Draft 2020-12's format checker, with date-time and date checked by the standard library.

    jsonschema checks ``date-time`` only when the optional ``rfc3339-validator`` is installed and passes
    everything otherwise; a naive or malformed time must never slip through for want of a package.
    """
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())
    checker.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)
    checker.checks("date-time", raises=ValueError)(_is_date_time)
    checker.checks("date", raises=ValueError)(_is_date)
    return checker


@functools.cache
def _validator_class() -> type[Validator]:
    """Draft 2020-12, except that ``"integer"`` means a Python ``int``.

    JSON Schema counts ``4500.0`` as an integer; creatorkit does not, because a float amount of money is
    the sign of float arithmetic, and :func:`creatorkit.converter.structure` refuses it as well.
    """
    from jsonschema import Draft202012Validator, validators

    def is_integer(checker: object, instance: object) -> bool:
        return isinstance(instance, int) and not isinstance(instance, bool)

    type_checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", is_integer)
    # types-jsonschema leaves extend() unannotated.
    cls: type[Validator] = validators.extend(Draft202012Validator, type_checker=type_checker)  # type: ignore[no-untyped-call]
    return cls


@functools.cache
def validator(name: str) -> Validator:
    """A cached draft 2020-12 validator for schema ``name``, resolving ``$ref``\\ s through :func:`registry`.

    It checks ``format`` (``date-time`` with an offset, ``date``) and takes only ``int`` as ``"integer"``.
    """
    return _validator_class()(_bare(name), registry=registry(), format_checker=_format_checker())


def errors(name: str, instance: Any, *, secrets: Collection[str] = ()) -> list[Problem]:
    """Every way ``instance`` breaks schema ``name``, each with its field path, sorted by path.

    ``secrets`` are field paths whose values must not be shown (``creatorkit.store`` when it came from the
    environment): a message about such a value, or about data holding one, shows it as ``***``.
    """
    found: set[Problem] = set()
    for error in validator(name).iter_errors(instance):
        found.update(_problems(error, secrets))
    return sorted(found, key=lambda p: (p.path, p.message))


def validate(name: str, instance: Any, *, what: str | None = None) -> None:
    """Raise :class:`~creatorkit.errors.ValidationError` with every problem if ``instance`` breaks ``name``.

    ``what`` names the data in the message (``"tiktok discovery page"``); it defaults to the schema name.
    """
    problems = errors(name, instance)
    if problems:
        raise ValidationError(problems, what or name)


def _problems(error: SchemaError, secrets: Collection[str] = ()) -> Iterator[Problem]:
    """The problems of one jsonschema error, named by the field they are about, with ``secrets`` masked."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        branch = _relevant_branch(error)
        if branch is not None:
            for sub in branch:
                yield from _problems(sub, secrets)
            return
    where = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict) and isinstance(error.validator_value, list):
        for missing in error.validator_value:
            if missing not in error.instance:
                yield Problem(join_path([*where, missing]), "required field missing")
        return
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        for extra in error.instance:
            if extra not in known:
                yield Problem(join_path([*where, extra]), "unknown field")
        return
    yield Problem(join_path(where), mask_message(_message(error), error.instance, join_path(where), secrets))


def _message(error: SchemaError) -> str:
    if error.validator == "format" and error.validator_value == "date-time":
        return f"{error.instance!r} is not an ISO 8601 date-time with a time zone offset"
    if error.validator == "format" and error.validator_value == "date":
        return f"{error.instance!r} is not an ISO 8601 date (YYYY-MM-DD)"
    # The if/then rules of Window, Kpi and PaymentMilestone: say what the rule wants, not how it is spelled.
    conditional = "then" in error.schema_path or "else" in error.schema_path
    if conditional and error.validator == "not" and error.validator_value == {"type": "null"}:
        return "must not be null here"
    if conditional and error.validator == "type" and error.validator_value == "null":
        return f"must be null here, got {error.instance!r}"
    return str(error.message)


def _relevant_branch(error: SchemaError) -> list[SchemaError] | None:
    """The errors of the one ``anyOf`` branch whose type fits the value, so that they can name inner fields.

    For ``{"anyOf": [{"$ref": "Money.json"}, {"type": "null"}]}`` and a money object with a float amount,
    that is the Money branch, and the problem becomes ``price.amount`` rather than ``price``.
    """
    branches: dict[Any, list[SchemaError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [
        subs for subs in branches.values() if not any(sub.validator == "type" and not sub.relative_path for sub in subs)
    ]
    return fitting[0] if len(fitting) == 1 else None
