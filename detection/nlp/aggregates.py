"""Dashboard aggregates over enriched articles (functions over the store).

Dimensions: ``entity`` (``entities_ids``, the flat list ``enrich`` writes), ``topic`` (``topics``), ``source``
(``source.name``).  Every function takes an optional ``[start, end)`` range on
``@timestamp`` (store-format strings) and uses only the store's aggregation
contract, so it runs the same on SQLite and on the engine.
"""

from __future__ import annotations

from typing import Any

from store.base import Store
from store.query import Bool, Cardinality, DateHistogram, Query, Range, Term, TermsAgg

DIMENSIONS = {"entity": "entities_ids", "topic": "topics", "source": "source.name",
              "author": "author", "story": "story_id"}
COLLECTION = "articles"


def _field(dimension: str) -> str:
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {sorted(DIMENSIONS)}, got {dimension!r}")
    return DIMENSIONS[dimension]


def _window(start: str | None, end: str | None, *more: Query) -> Query:
    filters: list[Query] = list(more)
    if start or end:
        filters.append(Range("@timestamp", gte=start, lt=end))
    return Bool(filter=filters)


def _buckets(result: Any) -> list[dict[str, Any]]:
    """Buckets as the store contract returns them: ``[{key, count}]``."""
    return list(result or [])


def top_values(store: Store, dimension: str, *, start: str | None = None,
               end: str | None = None, size: int = 10,
               extra: Query | None = None) -> list[tuple[str, int]]:
    """The ``size`` most mentioned values of ``dimension`` with their counts."""
    query = _window(start, end, *([extra] if extra else []))
    res = store.aggregate(COLLECTION, {"k": TermsAgg(_field(dimension), size=size)}, query)
    return [(str(b["key"]), int(b["count"])) for b in _buckets(res["k"])]


def _histogram(store: Store, query: Query, interval: str, offset: str) -> dict[str, int]:
    res = store.aggregate(COLLECTION, {"h": DateHistogram("@timestamp", interval, offset)},
                          query)
    return {str(b["key"]): int(b["count"]) for b in _buckets(res["h"])}


def mention_volume(store: Store, dimension: str, *, start: str | None = None,
                   end: str | None = None, interval: str = "1d", offset: str = "+07:00",
                   size: int = 10) -> dict[str, dict[str, int]]:
    """Mentions per bucket for the top values: ``{value: {bucket: count}}``."""
    field = _field(dimension)
    return {value: _histogram(store, _window(start, end, Term(field, value)), interval, offset)
            for value, _ in top_values(store, dimension, start=start, end=end, size=size)}


def sentiment_index(store: Store, dimension: str, value: str, *, start: str | None = None,
                    end: str | None = None, interval: str = "1d",
                    offset: str = "+07:00") -> list[dict[str, Any]]:
    """Per bucket: counts by label and index = (positive - negative) / total, in [-1, 1]."""
    field = _field(dimension)
    series: dict[str, dict[str, int]] = {}
    for label in ("negative", "neutral", "positive"):
        q = _window(start, end, Term(field, value), Term("sentiment.label", label))
        for bucket, n in _histogram(store, q, interval, offset).items():
            series.setdefault(bucket, {"negative": 0, "neutral": 0, "positive": 0})[label] = n
    out = []
    for bucket in sorted(series):
        c = series[bucket]
        total = sum(c.values())
        out.append({"bucket": bucket, **c, "total": total,
                    "index": round((c["positive"] - c["negative"]) / total, 4) if total else None})
    return out


def share_of_voice(store: Store, dimension: str, *, start: str | None = None,
                   end: str | None = None, size: int = 10) -> list[dict[str, Any]]:
    """Each top value's share of all articles in the window."""
    total = store.count(COLLECTION, _window(start, end))
    return [{"value": v, "count": n, "share": round(n / total, 4) if total else 0.0}
            for v, n in top_values(store, dimension, start=start, end=end, size=size)]


def top_stories(store: Store, *, start: str | None = None, end: str | None = None,
                size: int = 10) -> list[dict[str, Any]]:
    """Story clusters by reach (distinct outlets, then articles)."""
    out = []
    for sid, n in top_values(store, "story", start=start, end=end, size=size * 3):
        q = _window(start, end, Term("story_id", sid))
        res = store.aggregate(COLLECTION, {"o": Cardinality("source.name")}, q)
        outlets = int(res["o"] or 0)
        first = store.search(COLLECTION, q, size=1).hits
        title = first[0].source.get("title") if first else None
        out.append({"story_id": sid, "articles": n, "outlets": outlets, "title": title})
    out.sort(key=lambda s: (-s["outlets"], -s["articles"], s["story_id"]))
    return out[:size]


def top_authors(store: Store, *, start: str | None = None, end: str | None = None,
                size: int = 10) -> dict[str, list[tuple[str, int]]]:
    """Most active authors and channels (outlets/pages) in the window."""
    return {"authors": top_values(store, "author", start=start, end=end, size=size),
            "channels": top_values(store, "source", start=start, end=end, size=size)}
