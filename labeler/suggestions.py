"""Suggestions: spans offered to every annotator (pre-annotations from an import, later the suggesters) that
each annotator accepts (the span becomes theirs) or rejects (it is hidden for them).

A suggestion is a span of no annotator with status ``suggested``. An answer is the annotator's own row at the
same place with the same layer and label: ``accepted`` (an ordinary span of theirs) or ``rejected`` (hidden
everywhere). Both are events, so undo brings the suggestion back.
"""

from sqlmodel import Session, select

from labeler.corrections import group_row
from labeler.annotations import SpanError, _log, snapshot
from labeler.models import AlignmentMember, Annotation, Document, Group

SUGGESTED = "suggested"
# What a suggestion carries for the person deciding; an accepted error keeps the reason as its note.
SUGGESTION_ATTRS = ("reason", "score", "counterpart")


def _place(span: Annotation) -> tuple:
    return span.document_id, span.char_start, span.char_end, span.layer, span.label


def pending(session: Session, document_ids: list[int], user_id: int,
            segment_ids: list[int] | None = None) -> list[Annotation]:
    """Return the suggestions in these documents (or paragraphs) that the user has not answered yet."""
    query = select(Annotation).where(
        Annotation.document_id.in_(document_ids), Annotation.annotator_id == None,  # noqa: E711
        Annotation.status == SUGGESTED, Annotation.deleted_at == None)  # noqa: E711
    if segment_ids is not None:
        query = query.where(Annotation.segment_id.in_(segment_ids))
    offered = list(session.exec(query.order_by(Annotation.char_start, Annotation.id)))
    if not offered:
        return []
    answered_query = select(Annotation).where(
        Annotation.document_id.in_({span.document_id for span in offered}), Annotation.annotator_id == user_id,
        Annotation.deleted_at == None)  # noqa: E711
    if segment_ids is not None:
        answered_query = answered_query.where(Annotation.segment_id.in_(segment_ids))
    answered = {_place(span) for span in session.exec(answered_query)}
    return [span for span in offered if _place(span) not in answered]


def _kept_attrs(suggestion: Annotation) -> dict:
    attrs = {k: v for k, v in (suggestion.attrs or {}).items() if k not in SUGGESTION_ATTRS}
    reason = (suggestion.attrs or {}).get("reason")
    if reason and suggestion.layer == "error":
        attrs.setdefault("note", reason)
    return attrs


def answer(session: Session, group: Group, user_id: int, suggestion_id: int, accept: bool) -> Annotation:
    """Accept or reject a suggestion for the user.

    :returns: the user's new row (accepted: their span; rejected: the record that hides it).
    :raises SpanError: 404 when it is not a suggestion of this group, 409 when already answered.
    """
    suggestion = session.get(Annotation, suggestion_id)
    document = session.get(Document, suggestion.document_id) if suggestion is not None else None
    if (suggestion is None or suggestion.annotator_id is not None or suggestion.status != SUGGESTED
            or suggestion.deleted_at is not None or document.group_id != group.id):
        raise SpanError(f"no suggestion {suggestion_id} in this group", 404)
    if suggestion not in pending(session, [document.id], user_id, [suggestion.segment_id]):
        raise SpanError("you already answered this suggestion", 409)
    own = Annotation(
        document_id=suggestion.document_id, segment_id=suggestion.segment_id, char_start=suggestion.char_start,
        char_end=suggestion.char_end, surface=suggestion.surface, layer=suggestion.layer, label=suggestion.label,
        attrs=_kept_attrs(suggestion), concept_id=suggestion.concept_id, annotator_id=user_id,
        origin=suggestion.origin, status="accepted" if accept else "rejected",
    )
    session.add(own)
    session.flush()
    _log(session, user_id, group.id, "annotation.accept" if accept else "annotation.reject", own, None, snapshot(own))
    return own


def accept_row(session: Session, group: Group, user_id: int, row_id: int) -> list[Annotation]:
    """Accept every suggestion the user has not answered in one alignment row.

    :raises AlignmentError: when the row is not in this group.
    """
    return [answer(session, group, user_id, offered.id, True)
            for offered in pending_in_row(session, group, user_id, row_id)]


def pending_in_row(session: Session, group: Group, user_id: int, row_id: int) -> list[Annotation]:
    """The suggestions of one alignment row that the user has not answered (what its "accept all" counts).

    :raises AlignmentError: when the row is not in this group.
    """
    row = group_row(session, group.id, row_id)
    # The paragraphs the row shows: one that continues from a row above is shown (and answered) there.
    segment_ids = list(session.exec(select(AlignmentMember.segment_id).where(
        AlignmentMember.row_id == row.id, AlignmentMember.continued == False)))  # noqa: E712 (SQL)
    document_ids = list(session.exec(select(Document.id).where(Document.group_id == group.id)))
    return pending(session, document_ids, user_id, segment_ids)
