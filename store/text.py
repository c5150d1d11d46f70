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


def _build_table() -> dict[int, str | None]:
    """One translation table for every precomposed Latin letter (Latin-1,
    Latin Extended-A/B, Latin Extended Additional, where Vietnamese lives) and
    every combining mark: NFC and NFD input fold with one ``str.translate``."""
    table: dict[int, str | None] = {}
    for lo, hi in ((0x00C0, 0x024F), (0x1E00, 0x1EFF)):
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            base = _MARKS.sub("", unicodedata.normalize("NFD", ch)).translate(_EXTRA)
            if base != ch:
                table[cp] = base
    for lo, hi in ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF),
                   (0xFE20, 0xFE2F)):
        for cp in range(lo, hi + 1):
            table[cp] = None
    return table


_TABLE = _build_table()


def fold(text: str) -> str:
    """Lowercase, drop diacritics (NFC or NFD input alike), map đ to d."""
    if text.isascii():
        return text.lower()
    folded = text.translate(_TABLE)
    if not folded.isascii() and not unicodedata.is_normalized("NFD", folded):
        # precomposed letters outside the Latin blocks (Greek, Cyrillic ...)
        folded = _MARKS.sub("", unicodedata.normalize("NFD", folded)).translate(_EXTRA)
    return folded.lower()


def words(text: str) -> list[str]:
    """The folded words of ``text``, as the full-text index sees them."""
    return _WORD.findall(fold(text))
