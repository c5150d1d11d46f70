"""Grouping and triage throughput, per backend.

    python bench/incidents.py [--alerts 5000] [--backends sqlite,opensearch]

Writes generated alerts (not timed: 40 rules x 100 hosts over a day, 2 % of
them matched by suppressions), then times one grouping pass over all of
them (alerts/s; every alert is read, matched against suppressions, placed,
and stamped with ``if_version``), a second pass (the no-op cost of an idle
worker), and 200 triage actions (status, assign, comment; each a read, an
``if_version`` write and an audit write).  The OpenSearch leg runs in its
own namespace (dropped afterwards) when CANHGAC_TEST_OPENSEARCH_URL is set.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detection.grouping import IncidentGrouper
from detection.suppression import Suppressions
from detection.triage import Triage
from store.base import Store

T0 = datetime(2026, 11, 20, tzinfo=UTC)
LEVELS = ("low", "medium", "high", "critical")


def alerts(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        at = (T0 + timedelta(seconds=rnd.randrange(86_400))).isoformat()
        level = rnd.choice(LEVELS)
        out.append({
            "id": f"bench-{i:07d}", "@timestamp": at, "first_seen": at, "last_seen": at,
            "domain": "security", "status": "open", "severity": level, "risk_score": 50.0,
            "rule": {"id": f"rule-{rnd.randrange(40):02d}", "name": "Quét cổng", "level": level},
            "threat": {"tactic": {"id": ["TA0007"]}, "technique": {"id": ["T1046"]}},
            "host": {"name": f"host-{rnd.randrange(100):03d}"}, "event_ids": [f"ev-{i}"],
            "message": "bench",
        })
    return out


def run(store: Store, n: int) -> dict[str, Any]:
    docs = alerts(n)
    store.bulk("alerts", docs, mode="create", refresh=True)
    Suppressions(store).add(rule_id="rule-00", entity="host-000", reason="bench", actor="bench")
    Suppressions(store).add(rule_id="rule-01", entity="*", reason="bench", actor="bench")
    grouper = IncidentGrouper(store, batch=n + 10)
    start = time.perf_counter()
    report = grouper.group_once()
    group_s = time.perf_counter() - start
    start = time.perf_counter()
    idle = grouper.group_once()
    idle_s = time.perf_counter() - start
    tr = Triage(store)
    ids = [i["id"] for i in tr.list(size=70)["items"]]
    start = time.perf_counter()
    actions = 0
    for i, inc in enumerate(ids[:66]):
        tr.set_status(inc, "acknowledged", "bench")
        tr.assign(inc, f"analyst-{i % 3}", "bench")
        tr.comment(inc, "Đã kiểm tra", "bench")
        actions += 3
    triage_s = time.perf_counter() - start
    start = time.perf_counter()
    tr.list(status="acknowledged", size=50)
    list_ms = (time.perf_counter() - start) * 1000
    return {"alerts": n, "grouped": report.grouped, "suppressed": report.suppressed,
            "incidents": report.created, "group_seconds": round(group_s, 3),
            "alerts_per_s": round(n / group_s, 1), "idle_pass_ms": round(idle_s * 1000, 1),
            "idle_pending": idle.pending, "triage_actions": actions,
            "triage_actions_per_s": round(actions / triage_s, 1),
            "list_ms": round(list_ms, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=5000)
    ap.add_argument("--backends", default="sqlite,opensearch")
    args = ap.parse_args()
    out: dict[str, Any] = {"bench": "incidents", "python": platform.python_version(),
                           "machine": platform.machine(), "cpus": os.cpu_count()}
    wanted = args.backends.split(",")
    if "sqlite" in wanted:
        from store.sqlite import SQLiteStore

        with tempfile.TemporaryDirectory() as tmp:
            st = SQLiteStore(Path(tmp) / "bench.db")
            out["sqlite"] = run(st, args.alerts)
            st.close()
    url = os.environ.get("CANHGAC_TEST_OPENSEARCH_URL")
    if "opensearch" in wanted and url:
        from store.engine import EngineStore

        st = EngineStore(url, product="opensearch", namespace="b" + uuid.uuid4().hex[:12],
                         verify_certs=False, timeout=60.0)
        st.init()
        try:
            out["opensearch"] = run(st, args.alerts)
        finally:
            st.drop_namespace()
            st.close()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
