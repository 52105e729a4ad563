"""The default label schema of a new project: entity types, claim attributes, the MQM typology and weights.

Stored per project (``Project.label_schema``) so that a project can change it without touching others.
"""

import copy

ENTITY_TYPES = ["PER", "ORG", "LOC", "PRODUCT", "EVENT", "DATE", "MONEY", "QUANTITY", "MISC"]

CLAIM_ATTRIBUTES = {
    "check_worthy": {"type": "choice", "choices": ["yes", "no"]},
    "claim_type": {"type": "choice", "choices": ["numeric", "temporal", "attribution", "causal", "other"]},
    "note": {"type": "text"},
}

# The MQM typology used by WMT's human evaluation.
MQM_CATEGORIES = [
    "Accuracy/Mistranslation", "Accuracy/Omission", "Accuracy/Addition", "Accuracy/Untranslated",
    "Fluency/Grammar", "Fluency/Spelling", "Fluency/Punctuation", "Fluency/Register", "Fluency/Inconsistency",
    "Fluency/Character encoding", "Terminology", "Style/Awkward", "Locale convention/Number",
    "Locale convention/Date", "Locale convention/Name", "Locale convention/Currency", "Non-translation", "Other",
]
SEVERITIES = ["minor", "major", "critical", "neutral"]

# WMT weights: major 5, minor 1, minor Fluency/Punctuation 0.1, Non-translation 25, neutral 0; critical 10.
MQM_WEIGHTS = {
    "severity": {"minor": 1.0, "major": 5.0, "critical": 10.0, "neutral": 0.0},
    "overrides": [
        {"category": "Fluency/Punctuation", "severity": "minor", "weight": 0.1},
        {"category": "Non-translation", "severity": "*", "weight": 25.0},
    ],
}

_DEFAULT = {
    "entity": {"labels": ENTITY_TYPES},
    "claim": {"labels": ["CLAIM"], "attributes": CLAIM_ATTRIBUTES},
    "error": {"labels": MQM_CATEGORIES, "severities": SEVERITIES},
    "mqm_weights": MQM_WEIGHTS,
}


def default_label_schema() -> dict:
    """Return a fresh copy of the default schema (callers may change it)."""
    return copy.deepcopy(_DEFAULT)
