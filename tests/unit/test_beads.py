"""Pairs of documents aligned by beads: the dynamic programme over many pairs at once, against a plain loop."""

import math
import random

import pytest

from labeler.text import beads as beads_module
from labeler.text.beads import _SharedAnchors, align_pair, align_pairs, prepare

# Two paragraphs of the source merged into one in the translation: a 2-1 bead.
SOURCE = ["The bridge opened on Saturday after 4 years of work.", "It cost 212 million euros.",
          "Norvale Engineering built it.", "Trams will cross it from 3 March."]
MERGED = ["Die Brücke wurde am Samstag nach 4 Jahren eröffnet.",
          "Sie kostete 212 Millionen Euro; gebaut hat sie Norvale Engineering.", "Ab dem 3. März fahren Straßenbahnen."]


def random_documents(rng: random.Random, count: int) -> list[list[str]]:
    """Documents of a few paragraphs of anchor-rich words, some of them long, empty or missing."""
    words = "Alpha 12 beta Gamma 2024 delta Oslo epsilon 7 zeta NATO eta the of and 3,5".split()
    return [[" ".join(rng.choice(words) for _ in range(rng.randint(1, 40))) for _ in range(rng.randint(0, 14))]
            for _ in range(count)]


def test_shared_anchors_are_counted_once_and_given_for_any_band():
    rng = random.Random(5)
    pool = ["4", "12", "oslo", "nato", "2027"]
    side_a = [set(rng.sample(pool, rng.randint(0, 3))) for _ in range(12)]
    side_b = [set(rng.sample(pool, rng.randint(0, 3))) for _ in range(15)]
    shared = _SharedAnchors(side_a, side_b)
    for _ in range(300):
        x, base = rng.randrange(12), rng.randrange(15)
        high = rng.randint(base, 15)
        assert shared.get(x, base, high) == [len(side_a[x] & side_b[y]) for y in range(base, high)]


def test_pairs_of_long_documents_counted_in_the_band_align_as_in_a_table(monkeypatch):
    rng = random.Random(12)
    pairs = [tuple(prepare(paragraphs) for paragraphs in random_documents(rng, 2)) for _ in range(40)]
    in_tables = align_pairs(pairs)
    monkeypatch.setattr(beads_module, "DENSE_CELLS", 0)
    assert align_pairs(pairs) == in_tables
    assert [align_pair(*pair) for pair in pairs] == in_tables


def _reference_beads(pivot, other, ratio):
    """The banded dynamic programme as a plain loop over cells, each trying every bead: what ``_align_batch``
    must compute for all pairs at once, to the bit (the same functions, in the same order)."""
    from labeler.text.beads import ANCHOR_EXPECTED, ANCHOR_WEIGHT, BEAD_COST, MIN_BAND, VARIANCE

    n, m = len(pivot.lengths), len(other.lengths)
    length_a, length_b = [0], [0]
    for value in pivot.lengths:
        length_a.append(length_a[-1] + value)
    for value in other.lengths:
        length_b.append(length_b[-1] + value)
    cost, back, bounds = [], [], []
    for i in range(n + 1):
        if i == 0:
            low, high = 0, min(m, MIN_BAND)
        else:
            previous_low, previous_high = bounds[-1]
            centre = int(round(previous_low + cost[-1].index(min(cost[-1])) + m / n))
            low = max(0, min(centre - MIN_BAND, previous_high))
            high = m if i == n else min(m, max(centre + MIN_BAND, previous_low + 2))
        bounds.append((low, high))
        row, ways = [math.inf] * (high - low + 1), [None] * (high - low + 1)
        for j in range(low, high + 1):
            for da, db in [(1, 0), (1, 1), (2, 1), (1, 2), (2, 2)]:
                pi, pj = i - da, j - db
                if pi < 0 or pj < 0 or not bounds[pi][0] <= pj <= bounds[pi][1]:
                    continue
                step = cost[pi][pj - bounds[pi][0]] + BEAD_COST[(da, db)]
                if step == math.inf:
                    continue
                if db:
                    la, lb = length_a[i] - length_a[pi], length_b[j] - length_b[pj]
                    delta = (lb - la * ratio) / (math.sqrt((la + lb / ratio) / 2) * math.sqrt(VARIANCE))
                    probability = math.erfc(abs(delta) / math.sqrt(2))
                    step = step - math.log(max(probability, 1e-12))
                    sizes = sum(map(len, pivot.anchors[pi:i])) + sum(map(len, other.anchors[pj:j]))
                    if sizes:
                        shared = sum(len(pivot.anchors[x] & other.anchors[y]) for x in range(pi, i) for y in range(pj, j))
                        step -= ANCHOR_WEIGHT * (2 * shared / sizes - ANCHOR_EXPECTED)
                if step < row[j - low]:
                    row[j - low], ways[j - low] = step, (da, db)
            if i == 0 and j == 0:
                row[0] = 0.0
            if j > low and row[j - low - 1] + BEAD_COST[(0, 1)] <= row[j - low] and row[j - low - 1] < math.inf:
                row[j - low], ways[j - low] = row[j - low - 1] + BEAD_COST[(0, 1)], (0, 1)
        cost.append(row)
        back.append(ways)
    beads, i, j = [], n, m
    while i or j:
        da, db = back[i][j - bounds[i][0]]
        beads.append((tuple(range(i - da, i)), tuple(range(j - db, j))))
        i, j = i - da, j - db
    return beads[::-1]


@pytest.mark.parametrize("band", [8, 2, 1])  # narrow bands: where the band goes matters
def test_the_pairs_are_aligned_all_at_once_as_a_plain_loop_over_cells_aligns_each(monkeypatch, band):
    monkeypatch.setattr(beads_module, "MIN_BAND", band)
    rng = random.Random(13)
    pairs = [tuple(prepare(paragraphs) for paragraphs in random_documents(rng, 2)) for _ in range(80)]
    pairs = [(pivot, other) for pivot, other in pairs if pivot.lengths and other.lengths]
    pairs.append((prepare(SOURCE), prepare(MERGED)))
    for (pivot, other), beads in zip(pairs, align_pairs(pairs)):
        ratio = sum(other.lengths) / sum(pivot.lengths)
        matched = [(a, b) for a, b, _ in beads]
        first = _reference_beads(pivot, other, ratio)
        matched_a = sum(pivot.lengths[x] for a, b in first if a and b for x in a)
        matched_b = sum(other.lengths[y] for a, b in first if a and b for y in b)
        if matched_a and matched_b and abs(matched_b / matched_a / ratio - 1) > 0.03:  # aligned again
            first = _reference_beads(pivot, other, matched_b / matched_a)
        assert matched == first
