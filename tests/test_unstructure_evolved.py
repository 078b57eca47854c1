"""unstructure_evolved writes exactly what unstructure writes, converting only the fields that changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from creatorkit.converter import unstructure, unstructure_evolved
from creatorkit.entities import Awaiting, Deal, DealState
from samples import SAMPLES


def _deal() -> Deal:
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    return Deal(
        id="deal_1",
        brief_id="brief_1",
        brand_id="brand_1",
        creator_id="creator_1",
        platform="tiktok",
        state=DealState.INVITED,
        created_at=moment,
        updated_at=moment,
        deadline=moment + timedelta(days=7),
    )


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"state": DealState.NEGOTIATING, "version": 2},
        {"deadline": None, "awaiting": Awaiting.BRAND},
        {"updated_at": datetime(2026, 3, 3, tzinfo=UTC), "revisions_used": 1},
    ],
)
def test_an_evolved_deal_is_written_as_unstructure_writes_it(changes: dict[str, Any]) -> None:
    before = _deal()
    after = attrs.evolve(before, **changes)
    doc = unstructure_evolved(after, before, unstructure(before))
    assert doc == unstructure(after)
    assert list(doc) == list(unstructure(after))


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_entity_matches_unstructure(name: str) -> None:
    value = SAMPLES[name]
    if not attrs.has(type(value)):
        pytest.skip("not an attrs entity")
    assert unstructure_evolved(value, value, {}) == unstructure(value)  # nothing to reuse: every field converted
    assert unstructure_evolved(value, value, unstructure(value)) == unstructure(value)
    fresh = attrs.evolve(value)  # same field objects: everything is reused
    assert unstructure_evolved(fresh, value, unstructure(value)) == unstructure(value)


def test_unchanged_fields_share_the_earlier_documents_values() -> None:
    before = _deal()
    before_doc = unstructure(before)
    after = attrs.evolve(before, state=DealState.NEGOTIATING)
    doc = unstructure_evolved(after, before, before_doc)
    assert doc["created_at"] is before_doc["created_at"]
    assert doc["state"] == "negotiating"


def test_a_field_missing_from_the_earlier_document_is_converted() -> None:
    before = _deal()
    before_doc = {key: value for key, value in unstructure(before).items() if key != "revisions_used"}
    assert unstructure_evolved(before, before, before_doc)["revisions_used"] == 0


def test_another_class_is_refused() -> None:
    with pytest.raises(TypeError, match="evolved from"):
        unstructure_evolved(_deal(), object(), {})
