"""Alignment rows in the database: (re)align a group with the pure aligner, keeping confirmed rows."""

from sqlalchemy import delete, insert
from sqlmodel import Session, select

from labeler.models import AlignmentMember, AlignmentRow, Document, Event, Group, Segment
from labeler.text.align import align, comparable_documents


def current_documents(session: Session, group_id: int) -> list[Document]:
    """Return the group's documents (latest versions) in column order."""
    return list(session.exec(
        select(Document)
        .where(Document.group_id == group_id, Document.superseded == False)  # noqa: E712 (SQL, not Python)
        .order_by(Document.position, Document.id)
    ))


def realign_group(session: Session, group: Group, auto_role_ids: set[int] = frozenset()) -> int:
    """Align the group's paragraphs again, leaving every confirmed row as it is.

    Paragraphs that sit in confirmed rows are left out of the new alignment; the new rows are then placed among
    the confirmed ones by their paragraphs' relative position in their documents.

    :param session: database session; the caller commits.
    :param group: the group.
    :param auto_role_ids: documents whose role was not given: they become ``comparable`` when the aligner
        finds that they are not translations of the others.
    :returns: the number of rows written.
    """
    documents = current_documents(session, group.id)
    confirmed = list(session.exec(
        select(AlignmentRow).where(AlignmentRow.group_id == group.id, AlignmentRow.status == "confirmed")
    ))
    confirmed_ids = [row.id for row in confirmed]
    fixed_members = session.exec(
        select(AlignmentMember.row_id, AlignmentMember.segment_id).where(AlignmentMember.row_id.in_(confirmed_ids))
    ).all() if confirmed_ids else []
    fixed_segments = {segment_id for _, segment_id in fixed_members}

    segments_by_doc: dict[int, list[Segment]] = {document.id: [] for document in documents}
    for segment in session.exec(
        select(Segment).where(Segment.document_id.in_(list(segments_by_doc))).order_by(Segment.position)
    ):
        segments_by_doc[segment.document_id].append(segment)
    free = [[s for s in segments_by_doc[d.id] if s.id not in fixed_segments] for d in documents]
    texts = [[d.text[s.char_start:s.char_end] for s in doc_free] for d, doc_free in zip(documents, free)]
    roles = [None if d.id in auto_role_ids else d.role for d in documents]

    if auto_role_ids and not confirmed:
        for index in comparable_documents(texts, roles):
            if documents[index].id in auto_role_ids:
                documents[index].role = "comparable"
                session.add(documents[index])
                roles[index] = "comparable"

    new_rows = [
        (row, [free[doc][i] for doc, indices in enumerate(row.members) for i in indices])
        for row in align(texts, roles)
    ]
    # Place every row by where its paragraphs sit in their documents (0..1), confirmed rows included.
    lengths = {d.id: max(len(segments_by_doc[d.id]), 1) for d in documents}
    by_id = {s.id: s for doc_segments in segments_by_doc.values() for s in doc_segments}

    def place(segments: list[Segment]) -> float:
        return sum(s.position / lengths[s.document_id] for s in segments) / max(len(segments), 1)

    kept: dict[int, list[Segment]] = {row.id: [] for row in confirmed}
    for row_id, segment_id in fixed_members:
        if segment_id in by_id:
            kept[row_id].append(by_id[segment_id])
    ordered = sorted(
        [(place(members), 0, index, row, members) for index, (row, members) in enumerate(new_rows)]
        + [(place(kept[row.id]), 1, row.position, row, None) for row in confirmed],
        key=lambda item: item[:3],
    )
    session.execute(delete(AlignmentRow).where(
        AlignmentRow.group_id == group.id, AlignmentRow.status != "confirmed"
    ))
    # Positions are unique per group: move confirmed rows out of the way before numbering everything anew.
    for row in confirmed:
        row.position = -row.id
        session.add(row)
    session.flush()
    fresh = []
    for position, (_, _, _, row, members) in enumerate(ordered):
        if members is None:
            row.position = position
            session.add(row)
        else:
            fresh.append((position, row, members))
    if not fresh:
        session.flush()
        return 0
    row_ids = session.execute(
        insert(AlignmentRow).returning(AlignmentRow.id, sort_by_parameter_order=True),
        [{"group_id": group.id, "position": position, "score": round(row.score, 4), "method": row.method,
          "status": "suggested"} for position, row, _ in fresh],
    ).scalars().all()
    session.execute(insert(AlignmentMember), [
        {"row_id": row_id, "segment_id": segment.id}
        for row_id, (_, _, members) in zip(row_ids, fresh) for segment in members
    ])
    session.flush()
    return len(fresh)


