"""The pure part of an import, group by group: languages, paragraphs, and the alignment of new groups.

An import of thousands of documents spends most of its time here (issue 8), so a big batch is prepared by a
pool of forked processes, one per core: each reads the batch from this module (inherited at the fork, never
pickled) and sends back plain data. The results are the same as in process; the writes stay in the parent,
in one transaction, so nothing is written when anything fails.
"""

import os
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context
from typing import Iterator, NamedTuple, Sequence

from labeler.text import langid
from labeler.text.align import Row, align, align_and_classify, align_many
from labeler.text.segment import Span, paragraphs

# Below this much text the pool costs more than it saves: forking, and each worker loading lingua's models
# (about 0.3 s of CPU) against about 1 ms per document of detection and a few ms per group of alignment.
POOL_MIN_CHARS = 2_000_000
# Groups per task, at most: the aligner is fastest on many groups at once (``align_many``), and a task's overhead
# is small then; but each process gets at least TASKS_PER_PROCESS tasks, so that the workers end together.
GROUPS_PER_TASK = 64
TASKS_PER_PROCESS = 4
MAX_PROCESSES = 8


@dataclass
class GroupWork:
    """One group's documents as read: what the pure work needs, nothing of the database."""

    texts: list[str]
    langs: list[str | None]  # None: detect it
    roles: list[str | None]  # None: not given (the aligner may find the document comparable)
    lines_only: list[bool]  # segment files: one line, one paragraph
    align: bool = False  # a new group: align it here (the others are aligned against the database)


class PlannedRow(NamedTuple):
    """An alignment row to write, in plain data (a tuple: a worker's thousands of them unpickle fast)."""

    place: float  # where it sits down the group (0..1): the mean relative position of its paragraphs
    score: float
    method: str
    members: tuple[tuple[int, int, bool], ...]  # (document, paragraph index, continued from the row above)


@dataclass
class GroupResult:
    langs: list[str | None]  # None: the language cannot be told
    # Per document its paragraphs (Span, or from a worker plain (char_start, char_end) pairs, which unpickle ten
    # times faster); empty: the text is only white space.
    spans: list[list[Span | tuple[int, int]]]
    rows: list[PlannedRow] | None = None  # in position order; None when the group was not aligned here
    comparable: set[int] = field(default_factory=set)  # documents without a role that the aligner found comparable


def plan_rows(texts: Sequence[Sequence[str]], roles: Sequence[str | None], classify: bool,
              positions: Sequence[Sequence[int]] | None = None,
              lengths: Sequence[int] | None = None) -> tuple[list[PlannedRow], set[int]]:
    """Align paragraphs and say where each row goes, in the aligner's order.

    :param texts: per document, the paragraphs to align.
    :param roles: per document its role, or None where the aligner decides.
    :param classify: tell which documents without a role are comparable (``align_and_classify``).
    :param positions: per document, each aligned paragraph's position in the document (default: its index);
        ``realign_group`` leaves out the paragraphs of confirmed rows.
    :param lengths: per document, its number of paragraphs (default: the number aligned).
    :returns: the rows, and the documents found comparable.
    """
    if classify:
        aligned, found = align_and_classify(texts, roles)
    else:
        aligned, found = align(texts, roles), set()
    return _planned(aligned, texts, positions, lengths), found


def _planned(aligned: list[Row], texts: Sequence[Sequence[str]], positions: Sequence[Sequence[int]] | None = None,
             lengths: Sequence[int] | None = None) -> list[PlannedRow]:
    """The aligner's rows as rows to write (see ``plan_rows``)."""
    if positions is None:
        positions = [range(len(paragraph_texts)) for paragraph_texts in texts]
    if lengths is None:
        lengths = [len(paragraph_texts) for paragraph_texts in texts]
    lengths = [max(length, 1) for length in lengths]
    planned = []
    for row in aligned:
        members = tuple((doc, i, row.continues(doc, i)) for doc, indices in enumerate(row.members) for i in indices)
        place = sum(positions[doc][i] / lengths[doc] for doc, i, _ in members) / max(len(members), 1)
        planned.append(PlannedRow(place, round(row.score, 4), row.method, members))
    return planned


def in_position_order(rows: list[PlannedRow]) -> list[PlannedRow]:
    """The rows of a group with no confirmed row, top to bottom: by place, then in the aligner's order."""
    return [row for _, _, row in sorted((row.place, index, row) for index, row in enumerate(rows))]


