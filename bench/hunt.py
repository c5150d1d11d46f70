"""Benchmark: ``canhgac hunt`` end to end (files → throw-away SQLite store →
every rule → alerts), as Zircolite is timed: events/s over the whole run, and
the ingest and detection phases apart, with one process and with one per core.

    python bench/hunt.py [--events 100000] [--rules DIR]

The input is one JSON-lines file of Winlogbeat-style Sysmon events written
here (``bench/detect.py``'s generator; writing it is not timed).  The rules
are the SigmaHQ Windows set under ../shared/data (skips without it) unless
``--rules`` names a folder.  Rules are loaded and converted once before the
timed runs (both caches warm), as a worker that has started once would.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson
from detect import SIGMAHQ, events

from detection.sigma.convert import compile_rules
from detection.sigma.hunt import hunt
from detection.sigma.loader import load_rules


def write_input(path: Path, n: int, ordinary: float = 0.0, files: int = 1) -> list[Path]:
    """``n`` events as JSON lines: one file ``path``, or ``files`` files in a
    folder ``path`` (a hunt over a folder of exported logs)."""
    docs = events(n, ordinary=ordinary)
    if files > 1:
        path.mkdir()
    out = [path / f"part-{i:03d}.jsonl" for i in range(files)] if files > 1 else [path]
    for i, target in enumerate(out):
        with target.open("wb") as f:
            for doc in docs[i::len(out)]:
                doc = dict(doc)
                doc.pop("event", None)  # the collector gives ids and ingest times itself
                f.write(orjson.dumps(doc) + b"\n")
    return out


def timed_hunt(path: Path, rs, jobs: int, n: int, workdir: Path) -> dict:
    t = time.perf_counter()
    res = hunt([path], rs, jobs=jobs, workdir=workdir)
    total = time.perf_counter() - t
    return {"jobs": jobs, "events": res.events, "alerts": len(res.alerts),
            "seconds": round(total, 1), "events_per_s": round(n / total),
            "workers": res.workers,
            # with workers, reading and evaluating happen together in them
            **({} if res.workers else {
                "ingest_s": round(res.ingest_seconds, 1),
                "ingest_events_per_s": round(n / res.ingest_seconds),
                "detect_s": round(res.detect_seconds, 1),
                "detect_events_per_s": round(n / res.detect_seconds)})}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--rules", type=Path, default=SIGMAHQ / "rules" / "windows")
    ap.add_argument("--ordinary", type=float, default=0.0,
                    help="share of everyday events (browsers, Office, services); the rest "
                         "come from a suspicious-heavy mix (0: about 0.6 alerts per event)")
    ap.add_argument("--files", type=int, default=1,
                    help="split the input into this many files in a folder (with one per "
                         "core or more, workers read them as well as evaluate)")
    args = ap.parse_args()
    if not args.rules.exists():
        print(json.dumps({"skipped": f"{args.rules} absent"}))
        return
    work = Path(tempfile.mkdtemp(prefix="canhgac-bench-hunt-"))
    os.environ.setdefault("CANHGAC_SIGMA_CACHE", str(work / "cache"))
    path = work / ("sysmon" if args.files > 1 else "sysmon.jsonl")
    written = write_input(path, args.events, args.ordinary, args.files)
    rs = load_rules([args.rules])
    compile_rules(rs, "sqlite")  # warm the conversion cache
    out = {"bench": "hunt", "python": platform.python_version(), "cpus": os.cpu_count(),
           "rules": len(rs.rules), "events": args.events, "ordinary": args.ordinary,
           "files": len(written),
           "input_mb": round(sum(p.stat().st_size for p in written) / 1e6, 1), "runs": []}
    for jobs in sorted({1, os.cpu_count() or 1}):
        out["runs"].append(timed_hunt(path, rs, jobs, args.events, work))
    out["load_average"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
