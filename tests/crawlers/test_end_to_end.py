"""Every source kind end to end into the store (both backends), then a
re-crawl: conditional GETs answered 304, nothing fetched again, no duplicates."""

from __future__ import annotations

import unicodedata

from store.query import Match, Term
from tests.crawlers import sites
from tests.crawlers.content import STORIES
from tests.crawlers.harness import crawl, write_config

EXPECTED = {  # source id → items it yields
    "phusa-feed": 4, "phusa-atom": 2, "search-cantho": 2, "phusa-sitemap": 3,
    "phusa-site": 4, "tg-canthotin": 4, "forum-cantho": 3, "masto-cantho": 3,
    "yt-phusa": 2, "reddit-cantho": 3,
}
NEWS = 6
POSTS = 4 + 3 + 3 + 2 + 3


def all_sources(server) -> list[dict]:
    urls = sites.newspaper(server)
    return [
        {"id": "phusa-feed", "kind": "feed", "url": urls["feed"], "tags": ["press", "local"],
         "name": "Phù Sa — Thời sự"},
        {"id": "phusa-atom", "kind": "feed", "url": urls["atom"], "language": "en"},
        {"id": "search-cantho", "kind": "news_search", "url": urls["search"],
         "query": "Cần Thơ"},
        {"id": "phusa-sitemap", "kind": "sitemap", "url": urls["sitemap"], "since_days": 365},
        {"id": "phusa-site", "kind": "site", "url": urls["home"], "allowed_paths": ["/thoi-su/"],
         "max_depth": 2},
        {"id": "tg-canthotin", "kind": "telegram", "url": sites.telegram(server)},
        {"id": "forum-cantho", "kind": "forum", "url": sites.forum(server)},
        {"id": "masto-cantho", "kind": "mastodon", "url": sites.mastodon(server)},
        {"id": "yt-phusa", "kind": "youtube", "url": sites.youtube(server)},
        {"id": "reddit-cantho", "kind": "reddit", "url": sites.reddit(server)},
    ]


def by_url(store, url):
    page = store.search("articles", Term("url", url))
    assert page.total == 1, url
    return page.hits[0].source


def test_every_kind_into_the_store_then_recrawl(store, server, tmp_path):
    config = write_config(tmp_path, all_sources(server))
    summaries = {s["source"]: s for s in crawl(store, config, list(EXPECTED))}
    for sid, n in EXPECTED.items():
        assert summaries[sid]["finish_reason"] == "finished", summaries[sid]
        assert summaries[sid]["items"] == n, (sid, summaries[sid])
    assert store.count("articles") == NEWS + POSTS
    assert store.count("dead_letters") == 0

    # robots.txt: the disallowed page was never requested; the UA is ours
    assert server.hits["/private/bao-cao-noi-bo.html"] == 0
    assert summaries["phusa-feed"]["robots_forbidden"] == 1
    assert server.user_agents == {"CanhgacTest/1.0 (+tests)"}
    # the off-site link and the 2019 page (date filter) were not fetched
    assert server.hits["/luu-tru/le-hoi-banh-dan-gian-2019.html"] == 0
    assert server.hits["/sitemap-2019.xml.gz"] == 0

    # a news article: fields, UTC time, clean text, canonical URL
    story = STORIES[0]
    doc = store.search("articles", Term("title_normalized",
                                        "trieu cuong gay ngap nhieu tuyen duong o quan ninh kieu"))
    assert doc.total == 1
    art = doc.hits[0].source
    assert art["title"] == story.title and art["author"] == story.author
    assert art["@timestamp"] == "2026-11-20T00:30:00.000Z"
    assert art["language"] == "vi"
    assert story.paragraphs[1] in art["body"]
    assert "QUẢNG CÁO" not in art["body"] and "Tư Sang" not in art["body"]
    assert "utm_" not in art["canonical_url"]
    assert any(i.endswith("/img/ngap-nuoc-ninh-kieu.jpg") for i in art["images"])
    assert len(art["content_hash"]) == 32 and art["fetched_at"].endswith("Z")
    assert art["topics"] == ["flooding"]  # the NLP stage ran (the configured enricher)
    assert art["nlp"]["model"] == "tests.crawlers.enricher"
    en = store.search("articles", Match("operations centre flood alerts")).hits
    assert [h.source["language"] for h in en] == ["en"]

    # diacritic-insensitive full text, NFC and NFD queries alike
    for q in ("Ninh Kiều", "ninh kieu", unicodedata.normalize("NFD", "Ninh Kiều")):
        assert store.count("articles", Match(q)) >= 2, q

    # social posts: author, time, engagement, thread
    tg = by_url(store, f"{server.base}/canthotin/100")
    assert tg["kind"] == "post" and tg["engagement"]["views"] == 1200
    assert tg["source"]["kind"] == "telegram" and tg["thread"]["channel"] == "canthotin"
    fp = by_url(store, f"{server.base}/threads/ngap-nuoc.12/post-501")
    assert fp["author"] == "minhtuan" and fp["engagement"]["likes"] == 5
    assert fp["thread"]["url"] == f"{server.base}/threads/ngap-nuoc.12/"
    assert fp["@timestamp"] == "2026-11-19T18:00:00.000Z"  # 01:00 at +07:00
    md = by_url(store, f"{server.base}/@phusa/2001")
    assert md["engagement"] == {"replies": 0, "reblogs": 1, "favourites": 6}
    yt = by_url(store, f"{server.base}/watch?v=vid001")
    assert yt["engagement"] == {"views": 12345, "likes": 321}
    rd = by_url(store, f"{server.base}/r/cantho/comments/a1/post/")
    assert rd["engagement"]["score"] == 42 and rd["@timestamp"] == "2026-11-18T11:06:40.000Z"

    # health of each source
    health = store.get("sources", "crawler:phusa-feed").source
    assert health["items_total"] == 4 and health["last_success"]

    # second pass: unchanged pages answer 304; nothing duplicated
    first_hits = dict(server.hits)
    full_fetches = {p: server.hits[p] - server.not_modified[p] for p in first_hits}
    again = {s["source"]: s for s in crawl(store, config, list(EXPECTED))}
    assert store.count("articles") == NEWS + POSTS
    assert server.not_modified["/rss/thoi-su.rss"] == 1
    assert again["phusa-feed"]["not_modified"] >= 1
    for s in STORIES:  # every article page has an ETag: asked again, answered 304
        path = sites.article_path(s, "thoi-su" if s.lang == "vi" else "en")
        assert server.not_modified[path] >= 1, path
        assert server.hits[path] - server.not_modified[path] == full_fetches[path], path
    assert server.hits["/s/canthotin"] == first_hits["/s/canthotin"] + 1
    health = store.get("sources", "crawler:phusa-feed").source
    assert health["items_total"] == 4  # nothing new written the second time
