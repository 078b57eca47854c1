"""The fast path of canonical_json writes exactly what the RFC 8785 reference implementation writes."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from creatorkit._canonical import canonical_json

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


@settings(max_examples=1500, database=None)
@given(json_values)
def test_canonical_json_matches_rfc8785(value: Any) -> None:
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


@pytest.mark.parametrize("char", [chr(c) for c in [*range(0xA1), 0x2028, 0x2029, 0xD7FF, 0xFEFF]])
def test_every_escape_matches_the_reference(char: str) -> None:
    value = {f"k{char}": f"a{char}b", "list": [char, f"{char}{char}"]}
    assert canonical_json(value) == rfc8785.dumps(value)


def test_integers_at_the_fast_path_limit_match_the_reference() -> None:
    for n in (2**53 - 1, -(2**53) + 1, 0, -1):
        assert canonical_json({"n": n, "l": [n]}) == rfc8785.dumps({"n": n, "l": [n]})


def test_deep_nesting_falls_back_to_the_reference() -> None:
    value: Any = "leaf"
    for _ in range(300):  # deeper than orjson follows
        value = [value]
    assert canonical_json(value) == rfc8785.dumps(value)
