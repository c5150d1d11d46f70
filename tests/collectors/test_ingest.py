"""One-shot ingestion end to end into every store backend: detection,
batches, dead letters with raw bytes/source/offset/reason, idempotent
re-ingestion, gzip, legacy encodings, oversized lines, JSON arrays."""

from __future__ import annotations

import gzip
import io
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.ingest import FileSummary, _Sink, ingest, read_lines
from store.base import Store
from store.query import Term
from store.sqlite import SQLiteStore

FIXTURES = Path(__file__).parent / "fixtures"
LINE_FILES = {"auth.log": "auth", "syslog.log": "syslog", "fortigate.log": "firewall",
              "filterlog.log": "firewall", "iptables.log": "firewall", "access.log": "web",
              "access-vhost.log": "web", "eve.json": "eve", "winlogbeat.ndjson": "winjson",
              "nxlog.ndjson": "winjson", "evtx-rendering.json": "winjson"}


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """The embedded backend only, for checks whose backend-specific part is
    already covered by the tests on ``store`` (both backends)."""
    st = SQLiteStore(tmp_path / "ingest.db")
    st.init()
    yield st
    st.close()


def copy_fixtures(dst: Path) -> Path:
    shutil.copytree(FIXTURES, dst / "logs")
    return dst / "logs"


def counts(store: Store) -> tuple[int, int]:
    store.refresh("events")
    store.refresh("dead_letters")
    return store.count("events"), store.count("dead_letters")


def dead_letters(store: Store) -> list[dict]:
    store.refresh("dead_letters")
    return [d.source for d in store.scan("dead_letters")]


def test_folder_end_to_end_and_idempotent(store: Store, tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path)
    first = ingest(store, [root])
    by_path = {Path(f.path).relative_to(root).as_posix(): f for f in first.files}
    for name, fmt in LINE_FILES.items():
        fs = by_path[name]
        assert fs.format == fmt, (name, fs.detected)
        assert fs.dead_letters == 0, name
        assert fs.events_written == fs.records == len(
            [ln for ln in (root / name).read_text().splitlines() if ln.strip()]), name
    assert by_path["eve-array.json"].events_written == 2
    assert by_path["zeek/conn.log"].events_written == 3
    assert by_path["zeek-json/conn.log"].events_written == 3
    assert first.dead_letters == 0
    n = first.events_written
    assert n > 60
    assert counts(store) == (n, 0)
    assert first.by_format()["zeek"]["files"] == 8

    second = ingest(store, [root])
    assert second.events_written == 0
    assert second.already_present == n
    assert counts(store) == (n, 0)


def test_events_are_searchable_with_their_fields(sqlite_store: Store, tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path)
    ingest(sqlite_store, [root / "auth.log", root / "winlogbeat.ndjson"])
    sqlite_store.refresh("events")
    failures = sqlite_store.count("events", Term("event.outcome", "failure"))
    assert failures == 11  # 10 sshd/sudo/su/PAM failures + one Windows 4625
    hits = sqlite_store.search("events", Term("source.ip", "198.51.100.23"), size=50).hits
    assert {h.source["event"]["dataset"] for h in hits} == {"system.auth", "windows.security"}
    src = f"file:{(root / 'auth.log').resolve()}"
    assert all(h.source["log"]["file"]["path"] == src[5:] for h in hits
               if h.source["event"]["dataset"] == "system.auth")


