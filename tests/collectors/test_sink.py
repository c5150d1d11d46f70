"""The store sink: batches, acknowledges in order, blocks when full, turns
rejections into dead letters, and survives a real store outage through the
disk spool with nothing lost and nothing doubled.

Outages are real: the SQLite file is held locked by another connection; the
engine is reached through a loopback TCP relay that the test closes (the
client then gets connection refused) and reopens.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from collectors.sink import StoreSink
from collectors.spool import DiskSpool
from store.base import Store


def event(i: int, **extra: Any) -> dict[str, Any]:
    doc = {"@timestamp": "2026-11-26T02:00:00.000Z", "message": f"sink event {i} Cần Thơ",
           "event": {"id": f"sink-{i:05d}", "dataset": "test.sink", "kind": "event"}}
    doc.update(extra)
    return doc


def all_ids(store: Store, name: str = "events") -> list[str]:
    store.refresh()
    return sorted(d.id for d in store.scan(name))


class Relay:
    """A loopback TCP relay to the engine that can be switched off (refusing
    connections and cutting open ones) and on again, on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def up(self) -> None:
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        self.port = ls.getsockname()[1]
        ls.listen(64)
        ls.settimeout(0.2)
        self._listener = ls
        threading.Thread(target=self._accept, args=(ls,), daemon=True).start()

    def down(self) -> None:
        ls, self._listener = self._listener, None
        if ls is not None:
            ls.close()
        with self._lock:
            for c in self._conns:
                with suppress(OSError):
                    c.shutdown(socket.SHUT_RDWR)
                c.close()
            self._conns.clear()

    def _accept(self, ls: socket.socket) -> None:
        while self._listener is ls:
            try:
                client, _ = ls.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        a.settimeout(None)
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            with suppress(OSError):
                b.shutdown(socket.SHUT_WR)


@dataclass
class Outage:
    """A second handle on the test's store that can really be made unreachable."""

    store: Store
    down: Any
    up: Any


@pytest.fixture
def outage(store: Store, backend: str) -> Iterator[Outage]:
    if backend == "sqlite":
        from store.sqlite import SQLiteStore

        path = store.path  # type: ignore[attr-defined]
        sink_store = SQLiteStore(path, busy_timeout=0.2)
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

        def down() -> None:
            holder.execute("BEGIN EXCLUSIVE")

        def up() -> None:
            holder.execute("ROLLBACK")

        yield Outage(sink_store, down, up)
        with suppress(sqlite3.Error):
            holder.execute("ROLLBACK")
        holder.close()
        sink_store.close()
        return
    from urllib.parse import urlparse

    from store.engine import EngineStore

    url = urlparse(store.url)  # type: ignore[attr-defined]
    relay = Relay((url.hostname or "127.0.0.1", url.port or 9200))
    relay.up()
    sink_store = EngineStore(f"http://127.0.0.1:{relay.port}", product=backend,
                             namespace=store.namespace,  # type: ignore[attr-defined]
                             verify_certs=False, timeout=5.0)
    yield Outage(sink_store, relay.down, relay.up)
    relay.down()
    sink_store.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """For behaviour that does not depend on the backend (keeps the run short)."""
    from store.sqlite import SQLiteStore

    st = SQLiteStore(tmp_path / "canhgac.db")
    yield st
    st.close()


def test_batches_written_and_acked_in_order(sqlite_store: Store):
    store = sqlite_store
    acked: list[int] = []
    sink = StoreSink(store, None, batch_size=100, batch_timeout=0.05).start()
    try:
        for i in range(1234):
            sink.submit([event(i)], ack=lambda i=i: acked.append(i), input_id="in")
        assert sink.flush(60)
    finally:
        sink.stop()
    assert acked == list(range(1234))
    assert all_ids(store) == [f"sink-{i:05d}" for i in range(1234)]
    h = sink.health.get("in")
    assert h is not None and h.events_out == 1234 and h.pending == 0


def test_replayed_events_are_not_duplicated(sqlite_store: Store):
    store = sqlite_store
    sink = StoreSink(store, None, batch_timeout=0.05).start()
    try:
        sink.submit([event(i) for i in range(50)])
        sink.submit([event(i) for i in range(25, 75)])  # a re-read after a crash
        assert sink.flush(30)
    finally:
        sink.stop()
    assert all_ids(store) == [f"sink-{i:05d}" for i in range(75)]


def test_full_buffer_blocks_instead_of_dropping(tmp_path: Path):
    from store.sqlite import SQLiteStore

    st = SQLiteStore(tmp_path / "c.db")
    sink = StoreSink(st, None, queue_events=10, batch_timeout=0.05)  # not started yet
    for i in range(10):
        assert sink.submit([event(i)], timeout=0)
    assert sink.submit([event(10)], timeout=0.2) is False  # full: the producer waits
    sink.start()
    assert sink.submit([event(10)], timeout=10) is True  # drained: accepted
    assert sink.flush(30)
    sink.stop()
    assert st.count("events") == 11
    st.close()


