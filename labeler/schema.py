"""The default label schema of a new project: entity types, claim attributes, the MQM typology and weights.

Stored per project (``Project.label_schema``) so that a project can change it without touching others.
"""

import copy
import hashlib
import json
import unicodedata

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


# Picker keys are 1-9 then a-z, so a layer can hold at most this many labels.
MAX_LABELS = 35
LABEL_MAX_CHARS = 60
WEIGHT_MAX = 1000.0


class SchemaError(ValueError):
    """A label schema edit that cannot be saved; ``problems`` lists every reason, one sentence each."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def schema_fields(schema: dict) -> dict[str, str]:
    """Return the form fields that show ``schema`` for editing (lists one item per line)."""
    weights = schema.get("mqm_weights", {})
    fields = {
        "entity_labels": "\n".join(schema.get("entity", {}).get("labels", [])),
        "claim_labels": "\n".join(schema.get("claim", {}).get("labels", [])),
        "claim_types": "\n".join(
            schema.get("claim", {}).get("attributes", {}).get("claim_type", {}).get("choices", [])),
        "error_labels": "\n".join(schema.get("error", {}).get("labels", [])),
        "weight_overrides": "\n".join(
            f"{o['category']} | {o['severity']} | {o['weight']:g}" for o in weights.get("overrides", [])),
    }
    for severity in schema.get("error", {}).get("severities", SEVERITIES):
        fields[f"weight_{severity}"] = f"{weights.get('severity', {}).get(severity, 0.0):g}"
    return fields


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").replace("\r", "\n").split("\n") if line.strip()]


def _label_list(text: str, what: str, problems: list[str]) -> list[str]:
    labels = _lines(text)
    if not labels:
        problems.append(f"{what}: give at least one label")
    if len(labels) > MAX_LABELS:
        problems.append(f"{what}: at most {MAX_LABELS} labels (the picker has keys 1-9 and a-z)")
    seen = set()
    for label in labels:
        if len(label) > LABEL_MAX_CHARS:
            problems.append(f"{what}: {label[:20]!r}… is longer than {LABEL_MAX_CHARS} characters")
        if "|" in label or any(unicodedata.category(c).startswith("C") for c in label):
            problems.append(f"{what}: {label!r} contains '|' or a control character")
        if label.casefold() in seen:
            problems.append(f"{what}: {label!r} is listed twice")
        seen.add(label.casefold())
    return labels


def _weight(text: str, what: str, problems: list[str]) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        problems.append(f"{what}: {text!r} is not a number")
        return 0.0
    if not 0 <= value <= WEIGHT_MAX:  # also refuses NaN
        problems.append(f"{what}: a weight is between 0 and {WEIGHT_MAX:g}")
        return 0.0
    return value


def edit_schema(current: dict, fields: dict[str, str], in_use: dict[tuple[str, str], int]) -> dict:
    """Return a new schema from the edited form ``fields``, keeping what the form does not show.

    :param current: the project's schema now.
    :param fields: as from :func:`schema_fields`, edited by a person.
    :param in_use: live spans per ``(layer, label)``, and claims per ``("claim_type", type)``: a label in use
        may not be removed (its spans would lose their meaning).
    :raises SchemaError: listing every problem.
    """
    problems: list[str] = []
    schema = copy.deepcopy(current)
    entity = _label_list(fields.get("entity_labels", ""), "Entity labels", problems)
    claim = _label_list(fields.get("claim_labels", ""), "Claim labels", problems)
    claim_types = _label_list(fields.get("claim_types", ""), "Claim types", problems)
    error = _label_list(fields.get("error_labels", ""), "Error categories", problems)
    severities = schema.get("error", {}).get("severities", SEVERITIES)
    by_severity = {s: _weight(fields.get(f"weight_{s}", ""), f"Weight of {s}", problems) for s in severities}
    overrides = []
    for number, line in enumerate(_lines(fields.get("weight_overrides", "")), 1):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3:
            problems.append(f"Override line {number}: write 'category | severity or * | weight'")
            continue
        category, severity, value = parts
        if category not in error:
            problems.append(f"Override line {number}: {category!r} is not one of the error categories")
        if severity != "*" and severity not in severities:
            problems.append(f"Override line {number}: severity is one of {', '.join(severities)} or *")
        overrides.append({"category": category, "severity": severity,
                          "weight": _weight(value, f"Override line {number}", problems)})
    for (layer, label), count in sorted(in_use.items()):
        kept = {"entity": entity, "claim": claim, "error": error, "claim_type": claim_types}.get(layer)
        if kept is not None and count and label not in kept:
            noun = "claim" if layer == "claim_type" else f"{layer} span"
            verb, kind = ("uses" if count == 1 else "use"), ("type" if layer == "claim_type" else "label")
            problems.append(f"{count} {noun}{'' if count == 1 else 's'} {verb} the {kind} {label!r}: "
                            f"relabel or delete {'it' if count == 1 else 'them'} before removing the {kind}")
    if problems:
        raise SchemaError(problems)
    schema.setdefault("entity", {})["labels"] = entity
    schema.setdefault("claim", {})["labels"] = claim
    attributes = schema["claim"].setdefault("attributes", copy.deepcopy(CLAIM_ATTRIBUTES))
    attributes.setdefault("claim_type", {"type": "choice"})["choices"] = claim_types
    schema.setdefault("error", {})["labels"] = error
    schema["error"].setdefault("severities", list(SEVERITIES))
    schema["mqm_weights"] = {"severity": by_severity, "overrides": overrides}
    return schema


def fingerprint(schema: dict) -> str:
    """A short hash of a schema, so that a form saved over a newer edit is refused, not silently merged."""
    return hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()[:16]
