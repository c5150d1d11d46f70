"""Hunt mode: files → a throw-away SQLite store (``collectors.ingest``) → every
rule → alerts, like Zircolite, Chainsaw and Hayabusa do for forensics."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
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
    ingest_seconds: float = 0.0  # reading and storing the files
    detect_seconds: float = 0.0  # every rule over the stored events

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
    """Ingest ``paths`` (into ``store`` or a fresh SQLite file) and run every
    rule; ``jobs`` processes evaluate when there are several batches of events
    (SQLite); ``engine_evaluation`` as ``SigmaDetector``'s (engines)."""
    from collectors.ingest import ingest

    own = store is None
    tmp = None
    if own:
        from store.sqlite import SQLiteStore

        tmp = tempfile.TemporaryDirectory(prefix="canhgac-hunt-", dir=workdir)
        store = SQLiteStore(Path(tmp.name) / "hunt.db")
    try:
        started = time.perf_counter()
        summary = ingest(store, paths, fmt)
        store.refresh("events")
        ingested = time.perf_counter()
        det = SigmaDetector(store, ruleset, lookback_seconds=10 * 365 * 86400, jobs=jobs,
                            engine_evaluation=engine_evaluation)
        before = {d.id for d in store.scan("alerts")} if not own else set()
        try:
            res = det.run_once()
        finally:
            det.close()
        store.refresh("alerts")
        alerts = [d.source for d in store.scan("alerts") if d.id not in before]
        return HuntResult(alerts, res.events, summary.by_format(),
                          ingest_seconds=ingested - started,
                          detect_seconds=time.perf_counter() - ingested)
    finally:
        if own:
            store.close()
            tmp.cleanup()
