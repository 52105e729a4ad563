"""Exports: the gold dataset (``labeler.gold/1`` JSONL) and the alignment, streamed group by group.

Every export is deterministic (the same data gives the same bytes: fixed record order, key order and span
ids) and recorded as an :class:`ExportRecord` with its SHA-256 and counts. Memory holds one group at a time.

Span ids are numbered within a record in reading order (``s1``, ``s2``, …), paragraph ids are ``p`` + the
paragraph's position, concept ids ``c`` + a number over the project's concepts in name order: none of them
depends on database ids, so a file imported elsewhere and exported again gives the same records.
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

from sqlmodel import Session, select

from labeler import mqm
from labeler.alignment import current_documents
from labeler.models import (
    AlignmentMember, AlignmentRow, Annotation, Concept, Document, ExportRecord, Group, Project, Segment, User,
)

GOLD_SCHEMA = "labeler.gold/1"
ALIGNMENT_SCHEMA = "labeler.alignment/1"
FORMATS = ("jsonl", "alignment", "mqm-tsv")
LABEL_SETS = ("gold", "all")
LAYER_KEYS = {"entity": "entities", "claim": "claims", "error": "errors"}


class ExportError(ValueError):
    """An export that cannot be made (unknown format, group or label set)."""


@dataclass
class _Counts:
    values: dict = field(default_factory=lambda: {"records": 0, "documents": 0, "entities": 0, "claims": 0,
                                                  "errors": 0, "concepts": 0, "rows": 0, "groups_skipped": 0})

    def add(self, name: str, amount: int = 1) -> None:
        self.values[name] += amount


def export(session: Session, project: Project, out: BinaryIO, format: str = "jsonl", labels: str = "gold",
           group_key: str | None = None, user_id: int | None = None) -> ExportRecord:
    """Write the project's export to ``out`` and record it.

    :param format: ``jsonl`` (the gold dataset) or ``alignment`` (one line per alignment row).
    :param labels: ``gold`` (the adjudicated set) or ``all`` (every annotator's labels, one record per
        document and annotator).
    :param group_key: only this group.
    :param user_id: who exports (None from the command line).
    :returns: the ExportRecord, added to the session (the caller commits).
    :raises ExportError: on an unknown format, label set or group.
    """
    if format not in FORMATS:
        raise ExportError(f"unknown format {format!r}: use {', '.join(FORMATS)}")
    if labels not in LABEL_SETS:
        raise ExportError(f"unknown label set {labels!r}: use gold or all")
    groups = _groups(session, project, group_key)
    counts = _Counts()
    if format == "mqm-tsv":
        from labeler.wmt import tsv_lines

        lines = (line.encode("utf-8") for line in tsv_lines(session, project, groups, counts.values))
    else:
        records = gold_records(session, project, groups, labels, counts) if format == "jsonl" else \
            alignment_records(session, project, groups, counts)
        lines = ((json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
                 for record in records)
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line)
        out.write(line)
        counts.add("records")
    filters = {"group": group_key} if group_key else {}
    if format == "jsonl":
        filters["labels"] = labels
    if format == "mqm-tsv":
        counts.values["records"] -= 1  # the header line
    record = ExportRecord(project_id=project.id, user_id=user_id, format=format, filters=filters,
                          sha256=digest.hexdigest(), record_count=counts.values["records"], counts=counts.values)
    session.add(record)
    session.flush()
    return record


def _groups(session: Session, project: Project, group_key: str | None) -> list[Group]:
    query = select(Group).where(Group.project_id == project.id)
    if group_key is not None:
        query = query.where(Group.key == group_key)
    groups = list(session.exec(query.order_by(Group.key)))
    if group_key is not None and not groups:
        raise ExportError(f"no group {group_key!r} in project {project.name!r}")
    return groups


@dataclass
class _GroupData:
    documents: list[Document]
    segments: dict[int, list[Segment]]  # by document id, in order
    row_of: dict[int, tuple[int, str]]  # segment id → (row index, row status)
    rows: list[AlignmentRow]
    members: dict[int, list[Segment]]  # row id → segments


def _load_group(session: Session, group: Group) -> _GroupData:
    documents = current_documents(session, group.id)
    ids = [document.id for document in documents]
    segments: dict[int, list[Segment]] = defaultdict(list)
    for segment in session.exec(select(Segment).where(Segment.document_id.in_(ids))
                                .order_by(Segment.document_id, Segment.position)):
        segments[segment.document_id].append(segment)
    rows = list(session.exec(select(AlignmentRow).where(AlignmentRow.group_id == group.id)
                             .order_by(AlignmentRow.position)))
    index = {row.id: (position, row.status) for position, row in enumerate(rows)}
    row_of, members = {}, defaultdict(list)
    for row_id, segment in session.exec(
        select(AlignmentMember.row_id, Segment).join(Segment, Segment.id == AlignmentMember.segment_id)
        .where(AlignmentMember.row_id.in_(list(index))).order_by(Segment.document_id, Segment.position)
    ):
        if segment.document_id in segments:
            row_of[segment.id] = index[row_id]
            members[row_id].append(segment)
    return _GroupData(documents, segments, row_of, rows, members)


def gold_records(session: Session, project: Project, groups: list[Group], labels: str,
                 counts: _Counts) -> Iterator[dict]:
    """Yield one ``labeler.gold/1`` record per document (per document and annotator with ``labels="all"``)."""
    usernames = dict(session.exec(select(User.id, User.username)).all())
    concept_ids = {concept.id: (f"c{number}", concept) for number, concept in enumerate(session.exec(
        select(Concept).where(Concept.project_id == project.id)
        .order_by(Concept.kind, Concept.name, Concept.kb_id, Concept.id)), start=1)}
    weights = project.label_schema.get("mqm_weights", {})
    for group in groups:
        data = _load_group(session, group)
        spans = list(session.exec(select(Annotation).where(
            Annotation.document_id.in_([d.id for d in data.documents]), Annotation.deleted_at == None,  # noqa: E711
            Annotation.status == "accepted")))
        by_identity: dict[int | None, list[Annotation]] = defaultdict(list)
        for span in spans:
            by_identity[span.annotator_id].append(span)
        if labels == "gold":
            identities = [None]
        else:
            annotators = sorted((i for i in by_identity if i is not None), key=lambda i: usernames.get(i, ""))
            identities = annotators + ([None] if None in by_identity or not annotators else [])
        # Who labelled the same span (same place, layer and label): the gold set's "annotators".
        agreeing: dict[tuple, list[str]] = defaultdict(list)
        for span in spans:
            if span.annotator_id is not None:
                agreeing[_place(span)].append(usernames.get(span.annotator_id, ""))
        for identity in identities:
            own = by_identity.get(identity, [])
            local_ids = _span_ids(own, data.documents)
            for document in data.documents:
                record = _document_record(project, group, document, data, [s for s in own if s.document_id == document.id],
                                          local_ids, concept_ids, usernames, agreeing, weights, counts)
                if labels == "all":
                    record = {**{k: record[k] for k in list(record)[:7]},
                              "annotator": usernames.get(identity) if identity else None,
                              **{k: record[k] for k in list(record)[7:]}}
                yield record


def _place(span: Annotation) -> tuple:
    return span.document_id, span.char_start, span.char_end, span.layer, span.label


def _span_ids(spans: list[Annotation], documents: list[Document]) -> dict[int, tuple[str, str]]:
    """Number each document's spans in reading order: annotation id → (doc_id, ``sN``)."""
    origin = {document.id: document.origin for document in documents}
    ids = {}
    by_document: dict[int, list[Annotation]] = defaultdict(list)
    for span in spans:
        by_document[span.document_id].append(span)
    for document_id, own in by_document.items():
        ordered = sorted(own, key=lambda s: (s.char_start, s.char_end, s.layer, s.label, json.dumps(s.attrs, sort_keys=True), s.id))
        for number, span in enumerate(ordered, start=1):
            ids[span.id] = (origin[document_id], f"s{number}")
    return ids


