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
from functools import lru_cache
from operator import itemgetter
from typing import BinaryIO, Iterator

from sqlalchemy import Text, bindparam, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from labeler import mqm
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
        # Records are trees built here, never cyclic: the encoder need not check.
        encode = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode
        lines = ((encode(record) + "\n").encode("utf-8") for record in records)
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
    documents: list  # rows of _DOCUMENT_COLUMNS, in column order
    segments: dict[int, list[tuple]]  # document id → (id, position, char_start, char_end), in order
    row_of: dict[int, tuple[int, str]]  # segment id → (row index, row status)
    rows: list[tuple]  # (id, score, status, method), in order
    members: dict[int, list[tuple[int, int]]]  # row id → (document id, position) of its paragraphs


# The export reads plain column tuples, never ORM objects: building one object per span cost more than the
# whole rest of the export (issue 8).
_DOCUMENTS = Document.__table__.c
_SEGMENTS = Segment.__table__.c
_ROWS = AlignmentRow.__table__.c
_MEMBERS = AlignmentMember.__table__.c
_SPANS = Annotation.__table__.c
_DOCUMENT_COLUMNS = (_DOCUMENTS.id, _DOCUMENTS.origin, _DOCUMENTS.lang, _DOCUMENTS.role, _DOCUMENTS.title,
                     _DOCUMENTS.text, _DOCUMENTS.text_sha256)
# Positions in a span tuple, in the order of _SPAN_COLUMNS.
ID, DOCUMENT, START, END, SURFACE, LAYER, LABEL, ATTRS, CONCEPT, COUNTERPART, ANNOTATOR, DECIDED_BY, DECISION, \
    SOURCE_ANNOTATORS = range(14)
# The JSON columns arrive as their text (SQLite) and are parsed through a cache: most spans share a few attribute
# sets. A driver that parses JSON itself (psycopg) hands over the value, which is used as it is.
_SPAN_COLUMNS = (_SPANS.id, _SPANS.document_id, _SPANS.char_start, _SPANS.char_end, _SPANS.surface, _SPANS.layer,
                 _SPANS.label, type_coerce(_SPANS.attrs, Text), _SPANS.concept_id, _SPANS.counterpart_id,
                 _SPANS.annotator_id, _SPANS.decided_by_id, _SPANS.decision,
                 type_coerce(_SPANS.source_annotators, Text))
_READING_ORDER = itemgetter(START, END, LAYER, LABEL, ID)
_SAME_PLACE = itemgetter(START, END, LAYER, LABEL)
_PLACE = itemgetter(DOCUMENT, START, END, LAYER, LABEL)

# Built once: each group runs the same five statements.
_GROUP_DOCUMENTS = (sa_select(*_DOCUMENT_COLUMNS)
                    .where(_DOCUMENTS.group_id == bindparam("group_id"),
                           _DOCUMENTS.superseded == False)  # noqa: E712 (SQL, not Python)
                    .order_by(_DOCUMENTS.position, _DOCUMENTS.id))
_GROUP_SEGMENTS = (sa_select(_SEGMENTS.id, _SEGMENTS.document_id, _SEGMENTS.position, _SEGMENTS.char_start,
                             _SEGMENTS.char_end)
                   .where(_SEGMENTS.document_id.in_(bindparam("document_ids", expanding=True)))
                   .order_by(_SEGMENTS.document_id, _SEGMENTS.position))
_GROUP_ROWS = (sa_select(_ROWS.id, _ROWS.score, _ROWS.status, _ROWS.method)
               .where(_ROWS.group_id == bindparam("group_id")).order_by(_ROWS.position))
_GROUP_MEMBERS = (sa_select(_MEMBERS.row_id, _SEGMENTS.id, _SEGMENTS.document_id, _SEGMENTS.position)
                  .join(Segment.__table__, _SEGMENTS.id == _MEMBERS.segment_id)
                  .where(_MEMBERS.row_id.in_(bindparam("row_ids", expanding=True)))
                  .order_by(_SEGMENTS.document_id, _SEGMENTS.position))
_GROUP_SPANS = sa_select(*_SPAN_COLUMNS).where(
    _SPANS.document_id.in_(bindparam("document_ids", expanding=True)),
    _SPANS.deleted_at == None, _SPANS.status == "accepted")  # noqa: E711 (SQL, not Python)


