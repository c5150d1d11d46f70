"""Log lines without whole items in them (articles are long)."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import logformatter


class ShortLogFormatter(logformatter.LogFormatter):
    """Dropped and scraped items are logged by URL, not by their full text."""

    def dropped(self, item: Any, exception: BaseException, response: Any,
                spider: Any = None) -> dict[str, Any]:
        return {"level": logging.INFO, "msg": "Dropped: %(exception)s",
                "args": {"exception": exception}}

    def scraped(self, item: Any, response: Any, spider: Any = None) -> dict[str, Any]:
        return {"level": logging.DEBUG, "msg": "Scraped %(url)s",
                "args": {"url": getattr(item, "url", "")}}
