"""Health counters reach the store and the local file; status reads the newer."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from collectors.health import HealthBoard, HealthReporter, read_status
from store.base import Store


def test_reporter_writes_store_and_file(store: Store, tmp_path: Path):
    board = HealthBoard()
    board.register("auth", "file", "/var/log/auth.log*")
    board.add("auth", records_in=10, events_out=8, parse_errors=2, dead_letters=2)
    board.set("auth", state="running", lag_bytes=120)
    reporter = HealthReporter(board, store, tmp_path / "health.json", interval=60)
    reporter.report()
    store.refresh()
    doc = store.get("checkpoints", "health:auth")
    assert doc is not None
    assert doc.source["records_in"] == 10 and doc.source["parse_errors"] == 2
    assert doc.source["last_event_at"].endswith("Z")
    local = json.loads((tmp_path / "health.json").read_text())
    assert local["inputs"][0]["events_out"] == 8
    rows = read_status(store, tmp_path / "health.json", ["auth", "never"])
    assert rows[0]["lag_bytes"] == 120
    assert rows[1] == {"input_id": "never", "state": "never ran"}


def test_store_outage_keeps_the_local_report(tmp_path: Path):
    from store.sqlite import SQLiteStore

    st = SQLiteStore(tmp_path / "c.db", busy_timeout=0.1)
    board = HealthBoard()
    board.register("fw", "syslog-udp")
    board.add("fw", records_in=3)
    holder = sqlite3.connect(tmp_path / "c.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # the store is really unavailable for writes
    try:
        HealthReporter(board, st, tmp_path / "health.json").report()  # must not raise
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert st.get("checkpoints", "health:fw") is None
    rows = read_status(st, tmp_path / "health.json", ["fw"])
    assert rows[0]["records_in"] == 3 and rows[0]["kind"] == "syslog-udp"
    st.close()


def test_counters_from_many_threads_add_up():
    import threading

    board = HealthBoard()
    board.register("x", "file")

    def work() -> None:
        for _ in range(2000):
            board.add("x", records_in=1, pending=1)
            board.add("x", pending=-1)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    h = board.get("x")
    assert h is not None and h.records_in == 8000 and h.pending == 0
