"""File tailing end to end (tailer → processor → sink → store → registry):
each test counts the events in the store and fails on one lost or doubled."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from collectors.record import ParseError, RecordContext
from collectors.registry import FileRegistry
from collectors.runner import RecordProcessor
from collectors.sink import StoreSink
from collectors.tail import FileTailer
from store.base import Store


def line_parser(raw: bytes | str, ctx: RecordContext) -> list[dict[str, Any]]:
    """One event per line; lines starting with BAD are refused."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if text.startswith("BAD"):
        raise ParseError("line starts with BAD")
    return [{"@timestamp": "2026-11-26T03:00:00.000Z", "message": text,
             "event": {"dataset": "test.tail", "kind": "event"}}]


class Pipeline:
    """One file input wired to a real store; ``drain`` reads until nothing is
    left and waits for the store's acknowledgement."""

    def __init__(self, store: Store, tmp: Path, pattern: str, *, chunk: int = 64,
                 max_line: int = 1000, flush_interval: float = 0.5, **kw: Any) -> None:
        self.store = store
        self.sink = StoreSink(store, None, batch_size=40, batch_timeout=0.02).start()
        self.registry = FileRegistry(tmp / "registry" / "in.json", flush_interval=flush_interval)
        self.processor = RecordProcessor("in", line_parser, self.sink)
        self.seen: list[str] = []

        def emit(raw: bytes, ctx: RecordContext, ack: Any) -> None:
            self.seen.append(raw.decode("utf-8", "replace"))
            self.processor(raw, ctx, ack)

        self.tailer = FileTailer("in", [pattern], self.registry, emit, self.processor.reject,
                                 max_line_bytes=max_line, read_chunk_bytes=chunk,
                                 scan_interval=0.0, close_inactive=0.0, health=self.sink.health,
                                 **kw)

    def drain(self, polls: int = 10_000) -> None:
        idle = 0
        for _ in range(polls):
            idle = idle + 1 if self.tailer.poll() == 0 else 0
            if idle >= 2:
                break
        assert self.sink.flush(30)

    def close(self, *, clean: bool = True) -> None:
        self.tailer.stop()
        self.sink.stop()
        if clean:
            self.registry.close()


def messages(store: Store) -> list[str]:
    store.refresh()
    return sorted(d.source["message"] for d in store.scan("events"))


def write_lines(path: Path, lines: list[str], mode: str = "a") -> None:
    with open(path, mode, encoding="utf-8") as fh:
        fh.writelines(f"{line}\n" for line in lines)


def expected(numbers: range | list[int]) -> list[str]:
    return sorted(f"dòng {i:04d} nhật ký" for i in numbers)


def lines(numbers: range) -> list[str]:
    return [f"dòng {i:04d} nhật ký" for i in numbers]


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    from store.sqlite import SQLiteStore

    st = SQLiteStore(tmp_path / "canhgac.db")
    yield st
    st.close()


def test_restart_mid_file_resumes_exactly(store: Store, tmp_path: Path):
    log = tmp_path / "app.log"
    write_lines(log, lines(range(300)))
    first = Pipeline(store, tmp_path, str(log))
    first.tailer.poll()  # one bounded pass: stops part way through the file
    assert first.sink.flush(30)
    read_first = len(first.seen)
    assert 0 < read_first < 300
    first.close()
    write_lines(log, lines(range(300, 350)))
    second = Pipeline(store, tmp_path, str(log))
    second.drain()
    second.close()
    assert second.seen[0] == f"dòng {read_first:04d} nhật ký"  # no gap, no overlap
    assert read_first + len(second.seen) == 350
    assert messages(store) == expected(range(350))


def test_crash_before_commit_rereads_but_stores_once(sqlite_store: Store, tmp_path: Path):
    log = tmp_path / "app.log"
    write_lines(log, lines(range(200)))
    first = Pipeline(sqlite_store, tmp_path, str(log), flush_interval=3600)
    first.drain()
    first.registry.flush()
    write_lines(log, lines(range(200, 260)))
    first.drain()
    first.close(clean=False)  # crash: the last offsets were never written
    second = Pipeline(sqlite_store, tmp_path, str(log))
    second.drain()
    second.close()
    assert second.seen == lines(range(200, 260))  # re-read from the last commit
    assert messages(sqlite_store) == expected(range(260))  # ids make it harmless


def test_rotation_by_rename_finishes_old_file_first(sqlite_store: Store, tmp_path: Path):
    log = tmp_path / "app.log"
    write_lines(log, lines(range(50)))
    pipe = Pipeline(sqlite_store, tmp_path, str(log))
    pipe.drain()
    os.rename(log, tmp_path / "app.log.1")
    write_lines(tmp_path / "app.log.1", lines(range(50, 60)))  # late writes to the old file
    write_lines(log, lines(range(60, 100)), "w")  # the new file at the old path
    pipe.drain()
    pipe.close()
    assert pipe.seen == lines(range(100))  # old file to its end, then the new one
    assert messages(sqlite_store) == expected(range(100))


