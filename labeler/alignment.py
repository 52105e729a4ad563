"""Alignment rows in the database: (re)align a group with the pure aligner, keeping confirmed rows. A person's
corrections of them are in ``corrections.py``."""

from sqlalchemy import delete, update
from sqlmodel import Session, select

from labeler.bulk import insert_many, select_in
from labeler.corrections import tidy
from labeler.models import AlignmentMember, AlignmentRow, Document, Group, Segment
from labeler.text.prepare import PlannedRow, plan_rows


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
    # A paragraph in a confirmed row stays where it is, in every confirmed row it is in.
    fixed_segments = {segment_id for _, segment_id in fixed_members}

    # Plain rows, not ORM objects: an import aligns every group it writes (issue 8).
    segments_by_doc: dict[int, list] = {document.id: [] for document in documents}
    for segment in session.execute(
        select(Segment.id, Segment.document_id, Segment.position, Segment.char_start, Segment.char_end)
        .where(Segment.document_id.in_(list(segments_by_doc))).order_by(Segment.position)
    ):
        segments_by_doc[segment.document_id].append(segment)
    free = [[s for s in segments_by_doc[d.id] if s.id not in fixed_segments] for d in documents]
    texts = [[d.text[s.char_start:s.char_end] for s in doc_free] for d, doc_free in zip(documents, free)]
    roles = [None if d.id in auto_role_ids else d.role for d in documents]

    # Every row is placed by where its paragraphs sit in their documents (0..1), confirmed rows included.
    planned, found = plan_rows(texts, roles, classify=bool(auto_role_ids) and not confirmed,
                               positions=[[s.position for s in doc_free] for doc_free in free],
                               lengths=[len(segments_by_doc[d.id]) for d in documents])
    for index in found:
        documents[index].role = "comparable"
        session.add(documents[index])
    new_rows = [(row, [(free[doc][i], continued) for doc, i, continued in row.members]) for row in planned]
    lengths = {d.id: max(len(segments_by_doc[d.id]), 1) for d in documents}
    by_id = {s.id: s for doc_segments in segments_by_doc.values() for s in doc_segments}

    def place(segments: list) -> float:
        return sum(s.position / lengths[s.document_id] for s in segments) / max(len(segments), 1)

    kept: dict[int, list] = {row.id: [] for row in confirmed}
    for row_id, segment_id in fixed_members:
        if segment_id in by_id:
            kept[row_id].append(by_id[segment_id])
    ordered = sorted(
        [(row.place, 0, index, row, members) for index, (row, members) in enumerate(new_rows)]
        + [(place(kept[row.id]), 1, row.position, row, None) for row in confirmed],
        key=lambda item: item[:3],
    )
    session.execute(delete(AlignmentRow).where(
        AlignmentRow.group_id == group.id, AlignmentRow.status != "confirmed"
    ))
    _begin_in_confirmed_rows(session, confirmed, fixed_members)
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
    # Core inserts, many rows a statement. The new ids are matched by position (unique in a group): asking for
    # them in the order of the rows makes SQLite insert one row a statement.
    rows_table, members_table = AlignmentRow.__table__, AlignmentMember.__table__
    row_id_at = dict(session.execute(
        rows_table.insert().returning(rows_table.c.position, rows_table.c.id),
        [{"group_id": group.id, "position": position, "score": row.score, "method": row.method,
          "status": "suggested"} for position, row, _ in fresh],
    ).all())
    session.execute(members_table.insert(), [
        {"row_id": row_id_at[position], "segment_id": segment.id, "continued": continued}
        for position, _, members in fresh for segment, continued in members
    ])
    session.flush()
    if confirmed:  # a new row placed between confirmed ones may cut a continuation of the new rows in two
        for document in documents:
            tidy(session, group.id, document.id)
    return len(fresh)


def write_new_rows(session: Session, planned: list[tuple[int, list[list[int]], list[PlannedRow]]]) -> int:
    """Write the rows of new groups, aligned before the import wrote them (``prepare.prepare_groups``): a few
    statements for the whole batch, where ``realign_group`` reads back and writes each group on its own.

    :param session: database session; the caller commits.
    :param planned: per group, its id, per document the ids of its paragraphs (by position), and its rows in
        position order.
    :returns: the number of rows written.
    """
    rows = [(group_id, position, row.score, row.method, "suggested")
            for group_id, _, group_rows in planned for position, row in enumerate(group_rows)]
    if not rows:
        return 0
    # Through the driver (see bulk.py), and the new ids read back by group: the groups are new, all their rows
    # are these.
    insert_many(session, AlignmentRow.__table__, ("group_id", "position", "score", "method", "status"), rows)
    row_ids: dict[tuple[int, int], int] = {}
    for start in range(0, len(planned), 500):
        group_ids = [group_id for group_id, _, _ in planned[start:start + 500]]
        for row_id, group_id, position in select_in(session, AlignmentRow.__table__, ("id", "group_id", "position"),
                                                    "group_id", group_ids):
            row_ids[(group_id, position)] = row_id
    insert_many(session, AlignmentMember.__table__, ("row_id", "segment_id", "continued"), [
        (row_ids[(group_id, position)], segment_ids[doc][i], continued)
        for group_id, segment_ids, group_rows in planned for position, row in enumerate(group_rows)
        for doc, i, continued in row.members
    ])
    return len(rows)


def _begin_in_confirmed_rows(session: Session, confirmed: list[AlignmentRow], fixed_members) -> None:
    """A paragraph that continued in a confirmed row but began in a row just removed now begins in the first
    confirmed row it is in."""
    if not confirmed:
        return
    session.flush()
    position = {row.id: row.position for row in confirmed}
    beginning = set(session.exec(select(AlignmentMember.segment_id).where(
        AlignmentMember.row_id.in_(list(position)), AlignmentMember.continued == False  # noqa: E712 (SQL)
    )))
    first: dict[int, int] = {}
    for row_id, segment_id in fixed_members:
        if segment_id not in beginning and (segment_id not in first or position[row_id] < position[first[segment_id]]):
            first[segment_id] = row_id
    for segment_id, row_id in first.items():
        session.execute(update(AlignmentMember).where(
            AlignmentMember.row_id == row_id, AlignmentMember.segment_id == segment_id).values(continued=False))
