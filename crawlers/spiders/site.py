"""Generic news sites: discover article links within the allowed domains and
paths, extract each article page with trafilatura."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor

from crawlers.spiders.base import SourceSpider
from crawlers.urls import in_scope

# Markers of an article page (as opposed to a section or home page).
ARTICLE_MARKERS = (
    "//meta[@property='og:type' and contains(@content, 'article')]",
    "//meta[@property='article:published_time']",
    "//script[@type='application/ld+json'][contains(., 'NewsArticle') or "
    "contains(., '\"Article\"') or contains(., 'BlogPosting')]",
)


def is_article_page(response: TextResponse) -> bool:
    return any(response.xpath(x) for x in ARTICLE_MARKERS)


class SiteSpider(SourceSpider):
    name = "site"

    async def start(self) -> AsyncIterator[Any]:
        yield self.listing(self.source.url, self.parse_page, start=True)

    def parse_page(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            return
        if is_article_page(response):
            yield from self.parse_article(response)
        domains, paths = self.source.domains(), self.source.allowed_paths
        for link in LinkExtractor().extract_links(response):
            if not in_scope(link.url, domains, paths):
                continue
            yield self.article(link.url, discovered=True).replace(callback=self.parse_page)
