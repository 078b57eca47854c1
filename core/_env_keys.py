"""Keys read from the environment: one current key and the older ones kept to read what they made.

The audit trail's MAC keys and the keys that seal platform tokens are both given this way: ``NAME`` holds the
current key, ``NAME``'s companion (``..._OLD_KEYS``) the retired ones, separated by commas or spaces. Each is
parsed by its own kind's parser, which names the variable (and the position, ``NAME[1]``) a bad key came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TypeVar

__all__ = ["read_keys"]

K = TypeVar("K")
_SPLIT = re.compile(r"[\s,]+")


def read_keys(env: Mapping[str, str], current: str, old: str, parse: Callable[..., K]) -> tuple[K | None, list[K]]:
    """The key in ``env[current]`` (``None`` when unset or blank) and those in ``env[old]``, in order.

    ``parse(text, where=...)`` turns one key's text into a key; ``where`` names the variable it came from.
    """
    text = env.get(current, "").strip()
    key = parse(text, where=current) if text else None
    old_text = env.get(old, "").strip()
    older = [parse(part, where=f"{old}[{n}]") for n, part in enumerate(_SPLIT.split(old_text) if old_text else ())]
    return key, older