def test_rejected_document_goes_to_dead_letters(store: Store):
    sink = StoreSink(store, None, batch_timeout=0.05).start()
    try:
        sink.submit([event(1), event(2, source={"ip": "not an address"}), event(3)],
                    input_id="in")
        assert sink.flush(30)
    finally:
        sink.stop()
    assert all_ids(store) == ["sink-00001", "sink-00003"]
    dead = [d.source for d in store.scan("dead_letters")]
    assert len(dead) == 1
    assert dead[0]["reason"].startswith("store rejected the event")
    assert "sink-00002" in dead[0]["raw"]
    h = sink.health.get("in")
    assert h is not None and h.events_out == 2 and h.rejected == 1


def test_outage_spools_then_replays_in_order_exactly_once(store: Store, outage: Outage,
                                                          backend: str, tmp_path: Path):
    acked: list[int] = []
    spool = DiskSpool(tmp_path / "spool")
    sink = StoreSink(outage.store, spool, batch_size=50, batch_timeout=0.05,
                     retry_interval=0.2).start()
    try:
        for i in range(100):  # store up
            sink.submit([event(i)], ack=lambda i=i: acked.append(i), input_id="in")
        assert sink.flush(30)
        outage.down()
        for i in range(100, 400):  # store unreachable: spooled, still acknowledged
            sink.submit([event(i)], ack=lambda i=i: acked.append(i), input_id="in")
        assert sink.flush(60)
        assert acked == list(range(400))
        assert spool.pending_bytes > 0
        assert len(all_ids(store)) == 100
        h = sink.health.get("in")
        assert h is not None and h.spooled == 300
        outage.up()
        for i in range(400, 500):  # after the return: queued behind the spool
            sink.submit([event(i)], input_id="in")
        assert sink.wait_idle(60)
    finally:
        sink.stop()
    assert all_ids(store) == [f"sink-{i:05d}" for i in range(500)]
    assert spool.pending_bytes == 0
    h = sink.health.get("in")
    assert h is not None and h.replayed + h.events_out == 500
    if backend == "sqlite":  # the file's row order is the order of writes
        conn = sqlite3.connect(store.path)  # type: ignore[attr-defined]
        order = [r[0] for r in conn.execute("SELECT id FROM events ORDER BY rowid")]
        conn.close()
        assert order == [f"sink-{i:05d}" for i in range(500)]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_spool_left_by_a_stopped_sink_is_replayed_by_the_next(store: Store, outage: Outage,
                                                              tmp_path: Path):
    outage.down()
    first = StoreSink(outage.store, DiskSpool(tmp_path / "spool"), batch_timeout=0.05,
                      retry_interval=0.2).start()
    for i in range(120):
        first.submit([event(i)])
    assert first.stop(30)  # everything acknowledged: it is on disk
    outage.up()
    started = time.monotonic()
    second = StoreSink(outage.store, DiskSpool(tmp_path / "spool"), batch_timeout=0.05,
                       retry_interval=0.2).start()
    try:
        second.submit([event(i) for i in range(120, 130)])
        assert second.wait_idle(60), f"not idle after {time.monotonic() - started:.1f}s"
    finally:
        second.stop()
    assert all_ids(store) == [f"sink-{i:05d}" for i in range(130)]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_full_spool_holds_acks_back_until_the_store_returns(store: Store, outage: Outage,
                                                            tmp_path: Path):
    acked: list[int] = []
    spool = DiskSpool(tmp_path / "spool", max_bytes=4096)
    sink = StoreSink(outage.store, spool, batch_size=10, batch_timeout=0.02,
                     retry_interval=0.1, queue_events=20).start()
    outage.down()
    try:
        for i in range(60):  # ~10 KB of events: more than the spool may hold
            assert sink.submit([event(i)], ack=lambda i=i: acked.append(i), input_id="in",
                               timeout=0.2) or i >= 20
        assert not sink.flush(1.0)  # the spool is full: no ack for what it could not take
        assert "max_bytes" in (sink.last_error or "")
        h = sink.health.get("in")
        assert h is not None and h.state == "spool full"
        held = len(acked)
        assert 0 < held < 60
        outage.up()
        for i in range(60):
            sink.submit([event(i)], ack=lambda i=i: acked.append(i), input_id="in")
        assert sink.wait_idle(60)
    finally:
        sink.stop()
    assert all_ids(store) == [f"sink-{i:05d}" for i in range(60)]
    assert acked[:held] == list(range(held))  # in order, and only once durable
