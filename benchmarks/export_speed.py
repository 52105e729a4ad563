"""Export throughput: ``labeler export`` of a project whose gold set holds 1,000,000 spans, and its peak memory.

The documents come from the synthetic importer (``import_and_render.measure_import``); the spans are written
straight into SQLite with ``executemany`` (one ORM object at a time would take longer than the export), spread
evenly over the documents, on real words, mixed over the three layers: entities (a third linked to concepts),
claims with attributes, translation errors with a severity. Half were decided by a reviewer, half were
unanimous. Then ``labeler export`` runs as a subprocess, as a user runs it, several times: spans per second of
the whole command (start-up included) and its peak resident memory (``ru_maxrss``, read by a small wrapper).
The command's CPU seconds (user + system) are reported beside its wall time: on a machine shared with other jobs
they vary less, so they are the figure to compare two versions by.

Usage: python benchmarks/export_speed.py [--groups 2000] [--spans 1000000] [--runs 3] [--database PATH]
                                          [--workers N]

With ``--database PATH`` the database is kept: built there when the file is missing, reused as it is when it
exists (building takes minutes; the export takes seconds). ``--workers`` is passed to the command (default: its
own, one process per CPU): the CPU seconds count every process.
"""

import argparse
import json
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import machine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ENTITY_LABELS = ["PER", "ORG", "LOC", "PRODUCT", "DATE", "MONEY"]
ERROR_LABELS = ["Accuracy/Mistranslation", "Accuracy/Omission", "Fluency/Grammar", "Fluency/Spelling",
                "Terminology", "Locale convention/Number"]
SEVERITIES = ["minor", "major", "critical"]
CHUNK = 50_000


