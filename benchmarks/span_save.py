"""Time saving a span in a group that already holds 2,000 spans (issue 4: p95 ≤ 20 ms of server time).

One group of 5 documents × 200 paragraphs; one annotator already has 2,000 spans in it. Then, through the
Flask test client (the whole request: CSRF check, validation, the write, the event, the commit and the
re-rendered paragraph and MQM figures), it creates, edits and deletes spans and prints JSON with p50/p95/p99
in milliseconds per operation.

Usage: python benchmarks/span_save.py [--paragraphs 200] [--spans 2000] [--saves 300]
"""

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlmodel import Session, select  # noqa: E402

from _synthetic import write_jsonl  # noqa: E402
from _timing import summary  # noqa: E402
from labeler import annotations, create_app  # noqa: E402
from labeler.auth import create_user  # noqa: E402
from labeler.ingest import import_documents, read_paths  # noqa: E402
from labeler.models import Document, Group, Project, Segment  # noqa: E402

LABELS = ["PER", "ORG", "LOC", "DATE", "MONEY"]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=200)
    parser.add_argument("--spans", type=int, default=2000)
    parser.add_argument("--saves", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        corpus = folder / "corpus.jsonl"
        write_jsonl(corpus, 1, args.paragraphs, words=30)
        app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.db'}", "SECRET_KEY": "bench", "TESTING": True})
        engine = app.extensions["labeler.engine"]
        with Session(engine) as session:
            import_documents(session, "Bench", read_paths([corpus]))
            user = create_user(session, "bench", "bench-password", "annotator")
            session.commit()
            project = session.exec(select(Project)).one()
            group = session.exec(select(Group)).one()
            candidates = word_spans(session, group)
            rng.shuffle(candidates)
            existing, fresh = candidates[:args.spans], candidates[args.spans:args.spans + args.saves]
            for fields in existing:
                annotations.create(session, project, group, user.id, {**fields, "layer": "entity",
                                                                      "label": rng.choice(LABELS)})
            session.commit()
            group_key = group.key

        client = app.test_client()
        token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login", data={"username": "bench", "password": "bench-password", "csrf_token": token})
        token = client.get("/projects/").text.split('"X-CSRFToken": "')[1].split('"')[0]
        headers = {"X-CSRFToken": token, "HX-Request": "true"}
        base = f"/projects/bench/groups/{group_key}"

        created, edited, deleted, made = [], [], [], []
        for fields in fresh:
            layer = rng.choice(["entity", "error"])
            data = {**fields, "layer": layer,
                    "label": rng.choice(LABELS) if layer == "entity" else "Accuracy/Mistranslation"}
            started = time.perf_counter()
            response = client.post(f"{base}/annotations", data=data, headers=headers)
            created.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 201, response.text
            made.append((json.loads(response.headers["HX-Trigger"])["labeler:saved"]["span"], layer))
        for span_id, layer in made:
            change = {"version": 1, "label": "ORG"} if layer == "entity" else {"version": 1, "severity": "minor"}
            started = time.perf_counter()
            response = client.post(f"{base}/annotations/{span_id}", data=change, headers=headers)
            edited.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
        for span_id, _ in made:
            started = time.perf_counter()
            response = client.post(f"{base}/annotations/{span_id}/delete", data={"version": 2}, headers=headers)
            deleted.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
        print(json.dumps({
            "benchmark": "span_save",
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.system()},
            "documents": 5, "paragraphs_per_document": args.paragraphs, "spans_in_group": args.spans,
            "create_ms": summary(created), "edit_ms": summary(edited), "delete_ms": summary(deleted),
            "target": "create p95 <= 20 ms",
        }, indent=2))


if __name__ == "__main__":
    main()
