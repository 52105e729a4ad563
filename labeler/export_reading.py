"""Reading what an export writes, a batch of groups at a time, as plain rows: documents, paragraphs, alignment rows.

Every export reads through here, in one snapshot of the database (``begin_snapshot``): the gold records
(``gold_records.py``), the alignment and, from the command line, each process of a parallel export.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice
from typing import Iterator, NamedTuple

from sqlalchemy import Connection, bindparam
from sqlalchemy import select as sa_select

from labeler.models import AlignmentMember, AlignmentRow, Document, Group, Segment

# Groups whose documents, paragraphs and alignment rows are read together: three statements per batch rather than
# four per group (ten thousand statements were a tenth of the export's time, issue 8). Spans are still read group
# by group: a batch's at once came slower (a larger working set), and memory holds one group's.
GROUPS_PER_BATCH = 32


class GroupKey(NamedTuple):
    """A group as the gold export needs it (a Group, or a row of :data:`GROUP_KEYS`, does as well)."""
    id: int
    key: str


def begin_snapshot(connection: Connection) -> None:
    """Begin a read transaction on ``connection`` that sees one state of the database until it ends, whatever
    commits meanwhile (a gold export reads for seconds while annotators save)."""
    if connection.dialect.name == "sqlite":
        # The driver begins a transaction only before a write: begin it here, and read a row, which is what
        # fixes the state a WAL reader sees until it ends.
        connection.exec_driver_sql("BEGIN")
        connection.exec_driver_sql("SELECT id FROM project LIMIT 1").all()
    else:
        connection.execution_options(isolation_level="REPEATABLE READ")


_GROUPS = Group.__table__.c
# The project's groups in file order, as plain rows: what a parallel export reads again inside its snapshot.
GROUP_KEYS = (sa_select(_GROUPS.id, _GROUPS.key).where(_GROUPS.project_id == bindparam("project_id"))
              .order_by(_GROUPS.key))


def _batches(groups: list[GroupKey]) -> Iterator[list[GroupKey]]:
    iterator = iter(groups)
    while batch := list(islice(iterator, GROUPS_PER_BATCH)):
        yield batch


@dataclass
class GroupData:
    id: int
    key: str
    documents: list = field(default_factory=list)  # rows of _DOCUMENT_COLUMNS, in order
    rows: list[tuple] = field(default_factory=list)  # (id, score, status, method), in order
    # For the gold records: document id → its paragraphs, in order: [position, char_start, char_end, index and
    # status of the row it begins in, indices of the rows below it that it goes on in].
    paragraphs: dict[int, list[list]] = field(default_factory=lambda: defaultdict(list))
    # For the alignment: row id → (document id, position, continued) of its paragraphs
    members: dict[int, list[tuple[int, int, bool]]] = field(default_factory=lambda: defaultdict(list))


# The export reads plain column tuples, never ORM objects: building one object per span cost more than the
# whole rest of the export (issue 8).
_DOCUMENTS = Document.__table__.c
_SEGMENTS = Segment.__table__.c
_ROWS = AlignmentRow.__table__.c
_MEMBERS = AlignmentMember.__table__.c
_DOCUMENT_COLUMNS = (_DOCUMENTS.id, _DOCUMENTS.group_id, _DOCUMENTS.origin, _DOCUMENTS.lang, _DOCUMENTS.role,
                     _DOCUMENTS.title, _DOCUMENTS.text, _DOCUMENTS.text_sha256)
# Built once: each batch of groups runs the same three statements, and each group one more for its spans. The
# batch's documents are selected again inside the statements that need them, not passed as a list of ids.
_CURRENT_DOCUMENTS = (sa_select(_DOCUMENTS.id)
                      .where(_DOCUMENTS.group_id.in_(bindparam("group_ids", expanding=True)),
                             _DOCUMENTS.superseded == False))  # noqa: E712 (SQL, not Python)
_BATCH_DOCUMENTS = (sa_select(*_DOCUMENT_COLUMNS)
                    .where(_DOCUMENTS.group_id.in_(bindparam("group_ids", expanding=True)),
                           _DOCUMENTS.superseded == False)  # noqa: E712 (SQL, not Python)
                    .order_by(_DOCUMENTS.group_id, _DOCUMENTS.position, _DOCUMENTS.id))
# Each paragraph with the rows it is in (none, the one it begins in, those it goes on in): one row per membership.
_BATCH_PARAGRAPHS = (sa_select(_SEGMENTS.id, _SEGMENTS.document_id, _SEGMENTS.position, _SEGMENTS.char_start,
                               _SEGMENTS.char_end, _MEMBERS.row_id, _MEMBERS.continued)
                     .select_from(Segment.__table__.outerjoin(AlignmentMember.__table__,
                                                              _MEMBERS.segment_id == _SEGMENTS.id))
                     .where(_SEGMENTS.document_id.in_(_CURRENT_DOCUMENTS))
                     .order_by(_SEGMENTS.document_id, _SEGMENTS.position))
_BATCH_ROWS = (sa_select(_ROWS.id, _ROWS.group_id, _ROWS.score, _ROWS.status, _ROWS.method)
               .where(_ROWS.group_id.in_(bindparam("group_ids", expanding=True)))
               .order_by(_ROWS.group_id, _ROWS.position))
_BATCH_MEMBERS = (sa_select(_MEMBERS.row_id, _SEGMENTS.id, _SEGMENTS.document_id, _SEGMENTS.position,
                            _MEMBERS.continued)
                  .join(AlignmentRow.__table__, _ROWS.id == _MEMBERS.row_id)
                  .join(Segment.__table__, _SEGMENTS.id == _MEMBERS.segment_id)
                  .where(_ROWS.group_id.in_(bindparam("group_ids", expanding=True)))
                  .order_by(_SEGMENTS.document_id, _SEGMENTS.position))
def _load_batch(connection: Connection, groups: list[GroupKey], paragraphs: bool = True) -> list[GroupData]:
    """Read a batch of groups: their current documents and alignment rows, and either their paragraphs (for the
    gold records) or each row's paragraphs (for the alignment); not their spans.

    :returns: each group's data, in the order of ``groups``.
    """
    ids = {"group_ids": [group.id for group in groups]}
    data = {group.id: GroupData(group.id, group.key) for group in groups}
    group_of: dict[int, GroupData] = {}  # document id → its group's data
    for document in connection.execute(_BATCH_DOCUMENTS, ids).all():
        group = group_of[document.id] = data[document.group_id]
        group.documents.append(document)
    index: dict[int, tuple[int, str]] = {}  # row id → (its index in its group, status)
    for row_id, group_id, score, status, method in connection.execute(_BATCH_ROWS, ids).all():
        rows = data[group_id].rows
        index[row_id] = (len(rows), status)
        rows.append((row_id, score, status, method))
    if paragraphs:
        _read_paragraphs(connection, ids, group_of, index)
        return list(data.values())
    for row_id, segment_id, document_id, position, continued in connection.execute(_BATCH_MEMBERS, ids).all():
        group = group_of.get(document_id)
        if group is not None:  # a paragraph of a current document
            group.members[row_id].append((document_id, position, bool(continued)))
    return list(data.values())


def _read_paragraphs(connection: Connection, ids: dict, group_of: dict[int, GroupData],
                     index: dict[int, tuple[int, str]]) -> None:
    """Add each document's paragraphs, with the rows they are in, to its group's data."""
    previous, paragraph = None, []
    for segment_id, document_id, position, char_start, char_end, row_id, continued in connection.execute(
            _BATCH_PARAGRAPHS, ids).all():
        if segment_id != previous:
            previous, paragraph = segment_id, [position, char_start, char_end, None, None, []]
            group_of[document_id].paragraphs[document_id].append(paragraph)
        if row_id in index:
            row, status = index[row_id]
            if continued:
                paragraph[5].append(row)
            else:
                paragraph[3], paragraph[4] = row, status


def loaded(connection: Connection, groups: list[GroupKey], paragraphs: bool = True) -> Iterator[GroupData]:
    """Each group's data, read a batch at a time (see :func:`_load_batch`)."""
    for batch in _batches(groups):
        yield from _load_batch(connection, batch, paragraphs)


