"""EngineStore against a real OpenSearch node (``CANHGAC_TEST_OPENSEARCH_URL``).

Start one with ``tools/opensearch/opensearch.sh start`` and export the URL
``tools/opensearch/opensearch.sh url`` prints.  Every test module works in its
own namespace and drops it at the end.  The unreachable-engine tests need no
node and always run.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from store.engine import EngineStore
from store.errors import (
    ConflictError,
    InvalidDocument,
    NotFound,
    QueryError,
    StoreUnavailable,
    StoreVersionError,
)
from store.query import (
    Avg,
    Bool,
    Cardinality,
    DateHistogram,
    Exists,
    Ids,
    Match,
    Max,
    Min,
    Range,
    Sort,
    Term,
    Terms,
    TermsAgg,
)
from store.schema import format_timestamp

URL = os.environ.get("CANHGAC_TEST_OPENSEARCH_URL")
live = pytest.mark.skipif(not URL, reason="CANHGAC_TEST_OPENSEARCH_URL not set: "
                                          "no live OpenSearch node")
NAMESPACE = f"t{uuid.uuid4().hex[:12]}"
T0 = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


def ts(minutes: float) -> str:
    return format_timestamp(T0 + timedelta(minutes=minutes))


def event(eid: str, minutes: float = 0, **fields: object) -> dict:
    doc: dict = {"@timestamp": ts(minutes), "event": {"id": eid, "dataset": "test.live"}}
    for key, value in fields.items():
        doc[key.replace("__", ".")] = value
    return doc


@pytest.fixture(scope="module")
def store() -> Iterator[EngineStore]:
    s = EngineStore(URL or "", namespace=NAMESPACE, timeout=60)
    s.init()
    yield s
    s.drop_namespace()
    s.close()


# --- no node needed ------------------------------------------------------------------


@pytest.mark.parametrize("product", ["opensearch", "elasticsearch"])
def test_unreachable_engine_fails_fast_and_clearly(product: str) -> None:
    s = EngineStore("http://127.0.0.1:1", product=product, timeout=2, retries=0)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as info:
        s.search("alerts", None)
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert "http://127.0.0.1:1" in message and "unreachable" in message
    assert info.value.__cause__ is not None
    s.close()


def test_silent_engine_times_out() -> None:
    """A port that accepts connections but never answers: the timeout holds."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    s = EngineStore(url, timeout=1, retries=0)
    started = time.monotonic()
    try:
        with pytest.raises(StoreUnavailable, match=r"unreachable .*no answer within 1s"):
            s.count("alerts")
        assert time.monotonic() - started < 4
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()
        s.close()


# --- product and version ---------------------------------------------------------------


@live
@pytest.mark.engine
def test_wrong_product_is_a_version_error() -> None:
    s = EngineStore(URL or "", product="elasticsearch", namespace=NAMESPACE, timeout=10)
    with pytest.raises(StoreVersionError) as info:
        s.init()
    message = str(info.value)
    assert "OpenSearch" in message and "Elasticsearch 8.x" in message
    s.close()


@live
@pytest.mark.engine
def test_status(store: EngineStore) -> None:
    store.init()  # again: templates re-put, existing indices' mappings extended, no error
    status = store.status()
    assert status["backend"] == "opensearch"
    assert status["product"] == "OpenSearch"
    assert status["version"].split(".")[0] in ("2", "3")
    assert status["health"] in ("green", "yellow")
    assert status["namespace"] == NAMESPACE
    assert set(status["collections"]) >= {"events", "alerts", "articles", "dead_letters"}


# --- writes ----------------------------------------------------------------------------


@live
@pytest.mark.engine
def test_idempotent_create_and_index_on_a_plain_index(store: EngineStore) -> None:
    docs = [{"id": f"idem-{i}", "@timestamp": ts(i), "status": "new"} for i in range(3)]
    first = store.bulk("alerts", docs, mode="create", refresh=True)
    assert (first.written, first.existing, first.errors) == (3, 0, [])
    again = store.bulk("alerts", [dict(d, status="changed") for d in docs], mode="create",
                       refresh=True)
    assert (again.written, again.existing, again.errors) == (0, 3, [])
    assert store.get("alerts", "idem-0").source["status"] == "new"
    replaced = store.bulk("alerts", [dict(d, status="seen") for d in docs], mode="index",
                          refresh=True)
    assert (replaced.written, replaced.existing) == (3, 0)
    assert store.get("alerts", "idem-2").source["status"] == "seen"
    assert store.count("alerts", Ids([d["id"] for d in docs])) == 3


