"""Checking a draft against the content rules: banned words, required elements, disclosure, mentions, selling
points — one result per rule, so both sides see what passed and what did not, and where.

**One matcher per check.** Every term of the rules (banned words, disclosure tags, mentions, selling points) is
normalised once (:mod:`._normalised_text`: NFKC and case folding, invisible characters removed, spaces made
one) and compiled into one Aho–Corasick automaton, which finds every occurrence of every term in a single pass
over the normalised caption and script, however many rules there are. The library is ``ahocorasick_rs``
(Python bindings, by G-Research, of the Rust ``aho-corasick`` crate that ripgrep uses; typed). Measured on the
benchmark's 1,000 rules over its 1 MB caption, finding every match: ``re`` with one alternation of all the terms
2.6 s, the ``regex`` package's named lists 12 s, ``pyahocorasick`` 29 ms (and untyped), ``ahocorasick_rs`` 15 ms.
``bench/bench_content.py`` (``content.check_ms``) keeps the whole check — compiling, normalising, matching —
within 50 ms.

**Words in every script.** An occurrence counts unless it is glued to a letter or digit of a script written
with spaces between words: ``#ad`` does not match ``#adorable``, ``cure`` does not match ``cured``, and
``@lumen`` is not mentioned by ``contact@lumen.com``. Where a term begins or ends with a character of a script
written without spaces (Chinese, Japanese, Korean — whose particles attach to the word — Thai, Lao, Khmer,
Myanmar, Tibetan, …) or with a symbol (an emoji), that end needs no boundary: ``奇迹`` is found in
``这是奇迹面霜``, ``🔥`` in ``hot🔥``, and ``miracle`` in ``这是miracle面霜``.

**Disclosure.** A brief's ``disclosure_tags`` say which tags disclose the collaboration; the tag ``#ad`` — the
default of every brief — stands for an advertising disclosure in any language the platforms are used in,
``workflow.disclosure_tags`` in the settings (``#ad``, ``#sponsored``, ``#广告``, ``#광고``, ``#PR``,
``#reklama``, ``#publicidad`` …): the list is the marketplace's to keep, since which tags count is a matter of
the markets it serves, not of one brand. A brief naming other tags (``#sponsored`` only) gets exactly those.

**Positions.** Each result's ``spans`` say where the term was found, in the text as submitted (at most
:data:`MAX_SPANS` per result).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence

import attrs
from ahocorasick_rs import AhoCorasick, Implementation

from ..config import WorkflowSettings
from ..entities import CheckResult, ContentRules, TextSpan
from ._normalised_text import NormalisedText, normalise, normalise_term

__all__ = ["DISCLOSURE_TAGS", "MAX_SPANS", "CompiledRules", "check_draft", "compiled_rules"]

#: The disclosure tags ``#ad`` stands for when nothing else is configured (``workflow.disclosure_tags``).
DISCLOSURE_TAGS = WorkflowSettings().disclosure_tags
#: How many places one result lists; a word used more often than that is still reported, once.
MAX_SPANS = 50
#: Scripts written without spaces between words, by the start of their characters' Unicode names.
_UNSPACED_SCRIPTS = (
    "CJK ",
    "IDEOGRAPHIC ",
    "HIRAGANA",
    "KATAKANA",
    "HANGUL",
    "BOPOMOFO",
    "THAI ",
    "LAO ",
    "KHMER ",
    "MYANMAR ",
    "TIBETAN ",
    "YI ",
    "JAVANESE ",
    "BALINESE ",
    "TAI ",
    "NEW TAI LUE ",
)
_FIELDS = ("caption", "script")


def _unspaced(character: str) -> bool:
    return unicodedata.name(character, "").startswith(_UNSPACED_SCRIPTS)


def _spaced_word(character: str) -> bool:
    """A letter, digit or mark of a script that separates words with spaces (``_`` too: it joins hashtags)."""
    if character.isascii():
        return character.isalnum() or character == "_"
    word = character.isalnum() or unicodedata.category(character) in ("Mn", "Mc")
    return word and not _unspaced(character)


def _free(character: str) -> bool:
    """A term's first or last character that needs no word boundary beside it."""
    return _unspaced(character) or unicodedata.category(character).startswith("S")


