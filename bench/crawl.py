"""Crawler benchmark: pages/s and articles/s end to end (subprocess crawl of a
loopback fixture site of a few hundred article pages listed in a sitemap,
politeness off, into a temporary SQLite store), and the pipeline's own cost
per article (extraction + normalise + dedupe keys) in this process.

Prints one JSON line.  ``--pages N`` (default 300, at most 2000).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scrapy
import trafilatura

from crawlers.extract import extract_article
from crawlers.textnorm import content_hash, normalised_title
from crawlers.urls import article_id, canonical_url
from store.sqlite import SQLiteStore
from tests.crawlers import sites
from tests.crawlers.content import STORIES
from tests.crawlers.harness import crawl, write_config
from tests.crawlers.server import FixtureServer, Route


def build_site(srv: FixtureServer, n: int) -> list[tuple[str, str]]:
    pages = []
    for i in range(n):
        base_story = STORIES[i % len(STORIES)]
        story = replace(base_story, slug=f"{base_story.slug}-{i}",
                        title=f"{base_story.title} ({i})",
                        paragraphs=(*base_story.paragraphs, f"Bản tin số {i} của ngày."))
        path = f"/bai/{story.slug}.html"
        html = sites.article_html(srv.base, story, canonical=srv.base + path)
        srv.routes[path] = Route(html.encode())
        pages.append((path, html))
    srv.routes["/robots.txt"] = Route(b"User-agent: *\nAllow: /\n", "text/plain")
    srv.routes["/sitemap.xml"] = Route(sites.urlset(srv.base, [(p, "2026-11-20")
                                                              for p, _ in pages]),
                                       "application/xml")
    return pages


def pipeline_cost(base: str, pages: list[tuple[str, str]]) -> float:
    """Milliseconds per article for extraction + normalisation keys."""
    started = time.perf_counter()
    for path, html in pages:
        found = extract_article(html, base + path)
        canon = canonical_url(found.canonical_url or base + path)
        article_id(canon)
        content_hash(found.title + "\n" + found.text)
        normalised_title(found.title)
    return (time.perf_counter() - started) * 1000 / len(pages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    n = max(10, min(args.pages, 2000))
    with tempfile.TemporaryDirectory() as tmp, FixtureServer() as srv:
        tmp_path = Path(tmp)
        pages = build_site(srv, n)
        store = SQLiteStore(tmp_path / "bench.db")
        store.init()
        config = write_config(
            tmp_path, [{"id": "bench", "kind": "sitemap", "url": srv.url("/sitemap.xml"),
                        "max_pages": n + 10}],
            concurrent_requests=16, concurrent_per_domain=16)
        started = time.perf_counter()
        [summary] = crawl(store, config, ["bench"])
        wall = time.perf_counter() - started
        stored = store.count("articles")
        per_article_ms = pipeline_cost(srv.base, pages[: min(100, n)])
        store.close()
    crawl_s = summary["seconds"] or wall
    print(json.dumps({
        "bench": "crawl", "pages_requested": n, "pages_fetched": summary["pages"],
        "articles_stored": stored, "crawl_seconds": round(crawl_s, 3),
        "wall_seconds_with_startup": round(wall, 3),
        "pages_per_s": round(summary["pages"] / crawl_s, 1),
        "articles_per_s": round(stored / crawl_s, 1),
        "pipeline_ms_per_article": round(per_article_ms, 2),
        "dead_letters": summary["dead_letters"],
        "versions": {"python": platform.python_version(), "scrapy": scrapy.__version__,
                     "trafilatura": trafilatura.__version__},
        "cpus": os.cpu_count(),
    }))


if __name__ == "__main__":
    main()
