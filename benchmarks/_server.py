"""A real ``labeler serve`` for benchmarks: start it on a free port, watch its memory, talk to it over HTTP.

The client is the standard library's ``http.client`` with one keep-alive connection per client, a cookie jar
of one site and the page's CSRF token: what a browser does, without a dependency.
"""

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float | None:
    """The resident memory of a process in MB (VmRSS), or None once it has gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


class Server:
    """``python -m labeler serve`` on ``database_url``, on a free local port, until ``stop()``."""

    def __init__(self, database_url: str, log_path: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "LABELER_SECRET_KEY": secrets.token_hex(16), "PYTHONUNBUFFERED": "1"}
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "labeler", "serve", "--db", database_url, "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self._peak = 0.0
        self._watching = False
        self._wait_ready()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"labeler serve exited with {self.process.returncode}; see {self.log.name}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/login")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"labeler serve did not answer within {timeout} s; see {self.log.name}")

    def rss_mb(self) -> float | None:
        return rss_mb(self.pid)

    def watch_memory(self, every: float = 0.1) -> None:
        """Sample the server's RSS in the background; ``peak_mb()`` gives the highest sample so far."""
        self._watching = True

        def sample():
            while self._watching:
                value = self.rss_mb()
                if value is None:
                    return
                self._peak = max(self._peak, value)
                time.sleep(every)

        threading.Thread(target=sample, daemon=True).start()

    def peak_mb(self) -> float:
        return max(self._peak, self.rss_mb() or 0.0)

    def stop(self) -> int:
        """Stop the server as Ctrl+C would (waitress finishes what it is doing) and return its exit code."""
        self._watching = False
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


class Response:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def saved_span(self) -> int | None:
        """The span id a save names in its ``HX-Trigger`` event, if any."""
        trigger = self.headers.get("HX-Trigger")
        if not trigger:
            return None
        return json.loads(trigger).get("labeler:saved", {}).get("span")


class Client:
    """One browser: a keep-alive connection, the session cookie, the page's CSRF token."""

    def __init__(self, base: str, timeout: float = 30):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None) -> Response:
        """Send one request (reconnecting once if the kept-alive connection was closed) and read the answer."""
        body = urllib.parse.urlencode(form).encode() if form is not None else None
        sent = {"Connection": "keep-alive", **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if self.csrf and method != "GET":
            sent["X-CSRFToken"] = self.csrf
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=body, headers=sent)
                answer = self.connection.getresponse()
                data = answer.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server closed while idle: the request never reached the app
                # only when nothing was sent yet, so retry once on a fresh connection, never more.
                self.close()
                if attempt == 2 or method != "GET":
                    raise
        for name, value in answer.getheaders():
            if name.lower() == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _, content = cookie.partition("=")
                self.cookies[key.strip()] = content.strip()
        if answer.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(answer.status, answer.headers, data)

    def get(self, path: str, **headers) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, form: dict, headers: dict | None = None) -> Response:
        return self.request("POST", path, form=form, headers=headers)

    def login(self, username: str, password: str) -> None:
        """Log in through the form, then take the new session's CSRF token from a page."""
        page = self.get("/login")
        token = CSRF_FIELD.search(page.text).group(1)
        answer = self.post("/login", {"username": username, "password": password, "csrf_token": token})
        if answer.status != 302:
            raise RuntimeError(f"login of {username} failed: {answer.status}")
        match = CSRF_HEADER.search(self.get("/projects/").text)
        self.csrf = match.group(1)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
