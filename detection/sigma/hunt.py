"""Hunt mode: files → events (``collectors.ingest``) → every rule → alerts in
a throw-away SQLite store (or the configured store), like Zircolite, Chainsaw
and Hayabusa do for forensics."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detection.sigma.loader import RuleSet
from detection.sigma.runner import SigmaDetector
from detection.sigma.sqlite_exec import Match
from store.base import Store, batched
from store.schema import get_path

# Several files, no store, ``jobs`` > 1: worker processes read and evaluate
# the files once they add up to this much (starting them costs a few seconds,
# about what one process reads of 10 MB of Windows JSON).
SPREAD_MIN_BYTES = 16 * 1024 * 1024


@dataclass
class HuntResult:
    """Alerts of a hunt with counts per rule and level."""

    alerts: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0
    ingest: dict[str, Any] = field(default_factory=dict)
    ingest_seconds: float = 0.0  # reading and parsing the files (and storing, with a store)
    detect_seconds: float = 0.0  # every rule over the events, alerts written
    workers: int = 0  # processes that read and evaluated files (0: this one read them)

    def per_rule(self) -> Counter:
        return Counter((a["rule"]["id"], a["rule"]["name"]) for a in self.alerts)

    def per_level(self) -> Counter:
        return Counter(a["rule"]["level"] for a in self.alerts)

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per alert, oldest matched event first (the timeline)."""
        out = [{"@timestamp": a.get("first_seen"), "rule.id": a["rule"]["id"],
                "rule.title": a["rule"]["name"], "rule.level": a["rule"]["level"],
                "event.id": (a.get("event_ids") or [None])[0],
                "event_count": a.get("event_count", 1), "host.name": a.get("host", {}).get("name"),
                "alert.id": a["id"]} for a in self.alerts]
        return sorted(out, key=lambda r: (r["@timestamp"] or "", r["rule.id"]))


def hunt(paths: list[Path], ruleset: RuleSet, *, fmt: str = "auto", store: Store | None = None,
         workdir: Path | None = None, jobs: int = 1,
         engine_evaluation: str = "stream") -> HuntResult:
    """Run every rule over the events of ``paths``; ``jobs`` processes evaluate
    when there are several batches of events (SQLite); ``engine_evaluation``
    as ``SigmaDetector``'s (engines).

    With ``store``, the files are ingested into it first and the pass reads
    them back.  Without, the events are parsed and checked as ingest would
    store them and evaluated as they come, never written: a fresh SQLite file
    holds only the alerts, dead letters and the pass's checkpoint, and goes
    when the hunt ends (Chainsaw and Hayabusa also match records as they
    read them); writing and re-reading every event was about a quarter of a
    hunt's time."""
    from collectors.ingest import IngestSummary, events_of, ingest, iter_files

    own = store is None
    tmp = None
    if own:
        from store.sqlite import SQLiteStore

        tmp = tempfile.TemporaryDirectory(prefix="canhgac-hunt-", dir=workdir)
        store = SQLiteStore(Path(tmp.name) / "hunt.db")
    try:
        started = time.perf_counter()
        summary = IngestSummary()
        if not own:
            summary = ingest(store, paths, fmt)
            store.refresh("events")
        files = list(iter_files(Path(p) for p in paths)) if own and jobs > 1 else []
        spread = len(files) > 1 and sum(f.stat().st_size for f in files) >= SPREAD_MIN_BYTES
        reading = _Timed(events_of(store, paths, fmt, summary=summary)) \
            if own and not spread else None
        ingested = time.perf_counter()
        det = SigmaDetector(store, ruleset, lookback_seconds=10 * 365 * 86400, jobs=jobs,
                            engine_evaluation=engine_evaluation)
        before = {d.id for d in store.scan("alerts")} if not own else set()
        try:
            if spread:
                res = det.run_once(evaluated=_in_workers(det, store, files, fmt, jobs,
                                                         Path(tmp.name), summary))
            else:
                res = det.run_once(events=reading)
        finally:
            det.close()
        store.refresh("alerts")
        alerts = [d.source for d in store.scan("alerts") if d.id not in before]
        done = time.perf_counter()
        read_s = reading.seconds if reading is not None else 0.0 if spread else \
            ingested - started
        return HuntResult(alerts, res.events, summary.by_format(), ingest_seconds=read_s,
                          detect_seconds=done - started - read_s,
                          workers=min(jobs, len(files)) if spread else 0)
    finally:
        if own:
            store.close()
            tmp.cleanup()


