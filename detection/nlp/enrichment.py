"""``enrich(article)``: what the crawlers' item pipeline calls for each article.

The analyzer is built on first call and reused for the life of the process.
The article is returned as a new dict with NLP fields added; its ``title``,
``summary`` and ``body`` are read (title and lead carry most signal for
sentiment and topics; entities and watch lists see the whole text).
"""

from __future__ import annotations

import threading
from typing import Any

from detection.nlp.analyzer import MODEL_VERSION, NlpAnalyzer
from detection.nlp.errors import InputError

_ANALYZER: NlpAnalyzer | None = None
_LOCK = threading.Lock()


def analyzer() -> NlpAnalyzer:
    """The process-wide analyzer (built lazily, once)."""
    global _ANALYZER
    if _ANALYZER is None:
        with _LOCK:
            if _ANALYZER is None:
                _ANALYZER = NlpAnalyzer()
    return _ANALYZER


def article_text(article: dict[str, Any]) -> str:
    """Title, summary and body joined into one text (title first)."""
    parts = [article.get(k) for k in ("title", "summary", "body", "text")]
    texts = [p.strip() for p in parts if isinstance(p, str) and p.strip()]
    if not texts:
        raise InputError("article has no title, summary, body or text")
    return ". ".join(dict.fromkeys(texts))


def enrich(article: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``article`` with ``language``, ``entities`` ({id, text, label}),
    ``entities_ids``, ``sentiment`` {label, score}, ``topics``, ``watch_hits``
    and ``nlp.model``.  Raises ``InputError`` for an article without text."""
    if not isinstance(article, dict):
        raise InputError(f"article must be a dict, got {type(article).__name__}")
    lang = str(article.get("language") or "")[:2].lower()  # "vi-VN" -> "vi"
    result = analyzer().analyze(article_text(article),
                                lang if lang in ("vi", "en") else None)
    out = dict(article)
    out["language"] = result["language"]
    out["entities"] = [{"id": e["id"], "text": e["text"], "label": e["label"]}
                       for e in result["entities"]]
    out["entities_ids"] = result["entity_ids"]
    out["sentiment"] = result["sentiment"]
    out["topics"] = result["topics"]
    out["watch_hits"] = result["watch_hits"]
    out["nlp"] = {"model": MODEL_VERSION}
    return out
