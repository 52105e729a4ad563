"""Language identification with lingua, which ships its models (nothing is downloaded at run time).

A detector restricted to a few candidate languages is faster and more accurate than one for all 75, so the
importer passes the languages in use when it knows them; otherwise ``DEFAULT_LANGUAGES`` apply.
"""

from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

# The languages most often seen in multilingual news and MT evaluation; ``LABELER_LANGUAGES`` widens it.
DEFAULT_LANGUAGES = (
    "ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr", "he", "hi", "hr", "hu",
    "id", "it", "ja", "ko", "lt", "lv", "nl", "nb", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "sw", "th",
    "tr", "uk", "vi", "zh",
)
SAMPLE_CHARS = 4000
SHORTLIST_ABOVE = 8
SHORTLIST = 3


def _language(code: str) -> Language:
    try:
        return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
    except (AttributeError, ValueError):
        raise ValueError(f"unknown language code {code!r}") from None


@lru_cache(maxsize=64)
def _detector(codes: tuple[str, ...], low_accuracy: bool = False):
    languages = [_language(code) for code in codes]
    if len(languages) == 1:
        # lingua needs two candidates; a lone one is still the only answer it may give.
        languages.append(Language.ENGLISH if languages[0] != Language.ENGLISH else Language.GERMAN)
    builder = LanguageDetectorBuilder.from_languages(*languages)
    return (builder.with_low_accuracy_mode() if low_accuracy else builder).build()


def detect(text: str, candidates: tuple[str, ...] = DEFAULT_LANGUAGES) -> str | None:
    """Return the ISO 639-1 code of the language of ``text``, or None when it cannot tell.

    :param text: the text (only its first ``SAMPLE_CHARS`` characters are read).
    :param candidates: ISO 639-1 codes the answer is chosen from.
    :returns: a lower-case code such as ``"pt"``, or None.
    """
    sample = text[:SAMPLE_CHARS]
    codes = tuple(sorted(set(candidates)))
    if len(codes) > SHORTLIST_ABOVE:
        # The full high-accuracy models of dozens of languages take seconds to load; the low-accuracy
        # (trigram) models pick a shortlist in milliseconds, and the full models decide among it.
        confidences = _detector(codes, low_accuracy=True).compute_language_confidence_values(sample)
        codes = tuple(sorted(_code(c.language) for c in confidences[:SHORTLIST] if c.value > 0))
        if len(codes) <= 1:
            return codes[0] if codes else None
    language = _detector(codes).detect_language_of(sample)
    return None if language is None else _code(language)


def best(text: str, candidates: tuple[str, ...]) -> tuple[str | None, float]:
    """Return the most likely of a few ``candidates`` for ``text`` and lingua's confidence in it (0..1)."""
    values = _detector(tuple(sorted(set(candidates)))).compute_language_confidence_values(text[:SAMPLE_CHARS])
    if not values or values[0].value <= 0:
        return None, 0.0
    return _code(values[0].language), values[0].value


def _code(language: Language) -> str:
    return language.iso_code_639_1.name.lower()


def is_known(code: str) -> bool:
    """Tell whether lingua knows the language of a BCP-47 tag's primary subtag (``pt-BR`` → ``pt``)."""
    try:
        _language(code.split("-")[0])
        return True
    except ValueError:
        return False


def language_name(code: str) -> str:
    """Return the English name of a BCP-47 tag's language (``pt-BR`` → ``Portuguese``), or the tag itself."""
    try:
        return _language(code.split("-")[0]).name.title()
    except ValueError:
        return code
