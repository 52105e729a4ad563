"""Adjudication: turning the annotators' labels into the gold set.

A *place* is a stretch of one document in one layer where annotators marked something: their spans there
overlap one another (Norvale / Norvale Engineering is one place, not two). Where every annotator of a group
marked a place exactly alike (same spans, labels and severities), the gold set gets it in advance
(``decision = "unanimous"``). Elsewhere a reviewer decides: accept one annotator's version of the place,
reject the place (a gold row with status ``rejected`` records that it was looked at), or write a gold span of
their own, with a label or offsets no annotator chose (``decision = "edited"``). Each gold span records who
decided.
"""

from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlmodel import Session, select

from labeler.annotations import SpanError, _log, snapshot, validated_span
from labeler.models import Annotation, Assignment, Document, Group, Project, User

REVIEWERS = ("admin", "reviewer")
GOLD_STATUSES = ("accepted", "rejected")


@dataclass
class Place:
    document_id: int
    layer: str
    char_start: int  # the extent of every vote (code points)
    char_end: int
    surface: str
    votes: dict[str, list[Annotation]] = field(default_factory=dict)  # annotator name → their spans here
    gold: list[Annotation] = field(default_factory=list)  # live gold rows overlapping the place

    @property
    def key(self) -> str:
        return f"{self.document_id}-{self.layer}-{self.char_start}-{self.char_end}"

    @property
    def agreed(self) -> bool:
        """Every annotator who marked the place marked the same spans with the same labels."""
        return len({_version(spans) for spans in self.votes.values()}) == 1

    @property
    def decided(self) -> bool:
        return bool(self.gold)

    @property
    def rejected(self) -> bool:
        return bool(self.gold) and all(g.status == "rejected" for g in self.gold)

    def chose(self, name: str) -> bool:
        """The gold set holds exactly this annotator's version of the place."""
        accepted = [g for g in self.gold if g.status == "accepted"]
        return bool(accepted) and _version(accepted) == _version(self.votes.get(name, []))

    def state(self, everyone: set[str]) -> str:
        """``decided``, ``agreed``, ``partial`` (same labels, not everyone marked it) or ``split`` (they differ)."""
        if self.decided:
            return "decided"
        if not self.agreed:
            return "split"
        return "agreed" if set(self.votes) == everyone else "partial"


def _version(spans: list[Annotation]) -> frozenset:
    return frozenset((a.char_start, a.char_end, a.label, (a.attrs or {}).get("severity")) for a in spans)


def annotators_of(session: Session, group: Group) -> list[str]:
    """Who works on the group: its assignees, and anyone with a label in it."""
    assigned = set(session.exec(select(User.username).join(Assignment, Assignment.user_id == User.id)
                                .where(Assignment.group_id == group.id)))
    labelled = set(session.exec(select(User.username).join(Annotation, Annotation.annotator_id == User.id)
                                .join(Document, Document.id == Annotation.document_id)
                                .where(Document.group_id == group.id, Annotation.deleted_at == None,  # noqa: E711
                                       Annotation.status == "accepted")))
    return sorted(assigned | labelled)


def group_spans(session: Session, group: Group) -> tuple[list[Annotation], list[Annotation]]:
    """The live spans of the group's current documents: the annotators', and the gold set's."""
    votes, gold = [], []
    for annotation in session.exec(select(Annotation).join(Document, Document.id == Annotation.document_id).where(
            Document.group_id == group.id, Document.superseded == False,  # noqa: E712
            Annotation.deleted_at == None, Annotation.status.in_(GOLD_STATUSES))  # noqa: E711
            .order_by(Annotation.document_id, Annotation.char_start, Annotation.id)):
        if annotation.annotator_id is not None:
            if annotation.status == "accepted":
                votes.append(annotation)
        else:
            gold.append(annotation)
    return votes, gold


