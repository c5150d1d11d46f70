#!/usr/bin/env python3
"""Smoke test of the features Canhgac's storage layer needs, against a running
node (tools/opensearch/opensearch.sh start).  Python stdlib only.

    python3 tools/opensearch/smoke_test.py [URL]     # default: $CANHGAC_TEST_OPENSEARCH_URL or http://127.0.0.1:19200
    python3 tools/opensearch/smoke_test.py --replica [URL]   # also: index with 1 replica must go green (needs >= 2 nodes)

Exits non-zero on the first failed check.  Creates/deletes indices named smoke-*
and the data stream logs-smoke-default.
"""
from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
BASE = (ARGS[0] if ARGS else os.environ.get("CANHGAC_TEST_OPENSEARCH_URL", "http://127.0.0.1:19200")).rstrip("/")
REPLICA = "--replica" in sys.argv


def req(method: str, path: str, body=None, ndjson: bool = False, ok=(200, 201)):
    data = None
    headers = {}
    if body is not None:
        if ndjson:
            data = ("\n".join(json.dumps(x) for x in body) + "\n").encode()
            headers["Content-Type"] = "application/x-ndjson"
        else:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
    r = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(r, timeout=60) as resp:
            status, text = resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    if ok and status not in ok:
        raise SystemExit(f"FAIL {method} {path}: HTTP {status}: {text[:2000]}")
    return json.loads(text) if text else None


def check(name: str, cond: bool, detail=""):
    print(("ok   " if cond else "FAIL ") + name + (f"  [{detail}]" if detail else ""))
    if not cond:
        raise SystemExit(1)


