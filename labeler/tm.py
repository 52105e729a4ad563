"""Translation memories: TMX and XLIFF files become groups whose rows are their translation units.

A TMX file is one group (its name is the file's stem): one document per language, the header's ``srclang``
as the source; each translation unit is one line of every language it has, and one confirmed alignment row.
An XLIFF file gives one group per ``<file>`` element: the source and the target language, each unit one
line and one row. Segments are NFC-normalised; a newline inside a segment becomes a space (a line is a
paragraph); empty segments leave an empty cell in their row.
"""

from pathlib import Path

from labeler.gold import GoldLabels
from labeler.text.normalize import TextError, normalize

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class TmProblem(ValueError):
    pass


def _clean(text: str | None) -> str:
    try:
        return " ".join(normalize(text or "").split())
    except TextError as error:
        raise TmProblem(error.message) from None


def _documents(path: Path, group_key: str, columns: list[tuple[str, str]], units: list[dict[str, str]],
               source_lang: str | None) -> list:
    """Documents of one group: ``columns`` are (doc_id, lang); ``units`` map doc_id → segment text."""
    from labeler.readers import DocumentInput

    out = []
    for doc_id, lang in columns:
        lines, paragraphs, offset = [], [], 0
        for row, unit in enumerate(units):
            text = unit.get(doc_id, "")
            if not text:
                continue
            lines.append(text)
            paragraphs.append({"char_start": offset, "char_end": offset + len(text), "row": row,
                               "row_status": "confirmed"})
            offset += len(text) + 1
        if not lines:
            continue
        rows = GoldLabels(line=0, path=str(path), text_sha256="", annotator=None, spans=[], concepts={},
                          paragraphs=paragraphs)
        out.append(DocumentInput(group_key=group_key, group_name=group_key, origin=doc_id, text="\n".join(lines),
                                 lang=lang, role="source" if lang == source_lang else "translation",
                                 title=f"{group_key} · {lang}", source=str(path), labels=[rows],
                                 lines_are_paragraphs=True))
    if not out:
        raise TmProblem("no translation unit with text")
    return out


def read_tmx(path: Path) -> list:
    """Read a TMX file into the documents of one group.

    :raises TmProblem: on XML that cannot be read or a file without units.
    """
    from translate.storage import tmx

    try:
        store = tmx.tmxfile(path.read_bytes())
    except Exception as error:  # the toolkit raises lxml's and its own errors alike
        raise TmProblem(f"not a readable TMX file: {error}") from None
    header = store.document.find(".//header")
    source_lang = header.get("srclang") if header is not None else None
    languages: list[str] = []
    units = []
    for unit in store.units:
        texts = {}
        for node in unit.getlanguageNodes():
            lang = node.get(XML_LANG) or node.get("lang")
            if not lang:
                raise TmProblem(f"a <tuv> of unit {len(units) + 1} has no xml:lang")
            if lang not in languages:
                languages.append(lang)
            texts[lang] = _clean(unit.getNodeText(node))
        units.append(texts)
    if source_lang not in languages:
        source_lang = languages[0] if languages else None
    ordered = [source_lang] + [lang for lang in languages if lang != source_lang] if source_lang else []
    return _documents(path, path.stem, [(lang, lang) for lang in ordered], units, source_lang)


def read_xliff(path: Path) -> list:
    """Read an XLIFF file: one group per ``<file>`` element, with its source and target documents.

    :raises TmProblem: on XML that cannot be read, or a file without languages or units.
    """
    from translate.storage import xliff

    try:
        store = xliff.xlifffile(path.read_bytes())
    except Exception as error:
        raise TmProblem(f"not a readable XLIFF file: {error}") from None
    source_lang, target_lang = store.getsourcelanguage(), store.gettargetlanguage()
    if not source_lang or not target_lang:
        raise TmProblem("the <file> element needs source-language and target-language")
    by_file: dict[str, list[dict[str, str]]] = {}
    for unit in store.units:
        original = unit.xmlelement.getparent().getparent().get("original") or path.stem
        by_file.setdefault(original, []).append({"source": _clean(unit.source), "target": _clean(unit.target)})
    documents = []
    for original, units in by_file.items():
        key = path.stem if len(by_file) == 1 else f"{path.stem}-{Path(original).stem}"
        documents += _documents(path, key, [("source", source_lang), ("target", target_lang)], units, source_lang)
    if not documents:
        raise TmProblem("no translation unit")
    return documents