# Corrections by a person. Each one marks the rows it touches as manual and confirmed (so that a later
# re-alignment keeps them), renumbers positions without ever breaking their uniqueness, and logs an event.

class AlignmentError(ValueError):
    """A correction that cannot be made (e.g. no row below to merge with); the message says why."""


class NotInGroup(AlignmentError):
    """A row or paragraph id that is not one of the group's: to the person asking, it does not exist (404)."""


def _row_at(session: Session, group_id: int, position: int) -> AlignmentRow | None:
    return session.exec(
        select(AlignmentRow).where(AlignmentRow.group_id == group_id, AlignmentRow.position == position)
    ).first()


def _shift(session: Session, group_id: int, after: int, by: int) -> None:
    """Add ``by`` to the position of every row below ``after``, in two steps so no two rows ever collide."""
    session.flush()
    table = AlignmentRow.__table__
    below = (table.c.group_id == group_id) & (table.c.position > after)
    session.execute(table.update().where(below).values(position=-(table.c.position + by) - 1))
    session.execute(
        table.update().where((table.c.group_id == group_id) & (table.c.position < 0))
        .values(position=-table.c.position - 1)
    )
    # Rows already loaded in the session now hold stale positions; reload them on next access.
    session.expire_all()


def _members(session: Session, row_id: int) -> list[tuple[AlignmentMember, Segment]]:
    return list(session.exec(
        select(AlignmentMember, Segment).join(Segment, Segment.id == AlignmentMember.segment_id)
        .where(AlignmentMember.row_id == row_id).order_by(Segment.document_id, Segment.position)
    ))


def _snapshot(session: Session, row: AlignmentRow) -> dict:
    return {"row": row.id, "position": row.position, "status": row.status, "method": row.method,
            "segments": [segment.id for _, segment in _members(session, row.id)]}


def _mark_manual(session: Session, *rows: AlignmentRow) -> None:
    for row in rows:
        row.method, row.status, row.score = "manual", "confirmed", 1.0
        session.add(row)


def _log(session: Session, group_id: int, user_id: int | None, action: str, row_id: int, before, after) -> None:
    session.add(Event(user_id=user_id, group_id=group_id, action=action, object_type="alignment_row",
                      object_id=row_id, before=before, after=after))


def _delete_if_empty(session: Session, row: AlignmentRow) -> bool:
    if _members(session, row.id):
        return False
    group_id, position = row.group_id, row.position
    session.delete(row)
    session.flush()
    _shift(session, group_id, position, -1)
    return True


def member_row(session: Session, group_id: int, segment_id: int) -> tuple[AlignmentMember, AlignmentRow]:
    """Return the membership and row of a paragraph of the group.

    :raises AlignmentError: when the paragraph is not in the group.
    """
    found = session.exec(
        select(AlignmentMember, AlignmentRow).join(AlignmentRow, AlignmentRow.id == AlignmentMember.row_id)
        .where(AlignmentMember.segment_id == segment_id, AlignmentRow.group_id == group_id)
    ).first()
    if found is None:
        raise NotInGroup(f"paragraph {segment_id} is not in this group")
    return found


def group_row(session: Session, group_id: int, row_id: int) -> AlignmentRow:
    row = session.get(AlignmentRow, row_id)
    if row is None or row.group_id != group_id:
        raise NotInGroup(f"row {row_id} is not in this group")
    return row


def confirm_row(session: Session, group_id: int, row_id: int, user_id: int | None) -> AlignmentRow:
    """Confirm a row as it is: a re-alignment will not change it.

    :returns: the row.
    """
    row = group_row(session, group_id, row_id)
    before = _snapshot(session, row)
    row.status = "confirmed"
    session.add(row)
    _log(session, group_id, user_id, "alignment.confirm", row.id, before, _snapshot(session, row))
    return row


