"""Typed errors of the crawlers room.

::

    CrawlError
    ├── BadPage            a fetched page we cannot turn into an article
    │   ├── NotHtml        wrong content type or binary body
    │   ├── BrokenEncoding undecodable / mojibake text
    │   └── ExtractionFailed  trafilatura found no article text
    ├── BadFeed            a feed or listing that does not parse
    └── SourceNotFound     an unknown source id
"""

from __future__ import annotations


class CrawlError(Exception):
    """Root of the crawlers' errors; ``reason`` is the short dead-letter reason."""

    reason = "crawl_error"


class BadPage(CrawlError):
    reason = "bad_page"


class NotHtml(BadPage):
    reason = "not_html"


class BrokenEncoding(BadPage):
    reason = "broken_encoding"


class ExtractionFailed(BadPage):
    reason = "extraction_failed"


class BadFeed(CrawlError):
    reason = "bad_feed"


class SourceNotFound(CrawlError):
    reason = "unknown_source"
