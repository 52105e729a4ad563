"""What the reading screens show: project and group lists with counts, and a group's aligned rows.

One function builds the data for each screen; views render it (and a later API can serialise it).
"""

from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam, func, or_
from sqlmodel import Session, select

from labeler import mqm, suggestions
from labeler.alignment import current_documents
from labeler.models import AlignmentMember, AlignmentRow, Annotation, Document, Group, Project, Segment
from labeler.render import Run, SpanView, runs
from labeler.text.langid import language_name

WEAK_ROW_SCORE = 0.5
GROUPS_PER_PAGE = 50


@dataclass
class Column:
    document_id: int
    index: int | None  # None in a save's answer, which re-renders a column's figures, not its place
    lang: str
    language: str
    role: str
    title: str
    paragraphs: int | None  # None in a save's answer: a save does not count paragraphs
    mqm: dict = field(default_factory=dict)  # penalty, words, score_per_100_words of the reader's errors


@dataclass
class Paragraph:
    id: int
    document_id: int
    char_start: int
    text: str
    runs: list[Run]


@dataclass
class Cell:
    segments: list[Paragraph] = field(default_factory=list)


@dataclass
class Row:
    id: int
    position: int
    score: float
    method: str
    status: str
    cells: list[Cell]

    @property
    def suggestions(self) -> int:
        """How many suggestions in this row the reader has not answered."""
        return len({span.id for cell in self.cells for paragraph in cell.segments for run in paragraph.runs
                    for span in run.spans if span.status == "suggested"})

    @property
    def alone(self) -> bool:
        """Only one document has paragraphs here: nothing to align it with (yet)."""
        return sum(1 for cell in self.cells if cell.segments) == 1

    @property
    def weak(self) -> bool:
        return self.status != "confirmed" and not self.alone and self.score < WEAK_ROW_SCORE


def project_summaries(session: Session) -> list[dict]:
    """Return every project with its group, document and label counts and its last activity."""
    groups = dict(session.exec(select(Group.project_id, func.count(Group.id)).group_by(Group.project_id)).all())
    documents = dict(session.exec(
        select(Group.project_id, func.count(Document.id))
        .join(Document, Document.group_id == Group.id)
        .where(Document.superseded == False)  # noqa: E712
        .group_by(Group.project_id)
    ).all())
    labels = dict(session.exec(
        select(Group.project_id, func.count(Annotation.id))
        .join(Document, Document.group_id == Group.id)
        .join(Annotation, Annotation.document_id == Document.id)
        .where(Annotation.deleted_at == None)  # noqa: E711
        .group_by(Group.project_id)
    ).all())
    languages: dict[int, set[str]] = {}
    for project_id, lang in session.exec(
        select(Group.project_id, Document.lang).join(Document, Document.group_id == Group.id).distinct()
    ):
        languages.setdefault(project_id, set()).add(lang)
    return [
        {"project": project, "groups": groups.get(project.id, 0), "documents": documents.get(project.id, 0),
         "labels": labels.get(project.id, 0), "languages": sorted(languages.get(project.id, ()))}
        for project in session.exec(select(Project).order_by(Project.name))
    ]


