"""Exports: the gold dataset (``labeler.gold/1`` JSONL) and the alignment, streamed group by group.

Every export is deterministic (the same data gives the same bytes: fixed record order, key order and span
ids) and recorded as an :class:`ExportRecord` with its SHA-256 and counts. Memory holds one group at a time.

Span ids are numbered within a record in reading order (``s1``, ``s2``, …), paragraph ids are ``p`` + the
paragraph's position, concept ids ``c`` + a number over the project's concepts in name order: none of them
depends on database ids, so a file imported elsewhere and exported again gives the same records.

The gold JSONL, the export that grows with the corpus, is written as JSON text piece by piece from plain rows
(issue 8); its bytes are those of ``json.dumps(record, ensure_ascii=False, separators=(",", ":"))`` for the
record as a dict, and tests/web/test_export.py holds it to that.
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby
from json.encoder import encode_basestring
from operator import itemgetter
from typing import BinaryIO, Iterator

import orjson
from sqlalchemy import Connection, Text, bindparam, cast
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


# JSON text of a value as the standard encoder writes it, inside a record as on its own (records are trees built
# here, never cyclic: the encoder need not check). _string is what it does for a string, without the dispatch.
_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode
_string = encode_basestring


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
    elif format == "jsonl":
        lines = gold_lines(session, project, groups, labels, counts)
    else:
        lines = ((_encode(record) + "\n").encode("utf-8")
                 for record in alignment_records(session, project, groups, counts))
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
    row_of: dict[int, tuple[int, str]]  # segment id → (index, status) of the row it begins in
    rows: list[tuple]  # (id, score, status, method), in order
    members: dict[int, list[tuple[int, int, bool]]]  # row id → (document id, position, continued) of its paragraphs
    continues_in: dict[int, list[int]]  # segment id → indices of the rows below its own that it goes on in


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
# The JSON columns are read as their text, on PostgreSQL too (psycopg would parse them), and parsed and encoded
# through caches keyed by that text: most spans share a few attribute sets.
_SPAN_COLUMNS = (_SPANS.id, _SPANS.document_id, _SPANS.char_start, _SPANS.char_end, _SPANS.surface, _SPANS.layer,
                 _SPANS.label, cast(_SPANS.attrs, Text), _SPANS.concept_id, _SPANS.counterpart_id,
                 _SPANS.annotator_id, _SPANS.decided_by_id, _SPANS.decision, cast(_SPANS.source_annotators, Text))
_OFFSETS = itemgetter(START, END)
_SAME_PLACE = itemgetter(START, END, LAYER, LABEL)
_PLACE = itemgetter(DOCUMENT, START, END, LAYER, LABEL)
_OWNER = itemgetter(DOCUMENT, ANNOTATOR)

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
_GROUP_MEMBERS = (sa_select(_MEMBERS.row_id, _SEGMENTS.id, _SEGMENTS.document_id, _SEGMENTS.position,
                             _MEMBERS.continued)
                  .join(Segment.__table__, _SEGMENTS.id == _MEMBERS.segment_id)
                  .where(_MEMBERS.row_id.in_(bindparam("row_ids", expanding=True)))
                  .order_by(_SEGMENTS.document_id, _SEGMENTS.position))
# In the order of the index that finds them, which the database returns without sorting: ready to bucket.
_GROUP_SPANS = (sa_select(*_SPAN_COLUMNS)
                .where(_SPANS.document_id.in_(bindparam("document_ids", expanding=True)),
                       _SPANS.deleted_at == None, _SPANS.status == "accepted")  # noqa: E711 (SQL, not Python)
                .order_by(_SPANS.document_id, _SPANS.annotator_id))


@lru_cache(maxsize=4096)
def _parsed(text: str):
    return json.loads(text)


@lru_cache(maxsize=4096)
def _attrs_order(text: str) -> str:
    """What orders spans of the same place, layer and label: their attributes, serialised with sorted keys."""
    return json.dumps(_parsed(text), sort_keys=True)


def _load_group(connection: Connection, group: Group) -> _GroupData:
    documents = connection.execute(_GROUP_DOCUMENTS, {"group_id": group.id}).all()
    ids = [document.id for document in documents]
    segments: dict[int, list[tuple]] = defaultdict(list)
    for segment_id, document_id, position, char_start, char_end in connection.execute(
            _GROUP_SEGMENTS, {"document_ids": ids}).all():
        segments[document_id].append((segment_id, position, char_start, char_end))
    rows = [tuple(row) for row in connection.execute(_GROUP_ROWS, {"group_id": group.id}).all()]
    index = {row[0]: (position, row[2]) for position, row in enumerate(rows)}
    row_of, members, continues_in = {}, defaultdict(list), defaultdict(list)
    for row_id, segment_id, document_id, position, continued in connection.execute(
            _GROUP_MEMBERS, {"row_ids": list(index)}).all():
        if document_id in segments:
            if continued:
                continues_in[segment_id].append(index[row_id][0])
            else:
                row_of[segment_id] = index[row_id]
            members[row_id].append((document_id, position, bool(continued)))
    for later in continues_in.values():
        later.sort()
    return _GroupData(documents, segments, row_of, rows, members, continues_in)


def gold_lines(session: Session, project: Project, groups: list[Group], labels: str,
               counts: _Counts) -> Iterator[bytes]:
    """Yield one ``labeler.gold/1`` record per document (per document and annotator with ``labels="all"``), as a
    line of UTF-8 JSON."""
    usernames = dict(session.exec(select(User.id, User.username)).all())
    concepts = {concept_id: (number, {"id": f"c{number}", "kind": kind, "name": name, "kb_id": kb_id})
                for number, (concept_id, kind, name, kb_id) in enumerate(session.exec(
                    select(Concept.id, Concept.kind, Concept.name, Concept.kb_id)
                    .where(Concept.project_id == project.id)
                    .order_by(Concept.kind, Concept.name, Concept.kb_id, Concept.id)), start=1)}
    writer = _GoldWriter(project, usernames, concepts, project.label_schema.get("mqm_weights", {}), counts,
                         with_annotator=labels == "all")
    # The statements run on the session's connection (its transaction): through the session, each cost a tenth
    # of a millisecond more, ten thousand times for ten thousand documents.
    connection = session.connection()
    for group in groups:
        data = _load_group(connection, group)
        # One group's spans at a time, bucketed by annotator (None: the gold set) and document.
        by_identity: dict[int | None, dict[int, list[tuple]]] = defaultdict(dict)
        for (document_id, identity), spans in groupby(
                connection.execute(_GROUP_SPANS, {"document_ids": [d.id for d in data.documents]}).all(), _OWNER):
            by_identity[identity][document_id] = list(spans)
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
        documents = [writer.document(group, document, _paragraphs(data, document.id))
                     for document in data.documents]
        origin = {document.id: document.origin for document in data.documents}
        for identity in identities:
            own = by_identity.get(identity, {})
            ordered = {document_id: _reading_order(spans) for document_id, spans in own.items()}
            references = _references(ordered, origin)
            for document in documents:
                yield writer.record(document, ordered.get(document.id, []), references, agreeing, identity)


def _paragraphs(data: _GroupData, document_id: int) -> list[dict]:
    """A document's paragraphs as its gold record lists them: id, offsets, the alignment row they begin in and
    the rows below it they go on in."""
    no_row = (None, None)
    return [{"id": f"p{position}", "char_start": char_start, "char_end": char_end,
             "row": data.row_of.get(segment_id, no_row)[0], "row_status": data.row_of.get(segment_id, no_row)[1],
             "continues_in": data.continues_in.get(segment_id, [])}
            for segment_id, position, char_start, char_end in data.segments.get(document_id, [])]


def _reading_order(spans: list[tuple]) -> list[tuple]:
    """Sort a document's spans in reading order: place, layer, label, then attributes, then id."""
    # Each key is looked at only in a document where the ones before it tie: most documents have one span per
    # place, and attributes (one json.dumps per span made a fifth of the export's time) decide only between spans
    # of the same place, layer and label.
    if len(set(map(_OFFSETS, spans))) == len(spans):
        spans.sort(key=_OFFSETS)
    elif len(set(map(_SAME_PLACE, spans))) == len(spans):
        spans.sort(key=_SAME_PLACE)
    else:
        spans.sort(key=lambda s: (*_SAME_PLACE(s), _attrs_order(s[ATTRS]), s[ID]))
    return spans


