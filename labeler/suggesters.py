"""Suggesters: pure functions that compare the documents of a group with each other and propose labels.

Each takes a :class:`GroupText` (texts, paragraphs, alignment rows, existing labels) and returns
:class:`Suggestion` objects with a reason and a score. No Flask, no database. Precision comes first: a
suggester says nothing unless the other versions agree on what this one should have said.

- ``projection``: a labelled entity or claim is looked for in the aligned paragraphs of the other documents
  (exact, then case- and accent-insensitive, then fuzzy) and proposed there with its label and concept.
- ``numbers``: numbers and versions are compared across aligned paragraphs after locale normalisation (4,5 and
  4.5 are the same number); a value that disagrees with the others is a likely mistranslation.
- ``names``: a proper name close to, but not the same as, the form the other versions share is a likely
  misspelling (an error, and an entity linked to the concept of the majority form when it has one).
- ``language``: a paragraph whose language is not its document's is likely untranslated.
"""

import difflib
import os
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from labeler.text import langid
from labeler.text.anchors import CODE, NUMBER, SENTENCE_END, WORD, normalize_number, strip_accents

NAME_SIMILARITY = 0.8
FUZZY_PROJECTION = 0.85
LANGUAGE_MIN_LETTERS = 40
LANGUAGE_CONFIDENCE = 0.9
ELISION = re.compile(r"^[A-Za-z]['’]")
POSSESSIVE = re.compile(r"['’]s?$")


@dataclass(frozen=True)
class Label:
    """An existing span: where it is and what it says."""

    doc: int
    char_start: int
    char_end: int
    layer: str
    label: str
    concept: str | None = None  # any stable concept key (the caller's concept id)
    attrs: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass
class GroupText:
    texts: list[str]
    langs: list[str]
    roles: list[str]
    paragraphs: list[list[tuple[int, int]]]  # per document: (char_start, char_end) of each paragraph
    rows: list[list[list[int]]]  # per row, per document: paragraph indices
    labels: list[Label] = field(default_factory=list)

    def parallel(self, doc: int) -> bool:
        return self.roles[doc] != "comparable"


@dataclass(frozen=True)
class Suggestion:
    suggester: str
    doc: int
    char_start: int
    char_end: int
    surface: str
    layer: str
    label: str
    reason: str
    score: float
    severity: str | None = None
    concept: str | None = None
    counterpart: tuple[int, int, int] | None = None  # (doc, char_start, char_end) of the agreeing text


UNDECOMPOSED = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "đ": "d", "Đ": "D", "ł": "l",
                              "Ł": "L", "ı": "i"})


def _fold(text: str) -> str:
    return strip_accents(text.translate(UNDECOMPOSED)).casefold()


def _cells(group: GroupText, row: list[list[int]]) -> dict[int, list[tuple[int, int]]]:
    """The paragraphs of one row, per parallel document that has any."""
    return {doc: [group.paragraphs[doc][i] for i in indices]
            for doc, indices in enumerate(row) if indices and group.parallel(doc)}


# --- comparing the versions of a row -------------------------------------------------------------------------

def _consensus(found: dict[int, list["_Token"]], doc: int) -> tuple[list["_Token"], dict[str, int]]:
    """Compare one document's tokens with what most other versions of the row have.

    :returns: the document's tokens beyond what most others have (its extra occurrences), and the values most
        others have more often than it does, with how many occurrences it lacks.
    """
    mine = Counter(t.value for t in found[doc])
    others = [Counter(t.value for t in tokens) for d, tokens in found.items() if d != doc]
    values = set(mine) | {v for counts in others for v in counts}
    surplus, deficit = [], {}
    for value in values:
        usual, agreeing = Counter(counts[value] for counts in others).most_common(1)[0]
        if agreeing * 2 <= len(others):
            continue  # the others do not agree on this value: nothing to say
        if mine[value] > usual:
            extra = mine[value] - usual
            surplus += [t for t in found[doc] if t.value == value][-extra:]
        elif mine[value] < usual:
            deficit[value] = usual - mine[value]
    return sorted(surplus, key=lambda t: t.start), deficit


def _witness(found: dict[int, list["_Token"]], doc: int, value: str, roles: list[str]) -> tuple[int, "_Token", int]:
    """A version that has ``value`` (the source when it does), its token, and how many versions have it."""
    witnesses = [d for d in found if d != doc and any(t.value == value for t in found[d])]
    source = next((d for d in witnesses if roles[d] == "source"), witnesses[0])
    return source, next(t for t in found[source] if t.value == value), len(witnesses)