def _in_workers(det: SigmaDetector, store: Store, files: list[Path], fmt: str, jobs: int,
                workdir: Path, summary: Any) -> Iterator[tuple[int, list[Any]]]:
    """Several files, a hunt without a store: worker processes read, check and
    evaluate them a group at a time (reading is about half a hunt's work, and
    one process reading for the others was the limit).  Yields each group's
    (events, matches) for the pass; their files' summaries go to ``summary``
    and their dead letters into ``store``."""
    from collectors.ingest import FileSummary
    from detection.sigma.parallel import ExecutorPool
    from store.sqlite import SQLiteStore

    # Largest files first, each to the group with the fewest bytes so far;
    # a few groups per process so one slow group does not hold the rest.
    groups: list[list[Path]] = [[] for _ in range(min(len(files), jobs * 4))]
    sizes = [0] * len(groups)
    for f in sorted(files, key=lambda f: -f.stat().st_size):
        g = sizes.index(min(sizes))
        groups[g].append(f)
        sizes[g] += f.stat().st_size
    order = {f: i for i, f in enumerate(files)}
    groups = [sorted(g, key=order.__getitem__) for g in groups if g]
    pool = ExecutorPool(list(det.coverage.compiled.values()), det.windows, jobs=jobs)
    calls = [([str(p) for p in g], fmt, str(workdir / f"dead-letters-{i}.db"), det.batch_size)
             for i, g in enumerate(groups)]
    try:
        results = pool.run_each(_read_and_evaluate, calls)
        for (_, _, dead, _), (file_sums, count, found) in zip(calls, results, strict=True):
            summary.files += [FileSummary(**f) for f in file_sums]
            matches = [Match(rid, get_path(doc, "event.id"), get_path(doc, "@timestamp"), doc)
                       for rid, doc in found]
            letters = SQLiteStore(Path(dead))
            try:
                found = [d.source for d in letters.scan("dead_letters")]
            finally:
                letters.close()
            if found:
                store.bulk("dead_letters", found)
            yield count, matches
    finally:
        pool.close()


def _read_and_evaluate(paths: list[str], fmt: str, dead_letters: str, batch: int,
                       ) -> tuple[list[dict[str, Any]], int, list[tuple[str, dict[str, Any]]]]:
    """In a pool's worker: a group of files read, checked and evaluated, as
    (each file's ingest summary, events evaluated, (rule id, event) per
    match).  Dead letters go to the worker's own SQLite file
    ``dead_letters``, which ``_in_workers`` merges."""
    from dataclasses import asdict

    from collectors.ingest import IngestSummary, events_of
    from detection.sigma.parallel import worker_executor
    from store.sqlite import SQLiteStore

    executor = worker_executor()
    store = SQLiteStore(Path(dead_letters))
    store.init()
    summary = IngestSummary()
    count, found = 0, []
    try:
        for docs in batched(events_of(store, [Path(p) for p in paths], fmt, summary=summary),
                            batch):
            count += len(docs)
            found += [(rid, docs[n]) for rid, n in executor.positions(docs)]
    finally:
        store.close()
    return [asdict(f) for f in summary.files], count, found


class _Timed(Iterator[dict[str, Any]]):
    """An iterator that adds up the time spent making its items (the files'
    reading and parsing, interleaved with the detection that consumes them)."""

    def __init__(self, items: Iterator[dict[str, Any]]) -> None:
        self.items, self.seconds = items, 0.0

    def __next__(self) -> dict[str, Any]:
        t = time.perf_counter()
        try:
            return next(self.items)
        finally:
            self.seconds += time.perf_counter() - t
