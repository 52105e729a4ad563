"""Exports: the gold dataset (``labeler.gold/1`` JSONL) and the alignment, streamed a batch of groups at a time.

Every export is deterministic (the same data gives the same bytes: fixed record order, key order and span
ids) and recorded as an :class:`ExportRecord` with its SHA-256 and counts. Memory holds the documents of one
batch of groups (:data:`GROUPS_PER_BATCH`) and the spans of one group at a time.

Span ids are numbered within a record in reading order (``s1``, ``s2``, …), paragraph ids are ``p`` + the
paragraph's position, concept ids ``c`` + a number over the project's concepts in name order: none of them
depends on database ids, so a file imported elsewhere and exported again gives the same records.

The gold JSONL, the export that grows with the corpus, is written as JSON text piece by piece from plain rows
(issue 8); its bytes are those of ``json.dumps(record, ensure_ascii=False, separators=(",", ":"))`` for the
record as a dict, and tests/web/test_export.py holds it to that. From the command line a large gold export
runs in several processes over one snapshot of the database (:mod:`labeler.export_parallel`), with the same
bytes.
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby, islice
from json.encoder import encode_basestring
from operator import itemgetter
from typing import BinaryIO, Callable, Iterator, NamedTuple

import orjson
from sqlalchemy import Connection, Text, bindparam, case, cast, literal
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
# Groups whose documents, paragraphs and alignment rows are read together: three statements per batch rather than
# four per group (ten thousand statements were a tenth of the export's time, issue 8). Spans are still read group
# by group: a batch's at once came slower (a larger working set), and memory holds one group's.
GROUPS_PER_BATCH = 32
# A gold export of fewer groups runs in one process even when more are allowed: forking and joining the parts
# would cost more than they save.
PARALLEL_MIN_GROUPS = 100


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


class ProjectFacts(NamedTuple):
    """What a gold export needs of its project, read once (a worker process gets them as they are)."""
    id: int
    name: str
    weights: dict  # the MQM weights


class GroupKey(NamedTuple):
    """A group as the gold export needs it (a Group, or a row of :data:`GROUP_KEYS`, does as well)."""
    id: int
    key: str


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
    counts = _Counts()
    facts = ProjectFacts(project.id, project.name, project.label_schema.get("mqm_weights", {}))
    if format == "mqm-tsv":
        from labeler.wmt import tsv_lines

        blocks = _counted((line.encode("utf-8") for line in tsv_lines(session, project, groups, counts.values)),
                          counts)
    elif format == "alignment":
        blocks = _counted(((_encode(record) + "\n").encode("utf-8")
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


def begin_snapshot(connection: Connection) -> None:
    """Begin a read transaction on ``connection`` that sees one state of the database until it ends, whatever
    commits meanwhile (a gold export reads for seconds while annotators save)."""
    if connection.dialect.name == "sqlite":
        # The driver begins a transaction only before a write: begin it here, and read a row, which is what
        # fixes the state a WAL reader sees until it ends.
        connection.exec_driver_sql("BEGIN")
        connection.exec_driver_sql("SELECT id FROM project LIMIT 1").all()
    else:
        connection.execution_options(isolation_level="REPEATABLE READ")


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


def _counted(lines: Iterator[bytes], counts: _Counts) -> Iterator[bytes]:
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


_GROUPS = Group.__table__.c
# The project's groups in file order, as plain rows: what a parallel export reads again inside its snapshot.
GROUP_KEYS = (sa_select(_GROUPS.id, _GROUPS.key).where(_GROUPS.project_id == bindparam("project_id"))
              .order_by(_GROUPS.key))


def _batches(groups: list[GroupKey]) -> Iterator[list[GroupKey]]:
    iterator = iter(groups)
    while batch := list(islice(iterator, GROUPS_PER_BATCH)):
        yield batch


@dataclass
class _GroupData:
    id: int
    key: str
    documents: list = field(default_factory=list)  # rows of _DOCUMENT_COLUMNS, in order
    rows: list[tuple] = field(default_factory=list)  # (id, score, status, method), in order
    # For the gold records: document id → its paragraphs, in order: [position, char_start, char_end, index and
    # status of the row it begins in, indices of the rows below it that it goes on in].
    paragraphs: dict[int, list[list]] = field(default_factory=lambda: defaultdict(list))
    # For the alignment: row id → (document id, position, continued) of its paragraphs
    members: dict[int, list[tuple[int, int, bool]]] = field(default_factory=lambda: defaultdict(list))


# The export reads plain column tuples, never ORM objects: building one object per span cost more than the
# whole rest of the export (issue 8).
_DOCUMENTS = Document.__table__.c
_SEGMENTS = Segment.__table__.c
_ROWS = AlignmentRow.__table__.c
_MEMBERS = AlignmentMember.__table__.c
_SPANS = Annotation.__table__.c
_DOCUMENT_COLUMNS = (_DOCUMENTS.id, _DOCUMENTS.group_id, _DOCUMENTS.origin, _DOCUMENTS.lang, _DOCUMENTS.role,
                     _DOCUMENTS.title, _DOCUMENTS.text, _DOCUMENTS.text_sha256)
# Positions in a span tuple, in the order of _SPAN_COLUMNS.
ID, DOCUMENT, START, END, SURFACE, LAYER, LABEL, ATTRS, CONCEPT, COUNTERPART, ANNOTATOR, DECIDER, \
    SOURCE_ANNOTATORS = range(13)
UNANIMOUS = -1  # the DECIDER of a gold span the annotators agreed on; else the id of the reviewer who decided
# The JSON columns are read as their text, on PostgreSQL too (psycopg would parse them), and parsed and encoded
# through caches keyed by that text: most spans share a few attribute sets. Fetching the rows is a third of the
# export's time, and each column adds to it: who decided comes as one small number, not an id and a string.
_SPAN_COLUMNS = (_SPANS.id, _SPANS.document_id, _SPANS.char_start, _SPANS.char_end, _SPANS.surface, _SPANS.layer,
                 _SPANS.label, cast(_SPANS.attrs, Text), _SPANS.concept_id, _SPANS.counterpart_id,
                 _SPANS.annotator_id,
                 case((_SPANS.decision == "unanimous", literal(UNANIMOUS)), else_=_SPANS.decided_by_id),
                 cast(_SPANS.source_annotators, Text))
_OFFSETS = itemgetter(START, END)
_SAME_PLACE = itemgetter(START, END, LAYER, LABEL)
_PLACE = itemgetter(DOCUMENT, START, END, LAYER, LABEL)
_OWNER = itemgetter(DOCUMENT, ANNOTATOR)

# Built once: each batch of groups runs the same three statements, and each group one more for its spans. The
# batch's documents are selected again inside the statements that need them, not passed as a list of ids.
_CURRENT_DOCUMENTS = (sa_select(_DOCUMENTS.id)
                      .where(_DOCUMENTS.group_id.in_(bindparam("group_ids", expanding=True)),
                             _DOCUMENTS.superseded == False))  # noqa: E712 (SQL, not Python)
_BATCH_DOCUMENTS = (sa_select(*_DOCUMENT_COLUMNS)
                    .where(_DOCUMENTS.group_id.in_(bindparam("group_ids", expanding=True)),
                           _DOCUMENTS.superseded == False)  # noqa: E712 (SQL, not Python)
                    .order_by(_DOCUMENTS.group_id, _DOCUMENTS.position, _DOCUMENTS.id))
# Each paragraph with the rows it is in (none, the one it begins in, those it goes on in): one row per membership.
_BATCH_PARAGRAPHS = (sa_select(_SEGMENTS.id, _SEGMENTS.document_id, _SEGMENTS.position, _SEGMENTS.char_start,
                               _SEGMENTS.char_end, _MEMBERS.row_id, _MEMBERS.continued)
                     .select_from(Segment.__table__.outerjoin(AlignmentMember.__table__,
                                                              _MEMBERS.segment_id == _SEGMENTS.id))
                     .where(_SEGMENTS.document_id.in_(_CURRENT_DOCUMENTS))
                     .order_by(_SEGMENTS.document_id, _SEGMENTS.position))
_BATCH_ROWS = (sa_select(_ROWS.id, _ROWS.group_id, _ROWS.score, _ROWS.status, _ROWS.method)
               .where(_ROWS.group_id.in_(bindparam("group_ids", expanding=True)))
               .order_by(_ROWS.group_id, _ROWS.position))
_BATCH_MEMBERS = (sa_select(_MEMBERS.row_id, _SEGMENTS.id, _SEGMENTS.document_id, _SEGMENTS.position,
                            _MEMBERS.continued)
                  .join(AlignmentRow.__table__, _ROWS.id == _MEMBERS.row_id)
                  .join(Segment.__table__, _SEGMENTS.id == _MEMBERS.segment_id)
                  .where(_ROWS.group_id.in_(bindparam("group_ids", expanding=True)))
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


def _load_batch(connection: Connection, groups: list[GroupKey], paragraphs: bool = True) -> list[_GroupData]:
    """Read a batch of groups: their current documents and alignment rows, and either their paragraphs (for the
    gold records) or each row's paragraphs (for the alignment); not their spans.

    :returns: each group's data, in the order of ``groups``.
    """
    ids = {"group_ids": [group.id for group in groups]}
    data = {group.id: _GroupData(group.id, group.key) for group in groups}
    group_of: dict[int, _GroupData] = {}  # document id → its group's data
    for document in connection.execute(_BATCH_DOCUMENTS, ids).all():
        group = group_of[document.id] = data[document.group_id]
        group.documents.append(document)
    index: dict[int, tuple[int, str]] = {}  # row id → (its index in its group, status)
    for row_id, group_id, score, status, method in connection.execute(_BATCH_ROWS, ids).all():
        rows = data[group_id].rows
        index[row_id] = (len(rows), status)
        rows.append((row_id, score, status, method))
    if paragraphs:
        _read_paragraphs(connection, ids, group_of, index)
        return list(data.values())
    for row_id, segment_id, document_id, position, continued in connection.execute(_BATCH_MEMBERS, ids).all():
        group = group_of.get(document_id)
        if group is not None:  # a paragraph of a current document
            group.members[row_id].append((document_id, position, bool(continued)))
    return list(data.values())


def _read_paragraphs(connection: Connection, ids: dict, group_of: dict[int, _GroupData],
                     index: dict[int, tuple[int, str]]) -> None:
    """Add each document's paragraphs, with the rows they are in, to its group's data."""
    previous, paragraph = None, []
    for segment_id, document_id, position, char_start, char_end, row_id, continued in connection.execute(
            _BATCH_PARAGRAPHS, ids).all():
        if segment_id != previous:
            previous, paragraph = segment_id, [position, char_start, char_end, None, None, []]
            group_of[document_id].paragraphs[document_id].append(paragraph)
        if row_id in index:
            row, status = index[row_id]
            if continued:
                paragraph[5].append(row)
            else:
                paragraph[3], paragraph[4] = row, status


def _loaded(connection: Connection, groups: list[GroupKey], paragraphs: bool = True) -> Iterator[_GroupData]:
    """Each group's data, read a batch at a time (see :func:`_load_batch`)."""
    for batch in _batches(groups):
        yield from _load_batch(connection, batch, paragraphs)


