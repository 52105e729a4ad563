"""Precision and recall of the suggesters on real news with planted errors (NTREX-128, ../shared/data/ntrex).

Each NTREX document becomes a group of five versions (English source, German, French, Portuguese, Spanish)
whose paragraphs (2–4 sentences) are aligned by construction. Copies of the translations get planted errors,
each in its own paragraph and language: a number changed, a name misspelled, a paragraph left in English.
The numbers, names and language suggesters then run on every group; a suggestion is right when it overlaps a
planted error of its kind in the same document. Prints JSON: precision and recall per suggester, and time.
Target (issue 6): precision >= 0.9 at recall >= 0.8.

Usage: python benchmarks/suggest_ntrex.py [--documents N]
"""

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from align_ntrex import LANGS, NTREX, base_paragraphs, load  # noqa: E402
from labeler.suggesters import GroupText, name_tokens, number_tokens, suggest  # noqa: E402

KINDS = ("numbers", "names", "language")


def join(paragraphs: list[str]) -> tuple[str, list[tuple[int, int]]]:
    spans, offset = [], 0
    for text in paragraphs:
        spans.append((offset, offset + len(text)))
        offset += len(text) + 1
    return "\n".join(paragraphs), spans


def plant(versions: list[list[str]], rng: random.Random) -> tuple[list[list[str]], list[tuple[str, int, int, str]]]:
    """Plant at most one error of each kind, each in its own translation and paragraph.

    :returns: the changed versions and the planted errors ``(kind, document, paragraph, new surface)``.
    """
    versions = [list(v) for v in versions]
    planted, used = [], set()
    kinds = list(KINDS)
    rng.shuffle(kinds)
    for kind in kinds:
        options = [(doc, p) for doc in range(1, len(versions)) for p in range(len(versions[0]))
                   if (doc, p) not in used and p not in {q for _, q in used}]
        rng.shuffle(options)
        for doc, p in options:
            text = versions[doc][p]
            if kind == "language":
                versions[doc][p] = versions[0][p]
                planted.append((kind, doc, p, versions[0][p]))
            else:
                tokens = (number_tokens if kind == "numbers" else name_tokens)(text, 0, len(text))
                # Only a token the other versions share can be said to be wrong.
                shared = [t for t in tokens if sum(
                    any(o.value == t.value for o in (number_tokens if kind == "numbers" else name_tokens)(v[p], 0, len(v[p])))
                    for d, v in enumerate(versions) if d != doc) >= 3]
                if not shared:
                    continue
                token = rng.choice(shared)
                new = _change_number(token.surface, rng) if kind == "numbers" else _misspell(token.surface, rng)
                if new is None:
                    continue
                versions[doc][p] = text[:token.start] + new + text[token.end:]
                planted.append((kind, doc, p, new))
            used.add((doc, p))
            break
    return versions, planted


def _change_number(surface: str, rng: random.Random) -> str | None:
    digits = [i for i, ch in enumerate(surface) if ch.isdigit()]
    if not digits:
        return None
    i = rng.choice(digits)
    return surface[:i] + str((int(surface[i]) + rng.randint(1, 8)) % 10) + surface[i + 1:]


def _misspell(surface: str, rng: random.Random) -> str | None:
    if len(surface) < 5:
        return None
    i = rng.randrange(1, len(surface) - 2)
    if surface[i] == surface[i + 1]:
        return None
    return surface[:i] + surface[i + 1] + surface[i] + surface[i + 2:]  # two letters swapped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=0, help="only the first N documents (0: all)")
    args = parser.parse_args()
    if not NTREX.is_dir():
        print(json.dumps({"benchmark": "suggest_ntrex", "skipped": f"{NTREX} not found"}))
        return
    lines, documents = load()
    if args.documents:
        documents = documents[:args.documents]
    rng = random.Random(6)
    langs = list(LANGS)
    codes = {"eng": "en", "deu": "de", "fra": "fr", "por": "pt", "spa": "es"}
    totals = {kind: {"planted": 0, "found": 0, "suggested": 0, "right": 0} for kind in KINDS}
    started = time.perf_counter()
    for sentence_ids in documents:
        base = base_paragraphs(sentence_ids, rng)
        versions = [[" ".join(lines[lang][i] for i in paragraph) for paragraph in base] for lang in langs]
        versions, planted = plant(versions, rng)
        texts, spans = zip(*(join(v) for v in versions))
        group = GroupText(list(texts), [codes[lang] for lang in langs], ["source"] + ["translation"] * 4,
                          list(spans), [[[p] for _ in langs] for p in range(len(base))])
        suggestions = [s for s in suggest(group, KINDS) if s.layer == "error"]
        targets = []
        for kind, doc, p, surface in planted:
            a, b = spans[doc][p]
            at = texts[doc].index(surface, a) if kind != "language" else a
            targets.append((kind, doc, at, at + len(surface)))
            totals[kind]["planted"] += 1
        hit_targets = set()
        for s in suggestions:
            totals[s.suggester]["suggested"] += 1
            matches = [t for t in targets if t[0] == s.suggester and t[1] == s.doc and s.char_start < t[3] and t[2] < s.char_end]
            if matches:
                totals[s.suggester]["right"] += 1
                hit_targets.update(matches)
        for target in hit_targets:
            totals[target[0]]["found"] += 1
    report = {}
    for kind, t in totals.items():
        report[kind] = {"precision": round(t["right"] / t["suggested"], 4) if t["suggested"] else None,
                        "recall": round(t["found"] / t["planted"], 4) if t["planted"] else None, **t}
    print(json.dumps({"benchmark": "suggest_ntrex", "documents": len(documents), "suggesters": report,
                      "seconds": round(time.perf_counter() - started, 2),
                      "target": "precision >= 0.9 at recall >= 0.8"}, indent=2))


if __name__ == "__main__":
    main()
