"""Events: search, get, the timeline around one, aggregations for charts."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from pydantic import Field, field_validator

from api.context import ctx
from api.errors import BadRequest, NotFoundError
from api.models import ListQuery, Page, Strict
from api.queries import combine, one_or_many, page, text, time_range, ts
from api.routes.common import DocId
from store.errors import QueryError
from store.query import (
    Agg,
    Bool,
    DateHistogram,
    Range,
    Sort,
    Term,
    agg_from_dict,
    from_dict,
    interval_seconds,
)
from store.schema import check_field_name, get_path, parse_timestamp

EventSort = Literal["@timestamp", "event.severity", "event.risk_score", "host.name",
                    "source.ip", "destination.ip", "user.name", "event.dataset"]
MAX_FILTERS = 20
MAX_AGGS = 10


def _field_filters(items: list[str]) -> list[Any]:
    """``field:value`` pairs → exact-match filters (values are data, never syntax)."""
    out = []
    for item in items[:MAX_FILTERS]:
        field, sep, value = item.partition(":")
        if not sep:
            raise BadRequest(f"filter {item[:80]!r} must look like field:value",
                             code="invalid_filter")
        try:
            check_field_name(field)
        except QueryError as exc:
            raise BadRequest(str(exc), code="invalid_filter") from None
        out.append(Term(field, value))
    return out


def instant(v: Any) -> Any:
    """An ISO 8601 text or epoch milliseconds as an aware datetime (None stays None)."""
    if v is None:
        return None
    try:
        return parse_timestamp(v)
    except (ValueError, OverflowError, OSError):
        raise ValueError("not an instant (ISO 8601 or epoch milliseconds)") from None


class EventQuery(ListQuery):
    host: list[str] = Field(default_factory=list, max_length=20, examples=[["fw-trung-tam"]])
    user: list[str] = Field(default_factory=list, max_length=20)
    source_ip: list[str] = Field(default_factory=list, max_length=20)
    destination_ip: list[str] = Field(default_factory=list, max_length=20)
    dataset: list[str] = Field(default_factory=list, max_length=20,
                               examples=[["system.auth"]])
    outcome: Literal["success", "failure", "unknown"] | None = None
    filter: list[str] = Field(default_factory=list, max_length=MAX_FILTERS,
                              description="exact matches, field:value",
                              examples=[["event.action:logon"]])
    sort: EventSort = "@timestamp"


def _event_filters(p: EventQuery) -> list[Any]:
    return [*text(p.q), *time_range("@timestamp", p.since, p.until),
            *one_or_many("host.name", p.host), *one_or_many("user.name", p.user),
            *one_or_many("source.ip", p.source_ip),
            *one_or_many("destination.ip", p.destination_ip),
            *one_or_many("event.dataset", p.dataset),
            *([Term("event.outcome", p.outcome)] if p.outcome else []),
            *_field_filters(p.filter)]


def list_events(request: Request, p: Annotated[EventQuery, Query()]) -> Page:
    """Events matching the filters, newest first by default."""
    c = ctx(request)
    return page(c.store, "events", combine(_event_filters(p)), p, p.sort,
                c.settings.api.max_page_size)


class SearchBody(Strict):
    """A structured search: the store's JSON query model plus the usual filters."""

    query: dict[str, Any] | None = Field(
        default=None, description="query model (term, terms, range, exists, match, ids, bool)",
        examples=[{"bool": {"filter": [{"term": {"event.outcome": "failure"}}]}}])
    q: str | None = Field(default=None, max_length=500)
    since: Any = None
    until: Any = None
    sort: EventSort = "@timestamp"
    order: Literal["asc", "desc"] = "desc"
    size: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=4096)

    _check_instants = field_validator("since", "until")(classmethod(lambda cls, v: instant(v)))


def _parse_query(data: dict[str, Any] | None) -> list[Any]:
    if data is None:
        return []
    try:
        return [from_dict(data)]
    except (QueryError, RecursionError) as exc:
        raise BadRequest(f"query: {exc}", code="invalid_query") from None


