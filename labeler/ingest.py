"""Import documents: write what ``labeler.readers`` read into a project, in one transaction.

Reading and checking happen first, for the whole batch, so that a bad file stops the batch before anything is
written; the writes then run in one transaction. Re-importing an unchanged file does nothing; a changed file
becomes a new version of its document, never a rewrite under existing spans.
"""

import re
import unicodedata
from contextlib import closing
from dataclasses import dataclass, field
from typing import Iterator

from sqlalchemy import insert, update
from sqlmodel import Session, select

from labeler import alignment, wmt
from labeler.bulk import insert_many, select_in
from labeler.gold import GoldProblem, LabelReport, import_labels
from labeler.models import Document, Group, Project, Segment, utcnow
from labeler.readers import DocumentInput, ImportProblem
from labeler.schema import default_label_schema
from labeler.text.normalize import sha256
from labeler.text.prepare import GroupWork, PlannedRow, prepare_groups


@dataclass
class ImportReport:
    project: str
    groups_created: int = 0
    documents_created: int = 0
    documents_unchanged: int = 0
    documents_versioned: int = 0
    paragraphs: int = 0
    group_keys: list[str] = field(default_factory=list)
    labels: LabelReport | None = None
    mqm: object | None = None  # wmt.MqmReport of a WMT MQM TSV import

    def summary(self) -> str:
        text = (
            f"project {self.project!r}: {self.documents_created} new documents "
            f"({self.documents_versioned} new versions, {self.documents_unchanged} unchanged), "
            f"{self.paragraphs} paragraphs, {self.groups_created} new groups"
        )
        if self.labels is not None:
            text += (f"; labels: {self.labels.spans_created} new spans ({self.labels.spans_unchanged} already "
                     f"there), {self.labels.concepts_created} new concepts")
        if self.mqm is not None:
            text += (f"; MQM: {self.mqm.errors_created} new error spans ({self.mqm.errors_unchanged} already "
                     f"there), {self.mqm.ratings} new segment ratings, {self.mqm.raters_created} new raters")
            if self.mqm.categories_added:
                text += f", categories added to the project: {', '.join(self.mqm.categories_added)}"
        return text


def slugify(name: str) -> str:
    """Return a URL-safe slug: ASCII letters, digits and dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug or "project"


def get_or_create_project(session: Session, name: str) -> Project:
    project = session.exec(select(Project).where(Project.name == name)).first()
    if project is None:
        slug, suffix = slugify(name), 1
        while session.exec(select(Project.id).where(Project.slug == slug)).first() is not None:
            suffix += 1
            slug = f"{slugify(name)}-{suffix}"
        project = Project(name=name, slug=slug, label_schema=default_label_schema())
        session.add(project)
        session.flush()
    return project


def import_documents(session: Session, project_name: str, documents: list[DocumentInput],
                     align: bool = True, annotator: str | None = None, pre_annotate: bool = False) -> ImportReport:
    """Write ``documents`` into the project (created when missing) in one transaction, and align new groups.

    Languages are detected, paragraphs found and new groups aligned a few groups at a time (in a pool of
    processes for a big batch: ``prepare.prepare_groups``), and each is written as it comes, all in one
    transaction: a problem anywhere leaves nothing written.

    :param session: database session; committed on success, rolled back on any error.
    :param project_name: the project's name.
    :param documents: read by ``read_paths``; languages are detected here when missing.
    :param align: align the groups that changed.
    :param annotator: the user whose labels the labels of gold records become (default: the record's
        annotator, else the gold set).
    :param pre_annotate: the labels of gold records become suggestions every annotator accepts or rejects.
    :returns: what was created, versioned or left unchanged.
    :raises ImportProblem: naming the file and line; nothing is written.
    """
    report = ImportReport(project=project_name)
    try:
        project = get_or_create_project(session, project_name)
        # A group new to the project is aligned with its paragraphs, before it is written; the others are
        # aligned against what the database holds, once written.
        new_keys = _new_group_keys(session, project, documents) if align else set()
        groups = _get_or_create_groups(session, project, documents, report)
        written: list[int | None] = [None] * len(documents)
        with closing(_prepared(documents, new_keys)) as prepared:
            # A big batch is prepared in a pool, a few groups at a time: each is written as it comes, while the
            # workers prepare the next ones.
            for indices, spans, roles, planned in prepared:
                ids, segment_ids = _write_documents(session, groups, [documents[i] for i in indices], spans,
                                                    roles, report, with_segment_ids=bool(planned))
                for index, document_id in zip(indices, ids):
                    written[index] = document_id
                alignment.write_new_rows(session, [
                    (groups[key].id, [segment_ids[written[index]] for index in group_indices], rows)
                    for key, (group_indices, rows) in planned.items()
                ])
        changed_groups: dict[int, Group] = {}
        auto_role_ids: set[int] = set()
        for document, document_id in zip(documents, written):
            if document_id is not None:
                group = groups[document.group_key]
                changed_groups[group.id] = group
                if document.role is None:
                    auto_role_ids.add(document_id)
        if align:
            for group in changed_groups.values():
                if group.key not in new_keys:
                    alignment.realign_group(session, group, auto_role_ids=auto_role_ids)
        for document in documents:
            if document.mqm_file is not None:
                try:
                    report.mqm = wmt.import_ratings(session, project, document.mqm_file)
                except wmt.TsvProblem as problem:
                    raise ImportProblem(document.source, problem.message, problem.line) from None
        labelled = [document for document in documents if document.labels]
        if labelled:
            try:
                report.labels = import_labels(session, project, labelled, annotator, set(report.group_keys),
                                              as_suggestions=pre_annotate)
            except GoldProblem as problem:
                raise ImportProblem(problem.path, problem.message, problem.line) from None
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report


def _new_group_keys(session: Session, project: Project, documents: list[DocumentInput]) -> set[str]:
    """The keys of the batch's groups that the project does not have yet and whose documents the batch names
    once each: their documents will be exactly the batch's, so they can be aligned before they are written."""
    keys = list(dict.fromkeys(document.group_key for document in documents))
    existing: set[str] = set()
    for chunk in _chunks(keys):
        existing.update(session.exec(select(Group.key).where(Group.project_id == project.id, Group.key.in_(chunk))))
    seen: set[tuple[str, str]] = set()
    for document in documents:
        if (document.group_key, document.origin) in seen:
            existing.add(document.group_key)  # one file twice: versions, aligned as an existing group is
        seen.add((document.group_key, document.origin))
    return {key for key in keys if key not in existing}


