"""Alignment accuracy on real news: NTREX-128 (../shared/data/ntrex), line-aligned in every language.

For each NTREX document, the sentences are joined into paragraphs of 2–4 sentences. Each translation then
gets its own paragraphing (seeded): in about half the documents one or two edits, each one of: merge two
paragraphs, split one in two, move a boundary by one sentence (split differently), drop a paragraph. The
aligner then aligns all five languages of the document (English as the source).

A *link* is a pair of paragraphs of two different documents that share a row. A predicted link is correct when
the two paragraphs share at least one gold sentence (the line index); the gold links are all such pairs.
Strict precision, recall and F1 are computed over links between the source and each translation, summed over
the corpus. A second scenario treats one language as a comparable article (paragraphs shuffled, a third
dropped) and reports the precision of its links.

Prints JSON. Skips (and says so) when ../shared/data/ntrex is missing.
"""

import json
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labeler.text.align import align  # noqa: E402

NTREX = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "ntrex"
LANGS = {"eng": "newstest2019-src.eng.txt", "deu": "newstest2019-ref.deu.txt", "fra": "newstest2019-ref.fra.txt",
         "por": "newstest2019-ref.por.txt", "spa": "newstest2019-ref.spa.txt"}


def load() -> tuple[dict[str, list[str]], list[list[int]]]:
    lines = {lang: (NTREX / name).read_text("utf-8").split("\n")[:-1] for lang, name in LANGS.items()}
    documents: dict[str, list[int]] = defaultdict(list)
    for index, doc_id in enumerate((NTREX / "DOCUMENT_IDS.tsv").read_text("utf-8").split("\n")[:-1]):
        documents[doc_id].append(index)
    return lines, list(documents.values())


def base_paragraphs(sentence_ids: list[int], rng: random.Random) -> list[list[int]]:
    out, position = [], 0
    while position < len(sentence_ids):
        size = rng.randint(2, 4)
        out.append(sentence_ids[position:position + size])
        position += size
    return out


def perturbed(base: list[list[int]], rng: random.Random) -> list[list[int]]:
    """A translation's own paragraphing: the base with up to two edits (see the module docstring)."""
    out = [list(p) for p in base]
    for _ in range(rng.choice([0, 0, 1, 2])):
        if len(out) < 3:
            break
        edit, k = rng.random(), rng.randrange(len(out) - 1)
        if edit < 0.25:
            out[k:k + 2] = [out[k] + out[k + 1]]
        elif edit < 0.5 and len(out[k]) >= 2:
            cut = rng.randrange(1, len(out[k]))
            out[k:k + 1] = [out[k][:cut], out[k][cut:]]
        elif edit < 0.75 and len(out[k]) >= 2:
            out[k + 1].insert(0, out[k].pop())
        else:
            del out[rng.randrange(1, len(out))]
    return out


def links(rows, paragraph_sets, a: int, b: int) -> set[tuple[int, int]]:
    found = set()
    for row in rows:
        for x in row.members[a]:
            for y in row.members[b]:
                found.add((x, y))
    return found


def gold_links(paragraph_sets, a: int, b: int) -> set[tuple[int, int]]:
    return {(x, y) for x, px in enumerate(paragraph_sets[a]) for y, py in enumerate(paragraph_sets[b])
            if set(px) & set(py)}


def main() -> None:
    if not NTREX.is_dir():
        print(json.dumps({"benchmark": "align_ntrex", "skipped": f"{NTREX} not found"}))
        return
    lines, documents = load()
    rng = random.Random(2019)
    langs = list(LANGS)
    true_positive = predicted = gold = 0
    comparable_correct = comparable_predicted = 0
    timings = []
    for sentence_ids in documents:
        base = base_paragraphs(sentence_ids, rng)
        paragraph_sets = [base if lang == "eng" else perturbed(base, rng) for lang in langs]
        texts = [[" ".join(lines[lang][i] for i in paragraph) for paragraph in sets]
                 for lang, sets in zip(langs, paragraph_sets)]
        started = time.perf_counter()
        rows = align(texts, ["source"] + ["translation"] * (len(langs) - 1))
        timings.append(time.perf_counter() - started)
        for b in range(1, len(langs)):
            found, expected = links(rows, paragraph_sets, 0, b), gold_links(paragraph_sets, 0, b)
            true_positive += len(found & expected)
            predicted += len(found)
            gold += len(expected)
        # Comparable: German shuffled with a third of its paragraphs dropped.
        shuffled = list(range(len(paragraph_sets[1])))
        rng.shuffle(shuffled)
        kept = sorted(shuffled[: max(1, (2 * len(shuffled)) // 3)], key=shuffled.index)
        comparable_sets = [paragraph_sets[0], [paragraph_sets[1][k] for k in kept]]
        comparable_texts = [texts[0], [texts[1][k] for k in kept]]
        rows = align(comparable_texts, ["source", "comparable"])
        found, expected = links(rows, comparable_sets, 0, 1), gold_links(comparable_sets, 0, 1)
        comparable_correct += len(found & expected)
        comparable_predicted += len(found)
    precision = true_positive / predicted if predicted else 0.0
    recall = true_positive / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(json.dumps({
        "benchmark": "align_ntrex", "documents": len(documents), "languages": langs,
        "translations": {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                         "links_predicted": predicted, "links_gold": gold},
        "comparable": {"precision": round(comparable_correct / comparable_predicted, 4) if comparable_predicted else None,
                       "links_predicted": comparable_predicted},
        "seconds_per_document": {"median": round(statistics.median(timings), 5), "total": round(sum(timings), 3)},
    }, indent=2))


if __name__ == "__main__":
    main()