# --- numbers ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Token:
    value: str
    start: int
    end: int
    surface: str


def number_tokens(text: str, start: int, end: int) -> list[_Token]:
    """Numbers and version-like codes in ``text[start:end]``, normalised (a code counts once, as a whole)."""
    part = text[start:end]
    tokens, covered = [], []
    for match in CODE.finditer(part):
        if any(ch.isdigit() for ch in match.group()):
            value = re.sub(r"(\d),(\d)", r"\1.\2", _fold(match.group()))
            tokens.append(_Token(value, start + match.start(), start + match.end(), match.group()))
            covered.append((match.start(), match.end()))
    for match in NUMBER.finditer(part):
        if any(a <= match.start() < b for a, b in covered):
            continue
        tokens.append(_Token(normalize_number(match.group()), start + match.start(), start + match.end(),
                             match.group()))
    return tokens


def _same_digits_scaled(a: str, b: str) -> bool:
    """Whether two numbers are one number written at another scale, rounded or in short: 2.8 and 2800
    (thousands), 60 and 60.000, 2 and 2.8, '53 and 1953. A factor of ten is not a scale but a classic
    mistranslation (1.200 → 12.000)."""
    da, db = (re.sub(r"\D", "", value) for value in (a, b))
    if len(da) == len(db) or not da or not db:
        return False  # a digit changed: exactly what a mistranslated number looks like
    short, long = sorted((da, db), key=len)
    if len(short) <= 2 and long.endswith(short):
        return True  # a year or a count written short
    try:
        x, y = sorted((abs(float(a.split("-")[-1])), abs(float(b.split("-")[-1]))))
    except ValueError:
        return False
    if x == int(y) or x == round(y):
        return True  # rounded: 2 for 2.8
    return x > 0 and any(abs(y / x - scale) < 1e-6 * scale for scale in (1e3, 1e6, 1e9))


# Units that translations convert (miles/km, yards/m, feet/m, inches/cm, pounds/kg, gallons/l, knots):
# a number that differs by one of these factors was converted, not mistranslated.
UNIT_FACTORS = (1.609, 0.9144, 0.3048, 2.54, 0.4536, 3.785, 1.852)
UNIT_TOLERANCE = 0.06
IMPERIAL = re.compile(r"^\W{0,2}(miles?|mph|yards?|yds?|feet|foot|ft|inch(es)?|in\b|pounds?|lbs?|gallons?|knots?|"
                      r"°F|degrees Fahrenheit|Fahrenheit)", re.IGNORECASE)


def _converted(a: str, b: str, unit: str) -> bool:
    """Whether ``a`` is ``b`` converted, when ``b`` is followed by an imperial ``unit``."""
    if not IMPERIAL.match(unit):
        return False
    try:
        x, y = abs(float(a)), abs(float(b))
    except ValueError:
        return False
    if not x or not y:
        return False
    return any(abs(ratio / factor - 1) <= UNIT_TOLERANCE for factor in UNIT_FACTORS for ratio in (x / y, y / x))


def numbers(group: GroupText) -> list[Suggestion]:
    """Flag a number or version that only one version has, where the others agree on one it lacks."""
    out = []
    for row in group.rows:
        cells = _cells(group, row)
        if len(cells) < 3:
            continue  # with two versions there is no majority to trust
        found = {doc: [t for a, b in spans for t in number_tokens(group.texts[doc], a, b)] for doc, spans in cells.items()}
        others = len(cells) - 1
        for doc in found:
            if group.roles[doc] == "source":
                continue  # the source is what the others translate: it cannot mistranslate
            surplus, deficit = _consensus(found, doc)
            if len(surplus) != 1 or list(deficit.values()) != [1]:
                continue  # only a one-for-one swap is clear enough to say
            wrong, expected = surplus[0], next(iter(deficit))
            if _same_digits_scaled(wrong.value, expected):
                continue  # 2.8 and 2800, 53 and 1953: a scale or a short form, not an error
            source, agreeing, witnesses = _witness(found, doc, expected, group.roles)
            if _converted(wrong.value, expected, group.texts[source][agreeing.end:agreeing.end + 16]):
                continue  # 10 miles and 16 km: a unit converted, not a number mistranslated
            out.append(Suggestion(
                "numbers", doc, wrong.start, wrong.end, wrong.surface, "error", "Accuracy/Mistranslation",
                f"{wrong.surface!r} where {witnesses} of {others} other versions have {agreeing.surface!r}",
                round(witnesses / others, 3), severity="major", counterpart=(source, agreeing.start, agreeing.end)))
    return out


