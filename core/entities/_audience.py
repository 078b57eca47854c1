"""Who watches a creator, in canonical buckets every platform's figures are mapped onto.

A share's ``key`` is canonical for its dimension, so that audiences from different platforms compare:

* age: the buckets ``13-17``, ``18-24``, ``25-34``, ``35-44``, ``45-54``, ``55-64`` and ``65+``, or a coarser span
  of them a platform reports (TikTok's ``35+`` is ``35+``: 35 and older, never split into invented parts;
  ``18-34`` spans two buckets). A bucket that does not fit the boundaries (``30-40``) is refused;
* gender: ``female``, ``male``, ``other``, ``unknown`` (Instagram's ``U``, TikTok's ``NONE``);
* country: ISO 3166-1 alpha-2 codes;
* gender × age, where a platform gives the joint split: ``female|18-24``.

:func:`canonical_shares` turns a platform's ``(label, value)`` pairs into canonical shares, refusing a label it
cannot place; :func:`age_bucket` and :func:`gender_key` map one label. A breakdown says which audience it
describes (followers, engaged accounts, viewers), over which ``timeframe``, whether the platform reported only
its top buckets (``truncated``, ``top_n``: Instagram's demographics stop at 45), and from how many people.
"""

from __future__ import annotations

import enum
import functools
import math
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs

from ..errors import Problem, ValidationError
from ._common import (
    FieldValueError,
    MetricSource,
    Window,
    aware,
    non_negative,
    passes_none,
    platform_name,
    positive,
    typed_fields,
    unit_interval,
)

__all__ = [
    "AGE_BUCKETS",
    "AgeRange",
    "AudienceBreakdown",
    "AudienceDimension",
    "AudienceKind",
    "AudienceProfile",
    "AudienceShare",
    "Gender",
    "age_bucket",
    "age_range",
    "canonical_key",
    "canonical_shares",
    "gender_key",
    "joint_key",
]

#: Where one canonical age bucket ends and the next begins; a bucket's bounds are always two of these.
AGE_BOUNDARIES = (13, 18, 25, 35, 45, 55, 65)
#: The finest canonical age buckets, youngest first.
AGE_BUCKETS = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
#: How far below 1 a complete breakdown's shares may sum (platforms round each share).
ROUNDING_TOLERANCE = 0.01
_JOINT = "|"


class AudienceDimension(enum.StrEnum):
    AGE = "age"
    GENDER = "gender"
    COUNTRY = "country"
    CITY = "city"
    INTEREST = "interest"
    DEVICE = "device"
    #: Gender and age together, keys ``female|18-24``: where the platform gives the joint split.
    GENDER_AGE = "gender_age"


class AudienceKind(enum.StrEnum):
    """Whose demographics a breakdown describes: they differ, and platforms offer them separately."""

    FOLLOWERS = "followers"
    ENGAGED = "engaged"  # accounts that interacted (Instagram's engaged_audience_demographics)
    VIEWERS = "viewers"  # people who watched, followers or not


