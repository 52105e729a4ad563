"""Import a synthetic project (1,000 groups × 5 documents × 20 paragraphs) and time the group page.

Prints JSON: import time and MB/s (reading, normalisation, language detection, segmentation, alignment and
writing, all included), the database size, and the group page's server render time (p50/p95 over 50
renders through the Flask test client, logged in).

Usage: python benchmarks/import_and_render.py [--groups N] [--paragraphs N]
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlmodel import Session  # noqa: E402

from _synthetic import write_jsonl  # noqa: E402
from _timing import machine, percentile  # noqa: E402
from labeler import create_app  # noqa: E402
from labeler.auth import create_user  # noqa: E402
from labeler.ingest import import_documents  # noqa: E402
from labeler.readers import read_paths  # noqa: E402


def measure_import(folder: Path, groups: int, paragraphs: int = 20, name: str = "import") -> dict:
    """Import ``groups`` × 5 synthetic documents into a fresh SQLite database, in process, and time it.

    Everything the importer does is inside the time: reading the JSONL, normalisation, language detection,
    segmentation, alignment and the writes.

    :returns: the figures, and ``database``: the path of the database it made (for the next benchmark).
    """
    corpus = folder / f"{name}.jsonl"
    text_bytes = write_jsonl(corpus, groups, paragraphs)
    database = folder / f"{name}.db"
    app = create_app({"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "bench", "TESTING": True})
    engine = app.extensions["labeler.engine"]
    started = time.perf_counter()
    with Session(engine) as session:
        report = import_documents(session, "Bench", read_paths([corpus]))
    seconds = time.perf_counter() - started
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    corpus.unlink()
    return {"groups": groups, "documents": report.documents_created, "paragraphs": report.paragraphs,
            "text_mb": round(text_bytes / 1e6, 2), "seconds": round(seconds, 2),
            "mb_per_s": round(text_bytes / 1e6 / seconds, 3), "documents_per_s": round(report.documents_created / seconds, 1),
            "database_mb": round(database.stat().st_size / 1e6, 2), "database": database}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--paragraphs", type=int, default=20)
    parser.add_argument("--renders", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        imported = measure_import(Path(folder), args.groups, args.paragraphs)
        database = imported.pop("database")
        app = create_app({"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "bench", "TESTING": True})
        engine = app.extensions["labeler.engine"]
        with Session(engine) as session:
            create_user(session, "bench", "bench-password", "annotator")
            session.commit()
        client = app.test_client()
        login = client.get("/login").text
        token = login.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login", data={"username": "bench", "password": "bench-password", "csrf_token": token})
        timings = []
        for index in range(args.renders):
            key = f"g{(index * 37) % args.groups:05d}"
            started = time.perf_counter()
            response = client.get(f"/projects/bench/groups/{key}")
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        print(json.dumps({
            "benchmark": "import_and_render", "machine": machine(), "import": imported,
            "group_page_ms": {"p50": round(statistics.median(timings), 2), "p95": round(percentile(timings, 0.95), 2),
                              "renders": len(timings)},
        }, indent=2))


if __name__ == "__main__":
    main()
