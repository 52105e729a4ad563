"""The pure part of an import: the process pool gives what the import in process gives, and fails cleanly."""

import os
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_all_start_methods

import pytest

from labeler.text import prepare
from labeler.text.align import align
from labeler.text.prepare import GroupWork, plan_rows, prepare_groups

needs_fork = pytest.mark.skipif("fork" not in get_all_start_methods(), reason="the pool forks")

PARAGRAPHS = {
    "en": ["The council opened the Norvale bridge on 12 May after 3 years of work.",
           "About 4,500 people crossed it on the first day, said mayor Oduya.",
           "Traffic in the old centre fell by 30 percent, the Kestrel institute found."],
    "es": ["El ayuntamiento abrió el puente de Norvale el 12 de mayo tras 3 años de obras.",
           "Unas 4.500 personas lo cruzaron el primer día, dijo la alcaldesa Oduya.",
           "El tráfico en el centro antiguo bajó un 30 por ciento, según el instituto Kestrel."],
    "de": ["Der Stadtrat hat die Norvale-Brücke am 12. Mai nach 3 Jahren Bauzeit eröffnet.",
           "Etwa 4.500 Menschen überquerten sie am ersten Tag, sagte Bürgermeisterin Oduya.",
           "Der Verkehr in der Altstadt ging um 30 Prozent zurück, so das Kestrel-Institut."],
}


def _work(groups: int) -> list[GroupWork]:
    texts = ["\n\n".join(paragraphs) for paragraphs in PARAGRAPHS.values()]
    return [GroupWork(texts=list(texts), langs=[None, "es", None], roles=["source", None, None],
                      lines_only=[False] * 3, align=group % 2 == 0) for group in range(groups)]


def test_rows_are_planned_as_the_aligner_aligns_them():
    texts = list(PARAGRAPHS.values())
    rows, comparable = plan_rows(texts, ["source", "translation", "translation"], classify=False)
    aligned = align(texts, ["source", "translation", "translation"])
    assert comparable == set() and len(rows) == len(aligned) == 3
    assert [row.members for row in rows] == [
        tuple((doc, i, False) for doc, indices in enumerate(row.members) for i in indices) for row in aligned]
    assert [row.place for row in rows] == [0.0, 1 / 3, 2 / 3]


def test_in_process_the_batch_is_prepared_at_once():
    results = list(prepare_groups(_work(4), processes=1))
    assert len(results) == 1 and len(results[0]) == 4
    first, second = results[0][:2]
    assert first.langs == ["en", "es", "de"] and [len(spans) for spans in first.spans] == [3, 3, 3]
    assert first.rows is not None and second.rows is None  # only the groups marked for it are aligned


@needs_fork
def test_the_pool_gives_what_the_process_gives(monkeypatch):
    monkeypatch.setattr(prepare, "POOL_MIN_CHARS", 0)
    monkeypatch.setattr(prepare, "GROUPS_PER_TASK", 3)
    work = _work(30)
    in_process = [result for results in prepare_groups(work, processes=1) for result in results]
    chunks = list(prepare_groups(work, processes=2))
    assert [len(chunk) for chunk in chunks] == [3] * 10  # a few groups at a time, in order
    assert [result for chunk in chunks for result in chunk] == in_process


@needs_fork
def test_a_small_batch_still_gives_each_worker_several_tasks(monkeypatch):
    monkeypatch.setattr(prepare, "POOL_MIN_CHARS", 0)
    work = _work(10)
    in_process = [result for results in prepare_groups(work, processes=1) for result in results]
    chunks = list(prepare_groups(work, processes=2))
    assert [len(chunk) for chunk in chunks] == [2] * 5  # at least 4 tasks a process, not one task of all 10 groups
    assert [result for chunk in chunks for result in chunk] == in_process


def _fail(*args, **kwargs):
    raise RuntimeError("the aligner broke")


@needs_fork
def test_an_error_in_a_worker_reaches_the_caller(monkeypatch):
    monkeypatch.setattr(prepare, "POOL_MIN_CHARS", 0)
    monkeypatch.setattr(prepare, "align_many", _fail)  # the workers are forked after this: they have it too
    with pytest.raises(RuntimeError, match="the aligner broke"):
        list(prepare_groups(_work(4), processes=2))


def _die(*args, **kwargs):
    os._exit(3)


@needs_fork
def test_a_worker_that_dies_is_an_error_not_a_hang(monkeypatch):
    monkeypatch.setattr(prepare, "POOL_MIN_CHARS", 0)
    monkeypatch.setattr(prepare, "align_many", _die)
    with pytest.raises(BrokenProcessPool):
        list(prepare_groups(_work(4), processes=2))


@needs_fork
def test_a_big_import_loads_the_detection_models_while_it_reads_and_before_the_pool_forks(monkeypatch, tmp_path):
    from labeler import readers
    from labeler.text import langid

    warmed = []
    monkeypatch.setattr(langid, "warm_up", lambda: warmed.append(True))
    monkeypatch.setattr(prepare, "POOL_MIN_CHARS", 0)
    forked_with = []

    class Pool(prepare.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            forked_with.append(prepare._warming)  # None: the warm-up thread was joined first
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(prepare, "ProcessPoolExecutor", Pool)
    path = tmp_path / "small.jsonl"
    path.write_text('{"group": "g", "doc_id": "a", "text": "Hello there."}\n', encoding="utf-8")
    monkeypatch.setattr(readers, "POOL_MIN_CHARS", 10**9)
    readers.read_paths([path])
    assert prepare._warming is None and not warmed  # a small file: nothing to load ahead
    monkeypatch.setattr(readers, "POOL_MIN_CHARS", 10)
    readers.read_paths([path])
    assert prepare._warming is not None
    assert readers._at_least([tmp_path], 10) and not readers._at_least([tmp_path], 10**9)  # a folder: its files
    list(prepare_groups(_work(4), processes=2))
    assert warmed == [True] and forked_with == [None] and prepare._warming is None
