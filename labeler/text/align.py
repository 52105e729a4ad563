"""N-way paragraph alignment: pure code, no Flask, no database.

Translations are aligned to a pivot document (the source, else the most central one), each on its own, by
monotone beads (``beads.py``; the pairs of many groups at once with ``align_many``, for imports); the rows follow
from the pivot's paragraphs, a paragraph that several of the pivot's cover reaching into each of their rows.

Comparable documents (separately written, reordered, partly overlapping) are not forced into order: each of
their paragraphs joins the pivot row it shares the most anchors with, when that is above a threshold, and
sits alone in a row of its own otherwise.
"""

import math
from dataclasses import dataclass
from typing import Sequence

from labeler.text.beads import Doc, align_pairs, prepare

COMPARABLE_LINK = 0.2
COMPARABLE_COUNT_RATIO = 1.6
COMPARABLE_MATCH_SHARE = 0.5
# A paragraph reaches into a further row when it overlaps this share of the shorter of the two (see _spread).
SPREAD_OVERLAP = 0.25


@dataclass(frozen=True)
class Row:
    """One row of aligned paragraphs.

    A paragraph that covers several rows of the others (a translation that merged two paragraphs, or moved a
    sentence across a boundary) is a member of each of them: of the first as itself, and of the following ones
    as *continued*.
    """

    members: tuple[tuple[int, ...], ...]  # per document: indices of its paragraphs in this row
    score: float
    method: str
    continued: tuple[tuple[int, ...], ...] = ()  # per document: the members that began in an earlier row

    def continues(self, document: int, paragraph: int) -> bool:
        return bool(self.continued) and paragraph in self.continued[document]


def _dice(shared: int, size_a: int, size_b: int) -> float:
    return 2 * shared / (size_a + size_b) if size_a + size_b else 0.0


def _centrality(docs: list[Doc], candidates: list[int]) -> int:
    """Pick the candidate that shares most anchors with the others (ties: the earliest)."""
    bags = [set().union(*doc.anchors) if doc.anchors else set() for doc in docs]

    def score(index: int) -> float:
        return sum(_dice(len(bags[index] & bags[other]), len(bags[index]), len(bags[other]))
                   for other in candidates if other != index)

    return max(candidates, key=lambda index: (score(index), -index))


def _choose_pivot(docs: list[Doc], roles: Sequence[str | None], pivot: int | None) -> int:
    if pivot is not None:
        return pivot
    sources = [i for i, role in enumerate(roles) if role == "source"]
    if sources:
        return sources[0]
    candidates = [i for i, role in enumerate(roles) if role != "comparable" and docs[i].paragraphs]
    return _centrality(docs, candidates or list(range(len(docs))))


def _looks_comparable(pivot: Doc, other: Doc, beads) -> bool:
    """A translation has about as many paragraphs as its pivot, and its beads share anchors with it."""
    n, m = len(pivot.paragraphs), len(other.paragraphs)
    if not n or not m:
        return False
    if max(n, m) / min(n, m) > COMPARABLE_COUNT_RATIO and abs(n - m) > 2:
        return True
    with_anchors = sharing = 0
    for a, b, _ in beads:
        if not (a and b):
            continue
        left = set().union(*(pivot.anchors[x] for x in a))
        right = set().union(*(other.anchors[y] for y in b))
        if left or right:
            with_anchors += 1
            sharing += bool(left & right)
    return with_anchors > 0 and sharing < COMPARABLE_MATCH_SHARE * with_anchors


Group = tuple[list[Doc], list[str | None], int | None]  # its documents, their roles, the pivot if forced


def _decide(groups: list[Group]) -> list[tuple[list[Doc], int, dict, set[int]]]:
    """For each group its pivot, the beads of each document aligned to it, and the documents treated as
    comparable; the pairs of all the groups are aligned at once."""
    plans, pairs = [], []
    for docs, roles, pivot in groups:
        centre = _choose_pivot(docs, roles, pivot)
        wanted = [index for index, role in enumerate(roles) if index != centre and role != "comparable"]
        plans.append((centre, wanted))
        pairs += [(docs[centre], docs[index]) for index in wanted]
    aligned = iter(align_pairs(pairs))
    decided = []
    for (docs, roles, _), (centre, wanted) in zip(groups, plans):
        pair_beads = {}
        comparable = {index for index, role in enumerate(roles) if index != centre and role == "comparable"}
        for index in wanted:
            beads = next(aligned)
            if roles[index] is None and _looks_comparable(docs[centre], docs[index], beads):
                comparable.add(index)
            else:
                pair_beads[index] = beads
        decided.append((docs, centre, pair_beads, comparable))
    return decided


def _group(documents: Sequence[Sequence[str]], roles: Sequence[str | None] | None, pivot: int | None) -> Group:
    return [prepare(paragraphs) for paragraphs in documents], \
        list(roles) if roles is not None else [None] * len(documents), pivot


