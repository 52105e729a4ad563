"""Monotone alignment of two documents' paragraphs (beads 1-1, 1-0, 0-1, 2-1, 1-2, 2-2): pure code, no Flask, no
database.

A bead's cost is Gale and Church's length cost (in characters) plus its prior, minus a reward for the lexical
anchors both sides share (numbers, names, codes; see ``anchors.py``); the cheapest path is found by dynamic
programming in a band around the diagonal, so time grows about linearly. Many pairs are searched together, row
by row in numpy (``align_pairs``): an import aligns the pairs of all the groups of a task at once. ``align.py``
builds the N-way rows from these pairs.
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
# Align again when the matched paragraphs' length ratio differs from the whole documents' by more than this.
RATIO_DRIFT = 0.03


@dataclass
class Doc:
    paragraphs: Sequence[str]
    lengths: list[int]
    anchors: list[set[str]]


def prepare(paragraphs: Sequence[str]) -> Doc:
    """A document's paragraphs, as the alignment reads them: their lengths (at least 1) and anchors."""
    return Doc(paragraphs, [max(len(p), 1) for p in paragraphs], [anchor_set(p) for p in paragraphs])


def _length_cost(length_a: int, length_b: int, ratio: float) -> float:
    """Gale–Church: -log P(|delta|) of the length difference under a normal model."""
    if length_a == 0 or length_b == 0:
        return 0.0
    mean = (length_a + length_b / ratio) / 2
    delta = (length_b - length_a * ratio) / math.sqrt(mean * VARIANCE)
    probability = math.erfc(abs(delta) / math.sqrt(2))
    return -math.log(max(probability, 1e-12))


Bead = tuple[tuple[int, ...], tuple[int, ...], float]


def align_pair(pivot: Doc, other: Doc) -> list[Bead]:
    """Align two documents monotonically: ``align_pairs`` of one pair."""
    return align_pairs([(pivot, other)])[0]


def align_pairs(pairs: Sequence[tuple[Doc, Doc]]) -> list[list[Bead]]:
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
    pivot: Doc
    other: Doc
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
