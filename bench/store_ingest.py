"""Bulk-write rate and dashboard-aggregation latency of the store, per backend.

    python bench/store_ingest.py [--events 1000000] [--backends sqlite,opensearch]

Generates ECS events (``canhgac.sample``; generation is not timed), writes
them with ``Store.bulk`` and times that; then times a typical overview-screen
aggregation (events per dataset, per hour, top hosts, distinct source
addresses, failures) over the whole set.  On the engine it also sends the same
documents, pre-serialised, straight to ``_bulk`` (into another namespace) in
the same run: the ratio shows how much of the time is ours and how much the
engine's.  The OpenSearch leg runs when CANHGAC_TEST_OPENSEARCH_URL is set
(``make bench`` starts a node).  Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson

from canhgac import sample
from store.base import Store
from store.query import (
    Bool,
    Cardinality,
    DateHistogram,
    Range,
    Term,
    TermsAgg,
)

CHUNK = 50_000


def chunks(total: int, seed: int):
    """Yield lists of generated events, CHUNK at a time (not timed)."""
    made = 0
    part = 0
    while made < total:
        n = min(CHUNK, total - made)
        docs = list(sample.events(n, seed=seed + part))
        # distinct ids across chunks
        for d in docs:
            d["event"]["id"] = f"{part}-{d['event']['id']}"
        yield docs
        made += n
        part += 1


def write(store: Store, total: int, seed: int) -> dict[str, Any]:
    spent, written, errors = 0.0, 0, 0
    for docs in chunks(total, seed):
        t0 = time.perf_counter()
        result = store.bulk("events", docs, mode="create")
        spent += time.perf_counter() - t0
        written += result.written
        errors += len(result.errors)
    t0 = time.perf_counter()
    store.refresh("events")
    refresh = time.perf_counter() - t0
    return {"written": written, "errors": errors, "seconds": round(spent, 2),
            "events_per_s": round(written / spent) if spent else 0,
            "refresh_s": round(refresh, 2)}


def dashboard(store: Store, runs: int = 5) -> dict[str, Any]:
    """The overview screen's query: several aggregations over a day."""
    day = Range("@timestamp", gte="2026-11-25T00:00:00Z", lt="2026-11-26T00:00:00Z")
    aggs = {"per_dataset": TermsAgg("event.dataset", 10), "per_hour": DateHistogram(
        "@timestamp", "1h", offset="+07:00"), "top_hosts": TermsAgg("host.name", 10),
        "sources": Cardinality("source.ip")}
    timings = []
    for _ in range(runs):
        t0 = time.perf_counter()
        store.aggregate("events", aggs, query=day)
        store.count("events", Bool(filter=[day, Term("event.outcome", "failure")]))
        timings.append((time.perf_counter() - t0) * 1000)
    return {"agg_ms_p50": round(statistics.median(timings), 1),
            "agg_ms_min": round(min(timings), 1), "agg_ms_first": round(timings[0], 1)}


def raw_bulk(url: str, total: int, seed: int, namespace: str) -> dict[str, Any]:
    """The same documents, serialised beforehand, posted straight to _bulk."""
    import httpx

    from store.engine import EngineStore

    # Same templates as the real path, so the engine does the same work.
    EngineStore(url, namespace=namespace, verify_certs=False).init()
    spent, sent, failed = 0.0, 0, 0
    with httpx.Client(base_url=url, timeout=120, verify=False) as client:
        for docs in chunks(total, seed):
            bodies = []
            for k in range(0, len(docs), 5000):
                lines = []
                for d in docs[k:k + 5000]:
                    ds = d["event"]["dataset"].replace("-", "_")
                    lines.append(orjson.dumps({"create": {"_index": f"logs-{ds}-{namespace}",
                                                          "_id": d["event"]["id"]}}))
                    lines.append(orjson.dumps(d))
                bodies.append(b"\n".join(lines) + b"\n")
            t0 = time.perf_counter()
            for body in bodies:
                r = client.post("/_bulk", content=body,
                                headers={"content-type": "application/x-ndjson"})
                r.raise_for_status()
                failed += sum(1 for it in r.json()["items"] if it["create"].get("error"))
            spent += time.perf_counter() - t0
            sent += len(docs)
    return {"sent": sent, "failed": failed, "seconds": round(spent, 2),
            "events_per_s": round(sent / spent) if spent else 0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--backends", default="sqlite,opensearch")
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    out: dict[str, Any] = {"bench": "store_ingest", "events": args.events,
                           "python": platform.python_version(),
                           "sqlite": sqlite3.sqlite_version, "cpus": os.cpu_count()}
    backends = args.backends.split(",")
    if "sqlite" in backends:
        from store.sqlite import SQLiteStore

        with tempfile.TemporaryDirectory() as tmp:
            st = SQLiteStore(Path(tmp) / "bench.db")
            res = write(st, args.events, args.seed)
            res |= dashboard(st)
            res["file_mb"] = round((Path(tmp) / "bench.db").stat().st_size / 2**20)
            st.close()
        out["sqlite_store"] = res
    url = os.environ.get("CANHGAC_TEST_OPENSEARCH_URL")
    if "opensearch" in backends:
        if not url:
            out["opensearch_store"] = {"skipped": "CANHGAC_TEST_OPENSEARCH_URL not set"}
        else:
            from store.engine import EngineStore

            ns = f"bench{int(time.time())}"
            st = EngineStore(url, namespace=ns, verify_certs=False, timeout=120)
            st.init()
            out["engine_version"] = st.status().get("version")
            res = write(st, args.events, args.seed)
            res |= dashboard(st)
            st.drop_namespace()
            st.close()
            raw = raw_bulk(url, args.events, args.seed, ns + "raw")
            EngineStore(url, namespace=ns + "raw", verify_certs=False).drop_namespace()
            res["raw_bulk"] = raw
            if raw["events_per_s"]:
                res["ours_vs_raw"] = round(res["events_per_s"] / raw["events_per_s"], 2)
            out["opensearch_store"] = res
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
