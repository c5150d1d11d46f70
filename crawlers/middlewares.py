"""Downloader middlewares: scope, conditional GETs and retries with back-off.

Each is enabled through ``DOWNLOADER_MIDDLEWARES`` (see ``crawlers.settings``)
and built with ``from_crawler``; none reads spider attributes.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task

from crawlers.state import CrawlContext, SeenEntry, context_for
from crawlers.urls import in_scope, url_key

log = logging.getLogger(__name__)
ROLE = "canhgac_role"  # request meta: "listing" (feeds, sitemaps, indexes) or "article"


class OutOfScope(IgnoreRequest):
    """Raised by ScopeMiddleware for a URL outside the source's domains/paths."""


class NotModified(IgnoreRequest):
    """Raised by ConditionalGetMiddleware on a 304: the page is unchanged."""


class AlreadySeen(IgnoreRequest):
    """Raised by ConditionalGetMiddleware for an article already stored whose
    server gave no validators to ask with: we do not fetch it again."""


class ScopeMiddleware:
    """Drops requests outside the source's allowed domains (and, for article
    discovery, allowed paths).  robots.txt requests always pass."""

    def __init__(self, ctx: CrawlContext, stats: Any) -> None:
        self.domains = ctx.source.domains()
        self.paths = ctx.source.allowed_paths
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> ScopeMiddleware:
        return cls(context_for(crawler), crawler.stats)

    def process_request(self, request: Request) -> None:
        if request.url.endswith("/robots.txt") or request.meta.get("dont_obey_robotstxt"):
            return None
        paths = self.paths if request.meta.get(ROLE) == "article" else None
        if not in_scope(request.url, self.domains, paths):
            self.stats.inc_value("canhgac/out_of_scope")
            raise OutOfScope(f"outside the source's allowed domains/paths: {request.url}")
        return None


class ConditionalGetMiddleware:
    """Asks with If-None-Match / If-Modified-Since for pages we have seen,
    turns a 304 into ``NotModified``, and remembers listing validators."""

    def __init__(self, ctx: CrawlContext, stats: Any) -> None:
        self.ctx = ctx
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> ConditionalGetMiddleware:
        return cls(context_for(crawler), crawler.stats)

    def process_request(self, request: Request) -> None:
        role = request.meta.get(ROLE)
        if role is None:
            return None
        entry = self.ctx.seen.get(url_key(request.url))
        if entry is None:
            return None
        if entry.etag:
            request.headers.setdefault(b"If-None-Match", entry.etag)
        if entry.last_modified:
            request.headers.setdefault(b"If-Modified-Since", entry.last_modified)
        if role == "article" and entry.article_id and not (entry.etag or entry.last_modified):
            self.stats.inc_value("canhgac/skipped_seen")
            raise AlreadySeen(f"already stored: {request.url}")
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        role = request.meta.get(ROLE)
        if role is None:
            return response
        if response.status == 304:
            self.stats.inc_value("canhgac/not_modified")
            raise NotModified(f"not modified: {request.url}")
        if role == "listing" and response.status == 200:
            etag, modified = validators(response)
            if etag or modified:
                self.ctx.remember(SeenEntry(key=url_key(request.url), url=request.url,
                                            etag=etag, last_modified=modified))
        return response


def validators(response: Response) -> tuple[str | None, str | None]:
    """The response's ETag and Last-Modified, as text."""
    etag = response.headers.get(b"ETag")
    modified = response.headers.get(b"Last-Modified")
    return (etag.decode("latin-1") if etag else None,
            modified.decode("latin-1") if modified else None)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry middleware plus exponential back-off between tries
    (``CANHGAC_RETRY_BACKOFF_BASE`` × 2^(try-1), capped at ``..._MAX``), so a
    5xx storm slows us down instead of hammering the site."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("CANHGAC_RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("CANHGAC_RETRY_BACKOFF_MAX", 120.0)

    async def _pause(self, result: Any) -> None:
        if isinstance(result, Request) and self.base > 0:
            tries = result.meta.get("retry_times", 1)
            delay = min(self.cap, self.base * 2 ** (tries - 1))
            from twisted.internet import reactor  # the crawl's installed reactor

            await maybe_deferred_to_future(task.deferLater(reactor, delay, lambda: None))

    async def process_response(self, request: Request, response: Response) -> Any:  # type: ignore[override]
        result = super().process_response(request, response)
        await self._pause(result)
        return result

    async def process_exception(self, request: Request, exception: Exception) -> Any:  # type: ignore[override]
        result = super().process_exception(request, exception)
        await self._pause(result)
        return result