@live
@pytest.mark.engine
def test_idempotent_events_across_data_streams(store: EngineStore) -> None:
    docs = [event(f"ev-idem-{i}", i, message="first") for i in range(4)]
    assert store.bulk("events", docs, mode="create", refresh=True).written == 4
    # A replay, even under another dataset (another data stream), is not a duplicate.
    replay = [dict(d, event={"id": d["event"]["id"], "dataset": "other"}) for d in docs]
    result = store.bulk("events", replay, mode="create", refresh=True)
    assert (result.written, result.existing, result.errors) == (0, 4, [])
    # Duplicates inside one batch: create keeps the first.
    dup = store.bulk("events", [event("ev-dup", message="a"), event("ev-dup", message="b")],
                     mode="create", refresh=True)
    assert (dup.written, dup.existing) == (1, 1)
    assert store.get("events", "ev-dup").source["message"] == "a"
    # Index mode replaces in place, wherever the event lives.
    changed = [dict(d, message="second") for d in docs]
    result = store.bulk("events", changed, mode="index", refresh=True)
    assert (result.written, result.existing, result.errors) == (4, 0, [])
    assert store.count("events", Ids([d["event"]["id"] for d in docs])) == 4
    assert store.get("events", "ev-idem-3").source["message"] == "second"
    # Index mode for an event written a moment ago (not yet refreshed).
    store.bulk("events", [event("ev-fresh", message="one")], mode="create")
    store.bulk("events", [event("ev-fresh", message="two")], mode="index", refresh=True)
    assert store.count("events", Ids(["ev-fresh"])) == 1
    assert store.get("events", "ev-fresh").source["message"] == "two"
    streams = {h.extra["index"] for h in store.search("events", Ids(["ev-idem-0"])).hits}
    assert all(ix.startswith(".ds-logs-test.live-") for ix in streams)


@live
@pytest.mark.engine
def test_bad_documents_fail_alone(store: EngineStore) -> None:
    docs = [
        event("bad-ok-1", message="good"),
        event("bad-port", source={"port": "abc"}),
        {"@timestamp": ts(0), "message": "no id"},
        event("bad-ts", **{"@timestamp": "yesterday"}),
        event("bad-ok-2", message="good"),
        "not a document",
    ]
    result = store.bulk("events", docs, mode="create", refresh=True)
    assert result.written == 2
    assert [(e.index, e.id) for e in result.errors] == [
        (1, "bad-port"), (2, None), (3, "bad-ts"), (5, None)]
    assert "source.port" in result.errors[0].reason
    assert "event.id" in result.errors[1].reason
    assert store.count("events", Ids(["bad-ok-1", "bad-ok-2", "bad-port"])) == 2


@live
@pytest.mark.engine
def test_engine_rejections_are_reported_per_document(store: EngineStore) -> None:
    store.bulk("alerts", [{"id": "shape-1", "custom": {"n": 1}}], refresh=True)
    result = store.bulk("alerts", [{"id": "shape-2", "custom": "flat"},
                                   {"id": "shape-3", "custom": {"n": 2}}], refresh=True)
    assert result.written == 1
    assert [(e.index, e.id) for e in result.errors] == [(0, "shape-2")]
    assert "mapper_parsing_exception" in result.errors[0].reason