@lru_cache(maxsize=4096)
def _parsed(text: str):
    return json.loads(text)


def _json(value):
    """A JSON column's value: parsed (once per distinct text) when the driver gave its text."""
    return _parsed(value) if isinstance(value, str) else value


@lru_cache(maxsize=4096)
def _attrs_text_order(text: str) -> str:
    return json.dumps(_parsed(text), sort_keys=True)


def _attrs_order(value) -> str:
    """What orders spans of the same place, layer and label: their attributes, serialised with sorted keys."""
    return _attrs_text_order(value) if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _load_group(session: Session, group: Group) -> _GroupData:
    documents = session.execute(_GROUP_DOCUMENTS, {"group_id": group.id}).all()
    ids = [document.id for document in documents]
    segments: dict[int, list[tuple]] = defaultdict(list)
    for segment_id, document_id, position, char_start, char_end in session.execute(
            _GROUP_SEGMENTS, {"document_ids": ids}).all():
        segments[document_id].append((segment_id, position, char_start, char_end))
    rows = [tuple(row) for row in session.execute(_GROUP_ROWS, {"group_id": group.id}).all()]
    index = {row[0]: (position, row[2]) for position, row in enumerate(rows)}
    row_of, members = {}, defaultdict(list)
    for row_id, segment_id, document_id, position in session.execute(
            _GROUP_MEMBERS, {"row_ids": list(index)}).all():
        if document_id in segments:
            row_of[segment_id] = index[row_id]
            members[row_id].append((document_id, position))
    return _GroupData(documents, segments, row_of, rows, members)


def gold_records(session: Session, project: Project, groups: list[Group], labels: str,
                 counts: _Counts) -> Iterator[dict]:
    """Yield one ``labeler.gold/1`` record per document (per document and annotator with ``labels="all"``)."""
    usernames = dict(session.exec(select(User.id, User.username)).all())
    concepts = {concept_id: (number, {"id": f"c{number}", "kind": kind, "name": name, "kb_id": kb_id})
                for number, (concept_id, kind, name, kb_id) in enumerate(session.exec(
                    select(Concept.id, Concept.kind, Concept.name, Concept.kb_id)
                    .where(Concept.project_id == project.id)
                    .order_by(Concept.kind, Concept.name, Concept.kb_id, Concept.id)), start=1)}
    weights = project.label_schema.get("mqm_weights", {})
    for group in groups:
        data = _load_group(session, group)
        # One group's spans at a time, bucketed by annotator (None: the gold set) and document.
        by_identity: dict[int | None, dict[int, list[tuple]]] = defaultdict(lambda: defaultdict(list))
        for span in session.execute(_GROUP_SPANS, {"document_ids": [d.id for d in data.documents]}).all():
            by_identity[span[ANNOTATOR]][span[DOCUMENT]].append(span)
        if labels == "gold":
            identities = [None]
        else:
            annotators = sorted((i for i in by_identity if i is not None), key=lambda i: usernames.get(i, ""))
            identities = annotators + ([None] if None in by_identity or not annotators else [])
        # Who labelled the same span (same place, layer and label): the gold set's "annotators".
        agreeing: dict[tuple, list[str]] = defaultdict(list)
        for identity, own in by_identity.items():
            if identity is not None:
                name = usernames.get(identity, "")
                for spans in own.values():
                    for span in spans:
                        agreeing[_PLACE(span)].append(name)
        paragraphs = {document.id: [
            {"id": f"p{position}", "char_start": char_start, "char_end": char_end,
             "row": data.row_of.get(segment_id, (None, None))[0],
             "row_status": data.row_of.get(segment_id, (None, None))[1]}
            for segment_id, position, char_start, char_end in data.segments.get(document.id, [])
        ] for document in data.documents}
        origin = {document.id: document.origin for document in data.documents}
        for identity in identities:
            own = by_identity.get(identity, {})
            ordered = {document_id: _reading_order(spans) for document_id, spans in own.items()}
            local_ids = {span[ID]: (origin[document_id], f"s{number}")
                         for document_id, spans in ordered.items() for number, span in enumerate(spans, start=1)}
            annotator = usernames.get(identity) if identity else None
            for document in data.documents:
                yield _document_record(project, group, document, paragraphs[document.id],
                                       ordered.get(document.id, []), local_ids, concepts, usernames, agreeing,
                                       weights, counts, labels == "all", annotator)


