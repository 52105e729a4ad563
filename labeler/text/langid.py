"""Language identification with lingua, which ships its models (nothing is downloaded at run time).

A detector restricted to a few candidate languages is faster and more accurate than one for all 75, so the
importer passes the languages in use when it knows them; otherwise ``DEFAULT_LANGUAGES`` apply.

lingua is imported only to detect: the server shows language names (``language_name``) without it.
"""

from functools import lru_cache
from typing import Sequence

# The languages most often seen in multilingual news and MT evaluation: detection chooses among them, so a document
# in another language needs its language given at import (`lang` in JSONL, `group.json`).
DEFAULT_LANGUAGES = (
    "ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr", "he", "hi", "hr", "hu",
    "id", "it", "ja", "ko", "lt", "lv", "nl", "nb", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "sw", "th",
    "tr", "uk", "vi", "zh",
)
# Detection reads the start of a text, up to this many characters, cut at a paragraph (else a word) boundary;
# lingua's time grows with the length it reads. On NTREX news (123 articles in 5 languages, whole and by
# paragraph), 1,000 characters decide exactly as 4,000 did.
SAMPLE_CHARS = 1000
# With more candidates than SHORTLIST_ABOVE, the first SHORTLIST_CHARS of the sample pick the SHORTLIST most
# likely languages, and the whole sample decides among them. On the same news, the right language is always in
# the shortlist from 250 characters with 3 candidates, and from 200 with 5.
SHORTLIST_ABOVE = 8
SHORTLIST_CHARS = 300
SHORTLIST = 5
# When the shortlist's first language has at least this confidence over a whole SHORTLIST_CHARS, it is the
# answer: the full models would read the sample for nothing (they cost as much again; issue 8). On the NTREX
# news (whole, by paragraph and by sentence, 7 references: 10,679 texts) the full models never decided
# otherwise from 0.999 up, for 4,248 texts; a lower confidence, or a shorter text, still goes to them.
DECISIVE = 0.9999
# ``best`` judges a single paragraph: it reads nearly all of it.
PARAGRAPH_CHARS = 4000
# Every language lingua knows, by ISO 639-1 code, as lingua names it (a test checks the two agree).
LANGUAGE_NAMES = {
    "af": "Afrikaans", "ar": "Arabic", "az": "Azerbaijani", "be": "Belarusian", "bg": "Bulgarian", "bn": "Bengali",
    "bs": "Bosnian", "ca": "Catalan", "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "eo": "Esperanto", "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "ga": "Irish", "gu": "Gujarati", "he": "Hebrew", "hi": "Hindi",
    "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian", "is": "Icelandic", "it": "Italian",
    "ja": "Japanese", "ka": "Georgian", "kk": "Kazakh", "ko": "Korean", "la": "Latin", "lg": "Ganda",
    "lt": "Lithuanian", "lv": "Latvian", "mi": "Maori", "mk": "Macedonian", "mn": "Mongolian", "mr": "Marathi",
    "ms": "Malay", "nb": "Bokmal", "nl": "Dutch", "nn": "Nynorsk", "pa": "Punjabi", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovene", "sn": "Shona",
    "so": "Somali", "sq": "Albanian", "sr": "Serbian", "st": "Sotho", "sv": "Swedish", "sw": "Swahili",
    "ta": "Tamil", "te": "Telugu", "th": "Thai", "tl": "Tagalog", "tn": "Tswana", "tr": "Turkish", "ts": "Tsonga",
    "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese", "xh": "Xhosa", "yo": "Yoruba", "zh": "Chinese",
    "zu": "Zulu",
}


def _language(code: str):
    """Return lingua's ``Language`` for an ISO 639-1 code.

    :raises ValueError: for a code lingua does not know.
    """
    if code.lower() not in LANGUAGE_NAMES:
        raise ValueError(f"unknown language code {code!r}")
    from lingua import IsoCode639_1, Language

    return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))


@lru_cache(maxsize=64)
def _detector(codes: tuple[str, ...], low_accuracy: bool = False):
    from lingua import Language, LanguageDetectorBuilder

    languages = [_language(code) for code in codes]
    if len(languages) == 1:
        # lingua needs two candidates; a lone one is still the only answer it may give.
        languages.append(Language.ENGLISH if languages[0] != Language.ENGLISH else Language.GERMAN)
    builder = LanguageDetectorBuilder.from_languages(*languages)
    return (builder.with_low_accuracy_mode() if low_accuracy else builder).build()


