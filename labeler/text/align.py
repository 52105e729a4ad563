"""N-way paragraph alignment: pure code, no Flask, no database.

Translations are aligned to a pivot document (the source, else the most central one) by monotone dynamic
programming over beads 1-1, 1-0, 0-1, 2-1, 1-2 and 2-2. A bead's cost is Gale and Church's length cost (in
characters) plus its prior, minus a reward for the lexical anchors both sides share (numbers, names, codes;
see ``anchors.py``). The search stays in a band around the diagonal, so time grows about linearly.

Comparable documents (separately written, reordered, partly overlapping) are not forced into order: each of
their paragraphs joins the pivot row it shares the most anchors with, when that is above a threshold, and
sits alone in a row of its own otherwise.
"""

import math
from dataclasses import dataclass
from itertools import compress, repeat
from operator import add, gt, sub
from typing import Sequence

from labeler.text.anchors import anchor_set

# Bead priors (Gale & Church 1993), as costs.
BEADS = {(1, 1): 0.89, (1, 0): 0.0099, (0, 1): 0.0099, (2, 1): 0.089 / 2, (1, 2): 0.089 / 2, (2, 2): 0.011}
BEAD_COST = {bead: -math.log(prior) for bead, prior in BEADS.items()}
VARIANCE = 6.8
ANCHOR_WEIGHT = 10.0
ANCHOR_EXPECTED = 0.15
MIN_BAND = 8
COMPARABLE_LINK = 0.2
# Align again when the matched paragraphs' length ratio differs from the whole documents' by more than this.
RATIO_DRIFT = 0.03
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


@dataclass
class _Doc:
    paragraphs: Sequence[str]
    lengths: list[int]
    anchors: list[set[str]]


def _prepare(paragraphs: Sequence[str]) -> _Doc:
    return _Doc(paragraphs, [max(len(p), 1) for p in paragraphs], [anchor_set(p) for p in paragraphs])


def _length_cost(length_a: int, length_b: int, ratio: float) -> float:
    """Gale–Church: -log P(|delta|) of the length difference under a normal model."""
    if length_a == 0 or length_b == 0:
        return 0.0
    mean = (length_a + length_b / ratio) / 2
    delta = (length_b - length_a * ratio) / math.sqrt(mean * VARIANCE)
    probability = math.erfc(abs(delta) / math.sqrt(2))
    return -math.log(max(probability, 1e-12))


def _dice(shared: int, size_a: int, size_b: int) -> float:
    return 2 * shared / (size_a + size_b) if size_a + size_b else 0.0


def align_pair(pivot: _Doc, other: _Doc) -> list[tuple[tuple[int, ...], tuple[int, ...], float]]:
    """Align two documents monotonically.

    The length ratio of the two languages is first taken over the whole documents; when a paragraph is
    missing on one side that guess is off (and every bead looks badly matched), so it is measured again over
    the paragraphs the first pass matched, and the documents are aligned again when it moved.

    :returns: beads ``(pivot indices, other indices, similarity 0..1)`` in order, covering both documents.
    """
    n, m = len(pivot.paragraphs), len(other.paragraphs)
    if n == 0 or m == 0:
        return [((i,), (), 0.0) for i in range(n)] + [((), (j,), 0.0) for j in range(m)]
    ratio = (sum(other.lengths) / sum(pivot.lengths)) or 1.0
    shared_rows = _SharedAnchors(pivot.anchors, other.anchors)  # for both passes
    beads = _align_pair(pivot, other, ratio, shared_rows)
    matched_a = sum(pivot.lengths[x] for a, b, _ in beads if a and b for x in a)
    matched_b = sum(other.lengths[y] for a, b, _ in beads if a and b for y in b)
    if matched_a and matched_b and abs(matched_b / matched_a / ratio - 1) > RATIO_DRIFT:
        beads = _align_pair(pivot, other, matched_b / matched_a, shared_rows)
    return beads


