"""The storage contract, run against every backend (ids name the backend).

Expected answers are computed in Python from the documents written, so every
backend must give the same answer, and the right one.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from store import ConflictError, NotFound, QueryError
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

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)


def ev(i: int, **fields) -> dict:
    """A small ECS event with a deterministic id."""
    doc = {
        "@timestamp": (T0 + timedelta(minutes=7 * i)).isoformat(),
        "event": {"id": f"ev-{i:05d}", "dataset": ["syslog", "zeek.conn", "nginx.access"][i % 3],
                  "kind": "event"},
        "host": {"name": f"host-{i % 4}"},
        "source": {"ip": f"10.0.{i % 3}.{i % 7 + 1}", "port": 1000 + i, "bytes": i * 10},
        "user": {"name": ["an", "binh", "chau"][i % 3]},
        "message": f"message number {i}",
        "tags": ["even" if i % 2 == 0 else "odd", "all"],
    }
    for path, value in fields.items():
        cur = doc
        parts = path.split("__")
        for p in parts[:-1]:
            cur = cur.setdefault(p, {})
        cur[parts[-1]] = value
    return doc


def ids_of(page) -> list[str]:
    return [h.id for h in page.hits]


# -- writes --------------------------------------------------------------------


def test_index_mode_rewrites_are_idempotent(store):
    docs = [ev(i) for i in range(20)]
    first = store.bulk("events", docs, mode="index", refresh=True)
    again = store.bulk("events", [ev(i) for i in range(20)], mode="index", refresh=True)
    assert first.ok and again.ok
    assert first.written == 20
    store.refresh("events")
    assert store.count("events") == 20


def test_create_mode_keeps_the_first_and_counts_replays(store):
    store.bulk("events", [ev(i) for i in range(10)], mode="create", refresh=True)
    replay = store.bulk("events", [ev(i, message="changed") for i in range(15)], mode="create",
                        refresh=True)
    store.refresh("events")
    assert replay.written == 5
    assert replay.existing == 10
    assert replay.ok
    assert store.count("events") == 15
    assert store.get("events", "ev-00003").source["message"] == "message number 3"


def test_one_bad_document_does_not_sink_the_batch(store):
    docs = [ev(0), {"@timestamp": T0.isoformat(), "message": "no id"}, ev(2),
            ev(3, source__port="not-a-port"), ev(4, source__ip="999.1.1.1"), "not an object",
            ev(6)]
    result = store.bulk("events", docs, mode="create", refresh=True)
    store.refresh("events")
    assert result.written == 3
    bad = {e.index: e for e in result.errors}
    assert sorted(bad) == [1, 3, 4, 5]
    assert "event.id" in bad[1].reason
    assert "source.port" in bad[3].reason and bad[3].id == "ev-00003"
    assert "source.ip" in bad[4].reason
    assert store.count("events") == 3
    assert sorted(h.id for h in store.search("events").hits) == ["ev-00000", "ev-00002",
                                                                  "ev-00006"]


def test_events_without_timestamp_are_rejected(store):
    doc = ev(1)
    del doc["@timestamp"]
    result = store.bulk("events", [doc], mode="create")
    assert not result.ok and "@timestamp" in result.errors[0].reason


def test_dotted_keys_and_loose_values_are_canonicalised(store):
    flat = {"@timestamp": "2026-11-20T07:00:00+07:00", "event.id": "flat-1",
            "host.name": "gw", "source.port": "443", "source.ip": "10.1.2.3"}
    assert store.bulk("events", [flat], mode="create", refresh=True).ok
    store.refresh("events")
    got = store.get("events", "flat-1").source
    assert got["@timestamp"] == "2026-11-20T00:00:00.000Z"
    assert got["host"]["name"] == "gw" and got["source"]["port"] == 443
    assert store.count("events", Term("source.port", 443)) == 1


def test_get_put_and_optimistic_concurrency(store):
    v1 = store.put("incidents", {"id": "inc-1", "@timestamp": T0.isoformat(), "status": "new",
                                 "title": "Quét cổng từ 10.0.0.5"}, refresh=True)
    doc = store.get("incidents", "inc-1")
    assert doc.source["status"] == "new" and doc.version == v1
    v2 = store.update("incidents", "inc-1", {"status": "acknowledged"}, if_version=v1,
                      refresh=True)
    assert v2 != v1
    with pytest.raises(ConflictError):
        store.update("incidents", "inc-1", {"status": "resolved"}, if_version=v1)
    with pytest.raises(NotFound):
        store.update("incidents", "missing", {"status": "resolved"})
    assert store.get("incidents", "inc-1").source["status"] == "acknowledged"
    assert store.get("incidents", "nope") is None
    assert store.delete("incidents", "inc-1", refresh=True) is True
    assert store.delete("incidents", "inc-1", refresh=True) is False


def test_delete_by_query_removes_only_matches(store):
    store.bulk("events", [ev(i) for i in range(30)], mode="create", refresh=True)
    store.refresh("events")
    removed = store.delete_by_query("events", Range("@timestamp", lt=T0 + timedelta(minutes=70)))
    store.refresh("events")
    assert removed == 10
    assert store.count("events") == 20
    assert store.count("events", Range("@timestamp", lt=T0 + timedelta(minutes=70))) == 0


def test_dead_letters_keep_raw_bytes_and_reason(store):
    dl_id = store.dead_letter("syslog:udp", "not RFC 3164 or 5424", b"\xff\xfe garbage \x00")
    store.refresh("dead_letters")
    doc = store.get("dead_letters", dl_id).source
    assert doc["reason"] == "not RFC 3164 or 5424"
    assert doc["raw_encoding"] == "base64" and doc["source"] == "syslog:udp"


# -- queries -------------------------------------------------------------------


@pytest.fixture
def loaded(store):
    docs = [ev(i) for i in range(60)]
    docs[5]["user"] = {}  # user.name missing on one event
    assert store.bulk("events", docs, mode="create", refresh=True).ok
    store.refresh("events")
    return store, docs


def test_term_terms_range_exists_ids_bool(loaded):
    store, docs = loaded
    assert store.count("events", Term("host.name", "host-1")) == 15
    assert store.count("events", Term("tags", "even")) == 30  # any value of an array
    assert store.count("events", Terms("user.name", ["an", "chau"])) == 39
    assert store.count("events", Range("source.port", gte=1010, lt=1020)) == 10
    assert store.count("events", Range("@timestamp", gt=T0, lte=T0 + timedelta(minutes=70))) == 10
    assert store.count("events", Exists("user.name")) == 59
    assert store.count("events", Ids(["ev-00001", "ev-00002", "zzz"])) == 2
    q = Bool(filter=[Term("tags", "odd")], must_not=[Term("user.name", "binh")],
             should=[Term("host.name", "host-1"), Term("host.name", "host-3")])
    expected = [d for d in docs if "odd" in d["tags"] and d["user"].get("name") != "binh"
                and d["host"]["name"] in ("host-1", "host-3")]
    assert store.count("events", q) == len(expected)
    # must_not keeps documents that lack the field, as Elasticsearch does
    assert store.count("events", Bool(must_not=[Term("user.name", "an")])) == 40


def test_term_on_a_full_text_field_is_refused(loaded):
    store, _ = loaded
    with pytest.raises(QueryError, match="full-text"):
        store.count("events", Term("message", "x"))


def test_paging_has_no_gaps_or_repeats(store):
    # 2,500 documents with only 10 distinct timestamps: the id breaks ties.
    docs = [{"@timestamp": (T0 + timedelta(hours=i % 10)).isoformat(),
             "event": {"id": f"p-{i:05d}"}, "host": {"name": f"h{i % 13}"}}
            for i in range(2500)]
    assert store.bulk("events", docs, mode="create").ok
    store.refresh("events")
    seen, cursor, pages = [], None, 0
    while True:
        page = store.search("events", MatchAll(), sort=[Sort("@timestamp", "desc")], size=100,
                            cursor=cursor)
        assert page.total == 2500
        seen += [(h.source["@timestamp"], h.id) for h in page.hits]
        pages += 1
        if not page.cursor:
            break
        cursor = page.cursor
        assert pages < 100
    assert len(seen) == 2500 and len({i for _, i in seen}) == 2500
    assert seen == sorted(seen, key=lambda x: (-datetime.fromisoformat(
        x[0].replace("Z", "+00:00")).timestamp(), x[1]))


def test_sort_puts_missing_values_last(loaded):
    store, _ = loaded
    page = store.search("events", sort=[Sort("user.name", "desc")], size=60)
    assert page.hits[-1].id == "ev-00005"
    names = [h.source["user"].get("name") for h in page.hits[:-1]]
    assert names == sorted(names, reverse=True)


VIETNAMESE = [
    ("a1", "Ủy ban nhân dân thành phố Cần Thơ họp về ngập lụt đường Nguyễn Văn Cừ"),
    ("a2", "Cảnh sát giao thông Cần Thơ xử lý vi phạm trên cầu Hưng Lợi"),
    ("a3", "Du lịch chợ nổi Cái Răng thu hút khách quốc tế"),
    ("a4", "Flooding in Can Tho city: residents of Ninh Kieu district evacuated"),
]


@pytest.fixture
def articles(store):
    docs = [{"id": i, "@timestamp": T0.isoformat(), "title": t, "language": "vi",
             "source": {"name": "bao-mau"}} for i, t in VIETNAMESE]
    # one stored in NFD (decomposed) form, as some sites send it
    docs[2]["title"] = unicodedata.normalize("NFD", docs[2]["title"])
    assert store.bulk("articles", docs, refresh=True).ok
    store.refresh("articles")
    return store


@pytest.mark.parametrize(("text", "expected"), [
    ("Cần Thơ", {"a1", "a2", "a4"}),
    ("can tho", {"a1", "a2", "a4"}),
    ("CAN THO", {"a1", "a2", "a4"}),
    ("đường", {"a1"}),
    ("duong", {"a1"}),
    ("ngap lut", {"a1"}),
    (unicodedata.normalize("NFD", "chợ nổi"), {"a3"}),
    ("cho noi", {"a3"}),
    ("Cái Răng", {"a3"}),
    ("cần thơ cầu", {"a2"}),
    ("hanoi", set()),
])
def test_vietnamese_full_text_with_and_without_diacritics(articles, text, expected):
    page = articles.search("articles", Match(text), size=10)
    assert set(ids_of(page)) == expected


def test_phrase_and_hostile_match_text(articles):
    assert set(ids_of(articles.search("articles", Match("thành phố Cần Thơ", phrase=True)))) == {"a1"}
    assert ids_of(articles.search("articles", Match("tho can", phrase=True))) == []
    for hostile in ['"', "can* OR tho", "title:(x)", "NEAR(a b)", "' OR 1=1 --", "\\", "{}[]^~"]:
        articles.search("articles", Match(hostile))  # no error, whatever it matches
    assert ids_of(articles.search("articles", Match("' OR 1=1 --"))) == []


# -- aggregations --------------------------------------------------------------


def test_aggregations_match_python(loaded):
    store, docs = loaded
    q = Term("tags", "all")
    out = store.aggregate("events", {
        "users": TermsAgg("user.name", size=10),
        "tags": TermsAgg("tags", size=5),
        "ports": TermsAgg("source.port", size=3),
        "per_hour": DateHistogram("@timestamp", "1h"),
        "per_day_local": DateHistogram("@timestamp", "1d", offset="+07:00"),
        "ips": Cardinality("source.ip"),
        "min_bytes": Min("source.bytes"),
        "max_bytes": Max("source.bytes"),
        "avg_bytes": Avg("source.bytes"),
        "first": Min("@timestamp"),
        "last": Max("@timestamp"),
    }, query=q)
    users = Counter(d["user"]["name"] for d in docs if d["user"].get("name"))
    expected_users = sorted(users.items(), key=lambda kv: (-kv[1], kv[0]))
    assert out["users"] == [{"key": k, "count": n} for k, n in expected_users]
    assert out["tags"] == [{"key": "all", "count": 60}, {"key": "even", "count": 30},
                           {"key": "odd", "count": 30}]
    assert out["ports"] == [{"key": 1000, "count": 1}, {"key": 1001, "count": 1},
                            {"key": 1002, "count": 1}]
    hours = Counter((T0 + timedelta(minutes=7 * i)).replace(minute=0) for i in range(60))
    first, last = min(hours), max(hours)
    expected_hours = []
    t = first
    while t <= last:
        expected_hours.append({"key": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "count": hours[t]})
        t += timedelta(hours=1)
    assert out["per_hour"] == expected_hours
    # 60 events over 7 hours from 00:00 UTC = 07:00 local: one local day that
    # started at 2026-11-19T17:00Z
    assert out["per_day_local"] == [{"key": "2026-11-19T17:00:00.000Z", "count": 60}]
    assert out["ips"] == len({d["source"]["ip"] for d in docs})
    assert out["min_bytes"] == 0.0 and out["max_bytes"] == 590.0
    assert out["avg_bytes"] == pytest.approx(sum(i * 10 for i in range(60)) / 60)
    assert out["first"] == "2026-11-20T00:00:00.000Z"
    assert out["last"] == (T0 + timedelta(minutes=7 * 59)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_aggregations_on_nothing(store):
    out = store.aggregate("events", {"u": TermsAgg("user.name"), "h": DateHistogram(
        "@timestamp", "1h"), "c": Cardinality("user.name"), "m": Max("source.bytes")})
    assert out == {"u": [], "h": [], "c": 0, "m": None}


# -- concurrency ---------------------------------------------------------------


def test_concurrent_writers_lose_nothing(store):
    def writer(w: int) -> int:
        docs = [ev(w * 1000 + i) for i in range(250)]
        result = store.bulk("events", docs, mode="create")
        assert result.ok, result.errors[:3]
        return result.written

    with ThreadPoolExecutor(max_workers=4) as pool:
        written = sum(pool.map(writer, range(4)))
    store.refresh("events")
    assert written == 1000
    assert store.count("events") == 1000
    assert store.aggregate("events", {"c": Cardinality("event.id")})["c"] == 1000


def test_ip_ranges_and_blocks_compare_as_addresses(store):
    docs = [{"@timestamp": "2026-11-20T00:00:00Z", "event": {"id": f"ip-{i}"},
             "source": {"ip": ip}} for i, ip in enumerate(
                 ["10.0.2.3", "10.0.2.255", "10.0.3.1", "192.168.1.9", "2001:db8::1"])]
    assert store.bulk("events", docs, mode="create").ok
    store.refresh("events")
    assert store.count("events", Range("source.ip", gte="10.0.2.4", lte="10.0.3.0")) == 1
    assert store.count("events", Term("source.ip", "10.0.2.0/24")) == 2
    assert store.count("events", Terms("source.ip", ["10.0.0.0/8", "2001:db8::/32"])) == 4
    assert store.count("events", Term("source.ip", "192.168.1.9")) == 1


def test_sort_by_id_descending_and_by_a_multi_valued_field(store):
    docs = [{"@timestamp": "2026-11-20T00:00:00Z", "event": {"id": f"m-{i}"},
             "tags": tags} for i, tags in enumerate([["b", "x"], ["a", "c"], ["d"]])]
    assert store.bulk("events", docs, mode="create").ok
    store.refresh("events")
    assert ids_of(store.search("events", sort=[Sort("event.id", "desc")])) == ["m-2", "m-1",
                                                                                "m-0"]
    # ascending by the lowest tag, descending by the highest
    assert ids_of(store.search("events", sort=[Sort("tags", "asc")])) == ["m-1", "m-0", "m-2"]
    assert ids_of(store.search("events", sort=[Sort("tags", "desc")])) == ["m-0", "m-2", "m-1"]


def test_min_and_max_of_keywords_are_text(loaded):
    store, _ = loaded
    out = store.aggregate("events", {"lo": Min("host.name"), "hi": Max("host.name")})
    assert out == {"lo": "host-0", "hi": "host-3"}


def test_put_of_an_invalid_document_says_why(store):
    from store import InvalidDocument

    with pytest.raises(InvalidDocument, match=r"source\.port"):
        store.put("events", {"@timestamp": "2026-11-20T00:00:00Z", "event": {"id": "bad"},
                             "source": {"port": "eighty"}})


# -- dotted fields through arrays of objects -----------------------------------
#
# The engine flattens arrays of objects: ``entities.id`` holds every ``id`` of
# every object in ``entities``, at any depth of arrays.  ``flat_values`` says
# the same in Python, and the expected answers below are computed with it.

PEOPLE = [
    {"id": "ar-1", "entities": [{"id": "ubnd-can-tho", "kind": "ORG", "weight": 9},
                                {"id": "ninh-kieu", "kind": "LOC", "weight": 4}],
     "mentions": [{"places": [{"name": "cau-hung-loi", "rank": 3},
                              {"name": "ben-ninh-kieu", "rank": 8}]},
                  {"places": [{"name": "cho-noi", "rank": 5}]}]},
    {"id": "ar-2", "entities": [{"id": "ninh-kieu", "kind": "LOC", "weight": 7}],
     "mentions": [{"places": {"name": "cho-noi", "rank": 1}}],
     # deeper than SQLite enumerates array positions for: walked another way
     "deep": {"a": [{"b": {"c": [{"d": {"e": ["ca", "cb"]}}, {"d": {"e": "cc"}}]}}]}},
    # an array inside an array of objects, and nested arrays
    {"id": "ar-3", "entities": [{"id": ["cai-rang", "phong-dien"], "kind": "LOC"},
                                [{"id": "song-hau", "weight": 2}]],
     "mentions": [[{"places": [[{"name": "song-hau", "rank": 12}]]}]]},
    # a single object rather than an array: the same field
    {"id": "ar-4", "entities": {"id": "ubnd-can-tho", "kind": "ORG", "weight": 1}},
    # objects without the field, nulls, an empty array
    {"id": "ar-5", "entities": [{"kind": "PER"}, None, {"id": None}],
     "mentions": [], "deep": [{"a": {"b": [[{"c": {"d": [{"e": "cd"}]}}]]}}]},
    {"id": "ar-6", "title": "no entities at all"},
    # text that looks like an array of the field must not fool the SQLite walk
    {"id": "ar-7", "author": '"entities":[{"id":"ninh-kieu"}]', "entities": [],
     "mentions": [{"places": []}]},
]


def flat_values(doc: object, path: str) -> list:
    """Every non-null value of a dotted path, arrays flattened at every level."""
    if isinstance(doc, list):
        return [v for item in doc for v in flat_values(item, path)]
    if not path:
        return [] if doc is None else [doc]
    if not isinstance(doc, dict):
        return []
    head, _, rest = path.partition(".")
    return flat_values(doc.get(head), rest)


@pytest.fixture
def people(store):
    docs = [{"@timestamp": T0.isoformat(), **d} for d in PEOPLE]
    result = store.bulk("articles", docs, refresh=True)
    assert result.ok, result.errors
    store.refresh("articles")
    return store


def matching(pred, path: str) -> set[str]:
    return {d["id"] for d in PEOPLE if any(pred(v) for v in flat_values(d, path))}


@pytest.mark.parametrize("path", ["entities.id", "mentions.places.name", "deep.a.b.c.d.e"])
def test_term_terms_exists_through_arrays_of_objects(people, path):
    values = sorted({v for d in PEOPLE for v in flat_values(d, path)})
    assert len(values) >= 4
    for value in values:
        assert set(ids_of(people.search("articles", Term(path, value)))) == \
            matching(lambda v, value=value: v == value, path), value
    pair = values[:2]
    assert set(ids_of(people.search("articles", Terms(path, pair)))) == \
        matching(lambda v: v in pair, path)
    assert set(ids_of(people.search("articles", Exists(path)))) == matching(lambda v: True, path)
    assert set(ids_of(people.search("articles", Bool(must_not=[Term(path, values[0])])))) == \
        {d["id"] for d in PEOPLE} - matching(lambda v: v == values[0], path)


@pytest.mark.parametrize(("path", "bounds"), [
    ("entities.weight", {"gte": 4, "lt": 9}),
    ("entities.weight", {"gt": 7}),
    ("mentions.places.rank", {"gte": 5}),
    ("mentions.places.rank", {"lte": 1}),
    ("entities.id", {"gte": "ninh", "lt": "s"}),
])
def test_range_through_arrays_of_objects(people, path, bounds):
    ops = {"gte": lambda a, b: a >= b, "gt": lambda a, b: a > b,
           "lte": lambda a, b: a <= b, "lt": lambda a, b: a < b}
    expected = matching(lambda v: all(ops[op](v, b) for op, b in bounds.items()), path)
    assert expected  # the case is not vacuous
    assert set(ids_of(people.search("articles", Range(path, **bounds)))) == expected


@pytest.mark.parametrize("path", ["entities.id", "entities.weight", "mentions.places.rank"])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_sort_through_arrays_of_objects(people, path, order):
    pick = min if order == "asc" else max
    keyed = [(pick(flat_values(d, path)), d["id"]) for d in PEOPLE if flat_values(d, path)]
    keyed.sort(key=lambda kv: kv[1])  # the id breaks ties, ascending
    keyed.sort(key=lambda kv: kv[0], reverse=order == "desc")
    missing = sorted(d["id"] for d in PEOPLE if not flat_values(d, path))
    expected = [i for _, i in keyed] + missing
    assert ids_of(people.search("articles", sort=[Sort(path, order)], size=20)) == expected
    # the same order page by page
    seen, cursor = [], None
    while True:
        page = people.search("articles", sort=[Sort(path, order)], size=2, cursor=cursor)
        seen += ids_of(page)
        if not page.cursor:
            break
        cursor = page.cursor
    assert seen == expected


@pytest.mark.parametrize("path", ["entities.id", "entities.kind", "mentions.places.name"])
def test_terms_agg_and_cardinality_through_arrays_of_objects(people, path):
    per_doc = [set(flat_values(d, path)) for d in PEOPLE]
    counts = Counter(v for values in per_doc for v in values)  # a document counts once
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    out = people.aggregate("articles", {"top": TermsAgg(path, size=50),
                                        "distinct": Cardinality(path)})
    assert out["top"] == [{"key": k, "count": n} for k, n in expected]
    assert out["distinct"] == len(counts)
    # under a query on another field seen through the array
    q = Term("entities.kind", "LOC")
    kept = [values for d, values in zip(PEOPLE, per_doc, strict=True)
            if "LOC" in flat_values(d, "entities.kind")]
    sub = Counter(v for values in kept for v in values)
    assert people.aggregate("articles", {"t": TermsAgg(path, size=50)}, query=q)["t"] == [
        {"key": k, "count": n} for k, n in sorted(sub.items(), key=lambda kv: (-kv[1], kv[0]))]


def test_numbers_through_arrays_of_objects(people):
    ranks = [v for d in PEOPLE for v in flat_values(d, "mentions.places.rank")]
    out = people.aggregate("articles", {"lo": Min("mentions.places.rank"),
                                        "hi": Max("mentions.places.rank"),
                                        "avg": Avg("mentions.places.rank")})
    assert out == {"lo": float(min(ranks)), "hi": float(max(ranks)),
                   "avg": pytest.approx(sum(ranks) / len(ranks))}


def test_no_match_through_arrays_of_objects(people):
    assert people.count("articles", Term("entities.id", "ha-noi")) == 0
    assert people.count("articles", Terms("entities.id", ["ha-noi", "hue"])) == 0
    assert people.count("articles", Terms("entities.id", [])) == 0
    assert people.count("articles", Exists("entities.missing")) == 0
    assert people.count("articles", Exists("mentions.places.missing")) == 0
    assert people.count("articles", Range("mentions.places.rank", gt=100)) == 0
    # a deeper part of another field is not this field
    assert people.count("articles", Term("entities.kind.id", "LOC")) == 0
    assert people.count("articles", Term("mentions.name", "cho-noi")) == 0
    out = people.aggregate("articles", {"t": TermsAgg("entities.missing"),
                                        "c": Cardinality("mentions.places.missing"),
                                        "m": Max("entities.missing")},
                           query=Term("entities.id", "ha-noi"))
    assert out == {"t": [], "c": 0, "m": None}
    assert ids_of(people.search("articles", sort=[Sort("entities.missing", "desc")], size=20)) \
        == sorted(d["id"] for d in PEOPLE)


def test_arrays_mixing_objects_and_plain_values_are_refused(store):
    docs = [{"id": "mx-1", "@timestamp": T0.isoformat(), "entities": [{"id": "a"}]},
            {"id": "mx-2", "@timestamp": T0.isoformat(), "entities": ["plain", {"id": "b"}]},
            {"id": "mx-3", "@timestamp": T0.isoformat(), "mentions": [{"places": "x"},
                                                                       {"places": {"name": "y"}}]},
            {"id": "mx-4", "@timestamp": T0.isoformat(), "entities": [None, {"id": "c"}]}]
    result = store.bulk("articles", docs, refresh=True)
    store.refresh("articles")
    assert sorted(e.index for e in result.errors) == [1, 2]
    assert {e.id for e in result.errors} == {"mx-2", "mx-3"}
    assert result.written == 2
    assert set(ids_of(store.search("articles", Exists("entities.id")))) == {"mx-1", "mx-4"}
