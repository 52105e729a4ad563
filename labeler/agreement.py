"""Inter-annotator agreement: pure functions over spans (no Flask, no database).

- **Span F1** between two annotators, exact (same document, layer and offsets) or overlapping (one-to-one,
  greatest overlap first). Symmetric: precision for one is recall for the other.
- **Cohen's kappa** on the labels of the spans both marked (matched pairs), and on error severities.
- **Krippendorff's alpha** (nominal) over all annotators: each matched place is a unit, each annotator's label
  there a value (an annotator who did not mark it has no value).
- **MQM correlation**: Pearson's r between two annotators' MQM penalties per document.

Everything is reported per layer, and within a layer per language and per label.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class Span:
    annotator: str
    doc: str  # any key unique per document, e.g. "group/doc_id"
    lang: str
    layer: str
    char_start: int
    char_end: int
    label: str
    severity: str | None = None


def match(a: list[Span], b: list[Span], overlap: bool = False) -> list[tuple[Span, Span]]:
    """Pair the spans of two annotators one-to-one: same document and layer, and the same offsets (exact) or
    overlapping offsets (exact pairs first, then the greatest overlap)."""
    pairs, used_a, used_b = [], set(), set()
    by_place = defaultdict(list)
    for j, span in enumerate(b):
        by_place[(span.doc, span.layer, span.char_start, span.char_end)].append(j)
    for i, span in enumerate(a):
        candidates = [j for j in by_place.get((span.doc, span.layer, span.char_start, span.char_end), []) if j not in used_b]
        if candidates:
            # Among identical places, prefer the same label, so that agreement is not hidden by order.
            j = next((j for j in candidates if b[j].label == span.label), candidates[0])
            pairs.append((span, b[j]))
            used_a.add(i)
            used_b.add(j)
    if overlap:
        options = []
        for i, x in enumerate(a):
            if i in used_a:
                continue
            for j, y in enumerate(b):
                if j in used_b or x.doc != y.doc or x.layer != y.layer:
                    continue
                shared = min(x.char_end, y.char_end) - max(x.char_start, y.char_start)
                if shared > 0:
                    options.append((-shared, i, j))
        for _, i, j in sorted(options):
            if i not in used_a and j not in used_b:
                pairs.append((a[i], b[j]))
                used_a.add(i)
                used_b.add(j)
    return pairs


def f1(a: list[Span], b: list[Span], overlap: bool = False) -> dict:
    """Span F1 of ``b`` against ``a`` (symmetric in F1): ``{precision, recall, f1, matched, a, b}``."""
    matched = len(match(a, b, overlap))
    precision = matched / len(b) if b else (1.0 if not a else 0.0)
    recall = matched / len(a) if a else (1.0 if not b else 0.0)
    score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(score, 4),
            "matched": matched, "a": len(a), "b": len(b)}


def cohen_kappa(first: list[str], second: list[str]) -> float | None:
    """Cohen's kappa of two equally long label sequences; None when there is nothing to compare."""
    if len(first) != len(second):
        raise ValueError("two sequences of the same length are needed")
    n = len(first)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(first, second)) / n
    count_a, count_b = Counter(first), Counter(second)
    expected = sum(count_a[label] * count_b[label] for label in count_a) / (n * n)
    if expected == 1:
        return 1.0 if observed == 1 else 0.0
    return round((observed - expected) / (1 - expected), 4)


def krippendorff_alpha(units: list[list[str | None]]) -> float | None:
    """Krippendorff's alpha for nominal data.

    :param units: per unit, each coder's value or None (missing).
    :returns: alpha, or None when no unit has two values.
    """
    pairable = [[v for v in unit if v is not None] for unit in units]
    pairable = [values for values in pairable if len(values) >= 2]
    if not pairable:
        return None
    coincidence: Counter = Counter()
    for values in pairable:
        m = len(values)
        for i, x in enumerate(values):
            for j, y in enumerate(values):
                if i != j:
                    coincidence[(x, y)] += 1 / (m - 1)
    n_c: Counter = Counter()
    for (x, _), weight in coincidence.items():
        n_c[x] += weight
    n = sum(n_c.values())
    observed = sum(weight for (x, y), weight in coincidence.items() if x != y)
    expected = (n * n - sum(v * v for v in n_c.values())) / (n - 1)
    if expected == 0:
        return 1.0
    return round(1 - observed / expected, 4)


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r; None for fewer than two points or a constant series."""
    if len(xs) != len(ys) or len(xs) < 2:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / (sx * sy), 4)


def _units(spans: list[Span], annotators: list[str]) -> list[list[str | None]]:
    """Places (document, layer, offsets) marked by anyone, with each annotator's label there."""
    places: dict[tuple, dict[str, str]] = defaultdict(dict)
    for span in spans:
        places[(span.doc, span.layer, span.char_start, span.char_end)].setdefault(span.annotator, span.label)
    return [[labels.get(who) for who in annotators] for _, labels in sorted(places.items())]


