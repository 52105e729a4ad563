"""The statements of a span save, on the tables rather than the ORM classes.

A save reads one span (or one document) with its paragraph, writes the span and its event, and answers with the
paragraph re-rendered. Through the ORM, building, loading and flushing objects cost several times what SQLite
spent on those few rows (issue 8), so the hot path reads rows of plain values into the small tuples below and
writes with Core ``INSERT`` and ``UPDATE``. The statements are built once; each save runs a fixed handful.

The ORM stays the way in for everything else (undo, suggestions, review). A session that already holds an ORM
object of a span written here is told to read it again (:func:`forget`), so both views of a span agree.
"""

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, bindparam, insert, select, update
from sqlmodel import Session

from labeler.models import Annotation, Document, Event, Segment

ANNOTATION = Annotation.__table__
DOCUMENT = Document.__table__
SEGMENT = Segment.__table__
EVENT = Event.__table__


class StoredSpan(NamedTuple):
    """Every column of an ``annotation`` row."""

    id: int
    document_id: int
    segment_id: int
    char_start: int
    char_end: int
    surface: str
    layer: str
    label: str
    attrs: dict
    concept_id: int | None
    counterpart_id: int | None
    annotator_id: int | None
    decided_by_id: int | None
    decision: str | None
    source_annotators: list | None
    origin: str
    status: str
    version: int
    deleted_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DocumentText(NamedTuple):
    """What a save needs of a document: where it belongs, its text, and what its column shows."""

    id: int
    group_id: int
    superseded: bool
    lang: str
    role: str
    title: str
    text: str
    text_sha256: str


class ParagraphBounds(NamedTuple):
    """A paragraph (``segment``) as offsets into its document."""

    id: int
    document_id: int
    char_start: int
    char_end: int


_SPAN = [ANNOTATION.c[name] for name in StoredSpan._fields]
_DOCUMENT = [DOCUMENT.c[name] for name in DocumentText._fields]
_PARAGRAPH = [SEGMENT.c[name] for name in ParagraphBounds._fields]
_SPANS, _DOCUMENTS = len(_SPAN), len(_DOCUMENT)

# A new span's document, the paragraph around its offsets (if any), and the id of the same span of the same person
# if they already have it: one statement. The twin is looked up in the paragraph (its offsets put it there), through
# the paragraph's index: a person's spans in the whole document are hundreds.
_TWIN = select(ANNOTATION.c.id).where(
    ANNOTATION.c.segment_id == SEGMENT.c.id, ANNOTATION.c.char_start == bindparam("char_start"),
    ANNOTATION.c.char_end == bindparam("char_end"), ANNOTATION.c.layer == bindparam("layer"),
    ANNOTATION.c.label == bindparam("label"), ANNOTATION.c.annotator_id == bindparam("user_id"),
    ANNOTATION.c.deleted_at == None, ANNOTATION.c.status == "accepted",  # noqa: E711 (SQL NULL test)
).limit(1).scalar_subquery()
_DOCUMENT_FOR_NEW_SPAN = select(*_DOCUMENT, *_PARAGRAPH, _TWIN).select_from(DOCUMENT.outerjoin(SEGMENT, and_(
    SEGMENT.c.document_id == DOCUMENT.c.id, SEGMENT.c.char_start <= bindparam("char_start"),
    SEGMENT.c.char_end >= bindparam("char_end"),
))).where(DOCUMENT.c.id == bindparam("document_id")).limit(1)
_SPAN_WITH_PLACE = select(*_SPAN, *_DOCUMENT, *_PARAGRAPH).select_from(
    ANNOTATION.join(DOCUMENT, DOCUMENT.c.id == ANNOTATION.c.document_id)
    .join(SEGMENT, SEGMENT.c.id == ANNOTATION.c.segment_id)
).where(ANNOTATION.c.id == bindparam("annotation_id"))
_INSERT_SPAN = insert(ANNOTATION)
_INSERT_EVENT = insert(EVENT)
# The columns to set come with the parameters; the version read must still be the span's (see update_span).
_UPDATE_SPAN = update(ANNOTATION).where(ANNOTATION.c.id == bindparam("span_id"),
                                        ANNOTATION.c.version == bindparam("version_read"))


def document_for_new_span(session: Session, document_id: int, char_start: int, char_end: int, layer: str,
                          label: str, user_id: int) -> tuple[DocumentText, ParagraphBounds | None, int | None] | None:
    """Read the document a new span goes into, in one statement.

    :returns: the document, the paragraph that holds ``char_start``–``char_end`` (None when no paragraph does),
        and the id of the user's live span with the same offsets, layer and label (None when there is none); or
        None when there is no such document.
    """
    row = _connection(session).execute(_DOCUMENT_FOR_NEW_SPAN, {
        "document_id": document_id, "char_start": char_start, "char_end": char_end, "layer": layer,
        "label": label, "user_id": user_id}).first()
    if row is None:
        return None
    paragraph = ParagraphBounds(*row[_DOCUMENTS:-1]) if row[_DOCUMENTS] is not None else None
    return DocumentText(*row[:_DOCUMENTS]), paragraph, row[-1]


def span_with_place(session: Session, annotation_id: int) -> tuple[StoredSpan, ParagraphBounds, DocumentText] | None:
    """Read a span with its paragraph and document in one statement (None when there is no such span)."""
    row = _connection(session).execute(_SPAN_WITH_PLACE, {"annotation_id": annotation_id}).first()
    if row is None:
        return None
    return (StoredSpan(*row[:_SPANS]), ParagraphBounds(*row[_SPANS + _DOCUMENTS:]),
            DocumentText(*row[_SPANS:_SPANS + _DOCUMENTS]))


def insert_span(session: Session, **values) -> StoredSpan:
    """Insert a span (every column but the id given) and return it as stored."""
    result = _connection(session).execute(_INSERT_SPAN, values)
    return StoredSpan(id=result.inserted_primary_key[0], **values)


def update_span(session: Session, current: StoredSpan, **changes) -> StoredSpan | None:
    """Write ``changes`` to a span, provided it is still at the version it was read at.

    The version in the ``WHERE`` clause makes the check and the write one step: of two saves that read the same
    version, the second changes nothing (and gets None) instead of overwriting the first.

    :returns: the span as now stored, or None when it changed since ``current`` was read.
    """
    result = _connection(session).execute(
        _UPDATE_SPAN, {"span_id": current.id, "version_read": current.version, **changes})
    if result.rowcount != 1:
        return None
    forget(session, current.id)
    return current._replace(**changes)


def log_event(session: Session, user_id: int, group_id: int, action: str, span: StoredSpan, before: dict | None,
              after: dict | None, created_at: datetime) -> None:
    """Add a span's change to the event log (what undo and redo walk)."""
    _connection(session).execute(_INSERT_EVENT, {
        "user_id": user_id, "group_id": group_id, "created_at": created_at, "action": action,
        "object_type": "annotation", "object_id": span.id, "before": before, "after": after, "undone": False})


def forget(session: Session, annotation_id: int) -> None:
    """Make the session read a span again if it holds it as an ORM object (it was just written past the ORM)."""
    held = session.identity_map.get(session.identity_key(Annotation, annotation_id))
    if held is not None:
        session.expire(held)


def _connection(session: Session):
    # Pending ORM changes go first, as the ORM's own queries would (autoflush): a save reads what the session wrote.
    session.flush()
    return session.connection()
