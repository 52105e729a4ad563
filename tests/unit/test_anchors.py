"""Anchors: what survives translation, normalised across locales."""

import pytest

from labeler.text.anchors import anchors, normalize_number


@pytest.mark.parametrize("written, normal", [
    ("4,5", "4.5"), ("4.5", "4.5"), ("1.000", "1000"), ("1,000", "1000"), ("1 000", "1000"),
    ("1.000.000", "1000000"), ("1,234.5", "1234.5"), ("1.234,5", "1234.5"), ("2027", "2027"), ("007", "7"),
])
def test_numbers_are_the_same_in_every_locale(written, normal):
    assert normalize_number(written) == normal


def test_names_codes_and_numbers_are_anchors_common_words_are_not():
    found = anchors("El equipo de Microsoft prepara GPT-4.5 para 2027, dijo Ingrid Solberg en www.example.org.")
    assert {"microsoft", "gpt-4.5", "2027", "ingrid", "solberg", "www.example.org"} <= set(found)
    assert "equipo" not in found and "el" not in found


def test_the_same_content_shares_anchors_across_languages():
    spanish = anchors("La empresa Vindhavn invertirá 3.200 millones en Aldermoor en 2027.")
    german = anchors("Das Unternehmen Vindhavn investiert 3.200 Millionen in Aldermoor im Jahr 2027.")
    assert {"vindhavn", "3200", "aldermoor", "2027"} <= set(spanish) & set(german)


def test_accents_and_case_are_folded_in_names():
    assert "muller" in anchors("Gestern sagte Müller, dass")