def _document_record(project, group, document, data, spans, local_ids, concept_ids, usernames, agreeing, weights,
                     counts) -> dict:
    layers: dict[str, list[dict]] = {"entities": [], "claims": [], "errors": []}
    used_concepts: set[int] = set()
    errors = []
    for span in sorted(spans, key=lambda s: int(local_ids[s.id][1][1:])):
        item = {"id": local_ids[span.id][1], "char_start": span.char_start, "char_end": span.char_end,
                "surface": span.surface}
        attrs = dict(span.attrs or {})
        if span.layer == "error":
            severity = attrs.pop("severity", "major")
            item.update(category=span.label, severity=severity, attrs=dict(sorted(attrs.items())))
            counterpart = local_ids.get(span.counterpart_id) if span.counterpart_id else None
            item["counterpart"] = {"doc_id": counterpart[0], "id": counterpart[1]} if counterpart else None
            errors.append((span.label, severity))
        else:
            item["label"] = span.label
            if span.layer == "claim":
                item["attrs"] = dict(sorted(attrs.items()))
            concept = concept_ids.get(span.concept_id)
            item["concept"] = concept[0] if concept else None
            if concept:
                used_concepts.add(span.concept_id)
        if span.annotator_id is None:
            item["annotators"] = sorted(set(agreeing.get(_place(span), [])) | set(span.source_annotators or []))
            item["decided_by"] = "unanimous" if span.decision == "unanimous" else usernames.get(span.decided_by_id)
        else:
            item["annotators"] = [usernames.get(span.annotator_id, "")]
            item["decided_by"] = None
        layers[LAYER_KEYS[span.layer]].append(item)
        counts.add(LAYER_KEYS[span.layer])
    counts.add("documents")
    counts.add("concepts", len(used_concepts))
    score = mqm.score(errors, mqm.document_words(document.text, document.text_sha256), weights)
    return {
        "schema": GOLD_SCHEMA, "project": project.name, "group": group.key, "doc_id": document.origin,
        "lang": document.lang, "role": document.role, "title": document.title,
        "text": document.text, "text_sha256": document.text_sha256, "offset_unit": "codepoint",
        "paragraphs": [
            {"id": f"p{segment.position}", "char_start": segment.char_start, "char_end": segment.char_end,
             "row": data.row_of.get(segment.id, (None, None))[0],
             "row_status": data.row_of.get(segment.id, (None, None))[1]}
            for segment in data.segments.get(document.id, [])
        ],
        **layers,
        "concepts": [
            {"id": cid, "kind": concept.kind, "name": concept.name, "kb_id": concept.kb_id}
            for cid, concept in sorted((concept_ids[c] for c in used_concepts), key=lambda pair: int(pair[0][1:]))
        ],
        "mqm": {**score, "weights": weights},
    }


def alignment_records(session: Session, project: Project, groups: list[Group], counts: _Counts) -> Iterator[dict]:
    """Yield one ``labeler.alignment/1`` record per alignment row: member paragraph ids per document."""
    for group in groups:
        data = _load_group(session, group)
        origin = {document.id: document.origin for document in data.documents}
        for position, row in enumerate(data.rows):
            members = {document.origin: [] for document in data.documents}
            for segment in data.members.get(row.id, []):
                members[origin[segment.document_id]].append(f"p{segment.position}")
            counts.add("rows")
            yield {"schema": ALIGNMENT_SCHEMA, "project": project.name, "group": group.key, "row": position,
                   "members": members, "score": row.score, "status": row.status, "method": row.method}
