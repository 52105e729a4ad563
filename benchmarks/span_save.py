"""Time saving a span, and the group page, in a group that already holds 2,000 spans (issue 8 targets).

One group of 5 documents × 200 paragraphs; one annotator already has 2,000 spans in it. Against a real
``labeler serve`` (over HTTP: the session cookie, the CSRF header, htmx's headers, as the page sends them), it
renders the group page, then creates, edits and deletes spans (each save answers with the re-rendered paragraph
and MQM figures). Each round gives p50/p95/p99 in milliseconds per operation; the figures printed are the
median over the rounds, so one noisy round does not decide them. The server's memory (RSS) is read after
start-up and a few requests (idle), and at its highest during the saves.

``--test-client`` times the same requests through Flask's test client instead (no HTTP, no server process):
server time alone, the figure to profile.

Usage: python benchmarks/span_save.py [--paragraphs 200] [--spans 2000] [--saves 200] [--renders 50] [--rounds 3]
"""

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlmodel import Session, select  # noqa: E402

from _server import Client, Response, Server  # noqa: E402
from _synthetic import write_jsonl  # noqa: E402
from _timing import machine, summary  # noqa: E402
from labeler import annotations, create_app  # noqa: E402
from labeler.auth import create_user  # noqa: E402
from labeler.ingest import import_documents  # noqa: E402
from labeler.models import Document, Group, Project, Segment  # noqa: E402
from labeler.readers import read_paths  # noqa: E402

LABELS = ["PER", "ORG", "LOC", "DATE", "MONEY"]
USERNAME, PASSWORD = "bench", "bench-password"
WARM_UP = 5


def word_spans(session: Session, group: Group) -> list[dict]:
    """Every word of every paragraph of the group, as span fields (code-point offsets)."""
    out = []
    for document in session.exec(select(Document).where(Document.group_id == group.id)):
        for segment in session.exec(select(Segment).where(Segment.document_id == document.id)):
            position = segment.char_start
            for word in document.text[segment.char_start:segment.char_end].split(" "):
                if len(word) > 2:
                    out.append({"document_id": document.id, "char_start": position,
                                "char_end": position + len(word), "surface": word})
                position += len(word) + 1
    return out


def prepare(folder: Path, paragraphs: int = 200, spans: int = 2000, fresh: int = 600, seed: int = 11) -> dict:
    """Build the benchmark database: one group of 5 × ``paragraphs``, ``spans`` spans of one annotator.

    :returns: ``database_url``, ``group_key``, and ``fresh``: span fields not used yet, for the saves.
    """
    rng = random.Random(seed)
    corpus = folder / "span-save.jsonl"
    write_jsonl(corpus, 1, paragraphs, words=30)
    database_url = f"sqlite:///{folder / 'span-save.db'}"
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench", "TESTING": True})
    engine = app.extensions["labeler.engine"]
    with Session(engine) as session:
        import_documents(session, "Bench", read_paths([corpus]))
        user = create_user(session, USERNAME, PASSWORD, "annotator")
        session.commit()
        project = session.exec(select(Project)).one()
        group = session.exec(select(Group)).one()
        candidates = word_spans(session, group)
        rng.shuffle(candidates)
        for fields in candidates[:spans]:
            annotations.create(session, project, group, user.id, {**fields, "layer": "entity",
                                                                  "label": rng.choice(LABELS)})
        session.commit()
        group_key = group.key
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return {"database_url": database_url, "group_key": group_key, "fresh": candidates[spans:spans + fresh]}


class FlaskClient:
    """Flask's test client behind the same small interface as ``_server.Client``."""

    def __init__(self, app):
        self.client = app.test_client()
        self.csrf = None

    def get(self, path: str, **headers) -> Response:
        answer = self.client.get(path, headers=headers)
        return Response(answer.status_code, answer.headers, answer.data)

    def post(self, path: str, form: dict, headers: dict | None = None) -> Response:
        answer = self.client.post(path, data=form, headers={"X-CSRFToken": self.csrf or "", **(headers or {})})
        return Response(answer.status_code, answer.headers, answer.data)

    def login(self, username: str, password: str) -> None:
        from _server import CSRF_FIELD, CSRF_HEADER

        token = CSRF_FIELD.search(self.get("/login").text).group(1)
        self.post("/login", {"username": username, "password": password, "csrf_token": token})
        self.csrf = CSRF_HEADER.search(self.get("/projects/").text).group(1)


def _timed(call) -> tuple[float, Response]:
    started = time.perf_counter()
    answer = call()
    return (time.perf_counter() - started) * 1000, answer


def time_group_page(client, path: str, renders: int) -> list[float]:
    """Render the group page (the whole page, as a browser opens it) ``renders`` times; milliseconds."""
    timings = []
    for _ in range(renders):
        elapsed, answer = _timed(lambda: client.get(path))
        assert answer.status == 200, answer.status
        timings.append(elapsed)
    return timings


