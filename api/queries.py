"""Turning validated list parameters into store queries (never query strings:
user text only ever reaches the store as a ``Match`` or ``Term`` value)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.models import ListQuery, Page
from store.base import Store
from store.query import Bool, Match, MatchAll, Query, Range, Sort, Term, Terms
from store.schema import format_timestamp


def ts(value: datetime) -> str:
    return format_timestamp(value)


def time_range(field: str, since: datetime | None, until: datetime | None) -> list[Query]:
    if since is None and until is None:
        return []
    return [Range(field, gte=ts(since) if since else None, lt=ts(until) if until else None)]


def one_or_many(field: str, values: list[Any] | None) -> list[Query]:
    """``Term`` for one value, ``Terms`` for several, nothing for none."""
    if not values:
        return []
    return [Term(field, values[0])] if len(values) == 1 else [Terms(field, values)]


def text(q: str | None, field: str | None = None) -> list[Query]:
    if q is None or not q.strip():
        return []
    return [Match(q, field)]


def combine(parts: list[Query], should: list[Query] | None = None,
            must_not: list[Query] | None = None) -> Query:
    if not parts and not should and not must_not:
        return MatchAll()
    return Bool(filter=parts, should=should or (), must_not=must_not or ())


def page(store: Store, name: str, query: Query, params: ListQuery, sort_field: str,
         size_cap: int) -> Page:
    """One page of ``name`` sorted on ``sort_field`` (id breaks ties)."""
    result = store.search(name, query, sort=[Sort(sort_field, params.order)],
                          size=min(params.size, size_cap), cursor=params.cursor or None)
    return Page(items=[h.source for h in result.hits], total=result.total,
                next_cursor=result.cursor)
