"""Text normalisation for Vietnamese and English.

Every entry point normalises to NFC first (NFD input from some CMSs and
phones is common).  ``fold`` gives the diacritic-free, lower-case view used
for matching ("Cần Thơ" -> "can tho", "Đ" -> "d").  ``syllables`` splits text
into words/syllables with their character offsets: Vietnamese writes one
syllable per space-separated unit, so token boundaries are word boundaries
for whole-syllable matching.
"""

from __future__ import annotations

import re
import unicodedata

_SYLLABLE = re.compile(r"\w+(?:[.,_]\d+)*|[^\w\s]", re.UNICODE)
_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})
# letters that only Vietnamese (among vi/en) uses
_VI_LETTERS = set("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")
_VI_FOLDED_WORDS = frozenset(
    ["cua", "va", "la", "cac", "nguoi", "duoc", "trong", "nhung", "khong", "mot", "co", "cho", "voi", "nay", "da", "den", "thanh", "pho", "tai", "ve", "tren", "khi", "nhieu", "dan", "cung", "de", "sau", "nam", "ngay", "bi", "ra", "nhu", "quan", "huyen", "phuong", "chua", "rat", "hon", "nuoc", "duong", "cau", "cho"])
_EN_WORDS = frozenset(
    ["the", "and", "of", "to", "is", "in", "for", "on", "with", "at", "by", "from", "as", "are", "was", "were", "be", "this", "that", "after", "over", "into", "its", "it", "their", "has", "have", "will", "not", "new", "city"])


def normalise(text: str) -> str:
    """NFC-normalise and collapse runs of whitespace."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def fold(text: str) -> str:
    """Lower-case, diacritic-free view of ``text`` (any normal form in)."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).lower()


def has_diacritics(text: str) -> bool:
    """True when ``text`` carries any Vietnamese diacritic or đ."""
    return fold(text) != text.lower()


def syllables(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) for every word/syllable and punctuation mark."""
    return [(m.group(0), m.start(), m.end()) for m in _SYLLABLE.finditer(text)]


def detect_language(text: str) -> str:
    """``vi`` or ``en`` (``und`` for empty text).

    Vietnamese letters decide at once; without diacritics we compare hits on
    frequent function words of each language (folded Vietnamese vs English).
    Hand-written because only two languages matter and it must cost microseconds.
    """
    sample = text[:2000].lower()
    if not sample.strip():
        return "und"
    vi_letters = sum(1 for ch in sample if ch in _VI_LETTERS)
    if vi_letters >= 2 or (vi_letters and len(sample) < 40):
        return "vi"
    words = re.findall(r"[a-z]+", fold(sample))
    vi_hits = sum(1 for w in words if w in _VI_FOLDED_WORDS)
    en_hits = sum(1 for w in words if w in _EN_WORDS)
    return "vi" if vi_hits > en_hits else "en"
