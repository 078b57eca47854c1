"""Content rules in every script: text and rules normalised alike, words found with or without spaces around
them, disclosure tags in the platforms' languages, and each hit's place in the text as the creator wrote it."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creatorkit.config import Config, WorkflowSettings
from creatorkit.entities import CheckResult, ContentRules, TextSpan
from creatorkit.errors import ConfigError
from creatorkit.workflow import _normalised_text, check_draft
from creatorkit.workflow._content_rules import MAX_SPANS
from creatorkit.workflow._normalised_text import normalise, normalise_term


def banned(word: str, caption: str, script: str = "") -> CheckResult:
    (result,) = check_draft(ContentRules(banned_words=(word,), disclosure_tags=()), caption=caption, script=script)
    return result


def surface(caption: str, result: CheckResult) -> list[str]:
    """What each span of ``result`` covers in ``caption`` as written."""
    assert all(span.field == "caption" for span in result.spans)
    return [caption[span.start : span.end] for span in result.spans]


# -- scripts written without spaces -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "caption"),
    [
        ("奇迹", "这是奇迹面霜"),  # Chinese
        ("ミラクル", "このミラクルクリームで"),  # Japanese katakana
        ("きせき", "まるできせきのよう"),  # hiragana
        ("기적", "기적의크림"),  # Korean: the particle 의 is written onto the word
        ("มหัศจรรย์", "ครีมมหัศจรรย์นี้"),  # Thai
        ("miracle", "这是miracle面霜"),  # a Latin word among Chinese characters
    ],
)
def test_a_word_is_found_inside_text_written_without_spaces(word: str, caption: str) -> None:
    result = banned(word, caption)
    assert not result.passed and result.detail == "used in the caption"
    assert surface(caption, result) == [word]


@pytest.mark.parametrize(
    ("word", "caption"),
    [("cure", "Cured my mornings"), ("#ad", "so #adorable"), ("ad", "a glad day"), ("miracle", "miracles happen")],
)
def test_words_of_spaced_scripts_still_match_whole(word: str, caption: str) -> None:
    assert banned(word, caption).passed


def test_a_mention_inside_an_email_address_is_not_a_mention() -> None:
    rules = ContentRules(required_mentions=("@lumen",), disclosure_tags=())
    (inside,) = check_draft(rules, caption="write to contact@lumen.com")
    (mention,) = check_draft(rules, caption="thanks @Lumen!")
    assert not inside.passed and mention.passed and mention.spans == (TextSpan(field="caption", start=7, end=13),)


# -- emoji --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "caption", "found"),
    [
        ("🔥", "so hot🔥 tonight", "🔥"),
        ("hot🔥", "so hot🔥🔥", "hot🔥"),
        ("❤", "love it ❤️", "❤"),  # the emoji-style variation selector after it is invisible
        ("👍", "great👍🏽", "👍"),
    ],
)
def test_emoji_are_terms(word: str, caption: str, found: str) -> None:
    result = banned(word, caption)
    assert not result.passed
    assert surface(caption, result) == [found]


# -- width, case and invisible characters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "caption", "found"),
    [
        ("miracle", "a ｍｉｒａｃｌｅ cream", "ｍｉｒａｃｌｅ"),  # full-width text, ASCII rule
        ("ｍｉｒａｃｌｅ", "a MIRACLE cream", "MIRACLE"),  # full-width rule, ASCII text
        ("miracle", "a ＭＩＲＡＣＬＥ cream", "ＭＩＲＡＣＬＥ"),
        ("ミラクル", "ﾐﾗｸﾙ効果", "ﾐﾗｸﾙ"),  # half-width katakana
        ("miracle", "a mir\u200bacle cream", "mir\u200bacle"),  # zero-width space
        ("miracle", "a mi\u200cra\u200dcle cream", "mi\u200cra\u200dcle"),  # zero-width (non-)joiners
        ("miracle", "a mira\u2060cle cream", "mira\u2060cle"),  # word joiner
        ("miracle", "a \ufeffmiracle cream", "miracle"),  # a byte-order mark before the word is not part of it
        ("miracle", "a mir\u00adacle cream", "mir\u00adacle"),  # soft hyphen
        ("straße", "STRASSE art", "STRASSE"),  # case folding
        ("café", "un cafe\u0301 noir", "cafe\u0301"),  # a decomposed accent
        ("non toxic", "Non\n\n  toxic!", "Non\n\n  toxic"),  # any run of whitespace
    ],
)
def test_text_and_rules_are_normalised_alike(word: str, caption: str, found: str) -> None:
    result = banned(word, caption)
    assert not result.passed
    assert surface(caption, result) == [found]


def test_an_accent_still_makes_a_different_word() -> None:
    assert banned("cafe", "un café noir").passed
    assert banned("ano", "feliz año").passed


def test_positions_are_in_the_text_as_written_in_each_field() -> None:
    caption = "Ｇｌｏｗ\u200b ß  miracle, mir\u00adacle ＭＩＲＡＣＬＥ"
    script = "Straße — the miracle"
    result = banned("miracle", caption, script)
    assert result.detail == "used in the caption and the script"
    assert [
        (span.field, (caption if span.field == "caption" else script)[span.start : span.end]) for span in result.spans
    ] == [
        ("caption", "miracle"),
        ("caption", "mir\u00adacle"),
        ("caption", "ＭＩＲＡＣＬＥ"),
        ("script", "miracle"),
    ]


def test_a_result_lists_its_first_places_only() -> None:
    caption = " ".join(["miracle"] * (MAX_SPANS + 30))
    result = banned("miracle", caption)
    assert len(result.spans) == MAX_SPANS and result.spans[0] == TextSpan(field="caption", start=0, end=7)


def test_normalisation_maps_every_character_back() -> None:
    text = "Ａ\u200bß  e\u0301\n\tﾐﾗｸﾙ 奇迹🔥"
    normalised = normalise(text)
    assert normalised.text == "ass é ミラクル 奇迹🔥"
    assert [text[slice(*normalised.original_span(i, i + 1))] for i in range(len(normalised.text))] == [
        "Ａ", "ß", "ß", "  ", "e\u0301", "\n\t", "ﾐ", "ﾗ", "ｸ", "ﾙ", " ", "奇", "迹", "🔥",
    ]  # fmt: skip
    assert normalise_term(" ＃ＡＤ ") == "#ad"


#: Characters that compose, decompose, expand, reorder, vanish or are spaces, with plain letters between them.
TRICKY = [
    *"aeisAEIS xX\n\t",
    *"\u0301\u0308\u0327\u0345éßẞﬁﬃｶﾞﾟㄱㅏ각가ㆇￂ𝐀ＡａİŉǰΐῼΩÅ\u212bℌ℡㈱½",
    *"\u200b\u200d\ufe0f\u00ad\U000e0061\u3000\u00a0\u2028❤🔥奇，",
    *"\u0b47\u0b3e\u0f71\u0f73क\u093f\u094dท\u0e31か\u3099\U0001d165\U0001d16e\u05e9\u05bc\u05c1",
]


def reference(text: str) -> str:
    """The form normalise() promises, computed the slow way: on the whole string at once."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return re.sub(r"\s+", " ", _normalised_text._INVISIBLE.sub("", folded))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TRICKY), max_size=40).map("".join), st.sampled_from([2, 5, 4096]))
