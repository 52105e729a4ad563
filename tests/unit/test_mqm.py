"""MQM scoring with the WMT weights, computed by hand."""

from labeler.mqm import count_words, document_words, penalty, score, weight
from labeler.schema import MQM_WEIGHTS


def test_wmt_weights():
    assert weight("Accuracy/Mistranslation", "major", MQM_WEIGHTS) == 5
    assert weight("Accuracy/Mistranslation", "minor", MQM_WEIGHTS) == 1
    assert weight("Fluency/Punctuation", "minor", MQM_WEIGHTS) == 0.1
    assert weight("Fluency/Punctuation", "major", MQM_WEIGHTS) == 5
    assert weight("Non-translation", "minor", MQM_WEIGHTS) == 25
    assert weight("Style/Awkward", "neutral", MQM_WEIGHTS) == 0
    assert weight("Terminology", "critical", MQM_WEIGHTS) == 10


def test_penalty_and_score_per_100_words():
    errors = [("Accuracy/Mistranslation", "major"), ("Fluency/Punctuation", "minor"), ("Fluency/Spelling", "minor")]
    assert penalty(errors, MQM_WEIGHTS) == 6.1
    assert score(errors, 50, MQM_WEIGHTS) == {"penalty": 6.1, "words": 50, "score_per_100_words": 12.2}


def test_project_weights_override_the_defaults():
    weights = {"severity": {"minor": 2, "major": 4}, "overrides": []}
    assert penalty([("Fluency/Punctuation", "minor"), ("Other", "major")], weights) == 6


def test_words_in_scripts_without_spaces():
    assert count_words("Der Hafen, 2027 eröffnet.") == 4
    assert count_words("金曜日に開幕") == 6
    assert score([], 0, MQM_WEIGHTS)["score_per_100_words"] == 0.0


def test_a_document_is_counted_once_by_its_hash():
    assert document_words("one two three", "sha-a") == 3
    # The same hash names the same text, so the count is not taken again.
    assert document_words("ignored", "sha-a") == 3
    assert document_words("one two", "sha-b") == 2
