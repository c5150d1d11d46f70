"""Per-input health: counters every component updates, and a reporter that
writes them periodically to the store (collection ``checkpoints``, document
``health:<input id>``) and to a local JSON file (``<data_dir>/collectors/
health.json``), so ``canhgac collect status`` works even while the store is
down.

Counters, per input: ``records_in`` (raw records read), ``events_out``
(events the store acknowledged or the spool took), ``parse_errors``,
``dead_letters``, ``spooled``/``replayed`` (events through the disk spool),
``rejected`` (events the store refused, dead-lettered), ``pending`` (events
queued, not yet acknowledged), ``lag_bytes`` (file bytes not yet committed),
``lag_seconds`` (age of the last acknowledged record when it was
acknowledged), ``last_event_at`` (when the last record arrived).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from collectors.registry import atomic_write, read_json
from store.base import Store
from store.errors import StoreError
from store.schema import format_timestamp

log = logging.getLogger(__name__)
CHECKPOINTS = "checkpoints"
DOC_PREFIX = "health:"


def _now_iso() -> str:
    return format_timestamp(datetime.now(UTC))


@dataclass
class InputHealth:
    """The counters of one input (updated under the board's lock)."""

    input_id: str
    kind: str
    description: str = ""
    state: str = "starting"
    records_in: int = 0
    events_out: int = 0
    parse_errors: int = 0
    dead_letters: int = 0
    spooled: int = 0
    replayed: int = 0
    rejected: int = 0
    pending: int = 0
    lag_bytes: int = 0
    lag_seconds: float = 0.0
    last_event_at: float | None = None  # epoch seconds; ISO text in reports
    last_error: str | None = None
    last_error_at: str | None = None
    started_at: str = field(default_factory=_now_iso)

    def as_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        if self.last_event_at is not None:
            doc["last_event_at"] = format_timestamp(
                datetime.fromtimestamp(self.last_event_at, UTC))
        doc["id"] = DOC_PREFIX + self.input_id
        doc["@timestamp"] = _now_iso()
        return doc


class HealthBoard:
    """All inputs' counters; safe to update from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inputs: dict[str, InputHealth] = {}

    def register(self, input_id: str, kind: str, description: str = "") -> InputHealth:
        with self._lock:
            h = self._inputs.get(input_id)
            if h is None:
                h = self._inputs[input_id] = InputHealth(input_id, kind, description)
            return h

    def add(self, input_id: str | None, **deltas: int) -> None:
        """Add to counters: ``board.add("auth", records_in=1)``."""
        if input_id is None:
            return
        with self._lock:
            h = self._inputs.get(input_id) or self._inputs.setdefault(
                input_id, InputHealth(input_id, "unknown"))
            for name, delta in deltas.items():
                setattr(h, name, getattr(h, name) + delta)
            if deltas.get("records_in"):
                h.last_event_at = time.time()

    def set(self, input_id: str | None, **values: Any) -> None:
        if input_id is None:
            return
        with self._lock:
            h = self._inputs.get(input_id)
            if h is not None:
                for name, value in values.items():
                    setattr(h, name, value)

    def error(self, input_id: str | None, message: str) -> None:
        self.set(input_id, last_error=message[:500], last_error_at=_now_iso())

    def get(self, input_id: str) -> InputHealth | None:
        with self._lock:
            h = self._inputs.get(input_id)
            return None if h is None else InputHealth(**asdict(h))

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [h.as_doc() for h in self._inputs.values()]


class HealthReporter:
    """Writes the board to the store and a local file every ``interval`` s."""

    def __init__(self, board: HealthBoard, store: Store | None, path: Path | None, *,
                 interval: float = 10.0) -> None:
        self.board = board
        self.store = store
        self.path = path
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="collectors-health", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.report()

    def report(self) -> None:
        """Write one report now; a store outage only skips the store copy."""
        docs = self.board.snapshot()
        if self.path is not None:
            try:
                atomic_write(self.path, orjson.dumps(
                    {"written_at": _now_iso(), "inputs": docs}, option=orjson.OPT_INDENT_2))
            except OSError as exc:
                log.warning("cannot write health file %s: %s", self.path, exc)
        if self.store is not None and docs:
            try:
                self.store.bulk(CHECKPOINTS, docs, mode="index")
            except StoreError as exc:
                log.info("health not written to the store (%s); kept in %s", exc, self.path)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.report()


def read_status(store: Store | None, path: Path | None, input_ids: list[str]) -> list[dict]:
    """Health of ``input_ids``: the newer of the store's and the local file's
    copy of each; inputs never reported appear with state ``never ran``."""
    local: dict[str, dict] = {}
    data = read_json(path) if path is not None else None
    if isinstance(data, dict):
        for doc in data.get("inputs", []):
            local[str(doc.get("input_id"))] = doc
    out = []
    for input_id in input_ids or sorted(local):
        best = local.get(input_id)
        if store is not None:
            try:
                stored = store.get(CHECKPOINTS, DOC_PREFIX + input_id)
            except StoreError:
                stored = None
            if stored is not None and (best is None or stored.source.get("@timestamp", "")
                                       >= best.get("@timestamp", "")):
                best = stored.source
        out.append(best or {"input_id": input_id, "state": "never ran"})
    return out


def monotonic_age(since: float | None) -> float:
    return 0.0 if since is None else max(0.0, time.monotonic() - since)
