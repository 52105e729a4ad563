"""Annotations: create, edit and delete spans, every change an event that undo and redo can walk.

Input is validated here, at the edge (``SpanCreate``, ``SpanUpdate``), before it touches a table: the span must
lie inside one paragraph of a document of the group, its ``surface`` must be the text at its offsets (code
points), and its label must be in the project's schema. Spans belong to the annotator who made them.
"""

import json
from datetime import datetime, timezone
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import bindparam
from sqlmodel import Session, select

from labeler import span_store
from labeler.models import INT_MAX, Annotation, Concept, Document, Event, Group, Project, Segment, utcnow
from labeler.span_store import DocumentText, ParagraphBounds, StoredSpan

ATTRS_MAX_BYTES = 4096
NOTE_MAX = 2000
UNDOABLE = ("annotation.create", "annotation.update", "annotation.delete", "annotation.accept",
            "annotation.reject")
EDITABLE = ("label", "attrs", "concept_id", "counterpart_id")


class SpanError(ValueError):
    """A span that cannot be written; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message, self.status = message, status


class Conflict(SpanError):
    """The span changed since the client read it (its ``version``)."""

    def __init__(self, message: str, annotation: Annotation):
        super().__init__(message, 409)
        self.annotation = annotation


class SpanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_id: int = Field(ge=-INT_MAX, le=INT_MAX)  # any id the database can hold; one not there is a 404
    char_start: int = Field(ge=0, le=INT_MAX)
    char_end: int = Field(gt=0, le=INT_MAX)
    surface: str = Field(min_length=1, max_length=20000)
    layer: str
    label: str = Field(min_length=1, max_length=200)
    severity: Optional[str] = None
    attrs: dict[str, Any] = Field(default_factory=dict)

    @field_validator("attrs")
    @classmethod
    def small_attrs(cls, value: dict) -> dict:
        if len(json.dumps(value)) > ATTRS_MAX_BYTES:
            raise ValueError(f"attributes are limited to {ATTRS_MAX_BYTES} bytes")
        return value


class SpanUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=INT_MAX)
    label: Optional[str] = Field(default=None, min_length=1, max_length=200)
    severity: Optional[str] = None
    attrs: Optional[dict[str, Any]] = None
    concept_id: Optional[int] = Field(default=None, ge=-INT_MAX, le=INT_MAX)
    counterpart_id: Optional[int] = Field(default=None, ge=-INT_MAX, le=INT_MAX)
    clear_concept: bool = False
    clear_counterpart: bool = False

    @field_validator("attrs")
    @classmethod
    def small_attrs(cls, value: Optional[dict]) -> Optional[dict]:
        if value is not None and len(json.dumps(value)) > ATTRS_MAX_BYTES:
            raise ValueError(f"attributes are limited to {ATTRS_MAX_BYTES} bytes")
        return value


def parse(model: type[BaseModel], data: dict) -> BaseModel:
    """Validate ``data`` with ``model``; turn pydantic's errors into one readable ``SpanError``."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in error.errors())
        raise SpanError(problems) from None


def snapshot(annotation: Annotation) -> dict:
    """The editable state of a span, as stored in events."""
    return {
        "id": annotation.id, "document_id": annotation.document_id, "segment_id": annotation.segment_id,
        "char_start": annotation.char_start, "char_end": annotation.char_end, "surface": annotation.surface,
        "layer": annotation.layer, "label": annotation.label, "attrs": annotation.attrs,
        "concept_id": annotation.concept_id, "counterpart_id": annotation.counterpart_id,
        "version": annotation.version, "deleted": annotation.deleted_at is not None,
    }


