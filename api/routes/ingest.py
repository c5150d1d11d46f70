"""Event ingestion for machines: NDJSON and an Elasticsearch-compatible ``_bulk``.

Shippers configured for Elasticsearch (Filebeat, Vector, Logstash) point their
output at this service: they send ``index``/``create`` action lines, each
followed by a document, and read back the ES bulk response (per-item status).
Every document becomes an ECS event written with ``mode="create"`` (a replay
is harmless).  A bad line is answered with an item error and kept in
``dead_letters`` with the reason; the good lines around it are stored.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.auth.accounts import Principal
from api.context import ctx
from api.routes.common import caller
from canhgac import ecs
from store.base import Store
from store.query import Ids

DATA_STREAM = re.compile(r"^logs-(?P<dataset>[a-z0-9_.]+)-(?P<ns>[a-z0-9_]+)$")
ES_VERSION = "8.15.0"
# Elasticsearch clients check this header to know they talk to Elasticsearch.
ES_HEADERS = {"X-Elastic-Product": "Elasticsearch"}


@dataclass
class Item:
    """One document of a bulk request and what became of it."""

    action: str
    index: str
    id: str | None = None
    doc: dict[str, Any] | None = None
    error: tuple[str, str] | None = None  # (type, reason)
    status: int = 0
    result: str = ""


def _event(raw: Any, meta: dict[str, Any], index: str) -> dict[str, Any]:
    """A shipper's document as an ECS event with a deterministic id (EventError if unusable)."""
    if not isinstance(raw, dict):
        raise ecs.EventError(["a document must be a JSON object"])
    doc = raw
    m = DATA_STREAM.match(index)
    if m and ecs.get(doc, "event.dataset") is None:
        ecs.put(doc, "event.dataset", m["dataset"])
    given = meta.get("_id") or ecs.get(doc, "event.id")
    if given is not None and (not isinstance(given, str) or not 0 < len(given) <= 200):
        raise ecs.EventError(["_id / event.id must be text of 1-200 characters"])
    # The id comes from the content as sent (before event.ingested), so a replay matches.
    ecs.put(doc, "event.id", given or ecs.content_id(doc))
    if ecs.get(doc, "event.ingested") is None:
        ecs.put(doc, "event.ingested", ecs.now())
    return ecs.validate(doc)


def _write(store: Store, items: list[Item], source: str, principal: str,
           raws: list[bytes]) -> None:
    """Store the valid items, dead-letter the invalid ones, fill each status."""
    for item, raw in zip(items, raws, strict=True):
        if item.error is not None:
            store.dead_letter(source, item.error[1], raw, {"principal": principal,
                                                           "action": item.action})
    good = [it for it in items if it.error is None and it.doc is not None]
    if not good:
        return
    ids = list({it.id for it in good if it.id})
    seen: set[str] = set()
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        seen.update(d.id for d in store.search("events", Ids(chunk), size=len(chunk)).hits)
    result = store.bulk("events", [it.doc for it in good], mode="create")  # type: ignore[misc]
    failed = {e.index: e.reason for e in result.errors}
    batch_seen: set[str] = set()
    for n, it in enumerate(good):
        if n in failed:
            it.error, it.status = ("document_parsing_exception", failed[n]), 400
            store.dead_letter(source, failed[n], orjson.dumps(it.doc), {"principal": principal})
        elif it.id in seen or it.id in batch_seen:
            it.status, it.result = 200, "noop"
        else:
            it.status, it.result = 201, "created"
        batch_seen.add(it.id or "")


