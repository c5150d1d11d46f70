"""Pure tests of store.engine.translate: query, sort and aggregation bodies,
and engine answers read back into the contract's shapes (no node needed)."""

from __future__ import annotations

import pytest

from store.engine import translate as tr
from store.errors import QueryError
from store.query import (
    Avg,
    Bool,
    Cardinality,
    DateHistogram,
    Exists,
    Ids,
    Match,
    MatchAll,
    Max,
    Min,
    Range,
    Sort,
    Term,
    Terms,
    TermsAgg,
)
from store.schema import collection

EVENTS = collection("events")
ARTICLES = collection("articles")
ALERTS = collection("alerts")


# --- queries -------------------------------------------------------------------


def test_none_and_match_all_are_match_all() -> None:
    assert tr.to_query(EVENTS, None) == {"match_all": {}}
    assert tr.to_query(EVENTS, MatchAll()) == {"match_all": {}}


def test_term_values_are_coerced_to_the_stored_form() -> None:
    assert tr.to_query(EVENTS, Term("source.port", "443")) == {"term": {"source.port": 443}}
    assert tr.to_query(EVENTS, Term("@timestamp", "2026-11-26T19:00:00+07:00")) == {
        "term": {"@timestamp": "2026-11-26T12:00:00.000Z"}}
    assert tr.to_query(EVENTS, Term("host.ip", "2001:db8:0::1")) == {
        "term": {"host.ip": "2001:db8::1"}}
    assert tr.to_query(EVENTS, Term("host.name", "web-1")) == {"term": {"host.name": "web-1"}}


def test_term_refuses_bad_values_and_text_fields() -> None:
    with pytest.raises(QueryError, match="is a full-text field; use match"):
        tr.to_query(EVENTS, Term("message", "x"))
    with pytest.raises(QueryError, match="needs a value"):
        tr.to_query(EVENTS, Term("host.name", None))
    with pytest.raises(QueryError, match="not a valid long"):
        tr.to_query(EVENTS, Term("source.port", "abc"))
    with pytest.raises(QueryError, match="invalid field name"):
        tr.to_query(EVENTS, Term("a b", "x"))


def test_terms() -> None:
    assert tr.to_query(EVENTS, Terms("destination.port", ["22", 80])) == {
        "terms": {"destination.port": [22, 80]}}
    assert tr.to_query(EVENTS, Terms("host.name", [])) == {"match_none": {}}
    with pytest.raises(QueryError, match="full-text"):
        tr.to_query(ARTICLES, Terms("title", ["a"]))


def test_range() -> None:
    q = Range("@timestamp", gte="2026-11-26T00:00:00+07:00", lt=1764176400000)
    assert tr.to_query(EVENTS, q) == {"range": {"@timestamp": {
        "gte": "2026-11-25T17:00:00.000Z", "lt": "2025-11-26T17:00:00.000Z"}}}
    assert tr.to_query(EVENTS, Range("source.bytes", gt="10", lte=20)) == {
        "range": {"source.bytes": {"gt": 10, "lte": 20}}}
    assert tr.to_query(EVENTS, Range("source.bytes")) == {"exists": {"field": "source.bytes"}}
    with pytest.raises(QueryError, match="full-text"):
        tr.to_query(EVENTS, Range("message", gte="a"))


def test_exists_and_ids() -> None:
    assert tr.to_query(EVENTS, Exists("user.name")) == {"exists": {"field": "user.name"}}
    assert tr.to_query(EVENTS, Ids(["a", "b"])) == {"ids": {"values": ["a", "b"]}}
    assert tr.to_query(EVENTS, Ids([])) == {"match_none": {}}


