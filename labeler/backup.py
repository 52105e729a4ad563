"""Backups of a SQLite database with SQLite's online backup API: consistent while the server writes.

PostgreSQL has its own tools (``pg_dump`` / ``pg_restore``, see the README); these functions refuse other URLs.
"""

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


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


def backup(url: str, target: Path) -> int:
    """Copy the database at ``url`` into ``target`` (a new file), page by page, while others keep writing.

    :returns: the size of the backup in bytes.
    :raises BackupError: when ``target`` exists or the database is missing.
    """
    source_path = sqlite_path(url)
    if not source_path.exists():
        raise BackupError(f"no database at {source_path}")
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name")
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    destination = sqlite3.connect(partial)
    try:
        # Small steps let writers in between; the API restarts the copy by itself when a writer changed a page.
        source.backup(destination, pages=1024, sleep=0.005)
        check = destination.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy failed its integrity check: {check}")
    finally:
        destination.close()
        source.close()
    partial.rename(target)
    return target.stat().st_size


def restore(backup_file: Path, url: str, force: bool = False) -> None:
    """Replace the database at ``url`` with ``backup_file``. Stop the server first.

    :param force: replace an existing database (otherwise refused).
    :raises BackupError: when the backup is not a sound labeler database, or the target exists without force.
    """
    target = sqlite_path(url)
    if not backup_file.exists():
        raise BackupError(f"no backup at {backup_file}")
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        try:
            check = source.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{backup_file} is not a SQLite database: {error}") from None
        if check != "ok":
            raise BackupError(f"{backup_file} fails its integrity check: {check}")
        if not {"alembic_version", "annotation", "document"} <= tables:
            raise BackupError(f"{backup_file} is not a labeler database")
        if target.exists() and not force:
            raise BackupError(f"{target} exists; pass --force to replace it")
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
