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
from itertools import repeat

URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.]+\b", re.IGNORECASE)
# Written digit first (the look-behind then checks the character before it): the same matches as
# ``(?<![\w.,])\d+...``, but the regex engine can skip straight to the digits instead of trying every position.
NUMBER = re.compile(r"\d(?<![\w.,]\d)\d*(?:[.,\u00a0\u202f ]\d+)*(?![\w])")
CODE = re.compile(r"\b[A-Za-z]+[-_]?\d+(?:[.,]\d+)*[A-Za-z]*\b")
# A digit right after an ASCII letter (or after a letter and a dash): without one there is no CODE to find.
CODE_HINT = re.compile(r"\d(?:(?<=[A-Za-z]\d)|(?<=[A-Za-z][-_]\d))")
# Runs of digits, for text far beyond Latin-1 (see _digit_runs); NUMBER (and CODE_HINT) only match where a run begins.
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


@lru_cache(maxsize=4096)
def _class_of(ch: str) -> int:
    """What ``_names`` and ``_digit_runs`` need to know of a character, as one byte (see _classes).

    Each class is exact where they read it: ``d`` is ``\\d``, ``U`` is MAYBE_UPPER less the digits, ``l`` only
    what ``str.islower()`` says, ``E`` SENTENCE_END_CHARS, and a space or ``w`` what ``str.isspace()`` says.
    """
    if DIGITS.match(ch):
        return ord("d")  # first: MAYBE_UPPER takes in some digits, which the name search passes over anyway
    if MAYBE_UPPER.match(ch):
        return ord("U")
    if ch.islower():
        return ord("l")
    if ch == " ":
        return ord(" ")
    if ch.isspace():
        return ord("w")  # what str.rstrip() strips, but a space
    return ord("E") if ch in SENTENCE_END_CHARS else ord("x")


_LATIN1_CLASS = bytes(_class_of(chr(code)) for code in range(256))
# In the classes of a text, the capitals _names must look at: all but those followed by a small letter that begin
# the text, or follow a space after a sentence mark (and perhaps one more white space), which is what _names'
# loop tests before it passes over them; leaving them out here, in C, is cheaper and finds the same names.
_NAME_HIT = re.compile(rb"U(?:(?!l)|(?<!\AU)(?<!E U)(?<!E[ w] U))")
# Past one character beyond Latin-1 in this many, classifying them one by one costs more than it saves.
BEYOND_LATIN1_SHARE = 32


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def _name_key(word: str) -> str:
    return strip_accents(word).casefold()


@lru_cache(maxsize=65536)
def _name_of(word: str) -> tuple[str | None, bool]:
    """What a word is as a name, wherever it stands: ``(key, True)`` a name anywhere, ``(key, False)`` a name
    unless it begins a sentence, ``(None, False)`` no name. Cached: the same words come back, paragraph after
    paragraph.
    """
    if word.islower() or len(word) < 2:
        return None, False  # most words: no capital, not a name
    rest = word[1:]
    # An all-caps word, or a capital after the first letter (``rest.islower()`` rules one out cheaply).
    if word.isupper() or not rest.islower() and any(ch.isupper() for ch in rest):
        return _name_key(word), True
    if word[0].isupper():
        return _name_key(word), False
    return None, False


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
    classes = _classes(text)
    runs = _digit_runs(text, classes)
    if runs:
        if any(map(_code_hint, repeat(text), runs)):
            for match in CODE.finditer(text):
                token = match.group().lower()
                found.append(DECIMAL_COMMA.sub(r"\1.\2", token) if "," in token else token)
        found += _numbers(text, runs)
    found += _names(text, classes)
    return found


def _classes(text: str) -> bytes | bytearray | None:
    """Per code point of ``text``, a byte that says what it is (see _class_of): ``d`` a digit, ``U`` a possible
    capital (MAYBE_UPPER), ``l`` a small letter, ``E`` a sentence mark, a space, ``w`` other white space, ``x``
    anything else; so that ``bytes.find`` and patterns of bytes find the digits and capitals much faster than the
    regex engine scans the text for them.

    Latin-1 text (ASCII included) is classified by one ``bytes.translate``; in other text, the characters beyond
    Latin-1 then one by one, unless there are many of them (then None: the regex engine is faster).
    """
    if text.isascii():
        return text.encode("ascii").translate(_LATIN1_CLASS)
    encoded = text.encode("latin-1", "replace")  # still one byte per code point: "?" for those beyond Latin-1
    classes = encoded.translate(_LATIN1_CLASS)
    beyond = encoded.count(b"?") - text.count("?")
    if not beyond:
        return classes
    if beyond * BEYOND_LATIN1_SHARE > len(text):
        return None
    classes = bytearray(classes)
    at = encoded.find(b"?")
    while at >= 0:
        if text[at] != "?":
            classes[at] = _class_of(text[at])
        at = encoded.find(b"?", at + 1)
    return classes


def _digit_runs(text: str, classes: bytes | bytearray | None = None) -> list[int]:
    """Where each run of digits of ``text`` begins (a digit after a non-digit): one scan for CODE and NUMBER.

    ``bytes.find`` finds them in the classes of the text (_classes) much faster than the regex engine scans the
    text for ``\\d``; that scan is left for text far beyond Latin-1.

    :param classes: ``_classes(text)``, when the caller has it.
    """
    if classes is None:
        classes = _classes(text)
        if classes is None:
            return [match.start() for match in DIGITS.finditer(text)]
    runs = []
    at = classes.find(b"d")
    while at >= 0:
        runs.append(at)
        at += 1
        while classes[at:at + 1] == b"d":  # to the end of the run
            at += 1
        at = classes.find(b"d", at)
    return runs


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


def _names(text: str, classes: bytes | bytearray | None = None) -> list[str]:
    """The names of ``text``, in order, as often as they occur (see the module docstring).

    Only a word with an upper-case letter can be a name: the search jumps from one possible upper-case letter
    (MAYBE_UPPER) to the next and takes the word around it, as WORD would split it, rather than looking at every
    word. ``ch.isalnum() and not ch.isdecimal()`` is what WORD's ``[^\\W\\d_]`` matches. In text of (mostly)
    Latin-1 the classes of its characters (_classes) point to those letters, less the capitals the loop would
    pass over at once (_NAME_HIT).

    :param classes: ``_classes(text)``, when the caller has it.
    """
    if classes is None:
        classes = _classes(text)
    if classes is None:
        hits = [hit.start() for hit in MAYBE_UPPER.finditer(text)]
    else:
        hits = [hit.start() for hit in _NAME_HIT.finditer(classes)]
    found = []
    end = 0
    for at in hits:
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
        key, anywhere = _name_of(word)
        # A name wherever it stands, or one by its capital first letter, but then not at the start of a sentence:
        # SENTENCE_END.search(text[start - 3:start]), without the regex: a sentence mark, then only spaces.
        if key is not None and (anywhere or start and (
                text[start - 3 if start > 3 else 0:start].rstrip()[-1:] not in SENTENCE_END_CHARS)):
            found.append(key)
    return found