def places(session: Session, group: Group, spans: tuple[list, list] | None = None) -> list[Place]:
    """Every place an annotator marked in the group, with each annotator's spans there and the gold rows.

    :param spans: ``group_spans`` already read (saves the query).
    """
    usernames = dict(session.exec(select(User.id, User.username)).all())
    votes, gold = spans if spans is not None else group_spans(session, group)
    texts = dict(session.exec(select(Document.id, Document.text).where(
        Document.id.in_({a.document_id for a in votes}))).all())
    found: list[Place] = []
    open_place: dict[tuple[int, str], Place] = {}
    for annotation in sorted(votes, key=lambda a: (a.document_id, a.layer, a.char_start, -a.char_end, a.id)):
        where = (annotation.document_id, annotation.layer)
        place = open_place.get(where)
        if place is None or annotation.char_start >= place.char_end:
            place = Place(annotation.document_id, annotation.layer, annotation.char_start, annotation.char_end, "")
            open_place[where] = place
            found.append(place)
        place.char_end = max(place.char_end, annotation.char_end)
        place.votes.setdefault(usernames.get(annotation.annotator_id, ""), []).append(annotation)
    for place in found:
        place.surface = texts[place.document_id][place.char_start:place.char_end]
        place.gold = [g for g in gold if _overlaps(g, place.document_id, place.layer, place.char_start, place.char_end)]
    return sorted(found, key=lambda p: (p.document_id, p.char_start, p.char_end, p.layer))


def _overlaps(annotation: Annotation, document_id: int, layer: str, char_start: int, char_end: int) -> bool:
    return (annotation.document_id == document_id and annotation.layer == layer
            and annotation.char_start < char_end and char_start < annotation.char_end)


def premerge(session: Session, group: Group) -> int:
    """Put into the gold set every place all of the group's annotators marked alike (at least two of them).

    :returns: how many gold spans were added.
    """
    everyone = annotators_of(session, group)
    if len(everyone) < 2:
        return 0
    added = 0
    for place in places(session, group):
        if not place.decided and place.agreed and set(place.votes) == set(everyone):
            for span in next(iter(place.votes.values())):
                _gold_from(session, span, None, "unanimous")
                added += 1
    session.flush()
    return added


def _gold_from(session: Session, span: Annotation, reviewer_id: int | None, decision: str,
               status: str = "accepted") -> Annotation:
    gold = Annotation(document_id=span.document_id, segment_id=span.segment_id, char_start=span.char_start,
                      char_end=span.char_end, surface=span.surface, layer=span.layer, label=span.label,
                      attrs=dict(span.attrs or {}), concept_id=span.concept_id, annotator_id=None,
                      decided_by_id=reviewer_id, decision=decision, origin=span.origin, status=status)
    session.add(gold)
    session.flush()
    return gold


def _check_reviewer(reviewer: User) -> None:
    if reviewer.role not in REVIEWERS:
        raise SpanError("only reviewers and admins decide the gold set", 403)


def _retire(session: Session, group: Group, reviewer: User, rows: list[Annotation]) -> None:
    """Take gold rows out of the gold set (kept, deleted, with an event), as a newer decision replaces them."""
    for earlier in rows:
        before = snapshot(earlier)
        earlier.deleted_at = earlier.updated_at = datetime.now(timezone.utc)
        session.add(earlier)
        _log(session, reviewer.id, group.id, "gold.replace", earlier, before, snapshot(earlier))


def _live_gold(session: Session, document_id: int, layer: str, char_start: int, char_end: int) -> list[Annotation]:
    return list(session.exec(select(Annotation).where(
        Annotation.document_id == document_id, Annotation.annotator_id == None,  # noqa: E711
        Annotation.layer == layer, Annotation.char_start < char_end, Annotation.char_end > char_start,
        Annotation.status.in_(GOLD_STATUSES), Annotation.deleted_at == None)))  # noqa: E711


