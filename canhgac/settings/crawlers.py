"""The `crawlers` section of the configuration."""

from __future__ import annotations

from canhgac.settings import Section


class CrawlersSettings(Section):
    """Settings of the crawlers room (extended as the room grows)."""