def _references(ordered: dict[int, list[tuple]], origin: dict[int, str]) -> dict[int, str]:
    """The JSON ``{"doc_id", "id"}`` by which an error names its counterpart, for each span that one names.

    :param ordered: one label set's spans of the group: document id → spans in reading order.
    :param origin: document id → its ``doc_id``.
    """
    targets = {span[COUNTERPART] for spans in ordered.values() for span in spans if span[COUNTERPART]}
    if not targets:
        return {}
    return {span[ID]: _encode({"doc_id": origin[document_id], "id": f"s{number}"})
            for document_id, spans in ordered.items()
            for number, span in enumerate(spans, start=1) if span[ID] in targets}


@dataclass
class _Document:
    """What a document's records share, whoever's labels they carry: the JSON around the labels."""
    id: int
    opening: str  # from "schema" to "title"
    body: bytes  # from "text" to "paragraphs", UTF-8
    words: int  # for the MQM score


class _GoldWriter:
    """Writes gold records as JSON text from plain rows, field by field.

    The line is exactly what ``json.dumps(record, ensure_ascii=False, separators=(",", ":"))`` gives for the
    record built as a dict (same keys in the same order, same escapes, same numbers): building that dict, a
    dict per span and a sorted copy of its attributes, and then walking it with the encoder cost most of the
    export's time (issue 8). Values that repeat (labels, users, concepts, attribute sets) are encoded once.
    """

    def __init__(self, project: Project, usernames: dict[int, str], concepts: dict[int, tuple[int, dict]],
                 weights: dict, counts: _Counts, with_annotator: bool):
        self.project = _encode(project.name)
        self.usernames = usernames
        self.concepts = concepts
        self.concept_ids = {concept_id: _encode(concept["id"]) for concept_id, (_, concept) in concepts.items()}
        self.concept_records = {concept_id: _encode(concept) for concept_id, (_, concept) in concepts.items()}
        self.weights = weights
        self.counts = counts.values
        self.with_annotator = with_annotator

    def document(self, group: Group, document, paragraphs: list[dict]) -> _Document:
        """Encode what every record of ``document`` (a row of _DOCUMENT_COLUMNS) holds besides its labels."""
        opening = (f'{{"schema":{_encode(GOLD_SCHEMA)},"project":{self.project},"group":{_encode(group.key)},'
                   f'"doc_id":{_encode(document.origin)},"lang":{_encode(document.lang)},'
                   f'"role":{_encode(document.role)},"title":{_encode(document.title)}')
        # The text is most of the file: orjson escapes a string exactly as the standard encoder does (every
        # code point compared) at fifty times its speed. Numbers never go through it: it writes 1e-05 as 0.00001.
        body = b''.join((b'"text":', orjson.dumps(document.text), (
            f',"text_sha256":{_encode(document.text_sha256)},"offset_unit":"codepoint",'
            f'"paragraphs":{_encode(paragraphs)}').encode("utf-8")))
        return _Document(document.id, opening, body, mqm.document_words(document.text, document.text_sha256))

    def record(self, document: _Document, spans: list[tuple], references: dict[int, str],
               agreeing: dict[tuple, list[str]], identity: int | None) -> bytes:
        """One record: ``document`` with ``spans`` (one label set's, in reading order), as a line of UTF-8 JSON.

        :param references: the JSON of every counterpart (see :func:`_references`).
        :param agreeing: place, layer and label → the annotators who labelled it (for the gold set).
        :param identity: whose labels: a user id, or None for the gold set.
        """
        usernames, concept_ids = self.usernames, self.concept_ids
        # Module names looked up once per record rather than once per span: a tenth of the loop's time.
        string, place, gold_closing, error_attrs, claim_attrs = (_string, _PLACE, _gold_closing, _error_attrs,
                                                                 _claim_attrs)
        entities, claims, errors = [], [], []
        graded: list[tuple[str, str]] = []  # (category, severity) of each error, for the MQM score
        used_concepts: set[int] = set()
        if identity is not None:
            own = f'"annotators":{_encode([usernames.get(identity, "")])},"decided_by":null}}'
        for number, span in enumerate(spans, start=1):
            (_, _, char_start, char_end, surface, layer, label, attrs, concept_id, counterpart_id, annotator_id,
             decided_by_id, decision, source_annotators) = span
            if annotator_id is None:
                names = agreeing.get(place(span)) if agreeing else None
                closing = gold_closing(tuple(names) if names else None, source_annotators,
                                       "unanimous" if decision == "unanimous" else usernames.get(decided_by_id))
            else:
                closing = own
            if layer == "error":
                severity, severity_json, others = error_attrs(attrs)
                counterpart = references.get(counterpart_id, "null") if counterpart_id else "null"
                errors.append(f'{{"id":"s{number}","char_start":{char_start},"char_end":{char_end},'
                              f'"surface":{string(surface)},"category":{string(label)},"severity":{severity_json},'
                              f'"attrs":{others},"counterpart":{counterpart},{closing}')
                graded.append((label, severity))
                continue
            concept = concept_ids.get(concept_id)
            if concept:
                used_concepts.add(concept_id)
            else:
                concept = "null"
            if layer == "claim":
                claims.append(f'{{"id":"s{number}","char_start":{char_start},"char_end":{char_end},'
                              f'"surface":{string(surface)},"label":{string(label)},"attrs":{claim_attrs(attrs)},'
                              f'"concept":{concept},{closing}')
            else:
                entities.append(f'{{"id":"s{number}","char_start":{char_start},"char_end":{char_end},'
                                f'"surface":{string(surface)},"label":{string(label)},"concept":{concept},{closing}')
        values = self.counts
        values["entities"] += len(entities)
        values["claims"] += len(claims)
        values["errors"] += len(errors)
        values["documents"] += 1
        values["concepts"] += len(used_concepts)
        score = mqm.score(graded, document.words, self.weights)
        annotator = f',"annotator":{_encode(usernames.get(identity) if identity else None)}' \
            if self.with_annotator else ""
        concepts = ",".join(self.concept_records[concept_id]
                            for concept_id in sorted(used_concepts, key=lambda c: self.concepts[c][0]))
        closing = (f',"entities":[{",".join(entities)}],"claims":[{",".join(claims)}],'
                   f'"errors":[{",".join(errors)}],"concepts":[{concepts}],'
                   f'"mqm":{_encode({**score, "weights": self.weights})}}}\n')
        return b"".join(((document.opening + annotator + ",").encode("utf-8"), document.body,
                         closing.encode("utf-8")))


