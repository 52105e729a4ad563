"""Alignment time: 5 documents × 1,000 paragraphs (synthetic pseudo-news, English source + 4 translations).

Prints JSON with the median of 5 runs of ``labeler.text.align.align`` (anchor extraction included).
Target: under 2 s on one core.
"""

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synthetic import write_jsonl  # noqa: E402
from labeler.text.align import align  # noqa: E402


def measure_alignment(paragraphs: int = 1000, runs: int = 5) -> dict:
    """Align 5 synthetic documents of ``paragraphs`` paragraphs ``runs`` times; seconds per run."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corpus.jsonl"
        write_jsonl(path, groups=1, paragraphs=paragraphs)
        documents = [json.loads(line)["text"].split("\n\n") for line in path.read_text("utf-8").splitlines()]
    roles = ["source"] + [None] * (len(documents) - 1)
    timings, rows = [], []
    for _ in range(runs):
        started = time.perf_counter()
        rows = align(documents, roles)
        timings.append(time.perf_counter() - started)
    one_to_one = sum(1 for row in rows if all(len(members) == 1 for members in row.members))
    return {
        "documents": len(documents), "paragraphs_each": len(documents[0]),
        "seconds": {"median": round(statistics.median(timings), 3), "min": round(min(timings), 3),
                    "max": round(max(timings), 3), "runs": len(timings)},
        "rows": len(rows), "rows_one_to_one": one_to_one,
    }


def main() -> None:
    print(json.dumps({"benchmark": "align_speed", **measure_alignment()}, indent=2))


if __name__ == "__main__":
    main()
