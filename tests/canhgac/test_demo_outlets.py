"""The demo's fictional outlets: the site they write, the loopback server, and
a real crawl → NLP → reputation → incidents run over them (the flood story
must come out as a spreading negative story; the ordinary week must not)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml

from canhgac.demo import outlets
from canhgac.settings.crawlers import CrawlersSettings

END = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
CLI = Path(sys.executable).with_name("canhgac")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> outlets.Outlets:
    return outlets.build(tmp_path_factory.mktemp("demo") / "site", end=END)


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


# --- the site ------------------------------------------------------------------
def test_every_page_is_marked_as_demo_data(site: outlets.Outlets) -> None:
    pages = list(site.root.rglob("*.html"))
    assert len(pages) >= 40
    unmarked = [p for p in pages if outlets.DEMO_MARK not in p.read_text(encoding="utf-8")]
    assert unmarked == []
    statuses = json.loads((site.root / "api/v1/timelines/tag/cantho.json").read_text("utf-8"))
    assert all(outlets.DEMO_MARK in s["account"]["note"] for s in statuses)


def test_story_facts_and_counts(site: outlets.Outlets) -> None:
    story = site.story
    assert story["flood_story_title_vi"] == outlets.FLOOD_TITLE_VI
    assert story["city_entity"] == "loc.can_tho"
    assert len(story["flood_story_outlets"].split("; ")) >= 3
    first = datetime.fromisoformat(story["flood_first_published"])
    last = datetime.fromisoformat(story["flood_last_published"])
    assert END - timedelta(hours=6) < first < last < END
    n_posts = sum(len(t.posts) for t in outlets.THREADS)
    assert site.articles == len(outlets.BASELINE) + len(outlets.FLOOD) + \
        len(outlets.STATUSES) + n_posts
    assert all(isinstance(v, str) and v for v in story.values())


def test_build_is_deterministic_and_needs_an_aware_end(tmp_path: Path,
                                                       site: outlets.Outlets) -> None:
    again = outlets.build(tmp_path / "again", end=END)
    assert again.story == site.story
    feed = "song-hau/rss.xml"
    assert (again.root / feed).read_bytes() == (site.root / feed).read_bytes()
    with pytest.raises(ValueError, match="timezone-aware"):
        outlets.build(tmp_path / "naive", end=datetime(2026, 3, 14, 9, 30))


def test_flood_reports_are_near_duplicates_and_the_week_is_not() -> None:
    from detection.nlp.stories import cluster

    def doc(n: int, piece: outlets.Piece) -> dict[str, Any]:
        return {"id": f"a{n}", "@timestamp": f"{n:04d}", "title": piece.title,
                "summary": piece.lead, "body": "\n".join([piece.title, piece.lead, *piece.body])}

    pieces = outlets.BASELINE + outlets.FLOOD
    groups = cluster([doc(n, p) for n, p in enumerate(pieces)], threshold=0.5)
    joined = [g for g in groups if len(g) > 1]
    assert len(joined) == 1
    titles = {a["title"] for a in joined[0]}
    assert titles == {p.title for p in pieces if p.shared_lead}
    assert len({p.outlet for p in pieces if p.shared_lead}) >= 3


# --- the server ----------------------------------------------------------------
def test_server_serves_feeds_pages_and_social_on_loopback(site: outlets.Outlets) -> None:
    with outlets.OutletServer(site.root) as server:
        assert server.url.startswith("http://127.0.0.1:")
        status, _, body = fetch(server.url + "/robots.txt")
        assert status == 200 and b"User-agent" in body
        entries = 0
        for source in outlets.sources(server.url):
            status, headers, body = fetch(source["url"])
            assert status == 200, source["url"]
            assert outlets.BASE_TOKEN.encode() not in body
            if source["kind"] != "feed":
                continue
            parsed = feedparser.parse(body)
            assert parsed.entries and not parsed.bozo, source["id"]
            entries += len(parsed.entries)
            entry = parsed.entries[0]
            assert entry.link.startswith(server.url)
            assert entry.get("published_parsed") is not None
            status, headers, page = fetch(entry.link)
            assert status == 200 and headers["Content-Type"].startswith("text/html")
            text = page.decode("utf-8")
            assert 'property="article:published_time"' in text
            assert f'href="{entry.link}"' in text  # canonical link, absolute
        assert entries == len(outlets.BASELINE) + len(outlets.FLOOD)
        status, headers, body = fetch(server.url + outlets.MASTODON_TAG_PATH + "?limit=40")
        statuses = json.loads(body)
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        assert len(statuses) == len(outlets.STATUSES)
        assert all(s["url"].startswith(server.url) for s in statuses)


def test_server_conditional_get_and_errors(site: outlets.Outlets) -> None:
    server = outlets.OutletServer(site.root).start()
    try:
        url = server.url + "/tay-do-online/rss.xml"
        status, headers, _ = fetch(url)
        assert status == 200 and headers["ETag"]
        status, _, body = fetch(url, {"If-None-Match": headers["ETag"]})
        assert status == 304 and body == b""
        assert fetch(server.url + "/no/such/page.html")[0] == 404
        assert fetch(server.url + "/../../etc/passwd")[0] == 404
    finally:
        server.stop()
    with pytest.raises(RuntimeError):
        _ = server.url
    with pytest.raises(ValueError, match="loopback"):
        outlets.OutletServer(site.root, host="0.0.0.0")
    with pytest.raises(FileNotFoundError):
        outlets.OutletServer(site.root / "missing")


def test_sources_are_valid_crawler_configuration() -> None:
    cfg = CrawlersSettings(**outlets.crawler_settings(),
                           sources=outlets.sources("http://127.0.0.1:8999/"))
    kinds = [s.kind for s in cfg.sources]
    assert kinds.count("feed") == len(outlets.OUTLETS)
    assert {"mastodon", "forum"} <= set(kinds)
    assert {s.language for s in cfg.sources if s.kind == "feed"} == {"vi", "en"}
    assert all(s.url.startswith("http://127.0.0.1:8999/") for s in cfg.sources)
    assert cfg.download_delay == 0 and cfg.obey_robots


# --- end to end: crawl, NLP, reputation, incidents -------------------------------
def run_cli(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([str(CLI), *args], env=env, capture_output=True, text=True,
                          timeout=180, check=False)
    assert proc.returncode == 0, f"canhgac {' '.join(args)}: {proc.stderr[-3000:]}"
    return proc.stdout


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.skipif(not CLI.exists(), reason=f"no canhgac command at {CLI} (pip install -e .)")
def test_crawl_then_reputation_finds_the_spreading_flood_story(tmp_path: Path) -> None:
    from store.query import MatchAll
    from store.sqlite import SQLiteStore

    end = datetime.now(UTC).replace(microsecond=0)
    built = outlets.build(tmp_path / "site", end=end)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
    env.update(CANHGAC_DATA_DIR=str(tmp_path / "data"),
               CANHGAC_CONFIG=str(tmp_path / "canhgac.yaml"))
    with outlets.OutletServer(built.root) as server:
        srcs = outlets.sources(server.url)
        config = {"crawlers": {**outlets.crawler_settings(), "sources": srcs}}
        (tmp_path / "canhgac.yaml").write_text(yaml.safe_dump(config, allow_unicode=True),
                                               encoding="utf-8")
        crawl = json_lines(run_cli(env, "crawl", "once", "--json", *[s["id"] for s in srcs]))
    assert {c["source"] for c in crawl} == {s["id"] for s in srcs}
    assert all(c["finish_reason"] == "finished" and c["dead_letters"] == 0 for c in crawl)
    assert sum(c["articles"] for c in crawl) == built.articles

    store = SQLiteStore(tmp_path / "data" / "canhgac.db")
    try:
        articles = [d.source for d in store.scan("articles", MatchAll())]
        assert len(articles) == built.articles
        # publish dates survive the crawl: the week before is there, day by day
        stamps = {a["id"]: datetime.fromisoformat(a["@timestamp"].replace("Z", "+00:00"))
                  for a in articles}
        assert all(a["published_from"] in ("page", "api") for a in articles)
        assert all(ts <= end for ts in stamps.values())
        days = {(end - ts).days for ts in stamps.values()}
        assert days >= set(range(outlets.BASELINE_DAYS + 1))
        first = datetime.fromisoformat(built.story["flood_first_published"])
        report = [a for a in articles if a["title"] == built.story["flood_story_title_vi"]]
        assert len(report) == 1 and stamps[report[0]["id"]] == first
        # the model reads the week as not negative, the flood as negative
        day_ago = end - timedelta(days=1)
        old = [a for a in articles if stamps[a["id"]] < day_ago]
        assert old and not [a["title"] for a in old if a["sentiment"]["label"] == "negative"]
        flood = [a for a in articles if stamps[a["id"]] >= first]
        assert all(a["sentiment"]["label"] == "negative" for a in flood)
        news = [a for a in flood if a["kind"] == "article"]
        assert all("loc.can_tho" in a["entities_ids"] for a in news)
        assert all("environment" in a["topics"] for a in news if a["language"] == "vi")

        rep = json.loads(run_cli(env, "nlp", "reputation", "--json"))
        assert rep["nlp.story_spread"] >= 1 and rep["errors"] == 0
        grouped = json.loads(run_cli(env, "incidents", "group-once", "--json"))
        assert grouped["grouped"] == rep["written"]
        incidents = json_lines(run_cli(env, "incidents", "list", "--json", "--size", "500"))

        store.refresh("alerts")
        alerts = {d.id: d.source for d in store.scan("alerts", MatchAll())}
        spread = [i for i in incidents if i["rule"]["id"] == "nlp.story_spread"]
        assert len(spread) == 1
        alert = alerts[spread[0]["alert_ids"][0]]
        outlet_names = set(built.story["flood_story_outlets"].split("; "))
        assert alert["severity"] == "high"  # majority negative
        assert alert["statistic"]["outlets"] >= 3
        assert set(alert["statistic"]["outlet_names"]) <= outlet_names
        by_id = {a["id"]: a for a in articles}
        assert all(by_id[i]["sentiment"]["label"] == "negative" for i in alert["article_ids"])
        spikes = {i["entity"]["value"] for i in incidents
                  if i["rule"]["id"] == "nlp.sentiment_spike"}
        assert {"loc.can_tho", "environment"} <= spikes
        # nothing about the ordinary week: every alert is over the last day only
        for a in alerts.values():
            assert all(stamps[i] >= day_ago for i in a["article_ids"]), a["message"]
    finally:
        store.close()
