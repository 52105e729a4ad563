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

URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.]+\b", re.IGNORECASE)
NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,\u00a0\u202f ]\d+)*(?![\w])")
CODE = re.compile(r"\b[A-Za-z]+[-_]?\d+(?:[.,]\d+)*[A-Za-z]*\b")
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
SENTENCE_END = re.compile(r"[.!?:;»\"“”]\s*$")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_number(raw: str) -> str:
    """Return a locale-free form of a number as written (see the module docstring).

    :param raw: digits with optional separators, e.g. ``"1.234,5"`` or ``"4,5"``.
    :returns: e.g. ``"1234.5"`` or ``"4.5"``.
    """
    parts = re.split(r"[.,\u00a0\u202f ]", raw)
    separators = re.findall(r"[.,\u00a0\u202f ]", raw)
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
    found: Counter = Counter()
    for match in URL.finditer(text):
        found[match.group().lower().rstrip(".,)")] += 1
    text = URL.sub(" ", text)
    for match in CODE.finditer(text):
        token = match.group()
        found[re.sub(r"(\d),(\d)", r"\1.\2", token.lower())] += 1
    for match in NUMBER.finditer(text):
        found[normalize_number(match.group())] += 1
    for match in WORD.finditer(text):
        word = match.group()
        if word.islower() or len(word) < 2:
            continue  # most words: no capital, not a name
        start = match.start()
        sentence_start = start == 0 or bool(SENTENCE_END.search(text[max(0, start - 3):start]))
        is_name = (word[0].isupper() and not sentence_start) or (len(word) > 1 and word.isupper()) or (
            any(ch.isupper() for ch in word[1:]) and not word.isupper())
        if is_name:
            found[strip_accents(word).casefold()] += 1
    return found
