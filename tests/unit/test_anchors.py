"""Anchors: what survives translation, normalised across locales."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labeler.text.anchors import (
    CODE, CODE_HINT, DECIMAL_COMMA, MAYBE_UPPER, NUMBER, SENTENCE_END, URL, WORD, _code_hint, _digit_runs, _find,
    _names, anchor_set, anchors, normalize_number, strip_accents,
)


@pytest.mark.parametrize("written, normal", [
    ("4,5", "4.5"), ("4.5", "4.5"), ("1.000", "1000"), ("1,000", "1000"), ("1 000", "1000"),
    ("1.000.000", "1000000"), ("1,234.5", "1234.5"), ("1.234,5", "1234.5"), ("2027", "2027"), ("007", "7"),
])
def test_numbers_are_the_same_in_every_locale(written, normal):
    assert normalize_number(written) == normal


def test_names_codes_and_numbers_are_anchors_common_words_are_not():
    found = anchors("El equipo de Microsoft prepara GPT-4.5 para 2027, dijo Ingrid Solberg en www.example.org.")
    assert {"microsoft", "gpt-4.5", "2027", "ingrid", "solberg", "www.example.org"} <= set(found)
    assert "equipo" not in found and "el" not in found


def test_the_same_content_shares_anchors_across_languages():
    spanish = anchors("La empresa Vindhavn invertirá 3.200 millones en Aldermoor en 2027.")
    german = anchors("Das Unternehmen Vindhavn investiert 3.200 Millionen in Aldermoor im Jahr 2027.")
    assert {"vindhavn", "3200", "aldermoor", "2027"} <= set(spanish) & set(german)


def test_accents_and_case_are_folded_in_names():
    assert "muller" in anchors("Gestern sagte Müller, dass")


def test_a_distinct_set_is_the_counted_anchors_without_counts():
    text = "Ana Ruiz met Ana in Port Elin on 4.5.2027: 4,5 % of GPT-4 users, see www.example.org."
    assert anchor_set(text) == set(anchors(text))


@pytest.mark.parametrize("text, names", [
    ("Il a parlé de l'Europe et de Jean-Luc à Montréal.", {"l'europe", "jean-luc", "montreal"}),
    ("Yesterday OpenAI and NATO met. Then the UN left.", {"openai", "nato", "un"}),
    ("Danach sprach Ågren mit Ørsted.", {"agren", "ørsted"}),  # Ø is a letter of its own, not O with a mark
    ("افتتحت البلدية أمس الجسر الجديد 日本語の段落 Ποσειδών είπε", {"ποσειδων"}),
])
def test_names_are_found_wherever_their_capital_letter_is(text, names):
    assert {anchor for anchor in anchor_set(text) if not anchor[0].isdigit()} == names


# A reference for the name search: every word WORD finds, judged one by one. The module jumps from one
# possible capital letter to the next instead; it must find exactly the same names.
def _names_word_by_word(text):
    found = []
    for match in WORD.finditer(text):
        word = match.group()
        if word.islower() or len(word) < 2:
            continue
        start = match.start()
        sentence_start = start == 0 or bool(SENTENCE_END.search(text[max(0, start - 3):start]))
        if (word[0].isupper() and not sentence_start) or word.isupper() or (
                any(ch.isupper() for ch in word[1:]) and not word.isupper()):
            found.append(strip_accents(word).casefold())
    return found


PIECES = st.sampled_from([
    "a", "A", "é", "É", "ß", "ẞ", "ǅ", "İ", "ı", "ſ", "K", "Ⅻ", "²", "½", "٣", "ा", "𝐀", "Σ", "ς", "Д", "ﬁ", "日本",
    "Müller", "OpenAI", "l'Europe", "Jean-Luc", "x-", "'", "’", "-", "_", " ", "\n", ".", ". ", "!", "“", "»",
    "1", "42", "4,5", "1.000", "GPT-4", "www.", "https://", "@", "a@b.org",
])


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(text=st.one_of(st.lists(PIECES, max_size=30).map("".join), st.text(max_size=60)))
def test_the_name_search_finds_what_a_word_by_word_scan_finds(text):
    assert _names(text) == _names_word_by_word(text)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(text=st.one_of(st.lists(PIECES, max_size=30).map("".join), st.text(max_size=60)))
def test_numbers_are_found_where_the_plain_pattern_finds_them(text):
    plain = re.compile(r"(?<![\w.,])\d+(?:[.,\u00a0\u202f ]\d+)*(?![\w])")
    assert [match.span() for match in NUMBER.finditer(text)] == [match.span() for match in plain.finditer(text)]


def test_every_upper_case_character_is_a_place_the_name_search_looks():
    missed = [hex(code) for code in range(0x110000) if chr(code).isupper() and not MAYBE_UPPER.match(chr(code))]
    assert not missed


@pytest.mark.parametrize("text, runs", [
    ("", []), ("no digits", []), ("a1 22,3 x", [1, 3, 6]), ("1.000 and 2027", [0, 2, 10]),
    ("Größe 42 «7»", [6, 10]),  # not ASCII, still Latin-1
    ("Größe 42 “7”", [6, 10]), ("٣٣ and 4", [0, 7]),  # beyond Latin-1: the regex
])
def test_digit_runs_are_where_each_run_of_digits_begins(text, runs):
    assert _digit_runs(text) == runs == [match.start() for match in re.finditer(r"\d+", text)]


@pytest.mark.parametrize("text, start, hint", [
    ("GPT4", 3, True), ("GPT-4", 4, True), ("A_1", 2, True), ("-4", 1, False), ("é4", 1, False), ("4", 0, False),
    ("x 4", 2, False), ("é-4", 2, False),
])
def test_code_hint_is_a_digit_after_an_ascii_letter_and_perhaps_a_dash(text, start, hint):
    assert _code_hint(text, start) is hint is bool(CODE_HINT.search(text))


# A reference for the whole search: every pattern scanning the whole text, as the module did before it learnt to
# skip the scans that cannot match.
def _find_plainly(text):
    found = []
    if URL.search(text):
        found += [match.group().lower().rstrip(".,)") for match in URL.finditer(text)]
        text = URL.sub(" ", text)
    if CODE_HINT.search(text):
        found += [DECIMAL_COMMA.sub(r"\1.\2", match.group().lower()) for match in CODE.finditer(text)]
    found += [normalize_number(match.group()) for match in NUMBER.finditer(text)]
    return found + _names_word_by_word(text)


MORE_PIECES = st.sampled_from(["W.", "WWW.", "wWw.", "x.com", "A3", "b-7", "c_8", "1,5", "٣", "“", "’", "€"])


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(text=st.one_of(st.lists(st.one_of(PIECES, MORE_PIECES), max_size=30).map("".join), st.text(max_size=60)))
def test_the_anchors_are_what_every_pattern_finds_scanning_the_whole_text(text):
    assert _find(text) == _find_plainly(text)


# Latin-1 prose with a few characters beyond it: the search classifies those one by one (see _classes), and a
# capital, a small letter, a space or a sentence mark beyond Latin-1 may sit right where the classes are read.
LATIN1_PIECES = st.sampled_from([
    "Der Stadtrat sagte, dass ", "la ville. Le maire ", "El 4,5 % de ", "Müller und Ågren", " in Lyon. ", "Año ",
    "OpenAI", "«Oui», dit-il. ", "a. B", ".  Ca", ". \tDe", "1.000", "GPT-4 ", "x-", "?", " ",
])
BEYOND_PIECES = st.sampled_from([
    "“", "”", "„", "’", "—", "€", "ł", "Ł", "œ", "Œ", "Σ", "ς", "Д", "ǅ", "İ", "٣", "０", "ａ", "Ａ", "\u2028",
    "\u2009", "\u3000", "\u0301", "𝐀", "日", "Ⓐ", "ⓐ",
])


@settings(max_examples=600, deadline=None, derandomize=True, database=None)
@given(pieces=st.lists(LATIN1_PIECES, min_size=4, max_size=40),
       beyond=st.lists(st.tuples(st.integers(0, 40), BEYOND_PIECES), max_size=3))
def test_latin1_text_with_a_few_other_characters_is_searched_as_any_other(pieces, beyond):
    for at, piece in beyond:
        pieces.insert(at, piece)
    text = "".join(pieces)
    assert _names(text) == _names_word_by_word(text)
    assert _digit_runs(text) == [match.start() for match in re.finditer(r"\d+", text)]
    assert _find(text) == _find_plainly(text)
