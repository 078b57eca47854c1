"""One person's accounts on several platforms, linked into one creator.

**The rule.** Two accounts are one person when something the entities carry says so:

1. a creator registered in the workspace (``kit.parties.register_creator``) lists both among its ``accounts``
   (matched on the platform and its account id, or on the platform and the handle: a handle is unique on its
   platform), or a record of a local source carries that creator's id;
2. a discovered profile lists the other account among its own ``accounts`` (platforms that know a creator's
   other channels say so);
3. both profiles carry the same e-mail address (compared case-folded).

Links are transitive (a union-find over these keys). Nothing else links: not the same handle on two platforms,
not the same display name, not a platform's own profile id — different people share names and handles across
platforms, and a false merge would hide one of them and credit the other with their figures. A linked creator
takes the registered creator's id where there is one, else the id its first account was found under; where two
people would so share an id (two platforms numbering their profiles alike), each unregistered one is told apart
as ``<id>@<platform>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from ..analytics import CatalogRecord
from ..entities import CreatorProfile, PlatformAccount

__all__ = ["Found", "Person", "link"]


@attrs.frozen(kw_only=True)
class Found:
    """One account found for a brief: its record, where it came from, and what identifies its owner."""

    record: CatalogRecord
    source: str
    account: PlatformAccount | None = None
    profile: CreatorProfile | None = None
    #: Whether it came from a local source (its record's creator id is the workspace's own).
    local: bool = False


@attrs.frozen(kw_only=True)
class Person:
    """The accounts (indexes into what :func:`link` was given) of one creator, and why they were linked."""

    creator_id: str
    display_name: str
    members: tuple[int, ...]
    reasons: tuple[str, ...] = ()


class _Union:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, node: int) -> int:
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def join(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True


def _account_keys(account: PlatformAccount) -> Iterable[tuple[str, ...]]:
    yield ("account", account.platform, account.account_id)
    yield ("handle", account.platform, account.handle.lstrip("@").casefold())


def _keys(found: Found) -> Iterable[tuple[tuple[str, ...], str]]:
    """Each identity key of an account found, with what it says when it links two."""
    if found.account is not None:
        yield from ((key, "") for key in _account_keys(found.account))
    if found.local:
        yield ("creator", found.record.creator_id), f"a local record of {found.record.creator_id}"
    if found.profile is not None:
        for account in found.profile.accounts:
            if found.account is None or account.platform != found.account.platform:
                why = f"{found.source}'s profile lists its {account.platform} account @{account.handle}"
                yield from ((key, why) for key in _account_keys(account))
        if found.profile.email:
            yield ("email", found.profile.email.strip().casefold()), "the same e-mail address"


def link(found: Sequence[Found], registered: Sequence[CreatorProfile]) -> list[Person]:
    """The people ``found`` belongs to, in the order each was first found; see the module for the rule."""
    size = len(found)
    union = _Union(size + len(registered))
    owner: dict[tuple[str, ...], tuple[int, str]] = {}
    reasons: dict[int, list[str]] = {}

    def claim(key: tuple[str, ...], node: int, why: str) -> None:
        other, first_why = owner.setdefault(key, (node, why))
        if other == node:
            return
        low, high = sorted((union.find(other), union.find(node)))
        if union.join(other, node):
            kept = reasons.setdefault(low, [])
            kept.extend(reasons.pop(high, []))
            if why or first_why:
                kept.append(why or first_why)

    for place, profile in enumerate(registered):
        node = size + place
        claim(("creator", profile.id), node, "")
        for account in profile.accounts:
            why = f"registered creator {profile.id} lists {account.platform} @{account.handle}"
            for key in _account_keys(account):
                claim(key, node, why)
    for node, item in enumerate(found):
        for key, why in _keys(item):
            claim(key, node, why)
    groups: dict[int, list[int]] = {}
    for node in range(size):
        groups.setdefault(union.find(node), []).append(node)
    claimed: dict[int, list[CreatorProfile]] = {}
    for place, profile in enumerate(registered):
        claimed.setdefault(union.find(size + place), []).append(profile)
    people: list[tuple[Person, bool]] = []
    for root, members in groups.items():
        known = claimed.get(root, [])
        first = found[members[0]]
        creator_id = known[0].id if known else first.record.creator_id
        name = known[0].display_name if known else (first.profile.display_name if first.profile else creator_id)
        linked_by = tuple(dict.fromkeys(reasons.get(root, [])))
        person = Person(creator_id=creator_id, display_name=name, members=tuple(members), reasons=linked_by)
        people.append((person, bool(known)))
    return _distinct(people, found)


def _distinct(people: Sequence[tuple[Person, bool]], found: Sequence[Found]) -> list[Person]:
    """Every person under an id of their own: an unregistered one sharing an id is named ``<id>@<platform>``."""
    uses: dict[str, int] = {}
    for person, _ in people:
        uses[person.creator_id] = uses.get(person.creator_id, 0) + 1
    return [
        person
        if registered or uses[person.creator_id] == 1
        else attrs.evolve(person, creator_id=f"{person.creator_id}@{found[person.members[0]].record.platform}")
        for person, registered in people
    ]