def time_saves(client, base: str, fresh: list[dict], rng: random.Random) -> dict[str, list[float]]:
    """Create a span on each of ``fresh``, then edit each, then delete each, as the page does; milliseconds."""
    headers = {"HX-Request": "true"}
    timings = {"create": [], "edit": [], "delete": []}
    made = []
    for fields in fresh:
        layer = rng.choice(["entity", "error"])
        data = {**fields, "layer": layer,
                "label": rng.choice(LABELS) if layer == "entity" else "Accuracy/Mistranslation"}
        elapsed, answer = _timed(lambda: client.post(f"{base}/annotations", data, headers))
        assert answer.status == 201, (answer.status, answer.text[:300])
        timings["create"].append(elapsed)
        made.append((answer.saved_span(), layer))
    for span_id, layer in made:
        change = {"version": 1, "label": "ORG"} if layer == "entity" else {"version": 1, "severity": "minor"}
        elapsed, answer = _timed(lambda: client.post(f"{base}/annotations/{span_id}", change, headers))
        assert answer.status == 200, (answer.status, answer.text[:300])
        timings["edit"].append(elapsed)
    for span_id, _ in made:
        elapsed, answer = _timed(lambda: client.post(f"{base}/annotations/{span_id}/delete", {"version": 2}, headers))
        assert answer.status == 200, (answer.status, answer.text[:300])
        timings["delete"].append(elapsed)
    return timings


def median_of_rounds(rounds: list[dict]) -> dict:
    """The median, over rounds, of each round's p50/p95/p99 (the timings of one round: ``summary``)."""
    figures = {name: round(statistics.median(r[name] for r in rounds), 2) for name in ("p50", "p95", "p99")}
    return {**figures, "n": sum(r["n"] for r in rounds), "rounds": [
        {name: r[name] for name in ("p50", "p95", "p99")} for r in rounds]}


def measure(folder: Path, paragraphs: int = 200, spans: int = 2000, saves: int = 200, renders: int = 50,
            rounds: int = 3, test_client: bool = False, seed: int = 11) -> dict:
    """Build the group, then time the group page and span saves over HTTP (or the test client), in rounds.

    :returns: per operation the median over rounds of p50/p95/p99 (ms); with HTTP, the server's RSS.
    """
    rng = random.Random(seed)
    setup = prepare(folder, paragraphs, spans, fresh=saves * rounds + WARM_UP, seed=seed)
    fresh = setup["fresh"]
    page = f"/projects/bench/groups/{setup['group_key']}"
    server = None
    if test_client:
        client = FlaskClient(create_app({"DATABASE_URL": setup["database_url"], "SECRET_KEY": "bench"}))
    else:
        server = Server(setup["database_url"], folder / "span-save-server.log")
        client = Client(server.base)
    try:
        started_mb = server.rss_mb() if server else None
        client.login(USERNAME, PASSWORD)
        time_group_page(client, page, WARM_UP)
        time_saves(client, page, fresh[:WARM_UP], rng)
        idle_mb = server.rss_mb() if server else None
        if server:
            server.watch_memory()
        results = {"group_page": [], "create": [], "edit": [], "delete": []}
        for number in range(rounds):
            results["group_page"].append(summary(time_group_page(client, page, renders)))
            batch = fresh[WARM_UP + number * saves:WARM_UP + (number + 1) * saves]
            for name, timings in time_saves(client, page, batch, rng).items():
                results[name].append(summary(timings))
        peak_mb = server.peak_mb() if server else None
    finally:
        if server:
            client.close()
            server.stop()
    out = {"via": "test client" if test_client else "HTTP (labeler serve)", "documents": 5,
           "paragraphs_per_document": paragraphs, "spans_in_group": spans, "rounds": rounds,
           **{f"{name}_ms": median_of_rounds(figures) for name, figures in results.items()}}
    if server:
        out["server_rss_mb"] = {"after_start": round(started_mb or 0, 1), "idle": round(idle_mb or 0, 1),
                                "peak": round(peak_mb or 0, 1)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=200)
    parser.add_argument("--spans", type=int, default=2000)
    parser.add_argument("--saves", type=int, default=200, help="creates (then edits, then deletes) per round")
    parser.add_argument("--renders", type=int, default=50, help="group page renders per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--test-client", action="store_true", help="time through Flask's test client, not HTTP")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        result = measure(Path(folder), args.paragraphs, args.spans, args.saves, args.renders, args.rounds,
                         args.test_client)
    print(json.dumps({"benchmark": "span_save", "machine": machine(), **result}, indent=2))


if __name__ == "__main__":
    main()