def test_bool() -> None:
    q = Bool(filter=[Term("host.name", "a")], should=[Term("user.name", "x"), Exists("url.full")],
             must_not=[Term("event.outcome", "success")])
    assert tr.to_query(EVENTS, q) == {"bool": {
        "filter": [{"term": {"host.name": "a"}}],
        "should": [{"term": {"user.name": "x"}}, {"exists": {"field": "url.full"}}],
        "must_not": [{"term": {"event.outcome": "success"}}],
        "minimum_should_match": 1,
    }}
    assert tr.to_query(EVENTS, Bool()) == {"match_all": {}}
    assert "minimum_should_match" not in tr.to_query(EVENTS, Bool(must=[MatchAll()]))["bool"]


def test_match_folds_and_requires_every_word() -> None:
    assert tr.to_query(EVENTS, Match("Cần Thơ đường")) == {
        "match": {"message": {"query": "can tho duong", "operator": "and"}}}
    assert tr.to_query(ARTICLES, Match("Ngập lụt")) == {"multi_match": {
        "query": "ngap lut", "fields": ["title", "summary", "body"], "type": "cross_fields",
        "operator": "and"}}
    assert tr.to_query(ARTICLES, Match("Ngập lụt", field="body")) == {
        "match": {"body": {"query": "ngap lut", "operator": "and"}}}


def test_match_phrase_stays_within_one_field() -> None:
    assert tr.to_query(EVENTS, Match("Cần Thơ", phrase=True)) == {
        "match_phrase": {"message": {"query": "can tho"}}}
    assert tr.to_query(ARTICLES, Match("Cần Thơ", phrase=True)) == {"bool": {
        "should": [{"match_phrase": {f: {"query": "can tho"}}} for f in ("title", "summary",
                                                                          "body")],
        "minimum_should_match": 1}}


def test_match_edge_cases() -> None:
    assert tr.to_query(EVENTS, Match("  ... ")) == {"match_none": {}}
    with pytest.raises(QueryError, match="not a full-text field of articles"):
        tr.to_query(ARTICLES, Match("x", field="url"))
    with pytest.raises(QueryError, match="has no full-text fields"):
        tr.to_query(collection("users"), Match("x"))


# --- sort, cursor, bodies ---------------------------------------------------------------


def test_sort_ends_with_the_id_ascending_and_puts_missing_last() -> None:
    assert tr.to_sort(EVENTS, None) == [
        {"event.id": {"order": "asc", "missing": "_last", "unmapped_type": "keyword"}}]
    assert tr.to_sort(EVENTS, [Sort("@timestamp", "desc"), Sort("labels.x")]) == [
        {"@timestamp": {"order": "desc", "missing": "_last", "unmapped_type": "date"}},
        {"labels.x": {"order": "asc", "missing": "_last", "unmapped_type": "keyword"}},
        {"event.id": {"order": "asc", "missing": "_last", "unmapped_type": "keyword"}},
    ]
    assert tr.to_sort(ALERTS, [Sort("risk_score")])[0]["risk_score"]["unmapped_type"] == "double"


def test_sort_on_the_id_field_keeps_its_order() -> None:
    assert tr.to_sort(ALERTS, [Sort("id", "desc"), Sort("status")]) == [
        {"id": {"order": "desc", "missing": "_last", "unmapped_type": "keyword"}}]


def test_sort_refuses_text_fields() -> None:
    with pytest.raises(QueryError, match="full-text"):
        tr.to_sort(ARTICLES, [Sort("title")])


def test_cursor_round_trip_and_validation() -> None:
    values = [1764176400000, None, "Cần-Thơ/1"]
    token = tr.encode_cursor(values)
    assert all(c.isalnum() or c in "-_=" for c in token)
    assert tr.decode_cursor(token, 3) == values
    with pytest.raises(QueryError, match="does not fit"):
        tr.decode_cursor(token, 2)
    for bad in ("%%%", "bm90IGpzb24", tr.encode_cursor({"a": 1})[:-1], "eyJhIjoxfQ=="):
        with pytest.raises(QueryError, match="cursor"):
            tr.decode_cursor(bad, 3)