# --- names --------------------------------------------------------------------------------------------------

def name_tokens(text: str, start: int, end: int) -> list[_Token]:
    """Capitalised words that are not the first word of a sentence, and mixed-case or all-caps words."""
    part = text[start:end]
    tokens = []
    for match in WORD.finditer(part):
        word = match.group()
        if len(word) < 3 or word.islower():
            continue
        at = match.start()
        sentence_start = at == 0 or bool(SENTENCE_END.search(part[max(0, at - 3):at]))
        elision = ELISION.match(word)
        if elision:  # l'OpenAI, d’Altman: the name starts after the apostrophe
            at, word = at + elision.end(), word[elision.end():]
            sentence_start = False
        if len(word) >= 3 and ((word[0].isupper() and not sentence_start) or any(ch.isupper() for ch in word[1:])):
            # Johnson's and Johnson’s are Johnson: the possessive is grammar, not spelling.
            tokens.append(_Token(POSSESSIVE.sub("", _fold(word)), start + at, start + at + len(word), word))
    return tokens


def _similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def _misspelling(written: str, expected: str) -> bool:
    """Could ``written`` be a misspelling of ``expected`` rather than another form of the word?

    Same first letter, at most one letter longer or shorter, and neither is the other plus an ending (an
    inflection such as Johnsons, Habitats, Metropolitana).
    """
    return (written != expected and written[0] == expected[0] and abs(len(written) - len(expected)) <= 1
            and not written.startswith(expected) and not expected.startswith(written)
            and not _localised(written, expected))


# Spellings that languages trade for one another (Mexiko, Nacional, Luisiana): not misspellings.
LOCAL_SPELLINGS = [("", ""), ("k", "c"), ("c", "t"), ("ph", "f"), ("y", "i"), ("ou", "u"), ("z", "s"), ("j", "i"),
                   ("w", "v"), ("w", "u"), ("ss", "s"), ("mm", "m"), ("x", "ks"), ("th", "t"), ("ll", "l"),
                   ("sh", "ch")]


def _localised(written: str, expected: str) -> bool:
    """Whether two forms differ only as a name's forms in two languages do: in the last two letters
    (China/Chine, Berlin/Berlim, Vienna/Vienne), maybe after one of ``LOCAL_SPELLINGS`` (Mexiko, Ruanda)."""
    for x, y in LOCAL_SPELLINGS:
        for a, b in ((written, expected), (expected, written)):
            a = a.replace(x, y) if x else a
            prefix = len(os.path.commonprefix([a, b]))
            if prefix >= min(len(a), len(b)) - 2:
                return True
    return False


def names(group: GroupText) -> list[Suggestion]:
    """Flag a name close to (not the same as) the form the other versions share and this one lacks."""
    concept_of = {}
    for label in group.labels:
        if label.layer == "entity" and label.concept:
            concept_of[_fold(group.texts[label.doc][label.char_start:label.char_end])] = (label.label, label.concept)
    out = []
    for row in group.rows:
        cells = _cells(group, row)
        if len(cells) < 3:
            continue
        found = {doc: [t for a, b in spans for t in name_tokens(group.texts[doc], a, b)] for doc, spans in cells.items()}
        others = len(cells) - 1
        for doc in found:
            if group.roles[doc] == "source":
                continue
            surplus, deficit = _consensus(found, doc)
            for token in surplus:
                close = [(v, _similar(token.value, v)) for v in deficit if _misspelling(token.value, v)]
                close = [(v, similarity) for v, similarity in close if similarity >= NAME_SIMILARITY]
                if len(close) != 1:
                    continue
                expected, similarity = close[0]
                source, agreeing, witnesses = _witness(found, doc, expected, group.roles)
                score = round(similarity * witnesses / others, 3)
                reason = f"{token.surface!r} where {witnesses} of {others} other versions write {agreeing.surface!r}"
                out.append(Suggestion("names", doc, token.start, token.end, token.surface, "error", "Fluency/Spelling",
                                      reason, score, severity="major", counterpart=(source, agreeing.start, agreeing.end)))
                if expected in concept_of:
                    label, concept = concept_of[expected]
                    out.append(Suggestion("names", doc, token.start, token.end, token.surface, "entity", label,
                                          reason, score, concept=concept))
    return out


