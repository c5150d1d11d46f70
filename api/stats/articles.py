"""Article figures for the communications staff: volume and sentiment over
time per entity, topic, outlet or author; the sentiment index; share of voice
of the watched entities; top outlets and authors.

The sentiment index of a set of articles is ``100 * (positive - negative) /
total``: -100 when every article is negative, +100 when every one is
positive, None when there are none.

Entities are counted on ``entities_ids``, the flat list of canonical ids that
``detection.nlp.enrich`` writes (a list of plain values is read the same way
by every backend).
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Literal

from api.services import optional
from api.stats.window import Window
from store.base import Store
from store.query import Bool, Cardinality, Query, Sort, Term, Terms, TermsAgg

log = logging.getLogger("canhgac.api")

SENTIMENTS = ("negative", "neutral", "positive")
Dimension = Literal["entity", "topic", "source", "author"]
DIMENSIONS: dict[str, str] = {"entity": "entities_ids", "topic": "topics",
                              "source": "source.name", "author": "author"}
# A terms aggregation this wide finds the watched entities among the others
# in one call; any watched entity it misses is counted on its own.
WIDE = 200


def index(positive: int, negative: int, total: int) -> float | None:
    """The sentiment index (-100..100) of ``total`` articles."""
    return round(100.0 * (positive - negative) / total, 1) if total else None


@functools.cache
def _gazetteer_names() -> dict[str, str]:
    resources = optional("detection.nlp.resources")
    if resources is None:
        return {}
    try:
        return {e.id: e.name for e in resources.load_gazetteer()}
    except Exception as exc:  # a broken gazetteer file must not break the dashboard
        log.warning("entity names unavailable: %s", exc)
        return {}


def entity_name(entity_id: str) -> str | None:
    """The display name of a canonical entity id, when known: the gazetteer's,
    or a person's from the id (``detection.nlp.persons``)."""
    name = _gazetteer_names().get(entity_id)
    if name is None and entity_id.startswith("person."):
        persons = optional("detection.nlp.persons")
        name = persons.person_name(entity_id) if persons is not None else None
    return name


@functools.cache
def watched_entities() -> tuple[str, ...]:
    """Entity ids named by the communications staff's watch lists, in file order."""
    resources = optional("detection.nlp.resources")
    if resources is None:
        return ()
    try:
        lists = resources.load_watchlists()
    except Exception as exc:  # a broken watch-list file must not break the dashboard
        log.warning("watch lists unavailable: %s", exc)
        return ()
    return tuple(dict.fromkeys(e for w in lists for e in w.entities))


def _named(dimension: str | None, key: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key}
    if dimension == "entity":
        out["name"] = entity_name(str(key))
    return out


def top_values(store: Store, window: Window, field: str, size: int,
               extra: list[Query] | None = None) -> list[dict[str, Any]]:
    q = Bool(filter=[window.range(), *(extra or [])])
    return store.aggregate("articles", {"t": TermsAgg(field, size)}, q)["t"]


def _sentiment_points(store: Store, window: Window, scope: list[Query]) -> list[dict[str, Any]]:
    """Per bucket: articles, each sentiment label and the index."""
    hist = {"h": window.histogram()}
    base = [window.range(), *scope]
    total = window.fill(store.aggregate("articles", hist, Bool(filter=base))["h"])
    labels = {s: window.fill(store.aggregate(
        "articles", hist, Bool(filter=[*base, Term("sentiment.label", s)]))["h"])
        for s in SENTIMENTS}
    points = []
    for i, b in enumerate(total):
        c = {s: labels[s][i]["count"] for s in SENTIMENTS}
        points.append({"key": b["key"], "count": b["count"], **c,
                       "index": index(c["positive"], c["negative"], b["count"])})
    return points


def series(store: Store, window: Window, dimension: str | None = None,
           values: list[str] | None = None, size: int = 5) -> list[dict[str, Any]]:
    """Volume and sentiment per bucket: one series for all articles (no
    dimension) or one per value (the given ones, else the ``size`` most
    mentioned in the window)."""
    if dimension is None:
        points = _sentiment_points(store, window, [])
        return [{"key": "all", "total": sum(p["count"] for p in points), "points": points}]
    field = DIMENSIONS[dimension]
    keys = values or [b["key"] for b in top_values(store, window, field, size)]
    out = []
    for key in keys:
        points = _sentiment_points(store, window, [Term(field, key)])
        out.append({**_named(dimension, key), "total": sum(p["count"] for p in points),
                    "points": points})
    return out


