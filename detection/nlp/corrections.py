"""Staff label corrections, stored in the ``rule_state`` collection.

A correction is ``{id: "nlp-label:<sha1(lang+text)[:24]>", kind: "nlp_label",
text, lang, sentiment, topics, user, article_id, @timestamp}``; the id is
deterministic, so correcting the same text again replaces the earlier label.
(A dedicated ``labels`` collection would be cleaner; see the room's report.)
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from detection.nlp.data import Labelled
from detection.nlp.errors import InputError
from detection.nlp.resources import SENTIMENTS, TOPICS
from detection.nlp.text import detect_language, normalise
from store.base import Store
from store.query import Term
from store.schema import format_timestamp

COLLECTION = "rule_state"
KIND = "nlp_label"


def correction_id(lang: str, text: str) -> str:
    digest = hashlib.sha1(f"{lang}\0{normalise(text)}".encode()).hexdigest()[:24]
    return f"nlp-label:{digest}"


def save_correction(store: Store, text: str, sentiment: str, topics: list[str], *,
                    user: str, lang: str | None = None,
                    article_id: str | None = None) -> dict[str, Any]:
    """Validate and store one correction (what the API calls); returns the document."""
    text = normalise(text or "")
    if not text:
        raise InputError("correction needs a text")
    if sentiment not in SENTIMENTS:
        raise InputError(f"sentiment must be one of {SENTIMENTS}, got {sentiment!r}")
    bad = [t for t in topics if t not in TOPICS]
    if bad:
        raise InputError(f"unknown topics {bad}; known: {TOPICS}")
    lang = lang or detect_language(text)
    if lang not in ("vi", "en"):
        raise InputError(f"language must be vi or en, got {lang!r}")
    doc = {"id": correction_id(lang, text), "kind": KIND, "text": text, "lang": lang,
           "sentiment": sentiment, "topics": sorted(set(topics)), "user": user,
           "article_id": article_id, "@timestamp": format_timestamp(datetime.now(UTC))}
    store.put(COLLECTION, doc)
    return doc


def load_corrections(store: Store) -> list[Labelled]:
    """Every stored correction as a training item."""
    out = []
    for doc in store.scan(COLLECTION, Term("kind", KIND)):
        src = doc.source
        if src.get("lang") in ("vi", "en") and src.get("sentiment") in SENTIMENTS:
            out.append(Labelled(src["text"], src["lang"], src["sentiment"],
                                tuple(src.get("topics") or ()), "correction"))
    return out
