"""Many rows in one statement through the database driver, for the biggest tables of an import (issue 8): written,
and their new ids read back.

SQLAlchemy Core prepares every row's parameters in Python (about 8 µs a row here: more than the database
takes to store it); the driver's ``executemany`` takes plain tuples. Only for columns that need no conversion
on the way in (integers, floats, text, booleans): dates and JSON go through Core.
"""

from sqlalchemy import Table, insert, select
from sqlmodel import Session

# The driver's placeholder, by DB-API paramstyle (sqlite3: qmark; psycopg: pyformat, which takes %s too).
MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
ROWS_PER_STATEMENT = 20_000


def insert_many(session: Session, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert ``rows`` into ``table``, in the session's transaction.

    :param session: database session.
    :param table: the table (``Model.__table__``).
    :param columns: the columns the tuples give, in order.
    :param rows: one tuple of plain values per row.
    """
    if not rows:
        return
    connection = session.connection()
    marker = MARKERS.get(connection.dialect.paramstyle)
    if marker is None:  # another driver: Core does it, more slowly
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            connection.execute(insert(table), [dict(zip(columns, row)) for row in rows[start:start + ROWS_PER_STATEMENT]])
        return
    quote = connection.dialect.identifier_preparer.quote
    statement = (f"INSERT INTO {connection.dialect.identifier_preparer.format_table(table)} "
                 f"({', '.join(quote(column) for column in columns)}) VALUES ({', '.join([marker] * len(columns))})")
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        connection.exec_driver_sql(statement, rows[start:start + ROWS_PER_STATEMENT])


def select_in(session: Session, table: Table, columns: tuple[str, ...], key: str, values: list) -> list[tuple]:
    """Read ``columns`` of the rows of ``table`` whose ``key`` is one of ``values``, as plain tuples, in the
    session's transaction: what an import reads back of the rows it has just written (the new ids), where
    SQLAlchemy would make a row object of each.

    :param values: at most a few hundred (one ``IN (...)`` list).
    """
    connection = session.connection()
    marker = MARKERS.get(connection.dialect.paramstyle)
    if marker is None:  # another driver: through Core
        return [tuple(row) for row in connection.execute(
            select(*(table.c[column] for column in columns)).where(table.c[key].in_(values)))]
    if not values:
        return []
    quote = connection.dialect.identifier_preparer.quote
    statement = (f"SELECT {', '.join(quote(column) for column in columns)} "
                 f"FROM {connection.dialect.identifier_preparer.format_table(table)} "
                 f"WHERE {quote(key)} IN ({', '.join([marker] * len(values))})")
    cursor = connection.connection.cursor()  # the driver's own, on the session's connection and transaction
    try:
        cursor.execute(statement, tuple(values))
        return cursor.fetchall()
    finally:
        cursor.close()
