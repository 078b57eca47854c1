"""The fast path of canonical_json writes exactly what the RFC 8785 reference implementation writes."""

from __future__ import annotations

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from creatorkit.canonical import canonical_json

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False)
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4), max_leaves=25
)


@settings(max_examples=400, database=None)
@given(json_values)
def test_canonical_json_matches_rfc8785(value: object) -> None:
    try:
        expected = rfc8785.dumps(value)
    except (ValueError, TypeError, rfc8785.CanonicalizationError):
        return  # values RFC 8785 refuses (e.g. integers beyond 2**53) are not the fast path's business
    assert canonical_json(value) == expected


def test_keys_beyond_the_bmp_sort_as_utf16() -> None:
    value = {"\U0001f600": 1, "\uffff": 2, "a": 3}
    assert canonical_json(value) == rfc8785.dumps(value)


def test_a_lone_surrogate_is_refused_as_the_reference_refuses_it() -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        rfc8785.dumps({"x": "\ud800"})
    with pytest.raises(ValueError):
        canonical_json({"x": "\ud800"})
