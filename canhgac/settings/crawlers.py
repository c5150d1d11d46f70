"""The ``crawlers`` section of the configuration: politeness and the sources.

A source is configuration, not code::

    crawlers:
      user_agent: "CanhgacBot/0.1 (+https://ioc.cantho.gov.vn/bot)"
      sources:
        - id: baocantho-thoisu
          name: Báo Cần Thơ — Thời sự
          kind: feed
          url: https://baocantho.example/rss/thoi-su.rss
          schedule: 15m
          language: vi
          tags: [press, local]
        - id: search-cantho
          kind: news_search
          url: https://news.example/rss/search?q={query}&hl=vi
          query: "Cần Thơ"
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from canhgac.settings import Section

SourceKind = Literal[
    "feed", "news_search", "sitemap", "site",
    "telegram", "forum", "mastodon", "youtube", "reddit",
]
SOCIAL_KINDS = ("telegram", "forum", "mastodon", "youtube", "reddit")
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def interval_seconds(text: str) -> int:
    """``"15m"`` → 900; a bare number is seconds.  ValueError otherwise."""
    m = _INTERVAL.match(text)
    if not m:
        raise ValueError(f"not an interval (like 90s, 15m, 2h, 1d): {text!r}")
    return int(m.group(1)) * _UNIT[m.group(2)]


class SourceSettings(Section):
    """One thing the crawlers watch."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]{0,63}$", description="stable id")
    name: str = ""
    kind: SourceKind
    url: str = Field(description="feed/sitemap/start/API URL; {query} is replaced by the query")
    query: str | None = Field(default=None, description="search words for news_search")
    allowed_domains: list[str] = Field(default_factory=list,
                                       description="default: the URL's host")
    allowed_paths: list[str] = Field(default_factory=list,
                                     description="URL path prefixes to follow (site kind)")
    schedule: str = Field(default="30m", description="poll interval: 90s, 15m, 2h, 1d")
    language: Literal["vi", "en", "other"] | None = Field(default=None,
                                                          description="hint when undetected")
    tags: list[str] = Field(default_factory=list)
    enabled: bool = True
    since_days: int | None = Field(default=None, ge=1,
                                   description="skip sitemap entries / items older than this")
    max_pages: int = Field(default=500, ge=1, description="page budget per run")
    max_depth: int = Field(default=3, ge=0, description="link depth for the site kind")

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        interval_seconds(value)
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value

    @model_validator(mode="after")
    def _query_for_search(self) -> SourceSettings:
        if self.kind == "news_search" and not self.query:
            raise ValueError(f"source {self.id}: kind news_search needs a query")
        return self

    @property
    def interval(self) -> int:
        return interval_seconds(self.schedule)

    @property
    def display_name(self) -> str:
        return self.name or self.id

    def domains(self) -> list[str]:
        """Allowed hosts: the configured ones, else the URL's host."""
        if self.allowed_domains:
            return [d.lower() for d in self.allowed_domains]
        return [(urlsplit(self.url).hostname or "").lower()]


class CrawlersSettings(Section):
    """Politeness and sources of the crawlers room."""

    user_agent: str = "CanhgacBot/0.1 (+https://github.com/canhgac; city IOC listening post)"
    obey_robots: bool = True
    autothrottle: bool = True
    autothrottle_target_concurrency: float = Field(default=1.0, gt=0)
    download_delay: float = Field(default=1.0, ge=0)
    concurrent_requests: int = Field(default=16, ge=1)
    concurrent_per_domain: int = Field(default=2, ge=1)
    download_timeout: float = Field(default=30.0, gt=0)
    download_maxsize: int = Field(default=8 * 1024 * 1024, ge=1024,
                                  description="bytes; a bigger page is a dead letter")
    retry_times: int = Field(default=3, ge=0)
    retry_backoff_base: float = Field(default=2.0, ge=0, description="seconds, doubled per try")
    retry_backoff_max: float = Field(default=120.0, ge=0)
    redirect_max: int = Field(default=10, ge=1)
    batch_size: int = Field(default=200, ge=1, description="articles per store write")
    flush_seconds: float = Field(default=2.0, gt=0, description="store write interval")
    nlp_enrich: bool = Field(default=True, description="run the NLP stage when available")
    nlp_enricher: str = Field(default="detection.nlp:enrich",
                              description="module:function taking and returning an article")
    sources: list[SourceSettings] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> CrawlersSettings:
        seen: set[str] = set()
        for src in self.sources:
            if src.id in seen:
                raise ValueError(f"crawlers.sources: duplicate source id {src.id!r}")
            seen.add(src.id)
        return self

    def source(self, source_id: str) -> SourceSettings:
        """The source with this id; KeyError naming the known ids otherwise."""
        for src in self.sources:
            if src.id == source_id:
                return src
        known = ", ".join(s.id for s in self.sources) or "none configured"
        raise KeyError(f"no crawler source {source_id!r} (known: {known})")
