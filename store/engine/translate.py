"""The query model of ``store.query`` as engine query DSL, and engine answers
back as the contract's results.

Everything here is pure (no I/O), so it is tested without a node.  The
semantics are the SQLite backend's, rule for rule (``store.sqlite.translate``):

- ``Term``/``Terms``/``Range`` values are coerced to the stored form of the
  field (``store.schema.coerce``); they refuse full-text fields.
- ``Match`` runs over the collection's text fields: the query text is folded
  and split into words exactly as ``store.text.words`` does for SQLite, and
  every word must appear in some text field (``cross_fields`` + ``and``);
  a phrase must appear within one field.
- Sorting puts missing values last whatever the direction and always ends
  with the id field, ascending, so pages are stable; the cursor is the last
  hit's sort values (``search_after``).
- Aggregation results are shaped as ``Store.aggregate`` documents them.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from store.engine.mappings import engine_type
from store.errors import QueryError
from store.query import (
    Agg,
    Avg,
    Bool,
    Cardinality,
    DateHistogram,
    Document,
    Exists,
    Ids,
    Match,
    MatchAll,
    Max,
    Min,
    Query,
    Range,
    Sort,
    Term,
    Terms,
    TermsAgg,
    interval_seconds,
    offset_seconds,
    validate,
)
from store.schema import (
    DATE,
    KEYWORD,
    TEXT,
    Collection,
    coerce,
    format_timestamp,
    typed_value,
)
from store.text import words

MATCH_NONE: dict[str, Any] = {"match_none": {}}
MATCH_ALL: dict[str, Any] = {"match_all": {}}
CARDINALITY_PRECISION = 40_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- queries -----------------------------------------------------------------


def _not_text(coll: Collection, field: str) -> None:
    if coll.kind(field) == TEXT:
        raise QueryError(f"{field} is a full-text field; use match")


def to_query(coll: Collection, query: Query | None) -> dict[str, Any]:
    """The query DSL of ``query`` over ``coll`` (match_all for None)."""
    if query is None:
        return dict(MATCH_ALL)
    return _compile(coll, validate(query))


def _compile(coll: Collection, q: Query) -> dict[str, Any]:
    match q:
        case MatchAll():
            return dict(MATCH_ALL)
        case Term(field, value):
            _not_text(coll, field)
            if value is None:
                raise QueryError(f"term on {field} needs a value")
            return {"term": {field: coerce(coll, field, value)}}
        case Terms(field, values):
            _not_text(coll, field)
            if not values:
                return dict(MATCH_NONE)
            return {"terms": {field: [coerce(coll, field, v) for v in values]}}
        case Range(field):
            return _range(coll, q)
        case Exists(field):
            return {"exists": {"field": field}}
        case Ids(values):
            if not values:
                return dict(MATCH_NONE)
            return {"ids": {"values": [str(v) for v in values]}}
        case Match():
            return _match(coll, q)
        case Bool():
            return _bool(coll, q)
    raise QueryError(f"not a query: {q!r}")


def _range(coll: Collection, q: Range) -> dict[str, Any]:
    _not_text(coll, q.field)
    bounds = {}
    for op in ("gte", "gt", "lte", "lt"):
        value = getattr(q, op)
        if value is not None:
            bounds[op] = coerce(coll, q.field, value)
    if not bounds:  # no bound at all: any value will do
        return {"exists": {"field": q.field}}
    return {"range": {q.field: bounds}}


def _match(coll: Collection, q: Match) -> dict[str, Any]:
    if not coll.text_fields:
        raise QueryError(f"{coll.name} has no full-text fields")
    if q.field is not None and q.field not in coll.text_fields:
        raise QueryError(
            f"{q.field} is not a full-text field of {coll.name}; "
            f"those are {', '.join(coll.text_fields)}"
        )
    tokens = words(q.text)
    if not tokens:
        return dict(MATCH_NONE)
    text = " ".join(tokens)
    fields = [q.field] if q.field is not None else list(coll.text_fields)
    if q.phrase:
        phrases = [{"match_phrase": {f: {"query": text}}} for f in fields]
        if len(phrases) == 1:
            return phrases[0]
        return {"bool": {"should": phrases, "minimum_should_match": 1}}
    if len(fields) == 1:
        return {"match": {fields[0]: {"query": text, "operator": "and"}}}
    return {"multi_match": {"query": text, "fields": fields, "type": "cross_fields",
                            "operator": "and"}}


def _bool(coll: Collection, q: Bool) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for clause in ("must", "filter", "should", "must_not"):
        parts = getattr(q, clause)
        if parts:
            body[clause] = [_compile(coll, p) for p in parts]
    if not body:
        return dict(MATCH_ALL)
    if q.should:
        body["minimum_should_match"] = 1
    return {"bool": body}


# --- sort and cursors ----------------------------------------------------------


def to_sort(coll: Collection, sort: list[Sort] | None) -> list[dict[str, Any]]:
    """Sort clauses: missing values last, the id field (ascending) last of all."""
    clauses: list[dict[str, Any]] = []
    has_id = False
    for s in sort or []:
        _not_text(coll, s.field)
        if s.field == coll.id_field:
            if has_id:
                continue
            has_id = True
        clauses.append({s.field: {"order": s.order, "missing": "_last",
                                  "unmapped_type": engine_type(coll.kind(s.field))}})
        if has_id:  # the id is unique: nothing after it can matter
            break
    if not has_id:
        clauses.append({coll.id_field: {"order": "asc", "missing": "_last",
                                        "unmapped_type": "keyword"}})
    return clauses


def encode_cursor(values: list[Any]) -> str:
    """An opaque, URL-safe token holding a hit's sort values."""
    raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_cursor(cursor: str, expected: int) -> list[Any]:
    """The sort values of a cursor made for a sort of ``expected`` clauses."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise QueryError("invalid cursor") from exc
    if not isinstance(values, list):
        raise QueryError("invalid cursor")
    if len(values) != expected:
        raise QueryError("cursor does not fit this sort")
    return values


def search_body(coll: Collection, query: Query | None, *, sort: list[Sort] | None,
                size: int, cursor: str | None = None) -> dict[str, Any]:
    """The body of one ``_search`` page."""
    clauses = to_sort(coll, sort)
    body: dict[str, Any] = {
        "query": to_query(coll, query),
        "sort": clauses,
        "size": size,
        "track_total_hits": True,
        "seq_no_primary_term": True,
    }
    if cursor:
        body["search_after"] = decode_cursor(cursor, len(clauses))
    return body


def native_query(native: Any) -> dict[str, Any]:
    """A query DSL object (or a whole body with ``query``), or a Lucene string."""
    if isinstance(native, str):
        return {"query_string": {"query": native}}
    if isinstance(native, dict) and native:
        inner = native.get("query")
        if set(native) <= {"query"} and isinstance(inner, dict):
            return inner
        return native
    raise QueryError("a native query is a query DSL object or a Lucene query string")


# --- hits ----------------------------------------------------------------------


def version_token(seq_no: Any, primary_term: Any) -> str | None:
    if seq_no is None or primary_term is None:
        return None
    return f"{seq_no}:{primary_term}"


def parse_version(token: str) -> tuple[int, int] | None:
    """``(seq_no, primary_term)`` of a version token, None when it is not ours."""
    seq, sep, term = str(token).partition(":")
    if not sep or not seq.isdigit() or not term.isdigit():
        return None
    return int(seq), int(term)


def to_document(hit: dict[str, Any]) -> Document:
    """One hit (search, get or mget) as a ``Document``."""
    return Document(
        id=hit["_id"],
        source=hit.get("_source") or {},
        version=version_token(hit.get("_seq_no"), hit.get("_primary_term")),
        extra={"index": hit.get("_index")},
    )


def shard_failure(response: dict[str, Any]) -> str | None:
    """Why some shards failed, or None.  The engine then answers with partial
    results; the store refuses them rather than silently miss documents."""
    shards = response.get("_shards") or {}
    if not shards.get("failed"):
        return None
    failures = shards.get("failures") or [{}]
    reason = failures[0].get("reason", {})
    if isinstance(reason, dict):
        text = f"{reason.get('type', 'error')}: {reason.get('reason', '')}"
    else:
        text = str(reason)
    return f"{shards['failed']} of {shards.get('total', '?')} shards failed: {text}"


def read_hits(response: dict[str, Any]) -> list[Document]:
    return [to_document(h) for h in response.get("hits", {}).get("hits", [])]


def read_total(response: dict[str, Any]) -> int:
    total = response.get("hits", {}).get("total", 0)
    return int(total["value"] if isinstance(total, dict) else total)


def next_cursor(response: dict[str, Any], size: int) -> str | None:
    """The cursor after a page: None when the page was not full."""
    hits = response.get("hits", {}).get("hits", [])
    if not hits or len(hits) < size:
        return None
    return encode_cursor(hits[-1]["sort"])


# --- aggregations ----------------------------------------------------------------


def _agg_name(i: int) -> str:
    # Callers' names may hold characters the engine refuses ([, ], >).
    return f"a{i}"


def to_aggs(coll: Collection, aggs: dict[str, Agg]) -> dict[str, Any]:
    """The ``aggs`` section of a body; names are ``a0``, ``a1`` ... in order."""
    return {_agg_name(i): _agg(coll, agg) for i, agg in enumerate(aggs.values())}


def _agg(coll: Collection, agg: Agg) -> dict[str, Any]:
    field = agg.field
    kind = coll.kind(field)
    if kind == TEXT:
        raise QueryError(f"{field} is a full-text field; it cannot be aggregated")
    match agg:
        case TermsAgg(size=size):
            if size < 0:
                raise QueryError(f"terms size must not be negative, got {size}")
            return {"terms": {"field": field, "size": max(size, 1),
                              "shard_size": max(size * 10, 1000),
                              "order": [{"_count": "desc"}, {"_key": "asc"}]}}
        case DateHistogram(interval=interval, offset=offset):
            if kind not in (DATE, None):
                raise QueryError(f"date_histogram needs a date field, {field} is {kind}")
            interval_seconds(interval)
            offset_seconds(offset)
            return {"date_histogram": {"field": field, "fixed_interval": interval,
                                       "min_doc_count": 0, "time_zone": offset}}
        case Cardinality():
            return {"cardinality": {"field": field,
                                    "precision_threshold": CARDINALITY_PRECISION}}
        case Min() | Max() if kind == KEYWORD:
            # Lucene orders keywords by UTF-8 bytes, as SQLite orders text.
            order = "asc" if isinstance(agg, Min) else "desc"
            return {"terms": {"field": field, "size": 1, "order": {"_key": order}}}
        case Avg() if kind == DATE:
            raise QueryError(f"avg of the date field {field} is not supported")
        case Min() | Max() | Avg():
            return {type(agg).__name__.lower(): {"field": field}}
    raise QueryError(f"unknown aggregation {agg!r}")


def epoch_ms_to_text(value: float) -> str:
    """Epoch milliseconds as the canonical ISO text."""
    return format_timestamp(_EPOCH + timedelta(milliseconds=round(value)))


def typed_key(kind: str | None, key: Any) -> Any:
    """A terms bucket key as the stored value (as SQLite would return it)."""
    if kind == DATE:
        return epoch_ms_to_text(key)
    return typed_value(kind, key)


def read_aggs(coll: Collection, aggs: dict[str, Agg],
              response_aggs: dict[str, Any] | None) -> dict[str, Any]:
    """Aggregation answers, under the caller's names, shaped per the contract."""
    response_aggs = response_aggs or {}
    out: dict[str, Any] = {}
    for i, (name, agg) in enumerate(aggs.items()):
        out[name] = _read_agg(coll, agg, response_aggs.get(_agg_name(i), {}))
    return out


def _read_agg(coll: Collection, agg: Agg, result: dict[str, Any]) -> Any:
    kind = coll.kind(agg.field)
    match agg:
        case TermsAgg(size=size):
            buckets = result.get("buckets", [])[:size]
            return [{"key": typed_key(kind, b["key"]), "count": int(b["doc_count"])}
                    for b in buckets]
        case DateHistogram():
            return [{"key": epoch_ms_to_text(b["key"]), "count": int(b["doc_count"])}
                    for b in result.get("buckets", [])]
        case Cardinality():
            return int(result.get("value") or 0)
        case Min() | Max() if kind == KEYWORD:
            buckets = result.get("buckets", [])
            return buckets[0]["key"] if buckets else None
        case Min() | Max() | Avg():
            value = result.get("value")
            if value is None:
                return None
            if kind == DATE:
                return epoch_ms_to_text(value)
            return float(value)
    raise QueryError(f"unknown aggregation {agg!r}")


def aggregate_body(coll: Collection, aggs: dict[str, Agg],
                   query: Query | None) -> dict[str, Any]:
    """The body of an aggregation-only ``_search``."""
    return {"query": to_query(coll, query), "size": 0, "track_total_hits": False,
            "aggs": to_aggs(coll, aggs)}
