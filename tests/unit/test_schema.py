"""Editing a project's label schema: the form round-trips, bad edits are refused with every reason."""

import pytest

from labeler.schema import SchemaError, default_label_schema, edit_schema, fingerprint, schema_fields


def edited(**changes) -> dict:
    return {**schema_fields(default_label_schema()), **changes}


def test_the_form_of_the_default_schema_saves_back_unchanged():
    schema = default_label_schema()
    assert edit_schema(schema, schema_fields(schema), {}) == schema


def test_labels_are_one_per_line_in_picker_order():
    schema = edit_schema(default_label_schema(), edited(entity_labels=" GENE \n\nPER\r\nDRUG\n"), {})
    assert schema["entity"]["labels"] == ["GENE", "PER", "DRUG"]
    # What the form does not show is kept: claim attributes other than the types, severities.
    assert schema["claim"]["attributes"]["check_worthy"]["choices"] == ["yes", "no"]
    assert schema["error"]["severities"] == ["minor", "major", "critical", "neutral"]


def test_weights_and_exceptions():
    schema = edit_schema(default_label_schema(), edited(
        weight_major="4", weight_minor="0.5",
        weight_overrides="Fluency/Punctuation | minor | 0.05\nNon-translation | * | 20"), {})
    assert schema["mqm_weights"]["severity"]["major"] == 4.0
    assert schema["mqm_weights"]["overrides"] == [
        {"category": "Fluency/Punctuation", "severity": "minor", "weight": 0.05},
        {"category": "Non-translation", "severity": "*", "weight": 20.0}]


@pytest.mark.parametrize("changes, problem", [
    ({"entity_labels": "\n \n"}, "Entity labels: give at least one label"),
    ({"entity_labels": "PER\nper"}, "'per' is listed twice"),
    ({"entity_labels": "A|B"}, "contains '|'"),
    ({"entity_labels": "BAD\x07"}, "control character"),
    ({"entity_labels": "X" * 61}, "longer than 60 characters"),
    ({"entity_labels": "\n".join(f"L{n}" for n in range(36))}, "at most 35 labels"),
    ({"weight_major": "five"}, "'five' is not a number"),
    ({"weight_major": "-1"}, "between 0 and 1000"),
    ({"weight_major": "nan"}, "between 0 and 1000"),
    ({"weight_overrides": "Other | major"}, "Override line 1: write"),
    ({"weight_overrides": "Nonsense | major | 3"}, "'Nonsense' is not one of the error categories"),
    ({"weight_overrides": "Other | huge | 3"}, "severity is one of"),
])
def test_bad_edits_are_refused_with_a_reason(changes, problem):
    with pytest.raises(SchemaError) as refused:
        edit_schema(default_label_schema(), edited(**changes), {})
    assert any(problem in line for line in refused.value.problems), refused.value.problems


def test_a_label_in_use_cannot_be_removed_but_unused_ones_can():
    in_use = {("entity", "PER"): 3, ("claim_type", "causal"): 1, ("entity", "MISC"): 0}
    with pytest.raises(SchemaError) as refused:
        edit_schema(default_label_schema(), edited(entity_labels="ORG", claim_types="numeric"), in_use)
    assert refused.value.problems == [
        "1 claim uses the type 'causal': relabel or delete it before removing the type",
        "3 entity spans use the label 'PER': relabel or delete them before removing the label",
    ]
    kept = edit_schema(default_label_schema(), edited(entity_labels="PER\nORG"), in_use)
    assert kept["entity"]["labels"] == ["PER", "ORG"]


def test_every_problem_is_reported_at_once():
    with pytest.raises(SchemaError) as refused:
        edit_schema(default_label_schema(), edited(entity_labels="", weight_minor="x"), {})
    assert len(refused.value.problems) == 2


def test_fingerprint_changes_with_the_schema():
    schema = default_label_schema()
    assert fingerprint(schema) == fingerprint(default_label_schema())
    schema["entity"]["labels"].append("GENE")
    assert fingerprint(schema) != fingerprint(default_label_schema())