def group_summaries(session: Session, project: Project, query: str = "", page: int = 1,
                    per_page: int = GROUPS_PER_PAGE, only: set[int] | None = None) -> tuple[list[dict], int]:
    """Return one page of the project's groups with their languages and paragraph counts, and the match count.

    :param query: keeps groups whose key or name contains it (case-insensitive).
    :param page: 1-based page of ``per_page`` groups.
    :param only: keeps only these group ids (what an annotator may see); None keeps all.
    """
    condition = Group.project_id == project.id
    if only is not None:
        condition = condition & Group.id.in_(only)
    if query:
        needle = query.lower()  # autoescape: % and _ are text, and a backslash is no escape on PostgreSQL either
        condition = condition & (func.lower(Group.key).contains(needle, autoescape=True)
                                 | func.lower(Group.name).contains(needle, autoescape=True))
    total = session.exec(select(func.count(Group.id)).where(condition)).one()
    groups = list(session.exec(
        select(Group).where(condition).order_by(Group.key).offset((page - 1) * per_page).limit(per_page)
    ))
    ids = [group.id for group in groups]
    docs: dict[int, list[dict]] = {group_id: [] for group_id in ids}
    for group_id, origin, lang, role, paragraphs in session.exec(
        select(Document.group_id, Document.origin, Document.lang, Document.role, func.count(Segment.id))
        .join(Segment, Segment.document_id == Document.id)
        .where(Document.group_id.in_(ids), Document.superseded == False)  # noqa: E712
        .group_by(Document.id).order_by(Document.group_id, Document.position, Document.id)
    ):
        docs[group_id].append({"doc_id": origin, "lang": lang, "role": role, "paragraphs": paragraphs})
    rows = dict(session.exec(
        select(AlignmentRow.group_id, func.count(AlignmentRow.id)).where(AlignmentRow.group_id.in_(ids))
        .group_by(AlignmentRow.group_id)
    ).all())
    confirmed = dict(session.exec(
        select(AlignmentRow.group_id, func.count(AlignmentRow.id))
        .where(AlignmentRow.group_id.in_(ids), AlignmentRow.status == "confirmed")
        .group_by(AlignmentRow.group_id)
    ).all())
    return [
        {"group": group, "documents": docs[group.id], "rows": rows.get(group.id, 0),
         "confirmed": confirmed.get(group.id, 0)}
        for group in groups
    ], total


def columns(session: Session, group: Group, user_id: int | None = None, weights: dict | None = None,
            only: set[int] | None = None) -> tuple[list[Column], list[Document]]:
    """Return the group's columns (one per current document, with the reader's MQM) and the documents.

    :param only: build just the columns of these document ids.
    """
    documents = current_documents(session, group.id)
    chosen = [(index, d) for index, d in enumerate(documents) if only is None or d.id in only]
    ids = [d.id for _, d in chosen]
    counts = dict(session.exec(
        select(Segment.document_id, func.count(Segment.id)).where(Segment.document_id.in_(ids))
        .group_by(Segment.document_id)
    ).all())
    figures = document_mqm(session, [d for _, d in chosen], user_id, weights)
    return [
        Column(document_id=d.id, index=index, lang=d.lang, language=language_name(d.lang), role=d.role,
               title=d.title, paragraphs=counts.get(d.id, 0), mqm=figures[d.id])
        for index, d in chosen
    ], documents


# Statements of the hot paths, built once: building a statement costs as much as running it (issue 8).
_SEVERITY = Annotation.attrs["severity"].as_string()
_ERRORS_BY_KIND = select(Annotation.document_id, Annotation.label, _SEVERITY, func.count(Annotation.id)).where(
    Annotation.document_id.in_(bindparam("document_ids", expanding=True)),
    Annotation.annotator_id == bindparam("user_id"), Annotation.layer == "error",
    Annotation.deleted_at == None, Annotation.status == "accepted",  # noqa: E711 (SQL NULL test)
).group_by(Annotation.document_id, Annotation.label, _SEVERITY)
_READER_SPANS = select(
    Annotation.id, Annotation.document_id, Annotation.segment_id, Annotation.char_start, Annotation.char_end,
    Annotation.layer, Annotation.label, Annotation.attrs, Annotation.concept_id, Annotation.status,
    Annotation.origin, Annotation.annotator_id,
).where(
    Annotation.document_id.in_(bindparam("document_ids", expanding=True)),
    Annotation.segment_id.in_(bindparam("segment_ids", expanding=True)),
    Annotation.deleted_at == None,  # noqa: E711 (SQL NULL test)
    or_(Annotation.annotator_id == bindparam("user_id"),
        and_(Annotation.annotator_id == None, Annotation.status == suggestions.SUGGESTED)),  # noqa: E711
)