# --- language -----------------------------------------------------------------------------------------------

def language(group: GroupText) -> list[Suggestion]:
    """Flag a paragraph written in another language than its document's (untranslated text)."""
    known = tuple(sorted({lang.split("-")[0] for lang in group.langs if langid.is_known(lang)}))
    out = []
    if len(known) < 2:
        return out
    for doc, spans in enumerate(group.paragraphs):
        own = group.langs[doc].split("-")[0]
        if own not in known or group.roles[doc] == "source":
            continue
        for start, end in spans:
            text = group.texts[doc][start:end]
            if sum(ch.isalpha() for ch in text) < LANGUAGE_MIN_LETTERS:
                continue
            detected, confidence = langid.best(text, known)
            if detected is not None and detected != own and confidence >= LANGUAGE_CONFIDENCE:
                out.append(Suggestion(
                    "language", doc, start, end, text, "error", "Accuracy/Untranslated",
                    f"this paragraph reads as {langid.language_name(detected)}, not "
                    f"{langid.language_name(own)}", round(confidence, 3), severity="major"))
    return out


# --- projection ---------------------------------------------------------------------------------------------

def _find(text: str, start: int, end: int, surface: str) -> tuple[int, int, float] | None:
    """Find ``surface`` in ``text[start:end]``: exactly, then ignoring case and accents, then fuzzily."""
    part = text[start:end]
    at = part.find(surface)
    if at >= 0:
        return start + at, start + at + len(surface), 1.0
    folded_part = _fold(unicodedata.normalize("NFC", part))
    folded = _fold(surface)
    if len(folded_part) == len(part):  # folding kept every offset
        at = folded_part.find(folded)
        if at >= 0:
            return start + at, start + at + len(surface), 0.95
    if len(surface) < 4:
        return None
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", part)]
    size = len(surface.split())
    best = None
    for i in range(len(words)):
        for width in (size - 1, size, size + 1):
            if width < 1 or i + width > len(words):
                continue
            a, b = words[i][0], words[i + width - 1][1]
            candidate = part[a:b].strip(".,;:!?\"'«»“”()")
            ratio = _similar(_fold(candidate), folded)
            if ratio >= FUZZY_PROJECTION and (best is None or ratio > best[2]):
                offset = part.index(candidate, a)
                best = (start + offset, start + offset + len(candidate), round(ratio * 0.9, 3))
    return best


def projection(group: GroupText) -> list[Suggestion]:
    """Propose each labelled entity or claim in the aligned paragraphs of the other documents."""
    row_of = {}
    for index, row in enumerate(group.rows):
        for doc, indices in enumerate(row):
            for i in indices:
                row_of[(doc, i)] = index
    taken = {(label.doc, label.char_start, label.char_end, label.layer) for label in group.labels}
    out, seen = [], set()
    for label in group.labels:
        if label.layer not in ("entity", "claim"):
            continue
        spans = group.paragraphs[label.doc]
        paragraph = next((i for i, (a, b) in enumerate(spans) if a <= label.char_start and label.char_end <= b), None)
        if paragraph is None or (label.doc, paragraph) not in row_of:
            continue
        row = group.rows[row_of[(label.doc, paragraph)]]
        surface = group.texts[label.doc][label.char_start:label.char_end]
        for doc, indices in enumerate(row):
            if doc == label.doc:
                continue
            for i in indices:
                a, b = group.paragraphs[doc][i]
                hit = _find(group.texts[doc], a, b, surface)
                if hit is None:
                    continue
                start, end, score = hit
                key = (doc, start, end, label.layer)
                if key in taken or (key, label.label) in seen:
                    continue
                seen.add((key, label.label))
                out.append(Suggestion("projection", doc, start, end, group.texts[doc][start:end], label.layer,
                                      label.label, f"{label.label} {surface!r} in {group.langs[label.doc]}", score,
                                      concept=label.concept))
    return out


SUGGESTERS = {"projection": projection, "numbers": numbers, "names": names, "language": language}


def suggest(group: GroupText, which: tuple[str, ...] = tuple(SUGGESTERS)) -> list[Suggestion]:
    """Run the chosen suggesters; the result is in a stable order."""
    found = [s for name in which for s in SUGGESTERS[name](group)]
    return sorted(found, key=lambda s: (s.doc, s.char_start, s.char_end, s.layer, s.label, s.suggester))