def comparable_documents(documents: Sequence[Sequence[str]], roles: Sequence[str | None] | None = None,
                         pivot: int | None = None) -> set[int]:
    """Return the indices of the documents treated as comparable rather than as translations.

    :param documents: each document's paragraphs.
    :param roles: per document ``"source"``, ``"translation"``, ``"comparable"`` or None (decide).
    :param pivot: force the pivot document.
    """
    return _decide([_group(documents, roles, pivot)])[0][3]


def align(documents: Sequence[Sequence[str]], roles: Sequence[str | None] | None = None,
          pivot: int | None = None) -> list[Row]:
    """Align the paragraphs of N documents into rows.

    :param documents: each document's paragraphs, in order.
    :param roles: per document ``"source"``, ``"translation"``, ``"comparable"`` or None (decide).
    :param pivot: force the pivot document (default: the source, else the most central document).
    :returns: rows in reading order; every paragraph begins in exactly one row (and may continue in the rows
        just below it); the paragraphs of parallel documents keep their order down the rows.
    """
    if not documents:
        return []
    return _rows(*_decide([_group(documents, roles, pivot)])[0])


def align_and_classify(documents: Sequence[Sequence[str]], roles: Sequence[str | None] | None = None,
                       pivot: int | None = None) -> tuple[list[Row], set[int]]:
    """Align, and say which of the documents without a role were found comparable.

    :returns: the rows of ``align`` with those documents given the role ``comparable``, and their indices (what
        ``comparable_documents`` returns of them), aligning each pair of documents once.
    """
    if not documents:
        return [], set()
    return _align_and_classify([_group(documents, roles, pivot)])[0]


def align_many(groups: Sequence[tuple[Sequence[Sequence[str]], Sequence[str | None] | None]]) \
        -> list[tuple[list[Row], set[int]]]:
    """``align_and_classify`` of each group (its documents' paragraphs, and their roles), the pairs of all the
    groups aligned at once: an import of many groups aligns them several times faster than one by one."""
    results: list[tuple[list[Row], set[int]]] = [([], set()) for _ in groups]
    present = [index for index, (documents, _) in enumerate(groups) if documents]
    aligned = _align_and_classify([_group(*groups[index], None) for index in present])
    for index, result in zip(present, aligned):
        results[index] = result
    return results


def _align_and_classify(groups: list[Group]) -> list[tuple[list[Row], set[int]]]:
    decided = _decide(groups)
    found_in, again = [], []
    for k, ((docs, roles, pivot), (_, centre, _, comparable)) in enumerate(zip(groups, decided)):
        found = {index for index in comparable if roles[index] is None}
        found_in.append(found)
        settled = ["comparable" if index in found else role for index, role in enumerate(roles)]
        if found and _choose_pivot(docs, settled, pivot) != centre:
            again.append((k, (docs, settled, pivot)))
    for (k, _), redone in zip(again, _decide([group for _, group in again])):
        decided[k] = redone
    return [(_rows(*group_decided), found) for group_decided, found in zip(decided, found_in)]


def _rows(docs: list[Doc], centre: int, pair_beads: dict, comparable: set[int]) -> list[Row]:
    count = len(docs)
    n = len(docs[centre].paragraphs)
    # Pivot paragraphs share a row when most documents join them in one bead. Where only a few do, their
    # paragraphs are spread over the pivot's rows instead: a merged paragraph sits in the first row it covers,
    # rather than pulling the paragraphs of every other language into one big row.
    votes = [0] * max(n - 1, 0)
    for beads in pair_beads.values():
        for a, b, _ in beads:
            if b:
                for x in a[:-1]:
                    votes[x] += 1
    joined = [2 * vote > len(pair_beads) for vote in votes]
    groups, start = [], 0
    for i in range(n):
        if i == n - 1 or not joined[i]:
            groups.append(list(range(start, i + 1)))
            start = i + 1
    group_of = {x: g for g, members in enumerate(groups) for x in members}
    cells = [[[] for _ in range(count)] for _ in groups]
    scores = [[] for _ in groups]
    continued = [[[] for _ in range(count)] for _ in groups]
    inserted: dict[int, list[list[int]]] = {}  # after pivot group g (-1: before all) → cells
    for g, members in enumerate(groups):
        cells[g][centre] = list(members)
    for index, beads in pair_beads.items():
        last_group = -1
        for a, b, similarity in beads:
            if not a:
                inserted.setdefault(last_group, [[] for _ in range(count)])[index].extend(b)
                continue
            if len(a) == 1:  # the usual bead: one pivot paragraph, one row, nothing to spread
                last_group = group_of[a[0]]
                cells[last_group][index].extend(b)
                scores[last_group].append(similarity if b else 0.2)
                continue
            targets = sorted({group_of[x] for x in a})
            for y, covered in _spread(targets, [group_of[x] for x in a], [docs[centre].lengths[x] for x in a],
                                      b, [docs[index].lengths[y] for y in b]):
                for k, g in enumerate(covered):
                    cells[g][index].append(y)
                    if k:
                        continued[g][index].append(y)
            for g in targets:
                scores[g].append(similarity if b else 0.2)
            last_group = targets[-1]
    rows: list[Row] = []
    for g in range(-1, len(groups)):
        if g >= 0:
            score = min(scores[g]) if scores[g] else 1.0
            rows.append(Row(tuple(map(tuple, cells[g])), round(score, 4), "auto-parallel",
                            tuple(map(tuple, continued[g]))))
        if g in inserted:
            rows.append(Row(tuple(map(tuple, inserted[g])), 0.1, "auto-parallel"))
    if comparable:
        rows = _place_comparable(docs, centre, rows, sorted(comparable))
    return rows