def _check_label(project: Project, layer: str, label: str, severity: str | None, attrs: dict) -> dict:
    schema = project.label_schema
    if layer not in ("entity", "claim", "error"):
        raise SpanError(f"unknown layer {layer!r}: use entity, claim or error")
    labels = schema.get(layer, {}).get("labels", [])
    if label not in labels:
        raise SpanError(f"{label!r} is not one of this project's {layer} labels")
    attrs = dict(attrs)
    if layer == "error":
        severity = severity or attrs.get("severity") or "major"
        if severity not in schema.get("error", {}).get("severities", []):
            raise SpanError(f"unknown severity {severity!r}")
        attrs["severity"] = severity
    elif severity:
        raise SpanError("only translation errors have a severity")
    if layer == "claim":
        allowed = schema.get("claim", {}).get("attributes", {})
        for key, value in attrs.items():
            if key not in allowed:
                raise SpanError(f"unknown claim attribute {key!r}")
            choices = allowed[key].get("choices")
            if choices and value not in choices and value not in ("", None):
                raise SpanError(f"{key} must be one of {', '.join(choices)}")
            if isinstance(value, str) and len(value) > NOTE_MAX:
                raise SpanError(f"{key} is limited to {NOTE_MAX} characters")
    return attrs


def _log(session: Session, user_id: int, group_id: int, action: str, annotation: Annotation,
         before: dict | None, after: dict | None) -> None:
    session.add(Event(user_id=user_id, group_id=group_id, action=action, object_type="annotation",
                      object_id=annotation.id, before=before, after=after))


_PARAGRAPH_AROUND = select(Segment).where(
    Segment.document_id == bindparam("document_id"), Segment.char_start <= bindparam("char_start"),
    Segment.char_end >= bindparam("char_end"))


def _segment_of(session: Session, document: Document, char_start: int, char_end: int) -> Segment:
    """The paragraph of ``document`` that holds ``char_start``–``char_end`` (a save finds it with its document)."""
    segment = session.exec(_PARAGRAPH_AROUND, params={
        "document_id": document.id, "char_start": char_start, "char_end": char_end}).first()
    if segment is None:
        raise SpanError("a span must lie inside one paragraph")
    return segment


def _checked_new_span(session: Session, project: Project, group: Group, data: dict, user_id: int | None):
    """Parse and check a new span; one statement reads its document, its paragraph and any twin of ``user_id``.

    :returns: the parsed span, its document, its paragraph, its checked attributes, and the id of the user's
        live span with the same offsets, layer and label (None when there is none).
    """
    span = parse(SpanCreate, data)
    found = span_store.document_for_new_span(session, span.document_id, span.char_start, span.char_end,
                                             span.layer, span.label, user_id)
    if found is None or found[0].group_id != group.id:
        raise SpanError(f"document {span.document_id} is not in this group", 404)
    document, paragraph, twin = found
    if document.superseded:
        raise SpanError("this document has a newer version: reload the page", 409)
    if span.char_end <= span.char_start:
        raise SpanError("the span is empty or reversed (char_end must be after char_start)")
    if span.char_end > len(document.text):
        raise SpanError(f"the span ends at {span.char_end}, past the end of the text ({len(document.text)})")
    actual = document.text[span.char_start:span.char_end]
    if actual != span.surface:
        raise SpanError(f"the text at {span.char_start}–{span.char_end} is {actual!r}, not {span.surface!r}: "
                        "the offsets must count code points")
    attrs = _check_label(project, span.layer, span.label, span.severity, span.attrs)
    if paragraph is None:
        raise SpanError("a span must lie inside one paragraph")
    return span, document, paragraph, attrs, twin


def validated_span(session: Session, project: Project, group: Group, data: dict):
    """Check a new span against the group's text and the project's labels.

    :param data: the fields of ``SpanCreate``.
    :returns: the parsed span, its document, its paragraph and its checked attributes.
    :raises SpanError: on any bad input, with a message for the person.
    """
    return _checked_new_span(session, project, group, data, None)[:4]


def create(session: Session, project: Project, group: Group, user_id: int, data: dict) -> Annotation:
    """Create a span for ``user_id``.

    :param data: the fields of ``SpanCreate``.
    :returns: the new annotation, in the session (written; the caller commits).
    :raises SpanError: on any bad input, with a message for the person.
    """
    return session.get(Annotation, create_in_paragraph(session, project, group, user_id, data)[0].id)


