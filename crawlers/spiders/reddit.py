"""Reddit-style JSON listings (``/r/<sub>/new.json``, ``/search.json?q=``),
following ``data.after``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy.http import Response

from crawlers.dates import parse_when
from crawlers.items import ArticleItem
from crawlers.spiders.base import SourceSpider, dead_letter
from crawlers.spiders.feed import feed_url


def with_after(url: str, after: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "after"] + [("after", after)]
    return urlunsplit(parts._replace(query=urlencode(query)))


class RedditSpider(SourceSpider):
    name = "reddit"

    async def start(self) -> AsyncIterator[Any]:
        yield self.listing(feed_url(self.source.url, self.source.query), self.parse_listing,
                           start=True)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        try:
            data = json.loads(response.body)["data"]
            children = data["children"]
        except (ValueError, KeyError, TypeError) as exc:
            yield dead_letter("bad_json", response, f"not a listing: {exc!r}")
            return
        oldest = None
        for child in children:
            post = child.get("data") if isinstance(child, dict) else None
            if not isinstance(post, dict):
                continue
            when = parse_when(post.get("created_utc"))
            oldest = when if oldest is None or (when and when < oldest) else oldest
            if self.too_old(when):
                continue
            permalink = response.urljoin(post.get("permalink") or "")
            title = post.get("title") or ""
            body = post.get("selftext") or post.get("body") or ""
            yield ArticleItem(
                url=permalink, kind="post", title=title,
                body=f"{title}\n\n{body}".strip(), author=post.get("author"),
                published=when, published_from="api",
                engagement={"score": int(post.get("score") or 0),
                            "comments": int(post.get("num_comments") or 0)},
                thread={"url": permalink, "id": post.get("name") or post.get("id"),
                        "community": post.get("subreddit"), "link": post.get("url")},
                external_id=post.get("name") or post.get("id"),
            )
        after = data.get("after")
        if after and children and not self.too_old(oldest):
            yield self.listing(with_after(response.url, after), self.parse_listing)
