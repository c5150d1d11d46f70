"""The demo's main job on one store: write generated events, read them back,
and summarise what an analyst's first screen would show."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.table import Table

from canhgac import sample
from store.base import Store
from store.query import Bool, Cardinality, DateHistogram, Match, Sort, Term, TermsAgg


def run(store: Store, count: int) -> dict[str, Any]:
    store.init()
    t0 = time.perf_counter()
    result = store.bulk("events", sample.events(count), mode="create", refresh=True)
    write_s = time.perf_counter() - t0
    store.refresh("events")
    demo_q = Term("tags", "demo-data")
    failures = Bool(filter=[demo_q, Term("event.outcome", "failure")])
    aggs = store.aggregate("events", {
        "per_dataset": TermsAgg("event.dataset", size=10),
        "top_hosts": TermsAgg("host.name", size=5),
        "failed_users": TermsAgg("user.name", size=5),
        "per_6h": DateHistogram("@timestamp", "6h", offset="+07:00"),
        "source_ips": Cardinality("source.ip"),
    }, query=demo_q)
    failed_users = store.aggregate("events", {"u": TermsAgg("user.name", size=5)},
                                   query=failures)["u"]
    fulltext = store.count("events", Bool(filter=[demo_q, Match("dang nhap thanh cong")]))
    latest = store.search("events", Bool(filter=[demo_q, Match("failed password")]),
                          sort=[Sort("@timestamp", "desc")], size=3)
    return {
        "backend": store.backend,
        "written": result.written,
        "already_there": result.existing,
        "rejected": len(result.errors),
        "write_events_per_s": round(result.written / write_s) if result.written else 0,
        "stored": store.count("events", demo_q),
        "failures": store.count("events", failures),
        "events_per_dataset": aggs["per_dataset"],
        "top_hosts": aggs["top_hosts"],
        "top_failed_users": failed_users,
        "events_per_6h_local": aggs["per_6h"],
        "distinct_source_ips": aggs["source_ips"],
        "fulltext 'dang nhap thanh cong' (no diacritics)": fulltext,
        "latest_failed_ssh": [h.source.get("message") for h in latest.hits],
    }


def show(summary: dict[str, Any], console: Console) -> None:
    console.rule(f"Canhgac demo — store: {summary['backend']} (demo data, generated)")
    console.print(f"written {summary['written']:,} events "
                  f"({summary['already_there']:,} already stored, {summary['rejected']} rejected)"
                  f" at {summary['write_events_per_s']:,} events/s; "
                  f"{summary['stored']:,} in the store, {summary['failures']:,} failures, "
                  f"{summary['distinct_source_ips']:,} distinct source addresses")
    for title, key in (("events per dataset", "events_per_dataset"), ("top hosts", "top_hosts"),
                       ("users with failures", "top_failed_users"),
                       ("events per 6 h (Asia/Ho_Chi_Minh buckets)", "events_per_6h_local")):
        table = Table(title=title)
        table.add_column("key")
        table.add_column("count", justify="right")
        for row in summary[key]:
            table.add_row(str(row["key"]), f"{row['count']:,}")
        console.print(table)
    key = "fulltext 'dang nhap thanh cong' (no diacritics)"
    console.print(f"full-text 'dang nhap thanh cong' (typed without diacritics): "
                  f"{summary[key]:,} matches")
    for msg in summary["latest_failed_ssh"]:
        console.print(f"  latest failed SSH login: {msg}")
    console.print(f"done in {summary['seconds']} s")
