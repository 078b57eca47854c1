"""Checking a draft against the content rules: banned words, required elements, disclosure, mentions, selling
points — one result per rule, so both sides see what passed and what did not."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..entities import CheckResult, ContentRules

__all__ = ["check_draft"]


def _pattern(term: str) -> re.Pattern[str]:
    """``term`` as a whole word or phrase in any case: ``#ad`` does not match ``#adorable``."""
    words = (re.escape(part) for part in term.split())
    # re.compile keeps its own cache of compiled patterns: a cache here bought nothing (bench/cache_gains.py).
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def _found_in(term: str, texts: dict[str, str]) -> list[str]:
    pattern = _pattern(term)
    return [name for name, text in texts.items() if pattern.search(text)]


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def check_draft(
    rules: ContentRules, *, caption: str, script: str = "", elements: Sequence[str] = ()
) -> tuple[CheckResult, ...]:
    """Check a draft against ``rules``: one result per rule, in the order banned words, required elements,
    disclosure, required mentions, key selling points.

    Words, mentions and selling points are matched as whole words in any case, in the caption and the script
    (``detail`` says where). Required elements are what the creator declares the video shows. The disclosure
    must be in the caption, where viewers see it.
    """
    texts = {"caption": caption, "script": script}
    results = []
    for word in rules.banned_words:
        where = _found_in(word, texts)
        results.append(
            CheckResult(
                rule=f"banned_word:{word}",
                passed=not where,
                detail=f"used in the {' and the '.join(where)}" if where else "not used",
            )
        )
    declared = {_normalised(element) for element in elements}
    for element in rules.required_elements:
        shown = _normalised(element) in declared
        results.append(
            CheckResult(
                rule=f"required_element:{element}",
                passed=shown,
                detail="declared" if shown else "not among the draft's declared elements",
            )
        )
    if rules.disclosure_tags:
        tags = [tag for tag in rules.disclosure_tags if _found_in(tag, {"caption": caption})]
        results.append(
            CheckResult(
                rule="disclosure",
                passed=bool(tags),
                detail=f"{tags[0]} in the caption"
                if tags
                else f"the caption carries none of {', '.join(rules.disclosure_tags)}",
            )
        )
    for label, terms in (
        ("required_mention", rules.required_mentions),
        ("selling_point", rules.key_selling_points),
    ):
        for term in terms:
            where = _found_in(term, texts)
            results.append(
                CheckResult(
                    rule=f"{label}:{term}",
                    passed=bool(where),
                    detail=f"in the {' and the '.join(where)}" if where else "not mentioned",
                )
            )
    return tuple(results)