def add_gold_spans(database: Path, spans: int, seed: int = 5) -> dict:
    """Write ``spans`` gold spans (and a reviewer, and concepts) into an imported project's database.

    :returns: how many spans per layer, and the seconds it took.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA synchronous = OFF")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    project_id = connection.execute("SELECT id FROM project").fetchone()[0]
    reviewer = connection.execute(
        "INSERT INTO account (username, password_hash, role, created_at) VALUES ('bench-reviewer', '-', "
        "'reviewer', ?) RETURNING id", (now,)).fetchone()[0]
    concepts = [connection.execute(
        "INSERT INTO concept (project_id, kind, name, note, created_at) VALUES (?, 'entity', ?, '', ?) RETURNING id",
        (project_id, f"Entity {number:04d}", now)).fetchone()[0] for number in range(1000)]
    segments: dict[int, list[tuple[int, int, int]]] = {}
    for segment_id, document_id, char_start, char_end in connection.execute(
            "SELECT id, document_id, char_start, char_end FROM segment ORDER BY document_id, position"):
        segments.setdefault(document_id, []).append((segment_id, char_start, char_end))
    documents = connection.execute("SELECT id, text FROM document WHERE NOT superseded ORDER BY id").fetchall()
    per_document, extra = divmod(spans, len(documents))
    counts = {"entity": 0, "claim": 0, "error": 0}
    columns = ("document_id", "segment_id", "char_start", "char_end", "surface", "layer", "label", "attrs",
               "concept_id", "decided_by_id", "decision", "origin", "status", "version", "created_at", "updated_at")
    statement = f"INSERT INTO annotation ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    batch = []
    for index, (document_id, text) in enumerate(documents):
        words = []
        for segment_id, char_start, char_end in segments[document_id]:
            for match in re.finditer(r"\S{3,}", text[char_start:char_end]):
                words.append((segment_id, char_start + match.start(), char_start + match.end()))
        wanted = per_document + (1 if index < extra else 0)
        chosen = rng.sample(words, wanted) if wanted <= len(words) else [rng.choice(words) for _ in range(wanted)]
        for segment_id, char_start, char_end in chosen:
            draw = rng.random()
            if draw < 0.7:
                layer, label = "entity", rng.choice(ENTITY_LABELS)
                attrs, concept = {}, rng.choice(concepts) if rng.random() < 0.33 else None
            elif draw < 0.8:
                layer, label, concept = "claim", "CLAIM", None
                attrs = {"check_worthy": rng.choice(["yes", "no"]), "claim_type": "numeric"}
            else:
                layer, label, concept = "error", rng.choice(ERROR_LABELS), None
                attrs = {"severity": rng.choice(SEVERITIES)}
            decided = rng.random() < 0.5
            batch.append((document_id, segment_id, char_start, char_end, text[char_start:char_end], layer, label,
                          json.dumps(attrs), concept, reviewer if decided else None,
                          None if decided else "unanimous", "human", "accepted", 1, now, now))
            counts[layer] += 1
        if len(batch) >= CHUNK:
            connection.executemany(statement, batch)
            batch = []
    connection.executemany(statement, batch)
    connection.commit()
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return {**counts, "seconds": round(time.perf_counter() - started, 2)}


# Runs the export as its child and reports the child's peak RSS and CPU seconds. The wrapper is needed: a child
# started straight from this (large) process inherits its high-water mark through fork and exec, so ``wait4`` or
# RUSAGE_CHILDREN would report this process's peak instead of the export's.
PEAK_RSS_WRAPPER = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
                    "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
                    "print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime, file=sys.stderr); sys.exit(code)")


def run_export(database: Path, output: Path, workers: int | None = None) -> dict:
    """Run ``labeler export`` once in a subprocess: its wall and CPU time, peak RSS and what it says it wrote."""
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "-c", PEAK_RSS_WRAPPER, sys.executable, "-m", "labeler", "export", "--project", "Bench",
         "--db", f"sqlite:///{database}", "-o", str(output), *(["--workers", str(workers)] if workers else [])],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"labeler export failed ({process.returncode}): {process.stderr}")
    peak_kb, cpu_seconds = process.stderr.strip().splitlines()[-1].split()
    counts = re.search(r"(\d+) entities, (\d+) claims, (\d+) errors", process.stderr)
    spans = sum(int(value) for value in counts.groups())
    return {"seconds": seconds, "cpu_seconds": float(cpu_seconds), "peak_rss_mb": int(peak_kb) / 1024, "spans": spans,
            "file_mb": output.stat().st_size / 1e6}


def measure_export(database: Path, runs: int = 3, workers: int | None = None) -> dict:
    """Export the database's project ``runs`` times; median spans/s (of wall and of CPU time), the highest peak RSS."""
    results = []
    for number in range(runs):
        output = database.parent / "export.jsonl"
        results.append(run_export(database, output, workers))
        output.unlink()
    seconds = statistics.median(result["seconds"] for result in results)
    cpu_seconds = statistics.median(result["cpu_seconds"] for result in results)
    spans = results[0]["spans"]
    return {"spans": spans, "runs": runs, "seconds": round(seconds, 2),
            "spans_per_s": round(spans / seconds), "peak_rss_mb": round(max(r["peak_rss_mb"] for r in results), 1),
            "cpu_seconds": round(cpu_seconds, 2), "spans_per_cpu_s": round(spans / cpu_seconds),
            "file_mb": round(results[0]["file_mb"], 1),
            "seconds_each": [round(result["seconds"], 2) for result in results],
            "cpu_seconds_each": [round(result["cpu_seconds"], 2) for result in results]}


def main() -> None:
    from import_and_render import measure_import

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=2000, help="groups of 5 documents × 20 paragraphs")
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", type=Path, default=None,
                        help="keep the database here: built when missing, reused when it exists")
    parser.add_argument("--workers", type=int, default=None, help="processes of the export (default: its own)")
    args = parser.parse_args()
    if args.database is not None and args.database.exists():
        result = measure_export(args.database, args.runs, args.workers)
        documents = _count_documents(args.database)
        print(json.dumps({"benchmark": "export_speed", "machine": machine(), "documents": documents,
                          "database": str(args.database), "export": result}, indent=2))
        return
    with tempfile.TemporaryDirectory() as folder:
        imported = measure_import(Path(folder), args.groups)
        database = imported.pop("database")
        written = add_gold_spans(database, args.spans)
        if args.database is not None:
            args.database.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(database, args.database)
            database = args.database
        result = measure_export(database, args.runs, args.workers)
    print(json.dumps({"benchmark": "export_speed", "machine": machine(), "documents": imported["documents"],
                      "spans_written": written, "export": result}, indent=2))


def _count_documents(database: Path) -> int:
    """How many current documents a kept database holds."""
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM document WHERE NOT superseded").fetchone()[0]


if __name__ == "__main__":
    main()
