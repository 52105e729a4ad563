"""Properties of the pure code, checked on generated input (hypothesis): decoding, normalisation, paragraph
splitting, highlighting runs over code-point offsets, alignment, number anchors, the file readers on random
bytes, and the links made from knowledge-base ids.

Each property is something an annotator relies on without knowing it: every character of a document is in a
paragraph they can label, offsets mean the same text on every read, a bad file is refused by name.
"""

import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from labeler.links import kb_url
from labeler.readers import ImportProblem, read_paths
from labeler.render import SpanView, runs
from labeler.text.align import align
from labeler.text.anchors import normalize_number
from labeler.text.normalize import TextError, decode, normalize
from labeler.text.segment import paragraphs
from tests.unit.test_align import covers_everything_once

FAST = settings(max_examples=150, deadline=None, derandomize=True, database=None)

# Text as files really hold it: words in many scripts, emoji (astral, ZWJ sequences), combining marks,
# right-to-left and bidi controls, every kind of white space and newline, BOMs.
PIECES = st.sampled_from([
    "word", "Ana", "Ruiz", "4,5", "1.200", "👨‍👩‍👧", "🇵🇹", "é", "e\u0301", "n\u0308", "ポート", "افتتح", "שלום",
    "\u202e", "\u2066", "\u200f", " ", "  ", "\t", "\n", "\n\n", "\r\n", "\r", "\u00a0", "\u2028", "\u3000",
    "\ufeff", ".", "<script>", "&amp;",
])
TEXTS = st.one_of(st.lists(PIECES, max_size=40).map("".join), st.text(max_size=200))
NO_NUL = TEXTS.map(lambda text: text.replace("\x00", ""))


@FAST
@given(text=TEXTS, bom=st.booleans())
def test_utf8_decodes_to_the_same_text_with_or_without_a_bom(text, bom):
    data = ("\ufeff" if bom else "").encode() + text.encode("utf-8", "surrogatepass")
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        with pytest.raises(TextError):
            decode(data)
        return
    assert decode(data) == (text if bom else text.removeprefix("\ufeff"))  # a leading U+FEFF is a BOM


@FAST
@given(data=st.binary(max_size=400))
@example(data=b"ok\nok\n\xff")
@example(data=b"\xed\xa0\x80")  # an encoded surrogate is not UTF-8
@example(data=b"two\nlines and a cut character \xc2")
def test_random_bytes_decode_or_name_the_line_of_the_first_bad_byte(data):
    try:
        text = decode(data)
    except TextError as error:
        with pytest.raises(UnicodeDecodeError) as strict:
            data.decode("utf-8")
        assert error.line == data.count(b"\n", 0, strict.value.start) + 1
        assert "not UTF-8" in error.message and f"line {error.line}" in error.message
    else:
        assert text.encode("utf-8") in (data, data.removeprefix(b"\xef\xbb\xbf"))


@FAST
@given(text=NO_NUL)
@example(text="\ufeff\ufeffdouble BOM")
def test_normalised_text_is_stable_nfc_with_unix_newlines(text):
    once = normalize(text)
    assert normalize(once) == once, "normalising twice changed the text: its offsets would not be stable"
    assert unicodedata.is_normalized("NFC", once)
    assert "\r" not in once and not once.startswith("\ufeff")
    assert once.count("\n") == text.replace("\r\n", "\n").count("\n") + text.replace("\r\n", "").count("\r")


@FAST
@given(before=NO_NUL, after=NO_NUL)
def test_a_nul_character_is_refused_on_its_line(before, after):
    with pytest.raises(TextError) as caught:
        normalize(before + "\x00" + after)
    assert caught.value.line == before.count("\n") + 1