def main() -> None:
    root = req("GET", "/")
    print(f"OpenSearch {root['version']['number']} (lucene {root['version']['lucene_version']}) at {BASE}")

    # cleanup from earlier runs
    req("DELETE", "/_data_stream/logs-smoke-default", ok=None)
    req("DELETE", "/_index_template/logs-smoke", ok=None)
    req("DELETE", "/smoke-*", ok=None)

    # 1. custom analyzer (standard + lowercase + asciifolding) and lowercase normalizer
    req("PUT", "/smoke-vi", {
        "settings": {
            "number_of_shards": 1, "number_of_replicas": 0,
            "analysis": {
                "analyzer": {"vi_folding": {"type": "custom", "tokenizer": "standard",
                                            "filter": ["lowercase", "asciifolding"]}},
                "normalizer": {"lc": {"type": "custom", "filter": ["lowercase"]}},
            },
        },
        "mappings": {"properties": {
            "msg": {"type": "text", "analyzer": "vi_folding"},
            "host": {"type": "keyword", "normalizer": "lc"},
        }},
    })
    text = "Ủy ban nhân dân thành phố Cần Thơ đường"
    toks = [t["token"] for t in req("POST", "/smoke-vi/_analyze", {"analyzer": "vi_folding", "text": text})["tokens"]]
    check("analyzer standard+lowercase+asciifolding folds Vietnamese (incl. đ->d)",
          toks == ["uy", "ban", "nhan", "dan", "thanh", "pho", "can", "tho", "duong"], " ".join(toks))
    req("PUT", "/smoke-vi/_doc/1?refresh=true", {"msg": text, "host": "WEB-01.Example"})
    hits = req("POST", "/smoke-vi/_search", {"query": {"match": {"msg": "can tho DUONG"}}})["hits"]["total"]["value"]
    check("match query without diacritics finds diacritic text", hits == 1, f"hits={hits}")
    hits = req("POST", "/smoke-vi/_search", {"query": {"term": {"host": "web-01.example"}}})["hits"]["total"]["value"]
    check("keyword field with lowercase normalizer matches case-insensitively", hits == 1, f"hits={hits}")

    # 2. composable index template with data_stream + _bulk create into a data stream
    req("PUT", "/_index_template/logs-smoke", {
        "index_patterns": ["logs-smoke-*"], "data_stream": {}, "priority": 500,
        "template": {"settings": {"number_of_shards": 1, "number_of_replicas": 0},
                     "mappings": {"properties": {"@timestamp": {"type": "date"},
                                                 "host": {"type": "keyword"},
                                                 "user": {"type": "keyword"},
                                                 "seq": {"type": "long"}}}},
    })
    bulk = []
    for i in range(20):
        bulk.append({"create": {}})
        bulk.append({"@timestamp": f"2024-05-0{1 + i % 3}T{10 + i % 5:02d}:00:00Z",
                     "host": f"h{i % 4}", "user": f"u{i % 7}", "seq": i})
    r = req("POST", "/logs-smoke-default/_bulk?refresh=true", bulk, ndjson=True)
    check("_bulk create into data stream logs-smoke-default", not r["errors"] and len(r["items"]) == 20,
          r["items"][0]["create"]["_index"])
    ds = req("GET", "/_data_stream/logs-smoke-default")["data_streams"][0]
    check("data stream exists with a backing index", ds["name"] == "logs-smoke-default" and len(ds["indices"]) == 1,
          ds["indices"][0]["index_name"])
    r = req("POST", "/logs-smoke-default/_bulk", [{"index": {}}, {"@timestamp": "2024-05-01T00:00:00Z"}],
            ndjson=True)
    check("_bulk 'index' op (not create) is rejected by data stream", r["errors"],
          r["items"][0]["index"].get("error", {}).get("type", ""))

    # 3. _msearch, search_after, cardinality, date_histogram
    r = req("POST", "/_msearch", [
        {"index": "logs-smoke-default"}, {"size": 0, "query": {"term": {"host": "h1"}}},
        {"index": "smoke-vi"}, {"size": 0, "query": {"match_all": {}}},
    ], ndjson=True)
    totals = [x["hits"]["total"]["value"] for x in r["responses"]]
    check("_msearch", totals == [5, 1], f"totals={totals}")

    seen, after = [], None
    while True:
        body = {"size": 6, "sort": [{"@timestamp": "asc"}, {"seq": "asc"}], "query": {"match_all": {}}}
        if after:
            body["search_after"] = after
        hits = req("POST", "/logs-smoke-default/_search", body)["hits"]["hits"]
        if not hits:
            break
        seen += [h["_source"]["seq"] for h in hits]
        after = hits[-1]["sort"]
    check("search_after pagination with sort returns all docs once", sorted(seen) == list(range(20)),
          f"{len(seen)} docs in pages of 6")

    aggs = req("POST", "/logs-smoke-default/_search", {"size": 0, "aggs": {
        "users": {"cardinality": {"field": "user"}},
        "per_day": {"date_histogram": {"field": "@timestamp", "calendar_interval": "day"}},
    }})["aggregations"]
    days = {b["key_as_string"][:10]: b["doc_count"] for b in aggs["per_day"]["buckets"]}
    check("cardinality aggregation", aggs["users"]["value"] == 7, f"value={aggs['users']['value']}")
    check("date_histogram aggregation", days == {"2024-05-01": 7, "2024-05-02": 7, "2024-05-03": 6}, str(days))

    # painless (lang-painless module) — storage layer may use scripts
    r = req("POST", "/logs-smoke-default/_search", {"size": 0, "aggs": {"s": {"sum": {
        "script": {"lang": "painless", "source": "doc['seq'].value * 2"}}}}})
    check("painless script aggregation", r["aggregations"]["s"]["value"] == 380.0, str(r["aggregations"]["s"]))

    if REPLICA:
        nodes = req("GET", "/_cluster/health")["number_of_nodes"]
        check("cluster has >= 2 nodes", nodes >= 2, f"nodes={nodes}")
        req("PUT", "/smoke-replica", {"settings": {"number_of_shards": 2, "number_of_replicas": 1}})
        h = req("GET", "/_cluster/health/smoke-replica?wait_for_status=green&timeout=60s")
        check("index with 1 replica goes green", h["status"] == "green",
              f"status={h['status']} active_shards={h['active_shards']}")
        shards = req("GET", "/_cat/shards/smoke-replica?format=json")
        check("primary and replica on different nodes",
              len({s["node"] for s in shards}) >= 2, ", ".join(f"{s['shard']}{s['prirep']}@{s['node']}" for s in shards))

    req("DELETE", "/_data_stream/logs-smoke-default", ok=None)
    req("DELETE", "/_index_template/logs-smoke", ok=None)
    req("DELETE", "/smoke-*", ok=None)
    print("all checks passed")


if __name__ == "__main__":
    main()