def test_hostile_file_dead_letters_and_goes_on(store: Store, tmp_path: Path) -> None:
    good = (FIXTURES / "auth.log").read_bytes().splitlines(keepends=True)
    hostile = tmp_path / "auth.log"
    huge = b"Nov 20 08:00:00 h sshd[1]: " + b"A" * (1024 * 1024 + 10) + b"\n"
    body = [good[0], b"\x00\x01 this is not a log line at all\n", good[1],
            b"Nov 20 08:00:00 h sshd[1]: Failed password for invalid user th\xfd\xd2 from "
            b"192.0.2.1 port 1 ssh2\n", huge, b"\n", good[2],
            # bytes Windows-1258 does not define either: latin-1 with replacement
            b"Nov 20 08:00:00 h sshd[1]: Failed password for ro\x81\x8dt from 192.0.2.2 port 1\n",
            b"Nov 20 08:00:00 h sshd[1]: truncated at the end, no newline"]
    hostile.write_bytes(b"".join(body))
    summary = ingest(store, [hostile], "auth")
    fs = summary.files[0]
    assert fs.dead_letters == 2  # the garbage line and the oversized one
    assert fs.events_written == 6
    assert fs.legacy_decoded == 2  # cp1258 and latin-1
    assert counts(store) == (6, 2)
    letters = {d["reason"]: d for d in dead_letters(store)}
    garbage = letters["no syslog header (PRI, timestamp or program tag)"]
    assert garbage["source"] == f"file:{hostile.resolve()}"
    assert garbage["context"]["offset"] == len(good[0])
    assert garbage["raw_encoding"] == "utf-8"
    assert garbage["raw"].startswith("\x00\x01 this is not")
    oversized = next(d for r, d in letters.items() if r.startswith("line longer than"))
    assert oversized["raw_truncated"] is True
    offset = sum(len(x) for x in body[:4])
    assert oversized["context"]["offset"] == offset
    store.refresh("events")
    tags = [h.source.get("tags", []) for h in store.scan("events")]
    assert ["decoded_cp1258"] in tags
    assert any("decoded_latin1" in t for t in tags)
    # the line after the oversized one was read from the right place
    assert store.count("events", Term("source.port", 40113)) == 1


def test_forced_wrong_format_dead_letters_every_line(sqlite_store: Store, tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path)
    summary = ingest(sqlite_store, [root / "auth.log"], "web")
    assert summary.events_written == 0
    assert summary.dead_letters == 15
    reasons = {d["reason"] for d in dead_letters(sqlite_store)}
    assert reasons == {"not a combined/common/vhost_combined access-log line"}


def test_gzip_is_transparent_and_offsets_are_decompressed(sqlite_store: Store,
                                                          tmp_path: Path) -> None:
    gz = tmp_path / "access.log.gz"
    gz.write_bytes(gzip.compress((FIXTURES / "access.log").read_bytes()))
    summary = ingest(sqlite_store, [gz])
    assert summary.files[0].format == "web"
    assert summary.events_written == 6
    sqlite_store.refresh("events")
    offsets = sorted(h.source["log"]["offset"] for h in sqlite_store.scan("events"))
    lines = (FIXTURES / "access.log").read_bytes().splitlines(keepends=True)
    assert offsets == [sum(len(x) for x in lines[:i]) for i in range(len(lines))]


def test_truncated_eve_array_keeps_what_came_before(sqlite_store: Store, tmp_path: Path) -> None:
    text = (FIXTURES / "eve-array.json").read_text()
    cut = tmp_path / "alerts-only.json"
    cut.write_text(text[: text.rindex("}", 0, text.rindex("}")) - 40])
    summary = ingest(sqlite_store, [cut])
    fs = summary.files[0]
    assert fs.format == "eve"
    assert (fs.events_written, fs.dead_letters) == (1, 1)
    assert "broken JSON from element 1" in dead_letters(sqlite_store)[0]["reason"]


@pytest.mark.parametrize("tail", [
    '\n[{"timestamp": "2026-11-20T12:00:09Z", "event_type": "alert"}]\n',  # a 2nd export
    "\nNov 20 08:00:00 sensor suricata[1]: rotated\n",  # a log line
    "]\n",  # one bracket too many
])
def test_data_after_the_array_is_a_dead_letter(sqlite_store: Store, tmp_path: Path,
                                               tail: str) -> None:
    """What follows the closing ``]`` is not read: it is dead-lettered whole
    (from its first non-blank character), never silently dropped."""
    text = (FIXTURES / "eve-array.json").read_text().rstrip()
    path = tmp_path / "export.json"
    path.write_text(text + tail, encoding="utf-8")
    summary = ingest(sqlite_store, [path])
    fs = summary.files[0]
    assert fs.format == "eve"
    assert (fs.events_written, fs.dead_letters) == (2, 1)
    (letter,) = dead_letters(sqlite_store)
    assert letter["reason"].startswith("trailing data after the JSON array's closing ']'")
    start = len(text) + len(tail) - len(tail.lstrip())
    assert f"characters {start}..{len(text) + len(tail) - 1}" in letter["reason"]
    assert letter["raw"] == tail.lstrip()
    assert letter["context"]["path"] == str(path.resolve())


