"""What every source spider shares: the crawl context, article fetching with
extraction, and turning failures into dead letters."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from canhgac.settings.crawlers import SourceSettings
from crawlers.dates import utc_now
from crawlers.errors import BadPage, NotHtml
from crawlers.extract import extract_article
from crawlers.items import ArticleItem, DeadLetterItem
from crawlers.middlewares import ROLE, AlreadySeen, NotModified, OutOfScope, validators
from crawlers.state import CrawlContext, context_for
from crawlers.urls import strip_tracking

log = logging.getLogger(__name__)
HTML_TYPES = (b"text/html", b"application/xhtml+xml")
# IgnoreRequest reasons that are normal crawl control, not errors.
_QUIET = (OutOfScope, NotModified, AlreadySeen)


class SourceSpider(scrapy.Spider):
    """Base of the source spiders; the source comes from the crawl context
    (``CANHGAC_SOURCE_ID`` setting), never from spider attributes."""

    name = "source"
    ctx: CrawlContext

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.ctx = context_for(crawler)
        return spider

    @property
    def source(self) -> SourceSettings:
        return self.ctx.source

    def since(self) -> datetime | None:
        days = self.source.since_days
        return utc_now() - timedelta(days=days) if days else None

    def too_old(self, when: datetime | None) -> bool:
        limit = self.since()
        return bool(limit and when and when < limit)

    # -- requests -------------------------------------------------------------
    def listing(self, url: str, callback: Any, *, start: bool = False,
                **meta: Any) -> scrapy.Request:
        """A feed / sitemap / listing page: always asked conditionally; start
        requests bypass the duplicate filter so a resumed job re-polls them."""
        return scrapy.Request(url, callback=callback, errback=self.failed,
                              dont_filter=start, meta={ROLE: "listing", **meta})

    def article(self, url: str, **meta: Any) -> scrapy.Request:
        return scrapy.Request(strip_tracking(url), callback=self.parse_article,
                              errback=self.failed, meta={ROLE: "article", **meta})

    # -- article pages ----------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[Any]:
        """Extract one article; a page we cannot use becomes a dead letter."""
        try:
            html = html_text(response)
            found = extract_article(html, response.url, language_hint=self.source.language)
        except BadPage as exc:
            yield dead_letter(exc.reason, response, str(exc))
            return
        hint: dict[str, Any] = response.meta.get("entry") or {}
        published, origin = found.published, "page"
        if published is None and hint.get("published"):
            published, origin = hint["published"], "feed"
        if self.too_old(published):
            return
        etag, modified = validators(response)
        yield ArticleItem(
            url=response.url, canonical_url=found.canonical_url,
            title=found.title or hint.get("title", ""), body=found.text,
            summary=hint.get("summary") or found.summary,
            author=found.author or hint.get("author"), published=published,
            published_from=origin, language=found.language, images=found.images,
            tags=found.tags, etag=etag, last_modified=modified,
        )

    # -- failures -------------------------------------------------------------
    def failed(self, failure: Failure) -> Iterator[Any]:
        """Errback: quiet for crawl control, a dead letter for real failures."""
        exc = failure.value
        request = getattr(failure, "request", None)
        url = request.url if request is not None else ""
        if isinstance(exc, _QUIET):
            return
        if isinstance(exc, IgnoreRequest) and "robots.txt" in str(exc):
            self.crawler.stats.inc_value("canhgac/robots_forbidden")
            return
        if isinstance(exc, HttpError):
            resp = exc.response
            yield dead_letter(f"http_{resp.status}", resp, f"HTTP {resp.status} for {url}")
            return
        detail = str(exc)[:500] or type(exc).__name__
        # No body came back: the raw record is the request line and the error
        # (dead letters are keyed by their raw bytes, so it must differ per URL).
        yield DeadLetterItem(reason=failure_reason(exc), url=url, detail=detail,
                             raw=f"GET {url}\n{type(exc).__name__}: {detail}".encode())


def failure_reason(exc: BaseException) -> str:
    """A short dead-letter reason for a download failure."""
    text = str(exc).lower()
    name = type(exc).__name__
    if "redirections" in text:
        return "redirect_loop"
    if "maxsize" in text or "max size" in text or "larger than" in text:
        return "too_large"
    if "timeout" in name.lower() or "timed out" in text:
        return "timeout"
    return f"fetch_{name}"


def html_text(response: Response) -> str:
    """The page as text, or NotHtml when it is not an HTML page."""
    ctype = (response.headers.get(b"Content-Type") or b"").split(b";")[0].strip().lower()
    if ctype and ctype not in HTML_TYPES:
        raise NotHtml(f"content type {ctype.decode('latin-1')!r} is not HTML")
    if not isinstance(response, TextResponse):
        raise NotHtml("binary response, not text")
    return response.text


def dead_letter(reason: str, response: Response, detail: str) -> DeadLetterItem:
    return DeadLetterItem(
        reason=reason, url=response.url, raw=response.body, detail=detail,
        context={"status": response.status,
                 "content_type": (response.headers.get(b"Content-Type") or b"")
                 .decode("latin-1")},
    )
