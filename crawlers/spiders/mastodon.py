"""Public Mastodon hashtags and accounts through the JSON API
(``/api/v1/timelines/tag/<tag>``, ``/api/v1/accounts/<id>/statuses``),
following the ``Link: rel="next"`` pagination."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy.http import Response

from crawlers.dates import parse_when
from crawlers.items import ArticleItem
from crawlers.spiders.base import SourceSpider, dead_letter
from crawlers.spiders.social import headline, html_to_text

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def next_link(header: bytes | None) -> str | None:
    if not header:
        return None
    m = _NEXT.search(header.decode("latin-1"))
    return m.group(1) if m else None


class MastodonSpider(SourceSpider):
    name = "mastodon"

    async def start(self) -> AsyncIterator[Any]:
        yield self.listing(self.source.url, self.parse_statuses, start=True)

    def parse_statuses(self, response: Response) -> Iterator[Any]:
        try:
            statuses = json.loads(response.body)
        except ValueError as exc:
            yield dead_letter("bad_json", response, f"not JSON: {exc}")
            return
        if not isinstance(statuses, list):
            yield dead_letter("bad_json", response, "expected a list of statuses")
            return
        oldest = None
        for status in statuses:
            if not isinstance(status, dict):
                continue
            status = status.get("reblog") or status
            text = html_to_text(status.get("content"))
            when = parse_when(status.get("created_at"))
            oldest = when if oldest is None or (when and when < oldest) else oldest
            if not text or self.too_old(when):
                continue
            account = status.get("account") or {}
            url = status.get("url") or status.get("uri")
            if not url:
                continue
            reply_to = status.get("in_reply_to_id")
            yield ArticleItem(
                url=url, kind="post", title=headline(text), body=text,
                author=account.get("acct") or account.get("username"),
                published=when, published_from="api",
                language=_lang(status.get("language")),
                engagement={k: int(status.get(f"{k}_count") or 0)
                            for k in ("replies", "reblogs", "favourites")},
                thread={"url": url, "id": str(status.get("id", "")),
                        "in_reply_to_id": reply_to},
                tags=[t.get("name") for t in status.get("tags") or [] if isinstance(t, dict)],
                external_id=str(status.get("id", "")) or None,
            )
        nxt = next_link(response.headers.get(b"Link"))
        if nxt and statuses and not self.too_old(oldest):
            yield self.listing(response.urljoin(nxt), self.parse_statuses)


def _lang(code: Any) -> str | None:
    if not isinstance(code, str):
        return None
    return {"vi": "vi", "en": "en"}.get(code.split("-")[0].lower(), "other")
