"""Public Telegram channels through their web preview (``/s/<channel>``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

from scrapy.http import Response, TextResponse

from crawlers.dates import parse_when
from crawlers.items import ArticleItem
from crawlers.spiders.base import SourceSpider, dead_letter
from crawlers.spiders.social import headline, html_to_text, parse_count


class TelegramSpider(SourceSpider):
    name = "telegram"

    async def start(self) -> AsyncIterator[Any]:
        yield self.listing(self.source.url, self.parse_channel, start=True)

    def parse_channel(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            yield dead_letter("not_html", response, "channel preview is not HTML")
            return
        messages = response.css(".tgme_widget_message[data-post]")
        if not messages:
            yield dead_letter("no_posts", response, "no .tgme_widget_message found")
            return
        channel_name = response.css(".tgme_channel_info_header_title ::text").get("").strip()
        oldest: datetime | None = None
        for msg in messages:
            post_id = msg.attrib["data-post"]
            text = html_to_text(msg.css(".tgme_widget_message_text").get())
            link = msg.css("a.tgme_widget_message_date::attr(href)").get()
            when = parse_when(msg.css("time::attr(datetime)").get())
            oldest = when if oldest is None or (when and when < oldest) else oldest
            if not text or self.too_old(when):
                continue
            author = msg.css(".tgme_widget_message_owner_name ::text").get("").strip()
            engagement = {k: v for k, v in {
                "views": parse_count(msg.css(".tgme_widget_message_views::text").get()),
            }.items() if v is not None}
            yield ArticleItem(
                url=response.urljoin(link or f"/{post_id}"), kind="post",
                title=headline(text), body=text, author=author or channel_name or None,
                published=when, published_from="page", engagement=engagement,
                thread={"url": response.urljoin(link or ""), "id": post_id,
                        "channel": post_id.split("/")[0]},
                external_id=post_id,
            )
        older = response.css("a.tme_messages_more::attr(href), link[rel=prev]::attr(href)").get()
        if older and not self.too_old(oldest):
            yield self.listing(response.urljoin(older), self.parse_channel)