def _reading_order(spans: list[tuple]) -> list[tuple]:
    """Sort a document's spans in reading order: place, layer, label, then attributes, then id."""
    spans.sort(key=_READING_ORDER)
    # Attributes decide only between spans of the same place, layer and label, so they are serialised only for a
    # document that has such a tie, once per distinct attribute set (one json.dumps per span made a fifth of the
    # export's time).
    if any(_SAME_PLACE(a) == _SAME_PLACE(b) for a, b in zip(spans, spans[1:])):
        spans.sort(key=lambda s: (*_SAME_PLACE(s), _attrs_order(s[ATTRS]), s[ID]))
    return spans


def _document_record(project, group, document, paragraphs, spans, local_ids, concepts, usernames, agreeing,
                     weights, counts, with_annotator, annotator) -> dict:
    layers: dict[str, list[dict]] = {"entities": [], "claims": [], "errors": []}
    entities, claims, errors_out = layers["entities"], layers["claims"], layers["errors"]
    used_concepts: set[int] = set()
    errors = []
    for span in spans:
        (span_id, _, char_start, char_end, surface, layer, label, attrs, concept_id, counterpart_id, annotator_id,
         decided_by_id, decision, source_annotators) = span
        item = {"id": local_ids[span_id][1], "char_start": char_start, "char_end": char_end, "surface": surface}
        if layer == "error":
            attrs = dict(_json(attrs) or {})
            severity = attrs.pop("severity", "major")
            item["category"] = label
            item["severity"] = severity
            item["attrs"] = dict(sorted(attrs.items()))
            counterpart = local_ids.get(counterpart_id) if counterpart_id else None
            item["counterpart"] = {"doc_id": counterpart[0], "id": counterpart[1]} if counterpart else None
            errors.append((label, severity))
            errors_out.append(item)
        else:
            item["label"] = label
            if layer == "claim":
                item["attrs"] = dict(sorted((_json(attrs) or {}).items()))
                claims.append(item)
            else:
                entities.append(item)
            concept = concepts.get(concept_id)
            if concept:
                item["concept"] = concept[1]["id"]
                used_concepts.add(concept_id)
            else:
                item["concept"] = None
        if annotator_id is None:
            names = agreeing.get(_PLACE(span)) if agreeing else None
            if source_annotators is not None:
                source_annotators = _json(source_annotators)
            item["annotators"] = sorted(set(names or ()) | set(source_annotators or ())) \
                if names or source_annotators else []
            item["decided_by"] = "unanimous" if decision == "unanimous" else usernames.get(decided_by_id)
        else:
            item["annotators"] = [usernames.get(annotator_id, "")]
            item["decided_by"] = None
    values = counts.values
    values["entities"] += len(entities)
    values["claims"] += len(claims)
    values["errors"] += len(errors_out)
    values["documents"] += 1
    values["concepts"] += len(used_concepts)
    score = mqm.score(errors, mqm.document_words(document.text, document.text_sha256), weights)
    record = {"schema": GOLD_SCHEMA, "project": project.name, "group": group.key, "doc_id": document.origin,
              "lang": document.lang, "role": document.role, "title": document.title}
    if with_annotator:
        record["annotator"] = annotator
    record["text"] = document.text
    record["text_sha256"] = document.text_sha256
    record["offset_unit"] = "codepoint"
    record["paragraphs"] = paragraphs
    record.update(layers)
    record["concepts"] = [concepts[c][1] for c in sorted(used_concepts, key=lambda c: concepts[c][0])]
    record["mqm"] = {**score, "weights": weights}
    return record


def alignment_records(session: Session, project: Project, groups: list[Group], counts: _Counts) -> Iterator[dict]:
    """Yield one ``labeler.alignment/1`` record per alignment row: member paragraph ids per document."""
    for group in groups:
        data = _load_group(session, group)
        origin = {document.id: document.origin for document in data.documents}
        for position, (row_id, score, status, method) in enumerate(data.rows):
            members = {document.origin: [] for document in data.documents}
            for document_id, paragraph in data.members.get(row_id, []):
                members[origin[document_id]].append(f"p{paragraph}")
            counts.add("rows")
            yield {"schema": ALIGNMENT_SCHEMA, "project": project.name, "group": group.key, "row": position,
                   "members": members, "score": score, "status": status, "method": method}
