"""Thai-aware search on Wagtail's database backend.

Thai is written without spaces between words, and both SQLite FTS5 and PostgreSQL full-text search
split text on spaces, so "ผ้าไหมแพรวาย้อมคราม" is one token and "ผ้าไหม" never matches it. We index
a copy of the text cut into words by PyThaiNLP (newmm, offline) and cut queries the same way.

Compound words are indexed with the words they are made of too ("หอมมะลิ" also as "หอม" and
"มะลิ"), so a search for a part of a compound still finds it. Only a split of the whole compound
into dictionary words counts, so stray syllables ("อม" inside "หอม") are not indexed.
"""

from __future__ import annotations

import functools
import re

from django.utils.html import strip_tags

THAI = re.compile(r"[\u0e00-\u0e7f]")
MIN_SUBWORD = 2


@functools.cache
def _tokenizer():
    from pythainlp.tokenize import word_tokenize  # large: load on first use

    return word_tokenize


@functools.cache
def _dictionary():
    from pythainlp.corpus import thai_words
    from pythainlp.util import Trie

    return Trie(thai_words())


def words(text: str) -> list[str]:
    """Words of a text, Thai cut by the dictionary; punctuation and spaces dropped."""
    text = strip_tags(text or "")
    if not text.strip():
        return []
    tokens = _tokenizer()(text, engine="newmm", keep_whitespace=False)
    return [token.strip().lower() for token in tokens if token.strip() and any(ch.isalnum() for ch in token)]


def subwords(word: str) -> list[str]:
    """The fewest dictionary words that together spell a Thai compound ([] if there is no such
    split, or the word is not Thai)."""
    if not THAI.search(word) or len(word) <= MIN_SUBWORD:
        return []
    trie = _dictionary()
    length = len(word)
    # best[i]: the shortest list of words spelling word[i:], or None.
    best: list[list[str] | None] = [None] * length + [[]]
    for start in range(length - 1, -1, -1):
        for prefix in trie.prefixes(word[start:]):
            rest = best[start + len(prefix)]
            if prefix == word or rest is None:
                continue
            candidate = [prefix, *rest]
            if best[start] is None or len(candidate) < len(best[start]):
                best[start] = candidate
    return best[0] or []


def segment_for_index(*texts: str) -> str:
    """The text to index: every word, then the words inside compounds."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in words(text):
            seen.setdefault(word, None)
    for word in list(seen):
        for part in subwords(word):
            seen.setdefault(part, None)
    return " ".join(seen)


def segment_query(query: str) -> str:
    """A user's query cut the same way (without sub-words: those would widen it too much)."""
    return " ".join(words(query))
