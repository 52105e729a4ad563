"""Import: folders and JSONL, language detection, immutability, and all-or-nothing batches."""

import json
import shutil

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from labeler.alignment import current_documents
from labeler.ingest import ImportProblem, import_documents, read_paths
from labeler.models import AlignmentRow, Document, Group, Segment
from tests.conftest import DATA, require_seeds


def _count(session, model):
    return session.exec(select(func.count()).select_from(model)).one()


def test_seeds_import_as_one_group_of_five(session):
    seeds = require_seeds()
    report = import_documents(session, "Seeds", read_paths([seeds]))
    assert report.groups_created == 1 and report.documents_created == 5
    group = session.exec(select(Group)).one()
    documents = current_documents(session, group.id)
    assert [d.lang for d in documents] == ["es", "pt", "fr", "de", "fr"]
    counts = [_paragraphs(session, d) for d in documents]
    assert counts[:4] == [5, 5, 5, 5]


def _paragraphs(session, document):
    return session.exec(select(func.count(Segment.id)).where(Segment.document_id == document.id)).one()


def test_seedlike_folder_detects_languages_and_paragraphs(session):
    import_documents(session, "T", read_paths([DATA / "seedlike"]))
    documents = current_documents(session, session.exec(select(Group)).one().id)
    assert [d.lang for d in documents] == ["es", "pt", "fr", "de", "fr"]
    assert [_paragraphs(session, d) for d in documents][:4] == [5, 5, 5, 5]
    for document in documents:
        assert document.text_sha256 and "\r" not in document.text


def test_segments_slice_the_stored_text(session):
    import_documents(session, "T", read_paths([DATA / "seedlike"]))
    for document in session.exec(select(Document)):
        for segment in session.exec(select(Segment).where(Segment.document_id == document.id)):
            paragraph = document.text[segment.char_start:segment.char_end]
            assert paragraph == paragraph.strip() and paragraph


def test_manifest_sets_lang_role_and_title(session):
    import_documents(session, "T", read_paths([DATA / "hardwrapped"]))
    documents = current_documents(session, session.exec(select(Group)).one().id)
    assert {d.origin: (d.lang, d.role) for d in documents} == {"de.txt": ("de", "translation"),
                                                                "en.txt": ("en", "source")}


def test_hard_wrapped_files_have_block_paragraphs(session):
    import_documents(session, "T", read_paths([DATA / "hardwrapped"]))
    for document in session.exec(select(Document)):
        assert _paragraphs(session, document) == 4


def test_import_aligns_the_new_group(session):
    import_documents(session, "T", read_paths([DATA / "seedlike"]))
    assert _count(session, AlignmentRow) >= 5


def test_reimporting_the_same_files_changes_nothing(session):
    import_documents(session, "T", read_paths([DATA / "seedlike"]))
    before = (_count(session, Document), _count(session, Segment), _count(session, AlignmentRow))
    report = import_documents(session, "T", read_paths([DATA / "seedlike"]))
    assert report.documents_created == 0 and report.documents_unchanged == 5
    assert (_count(session, Document), _count(session, Segment), _count(session, AlignmentRow)) == before


def test_a_changed_file_becomes_a_new_version(session, tmp_path):
    folder = tmp_path / "group"
    shutil.copytree(DATA / "seedlike", folder)
    import_documents(session, "T", read_paths([folder]))
    original = session.exec(select(Document).where(Document.origin == "003_d.txt")).one()
    (folder / "003_d.txt").write_text(original.text + "\nEin neuer Absatz am Ende des Artikels.\n", "utf-8")
    report = import_documents(session, "T", read_paths([folder]))
    assert report.documents_versioned == 1
    versions = list(session.exec(select(Document).where(Document.origin == "003_d.txt").order_by(Document.version)))
    assert [(v.version, v.superseded) for v in versions] == [(1, True), (2, False)]
    assert versions[0].text == original.text  # the old text, and any span on it, is untouched


def test_jsonl_import(session, tmp_path):
    path = tmp_path / "docs.jsonl"
    records = [
        {"group": "g1", "doc_id": "en-1", "lang": "en", "role": "source", "title": "One", "text": "Hello there.\nSecond."},
        {"group": "g1", "doc_id": "de-1", "text": "Hallo zusammen, wie geht es euch allen heute?\nZweitens."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", "utf-8")
    report = import_documents(session, "J", read_paths([path]))
    assert report.documents_created == 2
    documents = current_documents(session, session.exec(select(Group)).one().id)
    assert [(d.origin, d.lang, d.role) for d in documents] == [("en-1", "en", "source"), ("de-1", "de", "translation")]


@pytest.mark.parametrize("line, problem", [
    ('{"group": "g", "doc_id": "a", "text": "x"', "not valid JSON"),
    ('{"group": "g", "text": "x"}', "missing field(s): doc_id"),
    ('{"group": "g", "doc_id": "a", "text": "x", "colour": "red"}', "unknown field(s): colour"),
    ('{"group": "g", "doc_id": "a", "text": "x", "lang": "not a tag"}', "is not a language tag"),
    ('{"group": "g", "doc_id": "a", "text": "x", "role": "boss"}', "unknown role"),
    ('{"group": "g", "doc_id": "a", "text": "   "}', "the text is empty"),
    ('[1, 2]', "expected a JSON object"),
])
def test_bad_jsonl_names_file_line_and_problem_and_imports_nothing(session, tmp_path, line, problem):
    path = tmp_path / "bad.jsonl"
    good = json.dumps({"group": "g", "doc_id": "ok", "lang": "en", "text": "A fine first document."})
    path.write_text(good + "\n" + line + "\n", "utf-8")
    with pytest.raises(ImportProblem) as caught:
        import_documents(session, "J", read_paths([path]))
    assert caught.value.line == 2 and str(path) in str(caught.value) and problem in str(caught.value)
    assert _count(session, Document) == 0


def test_bad_utf8_file_names_file_and_line_and_the_batch_imports_nothing(session):
    with pytest.raises(ImportProblem) as caught:
        import_documents(session, "T", read_paths([DATA / "seedlike", DATA / "bad" / "bad-utf8"]))
    assert caught.value.path.endswith("de.txt") and caught.value.line == 2
    assert _count(session, Document) == 0 and _count(session, Group) == 0


def test_a_failure_while_writing_rolls_back_the_whole_batch(session, tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text(json.dumps({"group": "g", "doc_id": "a", "lang": "en", "text": "Fine."}) + "\n", "utf-8")
    documents = read_paths([DATA / "seedlike", path])
    documents[-1].role = "boss"  # past the reader's checks: the database's CHECK refuses it mid-batch
    with pytest.raises(IntegrityError):
        import_documents(session, "T", documents)
    assert _count(session, Document) == 0


def test_empty_file_and_missing_path_are_clear_errors(tmp_path):
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "empty.txt").write_text("\n\n", "utf-8")
    with pytest.raises(ImportProblem, match="the file is empty"):
        read_paths([tmp_path / "g"])
    with pytest.raises(ImportProblem, match="no such file or folder"):
        read_paths([tmp_path / "missing"])
