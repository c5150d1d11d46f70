"""Benchmark: events/s through the SigmaHQ Windows rule set on SQLite (our
flat-table executor) and on the live OpenSearch (one ``_msearch`` of every
rule), and how cost grows with rules and events.  Prints one JSON line.

    python bench/detect.py [--events 20000] [--opensearch http://127.0.0.1:19200]

Events are generated Sysmon process-creation / network / file records with
realistic field values (a few percent suspicious).  Needs
../shared/data/detection/sigmahq (the rules) to be present.

``sqlite_backlog`` runs a backlog of 40,000+ events in one process and on
every core (a pool of executor processes, ``--jobs``), for the generated
events and for SigmaHQ's regression EVTX records (real events of many
channels, repeated with new ids: their values repeat more than a real stream's,
which flatters the prefilter's caches).

``sqlite_full_without_prefilter`` runs the same events with the literal
prefilter off (``detection.sigma.prefilter``), every rule on every event of
its log source: the gain of the prefilter on this input.

Loading and conversion are timed cold (empty load and conversion caches of
the bench's own) and warm (the same rules again, served from those caches):
the start-up cost of a worker the first time and every time after.
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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detection.sigma.convert import compile_rules
from detection.sigma.engine_exec import run_rules
from detection.sigma.loader import load_rules
from detection.sigma.sqlite_exec import SQLiteRuleExecutor

SIGMAHQ = Path(__file__).resolve().parents[2] / "shared" / "data" / "detection" / "sigmahq"
IMAGES = ["C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\System32\\svchost.exe",
          "C:\\Windows\\explorer.exe", "C:\\Program Files\\Mozilla Firefox\\firefox.exe",
          "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
          "C:\\Windows\\System32\\rundll32.exe", "C:\\Users\\an\\AppData\\Local\\Temp\\x.exe",
          "C:\\Windows\\System32\\certutil.exe", "C:\\Windows\\System32\\reg.exe"]
CMDS = ["/c dir", "-nop -w hidden -enc SQBFAFgA", "-urlcache -split -f http://x/a.exe",
        "query HKLM\\Software", "shell32.dll,Control_RunDLL", "--type=renderer", "/c whoami /all",
        "add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v x /d c:\\x.exe"]


# Everyday processes as Windows starts them: (image, parent, command line),
# for inputs where most events are ordinary (``events(..., ordinary=...)``).
ORDINARY = [
    ("C:\\Windows\\explorer.exe", "C:\\Windows\\System32\\userinit.exe",
     "C:\\Windows\\Explorer.EXE"),
    ("C:\\Program Files\\Mozilla Firefox\\firefox.exe", "C:\\Windows\\explorer.exe",
     "-contentproc --channel=1 -isForBrowser tab"),
    ("C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\System32\\services.exe",
     "-k netsvcs -p -s Schedule"),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
     "C:\\Windows\\explorer.exe", "/n \"C:\\Users\\an\\Documents\\report.docx\""),
]


def events(n: int, seed: int = 7, ordinary: float = 0.0) -> list[dict]:
    """``n`` Sysmon events; a share ``ordinary`` of them everyday activity
    (browsers, Office, services), the rest drawn from a suspicious-heavy mix."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        eid = rnd.choice(["1", "1", "1", "3", "11", "13"])
        plain = ordinary > 0 and rnd.random() < ordinary  # the default draws as before
        img, parent, cmd = (rnd.choice(ORDINARY) if plain else
                            (rnd.choice(IMAGES), "", ""))
        data = {"Image": img, "User": rnd.choice(["CITY\\an", "NT AUTHORITY\\SYSTEM"]),
                "ProcessId": str(rnd.randint(100, 9000))}
        if eid == "1":
            data |= {"CommandLine": f"\"{img}\" {cmd if plain else rnd.choice(CMDS)}",
                     "ParentImage": parent if plain else rnd.choice(IMAGES),
                     "OriginalFileName": img.rsplit("\\")[-1], "IntegrityLevel": "Medium"}
        elif eid == "3":
            data |= {"DestinationIp": f"203.0.113.{rnd.randint(1, 254)}",
                     "DestinationPort": "443" if plain else str(rnd.choice([80, 443, 445, 4444]))}
        elif eid == "11" and plain:
            data |= {"TargetFilename": f"C:\\Users\\an\\Documents\\notes-{i}.docx"}
        elif eid == "11":
            data |= {"TargetFilename": f"C:\\Users\\an\\AppData\\Local\\Temp\\f{i}.tmp"}
        elif plain:
            data |= {"TargetObject": "HKCU\\SOFTWARE\\Mozilla\\Firefox\\Launcher\\x",
                     "Details": "QWORD (0x00000001-0x00000000)", "EventType": "SetValue"}
        else:
            data |= {"TargetObject": "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\x",
                     "Details": "C:\\x.exe", "EventType": "SetValue"}
        ts = f"2026-11-26T10:{(i // 60) % 60:02d}:{i % 60:02d}.000Z"
        out.append({"@timestamp": ts, "event": {"id": f"b{i}", "code": eid, "ingested": ts},
                    "host": {"name": f"ws-{i % 50}"},
                    "winlog": {"event_id": eid, "channel": "Microsoft-Windows-Sysmon/Operational",
                               "provider_name": "Microsoft-Windows-Sysmon", "event_data": data}})
    return out