@FAST
@given(text=NO_NUL.map(normalize), lines_only=st.booleans())
@example(text="word\u2028word\n\u3000\nnext", lines_only=False)
@example(text=("A line that is long enough to look hard wrapped by an editor.\n" * 4), lines_only=False)
def test_paragraphs_cover_every_visible_character_in_order(text, lines_only):
    spans = paragraphs(text, lines_only=lines_only)
    covered = set()
    previous_end = 0
    for span in spans:
        assert previous_end <= span.char_start < span.char_end <= len(text)
        piece = text[span.char_start:span.char_end]
        assert piece == piece.strip(), "a paragraph starts or ends with white space"
        if lines_only:
            assert "\n" not in piece
        covered.update(range(span.char_start, span.char_end))
        previous_end = span.char_end
    lost = [ch for index, ch in enumerate(text) if not ch.isspace() and index not in covered]
    assert not lost, f"characters in no paragraph: {lost!r}"


@st.composite
def paragraph_with_spans(draw):
    text = draw(st.lists(PIECES, min_size=1, max_size=20).map("".join))
    offset = draw(st.integers(0, 500))  # a paragraph's place in its document: spans use document offsets
    spans = []
    for number in range(draw(st.integers(0, 6))):
        start = draw(st.integers(offset - 3, offset + len(text)))
        end = draw(st.integers(start + 1, offset + len(text) + 3))
        spans.append(SpanView(id=number + 1, char_start=start, char_end=end,
                              layer=draw(st.sampled_from(["entity", "claim", "error"])), label="X"))
    return text, offset, spans


@FAST
@given(case=paragraph_with_spans())
def test_highlight_runs_rebuild_the_text_and_each_span_exactly(case):
    text, offset, spans = case
    pieces = runs(text, offset, spans)
    assert "".join(run.text for run in pieces) == text
    position = offset
    for run in pieces:
        assert run.char_start == position and run.char_end == position + len(run.text) and run.text
        position = run.char_end
    for span in spans:
        start, end = max(span.char_start, offset), min(span.char_end, offset + len(text))
        mine = [run for run in pieces if span in run.spans]
        if start >= end:
            assert not mine
            continue
        assert "".join(run.text for run in mine) == text[start - offset:end - offset]
        assert mine[0].char_start == start and mine[-1].char_end == end
        assert (span in mine[0].starts) == (span.char_start >= offset)
    for run in pieces:
        same_layer = [(span.layer, run.bands[span.id]) for span in run.spans]
        assert len(same_layer) == len(set(same_layer)), "two overlapping spans drawn on one band"


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(documents=st.lists(st.lists(st.lists(PIECES, min_size=1, max_size=8).map("".join), min_size=1, max_size=6),
                          min_size=1, max_size=4),
       roles=st.lists(st.sampled_from([None, "source", "translation", "comparable"]), min_size=4, max_size=4))
def test_alignment_begins_every_paragraph_in_exactly_one_row(documents, roles):
    rows = align(documents, roles[:len(documents)])
    covers_everything_once(rows, documents)
    for index, document in enumerate(documents):
        placed = [member for row in rows for member in row.members[index] if not row.continues(index, member)]
        if roles[index] != "comparable" and placed != sorted(placed):
            # Only a comparable document may be reordered; a translation keeps its order down the rows.
            assert index in _comparable(documents, roles)


def _comparable(documents, roles):
    from labeler.text.align import comparable_documents

    return comparable_documents(documents, roles[:len(documents)])


DIGITS = st.text("0123456789", min_size=1, max_size=4)


@FAST
@given(first=DIGITS, rest=st.lists(st.tuples(st.sampled_from(".,\u00a0\u202f "), DIGITS), max_size=3))
def test_numbers_normalise_to_digits_with_at_most_one_decimal_point(first, rest):
    raw = first + "".join(separator + digits for separator, digits in rest)
    value = normalize_number(raw)
    assert re.fullmatch(r"(0|[1-9]\d*)(\.\d+)?", value), (raw, value)
    assert value.replace(".", "").lstrip("0") == re.sub(r"\D", "", raw).lstrip("0"), "a digit was lost or added"