def _pair_figures(a: list[Span], b: list[Span]) -> dict:
    exact, overlapping = f1(a, b), f1(a, b, overlap=True)
    pairs = match(a, b, overlap=True)
    figures = {"exact_f1": exact["f1"], "overlap_f1": overlapping["f1"], "matched": overlapping["matched"],
               "kappa": cohen_kappa([x.label for x, _ in pairs], [y.label for _, y in pairs])}
    errors = [(x, y) for x, y in pairs if x.layer == "error"]
    if errors:
        figures["severity_agreement"] = round(sum(x.severity == y.severity for x, y in errors) / len(errors), 4)
        figures["severity_kappa"] = cohen_kappa([x.severity or "" for x, _ in errors], [y.severity or "" for _, y in errors])
    return figures


def _summary(spans: list[Span], annotators: list[str]) -> dict:
    by_annotator = {who: [s for s in spans if s.annotator == who] for who in annotators}
    pairs = [_pair_figures(by_annotator[a], by_annotator[b]) for a, b in combinations(annotators, 2)]

    def mean(name):
        values = [p[name] for p in pairs if p.get(name) is not None]
        return round(sum(values) / len(values), 4) if values else None

    return {"spans": len(spans), "exact_f1": mean("exact_f1"), "overlap_f1": mean("overlap_f1"),
            "kappa": mean("kappa"), "alpha": krippendorff_alpha(_units(spans, annotators)),
            "severity_agreement": mean("severity_agreement")}


def report(spans: list[Span], mqm_by_document: dict[str, dict[str, float]] | None = None) -> dict:
    """Agreement over a set of spans from two or more annotators.

    :param mqm_by_document: optional ``{annotator: {doc: penalty}}`` for the MQM correlation.
    :returns: ``{annotators, pairs: [{a, b, layers: {layer: figures}, mqm_r}], layers: {layer: summary with
        by_language and by_label}}``.
    """
    annotators = sorted({span.annotator for span in spans} | set(mqm_by_document or {}))
    layers = sorted({span.layer for span in spans})
    out = {"annotators": annotators, "pairs": [], "layers": {}}
    for a, b in combinations(annotators, 2):
        entry = {"a": a, "b": b, "layers": {}}
        for layer in layers:
            mine = [s for s in spans if s.layer == layer and s.annotator == a]
            theirs = [s for s in spans if s.layer == layer and s.annotator == b]
            entry["layers"][layer] = _pair_figures(mine, theirs)
        if mqm_by_document:
            docs = sorted(set(mqm_by_document.get(a, {})) & set(mqm_by_document.get(b, {})))
            entry["mqm_r"] = pearson([mqm_by_document[a][d] for d in docs], [mqm_by_document[b][d] for d in docs])
        out["pairs"].append(entry)
    for layer in layers:
        in_layer = [s for s in spans if s.layer == layer]
        summary = _summary(in_layer, annotators)
        summary["by_language"] = {lang: _summary([s for s in in_layer if s.lang == lang], annotators)
                                  for lang in sorted({s.lang for s in in_layer})}
        summary["by_label"] = {label: _label_summary(in_layer, annotators, label)
                               for label in sorted({s.label for s in in_layer})}
        out["layers"][layer] = summary
    return out


def _label_summary(spans: list[Span], annotators: list[str], label: str) -> dict:
    """Agreement on one label: span F1 over the spans that carry it, and how often it is the label of a place
    where annotators disagree."""
    own = [s for s in spans if s.label == label]
    summary = _summary(own, annotators)
    return {"spans": summary["spans"], "exact_f1": summary["exact_f1"], "overlap_f1": summary["overlap_f1"]}


def alignment_agreement(judgements: dict[str, dict[int, frozenset[int]]]) -> dict:
    """Agreement on alignment corrections.

    Rows are shared by a group's annotators, so what each annotator *said* is read from their corrections: a
    paragraph that an annotator confirmed, moved, split off, merged or detached is judged to belong with the
    other paragraphs of its row as they left it. For each pair of annotators, over the paragraphs both
    judged: how many they placed alike (the same company), and the F1 of the links (pairs of paragraphs in
    one row) each of them drew from those paragraphs.

    :param judgements: annotator → paragraph → the other paragraphs of its row (their last judgement).
    :returns: ``{annotators, pairs: [{a, b, paragraphs, placed_alike, link_f1}], paragraphs, placed_alike,
        link_f1}``; the totals pool every pair (``None`` where there is nothing to compare).
    """
    annotators = sorted(judgements)
    pairs = []
    shared = alike = matched = drawn = 0
    for a, b in combinations(annotators, 2):
        common = set(judgements[a]) & set(judgements[b])
        same = sum(1 for paragraph in common if judgements[a][paragraph] == judgements[b][paragraph])
        links_a = {frozenset((p, q)) for p in common for q in judgements[a][p]}
        links_b = {frozenset((p, q)) for p in common for q in judgements[b][p]}
        both = len(links_a & links_b)
        pairs.append({"a": a, "b": b, "paragraphs": len(common),
                      "placed_alike": same / len(common) if common else None,
                      "link_f1": 2 * both / (len(links_a) + len(links_b)) if links_a or links_b else None})
        shared, alike, matched, drawn = shared + len(common), alike + same, matched + both, drawn + len(links_a) + len(links_b)
    return {"annotators": annotators, "pairs": pairs, "paragraphs": shared,
            "placed_alike": alike / shared if shared else None, "link_f1": 2 * matched / drawn if drawn else None}
