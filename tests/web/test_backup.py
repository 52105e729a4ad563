"""Backups while the database is being written, and restores that check what they restore."""

import sqlite3
import threading

import pytest
from click.testing import CliRunner

from labeler.cli import main
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite backups; PostgreSQL uses pg_dump")


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_backup_while_writing_then_restore(database_url, tmp_path):
    path = database_url.removeprefix("sqlite:///")
    stop, started = threading.Event(), threading.Event()

    def writer():
        connection = sqlite3.connect(path, timeout=5)
        number = 0
        while not stop.is_set():
            number += 1
            connection.execute("INSERT INTO project (name, slug, label_schema, is_open, created_at) "
                               "VALUES (?, ?, '{}', 1, '2026-01-01')", (f"p{number}", f"p{number}"))
            connection.commit()
            if number == 50:
                started.set()
        connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    started.wait(10)
    try:
        result = run("backup", "-o", str(tmp_path / "copy.db"), "--db", database_url)
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    assert "integrity checked" in result.output
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    backed_up = copy.execute("SELECT count(*) FROM project").fetchone()[0]
    copy.close()
    assert backed_up > 0

    target = tmp_path / "restored.db"
    result = run("restore", str(tmp_path / "copy.db"), "--db", f"sqlite:///{target}")
    assert result.exit_code == 0, result.output
    restored = sqlite3.connect(target)
    assert restored.execute("SELECT count(*) FROM project").fetchone()[0] == backed_up


def test_backup_refuses_to_overwrite_and_other_databases(database_url, tmp_path):
    existing = tmp_path / "there.db"
    existing.write_text("keep me")
    result = run("backup", "-o", str(existing), "--db", database_url)
    assert result.exit_code == 1 and "exists" in result.output
    assert existing.read_text() == "keep me"
    result = run("backup", "-o", str(tmp_path / "x.db"), "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.exit_code == 1 and "pg_dump" in result.output


def test_restore_checks_the_backup_and_needs_force_to_replace(database_url, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    result = run("restore", str(junk), "--db", f"sqlite:///{tmp_path / 'new.db'}")
    assert result.exit_code == 1 and "not a SQLite database" in result.output
    run("backup", "-o", str(tmp_path / "good.db"), "--db", database_url)
    result = run("restore", str(tmp_path / "good.db"), "--db", database_url)
    assert result.exit_code == 1 and "--force" in result.output
    assert run("restore", str(tmp_path / "good.db"), "--db", database_url, "--force").exit_code == 0


def test_a_backup_is_one_self_contained_file(database_url, tmp_path):
    copy = tmp_path / "copy.db"
    assert run("backup", "-o", str(copy), "--db", database_url).exit_code == 0
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith("copy")) == ["copy.db"]
    target = tmp_path / "restored.db"
    assert run("restore", str(copy), "--db", f"sqlite:///{target}").exit_code == 0
    # Reading the backup (as restore does) leaves no -wal or -shm beside it: it can sit on read-only media.
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith("copy")) == ["copy.db"]
    connection = sqlite3.connect(copy)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    connection.close()


def test_paths_with_url_characters_back_up_and_restore(tmp_path, migrated_template):
    import shutil

    folder = tmp_path / "team #1 100%"
    folder.mkdir()
    shutil.copy(migrated_template, folder / "labeler.db")
    url = f"sqlite:///{folder / 'labeler.db'}"
    result = run("backup", "-o", str(folder / "copy%20#2.db"), "--db", url)
    assert result.exit_code == 0, result.output
    result = run("restore", str(folder / "copy%20#2.db"), "--db", f"sqlite:///{folder / 'new #3.db'}")
    assert result.exit_code == 0, result.output
    restored = sqlite3.connect(folder / "new #3.db")
    assert restored.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
    restored.close()


def test_missing_folders_and_folders_given_as_files_are_clean_errors(database_url, tmp_path):
    result = run("backup", "-o", str(tmp_path / "no" / "such" / "copy.db"), "--db", database_url)
    assert result.exit_code == 1 and "no folder" in result.output
    assert run("backup", "-o", str(tmp_path / "copy.db"), "--db", database_url).exit_code == 0
    result = run("restore", str(tmp_path / "copy.db"), "--db", f"sqlite:///{tmp_path / 'no' / 'new.db'}")
    assert result.exit_code == 1 and "no folder" in result.output
    result = run("restore", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'new.db'}")
    assert result.exit_code == 1 and "no backup at" in result.output
    assert not (tmp_path / "new.db").exists() and not (tmp_path / "new.db.partial").exists()