def create_in_paragraph(session: Session, project: Project, group: Group, user_id: int,
                        data: dict) -> tuple[StoredSpan, ParagraphBounds, DocumentText]:
    """Create a span for ``user_id``, like :func:`create`, without an ORM object (the save of the group page).

    :returns: the new span as stored, and the paragraph and document it was checked against (a save's answer
        re-renders that paragraph without reading it again).
    :raises SpanError: on any bad input, with a message for the person.
    """
    span, document, paragraph, attrs, twin = _checked_new_span(session, project, group, data, user_id)
    if twin is not None:
        raise SpanError(f"you already have this {span.label} span here", 409)
    now = utcnow()
    stored = span_store.insert_span(
        session, document_id=document.id, segment_id=paragraph.id, char_start=span.char_start,
        char_end=span.char_end, surface=span.surface, layer=span.layer, label=span.label, attrs=attrs,
        concept_id=None, counterpart_id=None, annotator_id=user_id, decided_by_id=None, decision=None,
        source_annotators=None, origin="human", status="accepted", version=1, deleted_at=None, created_at=now,
        updated_at=now,
    )
    span_store.log_event(session, user_id, group.id, "annotation.create", stored, None, snapshot(stored), now)
    return stored, paragraph, document


def own_span(session: Session, group: Group, user_id: int,
             annotation_id: int) -> tuple[StoredSpan, ParagraphBounds, DocumentText]:
    """Return the user's live span in this group, with its paragraph and document (one statement).

    :raises SpanError: 404 when it does not exist, is someone else's or is deleted.
    """
    found = span_store.span_with_place(session, annotation_id)
    if found is not None:
        span, paragraph, document = found
        if (document.group_id == group.id and span.annotator_id == user_id and span.deleted_at is None
                and span.status == "accepted"):
            return found
    raise SpanError(f"no span {annotation_id} of yours in this group", 404)


def own_annotation(session: Session, group: Group, user_id: int, annotation_id: int) -> Annotation:
    """Return the user's live annotation in this group.

    :raises SpanError: 404 when it does not exist, is someone else's or is deleted.
    """
    annotation = session.get(Annotation, annotation_id)
    if annotation is not None:
        document = session.get(Document, annotation.document_id)
        if (document.group_id == group.id and annotation.annotator_id == user_id and annotation.deleted_at is None
                and annotation.status == "accepted"):
            return annotation
    raise SpanError(f"no span {annotation_id} of yours in this group", 404)


def _check_version(annotation: StoredSpan, version: int) -> None:
    if annotation.version != version:
        raise Conflict("this span was changed elsewhere since you opened it; here is its current state",
                       annotation)


def _write(session: Session, current: StoredSpan, **changes) -> StoredSpan:
    """Write a change read from ``current``; a save that changed the span in between wins (409 for this one)."""
    written = span_store.update_span(session, current, **changes)
    if written is None:
        now = span_store.span_with_place(session, current.id)
        raise Conflict("this span was changed elsewhere since you opened it; here is its current state",
                       now[0] if now else current)
    return written


def update(session: Session, project: Project, group: Group, user_id: int, annotation_id: int,
           data: dict) -> Annotation:
    """Change a span's label, attributes, concept or counterpart.

    :returns: the annotation as now stored, in the session.
    :raises Conflict: when ``version`` is not the span's current version.
    :raises SpanError: on bad input.
    """
    return session.get(Annotation, update_in_paragraph(session, project, group, user_id, annotation_id, data)[0].id)


