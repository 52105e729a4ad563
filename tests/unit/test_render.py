"""Runs of highlighted text: overlaps, nesting, bands, and offsets in code points."""

from labeler.render import SpanView, assign_bands, runs


def span(id, start, end, layer="entity", label="ORG", **kw):
    return SpanView(id=id, char_start=start, char_end=end, layer=layer, label=label, **kw)


def test_runs_cover_the_text_exactly_once():
    text = "Microsoft hosts OpenAI models"
    out = runs(text, 100, [span(1, 100, 109), span(2, 116, 122)])
    assert "".join(r.text for r in out) == text
    assert [(r.text, [s.id for s in r.spans]) for r in out] == [
        ("Microsoft", [1]), (" hosts ", []), ("OpenAI", [2]), (" models", [])]
    assert out[0].starts[0].id == 1


def test_nested_spans_are_both_visible_and_get_different_bands():
    text = "New York City Council"
    outer, inner = span(1, 0, 21, label="ORG"), span(2, 0, 13, label="LOC")
    out = runs(text, 0, [outer, inner])
    assert [(r.text, sorted(s.id for s in r.spans)) for r in out] == [("New York City", [1, 2]), (" Council", [1])]
    assert out[0].entity.id == 2  # the innermost entity colours the run
    assert out[0].bands == {1: 0, 2: 1} and out[0].depth == 2


def test_crossing_spans_of_different_layers():
    text = "GPT-44 will launch in May"
    error = span(1, 0, 6, layer="error", label="Accuracy/Mistranslation", severity="major")
    claim = span(2, 0, 25, layer="claim", label="CLAIM")
    product = span(3, 0, 6, label="PRODUCT")
    out = runs(text, 0, [error, claim, product])
    first = out[0]
    assert {s.layer for s in first.spans} == {"entity", "claim", "error"}
    assert first.worst_error.severity == "major" and first.entity.label == "PRODUCT"
    assert [s.id for s in out[1].spans] == [2]


def test_bands_are_per_layer():
    bands = assign_bands([span(1, 0, 10), span(2, 5, 15), span(3, 0, 10, layer="claim")])
    assert bands == {1: 0, 2: 1, 3: 0}


def test_offsets_are_code_points_with_emoji_and_combining_marks():
    text = "👩‍👩‍👧 café"  # family emoji is 5 code points; é precomposed after NFC
    start = text.index("café")
    out = runs(text, 0, [span(1, start, start + 4)])
    assert out[-1].text == "café"
    decomposed = "cafe\u0301 bar"
    out = runs(decomposed, 0, [span(1, 0, 5)])
    assert out[0].text == "cafe\u0301"


def test_right_to_left_text_is_cut_by_logical_order():
    text = "افتتحت مدينة بورت إلين"
    out = runs(text, 0, [span(1, 13, 22, label="LOC")])
    assert out[-1].text == "بورت إلين"
