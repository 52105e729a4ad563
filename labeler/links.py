"""Links made from text that people supply: a concept's knowledge-base id becomes a link only when it is a
Wikidata id or an ``http(s)`` URL, so that ``javascript:``, ``data:`` and the like never reach an ``href``.

Pure code: no Flask, no database.
"""

import re
import unicodedata
from urllib.parse import urlsplit

WIKIDATA_ID = re.compile(r"[QPL][1-9][0-9]{0,11}")
WIKIDATA_URL = "https://www.wikidata.org/wiki/"
SAFE_SCHEMES = ("http", "https")


def kb_url(kb_id: str | None) -> str | None:
    """Return the URL a knowledge-base id points at, or None when it must stay plain text.

    :param kb_id: as a person typed it, e.g. ``Q42``, ``https://example.org/entity/7`` or anything else.
    :returns: ``https://www.wikidata.org/wiki/Q42`` for a Wikidata id, the URL itself for an absolute http(s)
        URL without white space or control characters, None otherwise (``javascript:…``, ``data:…``,
        ``//host``, relative paths, ``java\\tscript:…``).

    Example: ``kb_url("Q42")`` is ``"https://www.wikidata.org/wiki/Q42"``; ``kb_url("javascript:alert(1)")`` is None.
    """
    if not kb_id:
        return None
    if WIKIDATA_ID.fullmatch(kb_id):
        return WIKIDATA_URL + kb_id
    # Browsers drop tabs and newlines inside a URL and ignore leading control characters and spaces, so
    # "java\tscript:" runs as script; bidi controls make a link read as another address. Any white space or
    # control or format character keeps the id plain text.
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in kb_id):
        return None
    try:
        parts = urlsplit(kb_id)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.netloc:
        return None
    return kb_id