# The file readers, on random bytes: documents in normalised form, or ImportProblem naming the file.
READER_BYTES = st.one_of(
    st.binary(max_size=300),
    st.lists(PIECES, max_size=30).map("".join).map(lambda text: text.encode("utf-8")),
    st.lists(st.sampled_from(['{"group": "g", "doc_id": "a", "text": "Hello there."}', "{", "[]", '"x"', "null",
                              '{"group": 1}', '{"schema": "labeler.gold/1"}', "", "\t", '{"text": "\\u0000"}']),
             max_size=4).map("\n".join).map(str.encode),
)


@pytest.mark.parametrize("suffix", [".txt", ".jsonl", ".tsv", ".tmx", ".xliff"])
def test_readers_return_normalised_documents_or_name_the_bad_file(tmp_path, suffix):
    counter = iter(range(10**6))

    @settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(data=READER_BYTES)
    def check(data):
        folder = tmp_path / f"case{next(counter)}"
        folder.mkdir()
        target = folder / ("en.txt" if suffix == ".txt" else f"file{suffix}")
        target.write_bytes(data)
        try:
            documents = read_paths([folder if suffix == ".txt" else target])
        except ImportProblem as problem:
            outcomes["refused"] += 1
            assert problem.path.startswith(str(folder)) and problem.problem
            return
        outcomes["read"] += 1
        for document in documents:
            assert normalize(document.text) == document.text and document.text.strip()

    outcomes = {"read": 0, "refused": 0}
    check()
    assert outcomes["refused"] >= 5 and (outcomes["read"] >= 5 or suffix not in (".txt", ".jsonl")), outcomes


def test_a_jsonl_file_of_one_huge_line_is_read_whole(tmp_path):
    text = "palabra " * 250_000
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"group": "g", "doc_id": "big", "text": text}) + "\n", encoding="utf-8")
    (document,) = read_paths([Path(path)])
    assert document.text == text and len(document.text) == 2_000_000


SCHEMES = st.sampled_from(["javascript:", "JavaScript:", " javascript:", "\x01javascript:", "java\tscript:",
                           "java\nscript:", "data:text/html,", "vbscript:", "https://", "http://", "//", "https:",
                           "HTTPS://", "file:///", ""])


@FAST
@given(kb_id=st.one_of(st.text(max_size=40), st.tuples(SCHEMES, st.text(max_size=20)).map("".join)))
@example(kb_id="javascript:alert(1)")
@example(kb_id="https://example.org/\u202egpj.exe")
def test_a_knowledge_base_id_becomes_a_link_only_to_wikidata_or_a_web_address(kb_id):
    url = kb_url(kb_id)
    if url is None:
        return
    # What a browser would run: it drops tabs and newlines and leading control characters and spaces.
    as_browser = re.sub(r"[\t\n\r]", "", url).lstrip("".join(map(chr, range(0x21))))
    assert re.match(r"https?://[^/]", as_browser, re.IGNORECASE), url
    assert url == kb_id or url == f"https://www.wikidata.org/wiki/{kb_id}"
    assert not any(unicodedata.category(ch).startswith("C") or ch.isspace() for ch in url)


@pytest.mark.parametrize("kb_id, url", [
    ("Q42", "https://www.wikidata.org/wiki/Q42"),
    ("P31", "https://www.wikidata.org/wiki/P31"),
    ("https://d-nb.info/gnd/118540238", "https://d-nb.info/gnd/118540238"),
    ("q42", None), ("Q42 ", None), ("javascript:alert(1)", None), ("JAVASCRIPT:alert(1)", None),
    ("java\tscript:alert(1)", None), ("data:text/html,<script>alert(1)</script>", None),
    ("//evil.example/x", None), ("https:evil.example", None), ("https://[::1", None), ("", None), (None, None),
])
def test_knowledge_base_links(kb_id, url):
    assert kb_url(kb_id) == url