def test_search_body() -> None:
    cursor = tr.encode_cursor(["2026", "x"])
    body = tr.search_body(EVENTS, Term("host.name", "a"), sort=[Sort("host.name")], size=50,
                          cursor=cursor)
    assert body == {
        "query": {"term": {"host.name": "a"}},
        "sort": tr.to_sort(EVENTS, [Sort("host.name")]),
        "size": 50,
        "track_total_hits": True,
        "seq_no_primary_term": True,
        "search_after": ["2026", "x"],
    }
    assert "search_after" not in tr.search_body(EVENTS, None, sort=None, size=1)


def test_native_query_forms() -> None:
    assert tr.native_query("process.name:cmd.exe") == {
        "query_string": {"query": "process.name:cmd.exe"}}
    assert tr.native_query({"term": {"a": 1}}) == {"term": {"a": 1}}
    assert tr.native_query({"query": {"term": {"a": 1}}}) == {"term": {"a": 1}}
    for bad in (None, {}, 3):
        with pytest.raises(QueryError):
            tr.native_query(bad)


# --- hits -----------------------------------------------------------------------------------


def _response(n: int) -> dict:
    return {"hits": {"total": {"value": 42, "relation": "eq"}, "hits": [
        {"_index": ".ds-logs-x-t-000001", "_id": f"id{i}", "_seq_no": i, "_primary_term": 1,
         "_source": {"event": {"id": f"id{i}"}}, "sort": [i, f"id{i}"]} for i in range(n)]}}


def test_read_hits_total_and_cursor() -> None:
    response = _response(3)
    docs = tr.read_hits(response)
    assert [d.id for d in docs] == ["id0", "id1", "id2"]
    assert docs[2].version == "2:1"
    assert docs[0].source == {"event": {"id": "id0"}}
    assert docs[0].extra == {"index": ".ds-logs-x-t-000001"}
    assert tr.read_total(response) == 42
    assert tr.decode_cursor(tr.next_cursor(response, 3), 2) == [2, "id2"]
    assert tr.next_cursor(response, 4) is None
    assert tr.next_cursor(_response(0), 0) is None


def test_versions() -> None:
    assert tr.version_token(5, 2) == "5:2"
    assert tr.version_token(None, 2) is None
    assert tr.parse_version("5:2") == (5, 2)
    for bad in ("5", "a:b", "", "1:2:3", "-1:1"):
        assert tr.parse_version(bad) is None


# --- aggregations ---------------------------------------------------------------------------


def test_aggregation_bodies() -> None:
    aggs = {
        "by host": TermsAgg("host.name", size=5),
        "per hour": DateHistogram("@timestamp", "1h", "+07:00"),
        "users": Cardinality("user.name"),
        "first": Min("@timestamp"),
        "top port": Max("destination.port"),
        "avg bytes": Avg("source.bytes"),
        "lowest host": Min("host.name"),
    }
    body = tr.aggregate_body(EVENTS, aggs, Term("event.outcome", "failure"))
    assert body["size"] == 0 and body["query"] == {"term": {"event.outcome": "failure"}}
    assert body["aggs"] == {
        "a0": {"terms": {"field": "host.name", "size": 5, "shard_size": 1000,
                         "order": [{"_count": "desc"}, {"_key": "asc"}]}},
        "a1": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h",
                                  "min_doc_count": 0, "time_zone": "+07:00"}},
        "a2": {"cardinality": {"field": "user.name", "precision_threshold": 40000}},
        "a3": {"min": {"field": "@timestamp"}},
        "a4": {"max": {"field": "destination.port"}},
        "a5": {"avg": {"field": "source.bytes"}},
        "a6": {"terms": {"field": "host.name", "size": 1, "order": {"_key": "asc"}}},
    }


@pytest.mark.parametrize(("agg", "message"), [
    (TermsAgg("message"), "full-text field; it cannot be aggregated"),
    (DateHistogram("source.port", "1h"), "needs a date field"),
    (DateHistogram("@timestamp", "1w"), "interval must look like"),
    (DateHistogram("@timestamp", "1h", "7"), "offset must look like"),
    (Avg("@timestamp"), "avg of the date field"),
    (TermsAgg("host.name", size=-1), "must not be negative"),
])
def test_aggregations_refused(agg, message) -> None:
    with pytest.raises(QueryError, match=message):
        tr.to_aggs(EVENTS, {"x": agg})