def _prepared(documents: list[DocumentInput], new_keys: set[str]) -> Iterator[tuple]:
    """Detect the missing languages (filling in ``lang``), find every document's paragraphs, and align the
    new groups: the pure work, in a process pool when the batch is big (``prepare.prepare_groups``).

    :returns: an iterator over the batch, a few groups at a time (all of them when prepared in process), of
        ``(indices, spans, roles, planned)``: the indices of their documents in ``documents`` (in its order),
        each one's paragraphs and the role to write, and each new group's document indices and rows by key.
    :raises ImportProblem: naming a file whose language cannot be told, else one with no paragraph (the first
        in the batch when prepared in process); the caller rolls back what the groups before it wrote.
    """
    by_group: dict[str, list[int]] = {}
    for index, document in enumerate(documents):
        by_group.setdefault(document.group_key, []).append(index)
    keys = list(by_group)
    work = [GroupWork(texts=[documents[i].text for i in indices], langs=[documents[i].lang for i in indices],
                      roles=[documents[i].role for i in indices],
                      lines_only=[documents[i].lines_are_paragraphs for i in indices], align=key in new_keys)
            for key, indices in by_group.items()]
    done = 0
    with closing(prepare_groups(work)) as prepared:
        for results in prepared:
            chunk = keys[done:done + len(results)]
            done += len(results)
            found: dict[int, tuple[str | None, list[tuple[int, int]], str]] = {}
            planned: dict[str, tuple[list[int], list[PlannedRow]]] = {}
            for key, result in zip(chunk, results):
                for position, index in enumerate(by_group[key]):
                    role = "comparable" if position in result.comparable else documents[index].role or "translation"
                    found[index] = (result.langs[position], result.spans[position], role)
                if result.rows is not None:
                    planned[key] = (by_group[key], result.rows)
            indices = sorted(found)
            for index in indices:
                if found[index][0] is None:
                    raise ImportProblem(documents[index].source,
                                        "cannot tell the language; give it in group.json or JSONL")
                documents[index].lang = found[index][0]
            for index in indices:
                if not found[index][1]:
                    raise ImportProblem(documents[index].source, "no paragraph: the text is only white space")
            yield indices, [found[index][1] for index in indices], [found[index][2] for index in indices], planned


def _chunks(values: list, size: int = 500):
    """``values`` in slices short enough for one ``IN (...)`` list or one batch of rows."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _get_or_create_groups(session: Session, project: Project, documents: list[DocumentInput],
                          report: ImportReport) -> dict[str, Group]:
    """Return the documents' groups by key, creating the missing ones (named after their first document)."""
    names: dict[str, str] = {}
    for document in documents:
        names.setdefault(document.group_key, document.group_name)
    existing: set[str] = set()
    for keys in _chunks(list(names)):
        existing.update(session.exec(select(Group.key).where(Group.project_id == project.id, Group.key.in_(keys))))
    created = [key for key in names if key not in existing]
    if created:
        now = utcnow()
        session.execute(insert(Group.__table__), [
            {"project_id": project.id, "key": key, "name": names[key], "created_at": now} for key in created
        ])
        report.groups_created += len(created)
        report.group_keys += created
    groups: dict[str, Group] = {}
    for keys in _chunks(list(names)):
        for group in session.exec(select(Group).where(Group.project_id == project.id, Group.key.in_(keys))):
            groups[group.key] = group
    return groups


