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