@live
@pytest.mark.engine
@pytest.mark.parametrize("name", ["alerts", "events"])
def test_get_put_with_versions(store: EngineStore, name: str) -> None:
    id_field = "id" if name == "alerts" else "event.id"
    doc = {"@timestamp": ts(1), id_field: f"ver-{name}", "message": "v1"}
    if name == "events":
        doc = event(f"ver-{name}", 1, message="v1")
    v1 = store.put(name, doc)
    got = store.get(name, f"ver-{name}")
    assert got is not None and got.version == v1 and got.source["message"] == "v1"
    v2 = store.put(name, dict(doc, message="v2"), if_version=v1)
    assert v2 != v1
    with pytest.raises(ConflictError):
        store.put(name, dict(doc, message="stale"), if_version=v1)
    with pytest.raises(ConflictError):
        store.put(name, dict(doc, message="alien"), if_version="7")
    v3 = store.update(name, f"ver-{name}", {"message": "v3"})
    assert store.get(name, f"ver-{name}").version == v3
    assert store.get(name, f"ver-{name}").source["message"] == "v3"
    missing = dict(doc, message="x")
    if name == "events":
        missing["event"] = {"id": "ver-missing", "dataset": "test.live"}
    else:
        missing["id"] = "ver-missing"
    with pytest.raises(NotFound):
        store.put(name, missing, if_version=v1)
    assert store.get(name, "ver-missing") is None
    assert store.delete(name, f"ver-{name}", refresh=True) is True
    assert store.delete(name, f"ver-{name}") is False
    assert store.get(name, f"ver-{name}") is None
    with pytest.raises(InvalidDocument, match="missing or not a non-empty string"):
        store.put(name, {"@timestamp": ts(0)})


@live
@pytest.mark.engine
def test_dead_letter(store: EngineStore) -> None:
    doc_id = store.dead_letter("syslog", "unparsable", b"\xff\xfe binary" * 10000,
                               {"peer": "10.0.0.1", "nested": {"any": ["shape", 1]}})
    stored = store.get("dead_letters", doc_id)
    assert stored.source["raw_encoding"] == "base64"
    assert stored.source["raw_truncated"] is True


# --- paging ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paged(store: EngineStore) -> int:
    docs = []
    for i in range(2500):
        doc = event(f"page-{i:05d}", minutes=i // 7, labels={"run": "paging"},
                    event__risk_score=float(i % 13) if i % 4 else None)
        doc["event"]["dataset"] = f"paging{i % 3}"
        if i % 3:
            doc["user"] = {"name": f"user{i % 50:02d}"}
        docs.append(doc)
    result = store.bulk("events", docs, mode="create", refresh=True)
    assert result.ok and result.written == 2500
    return 2500


@live
@pytest.mark.engine
@pytest.mark.parametrize("sort", [
    [Sort("@timestamp", "desc")],
    [Sort("user.name")],
    [Sort("event.risk_score", "desc"), Sort("@timestamp")],
    None,
])
def test_search_after_paging_has_no_gaps_or_repeats(store: EngineStore, paged: int,
                                                     sort: list[Sort] | None) -> None:
    query = Term("labels.run", "paging")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = store.search("events", query, sort=sort, size=100, cursor=cursor)
        assert page.total == paged
        seen += [d.id for d in page.hits]
        pages += 1
        if page.cursor is None:
            break
        cursor = page.cursor
    assert len(seen) == paged and len(set(seen)) == paged
    assert pages == 26  # 25 full pages, then an empty one ends the walk
    if sort is None:
        assert seen == sorted(seen)
    all_docs = list(store.scan("events", query, sort=sort, page_size=1000))
    assert [d.id for d in all_docs] == seen
    if sort and sort[0].field == "user.name":
        names = [d.source.get("user", {}).get("name") for d in all_docs]
        present = [n for n in names if n is not None]
        assert present == sorted(present)
        assert names[len(present):] == [None] * (paged - len(present))  # missing last


@live
@pytest.mark.engine
def test_search_refuses_bad_pages(store: EngineStore) -> None:
    with pytest.raises(QueryError):
        store.search("events", size=10_001)
    with pytest.raises(QueryError, match="cursor"):
        store.search("events", cursor="garbage!")


# --- full text -----------------------------------------------------------------------------