def _parse_bulk(body: bytes, default_index: str) -> tuple[list[Item], list[bytes]]:
    items: list[Item] = []
    raws: list[bytes] = []
    lines = iter(body.split(b"\n"))
    for line in lines:
        if not line.strip():
            continue
        try:
            action_line = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            items.append(Item("index", default_index,
                              error=("parse_exception", f"action line is not JSON: {exc}"),
                              status=400))
            raws.append(line)
            continue
        if not isinstance(action_line, dict) or len(action_line) != 1:
            items.append(Item("index", default_index, status=400, error=(
                "illegal_argument_exception", "an action line is one object with one key")))
            raws.append(line)
            continue
        ((action, meta),) = action_line.items()
        meta = meta if isinstance(meta, dict) else {}
        index = str(meta.get("_index") or default_index)[:255]
        item = Item(str(action)[:20], index, id=meta.get("_id") if isinstance(
            meta.get("_id"), str) else None)
        if action == "delete":
            item.error, item.status = ("action_not_supported",
                                       "events are append-only: delete is refused"), 400
            items.append(item)
            raws.append(line)
            continue
        source = next(lines, None)
        if action not in ("index", "create"):
            item.error, item.status = ("action_not_supported",
                                       f"only index and create are accepted, not {action!r}"), 400
        elif source is None:
            item.error, item.status = ("parse_exception", "action line without a document"), 400
        else:
            try:
                item.doc = _event(orjson.loads(source), meta, index)
                item.id = ecs.get(item.doc, "event.id")
            except orjson.JSONDecodeError as exc:
                item.error, item.status = ("document_parsing_exception", f"not JSON: {exc}"), 400
            except ecs.EventError as exc:
                item.error, item.status = ("document_parsing_exception", str(exc)), 400
        items.append(item)
        raws.append(line + b"\n" + (source or b""))
    return items, raws


def _bulk_response(items: list[Item], started: float) -> dict[str, Any]:
    out = []
    for it in items:
        entry: dict[str, Any] = {"_index": it.index, "_id": it.id, "status": it.status}
        if it.error:
            entry["error"] = {"type": it.error[0], "reason": it.error[1]}
        else:
            entry["result"] = it.result
            entry["_version"] = 1
        out.append({it.action if it.action in ("index", "create", "delete", "update")
                    else "index": entry})
    return {"took": int((time.perf_counter() - started) * 1000),
            "errors": any(it.error for it in items), "items": out}


async def _bulk(request: Request, index: str) -> JSONResponse:
    started = time.perf_counter()
    c = ctx(request)
    who: Principal = caller(request)
    body = await request.body()
    items, raws = _parse_bulk(body, index)
    await run_in_threadpool(_write, c.store, items, "api:_bulk", who.name, raws)
    return JSONResponse(_bulk_response(items, started), headers=ES_HEADERS)


async def es_bulk(request: Request) -> JSONResponse:
    """Elasticsearch ``_bulk``: NDJSON action/document pairs, ES bulk response."""
    return await _bulk(request, "events")


async def es_bulk_index(request: Request, index: str) -> JSONResponse:
    """Elasticsearch ``<index>/_bulk`` (the index is a default for action lines)."""
    return await _bulk(request, index[:255])


def es_info() -> JSONResponse:
    """What shippers ask first (``GET /``): an Elasticsearch-like banner."""
    return JSONResponse({
        "name": "canhgac", "cluster_name": "canhgac", "tagline": "You Know, for Search",
        "version": {"number": ES_VERSION, "build_flavor": "default",
                    "minimum_wire_compatibility_version": "7.17.0",
                    "minimum_index_compatibility_version": "7.0.0"}}, headers=ES_HEADERS)


def es_cluster_health() -> JSONResponse:
    """``GET /_cluster/health``, the health check some shippers (Vector) make."""
    return JSONResponse({"cluster_name": "canhgac", "status": "green", "timed_out": False},
                        headers=ES_HEADERS)


async def ingest_ndjson(request: Request) -> dict[str, Any]:
    """One ECS event per line (``application/x-ndjson``); reports per line."""
    c = ctx(request)
    who: Principal = caller(request)
    body = await request.body()
    items: list[Item] = []
    raws: list[bytes] = []
    lines: list[int] = []
    for n, line in enumerate(body.split(b"\n"), start=1):
        if not line.strip():
            continue
        item = Item("create", "events")
        try:
            item.doc = _event(orjson.loads(line), {}, "events")
            item.id = ecs.get(item.doc, "event.id")
        except orjson.JSONDecodeError as exc:
            item.error = ("parse_exception", f"not JSON: {exc}")
        except ecs.EventError as exc:
            item.error = ("document_parsing_exception", str(exc))
        items.append(item)
        raws.append(line)
        lines.append(n)
    await run_in_threadpool(_write, c.store, items, "api:ingest", who.name, raws)
    return {
        "received": len(items),
        "written": sum(1 for it in items if it.result == "created"),
        "existing": sum(1 for it in items if it.result == "noop"),
        "errors": [{"line": n, "id": it.id, "reason": it.error[1]}
                   for n, it in zip(lines, items, strict=True) if it.error],
    }
