"""What the review screen shows: the group's aligned rows, each document split into one version per annotator
and the gold set's, highlighted, with every annotator's span tied to its place and the place's state.

Built in a fixed number of queries whatever the size of the group; views only render it.
"""

from dataclasses import dataclass, field

from sqlmodel import Session, select

from labeler import adjudication
from labeler.models import AlignmentMember, AlignmentRow, Annotation, Document, Group, Segment, User
from labeler.render import Run, SpanView, runs

GOLD = "gold"


@dataclass
class Version:
    who: str  # an annotator's name, or GOLD
    runs: list[Run]


@dataclass
class ReviewParagraph:
    id: int
    document_id: int
    char_start: int
    versions: list[Version]
    continued: bool = False  # it begins in a row above: shown there, and here as a pointer to it


@dataclass
class ReviewRow:
    id: int
    number: int  # 1-based, among all the group's rows
    cells: list[list[ReviewParagraph]]  # one list of paragraphs per document


@dataclass
class Grid:
    annotators: list[str]
    rows: list[ReviewRow]
    places: list[adjudication.Place]
    span_place: dict[int, tuple[str, str]] = field(default_factory=dict)  # span id → (place key, state)
    total_rows: int = 0

    @property
    def waiting(self) -> int:
        return sum(1 for place in self.places if self.state(place) in ("split", "partial"))

    def state(self, place: adjudication.Place) -> str:
        """How the place stands: rejected, decided, agreed, partial or split."""
        return "rejected" if place.rejected else place.state(set(self.annotators))


def _view(annotation: Annotation) -> SpanView:
    return SpanView(id=annotation.id, char_start=annotation.char_start, char_end=annotation.char_end,
                    layer=annotation.layer, label=annotation.label, severity=(annotation.attrs or {}).get("severity"),
                    concept_id=annotation.concept_id, status=annotation.status, origin=annotation.origin)


def grid(session: Session, group: Group, documents: list[Document], every_row: bool = False,
         row_ids: list[int] | None = None) -> Grid:
    """Build the review grid.

    :param every_row: keep rows where nobody marked anything too (default: only rows with labels or gold).
    :param row_ids: build only these rows (what a decision re-renders).
    """
    annotators = adjudication.annotators_of(session, group)
    spans = adjudication.group_spans(session, group)
    found = adjudication.places(session, group, spans)
    usernames = dict(session.exec(select(User.id, User.username)).all())
    built_grid = Grid(annotators, [], found)
    span_place = {vote.id: (place.key, built_grid.state(place))
                  for place in found for votes in place.votes.values() for vote in votes}
    by_segment: dict[tuple[int, str], list[SpanView]] = {}
    votes, gold = spans
    for annotation in votes:
        by_segment.setdefault((annotation.segment_id, usernames.get(annotation.annotator_id, "")), []).append(
            _view(annotation))
    for annotation in gold:
        if annotation.status == "accepted":
            by_segment.setdefault((annotation.segment_id, GOLD), []).append(_view(annotation))
    order = list(session.exec(select(AlignmentRow.id).where(AlignmentRow.group_id == group.id)
                              .order_by(AlignmentRow.position)))
    wanted = order if row_ids is None else [row_id for row_id in order if row_id in set(row_ids)]
    number = {row_id: index + 1 for index, row_id in enumerate(order)}
    column_of = {document.id: index for index, document in enumerate(documents)}
    built = {row_id: ReviewRow(row_id, number[row_id], [[] for _ in documents]) for row_id in wanted}
    marked = set()
    who = annotators + [GOLD]
    for row_id, segment, continued in session.exec(
            select(AlignmentMember.row_id, Segment, AlignmentMember.continued)
            .join(Segment, Segment.id == AlignmentMember.segment_id)
            .where(AlignmentMember.row_id.in_(list(built))).order_by(Segment.document_id, Segment.position)):
        index = column_of.get(segment.document_id)
        if index is None:
            continue
        if continued:
            built[row_id].cells[index].append(ReviewParagraph(segment.id, segment.document_id, segment.char_start,
                                                              [], continued=True))
            continue
        text = documents[index].text[segment.char_start:segment.char_end]
        versions = []
        for name in who:
            views = by_segment.get((segment.id, name), [])
            if views:
                marked.add(row_id)
            pieces = runs(text, segment.char_start, views)
            if name != GOLD:
                for run in pieces:
                    owner = next((span_place[span.id] for span in run.spans if span.id in span_place), None)
                    if owner:
                        run.place, run.place_state = owner
            versions.append(Version(name, pieces))
        built[row_id].cells[index].append(ReviewParagraph(segment.id, segment.document_id, segment.char_start,
                                                          versions))
    built_grid.rows = [built[row_id] for row_id in wanted if every_row or row_ids is not None or row_id in marked]
    built_grid.span_place, built_grid.total_rows = span_place, len(order)
    return built_grid


def row_of_segment(session: Session, segment_id: int) -> int | None:
    """The alignment row a paragraph begins in."""
    return session.exec(select(AlignmentMember.row_id).where(
        AlignmentMember.segment_id == segment_id, AlignmentMember.continued == False)).first()  # noqa: E712 (SQL)


def find_place(places: list[adjudication.Place], key: str) -> adjudication.Place | None:
    """The place with this key, or the place that now covers its start (a decision may have grown it)."""
    exact = next((p for p in places if p.key == key), None)
    if exact is not None:
        return exact
    try:
        document_id, layer, char_start, _ = key.split("-")
        document_id, char_start = int(document_id), int(char_start)
    except ValueError:
        return None
    return next((p for p in places if p.document_id == document_id and p.layer == layer
                 and p.char_start <= char_start < p.char_end), None)
