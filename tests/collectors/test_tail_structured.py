"""Structured formats through the tailer: Zeek TSV (headers kept per file,
re-read on resume and after rotation) and Suricata EVE JSON lines; every test
counts what reached the store and fails on one event lost or doubled."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from collectors.parsers import get_parser
from collectors.record import RecordContext
from collectors.registry import FileRegistry
from collectors.runner import RecordProcessor
from collectors.sink import StoreSink
from collectors.stateful import ZeekFileParser
from collectors.tail import FileTailer
from store.base import Store
from tests.collectors.stored import dead, stored

CONN_HEADER = [
    "#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-",
    "#path\tconn", "#open\t2026-11-26-10-00-00",
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration"
    "\torig_bytes\tresp_bytes\tconn_state",
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\tcount\tcount\tstring",
]
DNS_HEADER = [
    "#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-",
    "#path\tdns", "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery",
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring",
]


def conn_line(i: int) -> str:
    return (f"{1795154400 + i}.250000\tCconn{i:05d}\t10.20.0.{i % 200 + 1}\t{40000 + i}"
            f"\t10.30.0.5\t443\ttcp\t0.5\t{100 + i}\t{2000 + i}\tSF")


def dns_line(i: int) -> str:
    return (f"{1795154500 + i}.5\tCdns{i:05d}\t10.20.1.{i % 200 + 1}\t{50000 + i}\t10.30.0.53"
            f"\t53\tudp\tdichvu{i}.cantho.example")


def eve_line(i: int) -> str:
    return json.dumps({"timestamp": f"2026-11-26T10:{i // 60 % 60:02d}:{i % 60:02d}.000000+0700",
                       "event_type": "alert", "src_ip": f"203.0.113.{i % 250 + 1}",
                       "src_port": 30000 + i, "dest_ip": "10.30.0.8", "dest_port": 80,
                       "proto": "TCP", "flow_id": 7_000_000 + i,
                       "alert": {"action": "allowed", "signature_id": 9_100_000 + i, "rev": 1,
                                 "signature": f"CANHGAC test rule {i}", "severity": 2}})


def write(path: Path, lines: list[str], mode: str = "a") -> None:
    with open(path, mode, encoding="utf-8") as fh:
        fh.writelines(f"{line}\n" for line in lines)


class Tail:
    """One file input with the runner's parser wiring, on a real store."""

    def __init__(self, store: Store, tmp: Path, pattern: str, fmt: str, chunk: int = 4096):
        self.sink = StoreSink(store, None, batch_size=50, batch_timeout=0.02).start()
        self.registry = FileRegistry(tmp / "registry" / "in.json", flush_interval=0)
        parser: Any = get_parser(fmt)
        resume = None
        if fmt == "zeek":
            zeek_files = ZeekFileParser()
            parser, resume = zeek_files, zeek_files.resume
        self.processor = RecordProcessor("in", parser, self.sink)
        self.tailer = FileTailer("in", [pattern], self.registry, self.processor,
                                 self.processor.reject, read_chunk_bytes=chunk,
                                 scan_interval=0.0, close_inactive=0.0,
                                 health=self.sink.health, on_resume=resume)

    def drain(self) -> None:
        idle = 0
        for _ in range(10_000):
            idle = idle + 1 if self.tailer.poll() == 0 else 0
            if idle >= 2:
                break
        assert self.sink.flush(30)

    def close(self) -> None:
        self.tailer.stop()
        self.sink.stop()
        self.registry.close()


def test_zeek_tsv_resume_reads_the_header_again(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "conn.log"
    write(log, CONN_HEADER + [conn_line(i) for i in range(40)], "w")
    first = Tail(store, tmp_path, str(log), "zeek", chunk=64)
    first.tailer.poll()  # one bounded pass: part of the file only
    assert first.sink.flush(30)
    first.close()
    done_first = len(stored(store, "zeek.session_id"))
    assert 0 < done_first < 40
    write(log, [conn_line(i) for i in range(40, 55)])
    second = Tail(store, tmp_path, str(log), "zeek")  # a fresh process: no header in memory
    second.drain()
    second.close()
    assert dead(store) == []  # every data line after the resume knew its columns
    assert stored(store, "zeek.session_id") == sorted(f"Cconn{i:05d}" for i in range(55))
    assert stored(store, "source.bytes") == sorted(100 + i for i in range(55))


def test_zeek_rotation_keeps_a_header_per_file(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "zeek.log"
    write(log, CONN_HEADER + [conn_line(i) for i in range(10)], "w")
    tail = Tail(store, tmp_path, str(tmp_path / "zeek.log*"), "zeek")
    tail.drain()
    os.rename(log, tmp_path / "zeek.log.1")
    write(tmp_path / "zeek.log.1", [conn_line(i) for i in range(10, 15)])  # late writes
    write(log, DNS_HEADER + [dns_line(i) for i in range(12)], "w")  # other columns
    tail.drain()
    tail.close()
    assert dead(store) == []
    assert stored(store, "dns.question.name") == sorted(
        [f"dichvu{i}.cantho.example" for i in range(12)] + [None] * 15, key=str)
    assert stored(store, "zeek.session_id") == sorted(
        [f"Cconn{i:05d}" for i in range(15)] + [f"Cdns{i:05d}" for i in range(12)])


def test_zeek_data_without_header_is_dead_lettered(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "conn.log"
    write(log, [conn_line(i) for i in range(3)] + CONN_HEADER + [conn_line(3)], "w")
    tail = Tail(store, tmp_path, str(log), "zeek")
    tail.drain()
    tail.close()
    letters = dead(store)
    assert len(letters) == 3
    assert all("before any #fields header" in d["reason"] for d in letters)
    assert stored(store, "zeek.session_id") == ["Cconn00003"]


def test_eve_tail_restart_no_gap_no_duplicate(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "eve.json"
    write(log, [eve_line(i) for i in range(30)] + ['{"event_type": "alert", "truncated'], "w")
    first = Tail(store, tmp_path, str(log), "eve", chunk=64)
    first.tailer.poll()
    assert first.sink.flush(30)
    first.close()
    write(log, [eve_line(i) for i in range(30, 45)])
    second = Tail(store, tmp_path, str(log), "eve")
    second.drain()
    second.close()
    assert stored(store, "rule.id") == sorted(str(9_100_000 + i) for i in range(45))
    kinds = set(stored(store, "event.kind"))
    assert kinds == {"alert"}
    letters = dead(store)
    assert len(letters) == 1 and "invalid JSON" in letters[0]["reason"]


def test_zeek_file_parser_is_bounded(tmp_path: Path) -> None:
    parser = ZeekFileParser(max_files=3)
    for i in range(10):
        ctx = RecordContext(f"file:/logs/conn{i}.log", offset=0,
                            extra={"file_identity": f"1:{i}:x"})
        assert parser(CONN_HEADER[6], ctx) == []
    assert len(parser._readers) == 3
