"""What only the embedded backend has: several processes on one file, WAL,
a clear error when the file stays locked, native SQL."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
from pathlib import Path

import pytest

from store import StoreUnavailable
from store.sqlite import SQLiteStore


def _write_many(path: str, worker: int, count: int) -> None:
    st = SQLiteStore(path)
    for batch in range(0, count, 100):
        docs = [{"@timestamp": "2026-11-20T00:00:00Z",
                 "event": {"id": f"w{worker}-{batch + i}"}, "host": {"name": f"w{worker}"}}
                for i in range(100)]
        result = st.bulk("events", docs, mode="create")
        assert result.ok and result.written == 100
    st.close()


def test_several_processes_share_one_file(tmp_path: Path):
    path = str(tmp_path / "shared.db")
    SQLiteStore(path).close()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_write_many, args=(path, w, 1500)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    st = SQLiteStore(path)
    assert st.count("events") == 4500
    assert st.status()["journal_mode"] == "wal"
    st.close()


def test_a_file_locked_too_long_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "locked.db"
    SQLiteStore(path).close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        st = SQLiteStore.__new__(SQLiteStore)
        with pytest.raises(StoreUnavailable, match=r"unavailable|cannot open"):
            SQLiteStore.__init__(st, path, busy_timeout=0.2)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    st = SQLiteStore(path, busy_timeout=0.2)
    assert st.bulk("events", [{"@timestamp": "2026-11-20T00:00:00Z", "event": {"id": "x"}}],
                   mode="create").written == 1
    st.close()


def test_native_sql_over_hot_columns_and_json(tmp_path: Path):
    st = SQLiteStore(tmp_path / "n.db")
    st.bulk("events", [{"@timestamp": "2026-11-20T00:00:00Z", "event": {"id": str(i)},
                        "host": {"name": f"h{i % 2}"}, "process": {"name": "cmd.exe"}}
                       for i in range(10)], mode="create")
    hits = st.search_native("events", ("h_host_name = ? AND json_extract(doc, '$.process.name') "
                                       "LIKE ?", ["h1", "CMD%"]), size=100)
    assert sorted(h.id for h in hits) == ["1", "3", "5", "7", "9"]
    st.close()


def test_status_reports_counts(tmp_path: Path):
    st = SQLiteStore(tmp_path / "s.db")
    st.put("sources", {"id": "rss-1", "kind": "rss"})
    status = st.status()
    assert status["backend"] == "sqlite" and status["collections"]["sources"] == 1
    st.close()


def test_a_hot_field_added_later_is_migrated(tmp_path: Path):
    path = tmp_path / "old.db"
    st = SQLiteStore(path)
    st.bulk("incidents", [{"id": "i1", "@timestamp": "2026-11-20T00:00:00Z",
                           "last_seen": "2026-11-21T00:00:00Z"}])
    st.close()
    conn = sqlite3.connect(path)  # as an older version left it: no h_last_seen column
    conn.execute("DROP INDEX incidents_h_last_seen")
    conn.execute("DROP INDEX incidents_covering")
    conn.execute("ALTER TABLE incidents DROP COLUMN h_last_seen")
    conn.commit()
    conn.close()
    st = SQLiteStore(path)
    from store.query import Range

    assert st.count("incidents", Range("last_seen", gte="2026-11-21T00:00:00Z")) == 1
    st.close()


def test_a_file_from_before_arrays_of_objects_is_migrated(tmp_path: Path):
    from store.query import Term

    path = tmp_path / "old.db"
    st = SQLiteStore(path)
    st.bulk("articles", [{"id": f"a{i}", "@timestamp": "2026-11-20T00:00:00Z",
                          "entities": [{"id": f"e{i % 3}"}, {"id": "all"}]} for i in range(9)]
            + [{"id": "flat", "@timestamp": "2026-11-20T00:00:00Z", "entities": {"id": "e0"}}])
    st.close()
    conn = sqlite3.connect(path)  # as an older version left it: no arrays column
    conn.execute("ALTER TABLE articles DROP COLUMN object_arrays")
    conn.commit()
    conn.close()
    st = SQLiteStore(path)
    assert st.count("articles", Term("entities.id", "e0")) == 4
    assert st.count("articles", Term("entities.id", "all")) == 9
    st.close()