# Parsed and encoded once per distinct text (the JSON columns' text): a project has few attribute sets.

@lru_cache(maxsize=4096)
def _gold_closing(names: tuple[str, ...] | None, source_annotators: str | None, decided_by: str | None) -> str:
    """The end of a gold span's JSON: who labelled it (the annotators who agree, and those an import named) and
    who decided it."""
    source = _parsed(source_annotators) if source_annotators is not None else None
    annotators = sorted(set(names or ()) | set(source or ())) if names or source else []
    return f'"annotators":{_encode(annotators)},"decided_by":{_encode(decided_by)}}}'


@lru_cache(maxsize=4096)
def _claim_attrs(attrs: str) -> str:
    """A claim's attributes as JSON, keys sorted."""
    return _encode(dict(sorted((_parsed(attrs) or {}).items())))


@lru_cache(maxsize=4096)
def _error_attrs(attrs: str) -> tuple:
    """An error's severity (major when it has none), the severity as JSON, and its other attributes as JSON (keys
    sorted)."""
    others = dict(_parsed(attrs) or {})
    severity = others.pop("severity", "major")
    return severity, _encode(severity), _encode(dict(sorted(others.items())))


def alignment_records(session: Session, project: Project, groups: list[Group], counts: _Counts) -> Iterator[dict]:
    """Yield one ``labeler.alignment/1`` record per alignment row: member paragraph ids per document."""
    connection = session.connection()
    for group in groups:
        data = _load_group(connection, group)
        origin = {document.id: document.origin for document in data.documents}
        for position, (row_id, score, status, method) in enumerate(data.rows):
            members = {document.origin: [] for document in data.documents}
            continued = {document.origin: [] for document in data.documents}
            for document_id, paragraph, goes_on in data.members.get(row_id, []):
                members[origin[document_id]].append(f"p{paragraph}")
                if goes_on:
                    continued[origin[document_id]].append(f"p{paragraph}")
            counts.add("rows")
            yield {"schema": ALIGNMENT_SCHEMA, "project": project.name, "group": group.key, "row": position,
                   "members": members, "continued": continued, "score": score, "status": status, "method": method}