def sqlite_rate(compiled: list, docs: list[dict], batch: int = 5000,
                prefilter: bool = True) -> dict:
    ex = SQLiteRuleExecutor(compiled, prefilter=prefilter)
    t = time.perf_counter()
    n = 0
    for i in range(0, len(docs), batch):
        n += len(ex.evaluate(docs[i:i + batch]))
    dt = time.perf_counter() - t
    return {"rules": len(ex.rules), "prefiltered": ex.prefiltered, "events": len(docs),
            "seconds": round(dt, 3), "events_per_s": round(len(docs) / dt, 1), "matches": n}


def pool_rate(compiled: list, docs: list[dict], jobs: int, batch: int = 5000) -> dict:
    """The same batches through a pool of ``jobs`` executor processes
    (``detection.sigma.parallel``), sent as the JSON text the store holds, as
    ``--jobs`` sends them (serialising is not timed).  The pool's start (a
    second or two per worker) is timed apart; its workers see one event each
    before the timed run, so their caches start as cold as ``sqlite_rate``'s."""
    import orjson

    from detection.sigma.parallel import ExecutorPool

    texts = [orjson.dumps(d).decode() for d in docs]
    batches = [texts[i:i + batch] for i in range(0, len(texts), batch)]
    t = time.perf_counter()
    pool = ExecutorPool(compiled, jobs=jobs)
    try:
        list(pool.evaluate_texts([batches[0][:1]] * jobs))  # workers started
        start_s = time.perf_counter() - t
        t = time.perf_counter()
        n = sum(len(found) for found in pool.evaluate_texts(batches))
        dt = time.perf_counter() - t
    finally:
        pool.close()
    return {"jobs": jobs, "events": len(docs), "seconds": round(dt, 3),
            "events_per_s": round(len(docs) / dt, 1), "matches": n,
            "pool_start_s": round(start_s, 1)}


def regression_events(n: int) -> list[dict] | None:
    """SigmaHQ's regression EVTX records (real Windows events of many
    channels) repeated, each copy with its own event id, to ``n`` events."""
    from collectors.parsers import windows

    files = sorted((SIGMAHQ / "regression_data").rglob("*.evtx"))
    base = [got for f in files for got in windows.read_evtx(f, f"file:{f}")
            if not isinstance(got, windows.EvtxProblem)]
    if not base:
        return None
    out = []
    for i in range(n):
        doc = dict(base[i % len(base)])
        doc["event"] = {**doc.get("event", {}), "id": f"r{i}"}
        out.append(doc)
    return out