def document_mqm(session: Session, documents: list[Document], user_id: int | None,
                 weights: dict | None = None) -> dict[int, dict]:
    """Return the MQM figures of the reader's accepted errors in each document, by document id.

    One aggregate query (errors counted by document, category and severity) whatever the number of errors.

    :param user_id: the reader; None gives every document no errors.
    """
    errors: dict[int, list[tuple[str, str]]] = {d.id: [] for d in documents}
    if user_id is not None and documents:
        for document_id, label, level, count in session.exec(
                _ERRORS_BY_KIND, params={"document_ids": list(errors), "user_id": user_id}):
            errors[document_id] += [(label, level or "major")] * count
    return {d.id: mqm.score(errors[d.id], mqm.document_words(d.text, d.text_sha256), weights or {})
            for d in documents}


def changes(session: Session, segment_ids: list[int], user_id: int, weights: dict | None = None,
            loaded: list[tuple[Segment, Document]] = ()) -> tuple[list[tuple[Paragraph, Column]], list[Column]]:
    """What a save re-renders: the changed paragraphs with their highlights, and their documents' MQM figures.

    A fixed handful of queries (issue 8): the paragraphs with their documents in one, the MQM in one aggregate,
    the highlights in the usual ones; no paragraph count, no other column.

    :param segment_ids: the changed paragraphs (ids that no longer exist are left out).
    :param loaded: paragraphs (with their current documents) the caller already holds: not read again.
    :returns: ``(paragraph, its column)`` pairs in the order given, and one column per document concerned.
    """
    if not segment_ids:
        return [], []
    found = {segment.id: (segment, document) for segment, document in loaded}
    missing = [segment_id for segment_id in segment_ids if segment_id not in found]
    if missing:
        found.update((segment.id, (segment, document)) for segment, document in session.exec(
            select(Segment, Document).join(Document, Document.id == Segment.document_id)
            .where(Segment.id.in_(missing), Document.superseded == False)  # noqa: E712
        ))
    pairs = [found[segment_id] for segment_id in dict.fromkeys(segment_ids) if segment_id in found]
    documents = list({document.id: document for _, document in pairs}.values())
    figures = document_mqm(session, documents, user_id, weights)
    column_of = {d.id: Column(document_id=d.id, index=None, lang=d.lang, language=language_name(d.lang),
                              role=d.role, title=d.title, paragraphs=None, mqm=figures[d.id]) for d in documents}
    spans = _span_views(session, documents, user_id, [segment.id for segment, _ in pairs])
    paragraphs = []
    for segment, document in pairs:
        text = document.text[segment.char_start:segment.char_end]
        paragraphs.append((Paragraph(segment.id, document.id, segment.char_start, text,
                                     runs(text, segment.char_start, spans.get(segment.id, []))),
                           column_of[document.id]))
    return paragraphs, list(column_of.values())


def rows(session: Session, group: Group, documents: list[Document], after: int | None, limit: int,
         user_id: int | None = None) -> list[Row]:
    """Return up to ``limit`` aligned rows below the row ``after`` (from the top when None), with their text.

    Pages continue from a row, not from a position, so that rows inserted or removed above while a person
    scrolls neither repeat nor skip a row.
    """
    query = select(AlignmentRow).where(AlignmentRow.group_id == group.id)
    if after is not None:
        anchor = session.get(AlignmentRow, after)
        if anchor is not None and anchor.group_id == group.id:
            query = query.where(AlignmentRow.position > anchor.position)
    records = list(session.exec(query.order_by(AlignmentRow.position).limit(limit)))
    return _with_paragraphs(session, records, documents, user_id)


def rows_by_id(session: Session, documents: list[Document], row_ids: list[int], user_id: int | None = None) -> list[Row]:
    """Return the given rows (those that still exist) with their text."""
    if not row_ids:
        return []
    records = list(session.exec(select(AlignmentRow).where(AlignmentRow.id.in_(row_ids))))
    return _with_paragraphs(session, records, documents, user_id)


