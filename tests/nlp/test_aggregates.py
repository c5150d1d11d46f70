"""Dashboard aggregates on both store backends."""

from __future__ import annotations

from datetime import timedelta

from detection.nlp.aggregates import (
    mention_volume,
    sentiment_index,
    share_of_voice,
    top_authors,
    top_stories,
)
from store.base import Store
from tests.nlp.articles import NOW, article


def test_aggregates(store: Store) -> None:
    day1, day2 = NOW - timedelta(days=1), NOW - timedelta(hours=2)
    docs = [
        article("g1", day1, sentiment="negative", entities=("org.ubnd_tp",), topics=("traffic",),
                source="tuoitre.vn"),
        article("g2", day2, sentiment="positive", entities=("org.ubnd_tp",), topics=("traffic",),
                source="vnexpress.net"),
        article("g3", day2, sentiment="positive", entities=("org.ubnd_tp", "loc.o_mon"),
                topics=("health",), source="vnexpress.net"),
        article("g4", day2, sentiment="negative", entities=("loc.o_mon",), source="tuoitre.vn"),
    ]
    for d, sid, author in zip(docs, ["st1", "st1", "st2", None], ["An", "An", "Binh", None],
                              strict=True):
        if sid:
            d["story_id"] = sid
        if author:
            d["author"] = author
    assert store.bulk("articles", docs, mode="index").ok
    store.refresh("articles")

    volume = mention_volume(store, "entity", interval="1d", offset="+00:00")
    assert sum(volume["org.ubnd_tp"].values()) == 3 and sum(volume["loc.o_mon"].values()) == 2
    assert len(volume["org.ubnd_tp"]) == 2  # two days

    index = sentiment_index(store, "entity", "org.ubnd_tp", interval="1d", offset="+00:00")
    assert [b["index"] for b in index] == [-1.0, 1.0]
    assert index[1]["positive"] == 2 and index[1]["total"] == 2

    sov = {s["value"]: s["share"] for s in share_of_voice(store, "topic")}
    assert sov == {"traffic": 0.5, "health": 0.25}

    stories = top_stories(store)
    assert [s["story_id"] for s in stories] == ["st1", "st2"]
    assert stories[0]["outlets"] == 2 and stories[0]["articles"] == 2

    tops = top_authors(store)
    assert tops["authors"][0] == ("An", 2)
    assert dict(tops["channels"]) == {"tuoitre.vn": 2, "vnexpress.net": 2}