class _SharedAnchors:
    """How many anchors each pivot paragraph shares with each paragraph of the other document, as asked.

    Each pivot paragraph is asked about twice (rows i+1 and i+2 of the alignment, over about the same band of the
    other document), and again when the documents are aligned a second time: what was counted is kept.
    """

    def __init__(self, anchors_a: list[set[str]], anchors_b: list[set[str]]):
        self.anchors_a, self.anchors_b = anchors_a, anchors_b
        self.rows: dict[int, tuple[int, list[int]]] = {}  # x → (first y counted, counts from it on)

    def get(self, x: int, base: int, high: int) -> list[int]:
        """``len(anchors_a[x] & anchors_b[y])`` for y in ``base..high-1``."""
        start, counts = self.rows.get(x, (base, []))
        if base < start:
            start, counts = base, []
        end = start + len(counts)
        if high > end:
            own = self.anchors_a[x]
            # Most pairs share nothing: isdisjoint says so without building their intersection.
            counts += [0 if own.isdisjoint(other) else len(own & other) for other in self.anchors_b[end:high]]
            self.rows[x] = (start, counts)
        return counts[base - start:high - start]


# A cell's way in (``back``): the bead that ends there, from which the cell it starts in follows.
_GAP_A, _GAP_B, _ONE_ONE, _TWO_ONE = (1, 0), (0, 1), (1, 1), (2, 1)
_MATCH_BEADS = [(bead, da, db, prior) for bead, prior in BEAD_COST.items() for da, db in [bead] if da and db]
assert _MATCH_BEADS[0][0] == _ONE_ONE and _MATCH_BEADS[1][0] == _TWO_ONE  # the 1-1 beads come first
_NO_SHARED_REWARD = ANCHOR_WEIGHT * (0.0 - ANCHOR_EXPECTED)
# Far more than the rounding errors of costs (a few units in the last place of at most some 10^6).
_MARGIN = 1e-6


