"""Agreement figures on small cases computed by hand, and cross-checked with scikit-learn and krippendorff."""

import random

import pytest

from labeler.agreement import (Span, alignment_agreement, cohen_kappa, f1, krippendorff_alpha, match, pearson,
                               report)


def span(who, start, end, label="PER", layer="entity", doc="g/en", lang="en", severity=None):
    return Span(who, doc, lang, layer, start, end, label, severity)


def test_exact_and_overlapping_span_f1():
    ana = [span("ana", 0, 5), span("ana", 10, 15), span("ana", 20, 30)]
    ben = [span("ben", 0, 5), span("ben", 10, 15), span("ben", 22, 28), span("ben", 40, 45)]
    exact = f1(ana, ben)
    assert (exact["matched"], exact["precision"], exact["recall"], exact["f1"]) == (2, 0.5, 0.6667, 0.5714)
    loose = f1(ana, ben, overlap=True)
    assert (loose["matched"], loose["f1"]) == (3, round(2 * 0.75 * 1 / 1.75, 4))
    # Other documents and other layers never match.
    assert f1([span("ana", 0, 5)], [span("ben", 0, 5, doc="g/es")])["matched"] == 0
    assert f1([span("ana", 0, 5)], [span("ben", 0, 5, layer="claim")])["matched"] == 0
    assert f1([], [])["f1"] == 1.0


def test_overlap_matching_is_one_to_one_greatest_overlap_first():
    ana = [span("ana", 0, 10)]
    ben = [span("ben", 0, 3), span("ben", 2, 9)]
    assert [(x.char_start, y.char_start) for x, y in match(ana, ben, overlap=True)] == [(0, 2)]


def test_cohen_kappa_by_hand_and_against_scikit_learn():
    # Observed 3/4; expected (2·1 + 2·3)/16 = 1/2; kappa = (3/4 − 1/2) / (1 − 1/2) = 1/2.
    assert cohen_kappa(["A", "A", "B", "B"], ["A", "B", "B", "B"]) == 0.5
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["A", "A"], ["A", "A"]) == 1.0
    sklearn = pytest.importorskip("sklearn.metrics")
    rng = random.Random(7)
    for _ in range(20):
        x = [rng.choice("PQRS") for _ in range(30)]
        y = [label if rng.random() < 0.6 else rng.choice("PQRS") for label in x]
        assert cohen_kappa(x, y) == pytest.approx(sklearn.cohen_kappa_score(x, y), abs=1e-4)


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the nominal example: alpha = 0.743.
RELIABILITY = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_krippendorff_alpha_on_the_textbook_example_and_against_the_krippendorff_package():
    units = [[str(c[u]) if c[u] is not None else None for c in RELIABILITY] for u in range(12)]
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha([["A", None], [None, "B"]]) is None
    krippendorff = pytest.importorskip("krippendorff")
    import numpy
    rng = random.Random(3)
    for _ in range(10):
        data = [[rng.choice([1, 2, 3, None]) for _ in range(25)] for _ in range(3)]
        ours = krippendorff_alpha([[str(row[u]) if row[u] else None for row in data] for u in range(25)])
        theirs = krippendorff.alpha(reliability_data=numpy.array(data, dtype=float), level_of_measurement="nominal")
        assert ours == pytest.approx(theirs, abs=1e-3)


def test_pearson():
    assert pearson([1, 2, 3], [2, 4, 6]) == 1.0
    assert pearson([1, 2, 3], [3, 2, 1]) == -1.0
    assert pearson([1, 1], [2, 3]) is None and pearson([1], [1]) is None


def test_report_per_layer_language_and_label_with_severity_and_mqm():
    spans = [
        span("ana", 0, 5, "PER"), span("ben", 0, 5, "PER"), span("cy", 0, 5, "ORG"),
        span("ana", 10, 15, "LOC", doc="g/es", lang="es"), span("ben", 10, 15, "LOC", doc="g/es", lang="es"),
        span("ana", 3, 9, "Accuracy/Mistranslation", layer="error", severity="major"),
        span("ben", 3, 9, "Accuracy/Mistranslation", layer="error", severity="minor"),
    ]
    result = report(spans, mqm_by_document={"ana": {"g/en": 5, "g/es": 0}, "ben": {"g/en": 1, "g/es": 0}})
    assert result["annotators"] == ["ana", "ben", "cy"]
    ana_ben = next(p for p in result["pairs"] if (p["a"], p["b"]) == ("ana", "ben"))
    assert ana_ben["layers"]["entity"]["exact_f1"] == 1.0 and ana_ben["layers"]["entity"]["kappa"] == 1.0
    assert ana_ben["layers"]["error"]["severity_agreement"] == 0.0
    assert ana_ben["mqm_r"] == 1.0
    entity = result["layers"]["entity"]
    assert set(entity["by_language"]) == {"en", "es"} and set(entity["by_label"]) == {"LOC", "ORG", "PER"}
    # The en place: ana PER, ben PER, cy ORG → alpha over two units (one agreed, one 2-vs-1 split).
    assert entity["alpha"] == krippendorff_alpha([["PER", "PER", "ORG"], ["LOC", "LOC", None]])


def test_alignment_agreement_by_hand():
    # Paragraphs 1-3 (English), 11-13 (Spanish). ana: 1~11, 2~12, 3~13. ben agrees on 1 and 11, but put 12
    # with 3 and 13 (a merge) and left 2 alone. carol judged nothing ben did.
    ana = {1: frozenset({11}), 11: frozenset({1}), 2: frozenset({12}), 12: frozenset({2}), 3: frozenset({13}),
           13: frozenset({3})}
    ben = {1: frozenset({11}), 11: frozenset({1}), 2: frozenset(), 12: frozenset({3, 13}),
           3: frozenset({12, 13}), 13: frozenset({3, 12})}
    carol = {7: frozenset()}
    result = alignment_agreement({"ana": ana, "ben": ben, "carol": carol})
    pair = next(p for p in result["pairs"] if (p["a"], p["b"]) == ("ana", "ben"))
    # Six paragraphs in common, two placed alike (1 and 11). Links: ana {1-11, 2-12, 3-13}; ben {1-11, 3-12,
    # 3-13, 12-13}: two shared, F1 = 2*2 / (3 + 4).
    assert pair["paragraphs"] == 6 and pair["placed_alike"] == 2 / 6
    assert pair["link_f1"] == 4 / 7
    assert next(p for p in result["pairs"] if p["b"] == "carol")["placed_alike"] is None
    assert result["paragraphs"] == 6 and result["link_f1"] == 4 / 7
    assert alignment_agreement({})["link_f1"] is None
