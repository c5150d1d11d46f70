"""Source health: after each crawl, the ``sources`` collection records the
source's last run, last success, last error and running totals."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawlers.dates import utc_now
from crawlers.state import CrawlContext, context_for
from store.schema import format_timestamp

log = logging.getLogger(__name__)
OK_REASONS = {"finished"}


def health_id(source_id: str) -> str:
    return f"crawler:{source_id}"


class SourceHealth:
    """Writes ``sources/crawler:<id>`` when the crawl closes (in a thread)."""

    def __init__(self, ctx: CrawlContext, stats: Any) -> None:
        self.ctx = ctx
        self.stats = stats
        self.started = utc_now()

    @classmethod
    def from_crawler(cls, crawler: Any) -> SourceHealth:
        ext = cls(context_for(crawler), crawler.stats)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    async def spider_closed(self, spider: Any, reason: str) -> None:
        await maybe_deferred_to_future(deferToThread(self.record, reason))

    def record(self, reason: str) -> dict[str, Any]:
        """Merge this run's figures into the stored health document."""
        store, src = self.ctx.store, self.ctx.source
        now = format_timestamp(utc_now())
        get = self.stats.get_value
        items = int(get("canhgac/articles_written", 0))
        errors = int(get("canhgac/dead_letters", 0))
        current = store.get("sources", health_id(src.id))
        doc = dict(current.source) if current else {}
        doc.update({
            "id": health_id(src.id), "kind": "crawler", "source_id": src.id,
            "name": src.display_name, "source_kind": src.kind, "url": src.url,
            "schedule": src.schedule, "@timestamp": now, "updated_at": now,
            "last_run": now, "last_run_started": format_timestamp(self.started),
            "last_finish_reason": reason,
            "last_items": items, "last_errors": errors,
            "last_pages": int(get("response_received_count", 0)),
            "last_not_modified": int(get("canhgac/not_modified", 0)),
            "last_duplicates": int(get("canhgac/duplicates", 0)),
            "items_total": int(doc.get("items_total", 0)) + items,
            "errors_total": int(doc.get("errors_total", 0)) + errors,
        })
        if reason in OK_REASONS:
            doc["last_success"] = now
        else:
            doc["last_error_at"] = now
            doc["last_error"] = f"crawl ended: {reason}"
        last_error = get("canhgac/last_error")
        if last_error:
            doc["last_error"] = last_error
            doc["last_error_at"] = now
        store.put("sources", doc)
        return doc