_warming: threading.Thread | None = None


def warm_up_soon() -> None:
    """Begin loading language detection's models in a thread, while a big import reads its files.

    Loading them releases the GIL and waits on more than the CPU (``langid.warm_up``); the workers forked after
    it share them, instead of each loading its own before its first result.
    """
    global _warming
    if _warming is None:
        _warming = threading.Thread(target=_warm_up, name="labeler-langid-warm-up", daemon=True)
        _warming.start()


def _warm_up() -> None:
    try:
        langid.warm_up()
    except Exception:  # noqa: BLE001 (detection itself will raise it, where the import can report it)
        pass


def _warmed() -> None:
    """Wait for ``warm_up_soon``'s thread: no thread may be running when the pool forks."""
    global _warming
    if _warming is not None:
        _warming.join()
        _warming = None


def prepare_groups(work: list[GroupWork], processes: int | None = None) -> Iterator[list[GroupResult]]:
    """Detect the missing languages, find the paragraphs, and align the groups marked for it.

    A batch of at least ``POOL_MIN_CHARS`` characters is shared among forked processes (one per core unless
    ``processes`` says); a smaller one, or where fork is missing, is prepared in process, all at once.

    :param work: the groups.
    :param processes: how many processes to use (default: one per core, at most ``MAX_PROCESSES``).
    :returns: an iterator over the groups' results, in order, a few groups at a time; close it to stop the
        workers early.
    :raises Exception: whatever a worker raised (a bug: the pure work refuses nothing), or
        ``BrokenProcessPool`` when a worker died, when the iterator reaches its groups.
    """
    if processes is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        processes = min(cores, MAX_PROCESSES)
    _warmed()
    size = sum(len(text) for group in work for text in group.texts)
    if processes < 2 or size < POOL_MIN_CHARS or "fork" not in get_all_start_methods():
        yield _prepare(work, parallel=True)
        return
    global _BATCH
    per_task = max(1, min(GROUPS_PER_TASK, -(-len(work) // (processes * TASKS_PER_PROCESS))))
    tasks = [range(start, min(start + per_task, len(work))) for start in range(0, len(work), per_task)]
    _BATCH = work  # the workers read it from here: they are forked by the first task, with a copy of it
    try:
        pool = ProcessPoolExecutor(processes, mp_context=get_context("fork"))
        results = pool.map(_prepare_task, tasks)
    finally:
        _BATCH = []
    try:
        yield from results
    finally:
        pool.shutdown(cancel_futures=True)


_BATCH: list[GroupWork] = []


def _prepare_task(indices: range) -> list[GroupResult]:
    # In a forked worker. lingua's parallel methods must not run here: their thread pool, if the parent
    # started one, did not survive the fork.
    results = _prepare([_BATCH[index] for index in indices], parallel=False)
    for result in results:
        result.spans = [list(map(tuple, document_spans)) for document_spans in result.spans]
    return results


def _prepare(work: list[GroupWork], parallel: bool) -> list[GroupResult]:
    """Prepare the groups in this process; languages are detected for all of them at once."""
    missing = [(group, index) for group in work for index, lang in enumerate(group.langs) if lang is None]
    found = langid.detect_many([group.texts[index] for group, index in missing], parallel=parallel) if missing else []
    detected = {(id(group), index): lang for (group, index), lang in zip(missing, found)}
    results, to_align = [], []
    for group in work:
        langs = [lang if lang is not None else detected[(id(group), index)] for index, lang in enumerate(group.langs)]
        spans = [paragraphs(text, lines_only=lines_only) for text, lines_only in zip(group.texts, group.lines_only)]
        result = GroupResult(langs, spans)
        # A document without language or paragraph stops the import: no need to align its group.
        if group.align and all(langs) and all(spans):
            texts = [[text[span.char_start:span.char_end] for span in document_spans]
                     for text, document_spans in zip(group.texts, spans)]
            to_align.append((result, texts, group.roles))
        results.append(result)
    # All the groups at once: the alignment's dynamic programme runs about three times faster so (``align_many``).
    aligned = align_many([(texts, roles) for _, texts, roles in to_align])
    for (result, texts, _), (rows, found) in zip(to_align, aligned):
        result.rows, result.comparable = in_position_order(_planned(rows, texts)), found
    return results