def test_normalising_piece_by_piece_is_normalising_the_whole(text: str, window: int) -> None:
    """However the text is cut into windows, runs and clusters, the result is the whole string's, and every
    span of it maps back to the characters it came from."""
    original = _normalised_text._WINDOW
    _normalised_text._WINDOW = window
    try:
        normalised = normalise(text)
    finally:
        _normalised_text._WINDOW = original
    assert normalised.text == reference(text)
    for start in range(len(normalised.text)):
        for end in range(start + 1, min(len(normalised.text), start + 6) + 1):
            first, last = normalised.original_span(start, end)
            assert 0 <= first <= last <= len(text)
            assert normalised.text[start:end].strip() in normalise(text[first:last]).text


# -- disclosure ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag", ["#ad", "#sponsored", "#广告", "#광고", "#reklama", "#publicidad", "#advertising", "#PR", "#広告", "＃ＡＤ"]
)
def test_a_disclosure_in_any_of_the_platforms_languages_counts(tag: str) -> None:
    caption = f"新品体验{tag}" if not tag.isascii() else f"Glow all day {tag}"
    (disclosure,) = check_draft(ContentRules(), caption=caption)
    assert disclosure.passed, disclosure.detail
    assert surface(caption, disclosure) == [tag]


def test_a_disclosure_glued_to_a_word_or_in_a_longer_tag_does_not_count() -> None:
    for caption in ("Glow#ad", "so #adorable", "#PRIDE month"):
        (disclosure,) = check_draft(ContentRules(), caption=caption)
        assert not disclosure.passed, caption


def test_a_brief_that_names_its_own_tags_gets_exactly_those() -> None:
    rules = ContentRules(disclosure_tags=("#sponsored", "#collab"))
    (only_ad,) = check_draft(rules, caption="Glow #ad #广告")
    (collab,) = check_draft(rules, caption="Glow #广告 #Collab")
    assert not only_ad.passed and only_ad.detail == "the caption carries none of #sponsored, #collab"
    assert collab.passed and collab.detail == "#collab in the caption"