def story_cards(store: Store, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each story bucket with its newest article's title and the outlets covering it."""
    out = []
    for b in buckets:
        q = Term("story_id", b["key"])
        first = store.search("articles", q, sort=[Sort("@timestamp", "desc")], size=1).hits
        outlets = store.aggregate("articles", {"o": TermsAgg("source.name", 20)}, q)["o"]
        head = first[0].source if first else {}
        out.append({"story_id": b["key"], "articles": b["count"], "title": head.get("title"),
                    "latest": head.get("@timestamp"), "outlets": [o["key"] for o in outlets]})
    return out


def _counts(store: Store, window: Window, field: str, keys: list[str],
            extra: list[Query] | None = None) -> dict[str, int]:
    """Articles per key (a multi-valued field: an article counts for each key it names)."""
    if not keys:
        return {}
    scope = [Terms(field, keys), *(extra or [])]
    size = max(WIDE, len(keys))
    buckets = top_values(store, window, field, size, scope)
    got = {str(b["key"]): int(b["count"]) for b in buckets}
    out = {}
    for k in keys:
        if k in got or len(buckets) < size:  # every value present: a missing key is 0
            out[k] = got.get(k, 0)
        else:  # pushed out of the wide aggregation by other values: count it alone
            q = Bool(filter=[window.range(), Term(field, k), *(extra or [])])
            out[k] = store.count("articles", q)
    return out


def _change(now: int, before: int) -> float | None:
    return round((now - before) * 100.0 / before, 1) if before else None


def share_of_voice(store: Store, window: Window, dimension: str = "entity",
                   values: list[str] | None = None, size: int = 10) -> dict[str, Any]:
    """Each compared value's share of the mentions of all of them, with the
    previous window's count and its negative articles.

    The compared set: ``values`` when given; for entities, the watch lists'
    entities; otherwise the ``size`` most mentioned values.
    """
    field = DIMENSIONS[dimension]
    watched = False
    keys = list(values or [])
    if not keys and dimension == "entity":
        keys = list(watched_entities())
        watched = bool(keys)
    if not keys:
        keys = [str(b["key"]) for b in top_values(store, window, field, size)]
    now = _counts(store, window, field, keys)
    before = _counts(store, window.previous, field, keys)
    negative = _counts(store, window, field, keys, [Term("sentiment.label", "negative")])
    articles = store.count("articles", window.range())
    mentions = sum(now.values())
    items = [{**_named(dimension, k), "count": now[k],
              "share": round(now[k] / mentions, 4) if mentions else 0.0,
              "share_of_articles": round(now[k] / articles, 4) if articles else 0.0,
              "previous": before[k], "change_pct": _change(now[k], before[k]),
              "negative": negative[k]} for k in keys]
    items.sort(key=lambda i: (-i["count"], str(i["key"])))
    return {"dimension": dimension, "watched": watched, "articles": articles,
            "mentions": mentions, "items": items[:max(size, len(values or []))]}


def top_sources(store: Store, window: Window, size: int = 10) -> dict[str, Any]:
    """The outlets and the authors with most articles, with their negative share."""
    out: dict[str, Any] = {}
    for name, field in (("outlets", "source.name"), ("authors", "author")):
        top = top_values(store, window, field, size)
        keys = [b["key"] for b in top]
        neg: dict[str, int] = {}
        if keys:  # single-valued fields: filtering on the keys makes the sizes exact
            neg = {str(b["key"]): b["count"] for b in top_values(
                store, window, field, len(keys),
                [Terms(field, keys), Term("sentiment.label", "negative")])}
        out[name] = [{"key": b["key"], "count": b["count"], "negative": neg.get(str(b["key"]), 0),
                      "negative_share": round(neg.get(str(b["key"]), 0) / b["count"], 4)}
                     for b in top]
    distinct = store.aggregate("articles", {"o": Cardinality("source.name"),
                                            "a": Cardinality("author")}, window.range())
    out["distinct"] = {"outlets": distinct["o"], "authors": distinct["a"]}
    return out


def sentiment_change(store: Store, window: Window) -> dict[str, Any]:
    """The window's sentiment index against the previous window's."""
    def one(w: Window) -> float | None:
        got = store.aggregate("articles", {"s": TermsAgg("sentiment.label", 5)}, w.range())["s"]
        c = {str(b["key"]): int(b["count"]) for b in got}
        return index(c.get("positive", 0), c.get("negative", 0),
                     store.count("articles", w.range()))

    now, before = one(window), one(window.previous)
    pct = None
    if now is not None and before:
        pct = round((now - before) * 100.0 / abs(before), 1)
    return {"current": now, "previous": before, "change_pct": pct,
            "change_points": round(now - before, 1) if now is not None and before is not None
            else None}
