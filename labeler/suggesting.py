"""Run the suggesters on stored groups and keep what they find as suggestions (see ``suggestions.py``)."""

from sqlmodel import Session, select

from labeler.alignment import current_documents
from labeler.annotations import _segment_of
from labeler.models import AlignmentMember, AlignmentRow, Annotation, Group, Project, Segment
from labeler.suggesters import SUGGESTERS, GroupText, Label, suggest
from labeler.suggestions import SUGGESTED


def group_text(session: Session, group: Group) -> tuple[GroupText, list]:
    """Load a group as the suggesters see it: texts, paragraphs, rows and every live label."""
    documents = current_documents(session, group.id)
    index = {document.id: i for i, document in enumerate(documents)}
    segments: dict[int, list[Segment]] = {document.id: [] for document in documents}
    for segment in session.exec(select(Segment).where(Segment.document_id.in_(list(index))).order_by(Segment.position)):
        segments[segment.document_id].append(segment)
    place = {s.id: (index[d], i) for d, segs in segments.items() for i, s in enumerate(segs)}
    rows: dict[int, list[list[int]]] = {}
    for row_id, segment_id in session.exec(
        select(AlignmentMember.row_id, AlignmentMember.segment_id).join(AlignmentRow)
        .where(AlignmentRow.group_id == group.id).order_by(AlignmentRow.position)
    ):
        if segment_id in place:
            doc, i = place[segment_id]
            rows.setdefault(row_id, [[] for _ in documents])[doc].append(i)
    labels = [
        Label(index[a.document_id], a.char_start, a.char_end, a.layer, a.label,
              str(a.concept_id) if a.concept_id else None, a.attrs or {})
        for a in session.exec(select(Annotation).where(
            Annotation.document_id.in_(list(index)), Annotation.deleted_at == None,  # noqa: E711
            Annotation.status == "accepted"))
    ]
    text = GroupText([d.text for d in documents], [d.lang for d in documents], [d.role for d in documents],
                     [[(s.char_start, s.char_end) for s in segments[d.id]] for d in documents],
                     [cells for cells in rows.values()], labels)
    return text, documents


def run(session: Session, project: Project, groups: list[Group], which: tuple[str, ...] = tuple(SUGGESTERS)) -> list[dict]:
    """Run the suggesters on the groups and store new suggestions (a place already suggested is skipped).

    :returns: one dict per suggestion found (new or not): group, doc_id, lang, char_start, char_end, surface,
        layer, label, reason, score, and whether it was ``new``.
    """
    labels = project.label_schema
    out = []
    for group in groups:
        text, documents = group_text(session, group)
        existing = {(a.document_id, a.char_start, a.char_end, a.layer, a.label) for a in session.exec(
            select(Annotation).where(Annotation.document_id.in_([d.id for d in documents]),
                                     Annotation.annotator_id == None, Annotation.status == SUGGESTED))}  # noqa: E711
        for found in suggest(text, which):
            if found.label not in labels.get(found.layer, {}).get("labels", []):
                continue  # a project without this label does not want this suggestion
            document = documents[found.doc]
            key = (document.id, found.char_start, found.char_end, found.layer, found.label)
            attrs = {"reason": found.reason, "score": found.score}
            if found.severity:
                attrs["severity"] = found.severity
            if found.counterpart:
                other, start, end = found.counterpart
                attrs["counterpart"] = {"doc_id": documents[other].origin, "lang": documents[other].lang,
                                        "char_start": start, "char_end": end, "surface": documents[other].text[start:end]}
            new = key not in existing
            if new:
                segment = _segment_of(session, document, found.char_start, found.char_end)
                session.add(Annotation(
                    document_id=document.id, segment_id=segment.id, char_start=found.char_start,
                    char_end=found.char_end, surface=found.surface, layer=found.layer, label=found.label, attrs=attrs,
                    concept_id=int(found.concept) if found.concept else None, annotator_id=None,
                    origin=f"suggestion:{found.suggester}", status=SUGGESTED))
                existing.add(key)
            out.append({"group": group.key, "doc_id": document.origin, "lang": document.lang,
                        "char_start": found.char_start, "char_end": found.char_end, "surface": found.surface,
                        "layer": found.layer, "label": found.label, "reason": found.reason, "score": found.score,
                        "suggester": found.suggester, "new": new})
    session.flush()
    return out
