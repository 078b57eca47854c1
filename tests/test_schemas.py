"""The hand-kept JSON Schemas and the attrs entities stay in step, in both directions.

Field names, required lists, types, enum values, defaults and validator constraints are compared one by
one; every sample validates and round-trips; malformed data is refused by the schema *and* by the
converter, with a problem naming the field.
"""

from __future__ import annotations

import ast
import enum
import inspect
import json
import math
import types
import typing
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from jsonschema import Draft202012Validator

from creatorkit import schemas
from creatorkit.converter import converter, structure, unstructure
from creatorkit.entities import ENTITY_CLASSES, Budget
from creatorkit.entities._common import FieldValueError
from creatorkit.errors import Problem, ValidationError
from creatorkit.money import Money
from creatorkit.tokens import Secret
from samples import EXTRA_SAMPLES, SAMPLES

SCHEMA_DIR = Path(schemas.__file__).parent
ENTITIES = sorted(ENTITY_CLASSES.items())
PLATFORM = "^[a-z][a-z0-9_]{0,39}$"
COUNTRY = "^[A-Z]{2}$"
CURRENCY = "^[A-Z]{3}$"


def hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def fields(cls: type) -> list[str]:
    return [f.name for f in attrs.fields(cls)]


# --- the file set ------------------------------------------------------------------------------------------


def test_names_are_the_entities_and_the_config() -> None:
    expected = set(ENTITY_CLASSES)
    if (SCHEMA_DIR / "CreatorkitConfig.json").exists():
        expected.add("CreatorkitConfig")
    assert schemas.names() == sorted(expected)


def test_no_private_files_are_listed() -> None:
    assert not [name for name in schemas.names() if name.startswith("_")]


