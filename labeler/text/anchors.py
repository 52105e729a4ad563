"""Lexical anchors: the parts of a paragraph that survive translation (numbers, names, codes, URLs).

Two paragraphs that are translations of each other share most of their anchors even when they share no word.
Normalisation rules, so that the same anchor matches across languages and locales:

- Numbers lose their group separators and use ``.`` for decimals: ``4,5`` and ``4.5`` → ``4.5``;
  ``1.000``, ``1,000`` and ``1 000`` → ``1000`` (three digits after the only separator read as thousands,
  one or two as decimals). ``GPT-4.5`` keeps its whole form too (``gpt-4.5``), so version strings also match
  as a unit.
- Capitalised words that are not the first word of a sentence, all-caps acronyms and mixed-case tokens
  (``OpenAI``) are names: case-folded, accents stripped (``Müller`` → ``muller``).
- URLs and e-mail addresses as they are, lower-cased.
"""

import re
import unicodedata
from collections import Counter
from functools import lru_cache

URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.]+\b", re.IGNORECASE)
# Written digit first (the look-behind then checks the character before it): the same matches as
# ``(?<![\w.,])\d+...``, but the regex engine can skip straight to the digits instead of trying every position.
NUMBER = re.compile(r"\d(?<![\w.,]\d)\d*(?:[.,\u00a0\u202f ]\d+)*(?![\w])")
CODE = re.compile(r"\b[A-Za-z]+[-_]?\d+(?:[.,]\d+)*[A-Za-z]*\b")
# A digit right after an ASCII letter (or after a letter and a dash): without one there is no CODE to find.
CODE_HINT = re.compile(r"\d(?:(?<=[A-Za-z]\d)|(?<=[A-Za-z][-_]\d))")
# Runs of digits, for text beyond Latin-1 (see _digit_runs); NUMBER (and CODE_HINT) only match where a run begins.
DIGITS = re.compile(r"\d+")
ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
DECIMAL_COMMA = re.compile(r"(\d),(\d)")
NUMBER_SEPARATOR = re.compile(r"[.,\u00a0\u202f ]")
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
WORD_JOINERS = "'’-"
SENTENCE_END = re.compile(r"[.!?:;»\"“”]\s*$")
SENTENCE_END_CHARS = frozenset(".!?:;»\"“”")  # SENTENCE_END's, for a test without a regex


def _maybe_upper() -> re.Pattern:
    """A pattern for the characters that may be upper case: every one but those known not to be.

    The class is computed, not typed, so that it cannot leave one out.
    """
    never_upper = [code for code in range(0x3000) if not chr(code).isupper()]
    never_upper += range(0x3000, 0xA000)  # CJK punctuation, kana, ideographs: no case
    never_upper += range(0xAC00, 0xD7A4)  # Hangul syllables: no case
    ranges: list[list[int]] = []
    for code in never_upper:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    members = "".join(re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"
                      for low, high in ranges)
    return re.compile(f"[^{members}]")


MAYBE_UPPER = _maybe_upper()


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def _name_key(word: str) -> str:
    return strip_accents(word).casefold()


def normalize_number(raw: str) -> str:
    """Return a locale-free form of a number as written (see the module docstring).

    :param raw: digits with optional separators, e.g. ``"1.234,5"`` or ``"4,5"``.
    :returns: e.g. ``"1234.5"`` or ``"4.5"``.
    """
    if raw.isdecimal():
        return raw.lstrip("0") or "0"
    parts = NUMBER_SEPARATOR.split(raw)
    separators = NUMBER_SEPARATOR.findall(raw)
    if not separators:
        return raw.lstrip("0") or "0"
    last = parts[-1]
    decimal = separators[-1] in ".," and (len(last) != 3 or len(separators) > 1 and separators[-1] != separators[0])
    if decimal and len(separators) > 1 and separators[-1] == separators[0]:
        decimal = False  # "1.000.000": every separator groups thousands
    if decimal:
        whole = "".join(parts[:-1]).lstrip("0") or "0"
        return f"{whole}.{last}"
    return "".join(parts).lstrip("0") or "0"


def anchors(text: str) -> Counter:
    """Return the anchors of ``text`` with their counts.

    :param text: a paragraph in any language.
    :returns: normalised anchors, e.g. ``Counter({"4.5": 2, "openai": 1, "gpt-4.5": 1})``.
    """
    return Counter(_find(text))


def anchor_set(text: str) -> set[str]:
    """Return the distinct anchors of ``text``: ``set(anchors(text))``, without counting them."""
    return set(_find(text))


