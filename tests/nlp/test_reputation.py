"""Reputation rules on article fixtures: each fires on its fixture and not on
the near-misses (both store backends through the ``store`` fixture)."""

from __future__ import annotations

from datetime import timedelta

from canhgac.settings.nlp import NlpSettings
from detection.nlp.reputation import ReputationEngine
from store.base import Store
from store.query import Term
from tests.nlp.articles import (
    NOW,
    OUTLETS,
    article,
    baseline,
    story,
    today,
    topic_volume,
)


def _load(store: Store, docs: list[dict]) -> None:
    result = store.bulk("articles", docs, mode="index")
    assert result.ok, result.errors
    store.refresh("articles")


def _alerts(store: Store, rule: str) -> list[dict]:
    store.refresh("alerts")
    page = store.search("alerts", Term("rule.id", rule), size=100)
    return [h.source for h in page.hits]


def _run(store: Store, **cfg: object) -> dict:
    return ReputationEngine(store, NlpSettings(**cfg), now=NOW).run()


HIT = {"id": "wl.flooding", "name": "Ngập lụt", "owner": "ioc", "severity": "medium",
       "matched": ["ngập"]}


def test_watchlist_hit_fires_once_and_links_article(store: Store) -> None:
    _load(store, [
        article("w1", NOW - timedelta(hours=2), title="Ngập sâu đường Mậu Thân",
                watch_hits=[HIT], topics=("environment",)),
        article("w2", NOW - timedelta(hours=3), title="Khai mạc lễ hội bánh dân gian"),
        article("w3", NOW - timedelta(hours=40), title="Ngập cũ", watch_hits=[HIT]),
    ])
    report = _run(store)
    alerts = _alerts(store, "nlp.watchlist")
    assert [a["article_ids"] for a in alerts] == [["w1"]]
    alert = alerts[0]
    assert alert["domain"] == "reputation" and alert["status"] == "open"
    assert alert["severity"] == "medium" and alert["risk_score"] == 50.0
    assert alert["watchlist"]["id"] == "wl.flooding" and alert["topic"] == "environment"
    assert alert["first_seen"] == alert["last_seen"]
    assert report["nlp.watchlist"] == 1
    again = _run(store)  # deterministic ids: a second pass finds it known
    assert again["existing"] >= 1 and len(_alerts(store, "nlp.watchlist")) == 1


def test_sentiment_spike_fires_against_own_baseline_only(store: Store) -> None:
    docs = baseline("org.ubnd_tp") + today("org.ubnd_tp", count=8, negative=7)  # spike
    docs += baseline("org.so_yte") + today("org.so_yte", count=8, negative=3)  # normal day
    docs += baseline("loc.o_mon") + today("loc.o_mon", count=4, negative=4)  # too few today
    docs += today("loc.thot_not", count=8, negative=8)  # no baseline at all
    _load(store, docs)
    _run(store, spike_z=50.0)  # the threshold is configurable
    assert _alerts(store, "nlp.sentiment_spike") == []
    _run(store)
    alerts = _alerts(store, "nlp.sentiment_spike")
    assert [a["entity"]["value"] for a in alerts] == ["org.ubnd_tp"]
    assert alerts[0]["entity"]["label"] == "UBND thành phố Cần Thơ"  # the gazetteer's name
    alert = alerts[0]
    assert alert["statistic"]["negative"] == 7 and alert["statistic"]["count"] == 8
    assert alert["statistic"]["z"] >= 3.0
    assert sorted(alert["article_ids"]) == [f"t-org.ubnd_tp-{i}" for i in range(7)]


OTHER = "Cháy lớn tại dãy nhà trọ ở phường An Khánh, nhiều người mất trắng tài sản"


def test_story_spreading_and_near_misses(store: Store) -> None:
    docs = story("s", OUTLETS[:4])  # one story, four outlets: spreads
    docs += story("two", OUTLETS[:2], base=OTHER)  # another story, two outlets only
    docs += story("diff", OUTLETS[2:6], similar=False)  # four outlets, unrelated titles
    docs += story("fb", ["facebook.com/cantho"] * 4,
                  base="Lừa đảo giả danh nhân viên điện lực gọi điện đòi tiền ở Cái Răng")
    _load(store, docs)
    _run(store)
    alerts = _alerts(store, "nlp.story_spread")
    assert len(alerts) == 1
    alert = alerts[0]
    assert sorted(alert["article_ids"]) == ["s-0", "s-1", "s-2", "s-3"]
    assert alert["statistic"]["outlets"] == 4 and alert["story_id"].startswith("story-")
    assert alert["severity"] == "high"  # mostly negative coverage
    store.refresh("articles")
    tagged = store.get("articles", "s-2")
    assert tagged is not None and tagged.source["story_id"] == alert["story_id"]
    _run(store, story_min_posts=4)  # four posts on one page now count as spreading
    stories = {tuple(sorted(a["article_ids"])) for a in _alerts(store, "nlp.story_spread")}
    assert ("fb-0", "fb-1", "fb-2", "fb-3") in stories and len(stories) == 2


def test_volume_burst_fires_on_topic_only(store: Store) -> None:
    docs = topic_volume("cyber", baseline_per_window=1, current=9)  # burst
    docs += topic_volume("traffic", baseline_per_window=4, current=6)  # busy as usual
    docs += topic_volume("health", baseline_per_window=0, current=3)  # too few
    _load(store, docs)
    _run(store)
    alerts = _alerts(store, "nlp.volume_burst")
    assert [a["topic"] for a in alerts] == ["cyber"]
    assert alerts[0]["article_count"] == 9
    assert all(i.startswith("c-cyber-") for i in alerts[0]["article_ids"])
