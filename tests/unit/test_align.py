"""The aligner: beads, N-way rows, comparable documents, determinism."""

import random

import pytest

from labeler.text.align import _spread, align, align_and_classify, align_many, comparable_documents
from tests.conftest import SEEDS
from tests.unit.test_beads import random_documents

EN = ["The harbour bridge opened on Saturday after 4 years of work.",
      "It cost 212 million euros and was built by Norvale Engineering.",
      "Mayor Clara Ventimiglia cut the ribbon in front of 6,000 people.",
      "Trams will start running across it on 3 March.",
      "The old ferry keeps running in summer."]
DE = ["Die Hafenbrücke wurde am Samstag nach 4 Jahren Bauzeit eröffnet.",
      "Sie kostete 212 Millionen Euro und wurde von Norvale Engineering gebaut.",
      "Bürgermeisterin Clara Ventimiglia durchschnitt vor 6.000 Menschen das Band.",
      "Ab dem 3. März fahren Straßenbahnen über die Brücke.",
      "Die alte Fähre fährt im Sommer weiter."]
ES = ["El puente del puerto se inauguró el sábado tras 4 años de obras.",
      "Costó 212 millones de euros y lo construyó Norvale Engineering.",
      "La alcaldesa Clara Ventimiglia cortó la cinta ante 6.000 personas.",
      "Los tranvías empezarán a cruzarlo el 3 de marzo.",
      "El viejo transbordador sigue funcionando en verano."]


def layout(rows):
    return [row.members for row in rows]


def covers_everything_once(rows, documents):
    """Every paragraph begins in exactly one row; where it continues, it is in the rows just below."""
    for index, paragraphs in enumerate(documents):
        seen = [x for row in rows for x in row.members[index] if not row.continues(index, x)]
        assert sorted(seen) == list(range(len(paragraphs)))
        for x in range(len(paragraphs)):
            places = [r for r, row in enumerate(rows) if x in row.members[index]]
            assert places == list(range(places[0], places[0] + len(places)))
            # It goes on in the next row only while no later paragraph of its document has begun.
            for r in places[1:]:
                assert all(other <= x for other in rows[r - 1].members[index])


def test_translations_align_one_to_one():
    rows = align([EN, DE, ES], ["source", None, None])
    assert layout(rows) == [((i,), (i,), (i,)) for i in range(5)]
    assert all(row.method == "auto-parallel" and 0 < row.score <= 1 for row in rows)


def test_a_merged_paragraph_makes_a_two_to_one_bead():
    merged = [DE[0], DE[1] + " " + DE[2], DE[3], DE[4]]
    rows = align([EN, merged], ["source", "translation"])
    covers_everything_once(rows, [EN, merged])
    assert ((1, 2), (1,)) in layout(rows)


def test_a_split_paragraph_makes_a_one_to_two_bead():
    split = [ES[0], "Costó 212 millones de euros.", "Lo construyó Norvale Engineering.", ES[2], ES[3], ES[4]]
    rows = align([EN, split], ["source", "translation"])
    assert ((1,), (1, 2)) in layout(rows)


def test_an_extra_paragraph_gets_a_row_of_its_own_and_a_missing_one_an_empty_cell():
    extra = DE[:2] + ["Ein zusätzlicher Absatz über das Wetter am Samstag, sonnig und kalt."] + DE[2:]
    rows = align([EN, extra], ["source", "translation"])
    assert ((), (2,)) in layout(rows)
    missing = ES[:3] + ES[4:]
    rows = align([EN, missing], ["source", "translation"])
    assert ((3,), ()) in layout(rows)