def _find(text: str) -> list[str]:
    """Every anchor of ``text`` as often as it occurs: URLs, codes, numbers, then names."""
    found = []
    # Each pattern runs only where it can match: most paragraphs have no URL, many no digit. A URL may begin
    # with ``www.`` in any case; only ``w`` and ``W`` lower-case to ``w`` (and only ``.`` to ``.``), so without
    # ``w.`` or ``W.`` there is no need to lower-case the text.
    if "@" in text or "://" in text or ("w." in text or "W." in text) and "www." in text.lower():
        for match in URL.finditer(text):
            found.append(match.group().lower().rstrip(".,)"))
        text = URL.sub(" ", text)
    runs = _digit_runs(text)
    if runs:
        if any(_code_hint(text, start) for start in runs):
            for match in CODE.finditer(text):
                token = match.group().lower()
                found.append(DECIMAL_COMMA.sub(r"\1.\2", token) if "," in token else token)
        found += _numbers(text, runs)
    found += _names(text)
    return found


def _digit_runs(text: str) -> list[int]:
    """Where each run of digits of ``text`` begins (a digit after a non-digit): one scan for CODE and NUMBER.

    In Latin-1 text (ASCII included) the only digits are ``0``-``9`` (the first other one is U+0660), and
    ``str.find`` finds them much faster than the regex engine scans for ``\\d``.
    """
    if not (text.isascii() or _is_latin1(text)):
        return [match.start() for match in DIGITS.finditer(text)]
    positions = []
    for digit in "0123456789":
        at = text.find(digit)
        while at >= 0:
            positions.append(at)
            at = text.find(digit, at + 1)
    positions.sort()
    return [at for k, at in enumerate(positions) if not k or positions[k - 1] != at - 1]


def _is_latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _code_hint(text: str, start: int) -> bool:
    """CODE_HINT at the run of digits at ``start``: after an ASCII letter, or after a letter and ``-`` or ``_``.

    A digit that CODE_HINT finds always begins a run: the character before it is not a digit.
    """
    before = text[start - 1:start]
    if before in ("-", "_"):
        before = text[start - 2:start - 1] if start >= 2 else ""
    return bool(before) and before in ASCII_LETTERS


def _numbers(text: str, runs: list[int]) -> list[str]:
    """``NUMBER.finditer(text)``, normalised, trying only the beginnings of runs of digits.

    A NUMBER begins with a digit that follows no word character: never inside a run of digits. Matching at a
    position still looks behind it, as ``finditer`` does.
    """
    found, end = [], 0
    for start in runs:
        if start >= end:
            match = NUMBER.match(text, start)
            if match:
                found.append(normalize_number(match.group()))
                end = match.end()
    return found


def _names(text: str) -> list[str]:
    """The names of ``text``, in order, as often as they occur (see the module docstring).

    Only a word with an upper-case letter can be a name: the search jumps from one possible upper-case letter
    (MAYBE_UPPER) to the next and takes the word around it, as WORD would split it, rather than looking at every
    word. ``ch.isalnum() and not ch.isdecimal()`` is what WORD's ``[^\\W\\d_]`` matches.
    """
    found = []
    end = 0
    for hit in MAYBE_UPPER.finditer(text):
        at = hit.start()
        ch = text[at]
        if at < end or not ch.isalnum() or ch.isdecimal():
            continue
        start = at  # back to the start of the word WORD would find: letters, and joiners between letters
        if not at or text[at - 1] == " ":  # after a space (the usual case) the word begins here
            if text[at + 1:at + 2].islower() and (
                    not at or text[at - 3 if at > 3 else 0:at].rstrip()[-1:] in SENTENCE_END_CHARS):
                # A capital that begins a sentence, then a small letter: a name only if a capital follows in the
                # word, and that capital, a hit of its own, takes the whole word.
                continue
        else:
            while True:
                while start and text[start - 1].isalnum() and not text[start - 1].isdecimal():
                    start -= 1
                before = text[start - 2] if start >= 2 else ""
                if text[start - 1:start] in WORD_JOINERS and before.isalnum() and not before.isdecimal():
                    start -= 2
                else:
                    break
        match = WORD.match(text, start)
        end = match.end()
        word = match.group()
        if word.islower() or len(word) < 2:
            continue  # most words: no capital, not a name
        rest = word[1:]
        # An all-caps word, or a capital after the first letter (``rest.islower()`` rules one out cheaply).
        if word.isupper() or not rest.islower() and any(ch.isupper() for ch in rest):
            found.append(_name_key(word))
        # A capital first letter, but not at the start of a sentence: SENTENCE_END.search(text[start - 3:start]),
        # without the regex: a sentence mark, then only spaces.
        elif word[0].isupper() and start and (
                text[start - 3 if start > 3 else 0:start].rstrip()[-1:] not in SENTENCE_END_CHARS):
            found.append(_name_key(word))
    return found
