"""Requests/s and p50/p99 latency of the API for the alert queue, the
leader's summary, the overview and the dashboard's aggregations (top attacked
assets, alerts per day, article series, share of voice, top outlets), over a
large store, from a loopback load generator.

    python bench/api.py [--events 100000] [--alerts 2000] [--requests 300]
                        [--concurrency 4] [--backends sqlite,opensearch]
                        [--endpoints alerts,summary,overview,...]

The issue's size is ``--events 1000000 --alerts 10000`` (aim: summary p99 <
300 ms on SQLite).  Events come from ``canhgac.sample``; alerts, incidents and
articles are generated here (ids deterministic).  Filling the store is not
timed.  The service runs under uvicorn in a subprocess on 127.0.0.1 (one
worker); a bounded number of requests is sent by ``--concurrency`` threads,
each with one httpx client.  The OpenSearch leg runs when
CANHGAC_TEST_OPENSEARCH_URL is set (a throwaway namespace, dropped after).
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from api.auth import accounts, tokens  # noqa: E402
from canhgac import sample  # noqa: E402
from store.base import Store  # noqa: E402
from store.schema import format_timestamp  # noqa: E402

SECRET = "bench-signing-key-" + "b" * 40
SEVERITIES = ["informational", "low", "medium", "high", "critical"]
STATUSES = ["new", "acknowledged", "in_progress", "resolved", "false_positive"]
CHUNK = 50_000
# Entity ids the articles name: some on the shipped watch lists (share of voice)
ENTITIES = ["org.ubnd_tp", "org.thanh_uy", "market.cho_noi_cai_rang", "org.bv_dk_tp",
            *(f"ent-{i}" for i in range(26))]
ENDPOINTS: dict[str, str] = {
    "alerts": "/api/v1/alerts?size=50&sort=@timestamp",
    "alerts_filtered": "/api/v1/alerts?size=50&severity=high&status=new&domain=security",
    "summary": "/api/v1/summary?days=7",
    "overview": "/api/v1/overview?days=7",
    "top_assets": "/api/v1/stats/alerts/top-assets?days=7",
    "alerts_per_day_30d": "/api/v1/stats/alerts/per-day?days=30",
    "sentiment_series_30d": "/api/v1/stats/articles/series?days=30",
    "entity_series_5": "/api/v1/stats/articles/series?days=7&dimension=entity&size=5",
    "share_of_voice": "/api/v1/stats/articles/share-of-voice?days=7",
    "top_sources": "/api/v1/stats/articles/top-sources?days=7",
}


def fill(st: Store, n_events: int, n_alerts: int) -> None:
    """Events (sample), alerts over the last 14 days, one incident per 10 alerts, articles."""
    now = datetime.now(UTC)
    start = (now - timedelta(days=14)).replace(tzinfo=None)
    made, part = 0, 0
    while made < n_events:
        n = min(CHUNK, n_events - made)
        docs = list(sample.events(n, seed=11 + part, start=start, span=timedelta(days=14)))
        for d in docs:
            d["event"]["id"] = f"{part}-{d['event']['id']}"
        st.bulk("events", docs, mode="create")
        made, part = made + n, part + 1
    rng = random.Random(5)
    alerts, incidents = [], []
    for i in range(n_alerts):
        at = format_timestamp(now - timedelta(seconds=rng.randint(0, 14 * 86400)))
        domain = "security" if i % 4 else "reputation"
        alerts.append({"id": f"al-{i}", "@timestamp": at, "first_seen": at, "last_seen": at,
                       "domain": domain, "severity": rng.choice(SEVERITIES),
                       "status": rng.choice(STATUSES), "risk_score": rng.random() * 100,
                       "message": "Đăng nhập thất bại nhiều lần", "incident_id": f"inc-{i // 10}",
                       "rule": {"id": f"rule-{i % 40}", "name": f"Quy tắc {i % 40}"},
                       "host": {"name": f"host-{i % 50}"},
                       "destination": {"ip": f"10.1.{i % 7}.{i % 31}"},
                       "user": {"name": f"user-{i % 23}"}})
        if i % 10 == 0:
            ack = format_timestamp(now - timedelta(seconds=rng.randint(0, 86400)))
            incidents.append({"id": f"inc-{i // 10}", "@timestamp": at, "created_at": at,
                              "first_seen": at, "last_seen": at, "domain": domain,
                              "title": f"Sự cố {i}", "status": rng.choice(STATUSES),
                              "severity": rng.choice(SEVERITIES), "acknowledged_at": ack,
                              "resolved_at": ack if i % 20 == 0 else None,
                              "alert_ids": [f"al-{j}" for j in range(i, i + 10)],
                              "alert_count": 10})
    st.bulk("alerts", alerts)
    st.bulk("incidents", incidents)
    arts = []
    for i in range(max(100, n_alerts // 5)):
        at = format_timestamp(now - timedelta(seconds=rng.randint(0, 14 * 86400)))
        score = rng.uniform(-1, 1)
        ents = sorted({ENTITIES[i % 30], rng.choice(ENTITIES)})
        label = "negative" if score < -0.3 else "positive" if score > 0.3 else "neutral"
        arts.append({"id": f"art-{i}", "@timestamp": at, "title": f"Tin Cần Thơ số {i}",
                     "body": "Ngập lụt và giao thông ở quận Ninh Kiều", "language": "vi",
                     "source": {"name": f"bao-{i % 12}"}, "author": f"tac-gia-{i % 40}",
                     "story_id": f"s-{i % 60}",
                     "topics": [rng.choice(["environment", "traffic", "tourism"])],
                     "entities": [{"id": e, "text": e, "label": "ORG"} for e in ents],
                     "entities_ids": ents, "sentiment": {"label": label, "score": score}})
    st.bulk("articles", arts)
    st.refresh()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(url: str, headers: dict[str, str], total: int, concurrency: int) -> dict[str, Any]:
    """Send ``total`` GETs from ``concurrency`` threads; latency figures in ms."""
    lat: list[float] = []
    errors = 0
    lock = threading.Lock()
    per = [total // concurrency + (1 if i < total % concurrency else 0) for i in range(concurrency)]

    def worker(n: int) -> None:
        nonlocal errors
        with httpx.Client(timeout=30.0) as http:
            for _ in range(n):
                t = time.perf_counter()
                r = http.get(url, headers=headers)
                d = (time.perf_counter() - t) * 1000
                with lock:
                    lat.append(d)
                    errors += r.status_code != 200

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in per]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    lat.sort()
    return {"requests": len(lat), "errors": errors, "rps": round(len(lat) / wall, 1),
            "p50_ms": round(statistics.median(lat), 1),
            "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1)}


def run_backend(backend: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    env = {**os.environ, "CANHGAC_DATA_DIR": str(tmp / backend), "CANHGAC_API__SECRET_KEY": SECRET,
           "CANHGAC_LOG__LEVEL": "WARNING"}
    if backend == "sqlite":
        from store.sqlite import SQLiteStore

        st: Store = SQLiteStore(tmp / backend / "canhgac.db")
        env["CANHGAC_STORE"] = "sqlite"
    else:
        from store.engine import EngineStore

        ns = "bench" + uuid.uuid4().hex[:8]
        url = os.environ["CANHGAC_TEST_OPENSEARCH_URL"]
        st = EngineStore(url, product="opensearch", namespace=ns, verify_certs=False)
        env.update({"CANHGAC_STORE": "opensearch", "CANHGAC_STORE_URL": url,
                    "CANHGAC_STORE_NAMESPACE": ns, "CANHGAC_STORE_VERIFY_CERTS": "false"})
    (tmp / backend).mkdir(parents=True, exist_ok=True)
    st.init()
    proc = None
    try:
        t = time.perf_counter()
        fill(st, args.events, args.alerts)
        fill_s = round(time.perf_counter() - t, 1)
        user = accounts.create_user(st, "bench-leader", "bench password 123", ["leader", "soc_analyst"])
        sid, _, _ = accounts.open_session(st, {**user, "roles": user["roles"]}, 1)
        token, _ = tokens.issue(SECRET, user=user["id"], roles=user["roles"], sid=sid, minutes=60)
        st.refresh()
        headers = {"Authorization": f"Bearer {token}"}
        port = _free_port()
        proc = subprocess.Popen([sys.executable, "-m", "canhgac.cli", "serve", "--host",
                                 "127.0.0.1", "--port", str(port), "--workers", "1"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        out: dict[str, Any] = {"fill_seconds": fill_s}
        for name in args.endpoints.split(","):
            path = ENDPOINTS[name]
            load(base + path, headers, min(20, args.requests), 2)  # warm-up
            # one client: the latency of a request alone; N clients: throughput
            # (one worker process, so N in flight also means queueing).
            out[name] = {"one_client": load(base + path, headers, max(20, args.requests // 3), 1),
                         f"{args.concurrency}_clients": load(base + path, headers, args.requests,
                                                             args.concurrency)}
        return out
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        dropper = getattr(st, "drop_namespace", None)
        if dropper is not None:
            dropper()
        st.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--alerts", type=int, default=2_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--backends", default="sqlite,opensearch")
    ap.add_argument("--endpoints", default=",".join(ENDPOINTS),
                    help=f"comma-separated, from: {', '.join(ENDPOINTS)}")
    args = ap.parse_args()
    unknown = [e for e in args.endpoints.split(",") if e not in ENDPOINTS]
    if unknown:
        ap.error(f"unknown endpoint(s): {', '.join(unknown)}")
    backends = [b for b in args.backends.split(",") if b]
    if "opensearch" in backends and not os.environ.get("CANHGAC_TEST_OPENSEARCH_URL"):
        backends.remove("opensearch")
    result: dict[str, Any] = {"bench": "api", "events": args.events, "alerts": args.alerts,
                              "articles": max(100, args.alerts // 5),
                              "requests": args.requests, "concurrency": args.concurrency,
                              "python": platform.python_version(), "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="canhgac-bench-api-") as tmp:
        for b in backends:
            result[b] = run_backend(b, args, Path(tmp))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
