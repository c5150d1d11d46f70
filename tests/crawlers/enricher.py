"""A stand-in NLP stage for the crawler tests (the real one is the NLP room's):
it proves the item pipeline calls the configured enricher and stores what it
returns, without loading language models."""

from __future__ import annotations

from typing import Any


def enrich(article: dict[str, Any]) -> dict[str, Any]:
    out = dict(article)
    out["topics"] = ["flooding"] if "ngập" in article.get("body", "") else ["other"]
    out["nlp"] = {"model": "tests.crawlers.enricher"}
    return out


def broken(article: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("model files missing")
