"""Benchmark ``content.check_ms``: checking a 1 MB caption against 1,000 content rules.

What a draft's check costs: normalising the caption, finding every term in it, and building the results with
their positions. A brief's rules are compiled (each term normalised, one automaton built) once, at its first
draft, and kept by value (``compiled_rules``); ``first_check_ms`` is that first check, compiling included, and
``compile_ms`` the compiling alone. The caption
is a generated multilingual one — English words, hashtags and mentions, emoji (some with variation selectors
and zero-width joiners), Chinese and Japanese phrases, paragraph breaks — in which a few of the rules occur.
Best of seven; the median is reported too, and so are two harder captions of the same size: ``fullwidth_ms``
(full-width punctuation and letters, which take the slower path of normalisation) and ``ascii_ms``.

The service refuses captions longer than ``workflow.caption_max_chars`` (10,000 characters by default), so
1 MB is a hundred times what a submission can carry. Run directly to print the result as JSON.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from typing import Any

from creatorkit.entities import ContentRules
from creatorkit.workflow import check_draft
from creatorkit.workflow._content_rules import CompiledRules, _compiled_once

__all__ = ["NAMES", "bench_content_check"]

NAMES = {"bench_content_check": ["content.check_ms"]}
RULES = 1_000
CAPTION_CHARS = 1_000_000
ROUNDS = 7

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_EMOJI = ("🔥", "✨", "❤️", "👍🏽", "🍋", "😍", "👩\u200d💻", "❤️\u200d🔥")
_FOUND = ("miracle", "Miracle", "guaranteed", "@Lumen", "#ad", "#广告", "奇迹", "vitamin C")


def _word(rng: random.Random, shortest: int = 3, longest: int = 10) -> str:
    return "".join(rng.choice(_LETTERS) for _ in range(rng.randint(shortest, longest)))


def _rules(rng: random.Random) -> ContentRules:
    """1,000 rules: banned words and phrases in Latin letters, Chinese, emoji; mentions; selling points."""
    han = [chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(200)]
    banned = [_word(rng, 6, 12) for _ in range(900)]
    banned += [f"{_word(rng)} {_word(rng)}" for _ in range(50)]
    banned += ["".join(rng.sample(han, 2)) for _ in range(30)]
    banned += ["miracle", "guaranteed", "奇迹", "ｃｕｒｅ", "non toxic", "🔥", "best ever", "#ad-free"]
    mentions, points = ("@lumen", "@lumencosmetics"), ("vitamin C", "维生素C", "all day glow", "SPF 50")
    banned = banned[: RULES - len(mentions) - len(points) - 1]  # and the disclosure rule
    return ContentRules(banned_words=tuple(banned), required_mentions=mentions, key_selling_points=points)


def _caption(rng: random.Random, fullwidth: bool = False, ascii_only: bool = False) -> str:
    vocabulary = [_word(rng) for _ in range(8_000)]
    han = [chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(3_000)]
    kana = [chr(rng.randint(0x30A1, 0x30F6)) for _ in range(80)]
    parts: list[str] = []
    size = 0
    while size < CAPTION_CHARS:
        roll = rng.random()
        if roll < 0.80 or (ascii_only and roll < 0.97):
            part = rng.choice(vocabulary) + ("," if roll < 0.05 else "")
        elif roll < 0.86:
            part = "".join(rng.choices(han, k=rng.randint(3, 10))) + ("，" if fullwidth else "")
        elif roll < 0.89:
            part = "".join(rng.choices(kana, k=rng.randint(3, 6))) + ("！" if fullwidth else "")
        elif roll < 0.93:
            part = rng.choice(_EMOJI)
        elif roll < 0.97:
            part = "#" + rng.choice(vocabulary)
        elif roll < 0.985:
            part = "\n\n"
        else:
            part = rng.choice(_FOUND)
        if fullwidth and roll < 0.01:
            part = "".join(chr(ord(c) + 0xFEE0) if "a" <= c <= "z" else c for c in part)  # ｆｕｌｌ－ｗｉｄｔｈ
        if ascii_only and not part.isascii():
            part = rng.choice(vocabulary)
        parts.append(part)
        size += len(part) + 1
    return " ".join(parts)[:CAPTION_CHARS]


def _first_check_ms(rules: ContentRules, caption: str) -> tuple[float, float]:
    """(the check of a brief's first draft, compiling included; the compiling alone), best of ROUNDS."""
    firsts, compiles = [], []
    for _ in range(ROUNDS):
        _compiled_once.cache_clear()
        began = time.perf_counter()
        CompiledRules(rules)
        compiles.append((time.perf_counter() - began) * 1000)
        _compiled_once.cache_clear()
        began = time.perf_counter()
        check_draft(rules, caption=caption)
        firsts.append((time.perf_counter() - began) * 1000)
    return min(firsts), min(compiles)


def _timings(rules: ContentRules, caption: str) -> list[float]:
    check_draft(rules, caption="")  # the brief's rules, compiled at its first draft
    times = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        results = check_draft(rules, caption=caption)
        times.append((time.perf_counter() - began) * 1000)
        if all(result.passed for result in results if result.rule.startswith("banned_word:")):
            raise RuntimeError("benchmark caption should break some rules")
    return times


def bench_content_check() -> dict[str, Any]:
    """Milliseconds to check a 1 MB caption against 1,000 rules (compile, normalise, match, report)."""
    rng = random.Random(2026)
    rules = _rules(rng)
    caption = _caption(rng)
    times = _timings(rules, caption)
    first, compiling = _first_check_ms(rules, caption)
    return {
        "name": "content.check_ms",
        "value": round(min(times), 1),
        "unit": "ms",
        "goal": "<= 50",
        "median_ms": round(statistics.median(times), 1),
        "first_check_ms": round(first, 1),
        "compile_ms": round(compiling, 1),
        "fullwidth_ms": round(min(_timings(rules, _caption(rng, fullwidth=True))), 1),
        "ascii_ms": round(min(_timings(rules, _caption(rng, ascii_only=True))), 1),
        "rules": len(rules.banned_words) + len(rules.required_mentions) + len(rules.key_selling_points) + 1,
        "caption_chars": CAPTION_CHARS,
    }


if __name__ == "__main__":
    print(json.dumps(bench_content_check()))