def _spread(targets: list[int], group_of_a: list[int], lengths_a: list[int], b: Sequence[int],
            lengths_b: list[int]) -> list[tuple[int, list[int]]]:
    """Share a bead's paragraphs of the other document among the pivot rows its pivot paragraphs fall in.

    Both sides of the bead are laid on one line by their length, from 0 to 1. A paragraph belongs to every row
    whose part of the line it overlaps by a good share of the shorter of the two (``SPREAD_OVERLAP``): a
    paragraph that merges two of the pivot's belongs to both rows, one whose boundary sits a sentence off
    reaches into the next row; a mere difference of length between languages does not.

    :returns: per paragraph of ``b``, in order, the rows it belongs to (the first is where it begins).
    """
    if len(targets) == 1 or not b:
        return [(y, [targets[0]]) for y in b]
    total_a, total_b = sum(lengths_a), sum(lengths_b)
    spans_g: dict[int, list[float]] = {}
    position = 0
    for g, length in zip(group_of_a, lengths_a):
        start, position = position / total_a, (position + length)
        low_high = spans_g.setdefault(g, [start, start])
        low_high[1] = position / total_a
    out, position = [], 0
    for y, length in zip(b, lengths_b):
        low, position = position / total_b, position + length
        high = position / total_b
        covered = []
        for g in targets:
            g_low, g_high = spans_g[g]
            overlap = min(high, g_high) - max(low, g_low)
            if overlap > 0 and overlap >= SPREAD_OVERLAP * min(high - low, g_high - g_low):
                covered.append(g)
        if not covered:  # the best overlap, when every share is small
            covered = [max(targets, key=lambda g: min(high, spans_g[g][1]) - max(low, spans_g[g][0]))]
        out.append((y, covered))
    return out


def _place_comparable(docs: list[Doc], centre: int, rows: list[Row], comparable: list[int]) -> list[Row]:
    """Link each comparable paragraph to the row it shares most anchors with, or give it a row of its own."""
    count = len(docs)
    row_bags = []
    for row in rows:
        bag: set[str] = set()
        for index, members in enumerate(row.members):
            if index not in comparable:
                for x in members:
                    bag |= docs[index].anchors[x]
        row_bags.append(bag)
    frequency: dict[str, int] = {}
    for bag in row_bags:
        for anchor in bag:
            frequency[anchor] = frequency.get(anchor, 0) + 1
    total = max(len(rows), 1)

    def weight(anchor: str) -> float:
        return math.log(1 + total / frequency.get(anchor, 1))

    members = [list(map(list, row.members)) for row in rows]
    scores = [row.score for row in rows]
    methods = [row.method for row in rows]
    alone: dict[int, list[tuple[int, int]]] = {}  # after row r → (document, paragraph)
    for index in comparable:
        previous_row = -1
        links: dict[int, int] = {}
        for x, own in enumerate(docs[index].anchors):
            best, best_row = 0.0, None
            own_weight = sum(weight(a) for a in own)
            for r, bag in enumerate(row_bags):
                if not bag or not own:
                    continue
                shared = own & bag
                if len(shared) < 2:
                    continue
                value = sum(weight(a) for a in shared) / (own_weight + 1e-9)
                value = min(value, sum(weight(a) for a in shared) / (sum(weight(a) for a in bag) + 1e-9) * 3)
                if value > best:
                    best, best_row = value, r
            if best_row is not None and best >= COMPARABLE_LINK:
                links[x] = best_row
                methods[best_row] = "auto-comparable"
        last_link = max(links, default=-1)
        for x in range(len(docs[index].anchors)):
            if x in links:
                members[links[x]][index].append(x)
                previous_row = links[x]
            else:
                # Past its last link, a comparable article goes on about other things: keep those paragraphs
                # at the end rather than between the rows of the translations.
                alone.setdefault(previous_row if x < last_link else len(rows) - 1, []).append((index, x))
    out: list[Row] = []
    for r in range(-1, len(rows)):
        if r >= 0:
            out.append(Row(tuple(tuple(sorted(c)) for c in members[r]), scores[r], methods[r], rows[r].continued))
        for index, x in alone.get(r, []):
            cell = [()] * count
            cell[index] = (x,)
            out.append(Row(tuple(cell), 0.0, "auto-comparable"))
    return out
