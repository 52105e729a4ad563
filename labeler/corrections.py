"""Corrections of the alignment by a person: confirm a row, merge it with the one below, move a paragraph up or down,
split a row, detach a paragraph into a row of its own, let a paragraph continue into the row below or end that.

Each one marks the rows it touches as manual and confirmed (so that a later re-alignment keeps them), renumbers
positions without ever breaking their uniqueness, and logs an event.
"""

from sqlalchemy import delete
from sqlmodel import Session, select

from labeler.models import AlignmentMember, AlignmentRow, Event, Segment


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
    """A row's members, the paragraphs that continue from a row above included."""
    return list(session.exec(
        select(AlignmentMember, Segment).join(Segment, Segment.id == AlignmentMember.segment_id)
        .where(AlignmentMember.row_id == row_id).order_by(Segment.document_id, Segment.position)
    ))


def _snapshot(session: Session, row: AlignmentRow) -> dict:
    members = _members(session, row.id)
    return {"row": row.id, "position": row.position, "status": row.status, "method": row.method,
            "segments": [segment.id for _, segment in members],
            "continued": [segment.id for member, segment in members if member.continued]}


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


def _stop_continuing(session: Session, segment_id: int, moving_to: int | None = None) -> None:
    """Take a paragraph out of every row it continues in: it is in the row it begins in only (or in
    ``moving_to``, a row it is about to move into, which stays even if that leaves it empty for a moment)."""
    session.flush()
    members = list(session.exec(select(AlignmentMember).where(
        AlignmentMember.segment_id == segment_id, AlignmentMember.continued == True  # noqa: E712 (SQL)
    )))
    for member in members:
        session.delete(member)
    _settle(session, {member.row_id for member in members} - {moving_to})


def _settle(session: Session, row_ids: set[int]) -> None:
    """Rows that lost a member outside the correction's own rows: remove those left empty, note the others."""
    session.flush()
    changed, deleted = session.info.setdefault(_CHANGED, set()), session.info.setdefault(_DELETED, set())
    rows = [session.get(AlignmentRow, row_id) for row_id in row_ids]
    for row in sorted((r for r in rows if r is not None), key=lambda r: r.position, reverse=True):
        row_id = row.id
        if _delete_if_empty(session, row):
            deleted.add(row_id)
            changed.discard(row_id)
        else:
            changed.add(row_id)


def tidy(session: Session, group_id: int, document_id: int) -> None:
    """Drop the continuations of a document that a correction made impossible, and the rows left empty.

    Down the rows, a paragraph may continue only in the rows just below the one it begins in, and only while
    no later paragraph of its document has begun: a paragraph moved up past the start of a continuation ends it.
    """
    session.flush()
    found = session.exec(
        select(AlignmentRow.id, AlignmentMember, Segment.position)
        .join(AlignmentMember, AlignmentMember.row_id == AlignmentRow.id)
        .join(Segment, Segment.id == AlignmentMember.segment_id)
        .where(AlignmentRow.group_id == group_id, Segment.document_id == document_id)
        .order_by(AlignmentRow.position, Segment.position)
    ).all()
    by_row: dict[int, list[tuple[AlignmentMember, int]]] = {}
    for row_id, member, position in found:
        by_row.setdefault(row_id, []).append((member, position))
    row_ids = [row_id for row_id in session.exec(
        select(AlignmentRow.id).where(AlignmentRow.group_id == group_id).order_by(AlignmentRow.position))]
    latest, latest_position, above, touched = None, -1, set(), set()
    for row_id in row_ids:
        here = set()
        for member, position in by_row.get(row_id, []):
            if member.continued and (member.segment_id != latest or member.segment_id not in above):
                session.delete(member)
                touched.add(row_id)
                continue
            here.add(member.segment_id)
            if not member.continued and position > latest_position:
                latest, latest_position = member.segment_id, position
        above = here
    _settle(session, touched)


_CHANGED, _DELETED = "labeler.alignment.changed", "labeler.alignment.deleted"


def changed_elsewhere(session: Session) -> tuple[set[int], set[int]]:
    """The rows that this session's corrections changed beyond those they return, and those they removed:
    a correction that ends a continuation changes the rows it continued in."""
    return set(session.info.get(_CHANGED, ())), set(session.info.get(_DELETED, ()))