def _align_pair(pivot: _Doc, other: _Doc, ratio: float,
                shared_rows: "_SharedAnchors") -> list[tuple[tuple[int, ...], tuple[int, ...], float]]:
    n, m = len(pivot.paragraphs), len(other.paragraphs)
    band = MIN_BAND
    # Prefix sums: any bead's length and anchor count in O(1).
    length_a, length_b = _prefix(pivot.lengths), _prefix(other.lengths)
    size_a = _prefix([len(a) for a in pivot.anchors])
    size_b = _prefix([len(b) for b in other.anchors])
    anchors_a, anchors_b = pivot.anchors, other.anchors
    # The other document's side of a bead of db paragraphs ending before paragraph j: length (also divided by
    # the ratio) and anchor count, by j.
    length_to = {db: [0] * db + [length_b[j] - length_b[j - db] for j in range(db, m + 1)] for db in (1, 2)}
    scaled_to = {db: [length / ratio for length in lengths] for db, lengths in length_to.items()}
    size_to = {db: [0] * db + [size_b[j] - size_b[j - db] for j in range(db, m + 1)] for db in (1, 2)}
    gap = BEAD_COST[(1, 0)]
    erfc, log, sqrt = math.erfc, math.log, math.sqrt
    sqrt_variance, root2 = sqrt(VARIANCE), sqrt(2)
    inf = float("inf")
    # The band follows the best path so far (plus the expected slope), so it can stay narrow and still
    # follow a drift from the diagonal: rows dropped or merged in one document.
    slope = m / n
    bounds: list[tuple[int, int]] = []
    cost: list[list[float]] = []
    back: list[list[tuple[int, int] | None]] = []
    for i in range(n + 1):
        if i == 0:
            low, high = 0, min(m, band)
        else:
            previous_low, previous_high = bounds[i - 1]
            previous_row = cost[i - 1]
            best_j = previous_low + previous_row.index(min(previous_row))
            centre = int(round(best_j + slope))
            low = max(0, min(centre - band, previous_high))
            high = min(m, max(centre + band, previous_low + 2))
            if i == n:
                high = m
        bounds.append((low, high))
        width = high - low + 1
        # Each cell's best way in: first from the rows above (1-0, then the beads), then, left to right, 0-1 from
        # the cell before. Of equal costs the first in the order 0-1, 1-0, 1-1, 2-1, 1-2, 2-2 wins, as it did
        # when every cell tried them in that order.
        entry, entry_from = [inf] * width, [None] * width
        if i:
            above_low, above_high = bounds[i - 1]
            start, end = max(low, above_low), min(high, above_high) + 1
            if start < end:
                # 1-0: a pivot paragraph with nothing in the other document.
                above = cost[i - 1]
                entry[start - low:end - low] = [value + gap for value in above[start - above_low:end - above_low]]
                entry_from[start - low:end - low] = [_GAP_A] * (end - start)
            # Anchors shared by pivot paragraph i-1 (and i-2, summed) with each paragraph y >= base of the other.
            base = max(0, low - 2)
            shared = [shared_rows.get(i - 1, base, high)]
            if i >= 2:
                shared.append(list(map(add, shared[0], shared_rows.get(i - 2, base, high))))
        # What a bead must beat to win a cell: its cost so far, and once the 1-1 beads are in, also what 0-1 steps
        # from the cells to its left would give it. Those steps come last and win ties, so a bead that does not
        # beat that cannot win the cell: skipping it early leaves every cell's cost and way in as they were.
        limit = entry
        for bead, da, db, prior in _MATCH_BEADS:
            if i < da:
                continue
            if bead == _TWO_ONE:
                limit = _with_gaps(entry, gap)
            pi = i - da
            previous_costs = cost[pi]
            p_low, p_high = bounds[pi]
            first, last = max(low, p_low + db), min(high, p_high + db)
            if first > last:
                continue
            la = length_a[i] - length_a[pi]
            la_ratio = la * ratio
            size_pivot = size_a[i] - size_a[pi]
            lengths_to, scaled, sizes_to = length_to[db], scaled_to[db], size_to[db]
            # overlap[j - 1 - base]: the anchors this bead's paragraphs share, summed over their pairs.
            overlap = shared[da - 1]
            if db == 2:
                overlap = overlap[:1] + list(map(add, overlap, overlap[1:]))
            cells = range(first, last + 1)
            if bead != _ONE_ONE:
                # The beads 2-1, 1-2 and 2-2 seldom win. A test in C says whether any of the row's might with the
                # reward of a bead that shares no anchor (the most it gets then), with a margin far above the
                # rounding of costs; when none can, only those that share anchors are tried.
                usual = _NO_SHARED_REWARD if size_pivot else 0.0
                if not any(map(gt, map(sub, limit[first - low:last - low + 1],
                                       previous_costs[first - db - p_low:last - db - p_low + 1]),
                               repeat(prior - usual - _MARGIN))):
                    cells = compress(cells, overlap[first - 1 - base:last - base])
            for j in cells:
                previous = previous_costs[j - db - p_low]
                if previous == inf:
                    continue
                best = limit[j - low]
                step = previous + prior
                sizes = size_pivot + sizes_to[j]
                if sizes:
                    # Shared anchors reward a bead; anchors on one side only (a number, a name) cost it.
                    reward = ANCHOR_WEIGHT * (2 * overlap[j - 1 - base] / sizes - ANCHOR_EXPECTED)
                    # The length cost is never negative: a bead that cannot win even without it is skipped.
                    if step - reward >= best:
                        continue
                elif step >= best:
                    continue
                delta = (lengths_to[j] - la_ratio) / (sqrt((la + scaled[j]) / 2) * sqrt_variance)
                probability = erfc((delta if delta >= 0 else -delta) / root2)
                step = step - log(probability if probability > 1e-12 else 1e-12)
                if sizes:
                    step -= reward
                k = j - low
                if step < entry[k]:
                    entry[k], entry_from[k] = step, bead
                    if step < limit[k]:
                        limit[k] = step
        if i == 0:
            entry[0] = 0.0
        # 0-1: a paragraph of the other document with nothing in the pivot; first when costs are equal.
        left = entry[0 if i else max(low, 1) - 1 - low] + gap
        for k in range(1 if i else max(low, 1) - low, width):
            here = entry[k]
            if left <= here and left < inf:
                entry[k], entry_from[k] = left, _GAP_B
                here = left
            left = here + gap
        cost.append(entry)
        back.append(entry_from)
    result = []
    i, j = n, m
    while i or j:
        da, db = back[i][j - bounds[i][0]]
        pi, pj = i - da, j - db
        a, b = tuple(range(pi, i)), tuple(range(pj, j))
        similarity = 0.0
        if a and b:
            la, lb = length_a[i] - length_a[pi], length_b[j] - length_b[pj]
            length_fit = math.exp(-_length_cost(la, lb, ratio) / 4)
            sizes = size_a[i] - size_a[pi] + size_b[j] - size_b[pj]
            if not sizes:
                anchor_fit = length_fit
            elif da == db == 1:  # the usual bead: one pair, no sum to build
                anchor_fit = 2 * len(anchors_a[pi] & anchors_b[pj]) / sizes
            else:
                anchor_fit = 2 * sum(len(anchors_a[x] & anchors_b[y]) for x in a for y in b) / sizes
            similarity = 0.5 * length_fit + 0.5 * min(1.0, 1.5 * anchor_fit)
        result.append((a, b, similarity))
        i, j = pi, pj
    result.reverse()
    return result