def update_in_paragraph(session: Session, project: Project, group: Group, user_id: int, annotation_id: int,
                        data: dict) -> tuple[StoredSpan, ParagraphBounds, DocumentText]:
    """Change a span, like :func:`update`, without an ORM object (the save of the group page).

    :returns: the span as now stored, and its paragraph and document (what the save's answer re-renders).
    """
    changes = parse(SpanUpdate, data)
    annotation, paragraph, document = own_span(session, group, user_id, annotation_id)
    _check_version(annotation, changes.version)
    label = changes.label or annotation.label
    attrs = dict(annotation.attrs if changes.attrs is None else changes.attrs)
    if changes.attrs is not None and annotation.layer == "error" and "severity" not in attrs:
        attrs["severity"] = annotation.attrs.get("severity")
    attrs = _check_label(project, annotation.layer, label, changes.severity, attrs) \
        if annotation.layer == "error" else _check_label(project, annotation.layer, label, None, attrs)
    concept_id, counterpart_id = annotation.concept_id, annotation.counterpart_id
    if changes.clear_concept:
        concept_id = None
    elif changes.concept_id is not None:
        concept = session.get(Concept, changes.concept_id)
        if concept is None or concept.project_id != project.id:
            raise SpanError(f"no concept {changes.concept_id} in this project", 404)
        if annotation.layer == "error":
            raise SpanError("translation errors are not linked to concepts; use a counterpart")
        if concept.kind != annotation.layer:
            raise SpanError(f"a {annotation.layer} cannot be linked to a {concept.kind} concept")
        concept_id = concept.id
    if changes.clear_counterpart:
        counterpart_id = None
    elif changes.counterpart_id is not None:
        counterpart = session.get(Annotation, changes.counterpart_id)
        if counterpart is None or counterpart.deleted_at is not None or counterpart.annotator_id != user_id:
            raise SpanError(f"no span {changes.counterpart_id} of yours to point at", 404)
        other = session.get(Document, counterpart.document_id)
        if other.group_id != group.id or other.id == annotation.document_id:
            raise SpanError("a counterpart is a span in another document of the same group")
        counterpart_id = counterpart.id
    now = utcnow()
    written = _write(session, annotation, label=label, attrs=attrs, concept_id=concept_id,
                     counterpart_id=counterpart_id, version=annotation.version + 1, updated_at=now)
    span_store.log_event(session, user_id, group.id, "annotation.update", written, snapshot(annotation),
                         snapshot(written), now)
    return written, paragraph, document


def delete(session: Session, group: Group, user_id: int, annotation_id: int, version: int) -> Annotation:
    """Delete a span (kept as deleted, so that undo can bring it back).

    :returns: the annotation as now stored, in the session.
    :raises Conflict: on a stale version.
    """
    return session.get(Annotation, delete_in_paragraph(session, group, user_id, annotation_id, version)[0].id)


def delete_in_paragraph(session: Session, group: Group, user_id: int, annotation_id: int,
                        version: int) -> tuple[StoredSpan, ParagraphBounds, DocumentText]:
    """Delete a span, like :func:`delete`, without an ORM object (the save of the group page).

    :returns: the span as now stored, and its paragraph and document (what the save's answer re-renders).
    """
    annotation, paragraph, document = own_span(session, group, user_id, annotation_id)
    _check_version(annotation, version)
    now = utcnow()
    written = _write(session, annotation, deleted_at=now, version=annotation.version + 1)
    span_store.log_event(session, user_id, group.id, "annotation.delete", written, snapshot(annotation),
                         snapshot(written), now)
    return written, paragraph, document


def _restore(annotation: Annotation, state: dict | None) -> None:
    """Put a span back into a state recorded in an event (None: as if never created)."""
    if state is None or state.get("deleted"):
        annotation.deleted_at = annotation.deleted_at or datetime.now(timezone.utc)
    else:
        annotation.deleted_at = None
        for name in EDITABLE:
            setattr(annotation, name, state[name])
    annotation.version += 1
    annotation.updated_at = datetime.now(timezone.utc)