def gold_lines(connection: Connection, project: ProjectFacts, groups: list[GroupKey], labels: str,
               counts: _Counts) -> Iterator[bytes]:
    """Yield one ``labeler.gold/1`` record per document (per document and annotator with ``labels="all"``), as a
    line of UTF-8 JSON, and count them.

    :param connection: where to read: the session's, or a worker's own (on the snapshot of a parallel export).
    :param groups: the groups to export, in file order.
    """
    # The statements run on a connection (the export's own, in its snapshot), not through a session: there, each
    # cost a tenth of a millisecond more, ten thousand times for ten thousand documents.
    usernames = dict(connection.execute(sa_select(User.id, User.username)).all())
    concepts = {concept_id: (number, {"id": f"c{number}", "kind": kind, "name": name, "kb_id": kb_id})
                for number, (concept_id, kind, name, kb_id) in enumerate(connection.execute(
                    sa_select(Concept.id, Concept.kind, Concept.name, Concept.kb_id)
                    .where(Concept.project_id == project.id)
                    .order_by(Concept.kind, Concept.name, Concept.kb_id, Concept.id)), start=1)}
    writer = _GoldWriter(project, usernames, concepts, counts, with_annotator=labels == "all")
    for data in _loaded(connection, groups):
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
        documents = [writer.document(data, document, _paragraphs(data, document.id))
                     for document in data.documents]
        origin = {document.id: document.origin for document in data.documents}
        for identity in identities:
            own = by_identity.get(identity, {})
            ordered = {document_id: _reading_order(spans) for document_id, spans in own.items()}
            references = _references(ordered, origin)
            for document in documents:
                yield writer.record(document, ordered.get(document.id, []), references, agreeing, identity)


