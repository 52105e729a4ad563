"""Adjudication: turning the annotators' labels into the gold set.

A *place* is a document, layer and offsets. Where every annotator of a group marked a place with the same
label (and severity), the gold set gets it in advance (``decision = "unanimous"``). Elsewhere a reviewer
decides: accept one annotator's span into the gold set, or reject the place (a gold row with status
``rejected`` records that it was looked at). Each gold span records who decided.
"""

from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlmodel import Session, select

from labeler.annotations import SpanError, _log, snapshot
from labeler.models import Annotation, Assignment, Document, Group, User


@dataclass
class Place:
    document_id: int
    layer: str
    char_start: int
    char_end: int
    surface: str
    votes: dict[str, Annotation] = field(default_factory=dict)  # annotator name → their span
    gold: Annotation | None = None

    @property
    def agreed(self) -> bool:
        """Every vote has the same label and severity."""
        kinds = {(a.label, (a.attrs or {}).get("severity")) for a in self.votes.values()}
        return len(kinds) == 1


def _key(annotation: Annotation) -> tuple:
    return annotation.document_id, annotation.layer, annotation.char_start, annotation.char_end


def annotators_of(session: Session, group: Group) -> list[str]:
    """Who works on the group: its assignees, and anyone with a label in it."""
    assigned = set(session.exec(select(User.username).join(Assignment, Assignment.user_id == User.id)
                                .where(Assignment.group_id == group.id)))
    labelled = set(session.exec(select(User.username).join(Annotation, Annotation.annotator_id == User.id)
                                .join(Document, Document.id == Annotation.document_id)
                                .where(Document.group_id == group.id, Annotation.deleted_at == None,  # noqa: E711
                                       Annotation.status == "accepted")))
    return sorted(assigned | labelled)


def places(session: Session, group: Group) -> list[Place]:
    """Every place an annotator marked in the group, with each annotator's span there and the gold decision."""
    usernames = dict(session.exec(select(User.id, User.username)).all())
    found: dict[tuple, Place] = {}
    rows = session.exec(select(Annotation).join(Document, Document.id == Annotation.document_id).where(
        Document.group_id == group.id, Document.superseded == False, Annotation.deleted_at == None)  # noqa: E711,E712
        .order_by(Annotation.document_id, Annotation.char_start, Annotation.id))
    gold: dict[tuple, Annotation] = {}
    for annotation in rows:
        if annotation.annotator_id is None:
            if annotation.status in ("accepted", "rejected"):
                gold.setdefault(_key(annotation), annotation)
            continue
        if annotation.status != "accepted":
            continue
        place = found.setdefault(_key(annotation), Place(annotation.document_id, annotation.layer,
                                                         annotation.char_start, annotation.char_end,
                                                         annotation.surface))
        place.votes.setdefault(usernames.get(annotation.annotator_id, ""), annotation)
    for key, place in found.items():
        place.gold = gold.get(key)
    return sorted(found.values(), key=lambda p: (p.document_id, p.char_start, p.char_end, p.layer))


def premerge(session: Session, group: Group) -> int:
    """Put into the gold set every place all of the group's annotators marked alike (at least two of them).

    :returns: how many gold spans were added.
    """
    everyone = annotators_of(session, group)
    if len(everyone) < 2:
        return 0
    added = 0
    for place in places(session, group):
        if place.gold is None and place.agreed and set(place.votes) == set(everyone):
            _gold_from(session, next(iter(place.votes.values())), None, "unanimous")
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


def decide(session: Session, group: Group, reviewer: User, annotation_id: int, accept: bool) -> Annotation:
    """Accept an annotator's span into the gold set, or reject its place; replaces an earlier decision there.

    :raises SpanError: 403 for an annotator, 404 for a span that is not an annotator's in this group.
    """
    if reviewer.role not in ("admin", "reviewer"):
        raise SpanError("only reviewers and admins decide the gold set", 403)
    span = session.get(Annotation, annotation_id)
    document = session.get(Document, span.document_id) if span is not None else None
    if span is None or span.annotator_id is None or span.deleted_at is not None or document.group_id != group.id:
        raise SpanError(f"no annotator's span {annotation_id} in this group", 404)
    for earlier in session.exec(select(Annotation).where(
            Annotation.document_id == span.document_id, Annotation.annotator_id == None,  # noqa: E711
            Annotation.layer == span.layer, Annotation.char_start == span.char_start,
            Annotation.char_end == span.char_end, Annotation.status.in_(("accepted", "rejected")),
            Annotation.deleted_at == None)):  # noqa: E711
        before = snapshot(earlier)
        earlier.deleted_at = earlier.updated_at = datetime.now(timezone.utc)
        session.add(earlier)
        _log(session, reviewer.id, group.id, "gold.replace", earlier, before, snapshot(earlier))
    gold = _gold_from(session, span, reviewer.id, "accepted" if accept else "rejected",
                      "accepted" if accept else "rejected")
    _log(session, reviewer.id, group.id, "gold.accept" if accept else "gold.reject", gold, None, snapshot(gold))
    return gold


def disputed_count(session: Session, group: Group) -> tuple[int, int]:
    """How many places still need a decision, and how many places there are."""
    everyone = set(annotators_of(session, group))
    all_places = places(session, group)
    undecided = [p for p in all_places if p.gold is None and not (p.agreed and set(p.votes) == everyone)]
    return len(undecided), len(all_places)

