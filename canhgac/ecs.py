"""Elastic Common Schema event helpers.

Events are plain nested dicts in ECS shape.  This module builds them
(``new_event``), reads and writes dotted paths (``get``/``put``), gives them
deterministic ids (``event_id``) so replays never duplicate, and validates them
(``validate``), with one clear reason per problem.

Field types come from ``store.schema.ECS_FIELDS``, the same table the store
uses for its mappings, so what passes here is what every backend accepts.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from store.schema import (
    COLLECTIONS,
    check_document,
    format_timestamp,
    get_path,
    normalise_timestamp,
    set_path,
)

ECS_VERSION = "8.11.0"
EVENTS = COLLECTIONS["events"]

EVENT_KINDS = {"alert", "asset", "enrichment", "event", "metric", "state", "pipeline_error",
               "signal"}
EVENT_CATEGORIES = {"api", "authentication", "configuration", "database", "driver", "email",
                    "file", "host", "iam", "intrusion_detection", "library", "malware",
                    "network", "package", "process", "registry", "session", "threat",
                    "vulnerability", "web"}
EVENT_OUTCOMES = {"failure", "success", "unknown"}

__all__ = ["ECS_VERSION", "EventError", "event_id", "get", "new_event", "now", "put",
           "timestamp", "validate"]


class EventError(ValueError):
    """A document is not a valid ECS event; ``reasons`` lists every problem."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))


_last_now: tuple[int, str] = (-1, "")


def now() -> str:
    """The current instant in the canonical UTC form (formatted once per
    millisecond: parsers call this for every event's ``event.ingested``)."""
    global _last_now
    current = datetime.now(UTC)
    key = int(current.timestamp() * 1000)
    if key != _last_now[0]:
        _last_now = (key, format_timestamp(current))
    return _last_now[1]


def timestamp(value: datetime | str | int | float) -> str:
    """Any accepted instant (aware or naive-UTC datetime, ISO text, epoch ms)
    in the canonical UTC form ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    if isinstance(value, datetime):
        return format_timestamp(value)
    return normalise_timestamp(value)


def get(doc: dict[str, Any], path: str, default: Any = None) -> Any:
    """Read a dotted path: ``get(ev, "source.ip")``."""
    return get_path(doc, path, default)


def put(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Write a dotted path, creating objects on the way; None removes nothing
    and writes nothing (parsers can pass optional values straight through)."""
    if value is None:
        return doc
    return set_path(doc, path, value)


def event_id(source: str, offset: int | str | None = None, content: str | bytes | None = None) -> str:
    """A deterministic id: from the source and the record's offset in it when
    there is one (a file, a pcap), else from a hash of the content.

    The same record read again (a restart, a replay) gets the same id, so the
    store's idempotent writes drop it.  20 bytes of SHA-256, base32-free hex.
    """
    h = hashlib.sha256(source.encode("utf-8", "surrogateescape"))
    h.update(b"\0")
    if offset is not None:
        h.update(b"o:" + str(offset).encode())
    elif content is not None:
        h.update(b"c:" + (content if isinstance(content, bytes) else
                          content.encode("utf-8", "surrogateescape")))
    else:
        raise ValueError("event_id needs an offset or the content")
    return h.hexdigest()[:40]


def content_id(doc: dict[str, Any]) -> str:
    """A deterministic id from the canonical JSON of a document."""
    body = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:40]


def new_event(
    *,
    ts: datetime | str | int | float,
    dataset: str,
    module: str | None = None,
    kind: str = "event",
    category: list[str] | str | None = None,
    type: list[str] | str | None = None,
    original: str | None = None,
    id: str | None = None,
    fields: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A new ECS event.  ``fields`` maps dotted paths to values (None skipped).

    Without ``id`` the event id is the content hash of ``original`` (or of the
    whole event), so the same input always gives the same id.
    """
    ev: dict[str, Any] = {"@timestamp": timestamp(ts), "ecs": {"version": ECS_VERSION}}
    put(ev, "event.kind", kind)
    put(ev, "event.dataset", dataset)
    put(ev, "event.module", module or dataset.split(".", 1)[0])
    if category is not None:
        put(ev, "event.category", [category] if isinstance(category, str) else list(category))
    if type is not None:
        put(ev, "event.type", [type] if isinstance(type, str) else list(type))
    put(ev, "event.original", original)
    put(ev, "event.ingested", now())
    for path, value in (fields or {}).items():
        put(ev, path, value)
    if id is None:
        id = event_id(dataset, content=original) if original is not None else content_id(
            {k: v for k, v in ev.items() if k != "event"} | {"dataset": dataset})
    put(ev, "event.id", id)
    return ev


def validate(doc: Any) -> dict[str, Any]:
    """Return ``doc`` when it is a storable ECS event, else raise EventError
    listing every reason (missing timestamp, wrong types, unknown enum values)."""
    reasons = check_document(EVENTS, doc)
    if not isinstance(doc, dict):
        raise EventError(reasons)
    if get(doc, "@timestamp") is None and "@timestamp: missing" not in reasons:
        reasons.append("@timestamp: missing")
    kind = get(doc, "event.kind")
    if kind is not None and kind not in EVENT_KINDS:
        reasons.append(f"event.kind: {kind!r} is not an ECS event kind")
    for cat in _as_list(get(doc, "event.category")):
        if cat not in EVENT_CATEGORIES:
            reasons.append(f"event.category: {cat!r} is not an ECS category")
    outcome = get(doc, "event.outcome")
    if outcome is not None and outcome not in EVENT_OUTCOMES:
        reasons.append(f"event.outcome: {outcome!r} must be success, failure or unknown")
    for side in ("source", "destination", "client", "server"):
        port = get(doc, f"{side}.port")
        if isinstance(port, int) and not isinstance(port, bool) and not 0 <= port <= 65535:
            reasons.append(f"{side}.port: {port} is outside 0..65535")
    if reasons:
        raise EventError(reasons)
    return doc


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
