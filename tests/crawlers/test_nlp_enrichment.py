"""Crawled articles land enriched by the real NLP pipeline (detection.nlp),
on every store backend: language, entities linked to canonical ids,
sentiment, topics."""

from __future__ import annotations

from store.query import Term
from tests.crawlers import sites
from tests.crawlers.harness import crawl, write_config


def test_crawled_articles_are_enriched_by_the_nlp_pipeline(store, server, tmp_path):
    urls = sites.newspaper(server)
    config = write_config(tmp_path, [{"id": "phusa-feed", "kind": "feed", "url": urls["feed"]}],
                          nlp_enricher="detection.nlp:enrich")
    summary = {s["source"]: s for s in crawl(store, config, ["phusa-feed"])}
    assert summary["phusa-feed"]["items"] == 4, summary
    page = store.search("articles", Term("title_normalized",
                                         "trieu cuong gay ngap nhieu tuyen duong o quan ninh kieu"))
    assert page.total == 1
    art = page.hits[0].source
    assert art["language"] == "vi"
    assert art["sentiment"]["label"] in {"negative", "neutral", "positive"}
    assert 0.0 <= art["sentiment"]["score"] <= 1.0
    assert art["topics"], art.get("topics")
    assert "loc.ninh_kieu" in art["entities_ids"]
    # the canonical id is searchable on the store
    assert store.count("articles", Term("entities_ids", "loc.ninh_kieu")) >= 1
