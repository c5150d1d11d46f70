"""Text normalisation: NFC, whitespace, hashes, normalised titles, language.

Vietnamese arrives precomposed (NFC), decomposed (NFD, e.g. from Windows-1258
pages) or without diacritics; we store NFC so the same word compares equal.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WS = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BLANKS = re.compile(r"\n{3,}")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)

# Letters that only Vietnamese (among the languages a Cần Thơ desk sees) uses.
_VI_LETTERS = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")
# Frequent Vietnamese syllables, also written without diacritics.
_VI_WORDS = {
    "cua", "va", "la", "cac", "nhung", "duoc", "trong", "cho", "voi", "nguoi", "khong",
    "thanh", "pho", "tai", "nay", "da", "se", "mot", "co", "de", "tren", "nam", "ngay",
    "của", "và", "là", "các", "những", "được", "người", "không", "thành", "phố", "tại",
    "này", "đã", "sẽ", "một", "có", "để", "trên", "năm", "ngày", "đường", "mưa",
}
_EN_WORDS = {
    "the", "and", "of", "to", "in", "is", "for", "on", "that", "with", "was", "are",
    "by", "at", "from", "as", "it", "this", "be", "city", "has", "have", "will",
}


def clean_text(text: str | None) -> str:
    """NFC, no control whitespace runs, at most one blank line between paragraphs."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    lines = [_WS.sub(" ", line).strip() for line in text.splitlines()]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def clean_line(text: str | None) -> str:
    """One-line field (title, author): NFC and single spaces."""
    return " ".join(clean_text(text).split())


def fold(text: str) -> str:
    """Lower-case, diacritics removed (đ → d): a comparison key."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalised_title(title: str) -> str:
    """Folded title without punctuation: what story clustering compares."""
    return " ".join(_PUNCT.sub(" ", fold(title)).split())


def content_hash(text: str) -> str:
    """Hash of the folded, whitespace-collapsed text: the same story text
    served at two URLs (or re-encoded) hashes the same."""
    key = " ".join(fold(text).split())
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def detect_language(text: str, hint: str | None = None) -> str:
    """``vi``, ``en`` or ``other``.

    Hand-written on purpose: we only need these three classes, and letters
    unique to Vietnamese plus a few hundred frequent words decide them; a
    general language-id model would add a dependency and a download."""
    sample = text[:4000].lower()
    words = re.findall(r"\w+", sample)
    if not words:
        return hint or "other"
    vi_letters = sum(1 for c in sample if c in _VI_LETTERS)
    vi_words = sum(1 for w in words if w in _VI_WORDS)
    en_words = sum(1 for w in words if w in _EN_WORDS)
    n = len(words)
    if vi_letters / n > 0.05 or (vi_words / n > 0.12 and vi_words > en_words):
        return "vi"
    if en_words / n > 0.08:
        return "en"
    return hint or "other"


def looks_mojibake(text: str) -> bool:
    """True when decoding went wrong: replacement characters, UTF-8 read as
    Latin-1 (``Ã``, ``á»``) or letters turned into ``?`` inside words make up
    a visible share of the text."""
    if not text:
        return False
    bad = text.count("\ufffd")
    bad += len(re.findall(r"[ÃÄÅÆá][\u0080-\u00bf»º¼½¾]", text))
    # "Ngư?i dân C?n Thơ": letters lost to '?' by a lossy re-encoding
    bad += len(re.findall(r"(?<=\w)\?(?=\w)", text))
    return bad >= 3 and bad / max(len(text), 1) > 0.005