def move_paragraph(session: Session, group_id: int, segment_id: int, direction: int,
                   user_id: int | None) -> list[AlignmentRow]:
    """Move a paragraph to the row above (``direction`` -1) or below (+1); a row left empty is removed.

    :returns: the rows that changed, the target first.
    :raises AlignmentError: at the top or bottom of the group.
    """
    member, row = member_row(session, group_id, segment_id)
    target = _row_at(session, group_id, row.position + direction)
    if direction not in (-1, 1) or target is None:
        raise AlignmentError("there is no row " + ("above" if direction < 0 else "below") + " this one")
    segment = session.get(Segment, segment_id)
    column = [s.position for _, s in _members(session, row.id) if s.document_id == segment.document_id]
    # Only the first paragraph of a column may go up, and only the last down: the column keeps its order.
    if segment.position != (min(column) if direction < 0 else max(column)):
        raise AlignmentError("only the " + ("first" if direction < 0 else "last") + " paragraph of a column "
                             "in a row can move " + ("up" if direction < 0 else "down") + "; split the row first")
    before = [_snapshot(session, row), _snapshot(session, target)]
    member.row_id = target.id
    session.add(member)
    session.flush()
    _mark_manual(session, row, target)
    emptied = _delete_if_empty(session, row)
    _log(session, group_id, user_id, "alignment.move", target.id, {"rows": before},
         {"rows": [_snapshot(session, target)] + ([] if emptied else [_snapshot(session, row)])})
    return [target] if emptied else [target, row]


def split_row(session: Session, group_id: int, segment_id: int, user_id: int | None) -> AlignmentRow:
    """Split a row before a paragraph: it and the paragraphs after it in its column go to a new row below.

    :returns: the new row.
    :raises AlignmentError: when the paragraph is the first of its column in the row.
    """
    member, row = member_row(session, group_id, segment_id)
    moving_segment = session.get(Segment, segment_id)
    column = [(m, s) for m, s in _members(session, row.id) if s.document_id == moving_segment.document_id]
    moving = [(m, s) for m, s in column if s.position >= moving_segment.position]
    if len(moving) == len(column):
        raise AlignmentError("nothing to split: this is the first paragraph of its column in the row")
    before = _snapshot(session, row)
    _shift(session, group_id, row.position, +1)
    new_row = AlignmentRow(group_id=group_id, position=row.position + 1)
    session.add(new_row)
    session.flush()
    for moved, _ in moving:
        moved.row_id = new_row.id
        session.add(moved)
    _mark_manual(session, row, new_row)
    session.flush()
    _log(session, group_id, user_id, "alignment.split", row.id, before,
         {"rows": [_snapshot(session, row), _snapshot(session, new_row)]})
    return new_row


def row_below(session: Session, group_id: int, row_id: int) -> AlignmentRow:
    """Return the row below a row of the group.

    :raises AlignmentError: on the last row.
    """
    row = group_row(session, group_id, row_id)
    below = _row_at(session, group_id, row.position + 1)
    if below is None:
        raise AlignmentError("there is no row below to merge with")
    return below


def merge_with_below(session: Session, group_id: int, row_id: int, user_id: int | None) -> AlignmentRow:
    """Merge a row with the row below it.

    :returns: the merged row.
    :raises AlignmentError: on the last row.
    """
    row = group_row(session, group_id, row_id)
    below = row_below(session, group_id, row_id)
    before = [_snapshot(session, row), _snapshot(session, below)]
    for member, _ in _members(session, below.id):
        member.row_id = row.id
        session.add(member)
    session.flush()
    _mark_manual(session, row)
    _delete_if_empty(session, below)
    _log(session, group_id, user_id, "alignment.merge", row.id, {"rows": before}, _snapshot(session, row))
    return row


def detach_paragraph(session: Session, group_id: int, segment_id: int, user_id: int | None) -> AlignmentRow:
    """Take a paragraph out of its row into a row of its own, just below.

    :returns: the new row.
    :raises AlignmentError: when the paragraph is already alone in its row.
    """
    member, row = member_row(session, group_id, segment_id)
    if len(_members(session, row.id)) == 1:
        raise AlignmentError("this paragraph is already alone in its row")
    before = _snapshot(session, row)
    _shift(session, group_id, row.position, +1)
    new_row = AlignmentRow(group_id=group_id, position=row.position + 1)
    session.add(new_row)
    session.flush()
    member.row_id = new_row.id
    session.add(member)
    _mark_manual(session, row, new_row)
    session.flush()
    _log(session, group_id, user_id, "alignment.detach", row.id, before,
         {"rows": [_snapshot(session, row), _snapshot(session, new_row)]})
    return new_row
