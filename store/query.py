"""A small, backend-neutral query model.

Callers describe *what* they want with these dataclasses; each backend
translates them (``store.sqlite.translate``, ``store.engine.translate``).  The
semantics are Elasticsearch's, and the SQLite backend reproduces them:

- ``Term``/``Terms`` match exact values; on a multi-valued field any value counts.
- ``Range`` bounds are inclusive (``gte``/``lte``) or exclusive (``gt``/``lt``).
- ``Match`` is full text over the collection's text fields (or one of them):
  every word must appear, case and Vietnamese diacritics ignored
  ("can tho" finds "Cần Thơ"); ``phrase=True`` wants the words adjacent.
- ``Bool`` combines: all of ``must``/``filter``, at least one of ``should``
  when given, none of ``must_not``.

``from_dict`` reads the same model from JSON, so the API can accept it
without ever pasting user text into a query string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from store.errors import QueryError
from store.schema import check_field_name


@dataclass(frozen=True)
class MatchAll:
    pass


@dataclass(frozen=True)
class Term:
    field: str
    value: Any


@dataclass(frozen=True)
class Terms:
    field: str
    values: tuple[Any, ...]

    def __init__(self, field: str, values: Any) -> None:
        object.__setattr__(self, "field", field)
        object.__setattr__(self, "values", tuple(values))


@dataclass(frozen=True)
class Range:
    field: str
    gte: Any = None
    gt: Any = None
    lte: Any = None
    lt: Any = None


@dataclass(frozen=True)
class Exists:
    field: str


@dataclass(frozen=True)
class Match:
    text: str
    field: str | None = None
    phrase: bool = False


@dataclass(frozen=True)
class Ids:
    values: tuple[str, ...]

    def __init__(self, values: Any) -> None:
        object.__setattr__(self, "values", tuple(values))


@dataclass(frozen=True)
class Bool:
    must: tuple[Query, ...] = ()
    filter: tuple[Query, ...] = ()
    should: tuple[Query, ...] = ()
    must_not: tuple[Query, ...] = ()

    def __init__(self, must=(), filter=(), should=(), must_not=()) -> None:
        object.__setattr__(self, "must", tuple(must))
        object.__setattr__(self, "filter", tuple(filter))
        object.__setattr__(self, "should", tuple(should))
        object.__setattr__(self, "must_not", tuple(must_not))


Query = MatchAll | Term | Terms | Range | Exists | Match | Ids | Bool


@dataclass(frozen=True)
class Sort:
    field: str
    order: str = "asc"

    def __post_init__(self) -> None:
        check_field_name(self.field)
        if self.order not in ("asc", "desc"):
            raise QueryError(f"sort order must be asc or desc, got {self.order!r}")


# --- aggregations ----------------------------------------------------------


@dataclass(frozen=True)
class TermsAgg:
    """Top values by document count (ties broken by value, ascending)."""

    field: str
    size: int = 10


@dataclass(frozen=True)
class DateHistogram:
    """Documents per fixed interval (``30s``, ``5m``, ``1h``, ``1d``), empty
    buckets between the first and the last included; ``offset`` is a fixed UTC
    offset such as ``+07:00`` so days start at local midnight."""

    field: str
    interval: str
    offset: str = "+00:00"


@dataclass(frozen=True)
class Cardinality:
    """Number of distinct values (exact up to 40,000 on the engine)."""

    field: str


@dataclass(frozen=True)
class Min:
    field: str


@dataclass(frozen=True)
class Max:
    field: str


@dataclass(frozen=True)
class Avg:
    field: str


Agg = TermsAgg | DateHistogram | Cardinality | Min | Max | Avg

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def interval_seconds(interval: str) -> int:
    unit = interval[-1:]
    number = interval[:-1]
    if unit not in _UNITS or not number.isdigit() or int(number) <= 0:
        raise QueryError(f"interval must look like 30s, 5m, 1h or 1d, got {interval!r}")
    return int(number) * _UNITS[unit]


def offset_seconds(offset: str) -> int:
    if len(offset) != 6 or offset[0] not in "+-" or offset[3] != ":":
        raise QueryError(f"offset must look like +07:00, got {offset!r}")
    try:
        hours, minutes = int(offset[1:3]), int(offset[4:6])
    except ValueError:
        raise QueryError(f"offset must look like +07:00, got {offset!r}") from None
    sign = 1 if offset[0] == "+" else -1
    return sign * (hours * 3600 + minutes * 60)


# --- validation and JSON form ------------------------------------------------


def validate(query: Query) -> Query:
    """Check field names everywhere in a query tree; return it unchanged."""
    match query:
        case MatchAll() | Ids():
            pass
        case Term(f) | Terms(f) | Range(f) | Exists(f):
            check_field_name(f)
        case Match(text, f):
            if f is not None:
                check_field_name(f)
            if not isinstance(text, str):
                raise QueryError("match text must be a string")
        case Bool():
            for part in (*query.must, *query.filter, *query.should, *query.must_not):
                validate(part)
        case _:
            raise QueryError(f"not a query: {query!r}")
    return query


def from_dict(data: Any) -> Query:
    """Read a query from its JSON form, e.g.
    ``{"bool": {"filter": [{"term": {"host.name": "web-1"}}]}}``."""
    if data is None:
        return MatchAll()
    if not isinstance(data, dict) or len(data) != 1:
        raise QueryError("a query is an object with exactly one key")
    ((kind, body),) = data.items()
    try:
        if kind == "match_all":
            return MatchAll()
        if kind in ("term", "terms", "range") and (not isinstance(body, dict) or len(body) != 1):
            raise QueryError(f"{kind} takes exactly one field")
        if kind == "term":
            ((f, v),) = body.items()
            return validate(Term(f, v))
        if kind == "terms":
            ((f, vs),) = body.items()
            if not isinstance(vs, list):
                raise QueryError("terms takes a list of values")
            return validate(Terms(f, vs))
        if kind == "range":
            ((f, bounds),) = body.items()
            unknown = set(bounds) - {"gte", "gt", "lte", "lt"}
            if unknown:
                raise QueryError(f"unknown range bound(s): {sorted(unknown)}")
            return validate(Range(f, **bounds))
        if kind == "exists":
            return validate(Exists(body["field"]))
        if kind == "ids":
            return Ids([str(v) for v in body["values"]])
        if kind == "match":
            return validate(Match(str(body["query"]), body.get("field"), bool(body.get("phrase"))))
        if kind == "bool":
            unknown = set(body) - {"must", "filter", "should", "must_not"}
            if unknown:
                raise QueryError(f"unknown bool clause(s): {sorted(unknown)}")
            return Bool(**{k: [from_dict(q) for q in v] for k, v in body.items()})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise QueryError(f"malformed {kind} query: {exc}") from exc
    raise QueryError(f"unknown query type {kind!r}")


def agg_from_dict(data: Any) -> Agg:
    """``{"terms": {"field": "host.name", "size": 5}}`` and the like."""
    if not isinstance(data, dict) or len(data) != 1:
        raise QueryError("an aggregation is an object with exactly one key")
    ((kind, body),) = data.items()
    classes = {"terms": TermsAgg, "date_histogram": DateHistogram, "cardinality": Cardinality,
               "min": Min, "max": Max, "avg": Avg}
    if kind not in classes:
        raise QueryError(f"unknown aggregation {kind!r}")
    try:
        agg = classes[kind](**body)
    except TypeError as exc:
        raise QueryError(f"malformed {kind} aggregation: {exc}") from exc
    check_field_name(agg.field)
    if isinstance(agg, DateHistogram):
        interval_seconds(agg.interval)
        offset_seconds(agg.offset)
    return agg


@dataclass
class SearchPage:
    """One page of hits; pass ``cursor`` back to get the next page (None: no more)."""

    hits: list[Document]
    total: int
    cursor: str | None = None


@dataclass
class Document:
    id: str
    source: dict[str, Any]
    version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
