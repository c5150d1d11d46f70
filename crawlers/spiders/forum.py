"""Public forum threads on XenForo-style boards: a forum index (thread list)
or a thread URL; posts page by page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response, TextResponse

from crawlers.dates import parse_when
from crawlers.items import ArticleItem
from crawlers.spiders.base import SourceSpider, dead_letter
from crawlers.spiders.social import html_to_text

_OTHERS = re.compile(r"(\d+)\s+(?:others|người khác)")


def reaction_count(text: str) -> int | None:
    """``"An, Bình and 3 others"`` → 5 (XenForo's reactions summary)."""
    text = " ".join(text.split())
    if not text:
        return None
    others = _OTHERS.search(text)
    named = _OTHERS.sub("", text)
    names = [n for n in re.split(r",|\band\b|\bvà\b", named) if n.strip()]
    return len(names) + (int(others.group(1)) if others else 0)


class ForumSpider(SourceSpider):
    name = "forum"

    async def start(self) -> AsyncIterator[Any]:
        yield self.listing(self.source.url, self.parse_page, start=True)

    def parse_page(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            yield dead_letter("not_html", response, "forum page is not HTML")
            return
        for href in response.css(".structItem-title a::attr(href)").getall():
            yield self.listing(response.urljoin(href), self.parse_page)
        posts = response.css("article.message[data-author]")
        if posts:
            yield from self.parse_posts(response, posts)
        nxt = response.css("a.pageNav-jump--next::attr(href)").get()
        if nxt:
            yield self.listing(response.urljoin(nxt), self.parse_page)

    def parse_posts(self, response: TextResponse, posts: Any) -> Iterator[Any]:
        title = " ".join(response.css("h1.p-title-value ::text").getall()).strip()
        thread_url = response.urljoin(
            response.css("link[rel=canonical]::attr(href)").get() or response.url)
        thread_url = re.sub(r"/page-\d+/?$", "/", thread_url)
        for post in posts:
            text = html_to_text(post.css(".message-body .bbWrapper").get())
            when = parse_when(post.css("time.u-dt::attr(datetime)").get())
            if not text or self.too_old(when):
                continue
            post_id = (post.attrib.get("data-content") or "").removeprefix("post-")
            link = post.css(".message-attribution-main a::attr(href), "
                            "a[href*='/post-']::attr(href), a[href*='/posts/']::attr(href)").get()
            url = response.urljoin(link) if link else f"{thread_url}#post-{post_id}"
            engagement: dict[str, int] = {}
            reactions = reaction_count(" ".join(post.css(".reactionsBar-link ::text").getall()))
            if reactions is not None:
                engagement["likes"] = reactions
            first = posts[0] is post
            yield ArticleItem(
                url=url, kind="post", title=title if first else f"Re: {title}",
                body=text, author=post.attrib.get("data-author"), published=when,
                engagement=engagement,
                thread={"url": thread_url, "title": title, "id": post_id},
                external_id=post_id or None,
            )


