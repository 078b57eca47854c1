"""Canonical audiences: buckets with bounds, a coarse platform bucket kept whole, whose audience, over which
timeframe, cut to which top N; the helpers a plugin maps its platform's buckets with."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from creatorkit import ValidationError
from creatorkit.converter import structure, unstructure
from creatorkit.entities import (
    AGE_BUCKETS,
    AudienceBreakdown,
    AudienceDimension,
    AudienceKind,
    AudienceProfile,
    AudienceShare,
    MetricSource,
    Window,
    age_bucket,
    age_range,
    canonical_shares,
    gender_key,
    joint_key,
)
from creatorkit.entities._common import FieldValueError
from creatorkit.testing import assert_canonical_audience

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def split(dimension: AudienceDimension, *shares: tuple[str, float], **fields: object) -> AudienceBreakdown:
    return AudienceBreakdown(
        dimension=dimension,
        shares=tuple(AudienceShare(key=key, share=share) for key, share in shares),
        source=MetricSource.PLATFORM,
        as_of=NOW,
        **fields,  # type: ignore[arg-type]
    )


class TestBuckets:
    @pytest.mark.parametrize(
        ("label", "key"),
        [
            ("18-24", "18-24"),
            ("18_to_24", "18-24"),  # Instagram's creator marketplace
            ("AGE_18_24", "18-24"),
            ("18 - 24", "18-24"),
            ("65_and_above", "65+"),
            ("65+", "65+"),
            ("35+", "35+"),  # TikTok's coarse bucket: 35 and older, kept whole
            ("55_plus", "55+"),
            ("18-34", "18-34"),
            ("13-17", "13-17"),
        ],
    )
    def test_platform_labels_map_to_canonical_keys(self, label: str, key: str) -> None:
        assert age_bucket(label) == key

    @pytest.mark.parametrize("label", ["30-40", "18-30", "20+", "10-12", "teens", "24-18"])
    def test_a_bucket_that_does_not_fit_is_refused_not_split(self, label: str) -> None:
        with pytest.raises(ValidationError) as raised:
            age_bucket(label)
        assert raised.value.paths == ["age"] and repr(label) in str(raised.value)

    def test_a_key_has_bounds(self) -> None:
        assert (age_range("35+").lower, age_range("35+").upper) == (35, None)
        assert (age_range("18-24").lower, age_range("18-24").upper) == (18, 24)
        assert age_range("35+").buckets == frozenset({3, 4, 5, 6})
        assert age_range("18-34").buckets == frozenset({1, 2})
        assert [age_range(key).key for key in AGE_BUCKETS] == list(AGE_BUCKETS)

    def test_genders_and_joint_keys(self) -> None:
        assert [gender_key(label) for label in ("F", "MALE", "U", "NONE", "non_binary")] == [
            "female",
            "male",
            "unknown",
            "unknown",
            "other",
        ]
        assert joint_key("F", "18_to_24") == "female|18-24"
        with pytest.raises(ValidationError, match="'robot' is not a gender label"):
            gender_key("robot")

    def test_canonical_shares_map_scale_and_merge(self) -> None:
        shares = canonical_shares(
            AudienceDimension.GENDER, [("F", 61.0), ("M", 36.5), ("U", 1.5), ("NONE", 1.0)], percent=True
        )
        assert [(s.key, round(s.share, 4)) for s in shares] == [("female", 0.61), ("male", 0.365), ("unknown", 0.025)]
        countries = canonical_shares(AudienceDimension.COUNTRY, [("us", 0.5), ("GB", 0.1)])
        assert [s.key for s in countries] == ["US", "GB"]
        with pytest.raises(ValidationError, match="'USA' is not an ISO 3166-1 code"):
            canonical_shares(AudienceDimension.COUNTRY, [("USA", 0.5)])


class TestBreakdowns:
    def test_keys_must_be_canonical_and_never_overlap(self) -> None:
        with pytest.raises(FieldValueError, match="'18_24' is not canonical") as caught:
            split(AudienceDimension.AGE, ("18_24", 0.5))
        assert caught.value.field == "shares"
        with pytest.raises(FieldValueError, match="'45-54' overlaps"):
            split(AudienceDimension.AGE, ("35+", 0.3), ("45-54", 0.2))
        with pytest.raises(FieldValueError, match="not canonical"):
            split(AudienceDimension.GENDER, ("F", 0.5))
        with pytest.raises(FieldValueError, match="not canonical"):
            split(AudienceDimension.GENDER_AGE, ("female-18-24", 0.5))
        joint = split(AudienceDimension.GENDER_AGE, ("female|18-24", 0.3), ("male|18-24", 0.2), ("female|35+", 0.1))
        assert len(joint.shares) == 3

    def test_a_key_checked_before_is_refused_or_accepted_again_the_same_way(self) -> None:
        # The key checks are remembered (every breakdown repeats the same keys): a refusal must not be.
        for _ in range(2):
            with pytest.raises(FieldValueError, match="'18_24' is not canonical"):
                split(AudienceDimension.AGE, ("18_24", 0.5))
            assert split(AudienceDimension.AGE, ("18-24", 0.5), ("25-34", 0.5)).shares[1].key == "25-34"
            with pytest.raises(FieldValueError, match="overlaps"):  # known keys, yet overlapping in this split
                split(AudienceDimension.AGE, ("18-24", 0.3), ("18-34", 0.2))
        with pytest.raises(FieldValueError, match="overlaps"):
            split(AudienceDimension.GENDER_AGE, ("female|35+", 0.1), ("female|35-44", 0.1))

    def test_a_breakdown_cut_to_its_top_buckets_says_so(self) -> None:
        top = split(AudienceDimension.COUNTRY, ("US", 0.4), ("GB", 0.1), truncated=True, top_n=2)
        assert top.share_of("US") == 0.4
        assert top.share_of("FR") is None  # not in the top two: unknown, not 0
        assert top.share_bounds(["FR"]) == (0.0, 0.5)
        complete = split(AudienceDimension.GENDER, ("female", 0.6), ("male", 0.4))
        assert complete.complete and complete.share_of("other") == 0.0
        with pytest.raises(FieldValueError, match="is truncated") as caught:
            split(AudienceDimension.COUNTRY, ("US", 0.4), top_n=45)
        assert caught.value.field == "top_n"
        with pytest.raises(FieldValueError, match="more than the top 1"):
            split(AudienceDimension.COUNTRY, ("US", 0.4), ("GB", 0.1), truncated=True, top_n=1)

    def test_share_bounds_count_a_straddling_bucket_only_towards_the_most(self) -> None:
        ages = split(AudienceDimension.AGE, ("13-17", 0.1), ("18-24", 0.4), ("25-34", 0.3), ("35+", 0.2))
        assert ages.share_bounds(["18-24", "25-34"]) == pytest.approx((0.7, 0.7))
        assert ages.share_bounds(["18-34"]) == pytest.approx((0.7, 0.7))
        assert ages.share_bounds(["35-44"]) == pytest.approx((0.0, 0.2))
        assert ages.share_bounds(["35+"]) == pytest.approx((0.2, 0.2))
        assert ages.share_bounds(["18_to_24"]) == pytest.approx((0.4, 0.4))  # platform labels are mapped first

    def test_whose_audience_and_when(self) -> None:
        engaged = split(AudienceDimension.AGE, ("18-24", 1.0), kind=AudienceKind.ENGAGED, timeframe=Window.days(30))
        followers = split(AudienceDimension.AGE, ("25-34", 1.0))
        profile = AudienceProfile(platform="instagram", account_id="1", breakdowns=(engaged, followers))
        assert profile.breakdown(AudienceDimension.AGE) is followers  # followers' first
        assert profile.breakdown(AudienceDimension.AGE, AudienceKind.ENGAGED) is engaged
        assert profile.breakdown(AudienceDimension.AGE, AudienceKind.VIEWERS) is None
        assert structure(unstructure(profile), AudienceProfile) == profile
        with pytest.raises(FieldValueError, match="two followers breakdowns by age") as caught:
            AudienceProfile(platform="instagram", account_id="1", breakdowns=(followers, followers))
        assert caught.value.field == "breakdowns"

    def test_the_kit_wants_a_short_breakdown_marked_truncated(self) -> None:
        profile = AudienceProfile(
            platform="instagram",
            account_id="1",
            breakdowns=(split(AudienceDimension.COUNTRY, ("US", 0.5), ("GB", 0.2)),),
        )
        with pytest.raises(AssertionError, match="covers 70% of the audience and is not marked truncated"):
            assert_canonical_audience(profile)
        truncated = AudienceProfile(
            platform="instagram",
            account_id="1",
            breakdowns=(split(AudienceDimension.COUNTRY, ("US", 0.5), ("GB", 0.2), truncated=True, top_n=45),),
        )
        assert_canonical_audience(truncated)
