"""Normalisation, paragraph splitting and language identification: pure text code."""

import unicodedata

import pytest

from labeler.text import langid
from labeler.text.normalize import TextError, decode, normalize, sha256
from labeler.text.segment import is_hard_wrapped, paragraphs


def test_normalize_makes_nfc_and_unix_newlines():
    decomposed = "Cafe\u0301\r\nna\u0303o\rfim"
    text = normalize(decomposed)
    assert text == "Café\nnão\nfim"
    assert unicodedata.is_normalized("NFC", text)


def test_decode_strips_bom_and_names_the_line_of_bad_bytes():
    assert decode("\ufeffhola".encode("utf-8")) == "hola"
    with pytest.raises(TextError) as caught:
        decode("line one\nline two\nGr\xfc\xdfe".encode("latin-1"))
    assert caught.value.line == 3
    assert "not UTF-8" in caught.value.message


def test_nul_character_is_refused_with_its_line():
    with pytest.raises(TextError) as caught:
        normalize("ok\nbad\x00")
    assert caught.value.line == 2


def test_sha256_is_of_utf8_bytes():
    assert sha256("a") == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"


def test_each_non_empty_line_is_a_paragraph_when_lines_are_long():
    long_line = "Una frase larga sobre el puerto. " * 8
    text = f"{long_line}\n{long_line}\n\n  {long_line}  \n"
    spans = paragraphs(text)
    assert len(spans) == 3
    assert [text[s.char_start:s.char_end] for s in spans] == [long_line.strip()] * 3


def test_short_unwrapped_lines_stay_separate_paragraphs():
    text = "Microsoft, ChatGPT\nSource: a press release\nThe end of the list\n"
    assert not is_hard_wrapped(text)
    assert len(paragraphs(text)) == 3


def test_two_sentences_on_two_lines_are_two_paragraphs():
    # Regression: the longest line always "fills" its width, so it alone made any two-line text hard-wrapped.
    text = "Mayor Ana Ruiz opened the bridge in Port Elin.\nIt cost 40 million euros."
    assert not is_hard_wrapped(text)
    assert len(paragraphs(text)) == 2


def test_hard_wrapped_blocks_are_paragraphs():
    words = ("The council approved the new harbour bridge after a long debate about its cost and "
             "its effect on the fishing boats that use the old channel every morning before dawn. ") * 2
    import textwrap

    block = textwrap.fill(words.strip(), width=70)
    text = f"{block}\n\n{block}\n"
    assert is_hard_wrapped(text)
    spans = paragraphs(text)
    assert len(spans) == 2
    assert "\n" in text[spans[0].char_start:spans[0].char_end]


def test_offsets_count_code_points_not_bytes():
    text = "👩‍👩‍👧 مرحبا\n\n日本語の段落\n"
    spans = paragraphs(text)
    assert [text[s.char_start:s.char_end] for s in spans] == ["👩‍👩‍👧 مرحبا", "日本語の段落"]


@pytest.mark.parametrize("text, expected", [
    ("El ayuntamiento inauguró ayer el nuevo puente sobre el río, tras tres años de obras y retrasos.", "es"),
    ("A prefeitura inaugurou ontem a nova ponte sobre o rio, depois de três anos de obras e atrasos.", "pt"),
    ("Die Stadt hat gestern die neue Brücke über den Fluss eröffnet, nach drei Jahren Bauzeit.", "de"),
    ("افتتحت البلدية أمس الجسر الجديد فوق النهر بعد ثلاث سنوات من الأشغال.", "ar"),
])
def test_language_is_detected(text, expected):
    assert langid.detect(text) == expected


def test_detection_can_be_restricted_to_candidates():
    assert langid.detect("Il ponte è stato aperto ieri.", ("es", "it")) == "it"


def test_language_names():
    assert langid.language_name("pt-BR") == "Portuguese"
    assert langid.language_name("xx") == "xx"


def test_detection_reads_a_sample_that_ends_at_a_paragraph_break():
    first = "Die Stadt hat gestern die neue Brücke über den Fluss eröffnet. " * 10  # 630 characters
    text = first.strip() + "\n" + "Ein zweiter Absatz, der über die Grenze der Stichprobe hinausgeht. " * 20
    assert langid.sample(text) == first.strip()
    assert langid.sample("kurz") == "kurz"


def test_without_a_paragraph_break_the_sample_ends_at_a_space():
    text = "palabra " * 300
    sample = langid.sample(text)
    assert len(sample) <= langid.SAMPLE_CHARS and text.startswith(sample) and sample.endswith("palabra")


def test_detecting_many_texts_gives_what_detecting_each_gives():
    texts = ["El ayuntamiento inauguró ayer el nuevo puente sobre el río, tras tres años de obras y retrasos.",
             "Die Stadt hat gestern die neue Brücke über den Fluss eröffnet, nach drei Jahren Bauzeit.",
             "12 345 678 — 90", ""]
    assert langid.detect_many(texts) == [langid.detect(text) for text in texts] == ["es", "de", None, None]


def test_language_names_are_lingua_s_own():
    # The names are a table, so that showing them does not import lingua; it must not drift from lingua's.
    from lingua import Language

    assert langid.LANGUAGE_NAMES == {language.iso_code_639_1.name.lower(): language.name.title()
                                     for language in Language.all()}
    assert langid.is_known("nb-NO") and langid.is_known("PT") and not langid.is_known("xx")


def test_showing_language_names_does_not_load_lingua():
    # The server shows language names on every page; lingua (and its models) is for importing only.
    import subprocess
    import sys

    code = ("import sys; from labeler import reading, progress; from labeler.text import langid; "
            "assert langid.language_name('pt-BR') == 'Portuguese'; "
            "assert 'lingua' not in sys.modules, 'lingua was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_decisive_shortlist_answers_as_the_full_models_would(monkeypatch):
    # Long texts whose low-accuracy pass is all but certain skip the full models (issue 8): same answers.
    texts = [("O porto reabriu ontem depois de uma tempestade que o fechou durante onze dias seguidos. " * 5),
             ("El puerto reabrió ayer después de una tormenta que lo cerró durante once días seguidos. " * 5),
             ("Der Hafen wurde gestern wieder geöffnet, nachdem ein Sturm ihn elf Tage lang geschlossen hatte. " * 5)]
    skipping = langid.detect_many(texts, parallel=False)
    monkeypatch.setattr(langid, "DECISIVE", 1.1)  # nothing is decisive: the full models decide every text
    assert skipping == langid.detect_many(texts, parallel=False) == langid.detect_many(texts) == ["pt", "es", "de"]
