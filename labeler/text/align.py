"""N-way paragraph alignment: pure code, no Flask, no database.

Translations are aligned to a pivot document (the source, else the most central one) by monotone dynamic
programming over beads 1-1, 1-0, 0-1, 2-1, 1-2 and 2-2. A bead's cost is Gale and Church's length cost (in
characters) plus its prior, minus a reward for the lexical anchors both sides share (numbers, names, codes;
see ``anchors.py``). The search stays in a band around the diagonal, so time grows about linearly; the pairs
of many groups are searched together, row by row in numpy (``align_many``, for imports).

Comparable documents (separately written, reordered, partly overlapping) are not forced into order: each of
their paragraphs joins the pivot row it shares the most anchors with, when that is above a threshold, and
sits alone in a row of its own otherwise.
"""

import math
from dataclasses import dataclass
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


Bead = tuple[tuple[int, ...], tuple[int, ...], float]


def align_pair(pivot: _Doc, other: _Doc) -> list[Bead]:
    """Align two documents monotonically: ``align_pairs`` of one pair."""
    return align_pairs([(pivot, other)])[0]


def align_pairs(pairs: Sequence[tuple[_Doc, _Doc]]) -> list[list[Bead]]:
    """Align each pair of documents monotonically; all the pairs at once (see ``_align_batch``).

    The length ratio of the two languages is first taken over the whole documents; when a paragraph is
    missing on one side that guess is off (and every bead looks badly matched), so it is measured again over
    the paragraphs the first pass matched, and the documents are aligned again when it moved.

    :returns: per pair, its beads ``(pivot indices, other indices, similarity 0..1)`` in order, covering both
        documents.
    """
    results: list[list[Bead]] = [[] for _ in pairs]
    jobs = []
    for index, (pivot, other) in enumerate(pairs):
        n, m = len(pivot.paragraphs), len(other.paragraphs)
        if n == 0 or m == 0:
            results[index] = [((i,), (), 0.0) for i in range(n)] + [((), (j,), 0.0) for j in range(m)]
        else:
            jobs.append(_Pair(index, pivot, other, (sum(other.lengths) / sum(pivot.lengths)) or 1.0))
    again = []
    for job, beads in zip(jobs, _align_batch(jobs)):
        results[job.index] = beads
        matched_a = sum(job.pivot.lengths[x] for a, b, _ in beads if a and b for x in a)
        matched_b = sum(job.other.lengths[y] for a, b, _ in beads if a and b for y in b)
        if matched_a and matched_b and abs(matched_b / matched_a / job.ratio - 1) > RATIO_DRIFT:
            job.ratio = matched_b / matched_a
            again.append(job)
    for job, beads in zip(again, _align_batch(again)):
        results[job.index] = beads
    return results