def _write_documents(session: Session, groups: dict[str, Group], documents: list[DocumentInput],
                     spans: list[list[tuple[int, int]]], roles: list[str], report: ImportReport,
                     with_segment_ids: bool = False) -> tuple[list[int | None], dict[int, list[int]]]:
    """Insert each document that is new or changed, with its paragraphs, in a few batched statements.

    An unchanged document (same text as its latest version) is left alone; a changed one becomes the next
    version, at the same position, and the version before it is marked superseded.

    :param roles: per document, the role to write.
    :param with_segment_ids: return the ids of the paragraphs too.
    :returns: per document, the id of the row inserted for it, or None when it was unchanged; and, when asked,
        the ids of each inserted document's paragraphs by position.
    """
    # The latest version of every document of these groups (by group id and origin), and each group's next
    # free position. A document inserted below becomes the latest of its origin, so that a batch naming one
    # origin twice gets two versions, as two imports in a row would.
    latest: dict[tuple[int, str], dict] = {}
    next_position: dict[int, int] = {}
    for group_ids in _chunks(list(dict.fromkeys(groups[document.group_key].id for document in documents))):
        for row in session.execute(
            select(Document.id, Document.group_id, Document.origin, Document.version, Document.text_sha256,
                   Document.position).where(Document.group_id.in_(group_ids)).order_by(Document.version)
        ).mappings():
            latest[(row["group_id"], row["origin"])] = dict(row)
            next_position[row["group_id"]] = max(next_position.get(row["group_id"], 0), row["position"] + 1)
    rows: list[dict] = []
    superseded: list[int] = []
    written: list[dict | None] = []
    now = utcnow()
    for document, role in zip(documents, roles):
        group_id = groups[document.group_key].id
        digest = sha256(document.text)
        previous = latest.get((group_id, document.origin))
        if previous is not None and previous["text_sha256"] == digest:
            report.documents_unchanged += 1
            written.append(None)
            continue
        if previous is not None:
            if "id" in previous:
                superseded.append(previous["id"])
            else:
                previous["superseded"] = True  # inserted by this batch too
            report.documents_versioned += 1
            position = previous["position"]
        else:
            position = next_position.get(group_id, 0)
            next_position[group_id] = position + 1
        row = {"group_id": group_id, "position": position, "lang": document.lang,
               "role": role, "title": document.title, "origin": document.origin,
               "text": document.text, "text_sha256": digest, "version": previous["version"] + 1 if previous else 1,
               "superseded": False, "created_at": now}
        latest[(group_id, document.origin)] = row
        rows.append(row)
        written.append(row)
    for document_ids in _chunks(superseded):
        session.execute(update(Document).where(Document.id.in_(document_ids)).values(superseded=True))
    if not rows:
        return [None] * len(documents), {}
    # Core statements on the tables: the ORM's bulk insert would go through its per-row bookkeeping. The new ids
    # come back with each row's unique key rather than in the order of the rows: SQLite can only keep that order
    # by inserting one row per statement.
    documents_table, segments_table = Document.__table__, Segment.__table__
    inserted = session.execute(insert(documents_table).returning(
        documents_table.c.id, documents_table.c.group_id, documents_table.c.origin, documents_table.c.version
    ), rows)
    ids = {(group_id, origin, version): document_id for document_id, group_id, origin, version in inserted}
    for row in rows:
        row["id"] = ids[(row["group_id"], row["origin"], row["version"])]
    # Paragraphs are most of the rows: through the driver (see bulk.py).
    segments = [(row["id"], index, char_start, char_end)
                for row, document_spans in zip(written, spans) if row is not None
                for index, (char_start, char_end) in enumerate(document_spans)]
    insert_many(session, segments_table, ("document_id", "position", "char_start", "char_end"), segments)
    # Their ids, for the alignment's members: read back by document, through the driver (see bulk.py).
    segment_ids: dict[int, list[int]] = {}
    if with_segment_ids:
        segment_ids = {row["id"]: [0] * len(document_spans)
                       for row, document_spans in zip(written, spans) if row is not None}
        for document_ids in _chunks(list(segment_ids)):
            for segment_id, document_id, position in select_in(
                    session, segments_table, ("id", "document_id", "position"), "document_id", document_ids):
                segment_ids[document_id][position] = segment_id
    report.documents_created += len(rows)
    report.paragraphs += len(segments)
    return [None if row is None else row["id"] for row in written], segment_ids