def _check_still_a_label(session: Session, group: Group, annotation: Annotation) -> None:
    """Refuse to bring back a span whose label the project has removed since (it would mean nothing)."""
    if annotation.deleted_at is not None:
        return
    project = session.get(Project, group.project_id)
    if annotation.label not in project.label_schema.get(annotation.layer, {}).get("labels", []):
        raise SpanError(f"{annotation.label!r} was removed from this project's {annotation.layer} labels, "
                        "so this change cannot be brought back", 409)


def _history(session: Session, user_id: int, group_id: int) -> list[Event]:
    return list(session.exec(
        select(Event).where(Event.user_id == user_id, Event.group_id == group_id, Event.action.in_(UNDOABLE))
        .order_by(Event.id)
    ))


def undo(session: Session, group: Group, user_id: int) -> Annotation | None:
    """Revert the user's last change in this group that is not undone yet.

    :returns: the span it changed, or None when there is nothing to undo.
    """
    events = [event for event in _history(session, user_id, group.id) if not event.undone]
    if not events:
        return None
    return _replay(session, group, events[-1], undo=True)


def redo(session: Session, group: Group, user_id: int) -> Annotation | None:
    """Apply again the oldest change undone since the user's last new change.

    :returns: the span it changed, or None when there is nothing to redo.
    """
    events = _history(session, user_id, group.id)
    last_active = max((event.id for event in events if not event.undone), default=0)
    candidates = [event for event in events if event.undone and event.id > last_active]
    if not candidates:
        return None
    return _replay(session, group, candidates[0], undo=False)


def _replay(session: Session, group: Group, event: Event, undo: bool) -> Annotation:
    """Put the event's span back as it was before it (undo) or after it (redo)."""
    annotation = session.get(Annotation, event.object_id)
    _restore(annotation, event.before if undo else event.after)
    _check_still_a_label(session, group, annotation)
    event.undone = undo
    session.add_all([annotation, event])
    session.flush()
    return annotation


def spans_for(session: Session, document_ids: list[int], user_id: int, segment_ids: list[int] | None = None):
    """Return the user's live spans in these documents (optionally only in these paragraphs); suggestions the
    user rejected are not spans."""
    query = select(Annotation).where(
        Annotation.document_id.in_(document_ids), Annotation.annotator_id == user_id,
        Annotation.deleted_at == None, Annotation.status == "accepted",  # noqa: E711 (SQL NULL test)
    )
    if segment_ids is not None:
        query = query.where(Annotation.segment_id.in_(segment_ids))
    return list(session.exec(query.order_by(Annotation.char_start, Annotation.id)))


def search_concepts(session: Session, project: Project, kind: str | None, query: str, limit: int = 12):
    """Concepts of the project whose name or knowledge-base id contains ``query`` (case-insensitive)."""
    from sqlalchemy import func

    condition = Concept.project_id == project.id
    if kind in ("entity", "claim"):
        condition = condition & (Concept.kind == kind)
    if query:
        needle = query.lower()  # autoescape: % and _ are text, and a backslash is no escape on PostgreSQL either
        condition = condition & (func.lower(Concept.name).contains(needle, autoescape=True)
                                 | func.lower(func.coalesce(Concept.kb_id, "")).contains(needle, autoescape=True))
    return list(session.exec(select(Concept).where(condition).order_by(Concept.name).limit(limit)))


def create_concept(session: Session, project: Project, kind: str, name: str, kb_id: str | None) -> Concept:
    """Create a concept.

    :raises SpanError: on an empty name, a bad kind or an overlong field.
    """
    name = name.strip()
    if kind not in ("entity", "claim"):
        raise SpanError("a concept is an entity or a claim")
    if not name or len(name) > 300:
        raise SpanError("a concept needs a name of 1 to 300 characters")
    kb_id = (kb_id or "").strip() or None
    if kb_id and len(kb_id) > 100:
        raise SpanError("the knowledge-base id is limited to 100 characters")
    concept = Concept(project_id=project.id, kind=kind, name=name, kb_id=kb_id)
    session.add(concept)
    session.flush()
    return concept