def test_rotated_files_matching_the_glob_are_not_read_twice(sqlite_store: Store,
                                                            tmp_path: Path):
    log = tmp_path / "app.log"
    write_lines(log, lines(range(30)))
    pipe = Pipeline(sqlite_store, tmp_path, str(tmp_path / "app.log*"))
    pipe.drain()
    os.rename(log, tmp_path / "app.log.1")
    write_lines(log, lines(range(30, 45)), "w")
    pipe.drain()
    pipe.close()
    restarted = Pipeline(sqlite_store, tmp_path, str(tmp_path / "app.log*"))
    restarted.drain()
    restarted.close()
    assert restarted.seen == []
    assert messages(sqlite_store) == expected(range(45))


def test_copy_truncate_restarts_at_zero(sqlite_store: Store, tmp_path: Path):
    log = tmp_path / "app.log"
    write_lines(log, lines(range(30)))
    pipe = Pipeline(sqlite_store, tmp_path, str(log))
    pipe.drain()
    shutil.copy(log, tmp_path / "app.log.1")  # not matched by the input
    with open(log, "r+b") as fh:
        fh.truncate(0)
    write_lines(log, lines(range(30, 40)))
    pipe.drain()
    pipe.close()
    assert messages(sqlite_store) == expected(range(40))


def test_rewritten_file_with_same_first_lines_gets_new_events(sqlite_store: Store,
                                                               tmp_path: Path):
    log = tmp_path / "app.log"
    write_lines(log, lines(range(20)))
    pipe = Pipeline(sqlite_store, tmp_path, str(log))
    pipe.drain()
    with open(log, "r+b") as fh:
        fh.truncate(0)
    write_lines(log, lines(range(5)))  # a program restarted and wrote the same lines again
    pipe.drain()
    pipe.close()
    sqlite_store.refresh()
    assert sqlite_store.count("events") == 25  # the new lines are new events, not "existing"
    assert messages(sqlite_store) == sorted(expected(range(20)) + expected(range(5)))


def test_new_files_matching_the_glob_are_picked_up(sqlite_store: Store, tmp_path: Path):
    write_lines(tmp_path / "a.log", lines(range(10)))
    pipe = Pipeline(sqlite_store, tmp_path, str(tmp_path / "*.log"))
    pipe.drain()
    write_lines(tmp_path / "b.log", lines(range(10, 25)))
    pipe.drain()
    pipe.close()
    assert messages(sqlite_store) == expected(range(25))


def test_over_long_line_is_dead_lettered_truncated(sqlite_store: Store, tmp_path: Path):
    log = tmp_path / "app.log"
    write_lines(log, [*lines(range(3)), "X" * 5000, *lines(range(3, 6)), "BAD line"])
    pipe = Pipeline(sqlite_store, tmp_path, str(log), chunk=100, max_line=1000)
    pipe.drain()
    pipe.close()
    assert messages(sqlite_store) == expected(range(6))
    dead = sorted((d.source for d in sqlite_store.scan("dead_letters")),
                  key=lambda d: d["reason"])
    assert [d["reason"][:20] for d in dead] == ["line of 5000 bytes e", "parse error: line st"]
    assert dead[0]["raw"] == "X" * 1000
    assert dead[0]["context"]["offset"] == sum(len(f"{x}\n".encode()) for x in lines(range(3)))
    # the offset moved past both, so a restart reads nothing again
    again = Pipeline(sqlite_store, tmp_path, str(log))
    again.drain()
    again.close()
    assert again.seen == []


def test_partial_last_line_waits_for_its_newline(sqlite_store: Store, tmp_path: Path):
    log = tmp_path / "app.log"
    with open(log, "w", encoding="utf-8") as fh:
        fh.write("dòng 0000 nhật ký\ndòng 00")
    pipe = Pipeline(sqlite_store, tmp_path, str(log))
    pipe.drain()
    assert pipe.seen == ["dòng 0000 nhật ký"]
    with open(log, "a", encoding="utf-8") as fh:
        fh.write("01 nhật ký\n")
    pipe.drain()
    pipe.close()
    assert messages(sqlite_store) == expected(range(2))


def test_event_ids_do_not_depend_on_the_file_name(sqlite_store: Store, tmp_path: Path):
    log = tmp_path / "app.log"
    write_lines(log, lines(range(10)))
    pipe = Pipeline(sqlite_store, tmp_path, str(log), flush_interval=3600)
    pipe.drain()
    pipe.close(clean=False)  # crash before the registry was written
    os.rename(log, tmp_path / "app.log.1")
    again = Pipeline(sqlite_store, tmp_path, str(tmp_path / "app.log*"))
    again.drain()
    again.close()
    assert len(again.seen) == 10  # read again under its new name ...
    assert sqlite_store.count("events") == 10  # ... and recognised as the same events


def test_start_at_end_and_exclude(sqlite_store: Store, tmp_path: Path):
    write_lines(tmp_path / "old.log", lines(range(10)))  # history: skipped
    write_lines(tmp_path / "skip.log", lines(range(100, 110)))
    pipe = Pipeline(sqlite_store, tmp_path, str(tmp_path / "*.log"), start_at="end",
                    exclude=["skip.*"])
    pipe.drain()
    write_lines(tmp_path / "old.log", lines(range(10, 15)))  # new lines: read
    write_lines(tmp_path / "skip.log", lines(range(110, 115)))
    write_lines(tmp_path / "new.log", lines(range(15, 20)))  # a file born later: all of it
    pipe.drain()
    pipe.close()
    assert messages(sqlite_store) == expected(range(10, 20))
