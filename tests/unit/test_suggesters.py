"""The suggesters on small groups written for the purpose: what they flag, and what they must not."""

from labeler.suggesters import GroupText, Label, language, names, number_tokens, numbers, projection, suggest

SOURCE = "The company said the GPT-4.5 model costs 1,200 euros and OpenAI will ship it on 3 March."
VERSIONS = {
    "es": "La empresa dijo que el modelo GPT-4.5 cuesta 1.200 euros y OpenAI lo lanzará el 3 de marzo.",
    "pt": "A empresa disse que o modelo GPT-4.5 custa 1.200 euros e a OpenAI o lançará em 3 de março.",
    "fr": "L'entreprise a dit que le modèle GPT-4.5 coûte 1 200 euros et qu'OpenAI le lancera le 3 mars.",
    "de": "Das Unternehmen sagte, das Modell GPT-4,5 koste 1.200 Euro und OpenAI liefere es am 3. März aus.",
}


def group(changes: dict[str, str] | None = None, roles=None) -> GroupText:
    texts = [SOURCE] + [(changes or {}).get(lang, text) for lang, text in VERSIONS.items()]
    langs = ["en", *VERSIONS]
    return GroupText(texts, langs, roles or ["source"] + ["translation"] * 4, [[(0, len(t))] for t in texts],
                     [[[0]] * len(texts)])


def test_numbers_are_compared_after_locale_normalisation():
    assert [t.value for t in number_tokens("GPT-4,5 kostet 1.200 Euro", 0, 25)] == ["gpt-4.5", "1200"]
    assert numbers(group()) == []  # 4,5 / 4.5 and 1.200 / 1,200 / 1 200 are the same numbers


def test_a_garbled_version_number_is_a_mistranslation_with_the_agreeing_source_as_counterpart():
    (found,) = numbers(group({"de": VERSIONS["de"].replace("GPT-4,5", "GPT-44")}))
    assert (found.doc, found.surface, found.label, found.severity) == (4, "GPT-44", "Accuracy/Mistranslation", "major")
    assert SOURCE[found.counterpart[1]:found.counterpart[2]] == "GPT-4.5" and found.counterpart[0] == 0
    assert found.score == 1.0 and "4 of 4 other versions" in found.reason


def test_a_changed_amount_is_flagged_but_a_different_scale_is_not():
    (found,) = numbers(group({"pt": VERSIONS["pt"].replace("1.200", "1.700")}))
    assert found.surface == "1.700"
    assert numbers(group({"pt": VERSIONS["pt"].replace("1.200 euros", "1,2 mil euros")})) == []


def test_the_source_is_never_flagged_and_two_versions_are_not_a_majority():
    texts = group({"es": VERSIONS["es"].replace("3 de", "4 de")})
    texts.roles[0] = "source"
    assert all(s.doc != 0 for s in numbers(texts))
    two = GroupText([SOURCE, VERSIONS["es"].replace("3 de", "4 de")], ["en", "es"], ["source", "translation"],
                    [[(0, len(SOURCE))], [(0, len(VERSIONS["es"]))]], [[[0], [0]]])
    assert numbers(two) == []


def test_a_misspelled_company_name_is_flagged_with_an_entity_linked_to_the_majority_concept():
    broken = group({"es": VERSIONS["es"].replace("OpenAI", "Operai")})
    start = SOURCE.index("OpenAI")
    broken.labels = [Label(0, start, start + 6, "entity", "ORG", concept="7")]
    found = names(broken)
    assert [(s.doc, s.surface, s.layer, s.label, s.concept) for s in found] == [
        (1, "Operai", "error", "Fluency/Spelling", None), (1, "Operai", "entity", "ORG", "7")]


def test_names_in_their_local_form_are_not_misspellings():
    local = group({"de": VERSIONS["de"].replace("OpenAI", "OpenAI’s"),
                   "fr": VERSIONS["fr"].replace("qu'OpenAI", "qu'OpenAI")})
    assert names(local) == []
    exonyms = GroupText(
        ["He flew to Mexico and Vienna.", "Voló a México y Viena.", "Il a volé à Mexico et Vienne.",
         "Er flog nach Mexiko und Wien.", "Ele voou para o México e Viena."],
        ["en", "es", "fr", "de", "pt"], ["source"] + ["translation"] * 4,
        [[(0, n)] for n in (29, 23, 29, 28, 32)], [[[0]] * 5])
    assert names(exonyms) == []


def test_an_untranslated_paragraph_is_flagged_and_a_short_one_is_not():
    english = "The bridge was opened on Saturday by the mayor in front of six thousand people."
    found = language(group({"pt": english}))
    assert [(s.doc, s.label, s.char_start, s.char_end) for s in found] == [(2, "Accuracy/Untranslated", 0, len(english))]
    assert "reads as English, not Portuguese" in found[0].reason
    assert language(group({"pt": "OpenAI, GPT-4.5."})) == []


def test_projection_finds_the_same_entity_exactly_ignoring_case_and_accents_and_fuzzily():
    texts = ["Clara Ventimiglia opened the Harbour Bridge.", "CLARA VENTIMIGLIA abrió el puente.",
             "Clara Ventimíglia a ouvert le pont.", "Clara Ventimilia hat die Brücke eröffnet.", "Nichts hier."]
    g = GroupText(texts, ["en", "es", "fr", "de", "xx"], ["source"] + ["translation"] * 4,
                  [[(0, len(t))] for t in texts], [[[0]] * 5], [Label(0, 0, 17, "entity", "PER", concept="3")])
    found = projection(g)
    assert [(s.doc, s.surface, s.label, s.concept) for s in found] == [
        (1, "CLARA VENTIMIGLIA", "PER", "3"), (2, "Clara Ventimíglia", "PER", "3"), (3, "Clara Ventimilia", "PER", "3")]
    assert found[0].score > found[2].score
    # A place already labelled is left alone.
    g.labels.append(Label(1, 0, 17, "entity", "PER"))
    assert [s.doc for s in projection(g)] == [2, 3]


def test_suggest_runs_them_all_in_a_stable_order():
    broken = group({"de": VERSIONS["de"].replace("GPT-4,5", "GPT-44"), "es": VERSIONS["es"].replace("OpenAI", "Operai")})
    assert [(s.suggester, s.doc) for s in suggest(broken)] == [("names", 1), ("numbers", 4)]
    assert suggest(broken) == suggest(broken)


def test_a_factor_of_ten_is_flagged_but_a_converted_unit_is_not():
    (found,) = numbers(group({"de": VERSIONS["de"].replace("1.200 Euro", "12.000 Euro")}))
    assert found.surface == "12.000"
    miles = GroupText(
        ["The spill reached 10 miles of coast.", "La mancha alcanzó 16 km de costa.", "A mancha atingiu 10 milhas.",
         "Der Teppich erreichte 10 Meilen Küste.", "La nappe a atteint 10 miles de côte."],
        ["en", "es", "pt", "de", "fr"], ["source"] + ["translation"] * 4,
        [[(0, n)] for n in (36, 33, 27, 38, 36)], [[[0]] * 5])
    assert numbers(miles) == []
