"""Synthetic multilingual corpora for benchmarks: pseudo-news built from common words of five languages.

Not real prose, but real words, so that language detection, segmentation and alignment do their full work.
"""

import json
import random
from pathlib import Path

WORDS = {
    "en": "the city council said that new bridge will open next year after long work and many people "
          "waited for this day because traffic in the old centre was too heavy for everyone who lives there".split(),
    "es": "el ayuntamiento dijo que el nuevo puente abrirá el próximo año después de largas obras y muchas "
          "personas esperaban este día porque el tráfico en el centro antiguo era demasiado para todos".split(),
    "de": "der stadtrat sagte dass die neue brücke im nächsten jahr nach langen arbeiten öffnen wird und viele "
          "menschen haben auf diesen tag gewartet weil der verkehr in der alten mitte zu stark war".split(),
    "fr": "le conseil municipal a dit que le nouveau pont ouvrira l'année prochaine après de longs travaux et "
          "beaucoup de gens attendaient ce jour parce que la circulation dans le vieux centre était trop forte".split(),
    "pt": "a câmara municipal disse que a nova ponte vai abrir no próximo ano depois de longas obras e muitas "
          "pessoas esperavam este dia porque o trânsito no centro antigo era demais para todos".split(),
}
NAMES = ["Norvale", "Aldermoor", "Kestrel", "Brightwater", "Oduya", "Lindqvist", "Marrow", "Tessaly"]


def paragraph(rng: random.Random, lang: str, seed_numbers: list[str], names: list[str], words: int) -> str:
    tokens = [rng.choice(WORDS[lang]) for _ in range(words)]
    for value in seed_numbers + names:
        tokens.insert(rng.randrange(len(tokens)), value)
    sentences, out = [], []
    for token in tokens:
        out.append(token)
        if len(out) > 12 and rng.random() < 0.12:
            sentences.append(_sentence(out))
            out = []
    if out:
        sentences.append(_sentence(out))
    return " ".join(sentences)


def _sentence(tokens: list[str]) -> str:
    text = " ".join(tokens)
    return text[0].upper() + text[1:] + "."


def write_jsonl(path: Path, groups: int, paragraphs: int, seed: int = 7, words: int = 45) -> int:
    """Write ``groups`` groups of five documents (en source + four translations) with ``paragraphs`` each.

    :returns: the number of bytes of document text written.
    """
    rng = random.Random(seed)
    total = 0
    with path.open("w", encoding="utf-8") as handle:
        for group in range(groups):
            plan = [([str(rng.randint(2, 9999))], rng.sample(NAMES, 1), words + rng.randint(-15, 25))
                    for _ in range(paragraphs)]
            for lang in WORDS:
                text = "\n\n".join(paragraph(rng, lang, numbers, names, size) for numbers, names, size in plan)
                total += len(text.encode("utf-8"))
                record = {"group": f"g{group:05d}", "doc_id": f"g{group:05d}-{lang}", "text": text,
                          "role": "source" if lang == "en" else "translation"}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return total
