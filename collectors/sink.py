"""The store sink: a bounded, batching writer with acknowledgements and a disk
spool for outages.

Sources ``submit`` entries (a record's events and dead letters, plus an
``ack`` callback).  The buffer is bounded in events and *blocks* when full
(back-pressure, as Vector's default; nothing is dropped).  One writer thread
takes batches (``batch_size`` events or ``batch_timeout`` seconds), writes
events with ``store.bulk("events", mode="create")`` (ids are deterministic, so
a replay counts as ``existing``), turns per-document rejections into dead
letters, and then calls the entries' acks in order: a file tailer commits its
offset only then (at-least-once).

When the store raises ``StoreUnavailable`` the batch goes to the ``DiskSpool``
and is acknowledged once durably spooled.  From then on every batch goes
through the spool, so order is kept, and the spool is replayed head first
every ``retry_interval`` seconds; a replayed record is consumed only after the
store took it.  A corrupt spool record becomes a dead letter.
"""

from __future__ import annotations

import base64
import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from collectors.health import HealthBoard
from collectors.spool import CorruptRecord, DiskSpool, SpoolError, SpoolFull
from store.base import Store
from store.errors import StoreError, StoreUnavailable

log = logging.getLogger(__name__)
Ack = Callable[[], None]
EVENTS = "events"


@dataclass
class DeadLetter:
    """Input that could not become an event: kept with its source and reason."""

    source: str
    reason: str
    raw: bytes
    context: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "reason": self.reason,
                "raw": base64.b64encode(self.raw).decode("ascii"), "context": self.context}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeadLetter:
        return cls(data["source"], data["reason"], base64.b64decode(data["raw"]),
                   data.get("context") or {})


@dataclass
class Entry:
    """What one source record became, with the callback to run once it is safe."""

    events: list[dict[str, Any]]
    dead: list[DeadLetter]
    ack: Ack | None
    input_id: str | None
    queued_at: float

    @property
    def size(self) -> int:
        return max(1, len(self.events) + len(self.dead))