def search_events(request: Request, body: SearchBody) -> Page:
    """Search with the JSON query model (no query strings, nothing to inject)."""
    c = ctx(request)
    parts = [*_parse_query(body.query), *text(body.q),
             *time_range("@timestamp", body.since, body.until)]
    result = c.store.search("events", combine(parts), sort=[Sort(body.sort, body.order)],
                            size=min(body.size, c.settings.api.max_page_size),
                            cursor=body.cursor or None)
    return Page(items=[h.source for h in result.hits], total=result.total,
                next_cursor=result.cursor)


def get_event(request: Request, event_id: DocId) -> dict[str, Any]:
    doc = ctx(request).store.get("events", event_id)
    if doc is None:
        raise NotFoundError(f"event {event_id} does not exist")
    return doc.source


class TimelineQuery(Strict):
    minutes: int = Field(default=15, ge=1, le=24 * 60, description="either side of the event")
    same: Literal["host.name", "user.name", "source.ip", "destination.ip", "none"] = "host.name"
    size: int = Field(default=100, ge=1, le=500)


def event_timeline(request: Request, event_id: DocId,
                   p: Annotated[TimelineQuery, Query()]) -> dict[str, Any]:
    """Events around one event (same host/user/address by default), oldest first."""
    c = ctx(request)
    doc = c.store.get("events", event_id)
    if doc is None:
        raise NotFoundError(f"event {event_id} does not exist")
    at = parse_timestamp(doc.source["@timestamp"])
    window = timedelta(minutes=p.minutes)
    parts: list[Any] = [Range("@timestamp", gte=ts(at - window), lte=ts(at + window))]
    pivot = get_path(doc.source, p.same) if p.same != "none" else None
    if pivot is not None:
        parts.append(Term(p.same, pivot[0] if isinstance(pivot, list) else pivot))
    result = c.store.search("events", Bool(filter=parts), sort=[Sort("@timestamp", "asc")],
                            size=p.size)
    return {"event": doc.source, "pivot": {p.same: pivot} if pivot is not None else None,
            "items": [h.source for h in result.hits], "total": result.total}


class AggregateBody(Strict):
    aggs: dict[str, dict[str, Any]] = Field(
        min_length=1, max_length=MAX_AGGS,
        examples=[{"per_hour": {"date_histogram": {"field": "@timestamp", "interval": "1h",
                                                   "offset": "+07:00"}},
                   "top_hosts": {"terms": {"field": "host.name", "size": 10}}}])
    query: dict[str, Any] | None = None
    q: str | None = Field(default=None, max_length=500)
    since: Any = None
    until: Any = None

    _check_instants = field_validator("since", "until")(classmethod(lambda cls, v: instant(v)))


MAX_BUCKETS = 10_000


def _aggs(data: dict[str, dict[str, Any]], since: Any, until: Any) -> dict[str, Agg]:
    out: dict[str, Agg] = {}
    for name, spec in data.items():
        if not name or len(name) > 64:
            raise BadRequest("aggregation names are 1-64 characters", code="invalid_aggregation")
        try:
            agg = agg_from_dict(spec)
        except (QueryError, TypeError, ValueError) as exc:
            raise BadRequest(f"{name}: {exc}", code="invalid_aggregation") from None
        size = getattr(agg, "size", 10)
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 1000:
            raise BadRequest(f"{name}: size must be 1..1000", code="invalid_aggregation")
        interval = getattr(agg, "interval", None)
        if interval is not None and not isinstance(interval, str):
            raise BadRequest(f"{name}: interval must be text", code="invalid_aggregation")
        if isinstance(agg, DateHistogram):
            if since is None or until is None:
                raise BadRequest(f"{name}: a date histogram needs since and until",
                                 code="invalid_aggregation")
            step = interval_seconds(agg.interval)
            if (until - since).total_seconds() / step > MAX_BUCKETS:
                raise BadRequest(f"{name}: more than {MAX_BUCKETS} buckets; widen the interval",
                                 code="invalid_aggregation")
        out[name] = agg
    return out


def aggregate_events(request: Request, body: AggregateBody) -> dict[str, Any]:
    """Chart data: terms, date histograms, cardinality, min/max/avg."""
    c = ctx(request)
    aggs = _aggs(body.aggs, body.since, body.until)
    parts = [*_parse_query(body.query), *text(body.q),
             *time_range("@timestamp", body.since, body.until)]
    return {"aggregations": c.store.aggregate("events", aggs, combine(parts))}

