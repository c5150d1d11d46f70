"""NLP for Canhgac: spaCy pipelines (Vietnamese syllables, English), gazetteer
entities linked to canonical ids, sentiment, IOC topics, watch lists,
reputation rules and dashboard aggregates.

``enrich(article)`` is the entry point for the crawlers' item pipeline.
"""

from __future__ import annotations

from typing import Any


def enrich(article: dict[str, Any]) -> dict[str, Any]:
    """Add language, entities, sentiment, topics and watch-list hits (lazy import)."""
    from detection.nlp.enrichment import enrich as _enrich

    return _enrich(article)


__all__ = ["enrich"]
