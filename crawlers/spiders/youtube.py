"""YouTube channel feeds (``/feeds/videos.xml?channel_id=…``): each video is a
post with its description, views and ratings; no page fetch needed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response

from crawlers.errors import BadFeed
from crawlers.items import ArticleItem
from crawlers.spiders.base import SourceSpider, dead_letter
from crawlers.spiders.feed import entry_hint, parse_feed
from crawlers.spiders.social import parse_count


class YouTubeSpider(SourceSpider):
    name = "youtube"

    async def start(self) -> AsyncIterator[Any]:
        yield self.listing(self.source.url, self.parse_channel, start=True)

    def parse_channel(self, response: Response) -> Iterator[Any]:
        try:
            parsed = parse_feed(response.body)
        except BadFeed as exc:
            yield dead_letter(exc.reason, response, str(exc))
            return
        for entry in parsed.entries:
            link = entry.get("link")
            if not link:
                continue
            hint = entry_hint(entry)
            if self.too_old(hint["published"]):
                continue
            description = entry.get("media_description") or hint["summary"]
            stats = entry.get("media_statistics") or {}
            rating = entry.get("media_starrating") or {}
            engagement = {k: v for k, v in {
                "views": parse_count(stats.get("views")),
                "likes": parse_count(rating.get("count")),
            }.items() if v is not None}
            video = entry.get("yt_videoid")
            yield ArticleItem(
                url=link, kind="post", title=hint["title"],
                body=f"{hint['title']}\n\n{description}".strip(),
                summary=description[:300], author=hint["author"],
                published=hint["published"], published_from="feed",
                engagement=engagement,
                thread={"url": link, "id": video, "channel": entry.get("yt_channelid")},
                external_id=video,
            )
