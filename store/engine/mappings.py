"""Index settings, mappings and templates, generated from ``store.schema``.

One function per artefact the engine needs:

- ``index_settings()``: the analysis chain shared by every index;
- ``mapping(coll)``: a collection's mapping (declared fields typed, unknown
  strings as ``keyword``, no date or numeric guessing);
- ``events_template(namespace)``: the composable template that gives every
  ``logs-*-<namespace>`` data stream the events mapping;
- ``index_body(coll)``: settings and mapping of a plain index.

Full text is folded the way ``store.text`` folds it for SQLite: combining
marks dropped, words split on anything that is not a letter or a digit
(FTS5's ``unicode61`` rule), lowercased, then ``asciifolding`` (which maps
``đ`` to ``d``), so "can tho" finds "Cần Thơ" on both backends.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from store.schema import (
    BOOLEAN,
    DATE,
    FLOAT,
    IP,
    KEYWORD,
    LONG,
    OBJECT,
    TEXT,
    Collection,
)

ANALYZER = "canhgac_folding"
NORMALIZER = "canhgac_caseless"
DATE_FORMAT = "strict_date_optional_time||epoch_millis"
# Lucene refuses terms over 32,766 bytes; 8,191 characters of up to 4 bytes
# each stay below that, so a long keyword is kept in _source, not indexed.
KEYWORD_IGNORE_ABOVE = 8191
DYNAMIC_IGNORE_ABOVE = 1024
TEMPLATE_PRIORITY = 500
TOTAL_FIELDS_LIMIT = 5000

# Fields kept in _source only: never searched, and often too big to index.
NOT_INDEXED = {"event.original"}
# Free-form objects that must never make a document fail on a mapping conflict.
OPAQUE_OBJECTS: dict[str, tuple[str, ...]] = {"dead_letters": ("context",)}


def index_settings() -> dict[str, Any]:
    """Analysis chain and index settings shared by every index we create."""
    return {
        "index": {
            # One node: no replica (green); more nodes: one replica.
            "auto_expand_replicas": "0-1",
            "mapping": {"total_fields": {"limit": TOTAL_FIELDS_LIMIT}},
        },
        "analysis": {
            "char_filter": {
                "canhgac_strip_marks": {
                    "type": "pattern_replace", "pattern": "\\p{Mn}+", "replacement": "",
                },
            },
            "tokenizer": {
                "canhgac_words": {"type": "pattern", "pattern": "[^\\p{L}\\p{N}\\p{Co}]+"},
            },
            "analyzer": {
                ANALYZER: {
                    "type": "custom",
                    "char_filter": ["canhgac_strip_marks"],
                    "tokenizer": "canhgac_words",
                    "filter": ["lowercase", "asciifolding"],
                },
            },
            "normalizer": {
                NORMALIZER: {"type": "custom", "filter": ["lowercase"]},
            },
        },
    }


def _keyword(*, ignore_above: int, caseless: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "keyword", "ignore_above": ignore_above}
    if caseless:
        spec["fields"] = {"caseless": {"type": "keyword", "normalizer": NORMALIZER,
                                       "ignore_above": ignore_above}}
    return spec


def field_mapping(kind: str, *, caseless: bool = False) -> dict[str, Any]:
    """The mapping of one declared field kind."""
    if kind == KEYWORD:
        return _keyword(ignore_above=KEYWORD_IGNORE_ABOVE, caseless=caseless)
    if kind == TEXT:
        return {"type": "text", "analyzer": ANALYZER}
    if kind == DATE:
        return {"type": "date", "format": DATE_FORMAT}
    if kind == FLOAT:
        # double, not float: float32 would turn 73.21 into 73.20999908 in
        # ranges and aggregations, unlike SQLite.
        return {"type": "double"}
    if kind in (LONG, IP, BOOLEAN):
        return {"type": kind}
    if kind == OBJECT:
        return {"type": "object"}
    raise ValueError(f"no mapping for field kind {kind!r}")


def engine_type(kind: str | None) -> str:
    """The engine type a field of ``kind`` has (``keyword`` for dynamic strings)."""
    if kind is None:
        return "keyword"
    return field_mapping(kind)["type"]


def _insert(properties: dict[str, Any], path: str, spec: dict[str, Any]) -> None:
    parts = path.split(".")
    cur = properties
    for i, part in enumerate(parts[:-1]):
        node = cur.setdefault(part, {"properties": {}})
        if "properties" not in node:
            raise ValueError(f"{'.'.join(parts[:i + 1])} is both a field and an object")
        cur = node["properties"]
    if parts[-1] in cur:
        raise ValueError(f"{path} is both a field and an object")
    cur[parts[-1]] = spec


def _dynamic_templates(caseless: bool) -> list[dict[str, Any]]:
    return [
        # Windows event data (CommandLine, ScriptBlockText ...) is often long and
        # is what Sigma rules search: keep it indexed up to Lucene's term limit.
        {"winlog_event_data": {
            "path_match": "winlog.event_data.*",
            "match_mapping_type": "string",
            "mapping": _keyword(ignore_above=KEYWORD_IGNORE_ABOVE, caseless=caseless),
        }},
        {"strings_as_keyword": {
            "match_mapping_type": "string",
            "mapping": _keyword(ignore_above=DYNAMIC_IGNORE_ABOVE, caseless=caseless),
        }},
        {"floats_as_double": {"match_mapping_type": "double", "mapping": {"type": "double"}}},
    ]


def mapping(coll: Collection) -> dict[str, Any]:
    """The mapping of a collection: every declared field typed, the rest dynamic."""
    caseless = coll.name == "events"
    properties: dict[str, Any] = {}
    for path in sorted(coll.fields):
        kind = coll.fields[path]
        if path in NOT_INDEXED:
            spec = {"type": "keyword", "index": False, "doc_values": False}
        else:
            spec = field_mapping(kind, caseless=caseless and kind == KEYWORD)
        _insert(properties, path, spec)
    for path in OPAQUE_OBJECTS.get(coll.name, ()):
        _insert(properties, path, {"type": "object", "enabled": False})
    return {
        "dynamic": True,
        "date_detection": False,
        "numeric_detection": False,
        "dynamic_templates": _dynamic_templates(caseless),
        "properties": properties,
        "_meta": {"managed_by": "canhgac", "collection": coll.name},
    }


def schema_digest(coll: Collection) -> str:
    """A short fingerprint of what we would install, to spot stale indices."""
    payload = json.dumps([index_settings(), mapping(coll)], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def index_body(coll: Collection) -> dict[str, Any]:
    """Settings and mapping of the plain index holding ``coll``."""
    body = mapping(coll)
    body["_meta"]["schema"] = schema_digest(coll)
    return {"settings": index_settings(), "mappings": body}


def events_template(coll: Collection, namespace: str) -> dict[str, Any]:
    """The composable template of the events data streams of one namespace."""
    body = mapping(coll)
    body["_meta"]["schema"] = schema_digest(coll)
    return {
        "index_patterns": [f"logs-*-{namespace}"],
        "priority": TEMPLATE_PRIORITY,
        "data_stream": {},
        "template": {"settings": index_settings(), "mappings": body},
        "_meta": {"managed_by": "canhgac", "namespace": namespace},
    }
