"""Bad captures: not a capture at all, and a capture cut in the middle of a packet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scapy.utils import rdpcap

from collectors.pcap import CaptureStats, read_pcap
from collectors.record import ParseError
from tests.collectors.pcap.captures import Expected

PCAP_HEADER = 24
RECORD_HEADER = 16


def test_text_file_is_not_a_capture(tmp_path: Path) -> None:
    path = tmp_path / "notes.pcap"
    path.write_text("Nhật ký vận hành: đây không phải tệp pcap\n", encoding="utf-8")
    with pytest.raises(ParseError, match="not a pcap"):
        list(read_pcap(path, "file:notes.pcap"))


def test_empty_file_is_not_a_capture(tmp_path: Path) -> None:
    path = tmp_path / "empty.pcapng"
    path.write_bytes(b"")
    with pytest.raises(ParseError):
        list(read_pcap(path, "file:empty.pcapng"))


def test_capture_magic_with_garbage_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pcap"
    path.write_bytes(b"\xd4\xc3\xb2\xa1" + bytes(range(256)) * 4)
    with pytest.raises(ParseError):
        list(read_pcap(path, "file:garbage.pcap"))


def test_truncated_capture_yields_what_came_before_then_fails(
        mixed: tuple[Path, Expected], tmp_path: Path) -> None:
    data = mixed[0].read_bytes()
    frames = rdpcap(str(mixed[0]))
    # Cut in the middle of the 25th frame: 24 whole frames survive.
    keep = 24
    offset = PCAP_HEADER + sum(RECORD_HEADER + len(bytes(f)) for f in frames[:keep])
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:offset + RECORD_HEADER + 10])
    survivors = frames[:keep]
    ip_frames = [f for f in survivors if f.haslayer("IP") or f.haslayer("IPv6")]

    events: list[dict[str, Any]] = []
    stats = CaptureStats()
    with pytest.raises(ParseError, match="truncated") as err:
        for ev in read_pcap(cut, "file:cut.pcap", stats=stats):
            events.append(ev)
    assert f"after frame {keep}" in str(err.value)
    flows = [e for e in events if e["event"]["dataset"] == "pcap.flow"]
    assert sum(e["network"]["packets"] for e in flows) == len(ip_frames)
    assert {e["event"]["reason"] for e in flows} <= {"fin", "truncated"}
    assert "truncated" in {e["event"]["reason"] for e in flows}
    # The DNS exchanges and the HTTP request (frames 11-24) made it out too.
    assert {e["event"]["dataset"] for e in events} >= {"pcap.flow", "pcap.dns", "pcap.http"}
