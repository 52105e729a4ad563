"""Crash safety: ``labeler serve`` is killed with SIGKILL in the middle of a stream of span writes, then started
again. The database passes ``PRAGMA integrity_check``, every write that got a 201 is there, and every span that is
there came with its event (one transaction each: never half a write). And ``labeler backup`` taken while the
server writes restores into a database the server opens.

A real server process on a free port, a real SQLite file in WAL mode: a few seconds.
"""

import http.client
import http.cookiejar
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from labeler.auth import create_user
from labeler.cli import main
from labeler.ingest import import_documents
from labeler.models import Document
from labeler.readers import read_paths
from tests.conftest import PASSWORD, POSTGRES_URL

pytestmark = [pytest.mark.subprocess,
              pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's own crash recovery and integrity check")]

ROOT = Path(__file__).resolve().parents[2]
WORDS = [f"word{number}" for number in range(400)]
GROUP_URL = "/projects/crash/groups/crash"
WRITERS = 3
KILL_AFTER = 40  # acknowledged writes before the kill; the writers keep going while it lands


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``labeler serve`` in a child process."""

    def __init__(self, database_url: str):
        self.database_url, self.port, self.process = database_url, free_port(), None
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = Path(database_url.removeprefix("sqlite:///")).with_suffix(f".{self.port}.log")

    def start(self) -> None:
        env = {**os.environ, "LABELER_SECRET_KEY": "crash-test-secret", "PYTHONUNBUFFERED": "1"}
        with open(self.log, "wb") as log:  # a file, not a pipe: a full pipe would stall the server
            self.process = subprocess.Popen(
                [sys.executable, "-m", "labeler", "serve", "--db", self.database_url, "--port", str(self.port)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped: {self.log.read_text()}")
            try:
                urllib.request.urlopen(f"{self.base}/login", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not answer within 30 s")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.kill()


class Browser:
    """A logged-in HTTP client with its own cookie jar and the page's CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        token = self._token(self.opener.open(f"{base}/login", timeout=10).read().decode())
        form = urllib.parse.urlencode({"username": "writer", "password": PASSWORD, "csrf_token": token}).encode()
        page = self.opener.open(f"{base}/login", data=form, timeout=10).read().decode()  # redirected to projects
        self.csrf = self._token(page)

    @staticmethod
    def _token(html: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def post(self, path: str, fields: dict) -> int:
        request = urllib.request.Request(f"{self.base}{path}", data=urllib.parse.urlencode(fields).encode(),
                                         headers={"X-CSRFToken": self.csrf, "HX-Request": "true"})
        try:
            with self.opener.open(request, timeout=10) as response:
                response.read()  # acknowledged only once the whole answer has arrived
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


@pytest.fixture
def crash_db(database_url, engine):
    folder = Path(database_url.removeprefix("sqlite:///")).parent / "corpus" / "crash"
    folder.mkdir(parents=True)
    (folder / "en.txt").write_text(" ".join(WORDS) + "\n", encoding="utf-8")
    (folder / "group.json").write_text('{"documents": {"en.txt": {"lang": "en"}}}', encoding="utf-8")
    with Session(engine) as session:
        import_documents(session, "crash", read_paths([folder]))
        create_user(session, "writer", PASSWORD)
        session.commit()
        document_id = session.exec(select(Document.id)).one()
    engine.dispose()
    return database_url, document_id


class SpanStream:
    """Writers posting one span per word, from several threads, until stopped or until the server is gone."""

    def __init__(self, browser: Browser, document_id: int, threads: int = WRITERS):
        self.browser, self.document_id = browser, document_id
        self.acknowledged: list[tuple[int, int]] = []
        self.refused: list[int] = []
        self.lock, self.stopping = threading.Lock(), threading.Event()
        self.numbers = iter(range(len(WORDS)))
        self.threads = [threading.Thread(target=self._write) for _ in range(threads)]
        for thread in self.threads:
            thread.start()

    def _write(self) -> None:
        while not self.stopping.is_set():
            with self.lock:
                number = next(self.numbers, None)
            if number is None:
                return
            start = sum(len(word) + 1 for word in WORDS[:number])
            fields = {"document_id": self.document_id, "char_start": start, "char_end": start + len(WORDS[number]),
                      "surface": WORDS[number], "layer": "entity", "label": "MISC"}
            try:
                status = self.browser.post(f"{GROUP_URL}/annotations", fields)
            except (OSError, http.client.HTTPException):
                return  # the server is gone (perhaps mid-answer): this write was never acknowledged
            with self.lock:
                if status != 201:
                    self.refused.append(status)
                    return
                self.acknowledged.append((fields["char_start"], fields["char_end"]))

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 60
        while len(self.acknowledged) < count:
            assert time.monotonic() < deadline and not self.refused, (len(self.acknowledged), self.refused)
            time.sleep(0.01)

    def join(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(15)
        assert self.refused == [], "the server refused a valid span"


def spans_and_events(path: str) -> tuple[set, set]:
    """Check the file's integrity; return its live spans and the spans its create events describe."""
    database = sqlite3.connect(path)
    try:
        assert database.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert database.execute("PRAGMA foreign_key_check").fetchall() == []
        stored = set(database.execute("SELECT char_start, char_end FROM annotation WHERE deleted_at IS NULL"))
        logged = {(json.loads(after)["char_start"], json.loads(after)["char_end"]) for (after,) in database.execute(
            "SELECT after FROM event WHERE action = 'annotation.create'")}
    finally:
        database.close()
    return stored, logged


def spans_shown(server: Server) -> set[str]:
    page = Browser(server.base).opener.open(f"{server.base}{GROUP_URL}", timeout=10).read().decode()
    return set(re.findall(r'data-spans="(\d+)"', page))


def test_sigkill_mid_stream_loses_no_acknowledged_write(crash_db):
    database_url, document_id = crash_db
    server = Server(database_url)
    server.start()
    try:
        stream = SpanStream(Browser(server.base), document_id)
        stream.wait_for(KILL_AFTER)
        server.kill()  # SIGKILL: no shutdown handler, no checkpoint, requests in flight
        stream.join()
        assert KILL_AFTER <= len(stream.acknowledged) < len(WORDS), "the kill did not land mid-stream"
    finally:
        server.stop()

    stored, logged = spans_and_events(database_url.removeprefix("sqlite:///"))
    lost = set(stream.acknowledged) - stored
    assert not lost, f"acknowledged writes lost: {sorted(lost)}"
    assert stored == logged, "a span without its event, or an event without its span: half a transaction"

    # Started again on the same file, the server shows every span and takes new writes.
    server = Server(database_url)
    server.start()
    try:
        assert len(spans_shown(server)) == len(stored)
        assert Browser(server.base).post(f"{GROUP_URL}/annotations", {
            "document_id": document_id, "char_start": 0, "char_end": len(WORDS[0]), "surface": WORDS[0],
            "layer": "entity", "label": "PER"}) == 201
    finally:
        server.stop()


def test_a_backup_taken_while_the_server_writes_restores_and_serves(crash_db, tmp_path):
    database_url, document_id = crash_db
    server = Server(database_url)
    server.start()
    try:
        stream = SpanStream(Browser(server.base), document_id)
        stream.wait_for(20)
        acknowledged_before = set(stream.acknowledged)
        result = CliRunner().invoke(main, ["backup", "-o", str(tmp_path / "live.db"), "--db", database_url])
        stream.wait_for(len(acknowledged_before) + 10)  # the writes went on during the backup
        stream.join()
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    stored, logged = spans_and_events(str(tmp_path / "live.db"))
    assert acknowledged_before <= stored, "a write acknowledged before the backup began is missing from it"
    assert len(stored) < len(stream.acknowledged), "the backup is a snapshot: writes after it are not in it"
    assert stored == logged, "the backup holds half a transaction"

    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    result = CliRunner().invoke(main, ["restore", str(tmp_path / "live.db"), "--db", restored])
    assert result.exit_code == 0, result.output
    server = Server(restored)
    server.start()
    try:
        assert len(spans_shown(server)) == len(stored)
    finally:
        server.stop()
