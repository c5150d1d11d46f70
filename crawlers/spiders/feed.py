"""RSS/Atom feeds and news-search feeds (the query is a source setting).

feedparser reads the feed (it copes with malformed XML and odd encodings);
each entry's article page is then fetched and extracted.  An entry whose link
leaves the source's allowed domains (search aggregators link everywhere) is
stored from the feed itself: title, summary, time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote_plus

import feedparser
from scrapy.http import Response

from crawlers.dates import parse_when
from crawlers.errors import BadFeed
from crawlers.items import ArticleItem
from crawlers.spiders.base import SourceSpider, dead_letter
from crawlers.textnorm import clean_text
from crawlers.urls import in_scope


def feed_url(url: str, query: str | None) -> str:
    """The source URL with ``{query}`` filled in (URL-encoded)."""
    return url.replace("{query}", quote_plus(query)) if query else url


def parse_feed(body: bytes, headers: dict[str, str] | None = None) -> Any:
    """feedparser's result, or BadFeed when nothing usable came out."""
    parsed = feedparser.parse(body, response_headers=headers or {})
    if not parsed.entries and (parsed.bozo or not parsed.feed):
        reason = parsed.get("bozo_exception") or "no feed elements"
        raise BadFeed(f"not a feed: {reason}")
    return parsed


def entry_hint(entry: Any) -> dict[str, Any]:
    """The fields of a feed entry used as fallbacks for its article."""
    when = None
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        if entry.get(key):
            when = parse_when(entry[key])
            break
    summary = entry.get("summary") or ""
    return {
        "title": entry.get("title") or "",
        "summary": clean_text(_strip_tags(summary))[:1000],
        "author": entry.get("author"),
        "published": when,
        "tags": [t.get("term") for t in entry.get("tags", []) if t.get("term")],
    }


def _strip_tags(html: str) -> str:
    if "<" not in html:
        return html
    import lxml.html

    try:
        return lxml.html.fromstring(html).text_content()
    except Exception:  # malformed fragments: keep the raw text
        return html


class FeedSpider(SourceSpider):
    name = "feed"

    async def start(self) -> AsyncIterator[Any]:
        yield self.listing(feed_url(self.source.url, self.source.query), self.parse_feed,
                           start=True)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        headers = {k.decode("latin-1").lower(): v[0].decode("latin-1")
                   for k, v in response.headers.items() if v}
        try:
            parsed = parse_feed(response.body, headers)
        except BadFeed as exc:
            yield dead_letter(exc.reason, response, str(exc))
            return
        domains = self.source.domains()
        for entry in parsed.entries:
            link = entry.get("link")
            if not link:
                continue
            link = response.urljoin(link)
            hint = entry_hint(entry)
            if self.too_old(hint["published"]):
                continue
            if in_scope(link, domains):
                yield self.article(link, entry=hint)
            else:
                yield from self.entry_item(link, entry, hint)

    def entry_item(self, link: str, entry: Any, hint: dict[str, Any]) -> Iterator[Any]:
        """An article made from the feed entry alone (no page fetch)."""
        text = hint["summary"]
        for content in entry.get("content", []):
            text = clean_text(_strip_tags(content.get("value", ""))) or text
        yield ArticleItem(
            url=link, title=hint["title"], body=text or hint["title"],
            summary=hint["summary"], author=hint["author"], published=hint["published"],
            published_from="feed", tags=hint["tags"],
        )
