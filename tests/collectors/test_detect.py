"""Format auto-detection from magic bytes and first lines."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from collectors.detect import UnknownFormatError, detect

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("name,fmt,why", [
    ("auth.log", "auth", "sshd"),
    ("syslog.log", "syslog", "syslog header"),
    ("fortigate.log", "firewall", "FortiGate"),
    ("filterlog.log", "firewall", "firewall"),
    ("iptables.log", "firewall", "firewall"),
    ("access.log", "web", "access-log"),
    ("access-vhost.log", "web", "access-log"),
    ("eve.json", "eve", "EVE"),
    ("eve-array.json", "eve", "JSON array"),
    ("zeek/conn.log", "zeek", "#fields"),
    ("zeek-json/conn.log", "zeek", "zeek-json"),
    ("winlogbeat.ndjson", "winjson", "Winlogbeat"),
    ("nxlog.ndjson", "winjson", "NXLog"),
    ("evtx-rendering.json", "winjson", "Event.System"),
])
def test_fixtures(name: str, fmt: str, why: str) -> None:
    got = detect(FIXTURES / name)
    assert got.format == fmt
    assert got.reason.startswith(f"detected {'zeek' if fmt == 'zeek' else fmt}")
    assert why in got.reason


def test_binary_magics(tmp_path: Path) -> None:
    cases = {"a.evtx": (b"ElfFile\x00" + b"\0" * 100, "evtx"),
             "b.pcap": (b"\xd4\xc3\xb2\xa1" + b"\0" * 100, "pcap"),
             "c.pcapng": (b"\x0a\x0d\x0d\x0a" + b"\0" * 100, "pcap")}
    for name, (data, fmt) in cases.items():
        (tmp_path / name).write_bytes(data)
        assert detect(tmp_path / name).format == fmt


def test_gzip_is_looked_through(tmp_path: Path) -> None:
    gz = tmp_path / "conn.log.gz"
    with (FIXTURES / "zeek" / "conn.log").open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert detect(gz).format == "zeek"


def test_pretty_printed_single_document(tmp_path: Path) -> None:
    import json

    doc = json.loads((FIXTURES / "evtx-rendering.json").read_text().splitlines()[0])
    p = tmp_path / "one.json"
    p.write_text(json.dumps(doc, indent=2))
    assert "one JSON document" in detect(p).reason


@pytest.mark.parametrize("content", [b"", b"\n\n", b"hello world\nfoo bar\n", b'{"a": 1}\n',
                                     b"[1, 2, 3]", b"\x00\x01\x02garbage"])
def test_unknown(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "x.dat"
    p.write_bytes(content)
    with pytest.raises(UnknownFormatError):
        detect(p)
