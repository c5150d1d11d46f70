"""Zeek parser: TSV logs with headers (stateful reader) and JSON lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from canhgac.ecs import get, validate
from collectors.parsers import zeek
from collectors.record import ParseError, RecordContext

FIXTURES = Path(__file__).parent / "fixtures"


def read_tsv(name: str) -> list[dict]:
    path = FIXTURES / "zeek" / name
    reader = zeek.ZeekTsvReader()
    out: list[dict] = []
    offset = 0
    for line in path.read_bytes().splitlines(keepends=True):
        got = reader.feed(line, RecordContext(f"file:{path}", offset=offset))
        offset += len(line)
        for ev in got or []:
            validate(ev)
            out.append(ev)
    return out


def test_conn_tsv() -> None:
    evs = read_tsv("conn.log")
    assert len(evs) == 3
    a = evs[0]
    assert get(a, "event.dataset") == "zeek.conn"
    assert get(a, "zeek.session_id") == "Ck3Vn21bR6Jq0sZ5a1"
    assert (get(a, "source.ip"), get(a, "source.port"), get(a, "destination.ip"),
            get(a, "destination.port")) == ("10.10.0.9", 52000, "192.0.2.53", 53)
    assert get(a, "network.transport") == "udp"
    assert get(a, "network.protocol") == "dns"
    assert get(a, "network.community_id") == "1:abcdEFGHijklMNOPqrstUVWXyz0="
    assert (get(a, "source.bytes"), get(a, "destination.bytes"),
            get(a, "source.packets"), get(a, "destination.packets")) == (34, 50, 1, 1)
    assert get(a, "event.duration") == 10243000
    assert get(a, "zeek.connection.state") == "SF"
    assert get(a, "@timestamp") == "2026-11-20T06:00:00.123Z"
    c = evs[2]  # unset fields ("-") are absent, not strings
    assert get(c, "event.duration") is None and get(c, "source.bytes") is None
    assert get(c, "network.protocol") is None


def test_protocol_logs() -> None:
    dns = read_tsv("dns.log")[0]
    assert get(dns, "dns.question.name") == "cantho.thanhpho.example"
    assert get(dns, "dns.resolved_ip") == ["203.0.113.5"]
    assert get(dns, "dns.response_code") == "NOERROR"
    assert (get(dns, "dns.question.registered_domain"), get(dns, "dns.question.top_level_domain"),
            get(dns, "dns.question.subdomain")) == ("thanhpho.example", "example", "cantho")
    http = read_tsv("http.log")[0]
    assert (get(http, "http.request.method"), get(http, "url.domain"),
            get(http, "http.response.status_code")) == ("GET", "tin-tuc.thanhpho.example", 200)
    ssl = read_tsv("ssl.log")[0]
    assert get(ssl, "tls.client.server_name") == "dichvucong.thanhpho.example"
    assert get(ssl, "tls.version") == "1.2" and get(ssl, "tls.established") is True
    files = read_tsv("files.log")[0]
    assert get(files, "file.mime_type") == "application/pdf"
    assert get(files, "file.hash.md5") == "0123456789abcdef0123456789abcdef"
    assert get(files, "source.ip") == "203.0.113.80"
    notice = read_tsv("notice.log")[0]
    assert get(notice, "event.kind") == "alert"
    assert get(notice, "rule.name") == "Scan::Port_Scan"
    assert get(notice, "source.ip") == "198.51.100.99"
    weird = read_tsv("weird.log")[0]
    assert get(weird, "event.action") == "bad_TCP_checksum"


def test_json_lines_with_path_from_file_name_or_field() -> None:
    path = FIXTURES / "zeek-json" / "conn.log"
    evs = []
    for i, line in enumerate(path.read_text().splitlines()):
        ev = zeek.parse(line, RecordContext(f"file:{path}", offset=i))[0]
        validate(ev)
        evs.append(ev)
    assert [get(e, "event.dataset") for e in evs] == ["zeek.conn", "zeek.conn", "zeek.modbus"]
    assert get(evs[1], "@timestamp") == "2026-11-20T06:00:01.500Z"
    assert get(evs[2], "zeek.modbus.func") == "READ_HOLDING_REGISTERS"
    assert get(evs[0], "source.bytes") == 34


def test_whole_tsv_chunk_and_header_in_context() -> None:
    text = (FIXTURES / "zeek" / "conn.log").read_text()
    evs = zeek.parse(text, RecordContext("file:/x/conn.log", offset=0))
    assert len(evs) == 3
    assert len({get(e, "event.id") for e in evs}) == 3


@pytest.mark.parametrize("bad", [
    "1795651200.1\tCk3\t10.0.0.1",  # data before #fields
    '{"uid": "C1"}', '{"ts": "x", "uid": "C"}', '{"ts": 1e400, "uid": "C"}', "{",
])
def test_rejects(bad: str) -> None:
    with pytest.raises(ParseError):
        zeek.parse(bad, RecordContext("file:/x/conn.log"))


def test_column_count_mismatch() -> None:
    reader = zeek.ZeekTsvReader()
    for line in (FIXTURES / "zeek" / "weird.log").read_text().splitlines()[:7]:
        reader.feed(line, RecordContext("t"))
    with pytest.raises(ParseError, match="columns"):
        reader.feed("1795651310.0\tC\t1.2.3.4", RecordContext("t"))


def test_unusable_separator_is_a_parse_error() -> None:
    reader = zeek.ZeekTsvReader()
    with pytest.raises(ParseError, match="separator"):
        reader.feed("#separator \\x", RecordContext("file:/z/conn.log", offset=0))
    with pytest.raises(ParseError):
        zeek.parse("#separator \\x4\n#fields\tts", RecordContext("file:/z/conn.log", offset=0))
