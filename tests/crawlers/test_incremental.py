"""Duplicates, bad pages and interrupted crawls (SQLite: the behaviour is the
crawler's, the backends are covered end to end in test_end_to_end)."""

from __future__ import annotations

import pytest

from canhgac.config import load
from crawlers.scheduler import Scheduler
from store.query import Match, Term
from tests.crawlers import sites
from tests.crawlers.harness import crawl, store_env, write_config

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@sqlite_only
def test_same_story_through_other_urls_is_stored_once(store, server, tmp_path):
    """Run through the scheduler: the due source is crawled, then nothing is due."""
    feed = sites.duplicates(server)
    config = write_config(tmp_path, [{"id": "dup", "kind": "feed", "url": feed,
                                      "schedule": "30m"}])
    cfg = load(config, environ={})
    scheduler = Scheduler(cfg, store, config_path=str(config),
                          env={**store_env(store), "CANHGAC_CONFIG": str(config)})
    [summary] = scheduler.run_cycle()
    assert summary["finish_reason"] == "finished"
    assert scheduler.run_cycle() == []  # polled again only after 30 minutes
    # 4 entries: plain and tracking-parameter URLs are one request; the AMP
    # page (rel=canonical) and the copy (same text) are dropped as duplicates
    assert store.count("articles") == 1
    assert summary["duplicates"] == 2
    assert server.hits["/thoi-su/ngap-nuoc-ninh-kieu.html"] == 1
    doc = store.search("articles").hits[0].source
    assert doc["title_normalized"].startswith("trieu cuong gay ngap")


@sqlite_only
def test_bad_pages_become_dead_letters_and_the_crawl_goes_on(store, server, tmp_path):
    urls = sites.hostile(server)
    config = write_config(
        tmp_path,
        [{"id": "hostile", "kind": "feed", "url": urls["feed"]},
         {"id": "junk-feed", "kind": "feed", "url": urls["not_feed"]}],
        download_maxsize=100_000, download_timeout=3.0,
        nlp_enricher="tests.crawlers.enricher:broken")
    summaries = {s["source"]: s for s in crawl(store, config, ["hostile", "junk-feed"])}
    assert summaries["hostile"]["finish_reason"] == "finished"
    reasons = {}
    for hit in store.scan("dead_letters"):
        reasons[hit.source["context"]["url"].rsplit("/", 1)[-1]] = hit.source["reason"]
    assert reasons["report.pdf"] == "not_html"
    assert reasons["mojibake.html"] == "broken_encoding"
    assert reasons["empty.html"] == "extraction_failed"
    assert reasons["error500.html"] == "http_500"
    assert reasons["loop-a.html"] == "redirect_loop"
    assert reasons["huge.html"] == "too_large"
    assert reasons["slow.html"] == "timeout"
    assert reasons["not-a-feed.rss"] == "bad_feed"
    # 5xx retried with back-off before giving up (1 + 2 retries)
    assert server.hits["/bad/error500.html"] == 3
    # the good pages around them were stored (unenriched: the NLP stage failed),
    # the Windows-1258 one as NFC text
    assert store.count("articles") == 2
    assert summaries["hostile"]["articles"] == 2
    assert store.count("articles", Match("dọn dẹp bùn đất")) == 1
    assert store.count("articles", Match("don dep bun dat")) == 1
    old = store.search("articles", Term("url", server.url("/old/windows-1258.html"))).hits[0]
    assert "Người dân phường Hưng Lợi" in old.source["body"]
    health = store.get("sources", "crawler:hostile").source
    assert health["errors_total"] == 7 and health["last_error"]
    assert store.get("sources", "crawler:junk-feed").source["errors_total"] == 1


@sqlite_only
def test_interrupted_crawl_resumes_from_its_job_directory(store, server, tmp_path):
    urls = sites.newspaper(server)
    config = write_config(tmp_path, [{"id": "phusa", "kind": "feed", "url": urls["feed"]}],
                          concurrent_requests=1, concurrent_per_domain=1)
    jobdir = tmp_path / "data" / "crawl" / "jobs" / "phusa"
    # stop after robots.txt, the feed and one article: as a budget or a kill would
    [first] = crawl(store, config, ["phusa"], settings={"CLOSESPIDER_PAGECOUNT": 3})
    assert first["finish_reason"] == "closespider_pagecount"
    stored = store.count("articles")
    assert 1 <= stored < 4
    assert (jobdir / "requests.queue").is_dir()
    [second] = crawl(store, config, ["phusa"])
    assert second["finish_reason"] == "finished"
    assert store.count("articles") == 4
    assert not jobdir.exists()  # a finished crawl leaves no job behind
    for path in ("/thoi-su/ngap-nuoc-ninh-kieu.html", "/thoi-su/cau-vam-cong-thong-xe.html",
                 "/thoi-su/cho-noi-cai-rang-du-lich.html", "/thoi-su/mat-dien-binh-thuy.html"):
        assert server.hits[path] - server.not_modified[path] == 1, path  # one full fetch each
