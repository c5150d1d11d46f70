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
from store.base import Store


@dataclass
class HuntResult:
    """Alerts of a hunt with counts per rule and level."""

    alerts: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0
    ingest: dict[str, Any] = field(default_factory=dict)
    ingest_seconds: float = 0.0  # reading and parsing the files (and storing, with a store)
    detect_seconds: float = 0.0  # every rule over the events, alerts written

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
    from collectors.ingest import IngestSummary, events_of, ingest

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
        reading = _Timed(events_of(store, paths, fmt, summary=summary)) if own else None
        ingested = time.perf_counter()
        det = SigmaDetector(store, ruleset, lookback_seconds=10 * 365 * 86400, jobs=jobs,
                            engine_evaluation=engine_evaluation)
        before = {d.id for d in store.scan("alerts")} if not own else set()
        try:
            res = det.run_once(events=reading)
        finally:
            det.close()
        store.refresh("alerts")
        alerts = [d.source for d in store.scan("alerts") if d.id not in before]
        done = time.perf_counter()
        read_s = reading.seconds if reading is not None else ingested - started
        return HuntResult(alerts, res.events, summary.by_format(), ingest_seconds=read_s,
                          detect_seconds=done - started - read_s)
    finally:
        if own:
            store.close()
            tmp.cleanup()


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