def test_two_missing_paragraphs_do_not_throw_off_the_length_ratio():
    # Without shared names, lengths decide; two long paragraphs missing from the translation made the whole-
    # document length ratio wrong, and every 1-1 bead then looked badly matched.
    rng = random.Random(0)
    words = "river stone lamp window garden paper music winter candle bridge meadow silver".split()
    lengths = [rng.randint(60, 300) for _ in range(8)]
    pivot = [" ".join(rng.choice(words) for _ in range(n // 6)) + (f" in {1900 + i}." if rng.random() < 0.6 else ".")
             for i, n in enumerate(lengths)]
    kept = [i for i in range(8) if i not in (4, 7)]
    longer = [pivot[i].replace("e", "ee") for i in kept]  # a language that writes a quarter longer
    rows = align([pivot, longer], ["source", "translation"])
    assert layout(rows) == [((i,), (kept.index(i),)) if i in kept else ((i,), ()) for i in range(8)]


def test_a_merge_in_one_translation_does_not_pull_other_languages_together():
    merged = [DE[0], DE[1] + " " + DE[2], DE[3], DE[4]]
    rows = align([EN, merged, ES], ["source", "translation", "translation"])
    covers_everything_once(rows, [EN, merged, ES])
    assert ((1,), (1,), (1,)) in layout(rows) and ((2,), (1,), (2,)) in layout(rows)
    assert rows[2].continues(1, 1) and not rows[1].continues(1, 1)


def test_a_merged_paragraph_is_in_both_rows_it_covers():
    merged = [DE[0], DE[1] + " " + DE[2], DE[3], DE[4]]
    rows = align([EN, merged, ES], ["source", "translation", "translation"])
    # Every paragraph of English and German that say the same thing share a row: no link is lost.
    assert [row.members for row in rows if 1 in row.members[1]] == [((1,), (1,), (1,)), ((2,), (1,), (2,))]
    assert [row.continued for row in rows][2] == ((), (1,), ())


def test_a_boundary_one_sentence_off_reaches_into_the_next_row():
    # English: [s0 s1 s2] [s3 s4]; German moves s2 into the next paragraph: [s0 s1] [s2 s3 s4].
    en = ["The bridge opened on Saturday. It cost 212 million euros. Norvale Engineering built it in 4 years.",
          "Clara Ventimiglia cut the ribbon. Trams start on 3 March."]
    de = ["Die Brücke wurde am Samstag eröffnet. Sie kostete 212 Millionen Euro.",
          "Norvale Engineering baute sie in 4 Jahren. Clara Ventimiglia durchschnitt das Band. "
          "Straßenbahnen fahren ab dem 3. März."]
    rows = align([en, de, en], ["source", "translation", "translation"])
    assert layout(rows) == [((0,), (0, 1), (0,)), ((1,), (1,), (1,))]
    assert rows[1].continued == ((), (1,), ())


def test_a_difference_of_length_alone_does_not_spread_a_paragraph():
    # A 2-2 bead: pivot paragraphs of 100 and 100 characters in rows 3 and 4; the other document's 112 and 88.
    assert _spread([3, 4], [3, 4], [100, 100], [7, 8], [112, 88]) == [(7, [3]), (8, [4])]
    # A sentence of 40 characters across the boundary is more than a difference of length.
    assert _spread([3, 4], [3, 4], [100, 100], [7, 8], [60, 140]) == [(7, [3]), (8, [3, 4])]
    # A merged paragraph covers both rows; two pivot paragraphs in one row count as one stretch.
    assert _spread([3, 4], [3, 4], [100, 100], [7], [190]) == [(7, [3, 4])]
    assert _spread([3, 4], [3, 3, 4], [50, 50, 100], [7, 8], [100, 100]) == [(7, [3]), (8, [4])]


def test_paragraph_order_is_kept_for_translations():
    rows = align([EN, DE[:2] + DE[3:], ES], ["source", None, None])
    for index in (0, 1, 2):
        order = [x for row in rows for x in row.members[index]]
        assert order == sorted(order)


def test_a_comparable_article_links_only_where_it_shares_content():
    comparable = ["Wetter: Regen am Wochenende, Sonne ab Dienstag erwartet.",
                  "Clara Ventimiglia sprach vor 6.000 Menschen über die neue Brücke.",
                  "Der Fußballverein gewann am Sonntag mit zwei zu null."]
    rows = align([EN, DE, comparable], ["source", None, "comparable"])
    covers_everything_once(rows, [EN, DE, comparable])
    linked = [row for row in rows if row.members[2] and row.members[0]]
    assert [row.members[0] for row in linked] == [(2,)]
    assert linked[0].method == "auto-comparable"
    alone = [row for row in rows if row.members[2] and not row.members[0]]
    assert len(alone) == 2 and all(row.score == 0.0 for row in alone)


def test_a_document_that_is_not_a_translation_is_found_comparable():
    other = ["Completely different news about a football match in Glasgow.",
             "The score was 2 to 0.", "Fans celebrated.", "The coach Willem Boer was pleased.",
             "Next week they play in Leeds.", "Tickets are sold out.", "Rain is expected.", "The end."]
    assert comparable_documents([EN, DE, other], ["source", None, None]) == {2}
    assert comparable_documents([EN, DE], ["source", None]) == set()


def test_alignment_is_deterministic():
    documents = [EN, DE[:3] + DE[4:], ES]
    assert align(documents) == align(documents)


@pytest.mark.parametrize("documents", [[], [[]], [EN], [EN, []], [[EN[0]], [DE[0]]]])
def test_edge_cases_cover_every_paragraph(documents):
    rows = align(documents)
    covers_everything_once(rows, documents)


def test_seed_translations_align_paragraph_by_paragraph():
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not beside the checkout")
    from labeler.text.segment import paragraphs

    documents = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text("utf-8")
        documents.append([text[s.char_start:s.char_end] for s in paragraphs(text)])
    rows = align(documents)
    parallel = [row.members[:4] for row in rows if any(row.members[:4])]
    assert parallel == [((i,), (i,), (i,), (i,)) for i in range(5)]
    assert comparable_documents(documents) == {4}
    linked = sum(len(row.members[4]) for row in rows if any(row.members[:4]))
    assert 0 < linked < len(documents[4]) / 2


@pytest.mark.parametrize("roles", [[None, None, None], ["source", None, None], [None, "translation", None]])
def test_align_and_classify_is_align_with_the_comparable_documents_named(roles):
    other = ["Completely different news about a football match in Glasgow.",
             "The score was 2 to 0.", "Fans celebrated.", "The coach Willem Boer was pleased.",
             "Next week they play in Leeds.", "Tickets are sold out.", "Rain is expected.", "The end."]
    documents = [EN, DE[:1] + [DE[1] + " " + DE[2]] + DE[3:], other]
    rows, found = align_and_classify(documents, roles)
    assert found == comparable_documents(documents, roles) == {2}
    assert rows == align(documents, [("comparable" if i in found else role) for i, role in enumerate(roles)])


def _plain(rows):
    return [(row.members, row.score, row.method, row.continued) for row in rows]


def test_many_groups_align_as_each_group_alone():
    rng = random.Random(11)
    groups = [(documents, rng.choice([None, ["source"] + [None] * (len(documents) - 1),
                                      ["source"] + ["translation"] * (len(documents) - 1)]))
              for documents in (random_documents(rng, rng.randint(0, 5)) for _ in range(60))]
    groups += [([EN, DE, ES], None), ([EN, DE[:2] + [DE[2] + " " + DE[3]] + DE[4:], ES[1:]], ["source", None, None])]
    for (documents, roles), (rows, found) in zip(groups, align_many(groups)):
        alone_rows, alone_found = align_and_classify(documents, roles)
        assert (_plain(rows), found) == (_plain(alone_rows), alone_found)
