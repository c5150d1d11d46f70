"""Text folding for diacritic-insensitive search.

Vietnamese text arrives in NFC or NFD, with or without its diacritics.  SQLite's
``unicode61 remove_diacritics`` tokenizer strips combining marks but leaves
``đ`` alone (it is a letter of its own, not d plus a mark), so "đường" would
never match "duong".  We fold before indexing and before querying instead; the
engine does the same with its ``asciifolding`` filter.
"""

from __future__ import annotations

import re
import unicodedata

_EXTRA = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe",
                        "ß": "ss"})
_WORD = re.compile(r"\w+", re.UNICODE)
# Combining marks: the diacritics blocks (Vietnamese tones and vowel marks are
# in the first); removing them with one regex is ~20x faster than testing
# unicodedata.combining() per character.
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Lowercase, decompose, drop combining marks, map đ to d."""
    if text.isascii():
        return text.lower()
    stripped = _MARKS.sub("", unicodedata.normalize("NFD", text))
    return stripped.translate(_EXTRA).lower()


def words(text: str) -> list[str]:
    """The folded words of ``text``, as the full-text index sees them."""
    return _WORD.findall(fold(text))
