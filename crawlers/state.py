"""The per-crawl context every component of one crawl shares.

One crawl = one source.  The context holds the store, the source, the seen
index (URL → validators, content hash) loaded once when the crawl opens, and
the queue of seen-entries to write.  Components get it with
``context_for(crawler)`` (one per crawler, built on first use from the
crawler's settings), so nothing is configured through spider attributes.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from canhgac.config import Settings
from canhgac.config import load as load_config
from canhgac.settings.crawlers import SourceSettings
from crawlers.dates import utc_now
from crawlers.errors import SourceNotFound
from store import Store, open_store
from store.query import Bool, Term
from store.schema import format_timestamp

log = logging.getLogger(__name__)
SEEN_KIND = "crawl_seen"
_CONTEXTS: weakref.WeakKeyDictionary[Any, CrawlContext] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


@dataclass
class SeenEntry:
    """What we remember about one URL of a source."""

    key: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    article_id: str | None = None

    def doc(self, source_id: str) -> dict[str, Any]:
        return {
            "id": f"{SEEN_KIND}:{source_id}:{self.key}", "kind": SEEN_KIND,
            "source_id": source_id, "url": self.url, "etag": self.etag,
            "last_modified": self.last_modified, "content_hash": self.content_hash,
            "article_id": self.article_id, "updated_at": format_timestamp(utc_now()),
        }


@dataclass
class CrawlContext:
    settings: Settings
    source: SourceSettings
    store: Store
    seen: dict[str, SeenEntry] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)  # content hash → article id
    pending_seen: list[SeenEntry] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, entry: SeenEntry) -> None:
        """Record (in memory now, in the store at the next flush)."""
        with self.lock:
            old = self.seen.get(entry.key)
            if old is not None:
                entry.content_hash = entry.content_hash or old.content_hash
                entry.article_id = entry.article_id or old.article_id
            self.seen[entry.key] = entry
            if entry.content_hash and entry.article_id:
                self.hashes.setdefault(entry.content_hash, entry.article_id)
            self.pending_seen.append(entry)

    def take_pending(self) -> list[SeenEntry]:
        with self.lock:
            out, self.pending_seen = self.pending_seen, []
        return out

    def load_seen(self) -> int:
        """Read this source's seen index from the store (one paged scan)."""
        query = Bool(filter=[Term("kind", SEEN_KIND), Term("source_id", self.source.id)])
        n = 0
        for hit in self.store.scan("checkpoints", query):
            src = hit.source
            key = str(src["id"]).rsplit(":", 1)[-1]
            entry = SeenEntry(key=key, url=src.get("url", ""), etag=src.get("etag"),
                              last_modified=src.get("last_modified"),
                              content_hash=src.get("content_hash"),
                              article_id=src.get("article_id"))
            self.seen[key] = entry
            if entry.content_hash and entry.article_id:
                self.hashes.setdefault(entry.content_hash, entry.article_id)
            n += 1
        return n


_STORES: dict[str, Store] = {}


def _shared_store(settings: Settings) -> Store:
    """One store per process and configuration (crawls of several sources
    run side by side in one process and share its connections)."""
    key = settings.model_dump_json(include={"store", "data_dir"})
    store = _STORES.get(key)
    if store is None:
        store = _STORES[key] = open_store(settings)
        store.init()
    return store


def context_for(crawler: Any) -> CrawlContext:
    """The crawl's shared context, built from ``CANHGAC_SOURCE_ID`` and the
    configuration (``CANHGAC_CONFIG_PATH`` or the usual lookup)."""
    with _LOCK:
        ctx = _CONTEXTS.get(crawler)
        if ctx is not None:
            return ctx
        settings = load_config(crawler.settings.get("CANHGAC_CONFIG_PATH"))
        source_id = crawler.settings.get("CANHGAC_SOURCE_ID")
        try:
            source = settings.crawlers.source(source_id)
        except KeyError as exc:
            raise SourceNotFound(str(exc)) from None
        store = _shared_store(settings)
        ctx = CrawlContext(settings=settings, source=source, store=store)
        n = ctx.load_seen()
        log.info("source %s: %d seen URLs loaded", source.id, n)
        _CONTEXTS[crawler] = ctx
        return ctx