def _paragraphs(data: _GroupData, document_id: int) -> str:
    """A document's paragraphs as its gold record lists them, as JSON: id, offsets, the alignment row they begin in
    and the rows below it they go on in."""
    return "[" + ",".join(
        f'{{"id":"p{position}","char_start":{char_start},"char_end":{char_end},'
        f'"row":{"null" if row is None else row},"row_status":{"null" if status is None else _string(status)},'
        f'"continues_in":[{",".join(map(str, sorted(later))) if later else ""}]}}'
        for position, char_start, char_end, row, status, later in data.paragraphs.get(document_id, ())) + "]"


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

    def __init__(self, project: ProjectFacts, usernames: dict[int, str], concepts: dict[int, tuple[int, dict]],
                 counts: _Counts, with_annotator: bool):
        self.project = _encode(project.name)
        self.usernames = usernames
        self.concepts = concepts
        self.concept_ids = {concept_id: _encode(concept["id"]) for concept_id, (_, concept) in concepts.items()}
        self.concept_records = {concept_id: _encode(concept) for concept_id, (_, concept) in concepts.items()}
        self.weights = project.weights
        self.counts = counts.values
        self.with_annotator = with_annotator

    def document(self, group: GroupKey, document, paragraphs: str) -> _Document:
        """Encode what every record of ``document`` (a row of _DOCUMENT_COLUMNS) holds besides its labels."""
        opening = (f'{{"schema":{_encode(GOLD_SCHEMA)},"project":{self.project},"group":{_encode(group.key)},'
                   f'"doc_id":{_encode(document.origin)},"lang":{_encode(document.lang)},'
                   f'"role":{_encode(document.role)},"title":{_encode(document.title)}')
        # The text is most of the file: orjson escapes a string exactly as the standard encoder does (every
        # code point compared) at fifty times its speed. Numbers never go through it: it writes 1e-05 as 0.00001.
        body = b''.join((b'"text":', orjson.dumps(document.text), (
            f',"text_sha256":{_encode(document.text_sha256)},"offset_unit":"codepoint",'
            f'"paragraphs":{paragraphs}').encode("utf-8")))
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
             decider, source_annotators) = span
            if annotator_id is None:
                names = agreeing.get(place(span)) if agreeing else None
                closing = gold_closing(tuple(names) if names else None, source_annotators,
                                       "unanimous" if decider == UNANIMOUS else usernames.get(decider))
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
        values["records"] += 1
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


def alignment_records(session: Session, project: Project, groups: list[GroupKey], counts: _Counts) -> Iterator[dict]:
    """Yield one ``labeler.alignment/1`` record per alignment row: member paragraph ids per document."""
    connection = session.connection()
    for data in _loaded(connection, groups, paragraphs=False):
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
