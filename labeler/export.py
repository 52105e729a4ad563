"""Exports: the gold dataset (``labeler.gold/1`` JSONL) and the alignment, streamed a batch of groups at a time.

Every export is deterministic (the same data gives the same bytes: fixed record order, key order and span
ids) and recorded as an :class:`ExportRecord` with its SHA-256 and counts. Memory holds the documents of one
batch of groups (:mod:`labeler.export_reading`) and the spans of one group at a time. Paragraph and span ids
depend on no database id, so a file imported elsewhere and exported again gives the same records.

The gold JSONL, the export that grows with the corpus, is written as JSON text piece by piece from plain rows
(:mod:`labeler.gold_records`, issue 8). From the command line a large gold export runs in several processes over
one snapshot of the database (:mod:`labeler.export_parallel`), with the same bytes.
"""

import hashlib
from typing import BinaryIO, Callable, Iterator

from sqlalchemy import Connection
from sqlmodel import Session, select

from labeler.export_reading import GroupKey, begin_snapshot, loaded
from labeler.gold_records import Counts, ProjectFacts, gold_lines, to_json
from labeler.models import ExportRecord, Group, Project

ALIGNMENT_SCHEMA = "labeler.alignment/1"
FORMATS = ("jsonl", "alignment", "mqm-tsv")
LABEL_SETS = ("gold", "all")
# A gold export of fewer groups runs in one process even when more are allowed: forking and joining the parts
# would cost more than they save.
PARALLEL_MIN_GROUPS = 100


class ExportError(ValueError):
    """An export that cannot be made (unknown format, group or label set)."""


def export(session: Session, project: Project, out: BinaryIO, format: str = "jsonl", labels: str = "gold",
           group_key: str | None = None, user_id: int | None = None, workers: int = 1) -> ExportRecord:
    """Write the project's export to ``out`` and record it.

    :param format: ``jsonl`` (the gold dataset) or ``alignment`` (one line per alignment row).
    :param labels: ``gold`` (the adjudicated set) or ``all`` (every annotator's labels, one record per
        document and annotator).
    :param group_key: only this group.
    :param user_id: who exports (None from the command line).
    :param workers: processes a large gold export may run in (from the command line only: see
        :func:`labeler.export_parallel.parallel_gold_blocks` for what that asks of the caller).
    :returns: the ExportRecord, added to the session (the caller commits).
    :raises ExportError: on an unknown format, label set or group.
    """
    if format not in FORMATS:
        raise ExportError(f"unknown format {format!r}: use {', '.join(FORMATS)}")
    if labels not in LABEL_SETS:
        raise ExportError(f"unknown label set {labels!r}: use gold or all")
    groups = _groups(session, project, group_key)
    counts = Counts()
    facts = ProjectFacts(project.id, project.name, project.label_schema.get("mqm_weights", {}))
    if format == "mqm-tsv":
        from labeler.wmt import tsv_lines

        blocks = _counted((line.encode("utf-8") for line in tsv_lines(session, project, groups, counts.values)),
                          counts)
    elif format == "alignment":
        blocks = _counted(((to_json(record) + "\n").encode("utf-8")
                           for record in alignment_records(session, project, groups, counts)), counts)
    elif workers > 1 and group_key is None and len(groups) >= PARALLEL_MIN_GROUPS and not (
            session.new or session.dirty or session.deleted):
        from labeler.export_parallel import parallel_gold_blocks

        blocks = parallel_gold_blocks(session, facts, labels, counts, workers)
    else:
        blocks = _in_snapshot(session, lambda connection: gold_lines(connection, facts, groups, labels, counts))
    digest = hashlib.sha256()
    for block in blocks:  # lines, or whole parts of the file from a parallel export
        digest.update(block)
        out.write(block)
    filters = {"group": group_key} if group_key else {}
    if format == "jsonl":
        filters["labels"] = labels
    if format == "mqm-tsv":
        counts.values["records"] -= 1  # the header line
    record = ExportRecord(project_id=facts.id, user_id=user_id, format=format, filters=filters,
                          sha256=digest.hexdigest(), record_count=counts.values["records"], counts=counts.values)
    session.add(record)
    session.flush()
    return record


def _in_snapshot(session: Session, lines: Callable[[Connection], Iterator[bytes]]) -> Iterator[bytes]:
    """The lines, read on a connection of their own in one snapshot (``begin_snapshot``); the session, which
    records the export, goes on in its own transaction (on SQLite, a reader that then wrote would be refused
    once another writer had committed)."""
    with session.get_bind().connect() as connection:
        begin_snapshot(connection)
        try:
            yield from lines(connection)
        finally:
            connection.rollback()


def _counted(lines: Iterator[bytes], counts: Counts) -> Iterator[bytes]:
    """Count each line as a record (the gold writer counts its own: a parallel export yields whole parts)."""
    for line in lines:
        counts.add("records")
        yield line


def _groups(session: Session, project: Project, group_key: str | None) -> list[Group]:
    query = select(Group).where(Group.project_id == project.id)
    if group_key is not None:
        query = query.where(Group.key == group_key)
    groups = list(session.exec(query.order_by(Group.key)))
    if group_key is not None and not groups:
        raise ExportError(f"no group {group_key!r} in project {project.name!r}")
    return groups


def alignment_records(session: Session, project: Project, groups: list[GroupKey], counts: Counts) -> Iterator[dict]:
    """Yield one ``labeler.alignment/1`` record per alignment row: member paragraph ids per document."""
    connection = session.connection()
    for data in loaded(connection, groups, paragraphs=False):
        origin = {document.id: document.origin for document in data.documents}
        for position, (row_id, score, status, method) in enumerate(data.rows):
            members = {document.origin: [] for document in data.documents}
            continued = {document.origin: [] for document in data.documents}
            for document_id, paragraph, goes_on in data.members.get(row_id, []):
                members[origin[document_id]].append(f"p{paragraph}")
                if goes_on:
                    continued[origin[document_id]].append(f"p{paragraph}")
            counts.add("rows")
            yield {"schema": ALIGNMENT_SCHEMA, "project": project.name, "group": data.key, "row": position,
                   "members": members, "continued": continued, "score": score, "status": status, "method": method}
