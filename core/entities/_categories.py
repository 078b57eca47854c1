"""The core vocabulary of creator categories, which every platform plugin maps its own labels onto.

TikTok One has content and industry label ids, Instagram's creator marketplace twenty interest enums, Kuaishou
its own tags. A query names categories from this one list; each plugin translates them (with
:class:`creatorkit.discovery.CategoryMap`) and reports in the page's filter report which it could not.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from ._common import FieldValueError

__all__ = ["Category", "to_categories"]


class Category(enum.StrEnum):
    """A creator category of the core vocabulary: what a brand searches for, whatever the platform calls it."""

    ANIMALS = "animals"
    ART_DESIGN = "art_design"
    AUTOMOTIVE = "automotive"
    BEAUTY = "beauty"
    BOOKS = "books"
    BUSINESS_FINANCE = "business_finance"
    COMEDY = "comedy"
    DANCE = "dance"
    DIY_CRAFTS = "diy_crafts"
    EDUCATION = "education"
    FAMILY_PARENTING = "family_parenting"
    FASHION = "fashion"
    FITNESS = "fitness"
    FOOD = "food"
    GAMING = "gaming"
    HEALTH_WELLNESS = "health_wellness"
    HOME_GARDEN = "home_garden"
    LIFESTYLE = "lifestyle"
    MUSIC = "music"
    OUTDOORS = "outdoors"
    PHOTOGRAPHY = "photography"
    SPORTS = "sports"
    TECH = "tech"
    TRAVEL = "travel"


_BY_VALUE = {member.value: member for member in Category}


def to_categories(values: Iterable[Category | str]) -> tuple[Category, ...]:
    """attrs converter: category names as given (``"beauty"``) become :class:`Category` members.

    An unknown name is refused here, where the field can be named, rather than passed on to a plugin that would
    have to guess what it means.
    """
    converted: list[Category] = []
    for value in values:
        member = _BY_VALUE.get(value) if isinstance(value, str) else None
        if member is None:
            known = ", ".join(_BY_VALUE)
            raise FieldValueError("categories", f"{value!r} is not a core category (one of: {known})")
        converted.append(member)
    return tuple(converted)