class Gender(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"  # the platform's "not known" bucket, a real share of the audience


@attrs.frozen
class AgeRange:
    """The ages an age key stands for: ``lower`` to ``upper`` inclusive, ``upper`` ``None`` for no limit."""

    lower: int
    upper: int | None

    @property
    def key(self) -> str:
        return f"{self.lower}+" if self.upper is None else f"{self.lower}-{self.upper}"

    @property
    def buckets(self) -> frozenset[int]:
        """The indexes into :data:`AGE_BUCKETS` of the finest buckets this range covers."""
        return _buckets(self.lower, self.upper)


@functools.lru_cache(maxsize=256)
def _buckets(lower: int, upper: int | None) -> frozenset[int]:
    # Pure in its arguments, and asked for every age share of every breakdown built: computed once per range.
    ends = (*AGE_BOUNDARIES[1:], None)
    return frozenset(
        i
        for i, (start, end) in enumerate(zip(AGE_BOUNDARIES, ends, strict=True))
        if start >= lower and (upper is None or (end is not None and end - 1 <= upper))
    )


_CANONICAL_AGE = re.compile(r"^(\d{1,3})(?:-(\d{1,3})|\+)$")


def age_range(key: str) -> AgeRange:
    """The bounds of a canonical age key (``18-24``, ``35+``, ``18-34``); ``ValueError`` for any other text."""
    found = _CANONICAL_AGE.match(key)
    if found is None:
        raise ValueError(f"{key!r} is not an age bucket like '18-24' or '65+'")
    lower = int(found.group(1))
    upper = int(found.group(2)) if found.group(2) is not None else None
    if lower not in AGE_BOUNDARIES:
        raise ValueError(f"age bucket {key!r} does not start at a canonical boundary ({_boundaries()})")
    if upper is not None and (upper < lower or upper + 1 not in AGE_BOUNDARIES[1:]):
        raise ValueError(f"age bucket {key!r} does not end before a canonical boundary ({_boundaries()})")
    return AgeRange(lower, upper)


def _boundaries() -> str:
    return ", ".join(map(str, AGE_BOUNDARIES))


# Platforms spell buckets "18-24", "18_to_24", "AGE_18_24", "18 - 24", "65+", "65_and_above", "55_plus" ...
_PLATFORM_SPAN = re.compile(r"^(?:age[_ ]?)?(\d{1,3})\s*(?:-|–|_to_|\s+to\s+|_)\s*(\d{1,3})$")
_PLATFORM_OPEN = re.compile(
    r"^(?:age[_ ]?)?(\d{1,3})\s*(?:\+|_?plus|_and_(?:above|over|older)|\s+and\s+(?:above|over))$"
)


def age_bucket(label: str) -> str:
    """A platform's age label as its canonical key: ``"18_to_24"`` → ``"18-24"``, ``"55+"`` → ``"55+"``.

    :raises ValidationError: for a label that is no age span, or one that does not fit the canonical
        boundaries (``"30-40"``): splitting it would invent precision the platform does not have.
    """
    text = label.strip().lower()
    span, open_ended = _PLATFORM_SPAN.match(text), _PLATFORM_OPEN.match(text)
    if span is not None:
        key = f"{int(span.group(1))}-{int(span.group(2))}"
    elif open_ended is not None:
        key = f"{int(open_ended.group(1))}+"
    else:
        raise ValidationError([Problem("age", f"{label!r} is not an age bucket")], "audience bucket")
    try:
        return age_range(key).key
    except ValueError as exc:
        raise ValidationError([Problem("age", f"{label!r}: {exc}")], "audience bucket") from None


_GENDERS = {
    Gender.FEMALE: ("f", "female", "woman", "women"),
    Gender.MALE: ("m", "male", "man", "men"),
    Gender.OTHER: ("other", "o", "non_binary", "nonbinary", "non-binary", "x"),
    Gender.UNKNOWN: ("u", "unknown", "none", "unspecified", "undisclosed", "n/a"),
}
_GENDER_LABELS = {label: gender.value for gender, labels in _GENDERS.items() for label in labels}


def gender_key(label: str) -> str:
    """A platform's gender label as its canonical key: ``"F"`` → ``"female"``, ``"NONE"`` → ``"unknown"``.

    :raises ValidationError: for a label it cannot place.
    """
    key = _GENDER_LABELS.get(label.strip().lower())
    if key is None:
        known = ", ".join(g.value for g in Gender)
        raise ValidationError([Problem("gender", f"{label!r} is not a gender label ({known})")], "audience bucket")
    return key


def joint_key(gender: str, age: str) -> str:
    """The canonical key of a gender × age bucket: ``joint_key("F", "18_to_24")`` → ``"female|18-24"``."""
    return f"{gender_key(gender)}{_JOINT}{age_bucket(age)}"


_COUNTRY = re.compile(r"^[A-Z]{2}$")


def canonical_key(dimension: AudienceDimension, label: str) -> str:
    """``label`` as the canonical key of ``dimension``; a :class:`ValidationError` when it cannot be placed."""
    if dimension is AudienceDimension.AGE:
        return age_bucket(label)
    if dimension is AudienceDimension.GENDER:
        return gender_key(label)
    if dimension is AudienceDimension.GENDER_AGE:
        gender, separator, age = label.partition(_JOINT)
        if not separator:
            raise ValidationError([Problem("gender_age", f"{label!r} is not 'gender|age'")], "audience bucket")
        return joint_key(gender, age)
    if dimension is AudienceDimension.COUNTRY:
        code = label.strip().upper()
        if not _COUNTRY.match(code):
            raise ValidationError([Problem("country", f"{label!r} is not an ISO 3166-1 code")], "audience bucket")
        return code
    return label.strip()


def canonical_shares(
    dimension: AudienceDimension, pairs: Iterable[tuple[str, float]], *, percent: bool = False
) -> tuple[AudienceShare, ...]:
    """A platform's ``(label, value)`` pairs as canonical shares of ``dimension``, in the order given.

    ``percent`` says the values are 0–100 (TikTok's and HypeAuditor's) rather than fractions (Modash's). Labels
    that map to one key (``"U"`` and ``"unknown"``) are added up.

    :raises ValidationError: naming the first label that cannot be placed.
    """
    merged: dict[str, float] = {}
    for label, value in pairs:
        key = canonical_key(dimension, label)
        merged[key] = merged.get(key, 0.0) + (value / 100 if percent else value)
    return tuple(AudienceShare(key=key, share=min(1.0, share)) for key, share in merged.items())


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AudienceShare:
    """One bucket of a dimension (``"18-24"``, ``"female"``, ``"US"``) and its share of the audience (0–1)."""

    key: str
    share: float = attrs.field(validator=unit_interval)


def _age_cover(dimension: AudienceDimension, key: str) -> tuple[str, frozenset[int]] | None:
    """Raise ``ValueError`` unless ``key`` is canonical for ``dimension``; for an age key, the group whose buckets
    may not overlap (``""`` for a plain age, the gender of a joint key) and the finest age buckets it covers."""
    if dimension is AudienceDimension.AGE:
        return "", age_range(key).buckets
    if dimension is AudienceDimension.GENDER:
        Gender(key)
    elif dimension is AudienceDimension.GENDER_AGE:
        gender, separator, age = key.partition(_JOINT)
        if not separator:
            raise ValueError(f"{key!r} is not 'gender|age'")
        Gender(gender)
        return gender, age_range(age).buckets
    elif dimension is AudienceDimension.COUNTRY and not _COUNTRY.match(key):
        raise ValueError(f"{key!r} is not an ISO 3166-1 alpha-2 code")
    return None


@functools.lru_cache(maxsize=4096)
def _check_keys(dimension: AudienceDimension, keys: tuple[str, ...]) -> None:
    """Raise ``ValueError`` for the first of ``keys`` that is not canonical for ``dimension`` or whose age buckets
    overlap those of a key before it.

    Pure in its arguments (a refusal is not cached, and raises again): every breakdown is checked, and its keys
    repeat (the same genders, age buckets and devices, creator after creator).
    """
    covered: dict[str, frozenset[int]] = {}  # per group (see _age_cover), the finest age buckets listed
    for key in keys:
        try:
            cover = _age_cover(dimension, key)
        except ValueError as exc:
            raise ValueError(f"{dimension} key {key!r} is not canonical: {exc}") from None
        if cover is not None:
            group, ages = cover
            listed = covered.get(group, frozenset())
            if listed & ages:
                raise ValueError(f"age bucket {key!r} overlaps another bucket")
            covered[group] = listed | ages


def _shares_consistent(
    instance: AudienceBreakdown, attribute: attrs.Attribute[tuple[AudienceShare, ...]], value: tuple[AudienceShare, ...]
) -> None:
    keys = tuple([s.key for s in value])
    if len(set(keys)) != len(keys):
        raise FieldValueError(attribute.name, f"{instance.dimension} lists a bucket twice")
    total = math.fsum([s.share for s in value])
    # Platforms report top-N buckets, so shares may sum below 1; above 1 is a broken response.
    if total > 1.0 + 1e-6:
        raise FieldValueError(attribute.name, f"{instance.dimension} shares sum to {total:.4f}, more than 1")
    try:
        _check_keys(instance.dimension, keys)
    except ValueError as exc:
        raise FieldValueError(attribute.name, str(exc)) from None


@passes_none
def _top_n_consistent(instance: AudienceBreakdown, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is None:
        return
    if not instance.truncated:
        raise FieldValueError(attribute.name, "a breakdown cut to its top buckets is truncated")
    if len(instance.shares) > value:
        raise FieldValueError(attribute.name, f"{len(instance.shares)} buckets listed, more than the top {value}")


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AudienceBreakdown:
    """The audience split along one dimension, in canonical buckets (see the module's documentation).

    Shares may cover only the top buckets the platform reports: then ``truncated`` is true (and ``top_n`` says
    how many it reports, when known), and a bucket not listed has an unknown share, not a share of 0.
    """

    dimension: AudienceDimension
    shares: tuple[AudienceShare, ...] = attrs.field(validator=_shares_consistent)
    source: MetricSource
    as_of: datetime = attrs.field(validator=aware)
    sample_size: int | None = attrs.field(default=None, validator=non_negative)
    provider: str | None = attrs.field(default=None, validator=platform_name)
    kind: AudienceKind = AudienceKind.FOLLOWERS
    #: What the platform computed the split over ("last 30 days", the account's lifetime), when it says.
    timeframe: Window | None = None
    truncated: bool = False
    top_n: int | None = attrs.field(default=None, validator=[positive, _top_n_consistent])

    @property
    def unaccounted(self) -> float:
        """The share of the audience no listed bucket holds: left out by the platform, or lost to rounding."""
        return max(0.0, 1.0 - math.fsum(s.share for s in self.shares))

    @property
    def complete(self) -> bool:
        """Whether every bucket is listed, so that a bucket not listed holds nobody."""
        return not self.truncated and self.unaccounted <= ROUNDING_TOLERANCE

    def share_of(self, key: str) -> float | None:
        """The share of bucket ``key``; 0 for a bucket a complete breakdown does not list, ``None`` when unknown."""
        for bucket in self.shares:
            if bucket.key == key:
                return bucket.share
        return 0.0 if self.complete else None

    def share_bounds(self, keys: Iterable[str]) -> tuple[float, float]:
        """The least and the most of the audience that can lie in ``keys`` (canonical keys, or platform labels).

        Exact buckets count in both; an age bucket that straddles the asked range (``35+`` when asked for
        ``35-44``) and the unaccounted share count only in the most: never split into invented precision.
        """
        wanted = [canonical_key(self.dimension, key) for key in keys]
        if self.dimension is AudienceDimension.AGE:
            asked = frozenset().union(*(age_range(key).buckets for key in wanted))
            low = straddling = 0.0
            for bucket in self.shares:
                covers = age_range(bucket.key).buckets
                if covers <= asked:
                    low += bucket.share
                elif covers & asked:
                    straddling += bucket.share
            return min(1.0, low), min(1.0, low + straddling + self.unaccounted)
        low = math.fsum(bucket.share for bucket in self.shares if bucket.key in wanted)
        return min(1.0, low), min(1.0, low + self.unaccounted)


def _one_per_dimension_and_kind(
    instance: AudienceProfile, attribute: attrs.Attribute[tuple[AudienceBreakdown, ...]], value: tuple[Any, ...]
) -> None:
    seen: set[tuple[AudienceDimension, AudienceKind]] = set()
    for item in value:
        if (item.dimension, item.kind) in seen:
            raise FieldValueError(attribute.name, f"two {item.kind} breakdowns by {item.dimension}")
        seen.add((item.dimension, item.kind))


#: The audience a breakdown is taken from when the caller does not say: followers first.
KIND_PREFERENCE = (AudienceKind.FOLLOWERS, AudienceKind.ENGAGED, AudienceKind.VIEWERS)


@attrs.frozen(kw_only=True, field_transformer=typed_fields)
class AudienceProfile:
    """All known breakdowns of one platform account's audience: one per dimension and audience kind."""

    platform: str = attrs.field(validator=platform_name)
    account_id: str
    breakdowns: tuple[AudienceBreakdown, ...] = attrs.field(default=(), validator=_one_per_dimension_and_kind)

    def breakdown(self, dimension: AudienceDimension, kind: AudienceKind | None = None) -> AudienceBreakdown | None:
        """The breakdown by ``dimension`` of ``kind``'s audience; without ``kind``, followers' first, then engaged
        accounts', then viewers'."""
        found = {item.kind: item for item in self.breakdowns if item.dimension is dimension}
        if kind is not None:
            return found.get(kind)
        return next((found[k] for k in KIND_PREFERENCE if k in found), None)