def member_row(session: Session, group_id: int, segment_id: int) -> tuple[AlignmentMember, AlignmentRow]:
    """Return the membership and row of a paragraph of the group: the row it begins in.

    :raises AlignmentError: when the paragraph is not in the group.
    """
    found = session.exec(
        select(AlignmentMember, AlignmentRow).join(AlignmentRow, AlignmentRow.id == AlignmentMember.row_id)
        .where(AlignmentMember.segment_id == segment_id, AlignmentMember.continued == False,  # noqa: E712 (SQL)
               AlignmentRow.group_id == group_id)
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
    column = [s.position for m, s in _members(session, row.id)
              if s.document_id == segment.document_id and not m.continued]
    # Only the first paragraph of a column may go up, and only the last down: the column keeps its order.
    if segment.position != (min(column) if direction < 0 else max(column)):
        raise AlignmentError("only the " + ("first" if direction < 0 else "last") + " paragraph of a column "
                             "in a row can move " + ("up" if direction < 0 else "down") + "; split the row first")
    before = [_snapshot(session, row), _snapshot(session, target)]
    # A moved paragraph sits wholly in its new row.
    _stop_continuing(session, segment_id, moving_to=target.id)
    member.row_id = target.id
    session.add(member)
    session.flush()
    _mark_manual(session, row, target)
    row_id = row.id
    emptied = _delete_if_empty(session, row)
    tidy(session, group_id, segment.document_id)
    emptied = emptied or row_id in changed_elsewhere(session)[1]
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
    column = [(m, s) for m, s in _members(session, row.id)
              if s.document_id == moving_segment.document_id and not m.continued]
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
    tidy(session, group_id, moving_segment.document_id)
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


def row_above(session: Session, group_id: int, row_id: int) -> AlignmentRow | None:
    """Return the row above a row of the group (None on the first)."""
    return _row_at(session, group_id, group_row(session, group_id, row_id).position - 1)


def merge_with_below(session: Session, group_id: int, row_id: int, user_id: int | None) -> AlignmentRow:
    """Merge a row with the row below it.

    :returns: the merged row.
    :raises AlignmentError: on the last row.
    """
    row = group_row(session, group_id, row_id)
    below = row_below(session, group_id, row_id)
    before = [_snapshot(session, row), _snapshot(session, below)]
    here = {segment.id for _, segment in _members(session, row.id)}
    for member, _ in _members(session, below.id):
        if member.segment_id in here:  # a paragraph that continued from this row into the one below
            session.delete(member)
        else:
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
    _stop_continuing(session, segment_id)
    _shift(session, group_id, row.position, +1)
    new_row = AlignmentRow(group_id=group_id, position=row.position + 1)
    session.add(new_row)
    session.flush()
    member.row_id = new_row.id
    session.add(member)
    _mark_manual(session, row, new_row)
    tidy(session, group_id, session.get(Segment, segment_id).document_id)
    _log(session, group_id, user_id, "alignment.detach", row.id, before,
         {"rows": [_snapshot(session, row), _snapshot(session, new_row)]})
    return new_row


def continue_below(session: Session, group_id: int, segment_id: int, user_id: int | None) -> AlignmentRow:
    """Let a paragraph continue into the row below the last row it is in (it says what both rows say).

    :returns: the row it now continues in.
    :raises AlignmentError: on the last row, or when a later paragraph of its document has begun already.
    """
    _, row = member_row(session, group_id, segment_id)
    segment = session.get(Segment, segment_id)
    last = session.exec(
        select(AlignmentRow).join(AlignmentMember, AlignmentMember.row_id == AlignmentRow.id)
        .where(AlignmentMember.segment_id == segment_id, AlignmentRow.group_id == group_id)
        .order_by(AlignmentRow.position.desc())
    ).first()
    below = _row_at(session, group_id, last.position + 1)
    if below is None:
        raise AlignmentError("there is no row below to continue into")
    later = session.exec(
        select(Segment.id).join(AlignmentMember, AlignmentMember.segment_id == Segment.id)
        .join(AlignmentRow, AlignmentRow.id == AlignmentMember.row_id)
        .where(Segment.document_id == segment.document_id, Segment.position > segment.position,
               AlignmentRow.group_id == group_id, AlignmentRow.position <= last.position)
    ).first()
    if later is not None:
        raise AlignmentError("the next paragraph of this document begins in the same row already: move it down "
                             "first")
    before = [_snapshot(session, last), _snapshot(session, below)]
    session.add(AlignmentMember(row_id=below.id, segment_id=segment_id, continued=True))
    _mark_manual(session, last, below)
    session.flush()
    _log(session, group_id, user_id, "alignment.continue", below.id, {"rows": before},
         {"rows": [_snapshot(session, last), _snapshot(session, below)]})
    return below


def end_continuation(session: Session, group_id: int, row_id: int, segment_id: int,
                     user_id: int | None) -> list[AlignmentRow]:
    """Take a paragraph out of a row it continues in, and out of the rows below that one.

    :returns: the rows that changed (a row left empty is removed and not returned).
    :raises AlignmentError: when the paragraph does not continue in that row.
    """
    row = group_row(session, group_id, row_id)
    member = session.exec(select(AlignmentMember).where(
        AlignmentMember.row_id == row.id, AlignmentMember.segment_id == segment_id,
        AlignmentMember.continued == True)).first()  # noqa: E712 (SQL)
    if member is None:
        raise AlignmentError("this paragraph does not continue in this row")
    rows = list(session.exec(
        select(AlignmentRow).join(AlignmentMember, AlignmentMember.row_id == AlignmentRow.id)
        .where(AlignmentMember.segment_id == segment_id, AlignmentMember.continued == True,  # noqa: E712 (SQL)
               AlignmentRow.group_id == group_id, AlignmentRow.position >= row.position)
        .order_by(AlignmentRow.position)
    ))
    before = [_snapshot(session, r) for r in rows]
    session.execute(delete(AlignmentMember).where(
        AlignmentMember.segment_id == segment_id, AlignmentMember.row_id.in_([r.id for r in rows])))
    _mark_manual(session, *rows)
    session.flush()
    ids = [r.id for r in rows]
    emptied = {row_id for row_id, r in zip(ids[::-1], rows[::-1]) if _delete_if_empty(session, r)}
    session.info.setdefault(_DELETED, set()).update(emptied)
    kept = [r for row_id, r in zip(ids, rows) if row_id not in emptied]
    _log(session, group_id, user_id, "alignment.end_continuation", row.id, {"rows": before},
         {"rows": [_snapshot(session, r) for r in kept]})
    return kept