@pytest.mark.parametrize("name", schemas.names())
def test_schema_is_valid_2020_12(name: str) -> None:
    schema = schemas.load(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://schemas.creatorkit.dev/{name}.json"
    assert schema["title"]
    description = schema["description"]
    assert description.endswith(".") and description.count(". ") == 0, "one sentence"


# --- fields, required, types -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "cls"), ENTITIES)
def test_properties_are_the_attrs_fields(name: str, cls: type) -> None:
    schema = schemas.load(name)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    properties = set(schema["properties"])
    in_class_only = sorted(set(fields(cls)) - properties)
    in_schema_only = sorted(properties - set(fields(cls)))
    assert not in_class_only, f"{name}.json lacks properties for fields {in_class_only}"
    assert not in_schema_only, f"{name}.json has properties {in_schema_only} that {name} does not"


@pytest.mark.parametrize(("name", "cls"), ENTITIES)
def test_every_field_is_required(name: str, cls: type) -> None:
    # Unstructured output always carries every key, so a missing key means broken data, default or not.
    assert schemas.load(name)["required"] == fields(cls)


def python_shape(tp: Any) -> frozenset[str]:
    """What a field's type looks like as JSON: {"string", "null"}, {"array[ref:Money.json]"}, ..."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return frozenset().union(*(python_shape(arg) for arg in typing.get_args(tp)))
    if origin in (tuple, frozenset):
        item, *rest = typing.get_args(tp)
        assert origin is frozenset or rest == [Ellipsis], f"only homogeneous tuples map to arrays, not {tp}"
        kind = "set" if origin is frozenset else "array"
        return frozenset({f"{kind}[{'|'.join(sorted(python_shape(item)))}]"})
    if origin is dict:
        return frozenset({"object"})
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return frozenset({"enum"})
    if attrs.has(tp):
        return frozenset({f"ref:{tp.__name__}.json"})
    scalars = {
        type(None): "null",
        str: "string",
        Secret: "string",  # a token: its text, in the unstructured form the schema describes
        bool: "boolean",
        int: "integer",
        float: "number",
        datetime: "date-time",
        date: "date",
    }
    return frozenset({scalars[tp]})


def schema_shape(prop: dict[str, Any]) -> frozenset[str]:
    if "$ref" in prop:
        return frozenset({f"ref:{prop['$ref']}"})
    if "anyOf" in prop:
        return frozenset().union(*(schema_shape(branch) for branch in prop["anyOf"]))
    kinds = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    shape = set()
    for kind in kinds:
        if kind == "string" and "enum" in prop:
            shape.add("enum")
        elif kind == "string":
            shape.add(prop.get("format", "string"))
        elif kind == "array":
            items = "|".join(sorted(schema_shape(prop["items"])))
            shape.add(f"{'set' if prop.get('uniqueItems') else 'array'}[{items}]")
        else:
            shape.add(kind)
    return frozenset(shape)


@pytest.mark.parametrize(("name", "cls"), ENTITIES)
def test_property_types_match_field_types(name: str, cls: type) -> None:
    properties = schemas.load(name)["properties"]
    wrong = {
        field: (sorted(python_shape(tp)), sorted(schema_shape(properties[field])))
        for field, tp in hints(cls).items()
        if field in properties and python_shape(tp) != schema_shape(properties[field])
    }
    assert not wrong, f"{name}: field -> (class says, schema says): {wrong}"


def test_every_nested_entity_has_its_own_schema() -> None:
    def nested(tp: Any) -> Iterator[type]:
        if attrs.has(tp):
            yield tp
        for arg in typing.get_args(tp):
            yield from nested(arg)

    for _, cls in ENTITIES:
        for tp in hints(cls).values():
            for inner in nested(tp):
                assert ENTITY_CLASSES.get(inner.__name__) is inner, f"{cls.__name__} nests {inner.__name__}"


# --- enums -------------------------------------------------------------------------------------------------


def enum_of(tp: Any) -> type[enum.Enum] | None:
    """The enum inside ``X``, ``X | None``, ``tuple[X, ...]`` or ``frozenset[X]``, if there is one."""
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp
    found = [e for e in map(enum_of, typing.get_args(tp)) if e is not None]
    return found[0] if found else None


def enum_values_in(prop: dict[str, Any]) -> list[Any]:
    if "enum" in prop:
        return list(prop["enum"])
    if "items" in prop:
        return enum_values_in(prop["items"])
    for branch in prop.get("anyOf", ()):
        if values := enum_values_in(branch):
            return values
    return []


ENUM_FIELDS = [
    pytest.param(name, field, enum_cls, id=f"{name}.{field}")
    for name, cls in ENTITIES
    for field, tp in hints(cls).items()
    if (enum_cls := enum_of(tp)) is not None
]


@pytest.mark.parametrize(("name", "field", "enum_cls"), ENUM_FIELDS)
def test_enum_values_match(name: str, field: str, enum_cls: type[enum.Enum]) -> None:
    values = enum_values_in(schemas.load(name)["properties"][field])
    assert values == [member.value for member in enum_cls], f"{name}.{field} vs {enum_cls.__name__}"


def test_enum_fields_are_found() -> None:
    # Guards the walk above: these cover a plain, an optional, a tuple and a frozenset enum field.
    ids = {param.id for param in ENUM_FIELDS}
    assert {
        "Deal.state",
        "Deal.state_before_dispute",
        "RosterEntry.scopes",
        "PluginMetadata.capabilities",
    } <= ids


# --- defaults ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "cls"), ENTITIES)
def test_defaults_match(name: str, cls: type) -> None:
    properties = schemas.load(name)["properties"]
    type_hints = hints(cls)
    for field in attrs.fields(cls):
        prop = properties[field.name]
        default = field.default
        if default is attrs.NOTHING:
            assert "default" not in prop, f"{name}.{field.name} has no default in the class"
            continue
        # attrs.Factory is a class; its stubs type it as an overloaded function.
        value = default.factory() if isinstance(default, attrs.Factory) else default  # type: ignore[arg-type]
        if attrs.has(type(value)):
            continue  # an entity instance as default is documented by its own schema, not repeated here
        expected = converter.unstructure(value, unstructure_as=type_hints[field.name])
        assert prop.get("default") == expected, f"{name}.{field.name}"


# --- validator constraints ---------------------------------------------------------------------------------

#: The schema keywords that mirror each attrs validator, by the validator's name. A validator with no
#: JSON Schema counterpart (cross-field checks) maps to {}.
VALIDATOR_KEYWORDS: dict[str, dict[str, Any]] = {
    "positive": {"minimum": 1},
    "non_negative": {"minimum": 0},
    "finite": {},  # JSON has no NaN or infinity
    "scalar_type": {},  # typed_fields: the schema's own "type" keyword says the same
    "unit_interval": {"minimum": 0, "maximum": 1},
    "platform_name": {"pattern": PLATFORM},
    "country_code": {"pattern": COUNTRY},
    "aware": {},  # "format": "date-time" plus the loader's offset check
    "_check_amount": {},  # "type": "integer"
    "_check_currency": {"pattern": CURRENCY},
    "_basis_points": {"minimum": 0, "maximum": 10_000},
    "_at_most_all": {"maximum": 10_000},
    "_after_draft_at_most_all": {"minimum": 0, "maximum": 10_000},
    "_not_empty": {"minItems": 1},  # PaymentSchedule.milestones (one currency: not expressible)
    "_distinct": {},  # no handle twice (uniqueItems would make the tuple a set)
    "_key_text": {"pattern": "\\S"},  # an idempotency key that is not blank
    "_code_text": {"pattern": "\\S"},  # a usage-authorisation code that is not blank
    "_balanced": {"minItems": 2},  # LedgerEntry.postings (balance per currency: not expressible)
    "_window_length": {"minimum": 1},  # plus the schema's if/then on unit
    "_shares_consistent": {},  # unique keys, sum <= 1
    "_budget_per_creator": {},  # same currency as the total
    # A Money field's bound is on its amount, beside the $ref: {"$ref": "Money.json", "properties": {...}}.
    "positive_amount": {"properties": {"amount": {"minimum": 1}}},
    "non_negative_amount": {"properties": {"amount": {"minimum": 0}}},
    "_ends_after_start": {},
    "_after_start": {},
    "_acknowledgement": {"minimum": 200, "maximum": 299},  # WebhookReply.status
    "_per": {},  # CostPer.per: 1 or 1000, the schema's enum
    # Contract v2: discovery filters, batched and windowed metrics, canonical audiences.
    "greater_than_zero": {"exclusiveMinimum": 0},
    "_ordered": {},  # min <= max, one currency (plus the schema's anyOf: a bound is set)
    "_canonical_filter_keys": {"minItems": 1},  # canonical buckets of the dimension: class only
    "_one_filter_per_dimension": {},
    "_growth_per_follower": {},
    "_note_explains": {},  # plus the schema's if/else on status
    "_one_outcome_per_filter": {},
    "_daily_series": {},  # in order, each day once, inside the period
    "_everything_counted": {},  # MetricsSyncReport.posts: the sum of its counts (spans fields)
    "_rows_accounted": {},  # CatalogImport.written: rows less rejected, or none (spans fields)
    "_at_most_reported": {"maxItems": 100},  # CatalogImport.rejected: the first faults
    "_every_account_counted": {},  # MetricsSyncReport.accounts: likewise
    "_metrics_of_the_post": {},  # PostSnapshot.metrics: on the snapshot's platform (spans fields)
    "_metrics_of_the_account": {},  # AccountSnapshot.metrics: likewise
    "_extension_names": {},  # the schema's propertyNames pattern
    "_distinct_posts": {"minItems": 1},  # each post once, one platform: class only
    "_result_or_error": {},  # the schema's oneOf
    "_one_result_per_post": {},
    "_top_n_consistent": {},  # the schema's if/then on truncated
    "_one_per_dimension_and_kind": {},
    # the payment-provider model
    "_operation_id": {"pattern": "^[A-Za-z0-9_-]{1,64}$"},  # fits WeChat's out_order_no and Stripe's key
    "_not_blank": {"pattern": "\\S"},
    "_iso_currency": {"pattern": CURRENCY},  # plus the class's ISO 4217 lookup
    "_optional_basis_points": {"minimum": 0, "maximum": 10_000},
    "_token_text": {},  # "minLength": 1 on the token's text
    "_optional_token_text": {},
    # prediction
    "_estimate": {},  # PredictedCount.expected has source estimated: class only
    "_bounds": {},  # low <= expected <= high: class only
    "_level": {"exclusiveMinimum": 0, "exclusiveMaximum": 1},
}

#: Constraints the schema states although the class has no validator for them yet (entity gaps, reported).
SCHEMA_ONLY: dict[tuple[str, str], dict[str, Any]] = {}

CONSTRAINT_KEYWORDS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "pattern",
    "minItems",
    "maxItems",
)


def validator_names(field: attrs.Attribute[Any]) -> list[str]:
    validator = field.validator
    if validator is None:
        return []
    parts = getattr(validator, "_validators", (validator,))
    return [getattr(part, "__name__", type(part).__name__) for part in parts]


def schema_constraints(prop: dict[str, Any]) -> dict[str, Any]:
    """The constraint keywords on a property, its non-null anyOf branch and its array items.

    A nested entity is always a ``$ref`` (each has its own schema), so ``properties`` beside a ``$ref`` can only be
    a bound on the referenced entity's fields (a Money amount); those are collected under ``properties``.
    """
    found: dict[str, Any] = {key: prop[key] for key in CONSTRAINT_KEYWORDS if key in prop}
    if "$ref" in prop and "properties" in prop:
        found["properties"] = {name: schema_constraints(sub) for name, sub in prop["properties"].items()}
    for branch in prop.get("anyOf", ()):
        found.update(schema_constraints(branch))
    if isinstance(prop.get("items"), dict):
        found.update(schema_constraints(prop["items"]))
    return found


@pytest.mark.parametrize(("name", "cls"), ENTITIES)
def test_constraints_mirror_the_validators(name: str, cls: type) -> None:
    properties = schemas.load(name)["properties"]
    for field in attrs.fields(cls):
        expected: dict[str, Any] = dict(SCHEMA_ONLY.get((name, field.name), {}))
        for validator in validator_names(field):
            assert validator in VALIDATOR_KEYWORDS, (
                f"{name}.{field.name} has a new validator {validator}: mirror it in {name}.json "
                "and list it in VALIDATOR_KEYWORDS"
            )
            expected.update(VALIDATOR_KEYWORDS[validator])
        assert schema_constraints(properties[field.name]) == expected, f"{name}.{field.name}"


# --- samples -----------------------------------------------------------------------------------------------

ALL_SAMPLES = [pytest.param(name, value, id=name) for name, value in sorted(SAMPLES.items())] + [
    pytest.param(name, value, id=f"{name}-extra{i}") for i, (name, value) in enumerate(EXTRA_SAMPLES)
]


def test_every_entity_has_a_sample() -> None:
    assert sorted(SAMPLES) == sorted(ENTITY_CLASSES)
    for name, value in SAMPLES.items():
        assert type(value) is ENTITY_CLASSES[name]


@pytest.mark.parametrize(("name", "value"), ALL_SAMPLES)
def test_sample_validates(name: str, value: Any) -> None:
    data = json.loads(json.dumps(unstructure(value)))
    assert schemas.errors(name, data) == []
    schemas.validate(name, data)


@pytest.mark.parametrize(("name", "value"), ALL_SAMPLES)
def test_sample_round_trips(name: str, value: Any) -> None:
    data = json.loads(json.dumps(unstructure(value)))
    assert structure(data, ENTITY_CLASSES[name]) == value


# --- refused data, with the path of the field --------------------------------------------------------------


def data_of(name: str) -> Any:
    return json.loads(json.dumps(unstructure(SAMPLES[name])))


def changed(name: str, change: Callable[[Any], None]) -> Any:
    data = data_of(name)
    change(data)
    return data


def setter(*path: str | int, value: Any) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        for key in path[:-1]:
            data = data[key]
        data[path[-1]] = value

    return change


BAD = [
    pytest.param("Contract", setter("price", "amount", value=4500.0), ["price.amount"], id="float-amount"),
    pytest.param("Contract", setter("price", "amount", value=4500.5), ["price.amount"], id="fractional-amount"),
    pytest.param("Contract", setter("price", "currency", value="usd"), ["price.currency"], id="lower-currency"),
    pytest.param(
        "Contract",
        setter("clauses", "payment", "milestones", 1, "amount", "amount", value=2250.5),
        ["clauses.payment.milestones[1].amount.amount"],
        id="deep-float-amount",
    ),
    pytest.param("Deal", setter("price", "amount", value=4500.25), ["price.amount"], id="optional-money"),
    pytest.param("Deal", setter("priority", value="high"), ["priority"], id="unknown-field"),
    pytest.param(
        "Deal",
        setter("terms", "payment", "milestones", 0, "note", value="x"),
        ["terms.payment.milestones[0].note"],
        id="nested-unknown-field",
    ),
    pytest.param("Count", setter("value", value=-1), ["value"], id="negative-count"),
    pytest.param(
        "CreatorMetrics",
        setter("followers", "value", value=-5),
        ["followers.value"],
        id="nested-count",
    ),
    pytest.param("AudienceBreakdown", setter("shares", 1, "share", value=1.2), ["shares[1].share"], id="share"),
    pytest.param("Deal", setter("created_at", value="2025-03-04T14:00:00"), ["created_at"], id="naive-datetime"),
    pytest.param("Deal", setter("deadline", value="2025-03-25T14:00:00"), ["deadline"], id="naive-optional"),
    pytest.param("Deal", setter("created_at", value="2025-03-04"), ["created_at"], id="date-for-datetime"),
    pytest.param("Deal", setter("updated_at", value="2025-02-30T10:00:00Z"), ["updated_at"], id="no-such-day"),
    pytest.param("AvailabilityWindow", setter("starts", value="2025-03-10T00:00:00+00:00"), ["starts"], id="date"),
    pytest.param(
        "AudienceProfile",
        setter("breakdowns", 1, "dimension", value="zodiac"),
        ["breakdowns[1].dimension"],
        id="nested-enum",
    ),
    pytest.param(
        "Deal",
        setter("terms", "payment", "milestones", 0, "trigger", value="on_vibes"),
        ["terms.payment.milestones[0].trigger"],
        id="milestone-trigger",
    ),
    pytest.param("Deal", setter("state_before_dispute", value="sulking"), ["state_before_dispute"], id="opt-enum"),
    pytest.param("RosterEntry", setter("scopes", 1, value="admin"), ["scopes[1]"], id="set-enum"),
    pytest.param("Deal", setter("platform", value="TikTok"), ["platform"], id="platform-name"),
    pytest.param("Brand", setter("country", value="USA"), ["country"], id="country"),
    pytest.param("UsageRights", setter("territories", 1, value="ca"), ["territories[1]"], id="territory"),
    pytest.param("CancellationTerms", setter("kill_fee_bp", value=10_001), ["kill_fee_bp"], id="basis-points"),
    pytest.param("FeeBreakdown", setter("agency_cut_bp", value=-1), ["agency_cut_bp"], id="negative-bp"),
    pytest.param("ContentSubmission", setter("version", value=0), ["version"], id="positive"),
    pytest.param("Count", setter("value", value=True), ["value"], id="bool-for-int"),
    pytest.param("Window", setter("unit", value="lifetime"), ["length"], id="lifetime-with-length"),
    pytest.param("Window", setter("length", value=None), ["length"], id="posts-without-length"),
    pytest.param("Kpi", setter("target_rate", value=0.05), ["target_rate"], id="kpi-two-targets"),
    pytest.param("Kpi", setter("target_count", value=None), ["target_count"], id="kpi-no-target"),
    pytest.param(
        "PaymentSchedule",
        setter("milestones", 0, "trigger", value="on_date"),
        ["milestones[0].due"],
        id="on-date",
    ),
    pytest.param("PaymentSchedule", setter("milestones", value=[]), ["milestones"], id="no-milestones"),
    pytest.param(
        "PaymentMilestone", setter("amount", "amount", value=-80_000), ["amount.amount"], id="negative-milestone"
    ),
    pytest.param(
        "Contract",
        setter("clauses", "payment", "milestones", 1, "amount", "amount", value=0),
        ["clauses.payment.milestones[1].amount.amount"],
        id="zero-milestone",
    ),
    pytest.param("Terms", setter("price", "amount", value=-450_000), ["price.amount"], id="negative-price"),
    pytest.param("Contract", setter("price", "amount", value=0), ["price.amount"], id="zero-contract-price"),
    pytest.param("Budget", setter("total", "amount", value=-500), ["total.amount"], id="negative-budget"),
    pytest.param("Budget", setter("per_creator_max", "amount", value=0), ["per_creator_max.amount"], id="zero-cap"),
    pytest.param("Event", setter("data", value=[1, 2]), ["data"], id="data-object"),
    pytest.param("ProviderRequest", setter("metadata", "attempt", value=2), ["metadata.attempt"], id="metadata"),
    pytest.param("ProviderRequest", setter("operation_id", value="op 1"), ["operation_id"], id="operation-id"),
    pytest.param("ProviderRequest", setter("operation_id", value="o" * 65), ["operation_id"], id="long-operation-id"),
    pytest.param("ProviderRequest", setter("reason", value="  "), ["reason"], id="blank-reason"),
    pytest.param(
        "ProviderRequest", setter("legs", 0, "amount", "amount", value=0), ["legs[0].amount.amount"], id="leg"
    ),
    pytest.param("ProviderRequest", setter("legs", 1, "role", value="manager"), ["legs[1].role"], id="leg-role"),
    pytest.param("ProviderRequest", setter("amount", "amount", value=0), ["amount.amount"], id="zero-request"),
    pytest.param("ReceiverLeg", setter("share_bp", value=10_001), ["share_bp"], id="share-bp"),
    pytest.param("ProviderOperation", setter("status", value="settled"), ["status"], id="operation-status"),
    pytest.param("ProviderOperation", setter("legs", 1, "status", value="closed"), ["legs[1].status"], id="leg-status"),
    pytest.param("ProviderOperation", lambda data: data.pop("raw_status"), ["raw_status"], id="raw-status"),
    pytest.param("PaymentCapabilities", setter("currencies", value=[]), ["currencies"], id="no-currencies"),
    pytest.param("PaymentCapabilities", setter("split_modes", value=[]), ["split_modes"], id="no-split-modes"),
    pytest.param("PaymentCapabilities", setter("max_split_bp", value=12_000), ["max_split_bp"], id="split-ratio"),
    pytest.param("PaymentCapabilities", setter("max_receivers", value=0), ["max_receivers"], id="receivers"),
    pytest.param("CurrencySupport", setter("exponent", value=-1), ["exponent"], id="exponent"),
    pytest.param("CurrencySupport", setter("currency", value="isk"), ["currency"], id="support-currency"),
    pytest.param("NextAction", setter("kind", value="pray"), ["kind"], id="next-action"),
    pytest.param("Money", lambda data: data.pop("currency"), ["currency"], id="missing-field"),
    pytest.param("WebhookNotice", setter("kind", value="vibes"), ["kind"], id="notice-kind"),
    pytest.param("WebhookReply", setter("status", value=500), ["status"], id="reply-is-an-acknowledgement"),
    pytest.param("WebhookResult", setter("notices", 1, "source", value="IG"), ["notices[1].source"], id="notice-src"),
    # Contract v2: discovery filters, metrics and canonical audiences.
    pytest.param("Rate", setter("denominator_value", value=0), ["denominator_value"], id="rate-over-nothing"),
    pytest.param("Count", setter("rounded_to", value=0), ["rounded_to"], id="rounded-to-nothing"),
    pytest.param("DailyFigures", setter("views", value=-1), ["views"], id="negative-day"),
    pytest.param("DiscoveryQuery", setter("categories", 0, value="cooking"), ["categories[0]"], id="category"),
    pytest.param("DiscoveryQuery", setter("limit", value=0), ["limit"], id="query-limit"),
    pytest.param(
        "DiscoveryQuery",
        setter("engagement_rate", "denominator", value="vibes"),
        ["engagement_rate.denominator"],
        id="rate-range-denominator",
    ),
    pytest.param("FilterOutcome", setter("note", value=""), ["note"], id="approximated-without-how"),
    pytest.param("AudienceFilter", setter("keys", value=[]), ["keys"], id="filter-without-keys"),
    pytest.param("AudienceBreakdown", setter("top_n", value=45), ["truncated"], id="top-n-untruncated"),
    pytest.param("PostMetricsRequest", setter("posts", value=[]), ["posts"], id="no-posts"),
    pytest.param("CreatorMetrics", setter("extensions", value={"echo.x": "12"}), ["extensions.echo.x"], id="extension"),
]


@pytest.mark.parametrize(("name", "change", "paths"), BAD)
def test_bad_data_is_refused_with_its_path(name: str, change: Callable[[Any], None], paths: list[str]) -> None:
    data = changed(name, change)
    with pytest.raises(ValidationError) as raised:
        schemas.validate(name, data)
    assert [p.path for p in raised.value.problems] == paths, raised.value
    assert raised.value.what == name


#: Rules no JSON Schema keyword can state, so only the classes hold them: (name, change, the class's path).
CLASS_ONLY = [
    pytest.param(
        "Terms",
        setter("price", "amount", value=449_999),
        "payment.milestones",
        id="terms-milestones-short-of-the-price",
    ),
    pytest.param(
        "Contract",
        setter("clauses", "payment", "milestones", 1, "amount", "amount", value=225_001),
        "clauses.payment.milestones",
        id="contract-milestones-over-the-price",
    ),
    pytest.param(
        "Deal",
        setter("terms", "price", "currency", value="EUR"),
        "terms.payment.milestones",
        id="milestones-in-another-currency",
    ),
    pytest.param(
        "Budget",
        setter("per_creator_max", "currency", value="EUR"),
        "per_creator_max",
        id="cap-in-another-currency",
    ),
    pytest.param("AudienceBreakdown", setter("shares", 0, "key", value="30-40"), "shares", id="non-canonical-age"),
    pytest.param("AudienceBreakdown", setter("shares", 2, "key", value="35-44"), "shares", id="overlapping-ages"),
    pytest.param("PriceRange", setter("max", "currency", value="EUR"), "max", id="price-range-currencies"),
    pytest.param("CountRange", setter("min", value=10_000_000), "max", id="range-out-of-order"),
    pytest.param("AudienceFilter", setter("keys", 0, value="F"), "keys", id="filter-key-not-canonical"),
    pytest.param("ProviderRequest", setter("amount", "amount", value=190_001), "legs", id="legs-short-of-amount"),
    pytest.param(
        "ProviderRequest", setter("legs", 1, "account_ref", value="acct_1QxQ9bL2eZvKYlo2"), "legs", id="twice"
    ),
    pytest.param("ProviderRequest", setter("source", "fee", "currency", value="USD"), "source.fee", id="source-fx"),
    pytest.param("ProviderOperation", setter("status", value="requires_action"), "next_action", id="no-next-action"),
    pytest.param(
        "PaymentCapabilities", setter("currencies", 1, "currency", value="USD"), "currencies", id="currency-twice"
    ),
    pytest.param("CurrencySupport", setter("currency", value="XAU"), "currency", id="no-minor-unit"),
]


@pytest.mark.parametrize(("name", "change", "path"), CLASS_ONLY)
def test_what_the_schema_cannot_say_the_class_refuses_naming_the_field(
    name: str, change: Callable[[Any], None], path: str
) -> None:
    data = changed(name, change)
    assert schemas.errors(name, data) == []
    with pytest.raises(ValidationError) as raised:
        structure(data, ENTITY_CLASSES[name])
    assert raised.value.paths == [path], raised.value


def test_a_zero_budget_is_an_unpaid_task_not_an_error() -> None:
    data = changed("Budget", setter("total", "amount", value=0))
    data["per_creator_max"] = None
    assert schemas.errors("Budget", data) == []
    assert structure(data, Budget).total == Money(0, "USD")


@pytest.mark.parametrize(("name", "change", "paths"), BAD)
def test_the_class_refuses_it_too(name: str, change: Callable[[Any], None], paths: list[str]) -> None:
    with pytest.raises(ValidationError):
        structure(changed(name, change), ENTITY_CLASSES[name])


def test_every_problem_is_listed_sorted_by_path() -> None:
    data = data_of("Deal")
    data["version"] = 0
    data["terms"]["payment"]["milestones"][1]["amount"]["amount"] = 1.5
    data["created_at"] = "yesterday"
    data["awaiting"] = 7
    del data["brand_id"]
    data["colour"] = "teal"
    problems = schemas.errors("Deal", data)
    assert [p.path for p in problems] == [
        "awaiting",
        "brand_id",
        "colour",
        "created_at",
        "terms.payment.milestones[1].amount.amount",
        "version",
    ]
    assert Problem("brand_id", "required field missing") in problems
    assert Problem("colour", "unknown field") in problems


def test_root_problems_have_an_empty_path() -> None:
    assert [p.path for p in schemas.errors("Money", [1999, "USD"])] == [""]


def test_what_names_the_data() -> None:
    with pytest.raises(ValidationError, match="invalid tiktok discovery page") as raised:
        schemas.validate("DiscoveryPage", {}, what="tiktok discovery page")
    assert "platform" in raised.value.paths


def test_offsets_and_z_are_accepted() -> None:
    for stamp in ("2025-03-04T14:00:00Z", "2025-03-04t14:00:00.123456+09:00", "2025-03-04T14:00:00-05:00"):
        data = changed("Deal", setter("created_at", value=stamp))
        assert schemas.errors("Deal", data) == [], stamp


# --- references and the loader -----------------------------------------------------------------------------


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


@pytest.mark.parametrize("name", schemas.names())
def test_every_ref_resolves(name: str) -> None:
    schema = schemas.load(name)
    resolver = schemas.registry().resolver(base_uri=schema["$id"])
    for ref in refs(schema):
        resolved = resolver.lookup(ref).contents
        assert isinstance(resolved, dict), ref
        if not ref.startswith("#"):  # another file: by convention the entity's own schema
            assert resolved["$id"] == f"https://schemas.creatorkit.dev/{ref}"


def test_registry_holds_every_schema_under_its_id() -> None:
    registry = schemas.registry()
    for name in schemas.names():
        held = registry.contents(f"https://schemas.creatorkit.dev/{name}.json")
        assert held == {key: value for key, value in schemas.load(name).items() if key != "$schema"}


def test_loader_caches() -> None:
    assert schemas.registry() is schemas.registry()
    assert schemas.validator("Deal") is schemas.validator("Deal")
    assert schemas.validator("Deal").META_SCHEMA == Draft202012Validator.META_SCHEMA


def test_load_hands_out_a_copy() -> None:
    schema = schemas.load("Money")
    schema["properties"]["amount"]["type"] = "number"
    assert schemas.errors("Money", {"amount": 1.5, "currency": "USD"}) != []
    assert schemas.load("Money")["properties"]["amount"]["type"] == "integer"


def test_unknown_schema_name() -> None:
    with pytest.raises(KeyError, match="Monee"):
        schemas.load("Monee")


def test_files_on_disk_are_what_load_returns() -> None:
    for name in schemas.names():
        assert json.loads((SCHEMA_DIR / f"{name}.json").read_text("utf-8")) == schemas.load(name)


def test_all_is_sorted_and_complete() -> None:
    public = {
        name
        for name, value in vars(schemas).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", schemas.__name__) == schemas.__name__
        and name != "TYPE_CHECKING"
    }
    assert schemas.__all__ == sorted(schemas.__all__)
    assert set(schemas.__all__) == public


def test_jsonschema_is_imported_lazily() -> None:
    # Importing creatorkit must stay fast: jsonschema and referencing load inside the functions that use them.
    tree = ast.parse(Path(schemas.__file__).read_text("utf-8"))
    top_level = []
    for node in tree.body:
        if isinstance(node, ast.If):
            continue  # if TYPE_CHECKING:
        if isinstance(node, ast.Import):
            top_level += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            top_level.append(node.module or "")
    assert not [m for m in top_level if m.split(".")[0] in {"jsonschema", "referencing"}]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_number_field_refuses_what_json_cannot_hold(bad: float) -> None:
    from creatorkit.entities._matching import ScoreComponent

    with pytest.raises(FieldValueError, match="finite") as caught:
        ScoreComponent(name="fit", score=0.5, weight=bad, explanation="")
    assert caught.value.field == "weight"