def test_read_aggs_shapes_results_like_the_contract() -> None:
    aggs = {
        "ports": TermsAgg("destination.port"),
        "flags": TermsAgg("event.hash"),
        "times": TermsAgg("event.created"),
        "hist": DateHistogram("@timestamp", "1d", "+07:00"),
        "distinct": Cardinality("user.name"),
        "first": Min("@timestamp"),
        "most": Max("source.bytes"),
        "mean": Avg("source.bytes"),
        "none": Avg("network.bytes"),
        "low": Min("host.name"),
        "top2": TermsAgg("host.name", size=2),
        "zero": TermsAgg("host.name", size=0),
    }
    response = {
        "a0": {"buckets": [{"key": 443, "doc_count": 3}, {"key": 22, "doc_count": 1}]},
        "a1": {"buckets": [{"key": "x", "doc_count": 2}]},
        "a2": {"buckets": [{"key": 1764115200000, "key_as_string": "2025",
                            "doc_count": 1}]},
        "a3": {"buckets": [{"key": 1764090000000, "doc_count": 2},
                           {"key": 1764176400000, "doc_count": 0}]},
        "a4": {"value": 7},
        "a5": {"value": 1764115200123.0, "value_as_string": "…"},
        "a6": {"value": 10.0},
        "a7": {"value": 4.5},
        "a8": {"value": None},
        "a9": {"buckets": [{"key": "alpha", "doc_count": 1}]},
        "a10": {"buckets": [{"key": "a", "doc_count": 2}, {"key": "b", "doc_count": 1}]},
        "a11": {"buckets": [{"key": "a", "doc_count": 2}]},
    }
    out = tr.read_aggs(EVENTS, aggs, response)
    assert out == {
        "ports": [{"key": 443, "count": 3}, {"key": 22, "count": 1}],
        "flags": [{"key": "x", "count": 2}],
        "times": [{"key": "2025-11-26T00:00:00.000Z", "count": 1}],
        "hist": [{"key": "2025-11-25T17:00:00.000Z", "count": 2},
                 {"key": "2025-11-26T17:00:00.000Z", "count": 0}],
        "distinct": 7,
        "first": "2025-11-26T00:00:00.123Z",
        "most": 10.0,
        "mean": 4.5,
        "none": None,
        "low": "alpha",
        "top2": [{"key": "a", "count": 2}, {"key": "b", "count": 1}],
        "zero": [],
    }
    assert isinstance(out["most"], float)


def test_typed_keys() -> None:
    assert tr.typed_key("boolean", 1) is True
    assert tr.typed_key("boolean", 0) is False
    assert tr.typed_key("long", 3.0) == 3 and isinstance(tr.typed_key("long", 3.0), int)
    assert tr.typed_key("date", 0) == "1970-01-01T00:00:00.000Z"
    assert tr.typed_key(None, "x") == "x"


def test_read_aggs_of_an_empty_answer() -> None:
    aggs = {"t": TermsAgg("host.name"), "c": Cardinality("host.name"), "m": Max("@timestamp"),
            "low": Min("host.name"), "h": DateHistogram("@timestamp", "5m")}
    assert tr.read_aggs(EVENTS, aggs, None) == {"t": [], "c": 0, "m": None, "low": None,
                                                "h": []}


def test_shard_failures_are_reported() -> None:
    assert tr.shard_failure({"_shards": {"total": 2, "failed": 0}}) is None
    assert tr.shard_failure({}) is None
    response = {"_shards": {"total": 3, "failed": 1, "failures": [
        {"reason": {"type": "query_shard_exception", "reason": "no such field"}}]}}
    assert tr.shard_failure(response) == "1 of 3 shards failed: query_shard_exception: " \
                                         "no such field"
