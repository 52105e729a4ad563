"""MQM scoring with the WMT weights (configurable per project): a penalty per document and per 100 words."""

import re

WORD = re.compile(r"\w+", re.UNICODE)
# Scripts written without spaces: one character counts as a word (as MT evaluation tools do for CJK).
UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u0e00-\u0e7f]")


def weight(category: str, severity: str, weights: dict) -> float:
    """Return the weight of one error.

    :param category: e.g. ``"Fluency/Punctuation"``.
    :param severity: minor, major, critical or neutral.
    :param weights: ``{"severity": {...}, "overrides": [{"category", "severity" (or "*"), "weight"}]}``.
    """
    for override in weights.get("overrides", []):
        if override["category"] == category and override["severity"] in ("*", severity):
            return float(override["weight"])
    return float(weights.get("severity", {}).get(severity, 0.0))


def count_words(text: str) -> int:
    """Count words: runs of word characters, plus one per character of scripts written without spaces."""
    unspaced = len(UNSPACED.findall(text))
    return len(WORD.findall(UNSPACED.sub(" ", text))) + unspaced


def penalty(errors: list[tuple[str, str]], weights: dict) -> float:
    """Sum the weights of ``(category, severity)`` pairs."""
    return round(sum(weight(category, severity, weights) for category, severity in errors), 4)


def score(errors: list[tuple[str, str]], text: str, weights: dict) -> dict:
    """Return ``{"penalty", "words", "score_per_100_words"}`` for one document's errors."""
    total, words = penalty(errors, weights), count_words(text)
    return {"penalty": total, "words": words,
            "score_per_100_words": round(100 * total / words, 4) if words else 0.0}