def _span_views(session: Session, documents: list[Document], user_id: int | None,
                segment_ids: list[int]) -> dict[int, list[SpanView]]:
    """The reader's spans in these paragraphs, by paragraph."""
    by_segment: dict[int, list[SpanView]] = {}
    if user_id is None or not segment_ids:
        return by_segment
    # One query for the reader's spans and the suggestions, reading columns rather than building ORM objects
    # (issue 8: the group page and every save run it). It keeps what annotations.spans_for and
    # suggestions.pending would: the reader's accepted spans, and the suggestions the reader has not answered
    # (answered: the reader has a live span, accepted or rejected, at the same place with the same label).
    found = session.exec(_READER_SPANS, params={
        "document_ids": [d.id for d in documents], "segment_ids": segment_ids, "user_id": user_id}).all()
    answered = {(a.document_id, a.char_start, a.char_end, a.layer, a.label) for a in found
                if a.annotator_id is not None}
    shown = [a for a in found if (a.status == "accepted" if a.annotator_id is not None else
                                  (a.document_id, a.char_start, a.char_end, a.layer, a.label) not in answered)]
    for annotation in sorted(shown, key=lambda a: (a.char_start, a.id)):
        by_segment.setdefault(annotation.segment_id, []).append(SpanView(
            id=annotation.id, char_start=annotation.char_start, char_end=annotation.char_end,
            layer=annotation.layer, label=annotation.label, severity=(annotation.attrs or {}).get("severity"),
            concept_id=annotation.concept_id, status=annotation.status, origin=annotation.origin,
        ))
    return by_segment


def _with_paragraphs(session: Session, records: list[AlignmentRow], documents: list[Document],
                     user_id: int | None = None) -> list[Row]:
    """Attach each row's paragraphs and highlights, in two queries whatever the number of rows."""
    column_of = {document.id: index for index, document in enumerate(documents)}
    built = {record.id: Row(id=record.id, position=record.position, score=record.score, method=record.method,
                            status=record.status, cells=[Cell() for _ in documents]) for record in records}
    if records:
        # Columns, not ORM objects: a page holds hundreds of paragraphs (issue 8).
        members = session.exec(
            select(AlignmentMember.row_id, Segment.id, Segment.document_id, Segment.char_start, Segment.char_end)
            .join(Segment, Segment.id == AlignmentMember.segment_id)
            .where(AlignmentMember.row_id.in_(list(built))).order_by(Segment.document_id, Segment.position)
        ).all()
        spans = _span_views(session, documents, user_id, [segment_id for _, segment_id, *_ in members])
        for row_id, segment_id, document_id, char_start, char_end in members:
            index = column_of.get(document_id)
            if index is not None:
                text = documents[index].text[char_start:char_end]
                built[row_id].cells[index].segments.append(Paragraph(
                    segment_id, document_id, char_start, text, runs(text, char_start, spans.get(segment_id, [])),
                ))
    return [built[record.id] for record in records]


def row_members(session: Session, row_ids: list[int]) -> list[tuple[int, Segment]]:
    """The paragraphs of these rows as ``(row id, paragraph)``, in document order."""
    return list(session.exec(
        select(AlignmentMember.row_id, Segment).join(Segment, Segment.id == AlignmentMember.segment_id)
        .where(AlignmentMember.row_id.in_(row_ids)).order_by(Segment.document_id, Segment.position)
    ))


def row_count(session: Session, group: Group) -> int:
    return session.exec(select(func.count(AlignmentRow.id)).where(AlignmentRow.group_id == group.id)).one()


def neighbours(session: Session, group: Group, only: set[int] | None = None) -> tuple[Group | None, Group | None, int, int]:
    """Return the previous and next group of the project (by key), this group's 1-based number and the total.

    :param only: the group ids the reader may open (None: all).
    """
    same_project = Group.project_id == group.project_id
    if only is not None:
        same_project = same_project & Group.id.in_(only)
    previous = session.exec(
        select(Group).where(same_project, Group.key < group.key).order_by(Group.key.desc()).limit(1)
    ).first()
    following = session.exec(
        select(Group).where(same_project, Group.key > group.key).order_by(Group.key).limit(1)
    ).first()
    number = session.exec(select(func.count(Group.id)).where(same_project, Group.key <= group.key)).one()
    total = session.exec(select(func.count(Group.id)).where(same_project)).one()
    return previous, following, number, total
