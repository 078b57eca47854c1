"""The check every suite of the kit makes of what a plugin returns: the entity validates against its schema."""

from __future__ import annotations

from .. import schemas
from ..converter import unstructure

__all__ = ["assert_valid_entity"]


def assert_valid_entity(value: object) -> None:
    """Assert that an entity validates against the JSON Schema of its class, naming every bad field."""
    name = type(value).__name__
    problems = schemas.errors(name, unstructure(value))
    assert not problems, f"{name} breaks its schema: " + "; ".join(str(p) for p in problems)