@attrs.frozen
class _Term:
    text: str
    free_start: bool
    free_end: bool

    @classmethod
    def of(cls, text: str) -> _Term:
        return cls(text, _free(text[0]), _free(text[-1]))

    def stands_alone(self, text: str, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` is this term, not part of a longer word."""
        if not self.free_start and start > 0 and _spaced_word(text[start - 1]):
            return False
        return self.free_end or end >= len(text) or not _spaced_word(text[end])


def disclosure_tags(rules: ContentRules, recognised: Sequence[str]) -> tuple[str, ...]:
    """The tags that meet ``rules``' disclosure rule: ``#ad`` stands for every ``recognised`` tag."""
    tags: list[str] = []
    for tag in rules.disclosure_tags:
        tags.extend(recognised if normalise_term(tag) == "#ad" else (tag,))
    return tuple(dict.fromkeys(tags))


class CompiledRules:
    """One set of content rules compiled for checking drafts: every term normalised, one automaton for all."""

    def __init__(self, rules: ContentRules, *, recognised_disclosures: Sequence[str] = DISCLOSURE_TAGS) -> None:
        self.rules = rules
        self.disclosure_tags = disclosure_tags(rules, recognised_disclosures)
        every = (*rules.banned_words, *self.disclosure_tags, *rules.required_mentions, *rules.key_selling_points)
        normalised: dict[str, int] = {}
        self._index: dict[str, int] = {}  # each term as written → its normalised form's place in the automaton
        for term in every:
            if term not in self._index and (key := normalise_term(term)):
                self._index[term] = normalised.setdefault(key, len(normalised))
        self._texts = list(normalised)
        self._terms: dict[int, _Term] = {}  # made when a term is first found: most never are
        # The contiguous NFA, explicitly: for 1,000 terms it finds a fifth faster than the library's default
        # choice, in a tenth of the memory of a DFA (0.5 MB against 8 MB: bench/bench_content.py's rules).
        self._automaton = AhoCorasick(normalised, implementation=Implementation.ContiguousNFA) if normalised else None
        self._banned = [(f"banned_word:{word}", word) for word in rules.banned_words]
        # The result of a rule whose term the draft does not hold, made once: it is the same for every draft
        # (results are frozen); making them anew cost 4 % of a check's instructions (bench/bench_content.py).
        self.absent = {
            (rule, present): CheckResult(
                rule=rule, passed=not present, detail="not mentioned" if present else "not used"
            )
            for rule, present in [
                *((rule, False) for rule, _ in self._banned),
                *((f"required_mention:{term}", True) for term in rules.required_mentions),
                *((f"selling_point:{term}", True) for term in rules.key_selling_points),
            ]
        }

    def check(self, *, caption: str, script: str = "", elements: Sequence[str] = ()) -> tuple[CheckResult, ...]:
        """Check a draft: one result per rule, in the order banned words, required elements, disclosure,
        required mentions, key selling points.

        Words, mentions and selling points are looked for in the caption and the script (``detail`` says
        where, ``spans`` exactly where). Required elements are what the creator declares the video shows. The
        disclosure must be in the caption, where viewers see it.
        """
        found = _Found(self, {"caption": caption, "script": script})
        results = [found.result(rule, word, present=False) for rule, word in self._banned]
        declared = {normalise_term(element) for element in elements}
        for element in self.rules.required_elements:
            shown = normalise_term(element) in declared
            detail = "declared" if shown else "not among the draft's declared elements"
            results.append(CheckResult(rule=f"required_element:{element}", passed=shown, detail=detail))
        if self.rules.disclosure_tags:
            results.append(found.disclosure(self.disclosure_tags))
        for label, terms in (
            ("required_mention", self.rules.required_mentions),
            ("selling_point", self.rules.key_selling_points),
        ):
            results.extend(found.result(f"{label}:{term}", term, present=True) for term in terms)
        return tuple(results)

    def occurrences(self, text: NormalisedText) -> dict[int, list[tuple[int, int]]]:
        """Where each term (by its index) stands alone in ``text``: spans of the normalised text, in order."""
        spans: dict[int, list[tuple[int, int]]] = {}
        if self._automaton is None or not text.text:
            return spans
        haystack, terms = text.text, self._terms
        for index, start, end in self._automaton.find_matches_as_indexes(haystack, overlapping=True):
            term = terms.get(index) or terms.setdefault(index, _Term.of(self._texts[index]))
            if term.stands_alone(haystack, start, end):
                found = spans.setdefault(index, [])
                if len(found) < MAX_SPANS:  # the first ones are all a result reports
                    found.append((start, end))
        return spans

    def index_of(self, term: str) -> int | None:
        """Where one of the rules' terms is in the automaton; None for one that normalises to nothing."""
        return self._index.get(term)


class _Found:
    """Every term's occurrences in a draft's caption and script, and the results they make."""

    def __init__(self, rules: CompiledRules, texts: dict[str, str]) -> None:
        self._rules = rules
        self._texts = {field: normalise(texts[field]) for field in _FIELDS}
        self._spans = {field: rules.occurrences(self._texts[field]) for field in _FIELDS}

    def result(self, rule: str, term: str, *, present: bool) -> CheckResult:
        """A term that must be ``present`` (mentioned) or must not be (banned), and where it was found."""
        index = self._rules.index_of(term)
        where = [field for field in _FIELDS if index in self._spans[field]]
        if not where:  # most rules, most of the time
            return self._rules.absent[rule, present]
        detail = f"{'in' if present else 'used in'} the {' and the '.join(where)}"
        spans = [span for field in where for span in self._original(field, index)]
        return CheckResult(rule=rule, passed=present, detail=detail, spans=tuple(spans[:MAX_SPANS]))

    def disclosure(self, tags: Sequence[str]) -> CheckResult:
        """The caption carries one of ``tags``; the one it carries first is named."""
        caption = self._spans["caption"]
        carried = {index: tag for tag in tags if (index := self._rules.index_of(tag)) is not None and index in caption}
        if not carried:
            detail = f"the caption carries none of {', '.join(tags)}"
            return CheckResult(rule="disclosure", passed=False, detail=detail)
        first = min(carried, key=lambda index: caption[index][0])
        spans = sorted((span for index in carried for span in self._original("caption", index)), key=_by_start)
        detail = f"{carried[first]} in the caption"
        return CheckResult(rule="disclosure", passed=True, detail=detail, spans=tuple(spans[:MAX_SPANS]))

    def _original(self, field: str, index: int | None) -> list[TextSpan]:
        """The term's occurrences in ``field``, as spans of the text as submitted."""
        text = self._texts[field]
        spans = []
        for start, end in self._spans[field].get(index, []) if index is not None else ():
            original_start, original_end = text.original_span(start, end)
            spans.append(TextSpan(field=field, start=original_start, end=original_end))
        return spans


def _by_start(span: TextSpan) -> int:
    return span.start


def check_draft(
    rules: ContentRules,
    *,
    caption: str,
    script: str = "",
    elements: Sequence[str] = (),
    disclosure_tags: Sequence[str] = DISCLOSURE_TAGS,
) -> tuple[CheckResult, ...]:
    """Check a draft against ``rules`` (see :meth:`CompiledRules.check`); ``#ad`` stands for ``disclosure_tags``."""
    return compiled_rules(rules, tuple(disclosure_tags)).check(caption=caption, script=script, elements=elements)


def compiled_rules(rules: ContentRules, recognised_disclosures: tuple[str, ...]) -> CompiledRules:
    """``rules`` compiled (see :func:`_compiled_once`); rules holding lists, which cannot be a key, uncached."""
    try:
        return _compiled_once(rules, recognised_disclosures)
    except TypeError:  # unhashable: a caller built ContentRules with lists instead of tuples
        return CompiledRules(rules, recognised_disclosures=recognised_disclosures)


@functools.lru_cache(maxsize=32)
def _compiled_once(rules: ContentRules, recognised_disclosures: tuple[str, ...]) -> CompiledRules:
    """``rules`` compiled, once per value: a brief's drafts are checked against the same rules again and again.

    Keyed by the rules' value and the recognised disclosure tags, so changed rules are compiled anew and the
    cache needs no invalidation. 32 sets of 1,000 rules hold about 16 MB of automata.
    """
    return CompiledRules(rules, recognised_disclosures=recognised_disclosures)
