"""A platform's labels for the core categories: the one mapping a plugin keeps, used both ways.

The core knows only :class:`~creatorkit.entities.Category`. A plugin writes down, once, which of its platform's
labels (TikTok One label ids, Instagram interest enums, Kuaishou tags) stand for each, and this class does the
rest: the labels to search for, the filter-report line for the categories it has no label for, and the core
categories of a creator the platform labelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from ..entities import Category, FilterOutcome, FilterStatus

__all__ = ["CategoryMap"]


def _frozen_labels(value: Mapping[Category | str, Iterable[str]]) -> dict[Category, tuple[str, ...]]:
    return {Category(category): tuple(labels) for category, labels in value.items()}


@attrs.frozen
class CategoryMap:
    """How ``platform`` labels the core categories: each category with the platform's labels for it (several,
    where the platform is finer; one label may serve several categories, where it is coarser).

    A category left out has no label on the platform.
    """

    platform: str
    labels: dict[Category, tuple[str, ...]] = attrs.field(converter=_frozen_labels)

    def to_platform(self, categories: Iterable[Category]) -> tuple[str, ...]:
        """The platform labels to search for ``categories``, each once, in order."""
        found: dict[str, None] = {}
        for category in categories:
            found.update(dict.fromkeys(self.labels.get(category, ())))
        return tuple(found)

    def unmapped(self, categories: Iterable[Category]) -> tuple[Category, ...]:
        """Those of ``categories`` the platform has no label for."""
        return tuple(category for category in categories if not self.labels.get(category))

    def from_platform(self, labels: Iterable[str]) -> tuple[Category, ...]:
        """The core categories a creator the platform labelled ``labels`` belongs to, in vocabulary order."""
        given = set(labels)
        return tuple(category for category in Category if given & set(self.labels.get(category, ())))

    def outcome(self, categories: Iterable[Category]) -> FilterOutcome:
        """The filter-report line for searching ``categories`` with this map.

        Applied when each category has a label of its own; approximated when some have none, or when a label
        also stands for a category not asked for (Instagram's one interest for beauty and fashion), since the
        platform then returns more than was asked; ignored when none has a label.
        """
        asked = tuple(categories)
        missing = self.unmapped(asked)
        if len(missing) == len(asked):
            names = ", ".join(missing)
            return FilterOutcome(
                filter="categories", status=FilterStatus.IGNORED, note=f"{self.platform} has no label for {names}"
            )
        notes = []
        if missing:
            notes.append(f"searched the others only: {self.platform} has no label for {', '.join(missing)}")
        broader = [
            f"{category} as {label!r}, which also holds {', '.join(others)}"
            for category in asked
            for label in self.labels.get(category, ())
            if (others := [other for other in self._holders(label) if other not in asked])
        ]
        if broader:
            notes.append("searched " + "; ".join(broader))
        if not notes:
            return FilterOutcome(filter="categories", status=FilterStatus.APPLIED)
        return FilterOutcome(filter="categories", status=FilterStatus.APPROXIMATED, note="; ".join(notes))

    def _holders(self, label: str) -> list[Category]:
        return [category for category, labels in self.labels.items() if label in labels]
