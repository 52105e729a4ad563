"""Backups of a SQLite database with SQLite's online backup API: consistent while the server writes.

PostgreSQL has its own tools (``pg_dump`` / ``pg_restore``, see the README); these functions refuse other URLs.

Both directions write a ``.partial`` file next to the target, check it, and only then rename it into place, so a
backup or restore that fails (a full disk, a kill, a bad file) leaves no half-written database behind. A backup is
one self-contained file (rollback-journal mode, not WAL), so it can be copied alone and read from read-only media.
"""

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

LABELER_TABLES = {"alembic_version", "annotation", "document"}


class BackupError(ValueError):
    pass


def sqlite_path(url: str) -> Path:
    """Return the file of a ``sqlite:///`` URL.

    :raises BackupError: for another database, or an in-memory one.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupError(f"backups here are for SQLite; for {parsed.get_backend_name()} use its own tools "
                          "(pg_dump / pg_restore for PostgreSQL)")
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    return Path(parsed.database)


def _read_only(path: Path) -> sqlite3.Connection:
    # A URI, so that the file is never created or written; as_uri() escapes '?', '#' and '%' in the path.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _copy(source: sqlite3.Connection, partial: Path, pages: int = -1) -> None:
    """Copy ``source`` into the new file ``partial``, as one file in rollback-journal mode, and check it."""
    destination = sqlite3.connect(partial)
    try:
        # Small steps let writers in between; the API restarts the copy by itself when a writer changed a page.
        source.backup(destination, pages=pages, sleep=0.005)
        destination.execute("PRAGMA journal_mode = DELETE")
        check = destination.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy failed its integrity check: {check}")
    finally:
        destination.close()


def _check_folder(target: Path) -> None:
    if not target.parent.is_dir():
        raise BackupError(f"no folder {target.parent}; create it first")


def backup(url: str, target: Path) -> int:
    """Copy the database at ``url`` into ``target`` (a new file), page by page, while others keep writing.

    :returns: the size of the backup in bytes.
    :raises BackupError: when ``target`` exists, its folder does not, the database is missing or cannot be read.
    """
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"no database at {source_path}")
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name")
    _check_folder(target)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        source = _read_only(source_path)
        try:
            _copy(source, partial, pages=1024)
        finally:
            source.close()
        partial.rename(target)
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up {source_path} to {target}: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def restore(backup_file: Path, url: str, force: bool = False) -> None:
    """Replace the database at ``url`` with ``backup_file``. Stop the server first.

    :param force: replace an existing database (otherwise refused).
    :raises BackupError: when the backup is not a sound labeler database, or the target exists without force.
    """
    target = sqlite_path(url)
    if not backup_file.is_file():
        raise BackupError(f"no backup at {backup_file}")
    if target.exists() and not force:
        raise BackupError(f"{target} exists; pass --force to replace it")
    _check_folder(target)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        source = _read_only(backup_file)
        try:
            try:
                check = source.execute("PRAGMA integrity_check").fetchone()[0]
                tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            except sqlite3.DatabaseError as error:
                raise BackupError(f"{backup_file} is not a SQLite database: {error}") from None
            if check != "ok":
                raise BackupError(f"{backup_file} fails its integrity check: {check}")
            if not LABELER_TABLES <= tables:
                raise BackupError(f"{backup_file} is not a labeler database")
            _copy(source, partial)
        finally:
            source.close()
        # The old database's journal belongs to the old file: it must not be replayed into the restored one.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise BackupError(f"cannot restore {backup_file} into {target}: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
