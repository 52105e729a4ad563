"""The gold export in several processes, all reading one snapshot of the database (issue 8).

The groups are split into contiguous shares, one per process. This process writes the first share as the serial
export does; each forked worker writes its share to a temporary file, which this process appends, in order, when
its own share is done. The bytes, and so the SHA-256 and the counts, are those of the serial export.

One snapshot: every process must read the same state of the database, whatever commits meanwhile.

- SQLite (WAL): this process takes the write lock (``BEGIN IMMEDIATE``: other writers wait) and keeps it until
  every process has begun its read transaction and read a first row; all of them then read the state of that
  moment, and the writers go on.
- PostgreSQL: this process opens a ``REPEATABLE READ`` transaction and exports its snapshot
  (``pg_export_snapshot()``); each worker starts its own transaction on it (``SET TRANSACTION SNAPSHOT``).

No connection crosses a fork: the workers are forked while this process holds none, and each opens its own
(SQLite keeps state about each database file a process has open, its locks among it, which a forked child
would inherit; a psycopg connection closed in a child would end its parent's session). A worker that fails
fails the export: the caller sees the error and, from the command line, no file is left.
"""

import os
import signal
import tempfile
import traceback
from multiprocessing.connection import Connection as Channel
from multiprocessing.connection import Pipe
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine
from sqlmodel import Session

from labeler.export_reading import GROUP_KEYS, GroupKey, begin_snapshot
from labeler.gold_records import ProjectFacts, Counts, gold_lines

CHUNK_BYTES = 1 << 20  # a worker's part is appended this much at a time


def parallel_gold_blocks(session: Session, project: ProjectFacts, labels: str, counts: Counts,
                         workers: int) -> Iterator[bytes]:
    """Yield the gold export of all the project's groups in blocks (this process's lines, then each worker's
    part), exported by ``workers`` processes over one snapshot.

    The session gives back its connection and the engine closes every pooled one before the workers are forked:
    call it only in a process that holds no other connection to the database (the command line), with nothing
    pending in the session.

    :raises RuntimeError: when a worker fails (with its traceback).
    """
    engine = session.get_bind()
    session.close()
    engine.dispose()
    with tempfile.TemporaryDirectory(prefix="labeler-export-") as folder:
        helpers: list[_Worker] = []
        try:
            for number in range(1, workers):
                helpers.append(_Worker.fork(engine, project, labels, Path(folder) / f"part-{number}.jsonl"))
            with engine.connect() as connection:
                snapshot = _Snapshot.take(connection)
                try:
                    groups = [GroupKey(*row) for row in connection.execute(GROUP_KEYS, {"project_id": project.id})]
                    shares = _split(groups, workers)
                    for helper, share in zip(helpers, shares[1:]):
                        helper.start(share, snapshot.token)
                    for helper in helpers:
                        helper.wait_ready()
                finally:
                    snapshot.release_writers()
                yield from gold_lines(connection, project, shares[0], labels, counts)
            for helper in helpers:
                for name, amount in helper.wait_done().items():
                    counts.add(name, amount)
                yield from helper.part()
        finally:
            for helper in helpers:
                helper.stop()


def _split(groups: list[GroupKey], workers: int) -> list[list[GroupKey]]:
    """Split the groups into ``workers`` contiguous shares of the same size, in order.

    This process also appends the parts at the end, but a worker starts later and first copies the pages it
    writes to: equal shares finished closest together (measured on 2 cores).
    """
    return [groups[len(groups) * number // workers:len(groups) * (number + 1) // workers]
            for number in range(workers)]


class _Snapshot:
    """The snapshot this process reads and the workers join: on SQLite, with the writers held back meanwhile."""

    def __init__(self, token: str | None, lock: Connection | None):
        self.token = token  # PostgreSQL's snapshot id
        self.lock = lock  # SQLite's connection that holds the write lock

    @classmethod
    def take(cls, connection: Connection) -> "_Snapshot":
        """Begin ``connection``'s read transaction, on the snapshot that the workers will join."""
        if connection.dialect.name == "sqlite":
            lock = connection.engine.connect()
            lock.exec_driver_sql("BEGIN IMMEDIATE")
            begin_snapshot(connection)
            return cls(None, lock)
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
            token = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            return cls(token, None)
        raise RuntimeError(f"a parallel export cannot share a snapshot on {connection.dialect.name}")

    def release_writers(self) -> None:
        """Let the other writers go on (SQLite): every process has its snapshot, or the export has failed."""
        if self.lock is not None:
            self.lock.rollback()
            self.lock.close()
            self.lock = None


def _join_snapshot(connection: Connection, token: str | None) -> None:
    """Begin a worker's read transaction on the snapshot this process took."""
    if connection.dialect.name == "sqlite":
        begin_snapshot(connection)
    else:
        connection.execution_options(isolation_level="REPEATABLE READ")
        connection.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{token}'")


class _Worker:
    """A forked process that exports one share of the groups to its part file."""

    def __init__(self, pid: int, channel: Channel, part_path: Path):
        self.pid = pid
        self.channel = channel
        self.part_path = part_path
        self.running = True

    @classmethod
    def fork(cls, engine: Engine, project: ProjectFacts, labels: str, part_path: Path) -> "_Worker":
        """Fork a worker; it waits for its share (:meth:`start`)."""
        ours, theirs = Pipe()
        pid = os.fork()
        if pid == 0:  # the worker: it never returns into the caller's code, and leaves by os._exit
            code = 1
            try:
                ours.close()
                code = _work(engine, project, labels, part_path, theirs)
            finally:
                os._exit(code)
        theirs.close()
        return cls(pid, ours, part_path)

    def start(self, share: list[GroupKey], token: str | None) -> None:
        """Send the worker its share of the groups and the snapshot to read them on."""
        self.channel.send((list(map(tuple, share)), token))

    def wait_ready(self) -> None:
        """Wait until the worker reads on the snapshot."""
        self._expect("ready")

    def wait_done(self) -> dict:
        """Wait until the worker has written its part; its counts."""
        counts = self._expect("done")
        os.waitpid(self.pid, 0)
        self.running = False
        return counts

    def part(self) -> Iterator[bytes]:
        with open(self.part_path, "rb") as part:
            while block := part.read(CHUNK_BYTES):
                yield block

    def stop(self) -> None:
        """End the worker if it still runs (the export failed or stopped) and reap it."""
        if self.running:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self.running = False
        self.channel.close()

    def _expect(self, wanted: str):
        try:
            what, value = self.channel.recv()
        except EOFError:
            raise RuntimeError(f"export worker {self.pid} died") from None
        if what != wanted:
            raise RuntimeError(f"export worker {self.pid} failed:\n{value}")
        return value


def _work(engine: Engine, project: ProjectFacts, labels: str, part_path: Path, channel: Channel) -> int:
    """A worker's life: join the snapshot, export its share to ``part_path``, send its counts. Returns the exit
    code."""
    try:
        # The engine's pool was emptied before the fork: what it connects now is this process's own.
        share, token = channel.recv()
        counts = Counts()
        with engine.connect() as connection:
            _join_snapshot(connection, token)
            channel.send(("ready", None))
            with open(part_path, "wb") as part:
                for line in gold_lines(connection, project, [GroupKey(*group) for group in share], labels, counts):
                    part.write(line)
        channel.send(("done", counts.values))
        return 0
    except BaseException:  # noqa: B036 (whatever it was, the parent must hear of it)
        try:
            channel.send(("failed", traceback.format_exc()))
        except OSError:
            pass
        return 1
