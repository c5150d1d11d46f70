"""Sitemaps: sitemap indexes, URL sets and Google News sitemaps, with date
filtering (``since_days`` against ``lastmod`` or ``news:publication_date``).

Scrapy's ``Sitemap`` parser reads the XML (robust to broken markup, gzip is
undone with Scrapy's size-capped ``gunzip``); we add the news dates it leaves
nested and our own requests (conditional GETs, errbacks, dead letters).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from io import BytesIO
from typing import Any

from lxml import etree
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawlers.dates import parse_when
from crawlers.spiders.base import SourceSpider, dead_letter

NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


def sitemap_body(response: Response, max_size: int) -> bytes:
    body = response.body
    if body[:2] == b"\x1f\x8b":
        body = gunzip(body, max_size=max_size)
    return body


def news_dates(body: bytes) -> dict[str, dict[str, str]]:
    """``{loc: {"published": ..., "title": ...}}`` from a news sitemap."""
    out: dict[str, dict[str, str]] = {}
    if NEWS_NS.encode() not in body:
        return out
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    try:
        root = etree.parse(BytesIO(body), parser).getroot()
    except etree.XMLSyntaxError:
        return out
    if root is None:
        return out
    for url in root.iter("{*}url"):
        loc = url.findtext("{*}loc")
        if not loc:
            continue
        out[loc.strip()] = {
            "published": (url.findtext(f".//{{{NEWS_NS}}}publication_date") or "").strip(),
            "title": (url.findtext(f".//{{{NEWS_NS}}}title") or "").strip(),
        }
    return out


class NewsSitemapSpider(SourceSpider):
    name = "sitemap"

    async def start(self) -> AsyncIterator[Any]:
        yield self.listing(self.source.url, self.parse_sitemap, start=True)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        if response.url.endswith("/robots.txt"):
            for url in sitemap_urls_from_robots(response.body, base_url=response.url):
                yield self.listing(url, self.parse_sitemap)
            return
        try:
            body = sitemap_body(response, self.settings.getint("DOWNLOAD_MAXSIZE"))
            sitemap = Sitemap(body)
        except Exception as exc:  # lxml/gzip errors on hostile input
            yield dead_letter("bad_sitemap", response, f"{type(exc).__name__}: {exc}")
            return
        if sitemap.type not in ("sitemapindex", "urlset"):
            yield dead_letter("bad_sitemap", response, f"root element {sitemap.type!r}")
            return
        news = news_dates(body) if sitemap.type == "urlset" else {}
        for entry in sitemap:
            loc = entry.get("loc")
            if not loc:
                continue
            extra = news.get(loc, {})
            when = parse_when(extra.get("published") or entry.get("lastmod"))
            if self.too_old(when):
                continue
            if sitemap.type == "sitemapindex":
                yield self.listing(loc, self.parse_sitemap)
            else:
                yield self.article(loc, entry={"published": when,
                                               "title": extra.get("title", "")})