def _with_gaps(costs: list[float], gap: float) -> list[float]:
    """Each cell's cost, or less when 0-1 steps (each costing ``gap``) from a cell to its left make it less.

    No cell of the row can end cheaper than this once its 0-1 steps are taken, whatever else reaches it.
    """
    out = costs[:]
    for k in range(1, len(out)):
        left = out[k - 1] + gap
        if left < out[k]:
            out[k] = left
    return out


def _prefix(values: list[int]) -> list[int]:
    sums = [0]
    for value in values:
        sums.append(sums[-1] + value)
    return sums


def _centrality(docs: list[_Doc], candidates: list[int]) -> int:
    """Pick the candidate that shares most anchors with the others (ties: the earliest)."""
    bags = [set().union(*doc.anchors) if doc.anchors else set() for doc in docs]

    def score(index: int) -> float:
        return sum(_dice(len(bags[index] & bags[other]), len(bags[index]), len(bags[other]))
                   for other in candidates if other != index)

    return max(candidates, key=lambda index: (score(index), -index))


def _choose_pivot(docs: list[_Doc], roles: Sequence[str | None], pivot: int | None) -> int:
    if pivot is not None:
        return pivot
    sources = [i for i, role in enumerate(roles) if role == "source"]
    if sources:
        return sources[0]
    candidates = [i for i, role in enumerate(roles) if role != "comparable" and docs[i].paragraphs]
    return _centrality(docs, candidates or list(range(len(docs))))


def _looks_comparable(pivot: _Doc, other: _Doc, beads) -> bool:
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


def _decide(documents, roles, pivot):
    docs = [_prepare(paragraphs) for paragraphs in documents]
    roles = list(roles) if roles is not None else [None] * len(docs)
    centre = _choose_pivot(docs, roles, pivot)
    pair_beads, comparable = {}, set()
    for index, doc in enumerate(docs):
        if index == centre:
            continue
        if roles[index] == "comparable":
            comparable.add(index)
            continue
        beads = align_pair(docs[centre], doc)
        if roles[index] is None and _looks_comparable(docs[centre], doc, beads):
            comparable.add(index)
        else:
            pair_beads[index] = beads
    return docs, centre, pair_beads, comparable


def comparable_documents(documents: Sequence[Sequence[str]], roles: Sequence[str | None] | None = None,
                         pivot: int | None = None) -> set[int]:
    """Return the indices of the documents treated as comparable rather than as translations.

    :param documents: each document's paragraphs.
    :param roles: per document ``"source"``, ``"translation"``, ``"comparable"`` or None (decide).
    :param pivot: force the pivot document.
    """
    return _decide(documents, roles, pivot)[3]


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
    return _rows(*_decide(documents, roles, pivot))


def align_and_classify(documents: Sequence[Sequence[str]], roles: Sequence[str | None] | None = None,
                       pivot: int | None = None) -> tuple[list[Row], set[int]]:
    """Align, and say which of the documents without a role were found comparable.

    :returns: the rows of ``align`` with those documents given the role ``comparable``, and their indices (what
        ``comparable_documents`` returns of them), aligning each pair of documents once.
    """
    if not documents:
        return [], set()
    roles = list(roles) if roles is not None else [None] * len(documents)
    decided = _decide(documents, roles, pivot)
    docs, centre, _, comparable = decided
    found = {index for index in comparable if roles[index] is None}
    settled = ["comparable" if index in found else role for index, role in enumerate(roles)]
    if found and _choose_pivot(docs, settled, pivot) != centre:
        decided = _decide(documents, settled, pivot)
    return _rows(*decided), found


def _rows(docs: list[_Doc], centre: int, pair_beads: dict, comparable: set[int]) -> list[Row]:
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


def _place_comparable(docs: list[_Doc], centre: int, rows: list[Row], comparable: list[int]) -> list[Row]:
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
