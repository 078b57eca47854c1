"""Text as content rules compare it, and the way back to where each piece was in the text as written.

Drafts and rules are both brought to one form, so that a rule matches however the creator typed the word:

1. **Unicode compatibility and case** — NFKC, case folding, NFKC again (Unicode's recipe for caseless
   matching): full-width ``ｍｉｒａｃｌｅ`` is ``miracle``, ``ß`` is ``ss``, ``ＡＤ`` is ``ad``, a decomposed
   ``é`` is the composed one.
2. **Invisible characters removed** — Unicode's default-ignorable code points (zero-width space, joiners,
   word joiner, byte-order mark, soft hyphen, variation selectors, bidirectional marks, tag characters,
   Hangul fillers), which change nothing a reader sees: ``mir\u200bacle`` is ``miracle``, ``❤️`` is ``❤``.
3. **Spaces** — any whitespace is a space, and a run of it is one: ``non  toxic`` and ``non\ntoxic`` are
   ``non toxic``.

Positions: a check reports where it found a term in the text *as submitted*, so every step keeps the places
where it changed a length (an expansion such as ``ß``, a removal, a collapsed run) and
:meth:`NormalisedText.original_span` maps a span of the normalised text back through them.

Speed: each step works on the whole string in C (``str.casefold``, ``unicodedata.is_normalized``, ``re``)
and only looks closer where something changes: ASCII text is just lowered; text that is already in
compatibility form and folds character for character (most text in any script, CJK and emoji included)
needs no map at all. Other text (full-width letters and punctuation, decomposed accents, ``ß``) is folded in
windows of a few thousand characters; only a window whose length changes, or in which something composes, is
looked at run by run and, inside the runs that change, cluster by cluster (a character and what composes with
it), in Python.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata

__all__ = ["NormalisedText", "normalise", "normalise_term"]

#: Unicode's default-ignorable code points that occur in text (DerivedCoreProperties.txt). One character at a
#: time: re scans a bare class three times faster than the same class repeated.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\U0001bca0-\U0001bca3\U000e0000-\U000e0fff]"
)
#: Whitespace other than the space that NFKC leaves as it is (it maps the other spaces to U+0020).
_ASCII_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"
_OTHER_SPACES = _ASCII_SPACES + "\x85\u1680\u2028\u2029"
_SPACE_RUN = re.compile("  +")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_ASCII = re.compile(r"[\x00-\x7f]")
#: Characters that compose with the one before them although they are not combining marks: the second
#: characters of Unicode 14's composition pairs that are not marks, those whose NFKC form starts with a
#: combining mark, and the Hangul vowels and finals (conjoining, compatibility and half-width ones).
_JOINS_PREVIOUS = (
    "\u09be\u09d7\u0b3e\u0b56\u0b57\u0bbe\u0bd7\u0cc2\u0cd5\u0cd6\u0d3e\u0d57\u0dcf\u0ddf\u0f73\u0f75\u0f81"
    "\u102e\u1160-\u11ff\u1b35\u314f-\u3163\u3187-\u318e\ud7b0-\ud7ff\uff9e\uff9f\uffc2-\uffdc\U00011127"
    "\U0001133e\U00011357\U000114b0\U000114ba\U000114bd\U000115af\U00011930"
)
_JOINING = frozenset(re.sub("(.)-(.)", lambda r: "".join(map(chr, range(ord(r[1]), ord(r[2]) + 1))), _JOINS_PREVIOUS))
#: Text is folded in windows of about this many characters, cut before an ASCII character: nothing composes
#: across such a cut, so each window folds on its own as it would within the whole.
_WINDOW = 4096


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


class _Map:
    """Where one step changed lengths: (from_start, from_end, to_start, to_end) per change, by to_start."""

    __slots__ = ("_changes", "_starts")

    def __init__(self, changes: list[tuple[int, int, int, int]]) -> None:
        self._changes = changes
        self._starts = [change[2] for change in changes]

    def back(self, position: int, *, end: bool) -> int:
        """The position before this step of ``position`` after it (a span's ``end`` keeps a change whole)."""
        index = (bisect.bisect_left if end else bisect.bisect_right)(self._starts, position) - 1
        if index < 0:
            return position
        from_start, from_end, _, to_end = self._changes[index]
        if position < to_end:
            return from_end if end else from_start
        return from_end + position - to_end


class NormalisedText:
    """``text`` normalised (:func:`normalise`), with the maps back to the text as written."""

    __slots__ = ("_maps", "text")

    def __init__(self, text: str, maps: list[_Map]) -> None:
        self.text = text
        self._maps = maps

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Where ``self.text[start:end]`` was in the text as written."""
        for step in reversed(self._maps):
            start, end = step.back(start, end=False), step.back(end, end=True)
        return start, end


def normalise(text: str) -> NormalisedText:
    """``text`` in the form rules compare (see the module's docstring), with the way back to the original."""
    maps: list[_Map] = []
    plain = text.isascii()
    if plain:
        folded = text.lower()
    else:
        folded, changes = _fold_with_changes(text)
        if changes:
            maps.append(_Map(changes))
    for space in _ASCII_SPACES if plain else _OTHER_SPACES:
        if space in folded:  # one character for one: nothing to map (str.replace is far faster than re here)
            folded = folded.replace(space, " ")
    # What changes lengths: runs of spaces become one, invisible characters go (each one a change of its own:
    # neighbouring removals map back as one), then runs of the spaces that stood either side of them.
    if "  " in folded:
        folded = _substituted(folded, _SPACE_RUN, " ", maps)
    if not plain:
        removed = len(maps)
        folded = _substituted(folded, _INVISIBLE, "", maps)
        if len(maps) > removed and "  " in folded:
            folded = _substituted(folded, _SPACE_RUN, " ", maps)
    return NormalisedText(folded, maps)


def normalise_term(term: str) -> str:
    """A rule's term in the same form, without surrounding spaces: ``" ＃ＡＤ "`` is ``"#ad"``."""
    if term.isascii():
        return " ".join(term.lower().split())  # what normalise() makes of ASCII, stripped, in one step
    return normalise(term).text.strip(" ")


def _substituted(text: str, pattern: re.Pattern[str], replacement: str, maps: list[_Map]) -> str:
    """``text`` with every match of ``pattern`` replaced, by ``re`` in C; where each was is kept in ``maps``.

    Faster than slicing the text in Python, and than a second scan for the spans (building the new text is
    what costs: a callback per match adds little to it).
    """
    changes: list[tuple[int, int, int, int]] = []
    shift = 0  # how much longer the text written so far is than what it was written from

    def record(found: re.Match[str]) -> str:
        nonlocal shift
        start, end = found.span()
        changes.append((start, end, start + shift, start + shift + len(replacement)))
        shift += len(replacement) - (end - start)
        return replacement

    replaced = pattern.sub(record, text)
    if changes:
        maps.append(_Map(changes))
    return replaced


def _fold_with_changes(text: str) -> tuple[str, list[tuple[int, int, int, int]]]:
    """NFKC, case folding, NFKC; and where lengths changed. Whole text at once when nothing can move."""
    folded = text.casefold()
    if len(folded) == len(text) and unicodedata.is_normalized("NFKC", folded) and "\u0345" not in text:
        # Case folding never joins characters, so the same length means one for one; a character whose folding
        # is one NFKC character folds to that character by the full recipe too (all of Unicode checked); and
        # only U+0345 (a combining mark that folds to a letter) would have been reordered by the first NFKC.
        return folded, []
    pieces: list[str] = []
    changes: list[tuple[int, int, int, int]] = []
    written = 0
    for start, end in _windows(text):
        window = text[start:end]
        folded = _fold(window)
        if len(folded) == len(window) and not _joiners().search(window):
            pieces.append(folded)  # nothing composes, so the same length means one character for one
            written += len(folded)
        else:
            written = _fold_runs(text, start, end, written, pieces, changes)
    return "".join(pieces), changes


def _windows(text: str) -> list[tuple[int, int]]:
    windows, start = [], 0
    while start < len(text):
        cut = _ASCII.search(text, start + _WINDOW)
        end = cut.start() if cut is not None else len(text)
        windows.append((start, end))
        start = end
    return windows


def _fold_runs(
    text: str, start: int, end: int, written: int, pieces: list[str], changes: list[tuple[int, int, int, int]]
) -> int:
    """Fold ``text[start:end]``: ASCII stretches lowered, other runs cluster by cluster; the new length."""
    position = start
    for run in _NON_ASCII_RUN.finditer(text, start, end):
        # A combining mark after an ASCII letter belongs with it: start the run one character earlier.
        begin = run.start() - 1 if run.start() > position and _joins(text[run.start()]) else run.start()
        pieces.append(text[position:begin].lower())
        written = _fold_clusters(text, begin, run.end(), written + begin - position, pieces, changes)
        position = run.end()
    pieces.append(text[position:end].lower())
    return written + end - position


def _fold_clusters(
    text: str, start: int, end: int, written: int, pieces: list[str], changes: list[tuple[int, int, int, int]]
) -> int:
    """Fold ``text[start:end]`` cluster by cluster (a character and what composes with it); the new length."""
    run = text[start:end]
    folded = _fold(run)
    if len(folded) == len(run) and not _joiners().search(run):
        pieces.append(folded)
        return written + len(folded)
    cluster = start
    while cluster < end:
        after = cluster + 1
        while after < end and _joins(text[after]):
            after += 1
        piece = _fold(text[cluster:after])
        if len(piece) != 1 or after - cluster != 1:  # a cluster that is not one for one maps back as a whole
            changes.append((cluster, after, written, written + len(piece)))
        pieces.append(piece)
        written += len(piece)
        cluster = after
    return written


@functools.cache
def _joiners() -> re.Pattern[str]:
    """A superset of the characters that may compose with the one before them, to look for quickly: in the
    Basic Multilingual Plane, its combining marks in the Unicode version this Python knows (collected once, on
    first need) and the others of :data:`_JOINS_PREVIOUS`; beyond it, the whole range where the scripts with
    combining marks are (a character there only sends its window the careful way)."""
    ranges: list[list[int]] = []
    for code in range(0x10000):
        if unicodedata.combining(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    marks = "".join(chr(first) if first == last else f"{chr(first)}-{chr(last)}" for first, last in ranges)
    # Two classes, not one: re tests a class of Basic Multilingual Plane characters with one table lookup.
    return re.compile(f"[{marks}{_JOINS_PREVIOUS}]|[\U00010000-\U0001e9ff]")


def _joins(character: str) -> bool:
    """Whether ``character`` composes with the one before it (a combining mark, a Hangul vowel or final …)."""
    return unicodedata.combining(character) != 0 or character in _JOINING