@live
@pytest.mark.engine
def test_vietnamese_match_with_and_without_diacritics(store: EngineStore) -> None:
    nfd = unicodedata.normalize("NFD", "Ngập nước ở Cần Thơ")
    docs = [
        {"id": "vn-1", "title": "Ngập lụt ở Cần Thơ", "body": "Đường Nguyễn Văn Cừ ngập sâu"},
        {"id": "vn-2", "title": "Giao thông", "body": "Kẹt xe trên duong Vo Van Kiet"},
        {"id": "vn-3", "title": nfd, "summary": "ĐÀ NẴNG"},
        {"id": "vn-4", "title": "Tin khác", "body": "Thơ hay, cần đọc"},
    ]
    assert store.bulk("articles", docs, refresh=True).written == 4

    def ids(query: Match) -> list[str]:
        return [d.id for d in store.search("articles", query).hits]

    assert ids(Match("can tho")) == ["vn-1", "vn-3", "vn-4"]
    assert ids(Match("Cần Thơ")) == ["vn-1", "vn-3", "vn-4"]
    assert ids(Match("cần thơ", phrase=True)) == ["vn-1", "vn-3"]
    assert ids(Match("duong")) == ["vn-1", "vn-2"]
    assert ids(Match("đường")) == ["vn-1", "vn-2"]
    assert ids(Match("da nang")) == ["vn-3"]
    assert ids(Match("ngập cừ")) == ["vn-1"]  # words from title and body together
    assert ids(Match("ngap", field="body")) == ["vn-1"]
    assert ids(Match("ngập sâu lụt", phrase=True)) == []
    assert store.count("articles", Match("")) == 0

    store.bulk("events", [event("vn-ev", message="Mất điện tại Quận Ninh Kiều, Cần Thơ")],
               refresh=True)
    assert [d.id for d in store.search("events", Match("mat dien can tho")).hits] == ["vn-ev"]


# --- aggregations ---------------------------------------------------------------------------


@live
@pytest.mark.engine
def test_every_aggregation(store: EngineStore) -> None:
    base = T0 + timedelta(days=30)
    rows = [  # (hour offset, host, port, bytes, established)
        (0, "web-1", 443, 100, True),
        (1, "web-2", 443, 300, False),
        (1, "web-1", 22, 200, True),
        (5, "db-1", 5432, 400, True),  # hours 2-4 are empty buckets
    ]
    docs = []
    for i, (hour, host, port, size, ok) in enumerate(rows):
        docs.append({"@timestamp": format_timestamp(base + timedelta(hours=hour, minutes=i)),
                     "event": {"id": f"agg-{i}", "dataset": "aggs"},
                     "host": {"name": host}, "destination": {"port": port},
                     "source": {"bytes": size}, "tls": {"established": ok},
                     "labels": {"run": "aggs"}})
    assert store.bulk("events", docs, refresh=True).written == 4
    query = Term("labels.run", "aggs")
    out = store.aggregate("events", {
        "hosts": TermsAgg("host.name"),
        "ports": TermsAgg("destination.port", size=1),
        "tls": TermsAgg("tls.established"),
        "hourly": DateHistogram("@timestamp", "1h"),
        "daily_vn": DateHistogram("@timestamp", "1d", "+07:00"),
        "distinct": Cardinality("host.name"),
        "first": Min("@timestamp"),
        "last": Max("@timestamp"),
        "least": Min("source.bytes"),
        "mean": Avg("source.bytes"),
        "lowest_host": Min("host.name"),
        "highest_host": Max("host.name"),
    }, query)
    assert out["hosts"] == [{"key": "web-1", "count": 2}, {"key": "db-1", "count": 1},
                            {"key": "web-2", "count": 1}]
    assert out["ports"] == [{"key": 443, "count": 2}]
    assert out["tls"] == [{"key": True, "count": 3}, {"key": False, "count": 1}]
    assert [b["count"] for b in out["hourly"]] == [1, 2, 0, 0, 0, 1]
    assert out["hourly"][0]["key"] == format_timestamp(base)
    assert out["hourly"][2]["key"] == format_timestamp(base + timedelta(hours=2))
    assert out["daily_vn"] == [{"key": format_timestamp(base - timedelta(hours=7)),
                                "count": 4}]
    assert out["distinct"] == 3
    assert out["first"] == format_timestamp(base)
    assert out["last"] == format_timestamp(base + timedelta(hours=5, minutes=3))
    assert out["least"] == 100.0 and out["mean"] == 250.0
    assert (out["lowest_host"], out["highest_host"]) == ("db-1", "web-2")
    empty = store.aggregate("events", {"m": Max("source.bytes"), "a": Avg("source.bytes"),
                                       "t": TermsAgg("host.name"), "c": Cardinality("host.name"),
                                       "h": DateHistogram("@timestamp", "1h")},
                            Term("labels.run", "nothing"))
    assert empty == {"m": None, "a": None, "t": [], "c": 0, "h": []}


# --- queries, sub-fields, native -------------------------------------------------------------