def engine_rate(url: str, compiled: list, docs: list[dict]) -> dict:
    from store.engine import EngineStore

    st = EngineStore(url, product="opensearch", namespace="bench" + uuid.uuid4().hex[:8])
    st.init()
    try:
        st.bulk("events", docs, mode="create", refresh=True)
        t = time.perf_counter()
        matches, broken = run_rules(st, compiled, field="event.ingested")
        dt = time.perf_counter() - t
        return {"rules": len(compiled), "events": len(docs), "seconds": round(dt, 3),
                "events_per_s": round(len(docs) / dt, 1), "matches": len(matches),
                "broken": len(broken)}
    finally:
        st.drop_namespace()


def engine_pass_rate(url: str, rs: Any, docs: list[dict], evaluation: str) -> dict:
    """One detection pass (``SigmaDetector.run_once``, alerts written) over
    ``docs`` already in a fresh OpenSearch namespace, rules evaluated as
    ``evaluation`` (``queries``: Lucene in the engine; ``stream``: the events
    read once and evaluated as SQL in this process)."""
    from detection.sigma.runner import SigmaDetector
    from store.engine import EngineStore

    st = EngineStore(url, product="opensearch", namespace="bench" + uuid.uuid4().hex[:8])
    st.init()
    try:
        st.bulk("events", docs, mode="create", refresh=True)
        det = SigmaDetector(st, rs, lookback_seconds=10 * 365 * 86400,
                            engine_evaluation=evaluation)
        t = time.perf_counter()
        res = det.run_once()
        dt = time.perf_counter() - t
        det.close()
        return {"evaluation": evaluation, "events": len(docs), "seconds": round(dt, 2),
                "events_per_s": round(len(docs) / dt, 1), "matches": res.matches,
                "alerts_written": res.alerts_written, "broken": len(res.broken)}
    finally:
        st.drop_namespace()


