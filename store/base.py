"""The storage contract every backend fulfils.

Everything persistent in Canhgac goes through a ``Store``.  Backends:
``store.sqlite.SQLiteStore`` (embedded default) and
``store.engine.EngineStore`` (Elasticsearch 8 / OpenSearch 2-3).  The same
contract test-suite (``tests/store/test_contract.py``) runs against each.

Writes are idempotent on document id.  ``bulk`` never loses a whole batch to
one bad document: it returns which documents failed and why.
"""

from __future__ import annotations

import abc
import base64
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from store.query import Agg, Document, MatchAll, Query, SearchPage, Sort
from store.schema import Collection, collection, format_timestamp

DEFAULT_PAGE = 100
MAX_PAGE = 10_000
DEAD_LETTER_RAW_LIMIT = 64 * 1024


@dataclass
class DocumentError:
    """Why one document of a bulk write was not stored."""

    index: int
    id: str | None
    reason: str


@dataclass
class BulkResult:
    """Outcome of a bulk write: ``written`` new or replaced, ``existing`` already
    there (``create`` mode), ``errors`` one per rejected document."""

    written: int = 0
    existing: int = 0
    errors: list[DocumentError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def merge(self, other: BulkResult, offset: int = 0) -> None:
        self.written += other.written
        self.existing += other.existing
        for err in other.errors:
            self.errors.append(DocumentError(err.index + offset, err.id, err.reason))


class Store(abc.ABC):
    """One store: a backend bound to its configuration."""

    backend: str = "abstract"

    # -- lifecycle -------------------------------------------------------------
    @abc.abstractmethod
    def init(self) -> None:
        """Create tables/indices/templates; safe to call again."""

    @abc.abstractmethod
    def status(self) -> dict[str, Any]:
        """Backend name, version, location and per-collection counts."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def refresh(self, name: str | None = None) -> None:  # noqa: B027 - optional hook
        """Make every acknowledged write visible to search (no-op on SQLite)."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes ----------------------------------------------------------------
    @abc.abstractmethod
    def bulk(self, name: str, docs: Iterable[dict[str, Any]], *, mode: str = "index",
             refresh: bool = False) -> BulkResult:
        """Write many documents, each carrying its id in the collection's id field.

        ``mode="index"`` replaces a document with the same id; ``mode="create"``
        keeps the first one and counts the rest as ``existing`` (events use it:
        replays are harmless).  A document that cannot be stored is reported in
        ``errors`` and the others are still written.
        """

    @abc.abstractmethod
    def get(self, name: str, doc_id: str) -> Document | None:
        """One document with its version token, or None."""

    @abc.abstractmethod
    def put(self, name: str, doc: dict[str, Any], *, if_version: str | None = None,
            refresh: bool = False) -> str:
        """Write one document; with ``if_version``, only if the stored version
        still matches (else ConflictError; NotFound when it vanished).  Returns
        the new version token."""

    def update(self, name: str, doc_id: str, changes: dict[str, Any], *,
               if_version: str | None = None, refresh: bool = False) -> str:
        """Merge ``changes`` (nested) into a stored document, optimistically."""
        from store.errors import NotFound

        current = self.get(name, doc_id)
        if current is None:
            raise NotFound(f"{name}/{doc_id} does not exist")
        merged = deep_merge(current.source, changes)
        return self.put(name, merged, if_version=if_version or current.version,
                        refresh=refresh)

    @abc.abstractmethod
    def delete(self, name: str, doc_id: str, *, refresh: bool = False) -> bool:
        """Remove one document; False when there was none."""

    @abc.abstractmethod
    def delete_by_query(self, name: str, query: Query) -> int:
        """Remove every matching document; returns how many."""

    # -- reads -----------------------------------------------------------------
    @abc.abstractmethod
    def search(self, name: str, query: Query | None = None, *,
               sort: list[Sort] | None = None, size: int = DEFAULT_PAGE,
               cursor: str | None = None) -> SearchPage:
        """One page of matching documents in ``sort`` order (id breaks ties);
        feed ``page.cursor`` back for the next page."""

    @abc.abstractmethod
    def count(self, name: str, query: Query | None = None) -> int:
        """How many documents match."""

    @abc.abstractmethod
    def aggregate(self, name: str, aggs: dict[str, Agg],
                  query: Query | None = None) -> dict[str, Any]:
        """Run aggregations over matching documents.

        Results: terms and date_histogram give ``[{"key": k, "count": n}, ...]``
        (histogram keys are ISO timestamps); cardinality gives an int; min, max
        and avg give a number (an ISO timestamp for date fields) or None.
        """

    @abc.abstractmethod
    def search_native(self, name: str, native: Any, *, size: int = DEFAULT_PAGE,
                      sort: list[Sort] | None = None) -> list[Document]:
        """Run a query in the backend's own language: an SQL boolean expression
        over the collection's table for SQLite, a query DSL object (or a
        Lucene query string) for the engine.  What the Sigma engine hands us."""

    # -- helpers shared by every backend --------------------------------------
    def scan(self, name: str, query: Query | None = None, *, sort: list[Sort] | None = None,
             page_size: int = 1000) -> Iterator[Document]:
        """Every matching document, page by page."""
        cursor = None
        while True:
            page = self.search(name, query or MatchAll(), sort=sort, size=page_size,
                               cursor=cursor)
            yield from page.hits
            if not page.cursor:
                return
            cursor = page.cursor

    def dead_letter(self, source: str, reason: str, raw: bytes | str,
                    context: dict[str, Any] | None = None) -> str:
        """Record input that could not be processed; returns its id.

        The raw input is kept (up to 64 KiB, base64 when it is not UTF-8) with
        the source and reason, so nothing bad is silently dropped."""
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
        digest = hashlib.sha256(source.encode() + b"\0" + data).hexdigest()[:32]
        truncated = len(data) > DEAD_LETTER_RAW_LIMIT
        data = data[:DEAD_LETTER_RAW_LIMIT]
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(data).decode("ascii"), "base64"
        doc = {
            "id": digest,
            "@timestamp": format_timestamp(datetime.now(UTC)),
            "source": source,
            "reason": reason,
            "raw": text,
            "raw_encoding": encoding,
            "raw_truncated": truncated,
            "context": context or {},
        }
        self.put("dead_letters", doc)
        return digest

    @staticmethod
    def collection(name: str) -> Collection:
        return collection(name)


def deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A new dict: ``changes`` laid over ``base``, recursing into objects."""
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of ``size`` items, the last one shorter (``itertools.batched``
    from Python 3.12, as lists)."""
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch
