"""The MQM word count's fast path (Latin-1 text) counts exactly what the regular expression counts."""

import random

from labeler.mqm import UNSPACED, WORD, count_words


def by_regex(text: str) -> int:
    """The definition: runs of word characters, plus one per character of scripts written without spaces."""
    unspaced = len(UNSPACED.findall(text))
    return len(WORD.findall(UNSPACED.sub(" ", text))) + unspaced


def test_every_latin1_character_is_a_word_character_or_not_as_the_regex_says():
    for code in range(256):
        character = chr(code)
        for text in (character, f"a{character}b", f"{character}{character} x"):
            assert count_words(text) == by_regex(text), (code, text)


def test_mixed_texts_count_the_same_on_either_path():
    rng = random.Random(8)
    latin1 = "".join(chr(code) for code in range(256))
    wider = latin1 + "ßœ€—“”…金曜日に开幕ﬁ١٢٣ абв 👍"
    for alphabet in (latin1, wider, "ab _-1²½ºª\u00a0\t\n"):
        for _ in range(300):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
            assert count_words(text) == by_regex(text), text
