"""Item pipelines: normalise → dedupe → enrich (NLP) → store.

Stages are enabled through ``ITEM_PIPELINES`` (see ``crawlers.settings``).
Nothing here blocks the reactor: store writes are batched and run in a
thread (``deferToThread``), flushed when a batch fills and on a timer.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task
from twisted.internet.defer import DeferredLock
from twisted.internet.threads import deferToThread

from crawlers.dates import utc_now
from crawlers.items import ArticleItem, DeadLetterItem
from crawlers.state import CrawlContext, SeenEntry, context_for
from crawlers.textnorm import (
    clean_line,
    clean_text,
    content_hash,
    detect_language,
    normalised_title,
)
from crawlers.urls import article_id, canonical_url, url_key
from store.schema import format_timestamp

log = logging.getLogger(__name__)


class NormalisePipeline:
    """Turns an ``ArticleItem`` into the ``articles`` document: canonical URL,
    deterministic id, NFC text, language, UTC times, content hash."""

    def __init__(self, ctx: CrawlContext) -> None:
        self.ctx = ctx

    @classmethod
    def from_crawler(cls, crawler: Any) -> NormalisePipeline:
        return cls(context_for(crawler))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        src = self.ctx.source
        body = clean_text(item.body)
        title = clean_line(item.title) or clean_line(body[:120])
        if not body and not title:
            raise DropItem(f"empty item from {item.url}")
        canonical = canonical_url(item.canonical_url or item.url)
        now = utc_now()
        published = item.published
        published_from = item.published_from
        if published is None:
            published, published_from = now, "fetched"
        language = item.language or detect_language(f"{title}\n{body}", hint=src.language)
        doc: dict[str, Any] = {
            "id": article_id(canonical),
            "@timestamp": format_timestamp(published),
            "url": item.url,
            "canonical_url": canonical,
            "title": title,
            "title_normalized": normalised_title(title),
            "summary": clean_line(item.summary) or body[:300],
            "body": body,
            "language": language,
            "author": clean_line(item.author) or None,
            "source": {"name": src.display_name, "kind": src.kind, "id": src.id},
            "kind": item.kind,
            "fetched_at": format_timestamp(now),
            "published_from": published_from,
            "content_hash": content_hash(f"{title}\n{body}"),
            "tags": sorted({*src.tags, *item.tags}),
            "images": item.images,
        }
        if item.engagement:
            doc["engagement"] = {k: int(v) for k, v in item.engagement.items()}
        if item.thread:
            doc["thread"] = item.thread
        if item.external_id:
            doc["external_id"] = item.external_id
        item.doc = doc
        return item


class DedupePipeline:
    """Drops the same story reached through another URL of the same source:
    same canonical URL in this run, or same content hash as a stored article."""

    def __init__(self, ctx: CrawlContext, stats: Any) -> None:
        self.ctx = ctx
        self.stats = stats
        self.ids: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> DedupePipeline:
        return cls(context_for(crawler), crawler.stats)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem) or item.doc is None:
            return item
        doc = item.doc
        owner = self.ctx.hashes.get(doc["content_hash"])
        if doc["id"] in self.ids or (owner is not None and owner != doc["id"]):
            self.stats.inc_value("canhgac/duplicates")
            raise DropItem(f"duplicate of {owner or doc['id']}: {item.url}")
        self.ids.add(doc["id"])
        with self.ctx.lock:
            self.ctx.hashes.setdefault(doc["content_hash"], doc["id"])
        return item


class EnrichPipeline:
    """The NLP stage: calls ``crawlers.nlp_enricher`` (``detection.nlp:enrich``
    by default: ``enrich(article: dict) -> dict``) in a thread, one article at
    a time.  Switches itself off (Scrapy logs it once) when the function is
    not importable; an article whose enrichment fails is stored unenriched."""

    def __init__(self, enrich: Callable[[dict[str, Any]], dict[str, Any]], stats: Any) -> None:
        self.enrich = enrich
        self.stats = stats
        self.lock = DeferredLock()  # NLP models are not assumed thread-safe
        self.warned = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> EnrichPipeline:
        cfg = context_for(crawler).settings.crawlers
        if not cfg.nlp_enrich or not cfg.nlp_enricher:
            raise NotConfigured("crawlers.nlp_enrich is off")
        enrich = find_enricher(cfg.nlp_enricher)
        if enrich is None:
            raise NotConfigured(f"{cfg.nlp_enricher} is not available")
        return cls(enrich, crawler.stats)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem) or item.doc is None:
            return item
        doc = item.doc
        try:
            enriched = await maybe_deferred_to_future(
                self.lock.run(deferToThread, self.enrich, dict(doc)))
        except Exception as exc:  # the NLP stage must never lose an article
            self.stats.inc_value("canhgac/enrich_errors")
            if not self.warned:
                self.warned = True
                log.warning("NLP enrichment failed (%s: %s); articles are stored "
                            "without it (counted in canhgac/enrich_errors)",
                            type(exc).__name__, exc)
            return item
        if isinstance(enriched, dict) and enriched.get("id") == doc["id"]:
            item.doc = enriched
            self.stats.inc_value("canhgac/enriched")
        return item


def find_enricher(target: str) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """The function named ``module:function`` (or ``module.function``), or None
    when its module is absent or the name is not callable."""
    module_name, _, attr = target.partition(":") if ":" in target else target.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    fn = getattr(module, attr, None)
    return fn if callable(fn) else None


CLOSE_ATTEMPTS = 4


def _sleep(seconds: float) -> Any:
    from twisted.internet import reactor  # the crawl's installed reactor

    return task.deferLater(reactor, seconds, lambda: None)


class StorePipeline:
    """Writes articles to ``articles`` in batches (``index`` mode: the id is the
    canonical URL's hash, so a re-crawl replaces, never duplicates), then
    records their URLs as seen; writes dead letters.  All in a thread."""

    def __init__(self, ctx: CrawlContext, stats: Any, batch_size: int, interval: float) -> None:
        self.ctx = ctx
        self.stats = stats
        self.batch_size = batch_size
        self.interval = interval
        self.articles: list[ArticleItem] = []
        self.dead: list[DeadLetterItem] = []
        self.lock = DeferredLock()
        self.timer: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        ctx = context_for(crawler)
        cfg = ctx.settings.crawlers
        return cls(ctx, crawler.stats, crawler.settings.getint("CANHGAC_BATCH_SIZE",
                                                                cfg.batch_size),
                   cfg.flush_seconds)

    def open_spider(self) -> None:
        self.timer = task.LoopingCall(self._tick)
        self.timer.start(self.interval, now=False)

    async def close_spider(self) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        for attempt in range(CLOSE_ATTEMPTS):
            await maybe_deferred_to_future(self.flush())
            if not (self.articles or self.dead or self.ctx.pending_seen):
                return
            await maybe_deferred_to_future(_sleep(0.5 * 2 ** attempt))
        log.error("store unavailable: %d articles and %d dead letters of %s not written; "
                  "their URLs stay unseen, so the next crawl fetches them again",
                  len(self.articles), len(self.dead), self.ctx.source.id)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, DeadLetterItem):
            self.dead.append(item)
        elif isinstance(item, ArticleItem) and item.doc is not None:
            self.articles.append(item)
        else:
            return item
        if len(self.articles) + len(self.dead) >= self.batch_size:
            await maybe_deferred_to_future(self.flush())
        return item

    def _tick(self) -> None:
        if self.articles or self.dead or self.ctx.pending_seen:
            self.flush()

    def flush(self) -> Any:
        """Hand the buffered items to a writer thread (one flush at a time).
        When the store fails, the batch goes back to the buffer for the next
        flush (at-least-once; ids are deterministic, so a retry duplicates
        nothing)."""
        articles, self.articles = self.articles, []
        dead, self.dead = self.dead, []
        d = self.lock.run(deferToThread, self._write, articles, dead)
        d.addErrback(self._requeue, articles, dead)
        return d

    def _requeue(self, failure: Any, articles: list[ArticleItem],
                 dead: list[DeadLetterItem]) -> None:
        self.stats.inc_value("canhgac/store_errors")
        log.warning("store write failed (%s); %d articles kept for the next flush",
                    failure.getErrorMessage(), len(articles))
        self.articles[:0] = articles
        self.dead[:0] = dead

    def _write(self, articles: list[ArticleItem], dead: list[DeadLetterItem]) -> None:
        """Runs in a thread: the only place this crawl writes to the store."""
        store, source = self.ctx.store, self.ctx.source
        if articles:
            result = store.bulk("articles", [a.doc for a in articles], mode="index")
            failed = {e.index: e.reason for e in result.errors}
            for i, item in enumerate(articles):
                if i in failed:
                    dead.append(DeadLetterItem("store_rejected", item.url, detail=failed[i],
                                               raw=(item.body or "").encode("utf-8")))
                    continue
                doc = item.doc or {}
                for url in {item.url, doc.get("canonical_url") or item.url}:
                    self.ctx.remember(SeenEntry(
                        key=url_key(url), url=url, etag=item.etag,
                        last_modified=item.last_modified,
                        content_hash=doc.get("content_hash"), article_id=doc.get("id")))
            self.stats.inc_value("canhgac/articles_written", result.written)
        for d in dead:
            store.dead_letter(f"crawler:{source.id}", d.reason, d.raw,
                              {"url": d.url, "detail": d.detail[:2000], **d.context})
            self.stats.inc_value("canhgac/dead_letters")
            self.stats.set_value("canhgac/last_error", f"{d.reason}: {d.url} {d.detail[:200]}")
        seen = self.ctx.take_pending()
        if seen:
            try:
                store.bulk("checkpoints", [s.doc(source.id) for s in seen], mode="index")
            except Exception:
                with self.ctx.lock:  # remembered again at the next flush
                    self.ctx.pending_seen[:0] = seen
                raise
