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


@dataclass(slots=True)
class Column:
    document_id: int
    index: int | None  # None in a save's answer, which re-renders a column's figures, not its place
    lang: str
    language: str
    role: str
    title: str
    paragraphs: int | None  # None in a save's answer: a save does not count paragraphs
    mqm: dict = field(default_factory=dict)  # penalty, words, score_per_100_words of the reader's errors


@dataclass(slots=True)
class Paragraph:
    id: int
    document_id: int
    char_start: int
    text: str
    runs: list[Run]
    continued: bool = False  # it begins in a row above and goes on in this one


@dataclass(slots=True)
class Cell:
    segments: list[Paragraph] = field(default_factory=list)


@dataclass(slots=True)
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


# Statements of the hot paths, built once: building a statement costs as much as running it (issue 8). Built on
# the tables, not the ORM classes, and run on the session's connection: rows of plain values, no ORM loading.
_ANNOTATION = Annotation.__table__.c
_SEGMENT = Segment.__table__.c
_MEMBER = AlignmentMember.__table__.c
_ROW = AlignmentRow.__table__.c
_SEVERITY = _ANNOTATION.attrs["severity"].as_string()
_ERRORS_BY_KIND = select(_ANNOTATION.document_id, _ANNOTATION.label, _SEVERITY, func.count(_ANNOTATION.id)).where(
    _ANNOTATION.document_id.in_(bindparam("document_ids", expanding=True)),
    _ANNOTATION.annotator_id == bindparam("user_id"), _ANNOTATION.layer == "error",
    _ANNOTATION.deleted_at == None, _ANNOTATION.status == "accepted",  # noqa: E711 (SQL NULL test)
).group_by(_ANNOTATION.document_id, _ANNOTATION.label, _SEVERITY)
_READER_SPANS = select(
    _ANNOTATION.id, _ANNOTATION.document_id, _ANNOTATION.segment_id, _ANNOTATION.char_start, _ANNOTATION.char_end,
    _ANNOTATION.layer, _ANNOTATION.label, _SEVERITY, _ANNOTATION.concept_id, _ANNOTATION.status,
    _ANNOTATION.origin, _ANNOTATION.annotator_id,
).where(
    _ANNOTATION.document_id.in_(bindparam("document_ids", expanding=True)),
    _ANNOTATION.segment_id.in_(bindparam("segment_ids", expanding=True)),
    _ANNOTATION.deleted_at == None,  # noqa: E711 (SQL NULL test)
    or_(_ANNOTATION.annotator_id == bindparam("user_id"),
        and_(_ANNOTATION.annotator_id == None, _ANNOTATION.status == suggestions.SUGGESTED)),  # noqa: E711
)
_ROW_FIELDS = (_ROW.id, _ROW.position, _ROW.score, _ROW.method, _ROW.status)
_ROWS_FROM_TOP = select(*_ROW_FIELDS).where(_ROW.group_id == bindparam("group_id")) \
    .order_by(_ROW.position).limit(bindparam("limit"))
_ROWS_BELOW = select(*_ROW_FIELDS) \
    .where(_ROW.group_id == bindparam("group_id"), _ROW.position > bindparam("position")) \
    .order_by(_ROW.position).limit(bindparam("limit"))
_ROWS_BY_ID = select(*_ROW_FIELDS).where(_ROW.id.in_(bindparam("row_ids", expanding=True)))
_ROW_MEMBERS = select(_MEMBER.row_id, _SEGMENT.id, _SEGMENT.document_id, _SEGMENT.char_start, _SEGMENT.char_end,
                      _MEMBER.continued) \
    .join(Segment.__table__, _SEGMENT.id == _MEMBER.segment_id) \
    .where(_MEMBER.row_id.in_(bindparam("row_ids", expanding=True))).order_by(_SEGMENT.document_id, _SEGMENT.position)


def document_mqm(session: Session, documents: list[Document], user_id: int | None,
                 weights: dict | None = None) -> dict[int, dict]:
    """Return the MQM figures of the reader's accepted errors in each document, by document id.

    One aggregate query (errors counted by document, category and severity) whatever the number of errors.

    :param user_id: the reader; None gives every document no errors.
    """
    errors: dict[int, list[tuple[str, str]]] = {d.id: [] for d in documents}
    if user_id is not None and documents:
        for document_id, label, level, count in session.connection().execute(
                _ERRORS_BY_KIND, {"document_ids": list(errors), "user_id": user_id}):
            errors[document_id] += [(label, level or "major")] * count
    return {d.id: mqm.score(errors[d.id], mqm.document_words(d.text, d.text_sha256), weights or {})
            for d in documents}