def engine_incremental(url: str, rs: Any, docs: list[dict], interval: int = 60,
                       lookback: int = 300) -> dict:
    """A worker keeping up: ``docs`` spread evenly over an hour of arrival
    time, written a minute at a time, a stream pass after each minute (the
    default 300 s lookback re-reads five earlier minutes each pass).  Reports
    the events evaluated (each once when the overlap is read as ids only) and
    the whole time of the passes."""
    from datetime import UTC, datetime, timedelta

    from detection.sigma.runner import SigmaDetector
    from store.engine import EngineStore
    from store.schema import format_timestamp

    base = datetime(2026, 11, 26, 10, tzinfo=UTC)
    step = 3600 / len(docs)
    spread = []
    for i, d in enumerate(docs):
        at = format_timestamp(base + timedelta(seconds=i * step))
        spread.append({**d, "@timestamp": at, "event": {**d["event"], "ingested": at}})
    st = EngineStore(url, product="opensearch", namespace="bench" + uuid.uuid4().hex[:8])
    st.init()
    try:
        det = SigmaDetector(st, rs, lookback_seconds=lookback)
        evaluated, seconds, passes, start = 0, 0.0, 0, 0
        for minute in range(1, 3600 // interval + 1):
            end = base + timedelta(seconds=minute * interval)
            stop = min(len(spread), int(minute * interval / step) + 1)
            st.bulk("events", spread[start:stop], mode="create", refresh=True)
            start = stop
            t = time.perf_counter()
            evaluated += det.run_once(now=end).events
            seconds += time.perf_counter() - t
            passes += 1
        det.close()
        return {"events": len(docs), "passes": passes, "interval_s": interval,
                "lookback_s": lookback, "evaluated": evaluated, "seconds": round(seconds, 2),
                "events_per_s": round(len(docs) / seconds, 1)}
    finally:
        st.drop_namespace()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--opensearch", default=os.environ.get("CANHGAC_TEST_OPENSEARCH_URL"))
    ap.add_argument("--engine-only", action="store_true",
                    help="only the OpenSearch passes (queries vs stream)")
    ap.add_argument("--engine-events", type=int, default=3000,
                    help="events of the OpenSearch pass with queries (stream gets --events)")
    args = ap.parse_args()
    if not SIGMAHQ.is_dir():
        print(json.dumps({"skipped": f"{SIGMAHQ} absent"}))
        return
    # The bench's own (empty) cache folder, before loading: a cold load stays cold.
    os.environ["CANHGAC_SIGMA_CACHE"] = tempfile.mkdtemp(prefix="canhgac-bench-cache-")
    t = time.perf_counter()
    rs = load_rules([SIGMAHQ / "rules" / "windows"])
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    load_rules([SIGMAHQ / "rules" / "windows"])  # served from the load cache
    load_warm_s = time.perf_counter() - t
    t = time.perf_counter()
    cov_sql = compile_rules(rs, "sqlite")
    conv_sql_s = time.perf_counter() - t
    t = time.perf_counter()
    compile_rules(rs, "sqlite")
    conv_sql_warm_s = time.perf_counter() - t
    sql_rules = [c for c in cov_sql.compiled.values() if c.status == "converted"]
    docs = events(args.events)
    if args.engine_only and args.opensearch:
        print(json.dumps({"bench": "detect", "rules_loaded": len(rs.rules), "opensearch_pass": [
            engine_pass_rate(args.opensearch, rs, docs[:args.engine_events], "queries"),
            engine_pass_rate(args.opensearch, rs, docs[:args.engine_events], "stream"),
            engine_pass_rate(args.opensearch, rs, docs, "stream")],
            "opensearch_incremental": engine_incremental(args.opensearch, rs, docs)}))
        return
    out: dict = {"bench": "detect", "python": platform.python_version(), "cpus": os.cpu_count(),
                 "rules_loaded": len(rs.rules), "load_s": round(load_s, 1),
                 "load_warm_s": round(load_warm_s, 2),
                 "convert_sqlite_s": round(conv_sql_s, 1),
                 "convert_sqlite_warm_s": round(conv_sql_warm_s, 2),
                 "coverage": {"sqlite": cov_sql.counts()}}
    out["sqlite_full"] = sqlite_rate(sql_rules, docs)
    # The same events without the literal prefilter (every rule on every event).
    out["sqlite_full_without_prefilter"] = sqlite_rate(sql_rules, docs, prefilter=False)
    # A backlog (what --jobs is for; the pool starts from 40,000 waiting events):
    # one process and one per core over the same 40,000+ events.
    jobs = os.cpu_count() or 1
    backlog = max(args.events, 40_000)
    sets = {"generated": events(backlog), "regression_evtx": regression_events(backlog)}
    out["sqlite_backlog"] = {}
    for name, evs in sets.items():
        if evs is None:
            continue
        out["sqlite_backlog"][name] = {"one_process": sqlite_rate(sql_rules, evs)}
        if jobs > 1:
            out["sqlite_backlog"][name]["pool"] = pool_rate(sql_rules, evs, jobs)
    out["load_average"] = [round(x, 1) for x in os.getloadavg()]
    out["sqlite_by_rules"] = [sqlite_rate(sql_rules[:k], docs[:5000])
                              for k in (250, 500, 1000, len(sql_rules))]
    out["sqlite_by_events"] = [sqlite_rate(sql_rules, docs[:k])
                               for k in (1000, 5000, args.events)]
    if args.opensearch:
        t = time.perf_counter()
        cov_os = compile_rules(rs, "opensearch")
        out["convert_opensearch_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        compile_rules(rs, "opensearch")
        out["convert_opensearch_warm_s"] = round(time.perf_counter() - t, 2)
        out["coverage"]["opensearch"] = cov_os.counts()
        os_rules = [c for c in cov_os.compiled.values() if c.status == "converted"]
        out["opensearch_full"] = engine_rate(args.opensearch, os_rules, docs)
        out["opensearch_by_rules"] = [engine_rate(args.opensearch, os_rules[:k], docs[:5000])
                                      for k in (250, 1000)]
        out["opensearch_pass"] = [
            engine_pass_rate(args.opensearch, rs, docs[:args.engine_events], "queries"),
            engine_pass_rate(args.opensearch, rs, docs[:args.engine_events], "stream"),
            engine_pass_rate(args.opensearch, rs, docs, "stream")]
        out["opensearch_incremental"] = engine_incremental(args.opensearch, rs, docs)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