def test_undetectable_file_is_dead_lettered(sqlite_store: Store, tmp_path: Path) -> None:
    p = tmp_path / "notes.txt"
    p.write_text("ghi chú: không phải nhật ký\n")
    summary = ingest(sqlite_store, [p])
    assert summary.files[0].format == "unknown"
    assert summary.dead_letters == 1
    assert dead_letters(sqlite_store)[0]["reason"].startswith("format not detected")


def test_pcap_without_reader_is_dead_lettered(sqlite_store: Store, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "capture.pcap"
    p.write_bytes(b"\xd4\xc3\xb2\xa1" + b"\0" * 60)
    monkeypatch.setitem(sys.modules, "collectors.pcap", None)  # makes the import fail
    summary = ingest(sqlite_store, [p])
    assert summary.files[0].format == "pcap"
    assert summary.dead_letters == 1
    assert "collectors.pcap" in dead_letters(sqlite_store)[0]["reason"]


def test_store_rejections_become_dead_letters(store: Store) -> None:
    fs = FileSummary("/x", "auth", "given")
    sink = _Sink(store, fs, "file:/x")
    sink.add([{"event": {"id": "bad-1"}, "@timestamp": "not a time"}], b"raw line", 7)
    sink.flush()
    assert fs.dead_letters == 1 and fs.events_written == 0
    letter = dead_letters(store)[0]
    assert letter["reason"].startswith("rejected by the store")
    assert letter["raw"] == "raw line" and letter["context"]["offset"] == 7


def test_read_lines_bounds_and_offsets() -> None:
    data = b"ab\n" + b"x" * 25 + b"\ncd\nlast"
    got = list(read_lines(io.BytesIO(data), max_line=10))
    assert got == [(0, b"ab\n", False), (3, b"x" * 10, True), (29, b"cd\n", False),
                   (32, b"last", False)]


def test_missing_path_is_an_error(sqlite_store: Store, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        ingest(sqlite_store, [tmp_path / "nope.log"])


def _dns_capture(path: Path) -> None:
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.layers.inet import IP, UDP
    from scapy.utils import wrpcap

    q = IP(src="127.0.0.10", dst="127.0.0.53") / UDP(sport=40000, dport=53) / DNS(
        id=7, rd=1, qd=DNSQR(qname="cantho.thanhpho.example"))
    a = IP(src="127.0.0.53", dst="127.0.0.10") / UDP(sport=53, dport=40000) / DNS(
        id=7, qr=1, qd=DNSQR(qname="cantho.thanhpho.example"),
        an=DNSRR(rrname="cantho.thanhpho.example", rdata="127.0.0.80"))
    q.time, a.time = 1795154400.0, 1795154400.01
    wrpcap(str(path), [q, a])


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed (Debian "
                                                           "package tshark)")
def test_pcap_is_dispatched_to_the_capture_reader(sqlite_store: Store, tmp_path: Path) -> None:
    pytest.importorskip("scapy", reason="scapy writes the test capture")
    cap = tmp_path / "dns.pcap"
    _dns_capture(cap)
    summary = ingest(sqlite_store, [cap])
    fs = summary.files[0]
    assert fs.format == "pcap" and fs.dead_letters == 0
    assert fs.events_written >= 1
    again = ingest(sqlite_store, [cap])
    assert again.events_written == 0 and again.already_present == fs.events_written
