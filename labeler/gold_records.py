"""The gold dataset's records (``labeler.gold/1``), written as JSON text piece by piece from plain rows (issue 8).

A record's bytes are those of ``json.dumps(record, ensure_ascii=False, separators=(",", ":"))`` for the record
as a dict, and tests/web/test_export.py holds it to that. Span ids are numbered within a record in reading order
(``s1``, ``s2``, …), paragraph ids are ``p`` + the paragraph's position, concept ids ``c`` + a number over the
project's concepts in name order: none of them depends on database ids.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Iterator, NamedTuple

import orjson
from sqlalchemy import Connection, Text, bindparam, case, cast, literal
from sqlalchemy import select as sa_select

from labeler import mqm
from labeler.export_reading import GroupKey, GroupData, loaded
from labeler.gold import GOLD_SCHEMA
from labeler.models import Annotation, Concept, User

# JSON text of a value as the standard encoder writes it, inside a record as on its own (records are trees built
# here, never cyclic: the encoder need not check). _string is what it does for a string, without the dispatch.
to_json = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode
_string = encode_basestring


@dataclass
class Counts:
    """What an export has written, by kind: records, documents, spans by layer, concepts, alignment rows."""

    values: dict = field(default_factory=lambda: {"records": 0, "documents": 0, "entities": 0, "claims": 0,
                                                  "errors": 0, "concepts": 0, "rows": 0, "groups_skipped": 0})

    def add(self, name: str, amount: int = 1) -> None:
        self.values[name] += amount


class ProjectFacts(NamedTuple):
    """What a gold export needs of its project, read once (a worker process gets them as they are)."""
    id: int
    name: str
    weights: dict  # the MQM weights


_SPANS = Annotation.__table__.c
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


def gold_lines(connection: Connection, project: ProjectFacts, groups: list[GroupKey], labels: str,
               counts: Counts) -> Iterator[bytes]:
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
    for data in loaded(connection, groups):
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


def _paragraphs(data: GroupData, document_id: int) -> str:
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
    return {span[ID]: to_json({"doc_id": origin[document_id], "id": f"s{number}"})
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
                 counts: Counts, with_annotator: bool):
        self.project = to_json(project.name)
        self.usernames = usernames
        self.concepts = concepts
        self.concept_ids = {concept_id: to_json(concept["id"]) for concept_id, (_, concept) in concepts.items()}
        self.concept_records = {concept_id: to_json(concept) for concept_id, (_, concept) in concepts.items()}
        self.weights = project.weights
        self.counts = counts.values
        self.with_annotator = with_annotator

    def document(self, group: GroupKey, document, paragraphs: str) -> _Document:
        """Encode what every record of ``document`` (a row of _DOCUMENT_COLUMNS) holds besides its labels."""
        opening = (f'{{"schema":{to_json(GOLD_SCHEMA)},"project":{self.project},"group":{to_json(group.key)},'
                   f'"doc_id":{to_json(document.origin)},"lang":{to_json(document.lang)},'
                   f'"role":{to_json(document.role)},"title":{to_json(document.title)}')
        # The text is most of the file: orjson escapes a string exactly as the standard encoder does (every
        # code point compared) at fifty times its speed. Numbers never go through it: it writes 1e-05 as 0.00001.
        body = b''.join((b'"text":', orjson.dumps(document.text), (
            f',"text_sha256":{to_json(document.text_sha256)},"offset_unit":"codepoint",'
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
            own = f'"annotators":{to_json([usernames.get(identity, "")])},"decided_by":null}}'
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
        annotator = f',"annotator":{to_json(usernames.get(identity) if identity else None)}' \
            if self.with_annotator else ""
        concepts = ",".join(self.concept_records[concept_id]
                            for concept_id in sorted(used_concepts, key=lambda c: self.concepts[c][0]))
        closing = (f',"entities":[{",".join(entities)}],"claims":[{",".join(claims)}],'
                   f'"errors":[{",".join(errors)}],"concepts":[{concepts}],'
                   f'"mqm":{to_json({**score, "weights": self.weights})}}}\n')
        return b"".join(((document.opening + annotator + ",").encode("utf-8"), document.body,
                         closing.encode("utf-8")))


# Parsed and encoded once per distinct text (the JSON columns' text): a project has few attribute sets.

@lru_cache(maxsize=4096)
def _gold_closing(names: tuple[str, ...] | None, source_annotators: str | None, decided_by: str | None) -> str:
    """The end of a gold span's JSON: who labelled it (the annotators who agree, and those an import named) and
    who decided it."""
    source = _parsed(source_annotators) if source_annotators is not None else None
    annotators = sorted(set(names or ()) | set(source or ())) if names or source else []
    return f'"annotators":{to_json(annotators)},"decided_by":{to_json(decided_by)}}}'


@lru_cache(maxsize=4096)
def _claim_attrs(attrs: str) -> str:
    """A claim's attributes as JSON, keys sorted."""
    return to_json(dict(sorted((_parsed(attrs) or {}).items())))


@lru_cache(maxsize=4096)
def _error_attrs(attrs: str) -> tuple:
    """An error's severity (major when it has none), the severity as JSON, and its other attributes as JSON (keys
    sorted)."""
    others = dict(_parsed(attrs) or {})
    severity = others.pop("severity", "major")
    return severity, to_json(severity), to_json(dict(sorted(others.items())))