def sample(text: str) -> str:
    """Return the part of ``text`` that detection reads: its first ``SAMPLE_CHARS`` characters, ending at the
    last paragraph break within them (at the last space when no break comes after their first half).

    :param text: normalised text (``\\n`` newlines).
    """
    if len(text) <= SAMPLE_CHARS:
        return text
    head = text[:SAMPLE_CHARS + 1]  # one more: a break right after the limit still ends a whole paragraph
    cut = head.rfind("\n")
    if cut < SAMPLE_CHARS // 2:
        cut = max(head.rfind(" "), head.rfind("\t"))
    return text[:cut] if cut > 0 else text[:SAMPLE_CHARS]


def detect(text: str, candidates: tuple[str, ...] = DEFAULT_LANGUAGES) -> str | None:
    """Return the ISO 639-1 code of the language of ``text``, or None when it cannot tell.

    :param text: the text (only its ``sample`` is read).
    :param candidates: ISO 639-1 codes the answer is chosen from.
    :returns: a lower-case code such as ``"pt"``, or None.
    """
    return detect_many([text], candidates)[0]


def detect_many(texts: Sequence[str], candidates: tuple[str, ...] = DEFAULT_LANGUAGES,
                parallel: bool = True) -> list[str | None]:
    """Return the language of each text, as ``detect`` does, using every core (lingua's parallel methods).

    :param texts: the texts (only their ``sample`` is read).
    :param candidates: ISO 639-1 codes the answers are chosen from.
    :param parallel: use lingua's parallel methods; a forked worker must not (their thread pool does not
        survive a fork). The answers are the same.
    :returns: per text, a lower-case code or None.
    """
    samples = [sample(text) for text in texts]
    codes = tuple(sorted(set(candidates)))
    found: list[str | None] = [None] * len(samples)
    if len(codes) > SHORTLIST_ABOVE:
        # The full high-accuracy models of dozens of languages take seconds to load; the low-accuracy
        # (trigram) models pick a shortlist in milliseconds, and the full models decide among it.
        shortlisted: dict[tuple[str, ...], list[int]] = {}
        low = _detector(codes, low_accuracy=True)
        heads = [text[:SHORTLIST_CHARS] for text in samples]
        confidences = (low.compute_language_confidence_values_in_parallel(heads) if parallel
                       else [low.compute_language_confidence_values(head) for head in heads])
        for index, values in enumerate(confidences):
            shortlist = tuple(sorted(_code(value.language) for value in values[:SHORTLIST] if value.value > 0))
            if len(shortlist) <= 1:
                found[index] = shortlist[0] if shortlist else None
            elif values[0].value >= DECISIVE and len(heads[index]) >= SHORTLIST_CHARS:
                found[index] = _code(values[0].language)
            else:
                shortlisted.setdefault(shortlist, []).append(index)
    else:
        shortlisted = {codes: list(range(len(samples)))}
    for shortlist, indices in shortlisted.items():
        detector, chosen = _detector(shortlist), [samples[index] for index in indices]
        languages = (detector.detect_languages_in_parallel_of(chosen) if parallel
                     else [detector.detect_language_of(text) for text in chosen])
        for index, language in zip(indices, languages):
            found[index] = None if language is None else _code(language)
    return found


def warm_up(candidates: tuple[str, ...] = DEFAULT_LANGUAGES) -> None:
    """Load the models that ``detect_many``'s first pass reads (lingua loads them on first use: 0.3 s of CPU,
    0.7 s in all). lingua keeps them for the process, and processes forked after this one share them."""
    codes = tuple(sorted(set(candidates)))
    if len(codes) > SHORTLIST_ABOVE:
        _detector(codes, low_accuracy=True).compute_language_confidence_values("warm up")


def best(text: str, candidates: tuple[str, ...]) -> tuple[str | None, float]:
    """Return the most likely of a few ``candidates`` for ``text`` and lingua's confidence in it (0..1)."""
    values = _detector(tuple(sorted(set(candidates)))).compute_language_confidence_values(text[:PARAGRAPH_CHARS])
    if not values or values[0].value <= 0:
        return None, 0.0
    return _code(values[0].language), values[0].value


def _code(language) -> str:
    return language.iso_code_639_1.name.lower()


def is_known(code: str) -> bool:
    """Tell whether lingua knows the language of a BCP-47 tag's primary subtag (``pt-BR`` → ``pt``)."""
    return code.split("-")[0].lower() in LANGUAGE_NAMES


def language_name(code: str) -> str:
    """Return the English name of a BCP-47 tag's language (``pt-BR`` → ``Portuguese``), or the tag itself."""
    return LANGUAGE_NAMES.get(code.split("-")[0].lower(), code)
