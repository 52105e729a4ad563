"""Read documents to import: folders of ``.txt`` files (one folder = one group), JSONL (one document per line, or
the records of a gold export), WMT MQM ``.tsv`` files and ``.tmx`` / ``.xliff`` translation memories.

Reading and checking happen first, for the whole batch, so that a bad file stops the batch before anything is
written; ``labeler.ingest`` then writes what was read.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from labeler import tm, wmt
from labeler.gold import GOLD_SCHEMA, GoldLabels, GoldProblem, parse_labels
from labeler.models import DOCUMENT_ROLES
from labeler.text.normalize import TextError, decode, holds_nul, normalize
from labeler.text.prepare import POOL_MIN_CHARS, warm_up_soon

MANIFEST = "group.json"
LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
JSONL_FIELDS = {"group", "group_name", "doc_id", "lang", "role", "title", "text"}


class ImportProblem(Exception):
    """A file that cannot be imported: names the file, the line (when there is one) and the problem."""

    def __init__(self, path: Path | str, problem: str, line: int | None = None):
        self.path, self.problem, self.line = str(path), problem, line
        where = f"{self.path}, line {line}" if line else self.path
        super().__init__(f"{where}: {problem}")


@dataclass
class DocumentInput:
    """One document read from disk, normalised, not yet written."""

    group_key: str
    group_name: str
    origin: str
    text: str
    lang: str | None = None
    role: str | None = None
    title: str = ""
    source: str = ""  # where it was read, for error messages
    labels: list[GoldLabels] = field(default_factory=list)  # of labeler.gold/1 records: one per record
    lines_are_paragraphs: bool = False  # segment files (WMT MQM): one line, one paragraph, never re-wrapped
    mqm_file: object | None = None  # on the first document of a WMT MQM TSV file: its errors and ratings


def _check_lang(lang: str, path: Path | str, line: int | None = None) -> str:
    if not LANG_TAG.match(lang):
        raise ImportProblem(path, f"{lang!r} is not a language tag such as 'en' or 'pt-BR'", line)
    return lang


def _check_role(role: str, path: Path | str, line: int | None = None) -> str:
    if role not in DOCUMENT_ROLES:
        raise ImportProblem(path, f"unknown role {role!r}; use one of {', '.join(DOCUMENT_ROLES)}", line)
    return role


def _read_text(path: Path) -> str:
    try:
        text = normalize(decode(path.read_bytes()))
    except TextError as error:
        raise ImportProblem(path, error.message, error.line) from None
    except OSError as error:
        raise ImportProblem(path, f"cannot read: {error.strerror}") from None
    if not text.strip():
        raise ImportProblem(path, "the file is empty")
    return text


def _read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.exists():
        return {}
    try:
        manifest = json.loads(decode(path.read_bytes()))
    except (TextError, json.JSONDecodeError) as error:
        line = getattr(error, "lineno", None) or getattr(error, "line", None)
        raise ImportProblem(path, f"not valid JSON: {getattr(error, 'msg', error)}", line) from None
    shape = 'expected {"name": ..., "documents": {"file.txt": {"lang": ..., "role": ..., "title": ...}}}'
    if not isinstance(manifest, dict) or not isinstance(manifest.get("documents", {}), dict):
        raise ImportProblem(path, shape)
    if holds_nul(manifest):  # a \u0000 escape: PostgreSQL cannot store it in text
        raise ImportProblem(path, "a field holds a NUL character (U+0000)")
    for name, meta in manifest.get("documents", {}).items():
        if not isinstance(meta, dict):
            raise ImportProblem(path, f"{name!r}: {shape}")
        wrong = [key for key in ("lang", "role", "title") if meta.get(key) is not None and not isinstance(meta[key], str)]
        if wrong:
            raise ImportProblem(path, f"{name!r}: {', '.join(wrong)} must be text")
    return manifest


def read_folder(folder: Path) -> list[DocumentInput]:
    """Read one group: every ``.txt`` file of ``folder``, in file-name order.

    An optional ``group.json`` gives the group's name and, per file, ``lang``, ``role`` and ``title``.

    :param folder: the group's folder; its name is the group key.
    :returns: the documents, normalised.
    :raises ImportProblem: on an unreadable, empty or non-UTF-8 file or a bad manifest.
    """
    manifest = _read_manifest(folder)
    described = manifest.get("documents", {})
    # Columns follow the manifest's order, then file names.
    listed = {name: index for index, name in enumerate(described)}
    files = sorted((path for path in folder.iterdir() if path.suffix.lower() == ".txt" and path.is_file()),
                   key=lambda path: (listed.get(path.name, len(listed)), path.name))
    for name in described:
        if not (folder / name).is_file():
            raise ImportProblem(folder / MANIFEST, f"lists {name!r}, which is not in the folder")
    documents = []
    for path in files:
        meta = described.get(path.name, {})
        documents.append(
            DocumentInput(
                group_key=folder.name,
                group_name=str(manifest.get("name") or folder.name),
                origin=path.name,
                text=_read_text(path),
                lang=_check_lang(meta["lang"], folder / MANIFEST) if meta.get("lang") else None,
                role=_check_role(meta["role"], folder / MANIFEST) if meta.get("role") else None,
                title=str(meta.get("title") or path.stem),
                source=str(path),
            )
        )
    return documents


def read_jsonl(path: Path) -> list[DocumentInput]:
    """Read a JSONL file of documents: one object per line with group, doc_id, text, and optionally
    group_name, lang, role and title.

    :param path: the file.
    :returns: the documents, normalised.
    :raises ImportProblem: naming the line of the first bad record.
    """
    try:
        content = normalize(decode(path.read_bytes()))
    except TextError as error:
        raise ImportProblem(path, error.message, error.line) from None
    documents = []
    for number, line in enumerate(content.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ImportProblem(path, f"not valid JSON: {error.msg} (column {error.colno})", number) from None
        if not isinstance(record, dict):
            raise ImportProblem(path, "expected a JSON object", number)
        if holds_nul(record):  # a \u0000 escape: PostgreSQL cannot store it in text
            raise ImportProblem(path, "a field holds a NUL character (U+0000)", number)
        if "schema" in record:
            documents.append(_read_gold_record(record, path, number))
            continue
        missing = [name for name in ("group", "doc_id", "text") if not record.get(name)]
        if missing:
            raise ImportProblem(path, f"missing field(s): {', '.join(missing)}", number)
        unknown = sorted(set(record) - JSONL_FIELDS)
        if unknown:
            raise ImportProblem(path, f"unknown field(s): {', '.join(unknown)}", number)
        if not all(isinstance(record.get(name, ""), str) for name in JSONL_FIELDS):
            raise ImportProblem(path, "every field must be a string", number)
        try:
            text = normalize(record["text"])
        except TextError as error:
            raise ImportProblem(path, error.message, number) from None
        if not text.strip():
            raise ImportProblem(path, "the text is empty", number)
        documents.append(
            DocumentInput(
                group_key=record["group"],
                group_name=record.get("group_name") or record["group"],
                origin=record["doc_id"],
                text=text,
                lang=_check_lang(record["lang"], path, number) if record.get("lang") else None,
                role=_check_role(record["role"], path, number) if record.get("role") else None,
                title=record.get("title") or record["doc_id"],
                source=f"{path}, line {number}",
            )
        )
    return documents


def _read_gold_record(record: dict, path: Path, number: int) -> DocumentInput:
    """One line of a labeler.gold/1 export: the document, with its labels to import after it."""
    if record["schema"] != GOLD_SCHEMA:
        raise ImportProblem(path, f"records of schema {record['schema']!r} cannot be imported; "
                                  f"a gold export ({GOLD_SCHEMA}) can", number)
    missing = [name for name in ("group", "doc_id", "text", "lang") if not isinstance(record.get(name), str)
               or not record.get(name)]
    if missing:
        raise ImportProblem(path, f"missing field(s): {', '.join(missing)}", number)
    try:
        labels = parse_labels(record, path, number)
        text = normalize(record["text"])
    except GoldProblem as problem:
        raise ImportProblem(path, problem.message, number) from None
    except TextError as error:
        raise ImportProblem(path, error.message, number) from None
    if text != record["text"]:
        raise ImportProblem(path, "the text is not in NFC with \\n newlines, so its offsets cannot be trusted", number)
    return DocumentInput(
        group_key=record["group"], group_name=record["group"], origin=record["doc_id"], text=text,
        lang=_check_lang(record["lang"], path, number),
        role=_check_role(record["role"], path, number) if record.get("role") else None,
        title=record.get("title") or record["doc_id"], source=f"{path}, line {number}", labels=[labels],
    )


def _read_mqm_tsv(path: Path) -> list[DocumentInput]:
    try:
        mqm_file = wmt.read_tsv(path)
        documents = wmt.documents_of(mqm_file, path, None, None)
    except wmt.TsvProblem as problem:
        raise ImportProblem(path, problem.message, problem.line) from None
    documents[0].mqm_file = mqm_file
    return documents


def _at_least(paths: list[Path], size: int) -> bool:
    """Whether the files at ``paths`` (in folders too) hold at least ``size`` bytes; stops as soon as they do."""
    total = 0
    try:
        for path in paths:
            for file in path.rglob("*") if path.is_dir() else [path]:
                if file.is_file():
                    total += file.stat().st_size
                    if total >= size:
                        return True
    except OSError:  # reading the files will say what is wrong
        pass
    return False


def read_paths(paths: list[Path]) -> list[DocumentInput]:
    """Read every path: a ``.jsonl`` file, a WMT MQM ``.tsv`` file, a ``.tmx`` or ``.xliff`` translation
    memory, a group folder of ``.txt`` files, or a folder of group folders.

    :raises ImportProblem: on the first bad file; nothing has been written at that point.
    """
    if _at_least(paths, POOL_MIN_CHARS):
        warm_up_soon()  # a batch for the pool of processes: they will need language detection's models
    documents: list[DocumentInput] = []
    for path in paths:
        if path.is_file() and path.suffix.lower() in {".jsonl", ".ndjson"}:
            documents += read_jsonl(path)
        elif path.is_file() and path.suffix.lower() == ".tsv":
            documents += _read_mqm_tsv(path)
        elif path.is_file() and path.suffix.lower() in {".tmx", ".xlf", ".xliff"}:
            try:
                documents += tm.read_tmx(path) if path.suffix.lower() == ".tmx" else tm.read_xliff(path)
            except tm.TmProblem as problem:
                raise ImportProblem(path, str(problem)) from None
        elif path.is_dir() and any(child.suffix.lower() == ".txt" for child in path.iterdir()):
            documents += read_folder(path)
        elif path.is_dir():
            groups = sorted(child for child in path.iterdir() if child.is_dir())
            if not groups:
                raise ImportProblem(path, "no .txt files and no group folders in this folder")
            for group in groups:
                documents += read_folder(group)
        elif not path.exists():
            raise ImportProblem(path, "no such file or folder")
        else:
            raise ImportProblem(path, "expected a folder of .txt files, or a .jsonl, WMT MQM .tsv, .tmx or .xliff file")
    return _check_unique(documents)


def _check_unique(documents: list[DocumentInput]) -> list[DocumentInput]:
    """Refuse a document given twice; gold records of one document (one per annotator) become one document."""
    seen: dict[tuple[str, str], DocumentInput] = {}
    unique = []
    for document in documents:
        key = (document.group_key, document.origin)
        earlier = seen.get(key)
        if earlier is not None and earlier.labels and document.labels and earlier.text == document.text:
            earlier.labels += document.labels
            continue
        if earlier is not None:
            raise ImportProblem(document.source, f"document {document.origin!r} of group "
                                f"{document.group_key!r} appears twice (also in {earlier.source})")
        seen[key] = document
        unique.append(document)
    return unique