def place_of(session: Session, group: Group, annotation_id: int) -> Place:
    """The place of an annotator's span in this group.

    :raises SpanError: 404 for a span that is not an annotator's live span in this group.
    """
    span = session.get(Annotation, annotation_id)
    document = session.get(Document, span.document_id) if span is not None else None
    if (span is None or span.annotator_id is None or span.deleted_at is not None or span.status != "accepted"
            or document.group_id != group.id):
        raise SpanError(f"no annotator's span {annotation_id} in this group", 404)
    return next(p for p in places(session, group) if any(a.id == span.id for v in p.votes.values() for a in v))


def decide(session: Session, group: Group, reviewer: User, annotation_id: int, accept: bool) -> list[Annotation]:
    """Accept the version of a place by the annotator who made ``annotation_id``, or reject the place.

    Replaces every earlier gold row of the place.

    :returns: the new gold rows (one ``rejected`` row for a rejection).
    :raises SpanError: 403 for an annotator, 404 for a span that is not an annotator's in this group.
    """
    _check_reviewer(reviewer)
    place = place_of(session, group, annotation_id)
    span = session.get(Annotation, annotation_id)
    _retire(session, group, reviewer, _live_gold(session, place.document_id, place.layer, place.char_start,
                                                 place.char_end))
    if accept:
        chosen = next(spans for spans in place.votes.values() if span in spans)
        made = [_gold_from(session, one, reviewer.id, "accepted") for one in chosen]
    else:
        made = [_gold_from(session, span, reviewer.id, "rejected", "rejected")]
    for gold in made:
        _log(session, reviewer.id, group.id, "gold.accept" if accept else "gold.reject", gold, None, snapshot(gold))
    return made


def write_gold(session: Session, project: Project, group: Group, reviewer: User, data: dict) -> Annotation:
    """Write a gold span of the reviewer's own: a label or offsets that no annotator chose.

    It replaces a gold span at the same offsets and layer, and the rejections it overlaps; other gold spans
    stay (nested and crossing spans are allowed in the gold set as anywhere else).

    :param data: the fields of ``SpanCreate``.
    :raises SpanError: on bad input, 403 for an annotator.
    """
    _check_reviewer(reviewer)
    span, document, segment, attrs = validated_span(session, project, group, data)
    _retire(session, group, reviewer, [
        g for g in _live_gold(session, document.id, span.layer, span.char_start, span.char_end)
        if g.status == "rejected" or (g.char_start, g.char_end) == (span.char_start, span.char_end)])
    gold = Annotation(document_id=document.id, segment_id=segment.id, char_start=span.char_start,
                      char_end=span.char_end, surface=span.surface, layer=span.layer, label=span.label, attrs=attrs,
                      annotator_id=None, decided_by_id=reviewer.id, decision="edited", origin="human",
                      status="accepted")
    session.add(gold)
    session.flush()
    _log(session, reviewer.id, group.id, "gold.edit", gold, None, snapshot(gold))
    return gold


def remove_gold(session: Session, group: Group, reviewer: User, annotation_id: int) -> Annotation:
    """Take one gold span out of the gold set (its place waits for a decision again if nothing else covers it).

    :raises SpanError: 403 for an annotator, 404 for a row that is not a live gold row of this group.
    """
    _check_reviewer(reviewer)
    gold = session.get(Annotation, annotation_id)
    document = session.get(Document, gold.document_id) if gold is not None else None
    if (gold is None or gold.annotator_id is not None or gold.deleted_at is not None
            or gold.status not in GOLD_STATUSES or document.group_id != group.id):
        raise SpanError(f"no gold span {annotation_id} in this group", 404)
    _retire(session, group, reviewer, [gold])
    return gold


def disputed_count(session: Session, group: Group) -> tuple[int, int]:
    """How many places still need a decision, and how many places there are."""
    everyone = set(annotators_of(session, group))
    all_places = places(session, group)
    undecided = [p for p in all_places if not p.decided and not (p.agreed and set(p.votes) == everyone)]
    return len(undecided), len(all_places)