def changes(session: Session, segment_ids: list[int], user_id: int, weights: dict | None = None,
            loaded: list[tuple[Segment, Document]] = (), figures: bool = True,
            ) -> tuple[list[tuple[Paragraph, Column]], list[Column]]:
    """What a save re-renders: the changed paragraphs with their highlights, and their documents' MQM figures.

    A fixed handful of queries (issue 8): the paragraphs with their documents in one, the MQM in one aggregate,
    the highlights in the usual ones; no paragraph count, no other column.

    :param segment_ids: the changed paragraphs (ids that no longer exist are left out).
    :param loaded: paragraphs (with their current documents) the caller already holds: not read again.
    :param figures: compute the MQM figures (a save that cannot change them, of a span that is no translation
        error, leaves them out).
    :returns: ``(paragraph, its column)`` pairs in the order given, and one column per document concerned
        (none without ``figures``).
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
    scores = document_mqm(session, documents, user_id, weights) if figures else {}
    column_of = {d.id: Column(document_id=d.id, index=None, lang=d.lang, language=language_name(d.lang),
                              role=d.role, title=d.title, paragraphs=None, mqm=scores.get(d.id, {})) for d in documents}
    spans = _span_views(session, documents, user_id, [segment.id for segment, _ in pairs])
    paragraphs = []
    for segment, document in pairs:
        text = document.text[segment.char_start:segment.char_end]
        paragraphs.append((Paragraph(segment.id, document.id, segment.char_start, text,
                                     runs(text, segment.char_start, spans.get(segment.id, []))),
                           column_of[document.id]))
    return paragraphs, list(column_of.values()) if figures else []


def rows(session: Session, group: Group, documents: list[Document], after: int | None, limit: int,
         user_id: int | None = None) -> list[Row]:
    """Return up to ``limit`` aligned rows below the row ``after`` (from the top when None), with their text.

    Pages continue from a row, not from a position, so that rows inserted or removed above while a person
    scrolls neither repeat nor skip a row.
    """
    query, params = _ROWS_FROM_TOP, {"group_id": group.id, "limit": limit}
    if after is not None:
        anchor = session.get(AlignmentRow, after)
        if anchor is not None and anchor.group_id == group.id:
            query, params = _ROWS_BELOW, {**params, "position": anchor.position}
    return _with_paragraphs(session, session.connection().execute(query, params).all(), documents, user_id)


def rows_by_id(session: Session, documents: list[Document], row_ids: list[int], user_id: int | None = None) -> list[Row]:
    """Return the given rows (those that still exist) with their text."""
    if not row_ids:
        return []
    records = session.connection().execute(_ROWS_BY_ID, {"row_ids": list(row_ids)}).all()
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
    found = session.connection().execute(_READER_SPANS, {
        "document_ids": [d.id for d in documents], "segment_ids": segment_ids, "user_id": user_id}).all()
    answered = {(document_id, start, end, layer, label)
                for _, document_id, _, start, end, layer, label, _, _, _, _, annotator_id in found
                if annotator_id is not None}
    shown = []
    for span_id, document_id, segment_id, start, end, layer, label, severity, concept_id, status, origin, \
            annotator_id in found:
        if (status == "accepted" if annotator_id is not None
                else (document_id, start, end, layer, label) not in answered):
            shown.append((start, span_id, segment_id,
                          SpanView(span_id, start, end, layer, label, severity, concept_id, status, origin)))
    shown.sort(key=lambda item: item[:2])  # by start, then id
    for _, _, segment_id, view in shown:
        by_segment.setdefault(segment_id, []).append(view)
    return by_segment


def _with_paragraphs(session: Session, records, documents: list[Document], user_id: int | None = None) -> list[Row]:
    """Attach each row's paragraphs and highlights, in two queries whatever the number of rows.

    :param records: ``(id, position, score, method, status)`` of each row, in the order to show them.
    """
    column_of = {document.id: index for index, document in enumerate(documents)}
    built = {row_id: Row(id=row_id, position=position, score=score, method=method, status=status,
                         cells=[Cell() for _ in documents])
             for row_id, position, score, method, status in records}
    if built:
        # Columns, not ORM objects: a page holds hundreds of paragraphs (issue 8).
        members = session.connection().execute(_ROW_MEMBERS, {"row_ids": list(built)}).all()
        spans = _span_views(session, documents, user_id,
                            [segment_id for _, segment_id, _, _, _, continued in members if not continued])
        for row_id, segment_id, document_id, char_start, char_end, continued in members:
            index = column_of.get(document_id)
            if index is not None and continued:
                # Shown in full in the row it begins in; here, a pointer to it.
                built[row_id].cells[index].segments.append(
                    Paragraph(segment_id, document_id, char_start, "", [], continued=True))
            elif index is not None:
                text = documents[index].text[char_start:char_end]
                built[row_id].cells[index].segments.append(Paragraph(
                    segment_id, document_id, char_start, text, runs(text, char_start, spans.get(segment_id, [])),
                ))
    return list(built.values())


def row_count(session: Session, group: Group) -> int:
    return session.exec(select(func.count(AlignmentRow.id)).where(AlignmentRow.group_id == group.id)).one()


def neighbours(session: Session, group: Group, only: set[int] | None = None) -> tuple[str | None, str | None, int, int]:
    """Return the keys of the previous and next group of the project (by key, None at either end), this group's
    1-based number and the number of groups, in one statement.

    :param only: the group ids the reader may open (None: all).
    """
    same_project = Group.project_id == group.project_id
    if only is not None:
        same_project = same_project & Group.id.in_(only)
    previous = select(Group.key).where(same_project, Group.key < group.key).order_by(Group.key.desc()).limit(1)
    following = select(Group.key).where(same_project, Group.key > group.key).order_by(Group.key).limit(1)
    number = select(func.count(Group.id)).where(same_project, Group.key <= group.key)
    total = select(func.count(Group.id)).where(same_project)
    return tuple(session.exec(select(previous.scalar_subquery(), following.scalar_subquery(),
                                     number.scalar_subquery(), total.scalar_subquery())).one())
