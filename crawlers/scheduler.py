"""Polls each source on its schedule: a source is due when its interval has
passed since its last run (recorded in ``sources`` by the crawl itself)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from canhgac.config import Settings
from canhgac.settings.crawlers import SourceSettings
from crawlers.dates import utc_now
from crawlers.errors import CrawlError
from crawlers.extensions import health_id
from crawlers.runner import run_in_subprocess
from store import Store
from store.schema import parse_timestamp

log = logging.getLogger(__name__)


def source_health(store: Store, source_id: str) -> dict[str, Any]:
    doc = store.get("sources", health_id(source_id))
    return dict(doc.source) if doc else {}


def due_sources(cfg: Settings, store: Store, now: datetime | None = None) -> list[SourceSettings]:
    """Enabled sources whose interval has passed since their last run."""
    now = now or utc_now()
    due = []
    for src in cfg.crawlers.sources:
        if not src.enabled:
            continue
        last = source_health(store, src.id).get("last_run")
        if not last or (now - parse_timestamp(last)).total_seconds() >= src.interval:
            due.append(src)
    return due


def seconds_to_next(cfg: Settings, store: Store, now: datetime | None = None) -> float:
    now = now or utc_now()
    waits = []
    for src in cfg.crawlers.sources:
        if not src.enabled:
            continue
        last = source_health(store, src.id).get("last_run")
        if not last:
            return 0.0
        waits.append(src.interval - (now - parse_timestamp(last)).total_seconds())
    return max(0.0, min(waits)) if waits else 60.0


class Scheduler:
    """Runs due sources (together, in one child process), then sleeps until
    the next one is due.  ``cycles`` bounds the loop (None: forever)."""

    def __init__(self, cfg: Settings, store: Store, *, config_path: str | None = None,
                 on_result: Callable[[dict[str, Any]], None] | None = None,
                 max_sleep: float = 60.0, env: dict[str, str] | None = None) -> None:
        self.cfg = cfg
        self.store = store
        self.config_path = config_path
        self.on_result = on_result or (lambda summary: None)
        self.max_sleep = max_sleep
        self.env = env

    def run_cycle(self) -> list[dict[str, Any]]:
        due = due_sources(self.cfg, self.store)
        if not due:
            return []
        try:
            results = run_in_subprocess([s.id for s in due], config_path=self.config_path,
                                        env=self.env)
        except CrawlError as exc:
            log.error("crawl cycle failed: %s", exc)
            results = [{"source": s.id, "finish_reason": None, "error": str(exc)} for s in due]
        for summary in results:
            self.on_result(summary)
        return results

    def run(self, cycles: int | None = None) -> None:
        done = 0
        while cycles is None or done < cycles:
            self.run_cycle()
            done += 1
            if cycles is not None and done >= cycles:
                return
            time.sleep(min(self.max_sleep, max(1.0, seconds_to_next(self.cfg, self.store))))