@live
@pytest.mark.engine
def test_structured_queries(store: EngineStore) -> None:
    docs = [
        event("q-1", 10, source={"ip": "10.0.0.1", "port": 22}, user={"name": "An"},
              labels={"run": "q"}),
        event("q-2", 20, source={"ip": "2001:db8::1", "port": 443}, labels={"run": "q"}),
        event("q-3", 30, source={"port": 8080}, tags=["vpn", "edge"], labels={"run": "q"}),
    ]
    store.bulk("events", docs, refresh=True)
    run = Term("labels.run", "q")

    def ids(q: object) -> list[str]:
        return [d.id for d in store.search("events", Bool(filter=[run, q])).hits]

    assert ids(Term("source.ip", "2001:0db8::1")) == ["q-2"]
    assert ids(Terms("source.port", ["22", 8080])) == ["q-1", "q-3"]
    assert ids(Range("@timestamp", gt=ts(10), lte="2026-11-26T07:20:00+07:00")) == ["q-2"]
    assert ids(Exists("user.name")) == ["q-1"]
    assert ids(Term("tags", "edge")) == ["q-3"]
    assert ids(Bool(should=[Term("user.name", "An"), Term("source.port", 443)])) == ["q-1",
                                                                                     "q-2"]
    assert ids(Bool(must_not=[Exists("user.name")])) == ["q-2", "q-3"]
    with pytest.raises(QueryError, match="full-text"):
        store.count("events", Term("message", "x"))


@live
@pytest.mark.engine
def test_caseless_subfields_and_native_queries(store: EngineStore) -> None:
    docs = [
        event("n-1", process={"executable": "C:\\Windows\\System32\\CMD.EXE"},
              winlog={"event_data": {"Image": "C:\\Tools\\PsExec.exe"}}, labels={"run": "n"}),
        event("n-2", process={"executable": "/usr/bin/curl"}, labels={"run": "n"}),
    ]
    store.bulk("events", docs, refresh=True)
    term = {"term": {"process.executable.caseless": "c:\\windows\\system32\\cmd.exe"}}
    assert [d.id for d in store.search_native("events", term)] == ["n-1"]
    dynamic = {"query": {"term": {"winlog.event_data.Image.caseless": "c:\\tools\\psexec.exe"}}}
    assert [d.id for d in store.search_native("events", dynamic)] == ["n-1"]
    lucene = 'labels.run:n AND process.executable:"/usr/bin/curl"'
    results = store.msearch_native("events", [term, lucene, {"term": {"labels.run": "n"}},
                                              "labels.run:none"], size=10)
    assert [[d.id for d in r] for r in results] == [["n-1"], ["n-2"], ["n-1", "n-2"], []]
    assert results[0][0].version is not None
    ordered = store.search_native("events", {"term": {"labels.run": "n"}},
                                  sort=[Sort("event.id", "desc")])
    assert [d.id for d in ordered] == ["n-2", "n-1"]
    assert store.msearch_native("events", []) == []
    with pytest.raises(QueryError, match="native query 1"):
        store.msearch_native("events", [term, {"range": {"@timestamp": {"gte": "not a date"}}}])


@live
@pytest.mark.engine
def test_scan_native_pages_past_one_page(store: EngineStore) -> None:
    docs = [event(f"s-{i:04d}", i / 60, labels={"run": "s" if i % 10 else "other"})
            for i in range(2_500)]
    store.bulk("events", docs, refresh=True)
    got = [d.id for d in store.scan_native("events", "labels.run:s",
                                           sort=[Sort("@timestamp", "asc")], page_size=400)]
    want = [d["event"]["id"] for d in docs if d["labels"]["run"] == "s"]
    assert got == want  # 2,250 documents over six pages, in order, none twice
    assert list(store.scan_native("events", "labels.run:none")) == []
    with pytest.raises(QueryError):
        list(store.scan_native("events", {"range": {"@timestamp": {"gte": "not a date"}}}))


@live
@pytest.mark.engine
def test_delete_by_query_and_count(store: EngineStore) -> None:
    docs = [{"id": f"dbq-{i}", "@timestamp": ts(i), "status": "old" if i < 7 else "new"}
            for i in range(10)]
    store.bulk("incidents", docs)  # no refresh: delete_by_query must still see them
    assert store.delete_by_query("incidents", Term("status", "old")) == 7
    assert store.count("incidents") == 3
    assert store.delete_by_query("incidents", Term("status", "old")) == 0