class _SharedAnchors:
    """How many anchors each pivot paragraph shares with each paragraph of the other document, as asked.

    For pairs of long documents (``DENSE_CELLS``), whose table of every pair of paragraphs would be too big:
    only the band is asked about. Each pivot paragraph is asked about twice (rows i+1 and i+2 of the alignment,
    over about the same band of the other document), and again when the documents are aligned a second time:
    what was counted is kept.
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


# Above this many pairs of paragraphs (n × m), a pair's shared anchors are counted in the band only, as the
# alignment reaches it (``_SharedAnchors``), rather than all at once in a table (4 bytes a pair).
DENSE_CELLS = 1_000_000
# Where a cell's best way in came from (``back``), by code: the bead that ends there.
_CODES = [None, (1, 0), (0, 1), (1, 1), (2, 1), (1, 2), (2, 2)]
_GAP_A, _GAP_B = 1, 2
_MATCH_BEADS = [(_CODES.index(bead), bead[0], bead[1], BEAD_COST[bead]) for bead in [(1, 1), (2, 1), (1, 2), (2, 2)]]


@dataclass
class _Pair:
    """A pair of documents to align, and what the alignment reads of them."""

    index: int  # in the caller's list
    pivot: _Doc
    other: _Doc
    ratio: float
    shared: object = None  # the counts of shared anchors: numpy array (n × m) or _SharedAnchors, made once

    def __post_init__(self):
        self.length_a, self.length_b = _prefix(self.pivot.lengths), _prefix(self.other.lengths)
        self.size_a = _prefix([len(a) for a in self.pivot.anchors])
        self.size_b = _prefix([len(b) for b in self.other.anchors])


def _shared_table(np, anchors_a: list[set[str]], anchors_b: list[set[str]]):
    """``len(anchors_a[x] & anchors_b[y])`` for every x and y, as a flat array (x × m + y)."""
    n, m = len(anchors_a), len(anchors_b)
    where_b: dict[str, list[int]] = {}
    for y, bag in enumerate(anchors_b):
        for anchor in bag:
            where_b.setdefault(anchor, []).append(y)
    where_a: dict[str, list[int]] = {}
    for x, bag in enumerate(anchors_a):
        for anchor in bag:
            if anchor in where_b:
                where_a.setdefault(anchor, []).append(x)
    cells: list[int] = []
    table = np.zeros(n * m, dtype=np.int32)
    for anchor, xs in where_a.items():
        ys = where_b[anchor]
        if len(xs) * len(ys) > 64:  # an anchor of many paragraphs: its block at once
            table.reshape(n, m)[np.ix_(xs, ys)] += 1
        else:
            cells += [x * m + y for x in xs for y in ys]
    if cells:
        table += np.bincount(cells, minlength=n * m).astype(np.int32)
    return table


class _Batch:
    """What ``_align_batch`` reads of its pairs, as numpy arrays laid end to end, pair after pair.

    Per pair: its pivot's prefix sums of lengths and of anchor counts (n + 1 each, from ``offset_a``); by the
    other document's paragraph j, the length (also divided by the ratio) and anchor count of a bead of ``db``
    paragraphs ending before j (m + 1 each, from ``offset_b``); and its table of shared anchors (n × m, from
    ``offset_s``; none for a pair counted in the band, see ``DENSE_CELLS``), with a 0 at the very end for cells
    that have no such paragraphs.
    """

    def __init__(self, np, jobs: list[_Pair]):
        self.n = np.array([len(job.pivot.lengths) for job in jobs])
        self.m = np.array([len(job.other.lengths) for job in jobs])
        self.ratio = np.array([job.ratio for job in jobs])
        self.offset_a = np.concatenate(([0], np.cumsum(self.n + 1)[:-1]))
        self.offset_b = np.concatenate(([0], np.cumsum(self.m + 1)[:-1]))
        self.length_a = np.array([value for job in jobs for value in job.length_a])
        self.size_a = np.array([value for job in jobs for value in job.size_a])
        self.length_to, self.scaled_to, self.size_to = {}, {}, {}
        for db in (1, 2):
            self.length_to[db] = np.array([0 if j < db else job.length_b[j] - job.length_b[j - db]
                                           for job in jobs for j in range(len(job.length_b))])
            self.size_to[db] = np.array([0 if j < db else job.size_b[j] - job.size_b[j - db]
                                         for job in jobs for j in range(len(job.size_b))])
            self.scaled_to[db] = self.length_to[db] / np.repeat(self.ratio, self.m + 1)
        tables, self.lazy = [], []
        for s, job in enumerate(jobs):
            if job.shared is None:
                dense = len(job.pivot.anchors) * len(job.other.anchors) <= DENSE_CELLS
                job.shared = (_shared_table(np, job.pivot.anchors, job.other.anchors) if dense
                              else _SharedAnchors(job.pivot.anchors, job.other.anchors))
            if isinstance(job.shared, _SharedAnchors):
                self.lazy.append(s)
                tables.append(np.zeros(0, dtype=np.int32))
            else:
                tables.append(job.shared)
        self.offset_s = np.concatenate(([0], np.cumsum([len(table) for table in tables])[:-1]))
        self.shared = np.concatenate(tables + [np.zeros(1, dtype=np.int32)])
        self.nothing = len(self.shared) - 1
        self.dense = np.ones(len(jobs), dtype=bool)
        self.dense[self.lazy] = False
        self.jobs = jobs


def _align_batch(jobs: list[_Pair]) -> list[list[Bead]]:
    """The alignment of each pair: the cheapest monotone path of beads, by dynamic programming in a band.

    All the pairs advance together, a row (a pivot paragraph) at a time, each row's cells computed for every
    pair at once in numpy. On an import's batch of pairs of 20-paragraph documents, that takes about a third of
    the time of a loop over each pair's cells; a lone pair of long documents takes about twice as long (some
    numpy calls a row). Each cell is computed as that loop did, operation for operation, with the same
    ``math.erfc`` and ``math.log`` (numpy has no erfc): the same costs to the last bit, so the same paths.
    """
    if not jobs:
        return []
    import numpy as np  # here, not at the top: a server that never aligns needs not load it (15 MB)

    jobs = sorted(jobs, key=lambda job: -len(job.pivot.lengths))  # the pairs still in a row come first
    batch = _Batch(np, jobs)
    n, m, ratio, slope = batch.n, batch.m, batch.ratio, batch.m / batch.n
    offset_a, offset_b, length_a, size_a = batch.offset_a, batch.offset_b, batch.length_a, batch.size_a
    length_to, scaled_to, size_to = batch.length_to, batch.scaled_to, batch.size_to
    active = [int(np.count_nonzero(n >= i)) for i in range(int(n[0]) + 1)]

    gap = BEAD_COST[(1, 0)]
    sqrt_variance, root2 = math.sqrt(VARIANCE), math.sqrt(2)
    erfc, log, inf = math.erfc, math.log, math.inf
    lows, highs, backs, costs = [], [], [], []
    for i, live in enumerate(active):
        m_i, pairs = m[:live], np.arange(live)[:, None]
        # The band follows the best path so far (plus the expected slope), so it can stay narrow and still
        # follow a drift from the diagonal: rows dropped or merged in one document.
        if i == 0:
            low, high = np.zeros(live, dtype=np.int64), np.minimum(m_i, MIN_BAND)
        else:
            previous_low, previous_high = lows[i - 1][:live], highs[i - 1][:live]
            best_j = previous_low + costs[i - 1][:live].argmin(axis=1)
            centre = np.rint(best_j + slope[:live]).astype(np.int64)
            low = np.maximum(0, np.minimum(centre - MIN_BAND, previous_high))
            high = np.where(n[:live] == i, m_i, np.minimum(m_i, np.maximum(centre + MIN_BAND, previous_low + 2)))
        spans = high - low
        width = int(spans.max()) + 1
        cell = np.arange(width)
        inside = cell <= spans[:, None]
        columns = np.minimum(low[:, None] + cell, m_i[:, None])  # j, by pair and cell (past the band: m)
        columns_b = offset_b[:live, None] + columns
        entry = np.full((live, width), inf)
        back = np.zeros((live, width), dtype=np.int8)
        if i:
            # 1-0: a pivot paragraph with nothing in the other document.
            reach = inside & (columns >= previous_low[:, None]) & (columns <= previous_high[:, None])
            above = _cells(np, costs[i - 1], pairs, columns - previous_low[:, None])
            entry[reach] = above[reach] + gap
            back[reach] = _GAP_A
            overlaps = _overlaps(np, batch, i, live, low, high, columns)
            for code, da, db, prior in _MATCH_BEADS:
                if i < da:
                    continue
                before, before_low, before_high = costs[i - da], lows[i - da][:live], highs[i - da][:live]
                reach = inside & (columns >= before_low[:, None] + db) & (columns <= before_high[:, None] + db)
                step = _cells(np, before, pairs, columns - db - before_low[:, None]) + prior
                la = length_a[offset_a[:live] + i] - length_a[offset_a[:live] + i - da]
                size_pivot = size_a[offset_a[:live] + i] - size_a[offset_a[:live] + i - da]
                sizes = size_pivot[:, None] + size_to[db][columns_b]
                # Shared anchors reward a bead; anchors on one side only (a number, a name) cost it.
                with_anchors = sizes > 0
                reward = ANCHOR_WEIGHT * (2 * overlaps[(da, db)] / np.where(with_anchors, sizes, 1) - ANCHOR_EXPECTED)
                # The length cost is never negative: a bead that cannot win even without it is not costed.
                cells = np.nonzero(reach & (np.where(with_anchors, step - reward, step) < entry))
                if not len(cells[0]):
                    continue
                pair = cells[0]
                delta = ((length_to[db][columns_b[cells]] - (la * ratio[:live])[pair])
                         / (np.sqrt((la[pair] + scaled_to[db][columns_b[cells]]) / 2) * sqrt_variance))
                probability = np.fromiter(map(erfc, (np.abs(delta) / root2).tolist()), float, len(pair))
                value = step[cells] - np.fromiter(map(log, np.maximum(probability, 1e-12).tolist()), float, len(pair))
                value = np.where(with_anchors[cells], value - reward[cells], value)
                better = value < entry[cells]
                won = (pair[better], cells[1][better])
                entry[won] = value[better]
                back[won] = code
        else:
            entry[:, 0] = 0.0
        _gaps_from_the_left(np, entry, back, inside, gap)
        lows.append(low)
        highs.append(high)
        backs.append(back)
        costs.append(entry)
        if i >= 2:
            costs[i - 2] = None  # no bead reaches further up
    out = {}
    for s, job in enumerate(jobs):
        out[job.index] = _path(job, [(backs[i][s], int(lows[i][s])) for i in range(len(job.pivot.lengths) + 1)])
    return [out[job.index] for job in sorted(jobs, key=lambda job: job.index)]


def _cells(np, row, pairs, at):
    """``row[p][at[p, k]]`` for each pair p and cell k; ``at`` is clipped into the row (where it falls outside,
    the caller does not read the value)."""
    return row[pairs, np.minimum(np.maximum(at, 0), row.shape[1] - 1)]


def _overlaps(np, batch: _Batch, i: int, live: int, low, high, columns) -> dict:
    """The anchors that each bead ending in row ``i`` shares, by bead and cell: summed over its pivot paragraphs
    i-1 (and i-2) and its paragraphs j-1 (and j-2) of the other document."""
    counts = {}
    for x in (i - 1, i - 2)[:1 if i < 2 else 2]:
        base = batch.offset_s[:live, None] + x * batch.m[:live, None]
        for y_back in (1, 2):
            counts[(x, y_back)] = batch.shared[np.where(batch.dense[:live, None] & (columns >= y_back),
                                                        base + columns - y_back, batch.nothing)]
    for s in batch.lazy:  # long documents: counted in the band, as it is reached
        if s < live:
            start, end = max(0, int(low[s]) - 2), int(high[s])
            for x in (i - 1, i - 2)[:1 if i < 2 else 2]:
                shared = batch.jobs[s].shared.get(x, start, end)
                for y_back in (1, 2):
                    counts[(x, y_back)][s] = [shared[j - y_back - start] if start <= j - y_back < end else 0
                                              for j in range(int(low[s]), int(low[s]) + columns.shape[1])]
    one = counts[(i - 1, 1)]
    if i < 2:
        return {(1, 1): one, (1, 2): one + counts[(i - 1, 2)]}
    return {(1, 1): one, (2, 1): one + counts[(i - 2, 1)], (1, 2): one + counts[(i - 1, 2)],
            (2, 2): one + counts[(i - 1, 2)] + counts[(i - 2, 1)] + counts[(i - 2, 2)]}


def _gaps_from_the_left(np, entry, back, inside, gap: float) -> None:
    """0-1 beads: a paragraph of the other document with nothing in the pivot. Left to right, a cell takes the
    cost of the cell before it plus ``gap`` when that is no more than its own (first when costs are equal)."""
    inf = math.inf
    left = entry[:, :-1] + gap
    can = (left <= entry[:, 1:]) & (left < inf) & inside[:, 1:]
    columns = np.nonzero(can.any(axis=0))[0]
    if not len(columns):
        return  # no cell takes the step as the row is; none can after that
    last = int(columns[-1]) + 1
    for k in range(int(columns[0]) + 1, entry.shape[1]):
        left = entry[:, k - 1] + gap
        take = (left <= entry[:, k]) & (left < inf) & inside[:, k]
        if take.any():
            entry[take, k] = left[take]
            back[take, k] = _GAP_B
        elif k >= last:
            break  # nothing changed here, and nothing further on could change as the row was


def _path(job: _Pair, rows: list) -> list[Bead]:
    """Follow the cells' ways in back from the last cell: the beads, each with its similarity."""
    length_a, length_b, size_a, size_b = job.length_a, job.length_b, job.size_a, job.size_b
    anchors_a, anchors_b = job.pivot.anchors, job.other.anchors
    result = []
    i, j = len(job.pivot.lengths), len(job.other.lengths)
    while i or j:
        back, low = rows[i]
        da, db = _CODES[back[j - low]]
        pi, pj = i - da, j - db
        a, b = tuple(range(pi, i)), tuple(range(pj, j))
        similarity = 0.0
        if a and b:
            la, lb = length_a[i] - length_a[pi], length_b[j] - length_b[pj]
            length_fit = math.exp(-_length_cost(la, lb, job.ratio) / 4)
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


Group = tuple[list[_Doc], list[str | None], int | None]  # its documents, their roles, the pivot if forced


def _decide(groups: list[Group]) -> list[tuple[list[_Doc], int, dict, set[int]]]:
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
    return [_prepare(paragraphs) for paragraphs in documents], \
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