@dataclass
class Batch:
    """Events and dead letters written together; ``owners`` run-length encodes
    which input each event came from (``[input_id, count]`` in order)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    owners: list[list[Any]] = field(default_factory=list)
    dead_owners: list[list[Any]] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        self.events.extend(entry.events)
        self.dead.extend(entry.dead)
        _extend_runs(self.owners, entry.input_id, len(entry.events))
        _extend_runs(self.dead_owners, entry.input_id, len(entry.dead))

    def encode(self) -> bytes:
        return orjson.dumps({"events": self.events, "dead": [d.to_json() for d in self.dead],
                             "owners": self.owners, "dead_owners": self.dead_owners})

    @classmethod
    def decode(cls, payload: bytes) -> Batch:
        data = orjson.loads(payload)
        return cls(data["events"], [DeadLetter.from_json(d) for d in data["dead"]],
                   data.get("owners", []), data.get("dead_owners", []))

    def owner_of(self, index: int) -> str | None:
        for owner, count in self.owners:
            if index < count:
                return owner
            index -= count
        return None

    def counts(self, runs: list[list[Any]]) -> dict[str | None, int]:
        out: dict[str | None, int] = {}
        for owner, count in runs:
            out[owner] = out.get(owner, 0) + count
        return out


def _extend_runs(runs: list[list[Any]], owner: str | None, count: int) -> None:
    if count <= 0:
        return
    if runs and runs[-1][0] == owner:
        runs[-1][1] += count
    else:
        runs.append([owner, count])


class SinkClosed(RuntimeError):
    """``submit`` after ``stop``: the sink no longer accepts records."""


class StoreSink:
    """Bounded queue → batches → store (or spool), acknowledging in order."""

    def __init__(self, store: Store, spool: DiskSpool | None = None, *,
                 batch_size: int = 500, batch_timeout: float = 1.0, queue_events: int = 5000,
                 retry_interval: float = 5.0, health: HealthBoard | None = None) -> None:
        self.store = store
        self.spool = spool
        self.batch_size = batch_size
        self.batch_timeout = batch_timeout
        self.queue_events = queue_events
        self.retry_interval = retry_interval
        self.health = health or HealthBoard()
        self._queue: collections.deque[Entry] = collections.deque()
        self._queued = 0
        self._in_flight = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._spooling = spool is not None and not spool.empty()
        self._next_try = 0.0
        self.store_down_since: float | None = None
        self.last_error: str | None = None

    # -- producer side -----------------------------------------------------------
    def start(self) -> StoreSink:
        self._thread = threading.Thread(target=self._run, name="collectors-sink", daemon=True)
        self._thread.start()
        return self

    def submit(self, events: list[dict[str, Any]], dead: list[DeadLetter] | None = None, *,
               ack: Ack | None = None, input_id: str | None = None,
               timeout: float | None = None) -> bool:
        """Queue one record's output; blocks while the buffer is full.  False
        only when ``timeout`` passed first (nothing queued)."""
        entry = Entry(events, dead or [], ack, input_id, time.monotonic())
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._queued > 0 and self._queued + entry.size > self.queue_events:
                if self._closed:
                    raise SinkClosed("the sink is stopped")
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left if left is not None else 0.5)
            if self._closed:
                raise SinkClosed("the sink is stopped")
            self._queue.append(entry)
            self._queued += entry.size
            # Wake the writer only when it has something to start or a full
            # batch: waking it per record costs more than the record.
            if len(self._queue) == 1 or self._queued - self._in_flight >= self.batch_size:
                self._cond.notify_all()
        self.health.add(input_id, pending=entry.size)
        return True

    def offer(self, events: list[dict[str, Any]], dead: list[DeadLetter] | None = None, *,
              ack: Ack | None = None, input_id: str | None = None) -> bool:
        """``submit`` without waiting: False when the buffer is full."""
        return self.submit(events, dead, ack=ack, input_id=input_id, timeout=0)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything submitted so far is acknowledged (stored or
        spooled).  False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.notify_all()
                self._cond.wait(min(left, 0.05))
        return True

    def idle(self) -> bool:
        """Nothing queued, nothing in flight, nothing left in the spool."""
        with self._cond:
            busy = bool(self._queue or self._in_flight)
        return not busy and not self._spooling

    def wait_idle(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.05)
        return self.idle()

    def stop(self, timeout: float = 60.0) -> bool:
        """Refuse new records, write (or spool) everything queued, ack it, and
        stop.  True when everything queued was acknowledged in time."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._cond:
            self._closed = True
            done = not self._queue and not self._in_flight
            self._cond.notify_all()
        if self.spool is not None:
            try:
                self.spool.close()
            except OSError as exc:
                log.error("closing the spool failed: %s", exc)
                done = False
        return done

    # -- writer thread -----------------------------------------------------------
    def _run(self) -> None:
        while True:
            entries = self._take()
            if entries:
                self._handle(entries)
            elif self._stopping:
                with self._cond:
                    if not self._queue:
                        break
            self._maybe_replay()

    def _take(self) -> list[Entry]:
        with self._cond:
            if not self._queue and not self._stopping:
                self._cond.wait(min(self.batch_timeout, self.retry_interval))
            if not self._queue:
                return []
            deadline = self._queue[0].queued_at + self.batch_timeout
            while (self._queued - self._in_flight < self.batch_size and not self._stopping
                   and time.monotonic() < deadline):
                self._cond.wait(max(0.0, deadline - time.monotonic()))
            entries, n = [], 0
            while self._queue and (not entries or n + self._queue[0].size <= self.batch_size):
                e = self._queue.popleft()
                entries.append(e)
                n += e.size
            self._in_flight += n
            return entries

    def _handle(self, entries: list[Entry]) -> None:
        batch = Batch()
        for e in entries:
            batch.add(e)
        ok = False
        while not ok:
            if not self._spooling:
                try:
                    self._deliver(batch, replay=False)
                    ok = True
                    break
                except StoreUnavailable as exc:
                    self._went_down(exc)
                except StoreError as exc:  # whole batch refused: keep it, try later
                    self._went_down(exc)
            if self.spool is None:
                if not self._wait_retry():
                    break
                self._spooling = False
                continue
            ok = self._to_spool(batch)
            if not ok and not self._wait_retry():
                break
        size = sum(e.size for e in entries)
        if ok:
            self._acknowledge(entries)
        else:
            log.error("sink stopped with %d events neither stored nor spooled; "
                      "their sources did not get an acknowledgement", size)
        with self._cond:
            self._in_flight -= size
            self._queued -= size
            self._cond.notify_all()

    def _wait_retry(self) -> bool:
        """Sleep until the next try; False when stopping (give up)."""
        if self._stopping and time.monotonic() > self._next_try:
            return False
        time.sleep(max(0.05, min(self.retry_interval, self._next_try - time.monotonic())))
        self._maybe_replay()
        return True

    def _went_down(self, exc: Exception) -> None:
        if self.store_down_since is None:
            self.store_down_since = time.monotonic()
            log.warning("store unavailable, spooling to disk: %s", exc)
        self.last_error = str(exc)
        self._spooling = True
        self._next_try = time.monotonic() + self.retry_interval

    def _to_spool(self, batch: Batch) -> bool:
        assert self.spool is not None
        try:
            self.spool.append(batch.encode())
        except SpoolFull as exc:
            self.last_error = str(exc)
            for owner in batch.counts(batch.owners):
                self.health.set(owner, state="spool full")
                self.health.error(owner, str(exc))
            log.error("%s", exc)
            return False
        except (SpoolError, OSError) as exc:
            self.last_error = str(exc)
            log.error("spool write failed: %s", exc)
            return False
        self._spooling = True
        for owner, n in batch.counts(batch.owners).items():
            self.health.add(owner, spooled=n)
            self.health.set(owner, state="spooling")
        return True

    def _deliver(self, batch: Batch, *, replay: bool) -> None:
        """Write one batch; raises StoreUnavailable when the store is away."""
        dead = list(batch.dead)
        dead_owner_counts = batch.counts(batch.dead_owners)
        rejected: dict[str | None, int] = {}
        if batch.events:
            result = self.store.bulk(EVENTS, batch.events, mode="create")
            for err in result.errors:
                owner = batch.owner_of(err.index)
                rejected[owner] = rejected.get(owner, 0) + 1
                doc = batch.events[err.index] if 0 <= err.index < len(batch.events) else {}
                dead.append(DeadLetter(
                    f"input:{owner}", f"store rejected the event: {err.reason}",
                    orjson.dumps(doc, default=str), {"event.id": err.id}))
        for d in dead:
            self.store.dead_letter(d.source, d.reason, d.raw, d.context)
        for owner, n in batch.counts(batch.owners).items():
            bad = rejected.get(owner, 0)
            counters = {"rejected": bad, "dead_letters": bad}
            if replay:
                counters["replayed"] = n - bad
            else:
                counters["events_out"] = n - bad
            self.health.add(owner, **counters)
            self.health.set(owner, state="running")
        for owner, n in dead_owner_counts.items():
            self.health.add(owner, dead_letters=n)
        if self.store_down_since is not None and not self._spooling:
            self.store_down_since = None

    def _acknowledge(self, entries: list[Entry]) -> None:
        now = time.monotonic()
        for e in entries:
            self.health.add(e.input_id, pending=-e.size)
            self.health.set(e.input_id, lag_seconds=round(now - e.queued_at, 3))
            if e.ack is not None:
                try:
                    e.ack()
                except Exception as exc:  # an ack must never stop the sink
                    log.error("acknowledgement of input %s failed: %s", e.input_id, exc)
                    self.health.error(e.input_id, f"ack failed: {exc}")

    def _maybe_replay(self) -> None:
        """Replay the spool head first while the store takes it (a bounded
        slice of time per call, so the queue keeps moving into the spool)."""
        if not self._spooling or self.spool is None:
            return
        if time.monotonic() < self._next_try:
            return
        budget = time.monotonic() + max(1.0, self.batch_timeout)
        while time.monotonic() < budget:
            try:
                rec = self.spool.peek()
            except SpoolError as exc:
                self.last_error = str(exc)
                self._next_try = time.monotonic() + self.retry_interval
                return
            if rec is None:
                self._spooling = False
                self.store_down_since = None
                log.info("spool replayed: store writes are direct again")
                return
            try:
                if isinstance(rec, CorruptRecord):
                    self.store.dead_letter(f"spool:{self.spool.dir}",
                                           f"corrupt spool record skipped: {rec.reason}",
                                           rec.raw, {"segment": rec.segment, "offset": rec.start})
                else:
                    try:
                        batch = Batch.decode(rec.payload)
                    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                        self.store.dead_letter(f"spool:{self.spool.dir}",
                                               f"undecodable spool record skipped: {exc}",
                                               rec.payload, {"segment": rec.segment})
                    else:
                        try:
                            self._deliver(batch, replay=True)
                        except StoreUnavailable:
                            raise
                        except StoreError as exc:  # the store refuses this batch as a whole
                            self._set_aside(rec.payload, rec.segment, rec.start, exc)
            except StoreError as exc:
                self.last_error = str(exc)
                self._next_try = time.monotonic() + self.retry_interval
                return
            self.spool.consume(rec)

    def _set_aside(self, payload: bytes, segment: int, start: int, exc: Exception) -> None:
        """Keep a batch the store refuses whole (not an outage: a poison batch)
        in ``<spool>/rejected/`` and say so in a dead letter, so it neither
        blocks the spool forever nor disappears."""
        assert self.spool is not None
        path = self.spool.dir / "rejected" / f"{segment:020d}-{start:012d}.batch"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
        log.error("store refused a spooled batch (%s); kept in %s", exc, path)
        self.store.dead_letter(f"spool:{self.spool.dir}",
                               f"store refused the whole batch: {exc}; kept in {path}",
                               payload[:4096], {"path": str(path)})