def test_the_first_disclosure_in_the_caption_is_named_and_every_one_located() -> None:
    caption = "新品 #광고 and #ad"
    (disclosure,) = check_draft(ContentRules(), caption=caption)
    assert disclosure.detail == "#광고 in the caption"
    assert surface(caption, disclosure) == ["#광고", "#ad"]


def test_which_tags_ad_stands_for_is_a_setting() -> None:
    (default,) = check_draft(ContentRules(), caption="Nuevo sérum #anuncio")
    (configured,) = check_draft(ContentRules(), caption="Nuevo sérum #anuncio", disclosure_tags=("#anuncio",))
    assert not default.passed and configured.passed
    config = Config.from_toml('[workflow]\ndisclosure_tags = ["#anuncio", "#ad"]\n')
    assert config.workflow.disclosure_tags == ("#anuncio", "#ad")
    assert "#광고" in WorkflowSettings().disclosure_tags and "#reklama" in WorkflowSettings().disclosure_tags
    with pytest.raises(ConfigError) as refused:
        Config.from_toml("[workflow]\ndisclosure_tags = []\n")
    assert [problem.path for problem in refused.value.problems] == ["workflow.disclosure_tags"]


# -- the other rules keep their meaning ---------------------------------------------------------------------


def test_every_rule_is_checked_once_in_order_with_where_it_was_found() -> None:
    rules = ContentRules(
        banned_words=("奇迹", "cure"),
        required_elements=("Product close-up",),
        disclosure_tags=("#ad",),
        required_mentions=("@lumen",),
        key_selling_points=("vitamin C", "维生素C"),
    )
    caption = "这是奇迹面霜，含维生素Ｃ @Lumen #广告"
    checks = check_draft(rules, caption=caption, script="Vitamin  C daily", elements=("ｐｒｏｄｕｃｔ close-up",))
    assert [(check.rule, check.passed) for check in checks] == [
        ("banned_word:奇迹", False),
        ("banned_word:cure", True),
        ("required_element:Product close-up", True),
        ("disclosure", True),
        ("required_mention:@lumen", True),
        ("selling_point:vitamin C", True),
        ("selling_point:维生素C", True),
    ]
    by_rule = {check.rule: check for check in checks}
    assert by_rule["selling_point:vitamin C"].spans == (TextSpan(field="script", start=0, end=10),)
    assert surface(caption, by_rule["selling_point:维生素C"]) == ["维生素Ｃ"]
    assert by_rule["banned_word:cure"].spans == () and by_rule["required_element:Product close-up"].spans == ()


def test_a_rule_that_is_only_blanks_never_matches() -> None:
    rules = ContentRules(banned_words=("\u200b",), required_mentions=(" ",), disclosure_tags=())
    assert [(check.rule, check.passed) for check in check_draft(rules, caption="anything")] == [
        ("banned_word:\u200b", True),
        ("required_mention: ", False),
    ]


def test_rules_are_compiled_once_per_value_and_anew_when_any_part_changes() -> None:
    """The compiled rules are cached by the rules' value and the recognised tags: a change to either is seen."""
    from creatorkit.workflow._content_rules import compiled_rules

    tags = ("#ad", "#sponsored")
    first = compiled_rules(ContentRules(banned_words=("cure",), disclosure_tags=("#ad",)), tags)
    assert compiled_rules(ContentRules(banned_words=("cure",), disclosure_tags=("#ad",)), tags) is first
    caption = "a cure #sponsored"
    word, disclosure = check_draft(
        ContentRules(banned_words=("cure",), disclosure_tags=("#ad",)), caption=caption, disclosure_tags=tags
    )
    assert (word.passed, disclosure.passed) == (False, True)
    # The recognised tags changed alone: #sponsored no longer stands for #ad.
    _, disclosure = check_draft(
        ContentRules(banned_words=("cure",), disclosure_tags=("#ad",)), caption=caption, disclosure_tags=("#ad",)
    )
    assert not disclosure.passed
    # The rules changed alone: another banned word.
    word, _ = check_draft(
        ContentRules(banned_words=("miracle",), disclosure_tags=("#ad",)), caption=caption, disclosure_tags=tags
    )
    assert (word.rule, word.passed) == ("banned_word:miracle", True)


def test_rules_built_with_lists_are_checked_too() -> None:
    """A ContentRules holding lists cannot key the cache of compiled rules; it is compiled for the check alone."""
    (word, _disclosure) = check_draft(ContentRules(banned_words=["cure"]), caption="a cure")  # type: ignore[arg-type]
    assert (word.rule, word.passed) == ("banned_word:cure", False)
