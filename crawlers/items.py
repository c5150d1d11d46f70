"""Item shapes the spiders yield (dataclass items, which Scrapy supports as is)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ArticleItem:
    """A news article or a social post, before normalisation.

    ``kind`` is ``article`` for news pages and ``post`` for social posts
    (which carry ``engagement`` counts and the ``thread`` they belong to)."""

    url: str
    title: str
    body: str
    kind: str = "article"
    canonical_url: str | None = None
    summary: str = ""
    author: str | None = None
    published: datetime | None = None
    published_from: str = "page"  # page | feed | api | fetched
    language: str | None = None
    images: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    engagement: dict[str, int] = field(default_factory=dict)
    thread: dict[str, Any] = field(default_factory=dict)
    external_id: str | None = None
    # HTTP validators of the fetched page, remembered for conditional GETs.
    etag: str | None = None
    last_modified: str | None = None
    # Filled by the pipelines.
    doc: dict[str, Any] | None = None


@dataclass
class DeadLetterItem:
    """Input the crawl could not use, with the reason; stored, never dropped."""

    reason: str
    url: str
    raw: bytes = b""
    detail: str = ""
    context: dict[str, Any] = field(default_factory=dict)
