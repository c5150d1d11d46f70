"""``EngineStore``: the storage contract on OpenSearch 2.x/3.x or Elasticsearch 8.x.

Layout, per namespace ``<ns>`` (``default`` unless tests isolate themselves):

- events go to data streams ``logs-<dataset>-<ns>`` (dataset from
  ``event.dataset``, ``generic`` when absent) and are read through
  ``logs-*-<ns>``; the composable template ``canhgac-<ns>-events`` (priority
  500) gives them the events mapping;
- every other collection is the plain index ``canhgac-<ns>-<collection>``.

Ids are the documents' own, so writes are idempotent.  Data streams only
take ``create`` and keep ids unique per backing index, so for events we look
ids up across the whole pattern first: a replay is counted as ``existing`` and
a replacement (``mode="index"``, ``put``) goes to the backing index that
already holds the document.  Versions are ``"<seq_no>:<primary_term>"``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from store.base import DEFAULT_PAGE, MAX_PAGE, BulkResult, DocumentError, Store
from store.engine import translate as tr
from store.engine.adapters import EngineAdapter, error_reason, make_adapter, redact_url
from store.engine.mappings import events_template, index_body, mapping
from store.errors import ConflictError, InvalidDocument, NotFound, QueryError, StoreError
from store.query import Agg, Document, Query, SearchPage, Sort
from store.schema import (
    COLLECTIONS,
    Collection,
    collection,
    get_path,
    prepare_document,
)

EVENTS = "events"
BULK_DOCS = 5000
BULK_BYTES = 10 * 1024 * 1024
MSEARCH_CHUNK = 200
RETRIES = 3
NAMESPACE = re.compile(r"^[a-z0-9_]{1,64}$")
_DATASET_JUNK = re.compile(r"[^a-z0-9._]")


@dataclass
class _Pending:
    """A validated document waiting in a bulk chunk."""

    index: int
    id: str
    doc: dict[str, Any]
    size: int


@dataclass
class _Op:
    """One bulk operation: ``create`` or ``index`` of a pending document into
    ``target``, conditional on ``(seq_no, primary_term)`` when given."""

    pending: _Pending
    op: str
    target: str
    condition: tuple[int, int] | None = None

    def action(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"_index": self.target, "_id": self.pending.id}
        if self.condition is not None:
            meta["if_seq_no"], meta["if_primary_term"] = self.condition
        return {self.op: meta}


def dataset_of(doc: dict[str, Any]) -> str:
    """The data-stream dataset of an event: ``event.dataset`` made safe."""
    value = get_path(doc, "event.dataset")
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str) or not value.strip():
        return "generic"
    return _DATASET_JUNK.sub("_", value.strip().lower())[:100]


class EngineStore(Store):
    """The store on a search engine cluster."""

    backend = "opensearch"

    def __init__(self, url: str, *, product: str = "opensearch", username: str | None = None,
                 password: str | None = None, api_key: str | None = None,
                 verify_certs: bool = True, ca_certs: str | None = None,
                 namespace: str = "default", timeout: float = 30.0, retries: int = 1) -> None:
        if not NAMESPACE.match(namespace):
            raise ValueError(f"namespace must match [a-z0-9_]{{1,64}}, got {namespace!r}")
        self.adapter: EngineAdapter = make_adapter(
            product, url, username=username, password=password, api_key=api_key,
            verify_certs=verify_certs, ca_certs=ca_certs, timeout=timeout, retries=retries)
        self.backend = product
        self.url = redact_url(url)
        self.namespace = namespace
        self.engine: dict[str, str] | None = None
        self._ready = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"EngineStore({self.url!r}, product={self.backend!r}, namespace={self.namespace!r})"

    # -- naming ------------------------------------------------------------------------
    @property
    def events_pattern(self) -> str:
        return f"logs-*-{self.namespace}"

    @property
    def template_name(self) -> str:
        return f"canhgac-{self.namespace}-events"

    def index_name(self, name: str) -> str:
        """Where reads of collection ``name`` go (the data-stream pattern for events)."""
        coll = collection(name)
        if coll.name == EVENTS:
            return self.events_pattern
        return f"canhgac-{self.namespace}-{coll.name}"

    def data_stream(self, doc: dict[str, Any]) -> str:
        return f"logs-{dataset_of(doc)}-{self.namespace}"

    # -- lifecycle -----------------------------------------------------------------------
    def init(self) -> None:
        """Check the engine, install the events template, create (or extend) indices."""
        self.engine = self.adapter.check()
        self.adapter.put_index_template(self.template_name,
                                        events_template(COLLECTIONS[EVENTS], self.namespace))
        for coll in COLLECTIONS.values():
            if coll.name == EVENTS:
                continue
            index = self.index_name(coll.name)
            if not self.adapter.create_index(index, index_body(coll)):
                try:
                    self.adapter.put_mapping(index, mapping(coll))
                except QueryError as exc:
                    raise StoreError(f"index {index} has a mapping incompatible with this "
                                     f"version of Canhgac (reindex needed): {exc}") from exc
        self._ready = True

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                self.init()

    def status(self) -> dict[str, Any]:
        self._ensure()
        health = self.adapter.health()
        engine = self.engine or {}
        counts = {name: self.count(name) for name in COLLECTIONS}
        return {
            "backend": self.backend,
            "url": self.url,
            "product": engine.get("product"),
            "version": engine.get("version"),
            "cluster_name": health.get("cluster_name"),
            "health": health.get("status"),
            "nodes": health.get("number_of_nodes"),
            "namespace": self.namespace,
            "collections": counts,
        }

    def refresh(self, name: str | None = None) -> None:
        self._ensure()
        if name is None:
            target = f"{self.events_pattern},canhgac-{self.namespace}-*"
        else:
            target = self.index_name(name)
        self.adapter.refresh(target)

    def close(self) -> None:
        self.adapter.close()

    def drop_namespace(self) -> None:
        """Delete this namespace's data streams, indices and template (tests use it)."""
        for stream in self.adapter.data_streams(self.events_pattern):
            self.adapter.delete_data_stream(stream["name"])
        self.adapter.delete_index_template(self.template_name)
        for name in COLLECTIONS:
            if name != EVENTS:
                self.adapter.delete_index(self.index_name(name))
        self._ready = False

    # -- bulk writes ---------------------------------------------------------------------
    @staticmethod
    def _prepare(coll: Collection, i: int, doc: Any, result: BulkResult) -> _Pending | None:
        """Validate and canonicalise one document; a bad one goes to ``result.errors``."""
        doc, problems = prepare_document(coll, doc)
        doc_id = get_path(doc, coll.id_field) if isinstance(doc, dict) else None
        if problems:
            result.errors.append(DocumentError(i, doc_id if isinstance(doc_id, str) else None,
                                               "; ".join(problems)))
            return None
        try:
            size = len(orjson.dumps(doc))
        except (TypeError, ValueError, orjson.JSONEncodeError) as exc:
            result.errors.append(DocumentError(i, doc_id, f"not storable as JSON: {exc}"))
            return None
        return _Pending(i, doc_id, doc, size)

    def bulk(self, name: str, docs: Iterable[dict[str, Any]], *, mode: str = "index",
             refresh: bool = False) -> BulkResult:
        if mode not in ("index", "create"):
            raise QueryError(f"bulk mode must be index or create, got {mode!r}")
        coll = collection(name)
        self._ensure()
        result = BulkResult()
        chunk: list[_Pending] = []
        size = 0
        for i, doc in enumerate(docs):
            pending = self._prepare(coll, i, doc, result)
            if pending is None:
                continue
            chunk.append(pending)
            size += pending.size
            if len(chunk) >= BULK_DOCS or size >= BULK_BYTES:
                self._write_chunk(coll, chunk, mode, result)
                chunk, size = [], 0
        if chunk:
            self._write_chunk(coll, chunk, mode, result)
        if refresh:
            self.refresh(name)
        result.errors.sort(key=lambda e: e.index)
        return result

    def _write_chunk(self, coll: Collection, chunk: list[_Pending], mode: str,
                     result: BulkResult) -> None:
        # The same id twice in one chunk: create keeps the first (the others
        # are existing), index sends the last (the others count as written,
        # replaced at once), as the SQLite backend does within a batch.
        unique: dict[str, _Pending] = {}
        for p in chunk:
            if p.id in unique:
                if mode == "create":
                    result.existing += 1
                    continue
                result.written += 1
            unique[p.id] = p
        if coll.name != EVENTS:
            op = "create" if mode == "create" else "index"
            target = self.index_name(coll.name)
            self._send([_Op(p, op, target) for p in unique.values()], mode, result)
            return
        ops: list[_Op] = []
        where = self._locate_many(list(unique))
        for p in unique.values():
            hit = where.get(p.id)
            if hit is None:
                ops.append(_Op(p, "create", self.data_stream(p.doc)))
            elif mode == "create":
                result.existing += 1
            else:
                ops.append(self._replace_op(p, hit))
        self._send(ops, mode, result)

    def _replace_op(self, p: _Pending, hit: dict[str, Any]) -> _Op:
        """Overwrite an event in its backing index: the engine only allows it
        conditionally, on the sequence number we saw."""
        return _Op(p, "index", hit["_index"], (hit["_seq_no"], hit["_primary_term"]))

    def _send(self, ops: list[_Op], mode: str, result: BulkResult) -> None:
        """Send bulk operations.  Rejections (429) are retried after a pause;
        an event that changed or appeared under our feet is read again in real
        time and replaced (``index`` mode), a few times at most."""
        for attempt in range(RETRIES + 1):
            if not ops:
                return
            # Serialised here with orjson: the clients' own JSON serialiser was
            # the largest single cost of a bulk write.  Both clients pass
            # pre-serialised lines through untouched.
            lines: list[bytes] = []
            for op in ops:
                lines += [orjson.dumps(op.action()), orjson.dumps(op.pending.doc)]
            body = b"\n".join(lines) + b"\n"
            items = self.adapter.bulk(body)["items"]
            again: list[_Op] = []
            reread: list[_Op] = []
            busy = False
            for op, item in zip(ops, items, strict=True):
                answer = next(iter(item.values()))
                status = int(answer.get("status", 500))
                if 200 <= status < 300:
                    result.written += 1
                elif status == 409 and op.op == "create" and mode == "create":
                    result.existing += 1
                elif status == 409 and attempt < RETRIES:
                    reread.append(_Op(op.pending, op.op, answer.get("_index") or op.target))
                elif status == 429 and attempt < RETRIES:
                    again.append(op)
                    busy = True
                else:
                    reason = error_reason(answer.get("error") or f"HTTP {status}")
                    result.errors.append(DocumentError(op.pending.index, op.pending.id, reason))
            again += self._reread(reread)
            ops = again
            if busy:
                time.sleep(0.5 * 2 ** attempt)

    def _reread(self, ops: list[_Op]) -> list[_Op]:
        """Replacement operations for events whose stored copy we must re-read."""
        if not ops:
            return []
        found = self.adapter.mget([{"_index": op.target, "_id": op.pending.id} for op in ops])
        out = []
        for op, doc in zip(ops, found, strict=True):
            if doc.get("found"):
                out.append(self._replace_op(op.pending, doc))
            else:  # gone meanwhile: create it afresh
                out.append(_Op(op.pending, "create", self.data_stream(op.pending.doc)))
        return out

    # -- locating events across data streams ------------------------------------------
    def _locate_many(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Where each id is already stored (as of the last refresh): hits with
        ``_index``, ``_seq_no`` and ``_primary_term``."""
        if not ids:
            return {}
        body = {"query": {"ids": {"values": ids}}, "size": len(ids), "_source": False,
                "track_total_hits": False, "seq_no_primary_term": True}
        response = self.adapter.search(self.events_pattern, body)
        return {h["_id"]: h for h in response["hits"]["hits"]}

    def _event_hit(self, doc_id: str) -> dict[str, Any] | None:
        """The stored event ``doc_id`` read in real time (multi-get on every
        backing index), or None."""
        backing = [ix["index_name"] for ds in self.adapter.data_streams(self.events_pattern)
                   for ix in ds.get("indices", [])]
        for doc in self.adapter.mget([{"_index": ix, "_id": doc_id} for ix in backing]):
            if doc.get("found"):
                return doc
        return None

    def _hit(self, coll: Collection, doc_id: str) -> dict[str, Any] | None:
        if coll.name == EVENTS:
            return self._event_hit(doc_id)
        return self.adapter.get(self.index_name(coll.name), doc_id)

    # -- single documents --------------------------------------------------------------
    def get(self, name: str, doc_id: str) -> Document | None:
        coll = collection(name)
        self._ensure()
        hit = self._hit(coll, doc_id)
        return None if hit is None else tr.to_document(hit)

    def put(self, name: str, doc: dict[str, Any], *, if_version: str | None = None,
            refresh: bool = False) -> str:
        coll = collection(name)
        self._ensure()
        result = BulkResult()
        pending = self._prepare(coll, 0, doc, result)
        if pending is None:
            raise InvalidDocument(result.errors[0].reason)
        if if_version is not None:
            answer = self._put_if(coll, pending, if_version, refresh)
        elif coll.name == EVENTS:
            answer = self._put_event(pending, refresh)
        else:
            answer = self.adapter.index(self.index_name(coll.name), pending.id, pending.doc,
                                        refresh=refresh)
        return str(tr.version_token(answer["_seq_no"], answer["_primary_term"]))

    def _put_event(self, p: _Pending, refresh: bool) -> dict[str, Any]:
        """Write an event wherever it lives (or create it), whatever its version."""
        for _ in range(RETRIES):
            hit = self._event_hit(p.id)
            try:
                if hit is None:
                    return self.adapter.index(self.data_stream(p.doc), p.id, p.doc,
                                              op_type="create", refresh=refresh)
                return self.adapter.index(hit["_index"], p.id, p.doc, if_seq_no=hit["_seq_no"],
                                          if_primary_term=hit["_primary_term"], refresh=refresh)
            except ConflictError:  # written by someone else meanwhile: read it again
                continue
        raise ConflictError(f"events/{p.id} kept changing while we wrote it")

    def _put_if(self, coll: Collection, p: _Pending, if_version: str,
                refresh: bool) -> dict[str, Any]:
        """Write only if the stored version is still ``if_version``."""
        where = f"{coll.name}/{p.id}"
        if coll.name == EVENTS:
            hit = self._event_hit(p.id)
            if hit is None:
                raise NotFound(f"{where} does not exist")
            target = hit["_index"]
        else:
            target = self.index_name(coll.name)
        wanted = tr.parse_version(if_version)
        try:
            if wanted is None:
                raise ConflictError(f"{where}: {if_version!r} is not a version of this store")
            return self.adapter.index(target, p.id, p.doc, if_seq_no=wanted[0],
                                      if_primary_term=wanted[1], refresh=refresh)
        except ConflictError as exc:
            if self._hit(coll, p.id) is None:
                raise NotFound(f"{where} does not exist") from exc
            raise ConflictError(f"{where} changed since version {if_version}") from exc

    def delete(self, name: str, doc_id: str, *, refresh: bool = False) -> bool:
        coll = collection(name)
        self._ensure()
        if coll.name == EVENTS:
            hit = self._event_hit(doc_id)
            if hit is None:
                return False
            return self.adapter.delete(hit["_index"], doc_id, refresh=refresh)
        return self.adapter.delete(self.index_name(name), doc_id, refresh=refresh)

    def delete_by_query(self, name: str, query: Query) -> int:
        coll = collection(name)
        body = tr.to_query(coll, query)
        self._ensure()
        target = self.index_name(name)
        self.adapter.refresh(target)  # also delete what was written a moment ago
        return self.adapter.delete_by_query(target, body)

    # -- reads ---------------------------------------------------------------------------
    def _search(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """One ``_search`` on a collection, refusing partial answers."""
        response = self.adapter.search(self.index_name(name), body)
        failure = tr.shard_failure(response)
        if failure:
            raise QueryError(f"search on {name}: {failure}")
        return response

    @staticmethod
    def _check_size(size: int) -> None:
        if not isinstance(size, int) or not 0 <= size <= MAX_PAGE:
            raise QueryError(f"size must be between 0 and {MAX_PAGE}")

    def search(self, name: str, query: Query | None = None, *, sort: list[Sort] | None = None,
               size: int = DEFAULT_PAGE, cursor: str | None = None) -> SearchPage:
        coll = collection(name)
        self._check_size(size)
        body = tr.search_body(coll, query, sort=sort, size=size, cursor=cursor)
        self._ensure()
        response = self._search(name, body)
        return SearchPage(tr.read_hits(response), tr.read_total(response),
                          tr.next_cursor(response, size))

    def count(self, name: str, query: Query | None = None) -> int:
        coll = collection(name)
        body = tr.to_query(coll, query)
        self._ensure()
        response = self.adapter.count(self.index_name(name), body)
        failure = tr.shard_failure(response)
        if failure:
            raise QueryError(f"count on {name}: {failure}")
        return int(response["count"])

    def aggregate(self, name: str, aggs: dict[str, Agg],
                  query: Query | None = None) -> dict[str, Any]:
        coll = collection(name)
        if not aggs:
            return {}
        body = tr.aggregate_body(coll, aggs, query)
        self._ensure()
        response = self._search(name, body)
        return tr.read_aggs(coll, aggs, response.get("aggregations"))

    def _native_body(self, coll: Collection, native: Any, size: int,
                     sort: list[Sort] | None) -> dict[str, Any]:
        self._check_size(size)
        return {"query": tr.native_query(native), "sort": tr.to_sort(coll, sort),
                "size": size, "seq_no_primary_term": True, "track_total_hits": False}

    def search_native(self, name: str, native: Any, *, size: int = DEFAULT_PAGE,
                      sort: list[Sort] | None = None) -> list[Document]:
        """``native`` is a query DSL object (or a body holding ``query``) or a
        Lucene query string (run as ``query_string``)."""
        coll = collection(name)
        body = self._native_body(coll, native, size, sort)
        self._ensure()
        return tr.read_hits(self._search(name, body))

    def scan_native(self, name: str, native: Any, *, sort: list[Sort] | None = None,
                    page_size: int = 1000, source: bool = True) -> Iterator[Document]:
        """Every document a native query matches, page by page (``search_after``
        on ``sort``, then the id): ``search_native`` without its page limit.
        ``source=False``: ids only (each document's ``source`` is empty)."""
        coll = collection(name)
        body = self._native_body(coll, native, page_size, sort)
        if not source:
            body["_source"] = False
        self._ensure()
        while True:
            response = self._search(name, body)
            yield from tr.read_hits(response)
            hits = response.get("hits", {}).get("hits", [])
            if len(hits) < page_size:
                return
            body["search_after"] = hits[-1]["sort"]

    def msearch_native(self, name: str, natives: list[Any], *, size: int = DEFAULT_PAGE,
                       sort: list[Sort] | None = None) -> list[list[Document]]:
        """Run many native queries in few round trips (``_msearch``); one list
        of documents per query, in order.  A failing query raises QueryError
        naming its position."""
        coll = collection(name)
        bodies = [self._native_body(coll, n, size, sort) for n in natives]
        self._ensure()
        out: list[list[Document]] = []
        for start in range(0, len(bodies), MSEARCH_CHUNK):
            responses = self.adapter.msearch(self.index_name(name),
                                             bodies[start:start + MSEARCH_CHUNK])
            for offset, response in enumerate(responses):
                failure = (error_reason(response) if "error" in response
                           else tr.shard_failure(response))
                if failure:
                    raise QueryError(f"native query {start + offset} on {name}: {failure}")
                out.append(tr.read_hits(response))
        return out
