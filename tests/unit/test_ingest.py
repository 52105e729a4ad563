"""Import: folders and JSONL, language detection, immutability, and all-or-nothing batches."""

import json
import multiprocessing
import os
import shutil

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from labeler.alignment import current_documents, realign_group
from labeler.ingest import import_documents
from labeler.models import AlignmentMember, AlignmentRow, Document, Group, Project, Segment
from labeler.readers import DocumentInput, ImportProblem, read_paths
from labeler.text import prepare
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


def test_a_document_whose_language_cannot_be_told_is_refused_by_name(session, tmp_path):
    path = tmp_path / "docs.jsonl"
    records = [{"group": "g", "doc_id": "words", "text": "Die Stadt hat gestern die neue Brücke eröffnet."},
               {"group": "g", "doc_id": "figures", "text": "12 345 — 67,8 % — 90"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", "utf-8")
    with pytest.raises(ImportProblem, match="cannot tell the language") as caught:
        import_documents(session, "J", read_paths([path]))
    assert caught.value.path == f"{path}, line 2"
    assert _count(session, Document) == 0 and _count(session, Project) == 0


def test_a_document_of_white_space_is_refused_before_anything_is_written(session):
    documents = read_paths([DATA / "seedlike"])
    documents.append(DocumentInput(group_key="g", group_name="g", origin="blank", text=" \n\t\n", lang="en",
                                   source="blank.txt"))
    with pytest.raises(ImportProblem, match="no paragraph"):
        import_documents(session, "T", documents)
    assert _count(session, Project) == 0 and _count(session, Document) == 0


def test_one_file_given_twice_with_different_text_in_one_batch_becomes_two_versions(session):
    first = DocumentInput(group_key="g", group_name="g", origin="a.txt", text="First text.", lang="en")
    second = DocumentInput(group_key="g", group_name="g", origin="a.txt", text="Second text.", lang="en")
    same = DocumentInput(group_key="g", group_name="g", origin="a.txt", text="Second text.", lang="en")
    report = import_documents(session, "T", [first, second, same])
    assert (report.documents_created, report.documents_versioned, report.documents_unchanged) == (2, 1, 1)
    versions = list(session.exec(select(Document).order_by(Document.version)))
    assert [(v.version, v.superseded, v.text, v.position) for v in versions] == [
        (1, True, "First text.", 0), (2, False, "Second text.", 0)]


def test_a_new_file_in_an_existing_group_becomes_its_next_column(session, tmp_path):
    folder = tmp_path / "group"
    shutil.copytree(DATA / "seedlike", folder)
    import_documents(session, "T", read_paths([folder]))
    (folder / "zz_it.txt").write_text("Il sindaco ha inaugurato ieri il nuovo ponte sul fiume.\n", "utf-8")
    report = import_documents(session, "T", read_paths([folder]))
    assert (report.documents_created, report.documents_unchanged, report.groups_created) == (1, 5, 0)
    documents = current_documents(session, session.exec(select(Group)).one().id)
    assert [d.position for d in documents] == [0, 1, 2, 3, 4, 5]
    assert (documents[-1].origin, documents[-1].lang) == ("zz_it.txt", "it")


def _statements_to_write(session, tmp_path, groups: int) -> int:
    path = tmp_path / f"{groups}.jsonl"
    records = [{"group": f"g{g}", "doc_id": f"{g}-{lang}", "lang": lang, "text": f"Paragraph one.\n\nParagraph {g}."}
               for g in range(groups) for lang in ("en", "de", "fr")]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", "utf-8")
    seen = []

    def count(*_):
        seen.append(1)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        report = import_documents(session, f"P{groups}", read_paths([path]), align=False)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert report.documents_created == 3 * groups and report.paragraphs == 6 * groups
    return len(seen)


def test_writing_a_batch_takes_as_many_statements_for_twenty_groups_as_for_one(session, tmp_path):
    # Groups, documents and paragraphs are each written in one statement (issue #8: import throughput).
    assert _statements_to_write(session, tmp_path, 20) == _statements_to_write(session, tmp_path, 1)


def _rows_and_members(session, project: str) -> list[tuple]:
    """Every alignment row of a project with its members, by group key and position (not by id)."""
    found = session.exec(
        select(Group.key, AlignmentRow.position, AlignmentRow.score, AlignmentRow.method, AlignmentRow.status,
               Document.origin, Document.role, Segment.position, AlignmentMember.continued)
        .join(Project, Project.id == Group.project_id)
        .join(AlignmentRow, AlignmentRow.group_id == Group.id)
        .join(AlignmentMember, AlignmentMember.row_id == AlignmentRow.id)
        .join(Segment, Segment.id == AlignmentMember.segment_id)
        .join(Document, Document.id == Segment.document_id)
        .where(Project.name == project)
    ).all()
    return sorted(tuple(row) for row in found)


def _harbour_batch(tmp_path, groups: int) -> list[DocumentInput]:
    """Groups of three translations without a language, and one comparable article without a role."""
    records = []
    for g in range(groups):
        for lang, paragraphs in HARBOUR.items():
            records.append({"group": f"h{g}", "doc_id": f"h{g}-{lang}", "text": "\n\n".join(paragraphs),
                            **({"role": "source"} if lang == "en" and g % 2 else {})})
        records.append({"group": f"h{g}", "doc_id": f"h{g}-notes", "lang": "en",
                        "text": "\n\n".join(reversed(HARBOUR_NOTES))})
    path = tmp_path / f"harbour-{groups}.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", "utf-8")
    return read_paths([path])


HARBOUR = {
    "en": ["The port of Aldermoor reopened on 3 March after a storm closed it for 11 days.",
           "Harbour master Lindqvist said 240 boats had waited at sea, and 18 were damaged.",
           "The Brightwater ferry line resumes on Monday with 6 crossings a day."],
    "fr": ["Le port d'Aldermoor a rouvert le 3 mars après une tempête qui l'a fermé pendant 11 jours.",
           "Le capitaine de port Lindqvist a dit que 240 bateaux avaient attendu en mer, et que 18 étaient abîmés.",
           "La ligne de ferry Brightwater reprend lundi avec 6 traversées par jour."],
    "pt": ["O porto de Aldermoor reabriu em 3 de março depois de uma tempestade o fechar durante 11 dias.",
           "O capitão do porto Lindqvist disse que 240 barcos esperaram no mar, e 18 ficaram danificados.",
           "A linha de ferry Brightwater retoma na segunda-feira com 6 travessias por dia."],
}
HARBOUR_NOTES = ["Fishermen in the north of the country complain about the price of diesel this winter.",
                 "A new museum of the sea will open in the old customs house next spring.",
                 "Lindqvist retires in June; the town council has not yet named a successor."]


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the pool forks")
def test_a_batch_prepared_in_the_pool_is_written_as_one_prepared_in_process(session, tmp_path, monkeypatch):
    # The pool path writes the new groups' rows from what the workers planned; the path in process writes the
    # same, and so does aligning each group again against the database afterwards.
    monkeypatch.setattr(prepare, "POOL_MIN_CHARS", 0)
    monkeypatch.setattr(prepare, "GROUPS_PER_TASK", 2)
    monkeypatch.setattr(prepare, "MAX_PROCESSES", 2)
    if len(os.sched_getaffinity(0)) < 2:
        monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1})
    pooled = import_documents(session, "Pool", _harbour_batch(tmp_path, 5))
    in_pool = _rows_and_members(session, "Pool")
    assert pooled.documents_created == 20 and in_pool
    assert {role for *_, role, _, _ in in_pool} == {"source", "translation", "comparable"}
    monkeypatch.setattr(prepare, "POOL_MIN_CHARS", 10 ** 12)
    import_documents(session, "In process", _harbour_batch(tmp_path, 5))
    assert _rows_and_members(session, "In process") == in_pool
    for group in session.exec(select(Group).join(Project).where(Project.name == "Pool")).all():
        realign_group(session, group)
    assert _rows_and_members(session, "Pool") == in_pool


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the pool forks")
def test_a_problem_found_in_the_pool_names_the_file_and_nothing_is_written(session, tmp_path, monkeypatch):
    monkeypatch.setattr(prepare, "POOL_MIN_CHARS", 0)
    monkeypatch.setattr(prepare, "GROUPS_PER_TASK", 1)
    if len(os.sched_getaffinity(0)) < 2:
        monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1})
    documents = _harbour_batch(tmp_path, 4)
    documents[-3].text = "12 345 — 67,8 % — 90"  # in the last group: earlier groups are written by then
    with pytest.raises(ImportProblem, match="cannot tell the language") as caught:
        import_documents(session, "Pool", documents)
    assert caught.value.path == documents[-3].source
    assert _count(session, Document) == 0 and _count(session, Project) == 0


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the pool forks")
def test_an_error_in_a_worker_imports_nothing(session, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the aligner broke")

    monkeypatch.setattr(prepare, "POOL_MIN_CHARS", 0)
    monkeypatch.setattr(prepare, "GROUPS_PER_TASK", 1)
    monkeypatch.setattr(prepare, "align_many", broken)
    with pytest.raises(RuntimeError, match="the aligner broke"):
        import_documents(session, "Pool", _harbour_batch(tmp_path, 3))
    assert _count(session, Document) == 0 and _count(session, Group) == 0
